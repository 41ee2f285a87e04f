//! The features the guard derives from a transaction log: each row replayed
//! through `vigil_inference_core::baseline` as the contract does it (per
//! protected contract and action kind: `roll` to the row's height,
//! `derive`, then `record` if the action was paid), written as the seven
//! derived features and the label: the training and evaluation data of a
//! breaker model.
use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use vigil_guard_api::breaker::ProtectedSettings;
use vigil_inference_core::baseline::{
    caller_hash, Action, Baseline, Params, DERIVED_FEATURES, DERIVED_NAMES, ONE,
};

use super::LogRow;

/// The baseline parameters of a protected contract's settings, as the
/// guard converts them (`vigil_guard::observe::params`).
pub fn params(s: &ProtectedSettings) -> Result<Params> {
    vigil_guard::observe::params(s).map_err(|e| anyhow::anyhow!("baseline settings: {e}"))
}

/// A log row as the core's action.
pub fn action(r: &LogRow) -> Action {
    Action {
        height: r.height,
        value: r.value,
        total_value: r.total_value,
        price: r.price,
        caller: caller_hash(r.caller.as_bytes()),
    }
}

/// Baselines per (protected contract, action kind), derived and recorded
/// as the guard does.
#[derive(Clone, Debug)]
pub struct Deriver {
    params: Params,
    baselines: BTreeMap<(String, String), Baseline>,
}

impl Deriver {
    /// Empty baselines with `params`.
    pub fn new(params: Params) -> Deriver {
        Deriver {
            params,
            baselines: BTreeMap::new(),
        }
    }

    /// The parameters.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// `roll` the row's baseline to its height and `derive` its features
    /// (nothing recorded: [`Deriver::record`] if it is paid).
    pub fn derive(&mut self, r: &LogRow) -> [i64; DERIVED_FEATURES] {
        let p = self.params;
        let b = self
            .baselines
            .entry((r.contract.clone(), r.kind.clone()))
            .or_default();
        b.roll(&p, r.height);
        b.derive(&p, &action(r))
    }

    /// Records a paid row (after [`Deriver::derive`]).
    pub fn record(&mut self, r: &LogRow) {
        self.baselines
            .entry((r.contract.clone(), r.kind.clone()))
            .or_default()
            .record(&action(r));
    }
}

/// The derived features of every row of a log, every action paid (the log
/// is what happened).
pub fn derive_log(params: Params, rows: &[LogRow]) -> Vec<[i64; DERIVED_FEATURES]> {
    derive_log_with(params, rows, |_| true)
}

/// The derived features of every row of a log, the rows `paid` says were
/// paid recorded (the others refused: the baselines do not learn them).
pub fn derive_log_with(
    params: Params,
    rows: &[LogRow],
    paid: impl Fn(&LogRow) -> bool,
) -> Vec<[i64; DERIVED_FEATURES]> {
    let mut d = Deriver::new(params);
    rows.iter()
        .map(|r| {
            let f = d.derive(r);
            if paid(r) {
                d.record(r);
            }
            f
        })
        .collect()
}

/// A `Q16` value as its exact decimal (`v / 65536` has at most 16
/// fractional digits), without trailing zeros.
pub fn q16_decimal(v: i64) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    let int = a >> 16;
    // frac / 2^16 = frac * 5^16 / 10^16.
    let frac = (a & 0xffff) as u128 * 152_587_890_625;
    if frac == 0 {
        return format!("{sign}{int}");
    }
    let digits = format!("{frac:016}");
    format!("{sign}{int}.{}", digits.trim_end_matches('0'))
}

/// The inverse of [`q16_decimal`] for any decimal string whose value is a
/// whole number of 2^-16 (`None` otherwise, or for a malformed string).
pub fn decimal_q16_exact(s: &str) -> Option<i64> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty()
        || frac.len() > 16
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let int: i64 = int.parse().ok()?;
    let mut f: u128 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    f *= 10u128.pow(16 - frac.len() as u32);
    // f / 10^16 = k / 2^16  <=>  f = k * 5^16.
    if !f.is_multiple_of(152_587_890_625) {
        return None;
    }
    let v = int.checked_mul(ONE)? + (f / 152_587_890_625) as i64;
    Some(if neg { -v } else { v })
}

/// Writes derived features and labels as the CSV `vigil train` reads
/// ([`DERIVED_NAMES`], then `label`).
pub fn write_features(
    path: &Path,
    features: &[[i64; DERIVED_FEATURES]],
    labels: impl IntoIterator<Item = bool>,
) -> Result<()> {
    let rows: Vec<Vec<String>> = features
        .iter()
        .map(|f| f.iter().map(|&v| q16_decimal(v)).collect())
        .collect();
    crate::data::write_csv(
        path,
        &DERIVED_NAMES,
        "label",
        rows.iter().map(Vec::as_slice).zip(labels),
    )
    .with_context(|| format!("features to {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample_config;
    use super::super::{scenario_log, PricePaths};
    use super::*;

    #[test]
    fn q16_decimals_are_exact_both_ways() {
        for v in [
            0i64,
            1,
            -1,
            ONE,
            -ONE,
            ONE / 2,
            3 * ONE + 5,
            i64::MAX >> 8,
            64 * ONE,
            -(ONE + 1),
        ] {
            let s = q16_decimal(v);
            assert_eq!(decimal_q16_exact(&s), Some(v), "{s}");
            let w = vigil_inference_core::decimal::parse(&s).unwrap();
            assert_eq!(w.to_bits(), (v as i128) << 48, "{s}");
        }
        assert_eq!(q16_decimal(ONE / 2), "0.5");
        assert_eq!(q16_decimal(-ONE), "-1");
        assert_eq!(q16_decimal(1), "0.0000152587890625");
        assert_eq!(decimal_q16_exact("1.0"), Some(ONE));
        assert_eq!(decimal_q16_exact("0.1"), None);
        assert_eq!(decimal_q16_exact("x"), None);
        assert_eq!(decimal_q16_exact("-"), None);
    }

    #[test]
    fn settings_give_the_guards_params() {
        let mut s = ProtectedSettings::with_kinds(vec!["withdraw".into()], "uusd");
        let p = params(&s).unwrap();
        assert_eq!(p.max_rise, (ONE / 8) as u32);
        assert_eq!(p.window_blocks, s.window_blocks);
        s.window_blocks = 0;
        assert!(params(&s).is_err());
    }

    #[test]
    fn attacks_stand_out_after_the_warm_up() {
        let cfg = sample_config();
        let prices = PricePaths::new(&cfg, 4_000);
        let mut s = ProtectedSettings::with_kinds(vec!["withdraw".into()], "uusd");
        s.warmup_windows = 100;
        let p = params(&s).unwrap();
        for i in 0..cfg.attacks.len() {
            let rows = scenario_log(&cfg, &prices, i);
            let f = derive_log(p, &rows);
            assert_eq!(f.len(), rows.len());
            // Deterministic.
            assert_eq!(f, derive_log(p, &rows));
            let mean = |attack: bool, j: usize| {
                let v: Vec<f64> = rows
                    .iter()
                    .zip(&f)
                    .filter(|(r, _)| r.label == attack && r.height >= 1_500)
                    .map(|(_, f)| f[j] as f64 / ONE as f64)
                    .collect();
                v.iter().sum::<f64>() / v.len().max(1) as f64
            };
            // Outflow share of the window: attacks' far above normal.
            assert!(
                mean(true, 1) > 5.0 * mean(false, 1),
                "{}: {} vs {}",
                cfg.attacks[i].name,
                mean(true, 1),
                mean(false, 1)
            );
        }
    }
}
