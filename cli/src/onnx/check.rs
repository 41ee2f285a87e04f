//! Exact or refuse: the quantised model, run by the core's fixed-point
//! inference, against the float reference of the ONNX graph
//! ([`Imported::reference_scores`]), on the user's rows or on rows
//! generated across each feature's range. `vigil import` writes nothing
//! when a label differs or a score differs by more than the bound (unless
//! the user accepts the loss), and names the layer or feature at fault.
use anyhow::{Context, Result};
use serde::Serialize;
use vigil_inference_core::float::{FloatBody, FloatModel};
use vigil_inference_core::preprocess::FeatureTransform;
use vigil_inference_core::spec::ModelSpec;
use vigil_inference_core::Wide;

use super::Imported;
use crate::data::Row;
use crate::quant::{fixed_scores, Scored};
use crate::rng::Rng;

/// Default bound on |fixed score - ONNX score|.
pub const DEFAULT_MAX_SCORE_DIFF: f64 = 1e-3;

/// A row whose reference score is this close to the threshold is a tie:
/// its label depends on the last bit of rounding (a random forest of ten
/// trees scores exactly 1/2 on many rows), and a different label there is
/// reported but does not refuse the import.
pub const TIE: f64 = 1e-4;

/// Rows generated when no data is given.
pub const GENERATED_ROWS: usize = 2000;

/// How the imported model compares with the ONNX graph.
#[derive(Clone, Debug, Serialize)]
pub struct Exactness {
    /// Where the rows came from.
    pub rows_from: String,
    /// Rows compared.
    pub rows: usize,
    /// Fraction of rows whose labels agree.
    pub labels_agree: f64,
    /// Rows whose labels differ, ties excluded.
    pub label_disagreements: usize,
    /// Rows whose labels differ with the reference score within [`TIE`]
    /// of the threshold.
    pub ties: usize,
    /// Largest |fixed score - ONNX score|.
    pub max_score_diff: f64,
    /// 99th percentile of |fixed score - ONNX score|.
    pub p99_score_diff: f64,
    /// The row (1-based line for data rows, index for generated rows) of
    /// the largest difference.
    pub worst_row: usize,
    /// The bound on the score difference.
    pub bound: f64,
    /// What the differences come from, most responsible first.
    pub faults: Vec<String>,
}

impl Exactness {
    /// Every label agrees and every score is within the bound.
    pub fn passed(&self) -> bool {
        self.label_disagreements == 0 && self.max_score_diff <= self.bound
    }

    /// One line.
    pub fn line(&self) -> String {
        format!(
            "against the ONNX graph on {} rows ({}): labels agree {:.3}% ({} differ{}), max |score diff| {:.2e}, p99 {:.2e} (bound {:.0e})",
            self.rows,
            self.rows_from,
            100.0 * self.labels_agree,
            self.label_disagreements,
            if self.ties > 0 {
                format!(
                    "; {} more at the threshold, |score - threshold| <= {TIE:.0e}, decided by rounding",
                    self.ties
                )
            } else {
                String::new()
            },
            self.max_score_diff,
            self.p99_score_diff,
            self.bound
        )
    }
}

/// Score `rows` with the reference; labels at the model's threshold.
pub fn reference(imp: &Imported, rows: &[Row]) -> Result<Scored> {
    let x: Vec<Vec<f64>> = rows.iter().map(|r| r.x.clone()).collect();
    let score = imp.reference_scores(&x)?;
    let label = score.iter().map(|&s| s >= imp.model.threshold).collect();
    Ok(Scored { score, label })
}

/// Compare the blob with the ONNX graph on `rows`.
pub fn check(
    imp: &Imported,
    blob: &[u8],
    rows: &[Row],
    rows_from: &str,
    bound: f64,
) -> Result<Exactness> {
    let fixed = fixed_scores(blob, rows)?;
    let reference = reference(imp, rows)?;
    compare(imp, blob, rows, rows_from, bound, &fixed, &reference)
}

/// Compare scorings already made.
pub fn compare(
    imp: &Imported,
    blob: &[u8],
    rows: &[Row],
    rows_from: &str,
    bound: f64,
    fixed: &Scored,
    reference: &Scored,
) -> Result<Exactness> {
    let diffs: Vec<f64> = fixed
        .score
        .iter()
        .zip(&reference.score)
        .map(|(a, b)| (a - b).abs())
        .collect();
    let differ: Vec<usize> = (0..rows.len())
        .filter(|&i| fixed.label[i] != reference.label[i])
        .collect();
    let is_tie = |i: usize| (reference.score[i] - imp.model.threshold).abs() <= TIE;
    let ties = differ.iter().filter(|&&i| is_tie(i)).count();
    let disagree = differ.len() - ties;
    let (worst, max) = diffs
        .iter()
        .enumerate()
        .fold((0, 0.0f64), |(w, m), (i, &d)| {
            if d > m || d.is_nan() {
                (i, d)
            } else {
                (w, m)
            }
        });
    let mut sorted = diffs.clone();
    sorted.sort_by(f64::total_cmp);
    let p99 = sorted
        .get(((sorted.len() as f64 * 0.99).ceil() as usize).saturating_sub(1))
        .copied()
        .unwrap_or(0.0);
    let n = rows.len().max(1) as f64;
    let mut e = Exactness {
        rows_from: rows_from.to_string(),
        rows: rows.len(),
        labels_agree: 1.0 - differ.len() as f64 / n,
        label_disagreements: disagree,
        ties,
        max_score_diff: max,
        p99_score_diff: p99,
        worst_row: rows.get(worst).map_or(0, |r| r.line),
        bound,
        faults: Vec::new(),
    };
    if !e.passed() {
        let bad: Vec<usize> = (0..rows.len())
            .filter(|&i| (fixed.label[i] != reference.label[i] && !is_tie(i)) || diffs[i] > bound)
            .collect();
        e.faults = diagnose(imp, blob, rows, &bad, reference)
            .unwrap_or_else(|err| vec![format!("(no diagnosis: {err:#})")]);
    }
    Ok(e)
}

/// The input step the stored transform of `f` resolves near `x` (input
/// units): the `I16F16` step of the preprocessed feature, and for a
/// `log1p` feature the core's logarithm's own step (2^-24 of a binary
/// logarithm) too.
pub fn resolution(f: &vigil_inference_core::float::FloatFeature, x: f64) -> f64 {
    if f.log1p {
        (1.0 + x.abs()) * (f.std / 65536.0 + 2f64.powi(-24) * std::f64::consts::LN_2)
    } else {
        f.std / 65536.0
    }
}

fn feature_name(j: usize) -> String {
    format!("input column {j}")
}

/// What the differences on the `bad` rows come from.
fn diagnose(
    imp: &Imported,
    blob: &[u8],
    rows: &[Row],
    bad: &[usize],
    reference: &Scored,
) -> Result<Vec<String>> {
    let spec = vigil_inference_core::Model::parse(blob)
        .context("the blob does not parse")?
        .to_spec();
    let mut out = Vec::new();
    let float = &imp.model;
    // Saturation of a preprocessed feature (the core clamps to ±32768).
    let n = float.features.len();
    let mut saturated = vec![0usize; n];
    for &i in bad {
        for (j, t) in spec.features.iter().enumerate() {
            if let Some(w) = rows[i].wide.get(j) {
                let b = t.apply(*w).to_bits();
                if b == i32::MAX || b == i32::MIN {
                    saturated[j] += 1;
                }
            }
        }
    }
    let dense = matches!(float.body, FloatBody::Linear(_) | FloatBody::Mlp(_));
    if dense {
        for (j, &k) in saturated.iter().enumerate() {
            if k > 0 {
                out.push(format!(
                    "{}: its preprocessed value saturates the core's range (±32768) on {k} of the {} rows that differ",
                    feature_name(j),
                    bad.len()
                ));
            }
        }
        // Which quantised part moves the score most: each layer (and the
        // feature transforms) swapped in alone.
        let deq = spec.dequantize();
        let base: Vec<f64> = bad.iter().map(|&i| float.predict(&rows[i].x)).collect();
        let own = bad
            .iter()
            .zip(&base)
            .map(|(&i, s)| (s - reference.score[i]).abs())
            .fold(0.0f64, f64::max);
        if own > 1e-4 {
            out.push(format!(
                "the imported model before quantisation already differs from the graph by {own:.2e}: the graph is not what import recognised (please report it)"
            ));
        }
        let effect = |m: &FloatModel| {
            bad.iter()
                .zip(&base)
                .map(|(&i, s)| (m.predict(&rows[i].x) - s).abs())
                .fold(0.0f64, f64::max)
        };
        let mut parts: Vec<(f64, String)> = Vec::new();
        let mut m = float.clone();
        m.features = deq.features.clone();
        parts.push((
            effect(&m),
            "the input preprocessing (clip, log1p, standardisation)".into(),
        ));
        let layers = |b: &FloatBody| match b {
            FloatBody::Linear(l) => vec![l.clone()],
            FloatBody::Mlp(ls) => ls.clone(),
            _ => Vec::new(),
        };
        let (fl, ql) = (layers(&float.body), layers(&deq.body));
        for k in 0..fl.len().min(ql.len()) {
            let mut ls = fl.clone();
            ls[k] = ql[k].clone();
            let mut m = float.clone();
            m.body = if ls.len() == 1 {
                FloatBody::Linear(ls.remove(0))
            } else {
                FloatBody::Mlp(ls)
            };
            let node = imp
                .layer_nodes
                .get(k)
                .map_or(String::new(), |s| format!(" (ONNX node `{s}`)"));
            let (lo, hi) = fl[k]
                .weights
                .iter()
                .filter(|w| **w != 0.0)
                .fold((f64::INFINITY, 0.0f64), |(lo, hi), w| {
                    (lo.min(w.abs()), hi.max(w.abs()))
                });
            parts.push((
                effect(&m),
                format!("layer {k}{node}: its weights (|w| from {lo:.2e} to {hi:.2e}) lose resolution when quantised"),
            ));
        }
        parts.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (d, what) in parts.into_iter().filter(|(d, _)| *d > 1e-6).take(2) {
            out.push(format!("{what}; alone it moves the score by up to {d:.2e}"));
        }
    } else {
        // Trees: which feature's splits the core decides differently.
        let mut wrong: Vec<(usize, usize, f64)> = Vec::new(); // (feature, rows, threshold)
        for (j, splits) in imp.splits.iter().enumerate() {
            let t: &FeatureTransform = match spec.features.get(j) {
                Some(t) => t,
                None => continue,
            };
            let mut count = 0;
            let mut at = 0.0;
            for &i in bad {
                let (Some(&x), Some(&w)) = (rows[i].x.get(j), rows[i].wide.get(j)) else {
                    continue;
                };
                let x32 = f64::from(x as f32);
                let z = t.apply(w).to_bits();
                if let Some(s) = splits.iter().find(|s| {
                    let exact = if s.strict {
                        x32 < s.threshold
                    } else {
                        x32 <= s.threshold
                    };
                    exact != (z <= s.bits)
                }) {
                    count += 1;
                    at = s.threshold;
                }
            }
            if count > 0 {
                wrong.push((j, count, at));
            }
        }
        wrong.sort_by_key(|w| std::cmp::Reverse(w.1));
        for (j, count, at) in wrong.into_iter().take(3) {
            let f = &float.features[j];
            let res = resolution(f, at);
            out.push(format!(
                "{}: the core decides {count} of the {} differing rows on the other side of a split (e.g. the threshold {at:.6e}); the stored transform resolves steps of about {res:.2e} there",
                feature_name(j),
                bad.len()
            ));
        }
        for (j, &k) in saturated.iter().enumerate() {
            if k > 0 && imp.splits.get(j).is_some_and(|s| !s.is_empty()) {
                out.push(format!(
                    "{}: saturates on {k} differing rows (values beyond the stored range)",
                    feature_name(j)
                ));
            }
        }
    }
    if out.is_empty() {
        out.push("no single layer or feature explains it: the differences come from the fixed-point arithmetic as a whole".into());
    }
    Ok(out)
}

/// Rows across each feature's range when the user gives no data: between
/// and beyond every tree threshold, and close to thresholds (where a
/// coarse transform decides wrongly); for dense models, within ±4 of each
/// standardised input. Values are `f32`-exact, so the graph (which reads
/// `f32`) and the core (which reads the exact decimal) see the same number.
pub fn generated_rows(imp: &Imported, n: usize, seed: u64) -> Vec<Row> {
    let mut rng = Rng::new(seed);
    let features = &imp.model.features;
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let mut x = Vec::with_capacity(features.len());
        for (j, f) in features.iter().enumerate() {
            let splits = imp.splits.get(j).map_or(&[][..], Vec::as_slice);
            let v = if !splits.is_empty() {
                let (lo, hi) = splits
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), s| {
                        (l.min(s.threshold), h.max(s.threshold))
                    });
                let span = (hi - lo).max(hi.abs().max(lo.abs()) * 0.1).max(1e-3);
                match rng.below(3) {
                    0 => rng.range(lo - 0.1 * span, hi + 0.1 * span),
                    1 => {
                        // Close to a threshold, but beyond the transform's
                        // stated resolution (inside it, the core's rounding
                        // decides, as f32 rounding does in onnxruntime).
                        let t = splits[rng.below(splits.len() as u64) as usize].threshold;
                        let near = 4.0 * resolution(f, t);
                        let far = (1e-4 * t.abs().max(1e-2)).max(2.0 * near);
                        let d = near + rng.unit() * (far - near);
                        if rng.below(2) == 0 {
                            t + d
                        } else {
                            t - d
                        }
                    }
                    _ => {
                        // Log-uniform over the magnitudes the thresholds span.
                        let a = lo.abs().max(hi.abs()).max(1e-6);
                        // From the smallest threshold magnitude the
                        // transform resolves: LightGBM's "zero" splits at
                        // ±1e-35 would otherwise give inputs like -2e-33,
                        // inside the resolution of the threshold.
                        let b = splits
                            .iter()
                            .map(|s| s.threshold.abs())
                            .filter(|&t| t > 64.0 * resolution(f, t))
                            .fold(a, f64::min);
                        let m = (b.ln() + rng.unit() * (a.ln() - b.ln())).exp();
                        if lo < 0.0 && rng.below(2) == 0 {
                            -m
                        } else {
                            m
                        }
                    }
                }
            } else if imp.splits.is_empty() {
                // ±4 in the standardised units, back through the log1p.
                let y = f.mean + f.std * rng.range(-4.0, 4.0);
                if f.log1p {
                    y.signum() * y.abs().exp_m1()
                } else {
                    y
                }
            } else {
                rng.range(-1.0, 1.0)
            };
            x.push(f64::from(v as f32));
        }
        rows.push(Row {
            line: i,
            raw: x.iter().map(|v| format!("{v}")).collect(),
            wide: x.iter().map(|&v| Wide::saturating_from_num(v)).collect(),
            x,
            label: None,
        });
    }
    rows
}

/// The spec quantised from an imported model (for the no-data path).
pub fn spec_of(imp: &Imported, wide_weights: bool) -> ModelSpec {
    imp.model
        .quantize(&vigil_inference_core::float::QuantizeOptions {
            wide_weights,
            per_channel: true,
            explain: true,
        })
}
