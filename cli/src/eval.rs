//! `vigil eval`: score a labelled CSV with a model blob exactly as the
//! chain would (decimal strings → `decimal::parse` → `Model::infer`), and
//! compare with a float reference: the ONNX graph the model was imported
//! from (`--onnx`, evaluated in float from the file's own parameters), or
//! else the `f64` evaluation of the blob's own stored parameters
//! (`ModelSpec::dequantize`), which shows the fixed-point arithmetic's
//! effect but not the quantisation's.
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use vigil_inference_core::{Act, Model};

use crate::chart;
use crate::data::{LabelMode, Table};
use crate::metrics::{fmt_auc, roc_curve, Confusion, Metrics};
use crate::onnx::{check, Imported};
use crate::quant::{agreement, Scored};
use crate::report::{hex, thousands, CostInfo};

/// What `vigil eval` reports (`--json` prints it; the first keys are the
/// fixed model's metrics).
#[derive(Clone, Debug, Serialize)]
pub struct EvalReport {
    /// Accuracy of the fixed-point model.
    pub accuracy: f64,
    /// F1 of the fixed-point model.
    pub f1: f64,
    /// Precision of the fixed-point model.
    pub precision: f64,
    /// Recall of the fixed-point model.
    pub recall: f64,
    /// ROC AUC of the fixed-point scores (`null`: one class, undefined).
    pub auc: Option<f64>,
    /// Fraction of rows where fixed and float labels agree.
    pub agreement: f64,
    /// Rows where they differ.
    pub disagreements: usize,
    /// Largest |fixed score - float score|.
    pub max_score_diff: f64,
    /// Mean |fixed score - float score|.
    pub mean_score_diff: f64,
    /// Confusion matrix of the fixed model.
    pub confusion: Confusion,
    /// Rows scored.
    pub rows: u64,
    /// Metrics of the float evaluation.
    pub float: Metrics,
    /// What the float reference is: `onnx FILE` or `stored parameters`.
    pub reference: String,
    /// 99th percentile of |fixed score - float score|.
    pub p99_score_diff: f64,
    /// Model family.
    pub family: String,
    /// Model threshold.
    pub threshold: f64,
    /// Model checksum, hex.
    pub hash: String,
    /// Cost bound and gas.
    pub cost: CostInfo,
    /// Where the ROC chart was written.
    pub roc_svg: Option<PathBuf>,
}

/// Read a model blob, validating it.
pub fn read_model(path: &Path) -> Result<Vec<u8>> {
    let blob = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Model::parse(&blob).with_context(|| format!("{}: not a valid Vigil model", path.display()))?;
    Ok(blob)
}

/// Evaluate a blob on a labelled table.
pub fn evaluate(
    blob: &[u8],
    table: &Table,
    roc: Option<&Path>,
    progress: bool,
    onnx: Option<&Imported>,
) -> Result<EvalReport> {
    let model = Model::parse(blob)?;
    table.check_features(model.n_features())?;
    let truth = table.labels()?;
    let float_model = model.to_spec().dequantize();
    let bar = if progress {
        let b = ProgressBar::new(table.rows.len() as u64);
        b.set_style(
            ProgressStyle::with_template("  scoring [{bar:30}] {pos}/{len} rows {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    let mut scratch = vec![Act::ZERO; model.scratch_len()];
    let (mut fixed, mut float) = (Scored::default(), Scored::default());
    for r in &table.rows {
        let o = model
            .infer(&r.wide, &mut scratch)
            .with_context(|| format!("{}:{}", table.path.display(), r.line))?;
        fixed.score.push(o.score.to_num());
        fixed.label.push(o.label);
        if onnx.is_none() {
            let s = float_model.predict(&r.x);
            float.score.push(s);
            float.label.push(s >= float_model.threshold);
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let reference = match onnx {
        Some(imp) => {
            if imp.model.features.len() != model.n_features() {
                anyhow::bail!(
                    "the ONNX graph reads {} features, the model {}: not the model's source",
                    imp.model.features.len(),
                    model.n_features()
                );
            }
            float.score = check::reference(imp, &table.rows)?.score;
            // Labels at the blob's threshold (what the chain decides with).
            let t: f64 = model.threshold().to_num();
            float.label = float.score.iter().map(|&s| s >= t).collect();
            format!("the ONNX graph (`{}`)", imp.output)
        }
        None => "the model's stored parameters in f64".to_string(),
    };
    let p99 = {
        let mut d: Vec<f64> = fixed
            .score
            .iter()
            .zip(&float.score)
            .map(|(a, b)| (a - b).abs())
            .collect();
        d.sort_by(f64::total_cmp);
        d.get(((d.len() as f64 * 0.99).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or(0.0)
    };
    let m = Metrics::of(&fixed.score, &fixed.label, &truth);
    let fm = Metrics::of(&float.score, &float.label, &truth);
    let a = agreement(&fixed, &float);
    if let Some(path) = roc {
        let fixed_roc = roc_curve(&fixed.score, &truth);
        let float_roc = roc_curve(&float.score, &truth);
        chart::roc_svg(
            path,
            &format!("ROC: {} model, {} rows", model.family().name(), m.n),
            &[
                ("fixed point (chain)", &fixed_roc, m.auc.unwrap_or(f64::NAN)),
                ("float reference", &float_roc, fm.auc.unwrap_or(f64::NAN)),
            ],
            Some((
                m.confusion.fp as f64 / (m.confusion.fp + m.confusion.tn).max(1) as f64,
                m.confusion.tp as f64 / (m.confusion.tp + m.confusion.fn_).max(1) as f64,
                model.threshold().to_num(),
            )),
        )?;
    }
    Ok(EvalReport {
        accuracy: m.accuracy,
        f1: m.f1,
        precision: m.precision,
        recall: m.recall,
        auc: m.auc,
        agreement: a.agreement,
        disagreements: a.disagreements,
        max_score_diff: a.max_score_diff,
        mean_score_diff: a.mean_score_diff,
        confusion: m.confusion,
        rows: m.n,
        float: fm,
        reference,
        p99_score_diff: p99,
        family: model.family().name().to_string(),
        threshold: model.threshold().to_num(),
        hash: hex(&model.checksum()),
        cost: CostInfo::of(blob)?,
        roc_svg: roc.map(Path::to_path_buf),
    })
}

/// Load the CSV and evaluate.
pub fn run(
    model: &Path,
    data: &Path,
    label: &str,
    roc: Option<&Path>,
    progress: bool,
    onnx: Option<&Imported>,
) -> Result<EvalReport> {
    let blob = read_model(model)?;
    let mut table = Table::load(data, label, LabelMode::Required)?;
    if let Some(note) = crate::names::match_table(&blob, &mut table)? {
        eprintln!("{note}");
    }
    evaluate(&blob, &table, roc, progress, onnx)
}

/// Print a report as text.
pub fn print(r: &EvalReport) {
    println!(
        "{} model (threshold {:.6}) on {} rows",
        r.family, r.threshold, r.rows
    );
    println!("  float reference: {}", r.reference);
    println!("  {:<12} {:>9} {:>9}", "", "fixed", "float");
    for (name, a, b) in [
        ("accuracy", r.accuracy, r.float.accuracy),
        ("f1", r.f1, r.float.f1),
        ("precision", r.precision, r.float.precision),
        ("recall", r.recall, r.float.recall),
    ] {
        println!("  {name:<12} {a:>9.4} {b:>9.4}");
    }
    println!(
        "  {:<12} {} {}",
        "auc",
        fmt_auc(r.auc, 9),
        fmt_auc(r.float.auc, 9)
    );
    println!(
        "  fixed and float labels agree on {:.3}% ({} differ); largest score difference {:.2e} (p99 {:.2e}, mean {:.2e})",
        100.0 * r.agreement,
        r.disagreements,
        r.max_score_diff,
        r.p99_score_diff,
        r.mean_score_diff
    );
    let c = r.confusion;
    println!("  confusion (fixed):       predicted 1  predicted 0");
    println!(
        "    actual 1             {:>11}  {:>11}",
        thousands(c.tp),
        thousands(c.fn_)
    );
    println!(
        "    actual 0             {:>11}  {:>11}",
        thousands(c.fp),
        thousands(c.tn)
    );
    println!("  {} bytes; {}", r.cost.model_bytes, r.cost.line());
    if let Some(p) = &r.roc_svg {
        println!("  ROC chart: {}", p.display());
    }
}
