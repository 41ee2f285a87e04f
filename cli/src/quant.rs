//! Quantisation calibrated on data, and scoring with the integer core and
//! with the `f64` reference.
use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use serde::Serialize;
use vigil_inference_core::float::{FloatBody, FloatLayer, FloatModel, QuantizeOptions};
use vigil_inference_core::format::Activation;
use vigil_inference_core::spec::ModelSpec;
use vigil_inference_core::{Act, Model};

use crate::data::Row;

/// Scores and labels of one model on some rows.
#[derive(Clone, Debug, Default)]
pub struct Scored {
    /// Scores in `[0, 1]`.
    pub score: Vec<f64>,
    /// Labels at the model's threshold.
    pub label: Vec<bool>,
}

/// Score rows with the integer core: `decimal::parse` inputs, `Model::infer`.
pub fn fixed_scores(blob: &[u8], rows: &[Row]) -> Result<Scored> {
    let model = Model::parse(blob).context("the model blob does not validate")?;
    let mut scratch = vec![Act::ZERO; model.scratch_len()];
    let mut out = Scored::default();
    for r in rows {
        let o = model
            .infer(&r.wide, &mut scratch)
            .with_context(|| format!("line {}", r.line))?;
        out.score.push(o.score.to_num());
        out.label.push(o.label);
    }
    Ok(out)
}

/// Score rows with the `f64` reference on `f64` inputs.
pub fn float_scores(model: &FloatModel, rows: &[Row]) -> Scored {
    let score: Vec<f64> = rows.iter().map(|r| model.predict(&r.x)).collect();
    let label = score.iter().map(|&s| s >= model.threshold).collect();
    Scored { score, label }
}

/// How two models' outputs compare on the same rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Agreement {
    /// Fraction of rows with the same label.
    pub agreement: f64,
    /// Rows whose labels differ.
    pub disagreements: usize,
    /// Largest |score difference|.
    pub max_score_diff: f64,
    /// Mean |score difference|.
    pub mean_score_diff: f64,
}

/// Compare two scorings of the same rows.
pub fn agreement(a: &Scored, b: &Scored) -> Agreement {
    let n = a.score.len().max(1) as f64;
    let disagreements = a.label.iter().zip(&b.label).filter(|(x, y)| x != y).count();
    let diffs = a.score.iter().zip(&b.score).map(|(x, y)| (x - y).abs());
    let (max, sum) = diffs.fold((0.0f64, 0.0), |(m, s), d| (m.max(d), s + d));
    Agreement {
        agreement: 1.0 - disagreements as f64 / n,
        disagreements,
        max_score_diff: max,
        mean_score_diff: sum / n,
    }
}

/// Weight width of dense layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WeightChoice {
    /// The smallest that meets the agreement targets on the calibration rows.
    Auto,
    /// `i8` weights, per-channel scales.
    I8,
    /// `i16` weights, per-channel scales.
    I16,
}

/// Targets for [`WeightChoice::Auto`].
#[derive(Clone, Copy, Debug)]
pub struct Targets {
    /// Smallest label agreement with the float model.
    pub min_agreement: f64,
    /// Largest score difference.
    pub max_score_diff: f64,
}

impl Default for Targets {
    fn default() -> Self {
        Targets {
            min_agreement: 0.999,
            max_score_diff: 0.02,
        }
    }
}

/// One quantisation tried.
#[derive(Clone, Debug, Serialize)]
pub struct Candidate {
    /// What it was (`i8`, `i16`, `trees`).
    pub name: String,
    /// Blob size.
    pub bytes: usize,
    /// Agreement with the float model on the calibration rows.
    pub agreement: Agreement,
}

/// The chosen quantisation.
#[derive(Clone, Debug)]
pub struct Quantized {
    /// The integer model.
    pub spec: ModelSpec,
    /// Its blob.
    pub blob: Vec<u8>,
    /// Options used.
    pub options: QuantizeOptions,
    /// Every candidate tried, the chosen one first.
    pub candidates: Vec<Candidate>,
    /// Largest |pre-activation| per dense layer on the calibration rows.
    pub layer_ranges: Vec<f64>,
    /// Largest |preprocessed feature| on the calibration rows.
    pub feature_range: f64,
}

const ACT_LIMIT: f64 = 32_767.0;

fn forward_ranges(layers: &[FloatLayer], z: &[f64], ranges: &mut [f64]) {
    let mut h = z.to_vec();
    for (k, l) in layers.iter().enumerate() {
        let n = h.len();
        let mut next = Vec::with_capacity(l.biases.len());
        for (j, b) in l.biases.iter().enumerate() {
            let s: f64 = l.weights[j * n..(j + 1) * n]
                .iter()
                .zip(&h)
                .map(|(w, x)| w * x)
                .sum::<f64>()
                + b;
            ranges[k] = ranges[k].max(s.abs());
            next.push(match l.activation {
                Activation::Relu => s.max(0.0),
                Activation::Sigmoid => 1.0 / (1.0 + (-s).exp()),
                Activation::Tanh => s.tanh(),
                Activation::HardSigmoid => (s / 6.0 + 0.5).clamp(0.0, 1.0),
                Activation::HardTanh => s.clamp(-1.0, 1.0),
                Activation::Identity => s,
            });
        }
        h = next;
    }
}

fn build(model: &FloatModel, options: QuantizeOptions) -> Result<(ModelSpec, Vec<u8>)> {
    let spec = model.quantize(&options);
    let blob = spec
        .to_bytes()
        .map_err(|e| anyhow::anyhow!("the quantised model does not serialise: {e}"))?;
    Ok((spec, blob))
}

/// Quantise `model`, checking on `calib` rows that no feature or
/// pre-activation saturates the `I16F16` range, and choosing the weight
/// width by agreement with the float model.
pub fn quantize(
    model: &FloatModel,
    calib: &[Row],
    choice: WeightChoice,
    targets: &Targets,
) -> Result<Quantized> {
    let float = float_scores(model, calib);
    let mut feature_range = 0.0f64;
    for r in calib {
        for v in model.preprocess(&r.x) {
            feature_range = feature_range.max(v.abs());
        }
    }
    let dense = matches!(model.body, FloatBody::Linear(_) | FloatBody::Mlp(_));
    // Trees compare features with thresholds inside the range, so inputs
    // that saturate still branch correctly; dense layers would see a wrong
    // value.
    if dense && feature_range > ACT_LIMIT {
        bail!(
            "a preprocessed feature reaches {feature_range:.1} on the calibration data; the core saturates at 32768 (use --log1p all)"
        );
    }
    let layers: Option<Vec<FloatLayer>> = match &model.body {
        FloatBody::Linear(l) => Some(vec![l.clone()]),
        FloatBody::Mlp(ls) => Some(ls.clone()),
        _ => None,
    };
    let mut layer_ranges = Vec::new();
    if let Some(layers) = &layers {
        layer_ranges = vec![0.0; layers.len()];
        for r in calib {
            forward_ranges(layers, &model.preprocess(&r.x), &mut layer_ranges);
        }
        if let Some((k, v)) = layer_ranges
            .iter()
            .enumerate()
            .find(|(_, &v)| v > ACT_LIMIT)
        {
            bail!("layer {k} pre-activations reach {v:.1} on the calibration data; the core saturates at 32768");
        }
    }
    let mut tried = Vec::new();
    let kinds: Vec<(bool, &str)> = match (layers.is_some(), choice) {
        (false, _) => vec![(false, "trees")],
        (true, WeightChoice::I8) => vec![(false, "i8")],
        (true, WeightChoice::I16) => vec![(true, "i16")],
        (true, WeightChoice::Auto) => vec![(false, "i8"), (true, "i16")],
    };
    let mut chosen = None;
    for (wide, name) in kinds {
        let options = QuantizeOptions {
            wide_weights: wide,
            per_channel: true,
            explain: true,
        };
        let (spec, blob) = build(model, options)?;
        let a = agreement(&fixed_scores(&blob, calib)?, &float);
        tried.push(Candidate {
            name: name.to_string(),
            bytes: blob.len(),
            agreement: a,
        });
        let ok = a.agreement >= targets.min_agreement && a.max_score_diff <= targets.max_score_diff;
        // The last candidate is the most precise: it stands if none meets
        // the targets.
        chosen = Some((spec, blob, options, tried.len() - 1));
        if ok {
            break;
        }
    }
    let (spec, blob, options, at) = chosen.context("no quantisation candidate")?;
    let first = tried.remove(at);
    tried.insert(0, first);
    Ok(Quantized {
        spec,
        blob,
        options,
        candidates: tried,
        layer_ranges,
        feature_range,
    })
}
