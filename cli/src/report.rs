//! Shared output: cost figures, side-by-side float/fixed metric tables.
use anyhow::{Context, Result};
use serde::Serialize;
use vigil_inference_core::Model;

use crate::metrics::Metrics;
use crate::quant::{agreement, Agreement, Scored};

/// The cost bound of one inference and the gas it implies.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct CostInfo {
    /// Upper bound on wasm operations per inference.
    pub ops: u64,
    /// Blob size.
    pub model_bytes: u64,
    /// SDK gas of the computation.
    pub compute_sdk_gas: u64,
    /// SDK gas of reading the model from storage.
    pub read_sdk_gas: u64,
    /// Their sum: the model-dependent SDK gas of one guarded inference.
    pub sdk_gas: u64,
}

impl CostInfo {
    /// The figures of a blob.
    pub fn of(blob: &[u8]) -> Result<CostInfo> {
        let m = Model::parse(blob).context("the model blob does not validate")?;
        let c = m.cost();
        Ok(CostInfo {
            ops: c.ops,
            model_bytes: c.model_bytes,
            compute_sdk_gas: c.compute_sdk_gas(),
            read_sdk_gas: c.read_sdk_gas(),
            sdk_gas: c.sdk_gas(),
        })
    }

    /// One line of text.
    pub fn line(&self) -> String {
        format!(
            "cost bound {} wasm ops per inference; SDK gas {} (read {} + compute {})",
            thousands(self.ops),
            thousands(self.sdk_gas),
            thousands(self.read_sdk_gas),
            thousands(self.compute_sdk_gas)
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
        let rows: [(&str, f64, f64); 5] = [
            ("accuracy", s.float.accuracy, s.fixed.accuracy),
            ("f1", s.float.f1, s.fixed.f1),
            ("precision", s.float.precision, s.fixed.precision),
            ("recall", s.float.recall, s.fixed.recall),
            ("auc", s.float.auc, s.fixed.auc),
        ];
        for (name, a, b) in rows {
            println!("    {name:<20} {a:>9.4} {b:>9.4}");
        }
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
        if !ok {
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
        "auc" => s.fixed.auc,
        "agreement" => s.agreement.agreement,
        "max_score_diff" => s.agreement.max_score_diff,
        _ => return None,
    })
}
