//! Text helpers of the demo's output: the `say!` macro, progress bars,
//! numbers.
use std::io::IsTerminal;

use cosmwasm_std::{Decimal, SignedDecimal};
use indicatif::{ProgressBar, ProgressStyle};

use crate::report::thousands;

/// `writeln!` to the demo's writer, `?` on failure.
macro_rules! say {
    ($o:expr) => { writeln!($o)? };
    ($o:expr, $($t:tt)*) => { writeln!($o, $($t)*)? };
}
pub(super) use say;

pub(super) fn bar(progress: bool, len: u64, what: &str) -> ProgressBar {
    if !progress || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(len);
    b.set_style(
        ProgressStyle::with_template("  {prefix:<24} [{bar:30}] {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    b.set_prefix(what.to_string());
    b
}

pub(super) fn dec(d: Decimal) -> f64 {
    d.to_string().parse().unwrap_or(f64::NAN)
}

pub(super) fn sdec(d: SignedDecimal) -> f64 {
    d.to_string().parse().unwrap_or(f64::NAN)
}

pub(super) fn pct(x: f64) -> String {
    format!("{:.2}%", 100.0 * x)
}

pub(super) fn money(x: u128) -> String {
    thousands(u64::try_from(x).unwrap_or(u64::MAX))
}
