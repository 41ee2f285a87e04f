//! Host tools only (`float` feature): models with `f64` parameters, their
//! `f64` reference evaluation, and quantisation into a [`ModelSpec`].
//!
//! The reference evaluates exactly the model semantics the integer core
//! implements (including saturation of features and activations to the
//! `I16F16` range), in `f64`. The property tests bound the difference.
use alloc::vec::Vec;

use crate::format::{Activation, Family, LEAF, MAX_DEPTH, MAX_FEATURE_SHIFT};
use crate::preprocess::FeatureTransform;
use crate::spec::{BodySpec, EnsembleSpec, LayerSpec, ModelSpec, Weights};
use crate::tree::Node;
use crate::{Act, Score, Wide};

/// Largest `I16F16` value, as f64.
const ACT_MAX: f64 = 32_767.999_984_741_21;
const ACT_MIN: f64 = -32768.0;

/// One feature's transform with real parameters: clip, optional signed
/// `log1p`, then `(y - mean) / std`.
#[derive(Clone, Debug, PartialEq)]
pub struct FloatFeature {
    /// Lower clip bound.
    pub clip_lo: Option<f64>,
    /// Upper clip bound.
    pub clip_hi: Option<f64>,
    /// Signed `log1p` after clipping.
    pub log1p: bool,
    /// Subtracted after the log.
    pub mean: f64,
    /// Divides after subtracting the mean (must be positive).
    pub std: f64,
}

impl FloatFeature {
    /// Pass-through.
    pub const IDENTITY: FloatFeature = FloatFeature {
        clip_lo: None,
        clip_hi: None,
        log1p: false,
        mean: 0.0,
        std: 1.0,
    };

    /// The reference transform.
    pub fn apply(&self, x: f64) -> f64 {
        let mut y = x;
        if let Some(lo) = self.clip_lo {
            y = y.max(lo);
        }
        if let Some(hi) = self.clip_hi {
            y = y.min(hi);
        }
        if self.log1p {
            y = y.signum() * y.abs().ln_1p();
        }
        ((y - self.mean) / self.std).clamp(ACT_MIN, ACT_MAX)
    }
}

/// A dense layer with real weights, output-major.
#[derive(Clone, Debug, PartialEq)]
pub struct FloatLayer {
    /// `fan_out × fan_in` weights.
    pub weights: Vec<f64>,
    /// One per output.
    pub biases: Vec<f64>,
    /// Activation.
    pub activation: Activation,
}

/// A tree node with real values. `feature == LEAF` marks a leaf.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FloatNode {
    /// Split feature or [`LEAF`].
    pub feature: u16,
    /// Right child (pre-order index).
    pub right: u16,
    /// Threshold (go left when `x <= value`) or leaf value.
    pub value: f64,
    /// Mean output of the subtree.
    pub mean: f64,
}

/// A tree ensemble with real values.
#[derive(Clone, Debug, PartialEq)]
pub struct FloatEnsemble {
    /// GBDT initial logit; isolation-forest `c(psi)`; ignored for forests.
    pub base: f64,
    /// Trees in pre-order.
    pub trees: Vec<Vec<FloatNode>>,
}

/// The family-specific part.
#[derive(Clone, Debug, PartialEq)]
pub enum FloatBody {
    /// Linear or logistic regression (one layer, one output).
    Linear(FloatLayer),
    /// MLP.
    Mlp(Vec<FloatLayer>),
    /// Gradient boosting.
    Gbdt(FloatEnsemble),
    /// Random forest.
    RandomForest(FloatEnsemble),
    /// Isolation forest.
    IsolationForest(FloatEnsemble),
}

/// A model with real parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct FloatModel {
    /// Label threshold in `[0, 1]`.
    pub threshold: f64,
    /// One per raw input.
    pub features: Vec<FloatFeature>,
    /// Family body.
    pub body: FloatBody,
}

/// Quantisation choices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuantizeOptions {
    /// `i16` weights (else `i8`).
    pub wide_weights: bool,
    /// One scale per output neuron (else per layer).
    pub per_channel: bool,
    /// Store tree explanation values.
    pub explain: bool,
}

impl Default for QuantizeOptions {
    fn default() -> Self {
        QuantizeOptions {
            wide_weights: false,
            per_channel: true,
            explain: true,
        }
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn activate(a: Activation, x: f64) -> f64 {
    match a {
        Activation::Identity => x,
        Activation::Relu => x.max(0.0),
        Activation::Sigmoid => sigmoid(x),
        Activation::Tanh => x.tanh(),
        Activation::HardSigmoid => (x / 6.0 + 0.5).clamp(0.0, 1.0),
        Activation::HardTanh => x.clamp(-1.0, 1.0),
    }
}

fn output_score(a: Activation, x: f64) -> f64 {
    match a {
        Activation::Sigmoid => sigmoid(x),
        Activation::HardSigmoid => (x / 6.0 + 0.5).clamp(0.0, 1.0),
        _ => x.clamp(0.0, 1.0),
    }
}

fn forward(l: &FloatLayer, x: &[f64]) -> Vec<f64> {
    let n = x.len();
    l.biases
        .iter()
        .enumerate()
        .map(|(j, b)| {
            let dot: f64 = l.weights[j * n..(j + 1) * n]
                .iter()
                .zip(x)
                .map(|(w, v)| w * v)
                .sum();
            (dot + b).clamp(ACT_MIN, ACT_MAX)
        })
        .collect()
}

fn walk(tree: &[FloatNode], x: &[f64]) -> f64 {
    let mut i = 0;
    for _ in 0..=MAX_DEPTH {
        let n = tree[i];
        if n.feature == LEAF {
            return n.value;
        }
        i = if x[usize::from(n.feature)] <= n.value {
            i + 1
        } else {
            usize::from(n.right)
        };
    }
    tree[i].value
}

impl FloatModel {
    /// The family.
    pub fn family(&self) -> Family {
        match self.body {
            FloatBody::Linear(_) => Family::Linear,
            FloatBody::Mlp(_) => Family::Mlp,
            FloatBody::Gbdt(_) => Family::Gbdt,
            FloatBody::RandomForest(_) => Family::RandomForest,
            FloatBody::IsolationForest(_) => Family::IsolationForest,
        }
    }

    /// Preprocessed features.
    pub fn preprocess(&self, x: &[f64]) -> Vec<f64> {
        self.features
            .iter()
            .zip(x)
            .map(|(f, &v)| f.apply(v))
            .collect()
    }

    /// The reference score in `[0, 1]`.
    pub fn predict(&self, x: &[f64]) -> f64 {
        let z = self.preprocess(x);
        match &self.body {
            FloatBody::Linear(l) => output_score(l.activation, forward(l, &z)[0]),
            FloatBody::Mlp(layers) => {
                let mut h = z;
                let (last, hidden) = layers.split_last().expect("an MLP has layers");
                for l in hidden {
                    h = forward(l, &h)
                        .into_iter()
                        .map(|v| activate(l.activation, v))
                        .collect();
                }
                output_score(last.activation, forward(last, &h)[0])
            }
            FloatBody::Gbdt(e) => {
                sigmoid(e.base + e.trees.iter().map(|t| walk(t, &z)).sum::<f64>())
            }
            FloatBody::RandomForest(e) => (e.trees.iter().map(|t| walk(t, &z)).sum::<f64>()
                / e.trees.len() as f64)
                .clamp(0.0, 1.0),
            FloatBody::IsolationForest(e) => {
                let h = e.trees.iter().map(|t| walk(t, &z)).sum::<f64>() / e.trees.len() as f64;
                (-(h.max(0.0)) / e.base).exp2()
            }
        }
    }

    /// Quantise into an integer spec.
    pub fn quantize(&self, o: &QuantizeOptions) -> ModelSpec {
        let features = self.features.iter().map(quantize_feature).collect();
        let ens = |e: &FloatEnsemble| EnsembleSpec {
            base: act_bits(e.base),
            max_depth: e.trees.iter().map(|t| depth(t, 0)).max().unwrap_or(0),
            explain: o.explain,
            trees: e
                .trees
                .iter()
                .map(|t| {
                    t.iter()
                        .map(|n| {
                            let value = act_bits(n.value);
                            Node {
                                feature: n.feature,
                                right: n.right,
                                value,
                                mean: if n.feature == LEAF {
                                    value
                                } else {
                                    act_bits(n.mean)
                                },
                            }
                        })
                        .collect()
                })
                .collect(),
        };
        let body = match &self.body {
            FloatBody::Linear(l) => BodySpec::Linear(quantize_layer(l, o)),
            FloatBody::Mlp(ls) => BodySpec::Mlp(ls.iter().map(|l| quantize_layer(l, o)).collect()),
            FloatBody::Gbdt(e) => BodySpec::Gbdt(ens(e)),
            FloatBody::RandomForest(e) => BodySpec::RandomForest(ens(e)),
            FloatBody::IsolationForest(e) => BodySpec::IsolationForest(ens(e)),
        };
        ModelSpec {
            threshold: Score::saturating_from_num(self.threshold.clamp(0.0, 1.0)),
            features,
            body,
        }
    }
}

fn depth(t: &[FloatNode], i: usize) -> u8 {
    let n = t[i];
    if n.feature == LEAF {
        0
    } else {
        1 + depth(t, i + 1).max(depth(t, usize::from(n.right)))
    }
}

/// `I16F16` bits of a real value, rounded and saturated.
pub fn act_bits(v: f64) -> i32 {
    Act::saturating_from_num(v).to_bits()
}

/// `(mantissa, shift)` with `mantissa · 2^-shift ≈ s`, shift in
/// `min_shift..=max_shift`, mantissa as large as fits `i32`.
pub fn scale_parts(s: f64, min_shift: u8, max_shift: u8) -> (i32, u8) {
    if s == 0.0 || !s.is_finite() {
        return (0, min_shift.max(1));
    }
    let mut shift = max_shift;
    while shift > min_shift && (s.abs() * (shift as f64).exp2()).round() > i32::MAX as f64 {
        shift -= 1;
    }
    let m = (s * (shift as f64).exp2())
        .round()
        .clamp(i32::MIN as f64, i32::MAX as f64);
    (m as i32, shift)
}

fn quantize_feature(f: &FloatFeature) -> FeatureTransform {
    let inv = 1.0 / f.std;
    let (scale, shift) = scale_parts(inv, 0, MAX_FEATURE_SHIFT);
    FeatureTransform {
        clip_lo: f.clip_lo.map(Wide::saturating_from_num),
        clip_hi: f.clip_hi.map(Wide::saturating_from_num),
        log1p: f.log1p,
        scale,
        shift,
        offset: act_bits(-f.mean * inv),
    }
}

fn quantize_layer(l: &FloatLayer, o: &QuantizeOptions) -> LayerSpec {
    let fan_out = l.biases.len();
    let fan_in = l.weights.len() / fan_out.max(1);
    let qmax = if o.wide_weights {
        i16::MAX as f64
    } else {
        i8::MAX as f64
    };
    let max_abs = |ws: &[f64]| ws.iter().fold(0.0f64, |m, w| m.max(w.abs()));
    let step_of = |m: f64| if m == 0.0 { 1.0 } else { m / qmax };
    let steps: Vec<f64> = if o.per_channel {
        l.weights
            .chunks(fan_in.max(1))
            .map(|row| step_of(max_abs(row)))
            .collect()
    } else {
        alloc::vec![step_of(max_abs(&l.weights))]
    };
    // The stored scale is applied to acc = Σ x_q16 · q, giving Q16 output:
    // real weight = q · step, so the scale is `step`.
    let scales: Vec<(i32, u8)> = steps
        .iter()
        .map(|&s| scale_parts(s, 1, crate::format::MAX_LAYER_SHIFT))
        .collect();
    let q = |k: usize| {
        let step = if o.per_channel {
            steps[k / fan_in.max(1)]
        } else {
            steps[0]
        };
        (l.weights[k] / step).round().clamp(-qmax, qmax)
    };
    let weights = if o.wide_weights {
        Weights::I16((0..l.weights.len()).map(|k| q(k) as i16).collect())
    } else {
        Weights::I8((0..l.weights.len()).map(|k| q(k) as i8).collect())
    };
    LayerSpec {
        weights,
        scales,
        biases: l.biases.iter().map(|&b| act_bits(b)).collect(),
        activation: l.activation,
    }
}

/// `f64` of a score.
pub fn score_f64(s: Score) -> f64 {
    s.to_num()
}

/// `Wide` of an `f64` input (rounded, saturating).
pub fn wide(v: f64) -> Wide {
    Wide::saturating_from_num(v)
}

fn dequantize_layer(l: &LayerSpec) -> FloatLayer {
    let fan_out = l.biases.len().max(1);
    let q: Vec<f64> = match &l.weights {
        Weights::I8(w) => w.iter().map(|&v| f64::from(v)).collect(),
        Weights::I16(w) => w.iter().map(|&v| f64::from(v)).collect(),
    };
    let fan_in = q.len() / fan_out;
    let step = |j: usize| {
        let (m, s) = l.scales[if l.scales.len() == 1 { 0 } else { j }];
        f64::from(m) * (-f64::from(s)).exp2()
    };
    FloatLayer {
        weights: q
            .iter()
            .enumerate()
            .map(|(k, v)| v * step(k / fan_in.max(1)))
            .collect(),
        biases: l.biases.iter().map(|&b| f64::from(b) / 65536.0).collect(),
        activation: l.activation,
    }
}

fn dequantize_ensemble(e: &EnsembleSpec) -> FloatEnsemble {
    FloatEnsemble {
        base: f64::from(e.base) / 65536.0,
        trees: e
            .trees
            .iter()
            .map(|t| {
                t.iter()
                    .map(|n| FloatNode {
                        feature: n.feature,
                        right: n.right,
                        value: f64::from(n.value) / 65536.0,
                        mean: f64::from(n.mean) / 65536.0,
                    })
                    .collect()
            })
            .collect(),
    }
}

impl ModelSpec {
    /// The real-valued model this spec's integers stand for: every stored
    /// parameter converted exactly. The reference for the core's arithmetic
    /// error alone, without quantisation error.
    pub fn dequantize(&self) -> FloatModel {
        let features = self
            .features
            .iter()
            .map(|t| {
                let scale = f64::from(t.scale) * (-f64::from(t.shift)).exp2();
                let std = 1.0 / scale;
                FloatFeature {
                    clip_lo: t.clip_lo.map(|v| v.to_num()),
                    clip_hi: t.clip_hi.map(|v| v.to_num()),
                    log1p: t.log1p,
                    mean: -f64::from(t.offset) / 65536.0 * std,
                    std,
                }
            })
            .collect();
        let body = match &self.body {
            BodySpec::Linear(l) => FloatBody::Linear(dequantize_layer(l)),
            BodySpec::Mlp(ls) => FloatBody::Mlp(ls.iter().map(dequantize_layer).collect()),
            BodySpec::Gbdt(e) => FloatBody::Gbdt(dequantize_ensemble(e)),
            BodySpec::RandomForest(e) => FloatBody::RandomForest(dequantize_ensemble(e)),
            BodySpec::IsolationForest(e) => FloatBody::IsolationForest(dequantize_ensemble(e)),
        };
        FloatModel {
            threshold: self.threshold.to_num(),
            features,
            body,
        }
    }
}
