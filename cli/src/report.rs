//! Shared output: cost figures, side-by-side float/fixed metric tables.
use anyhow::{Context, Result};
use serde::Serialize;
use vigil_guard::gas::{check_gas, check_message_bytes_for};
use vigil_guard_api::gas::QUOTE_VALUE_CHARS;
use vigil_inference_core::cost::Cost;
use vigil_inference_core::Model;

use crate::metrics::Metrics;
use crate::quant::{agreement, Agreement, Scored};

/// Characters per feature value the quoted `Check` bound assumes when the
/// inputs are not known (the api's `QUOTE_VALUE_CHARS`, as the contract's
/// `Model` and `Cost` answers): longer values add
/// [`CheckGasInfo::per_extra_char`] each.
pub const QUOTED_CHARS_PER_VALUE: usize = QUOTE_VALUE_CHARS;

/// The cost bound of one inference and the gas it implies.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct CostInfo {
    /// Upper bound on wasm operations per inference.
    pub ops: u64,
    /// Upper bound on the same work in cosmwasm-vm's units (115 CosmWasm
    /// gas each; control flow costs 14).
    pub cosmwasm_units: u64,
    /// Blob size.
    pub model_bytes: u64,
    /// The whole `Check` call on the guard, bounded: the one gas figure
    /// (`vigil_guard::gas::check_gas`, wasmd's prices from
    /// `vigil_guard_api::gas`).
    pub check: CheckGasInfo,
}

/// Upper bound on the SDK gas of one `Check` query on the guard
/// (`vigil_guard::gas::check_gas`), for feature values of up to
/// `chars_per_value` characters.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct CheckGasInfo {
    /// Characters per feature value assumed.
    pub chars_per_value: usize,
    /// wasmd's setup of the call (unpinned code).
    pub setup: u64,
    /// Reads of the active record (exact).
    pub storage: u64,
    /// The model's compute and the contract's own work.
    pub compute: u64,
    /// setup + storage + compute.
    pub total: u64,
    /// The same with the code pinned (setup 2,000).
    pub total_pinned: u64,
    /// At most this much more per extra character in every value.
    pub per_extra_char: u64,
}

impl CheckGasInfo {
    /// The bound for a model of cost `cost` taking `n` inputs, with values
    /// of `chars_per_value` characters, on any guard (the largest data
    /// envelope).
    pub fn of(cost: &Cost, n: usize, chars_per_value: usize) -> CheckGasInfo {
        Self::with_envelope(
            cost,
            n,
            chars_per_value,
            vigil_guard::gas::envelope_bytes_bound(n),
        )
    }

    /// [`of`](Self::of) on a guard whose data envelope is `envelope_bytes`
    /// long (0: none).
    pub fn with_envelope(
        cost: &Cost,
        n: usize,
        chars_per_value: usize,
        envelope_bytes: usize,
    ) -> CheckGasInfo {
        let at = |chars, pinned| {
            check_gas(
                cost,
                n,
                check_message_bytes_for(n, chars),
                envelope_bytes,
                pinned,
            )
        };
        let g = at(chars_per_value, false);
        CheckGasInfo {
            chars_per_value,
            setup: g.setup,
            storage: g.storage,
            compute: g.compute,
            total: g.total(),
            total_pinned: at(chars_per_value, true).total(),
            per_extra_char: at(chars_per_value + 1, false).total() - g.total(),
        }
    }

    /// One line of text.
    pub fn line(&self) -> String {
        format!(
            "Check <= {} SDK gas (setup {} + storage {} + compute {}; {} pinned) with values of up to {} characters (+{} per extra character of every value)",
            thousands(self.total),
            thousands(self.setup),
            thousands(self.storage),
            thousands(self.compute),
            thousands(self.total_pinned),
            self.chars_per_value,
            thousands(self.per_extra_char),
        )
    }
}

impl CostInfo {
    /// The figures of a blob.
    pub fn of(blob: &[u8]) -> Result<CostInfo> {
        let m = Model::parse(blob).context("the model blob does not validate")?;
        let c = m.cost();
        Ok(CostInfo {
            ops: c.ops,
            cosmwasm_units: c.cosmwasm_units,
            model_bytes: c.model_bytes,
            check: CheckGasInfo::of(&c, m.n_features(), QUOTED_CHARS_PER_VALUE),
        })
    }

    /// The core's [`Cost`] these figures come from.
    pub fn cost(&self) -> Cost {
        Cost {
            ops: self.ops,
            cosmwasm_units: self.cosmwasm_units,
            model_bytes: self.model_bytes,
        }
    }

    /// One line of text.
    pub fn line(&self) -> String {
        format!(
            "cost bound {} wasm ops per inference; {}",
            thousands(self.ops),
            self.check.line()
        )
    }
}

/// `1234567` as `1,234,567`.
pub fn thousands(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Float and fixed results on one set of rows.
#[derive(Clone, Debug, Serialize)]
pub struct SetReport {
    /// Which rows (`fit`, `validation`, `test`, ...).
    pub name: String,
    /// Metrics of the float model.
    pub float: Metrics,
    /// Metrics of the integer model (what the chain computes).
    pub fixed: Metrics,
    /// Agreement of the two.
    pub agreement: Agreement,
}

impl SetReport {
    /// Compare float and fixed scorings of labelled rows.
    pub fn new(name: &str, float: &Scored, fixed: &Scored, truth: &[bool]) -> SetReport {
        SetReport {
            name: name.to_string(),
            float: Metrics::of(&float.score, &float.label, truth),
            fixed: Metrics::of(&fixed.score, &fixed.label, truth),
            agreement: agreement(fixed, float),
        }
    }
}

/// Print float and fixed metrics side by side.
pub fn print_sets(sets: &[SetReport]) {
    println!("  {:<22} {:>9} {:>9}", "", "float", "fixed");
    for s in sets {
        println!("  {} ({} rows)", s.name, s.fixed.n);
        let rows: [(&str, f64, f64); 4] = [
            ("accuracy", s.float.accuracy, s.fixed.accuracy),
            ("f1", s.float.f1, s.fixed.f1),
            ("precision", s.float.precision, s.fixed.precision),
            ("recall", s.float.recall, s.fixed.recall),
        ];
        for (name, a, b) in rows {
            println!("    {name:<20} {a:>9.4} {b:>9.4}");
        }
        println!(
            "    {:<20} {} {}",
            "auc",
            crate::metrics::fmt_auc(s.float.auc, 9),
            crate::metrics::fmt_auc(s.fixed.auc, 9)
        );
        println!(
            "    {:<20} {:>9.2}%  ({} of {} labels differ; max |score diff| {:.2e})",
            "fixed = float labels",
            100.0 * s.agreement.agreement,
            s.agreement.disagreements,
            s.fixed.n,
            s.agreement.max_score_diff
        );
    }
}

/// Check `KEY=VALUE` requirements (comma-separated or repeated) against
/// figures: each metric must be at least VALUE, except `max_score_diff`,
/// which must be at most VALUE. Fails listing every requirement not met.
pub fn check_requirements(
    reqs: &[String],
    get: impl Fn(&str) -> Option<f64>,
) -> anyhow::Result<()> {
    let mut failed = Vec::new();
    for r in reqs
        .iter()
        .flat_map(|r| r.split(','))
        .filter(|r| !r.is_empty())
    {
        let (key, value) = r.split_once('=').ok_or_else(|| {
            anyhow::anyhow!("--require {r:?}: expected METRIC=VALUE, e.g. f1=0.87")
        })?;
        let want: f64 = value
            .parse()
            .map_err(|_| anyhow::anyhow!("--require {r:?}: {value:?} is not a number"))?;
        let got = get(key).ok_or_else(|| {
            anyhow::anyhow!(
                "--require {r:?}: unknown metric `{key}` (accuracy, f1, precision, recall, auc, agreement, max_score_diff)"
            )
        })?;
        let ok = if key == "max_score_diff" {
            got <= want
        } else {
            got >= want
        };
        if got.is_nan() {
            failed.push(format!(
                "{key} is undefined (the data has one class), required >= {want}"
            ));
        } else if !ok {
            let op = if key == "max_score_diff" { "<=" } else { ">=" };
            failed.push(format!("{key} = {got:.4}, required {op} {want}"));
        }
    }
    if !failed.is_empty() {
        anyhow::bail!("requirements not met: {}", failed.join("; "));
    }
    Ok(())
}

/// The figures `--require` can name, from a float/fixed set report (the
/// fixed model's metrics).
pub fn set_figure(s: &SetReport, key: &str) -> Option<f64> {
    Some(match key {
        "accuracy" => s.fixed.accuracy,
        "f1" => s.fixed.f1,
        "precision" => s.fixed.precision,
        "recall" => s.fixed.recall,
        // Undefined (one class): NaN, which no requirement accepts.
        "auc" => s.fixed.auc.unwrap_or(f64::NAN),
        "agreement" => s.agreement.agreement,
        "max_score_diff" => s.agreement.max_score_diff,
        _ => return None,
    })
}
