//! Owned model descriptions (`alloc`): build a blob from integer
//! parameters, and read a parsed model back into one.
//!
//! [`ModelSpec::to_bytes`] writes the format and then runs
//! [`Model::parse`] on the result, so a spec that serialises is a valid model.
use alloc::vec::Vec;

use sha2::{Digest, Sha256};

use crate::dense::Layer;
use crate::format::{Activation, Family, WeightKind, FLAG_EXPLAIN, HEADER_LEN, MAGIC, VERSION};
use crate::model::Body;
use crate::preprocess::FeatureTransform;
use crate::tree::Node;
use crate::{FormatError, Model, Score};

/// Stored weights of one layer, row-major by output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Weights {
    /// One byte each.
    I8(Vec<i8>),
    /// Two bytes each.
    I16(Vec<i16>),
}

impl Weights {
    fn kind(&self) -> WeightKind {
        match self {
            Weights::I8(_) => WeightKind::I8,
            Weights::I16(_) => WeightKind::I16,
        }
    }
}

/// One dense layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerSpec {
    /// `fan_out × fan_in` weights, output-major.
    pub weights: Weights,
    /// One `(mantissa, shift)` for the layer, or one per output.
    pub scales: Vec<(i32, u8)>,
    /// One bias per output, `I16F16` bits.
    pub biases: Vec<i32>,
    /// Activation.
    pub activation: Activation,
}

/// One tree ensemble.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnsembleSpec {
    /// GBDT initial logit, isolation-forest `c(psi)`, or 0, `I16F16` bits.
    pub base: i32,
    /// Declared maximum depth.
    pub max_depth: u8,
    /// Store explanation values (`Node::mean`).
    pub explain: bool,
    /// Trees in pre-order.
    pub trees: Vec<Vec<Node>>,
}

/// The family-specific part of a spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BodySpec {
    /// Linear or logistic regression: one layer with one output.
    Linear(LayerSpec),
    /// An MLP.
    Mlp(Vec<LayerSpec>),
    /// Gradient-boosted trees.
    Gbdt(EnsembleSpec),
    /// Random forest.
    RandomForest(EnsembleSpec),
    /// Isolation forest.
    IsolationForest(EnsembleSpec),
}

impl BodySpec {
    /// The family it encodes.
    pub fn family(&self) -> Family {
        match self {
            BodySpec::Linear(_) => Family::Linear,
            BodySpec::Mlp(_) => Family::Mlp,
            BodySpec::Gbdt(_) => Family::Gbdt,
            BodySpec::RandomForest(_) => Family::RandomForest,
            BodySpec::IsolationForest(_) => Family::IsolationForest,
        }
    }
}

/// A whole model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelSpec {
    /// Label threshold.
    pub threshold: Score,
    /// One transform per raw input.
    pub features: Vec<FeatureTransform>,
    /// Family body.
    pub body: BodySpec,
}

fn put_layer(out: &mut Vec<u8>, l: &LayerSpec) {
    out.extend_from_slice(&(l.biases.len() as u16).to_le_bytes());
    out.push(l.weights.kind() as u8);
    out.push(l.activation as u8);
    out.push(u8::from(l.scales.len() != 1));
    for &(m, s) in &l.scales {
        out.extend_from_slice(&m.to_le_bytes());
        out.push(s);
    }
    for b in &l.biases {
        out.extend_from_slice(&b.to_le_bytes());
    }
    match &l.weights {
        Weights::I8(w) => out.extend(w.iter().map(|&v| v as u8)),
        Weights::I16(w) => {
            for v in w {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
    }
}

fn put_ensemble(out: &mut Vec<u8>, e: &EnsembleSpec) {
    out.extend_from_slice(&(e.trees.len() as u16).to_le_bytes());
    out.push(e.max_depth);
    out.push(0);
    out.extend_from_slice(&e.base.to_le_bytes());
    for t in &e.trees {
        out.extend_from_slice(&(t.len() as u16).to_le_bytes());
    }
    for n in e.trees.iter().flatten() {
        out.extend_from_slice(&n.feature.to_le_bytes());
        out.extend_from_slice(&n.right.to_le_bytes());
        out.extend_from_slice(&n.value.to_le_bytes());
        if e.explain {
            out.extend_from_slice(&n.mean.to_le_bytes());
        }
    }
}

impl ModelSpec {
    /// Serialise and validate. Lengths that do not fit their fields, and
    /// every rule [`Model::parse`] checks, give a [`FormatError`].
    pub fn to_bytes(&self) -> Result<Vec<u8>, FormatError> {
        let mut payload = Vec::new();
        for f in &self.features {
            f.write(&mut payload);
        }
        let mut explain = false;
        match &self.body {
            BodySpec::Linear(l) => {
                payload.push(1);
                put_layer(&mut payload, l);
            }
            BodySpec::Mlp(layers) => {
                payload.push(u8::try_from(layers.len()).unwrap_or(0));
                for l in layers {
                    put_layer(&mut payload, l);
                }
            }
            BodySpec::Gbdt(e) | BodySpec::RandomForest(e) | BodySpec::IsolationForest(e) => {
                explain = e.explain;
                put_ensemble(&mut payload, e);
            }
        }
        let n_features = u16::try_from(self.features.len()).map_err(|_| FormatError::NoFeatures)?;
        let payload_len = u32::try_from(payload.len()).map_err(|_| FormatError::PayloadLength {
            declared: u32::MAX,
            actual: payload.len(),
        })?;
        let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.push(self.body.family() as u8);
        out.push(if explain { FLAG_EXPLAIN } else { 0 });
        out.extend_from_slice(&n_features.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&self.threshold.to_bits().to_le_bytes());
        out.extend_from_slice(&payload_len.to_le_bytes());
        out.extend_from_slice(&Sha256::digest(&payload));
        out.extend_from_slice(&payload);
        Model::parse(&out)?;
        Ok(out)
    }
}

fn layer_spec(l: &Layer<'_>) -> LayerSpec {
    let n = l.fan_in * l.fan_out;
    let weights = match l.weight_kind {
        Some(WeightKind::I16) => Weights::I16(
            (0..n)
                .map(|k| l.weight(k / l.fan_in, k % l.fan_in) as i16)
                .collect(),
        ),
        _ => Weights::I8(
            (0..n)
                .map(|k| l.weight(k / l.fan_in, k % l.fan_in) as i8)
                .collect(),
        ),
    };
    let n_scales = if l.per_channel { l.fan_out } else { 1 };
    LayerSpec {
        weights,
        scales: (0..n_scales).map(|j| l.scale(j)).collect(),
        biases: (0..l.fan_out).map(|j| l.bias(j)).collect(),
        activation: l.activation.unwrap_or(Activation::Identity),
    }
}

impl Model<'_> {
    /// Read the model back into an owned spec (`to_bytes` of the result
    /// reproduces the blob).
    pub fn to_spec(&self) -> ModelSpec {
        let body = match self.body() {
            Body::Dense(layers) => {
                let specs: Vec<LayerSpec> = layers.as_slice().iter().map(layer_spec).collect();
                if self.family() == Family::Linear {
                    BodySpec::Linear(specs.into_iter().next().unwrap_or(LayerSpec {
                        weights: Weights::I8(Vec::new()),
                        scales: Vec::new(),
                        biases: Vec::new(),
                        activation: Activation::Identity,
                    }))
                } else {
                    BodySpec::Mlp(specs)
                }
            }
            Body::Trees(e) => {
                let spec = EnsembleSpec {
                    base: e.base,
                    max_depth: e.max_depth,
                    explain: e.explain,
                    trees: e
                        .trees()
                        .map(|t| (0..t.len()).map(|i| t.node(i)).collect())
                        .collect(),
                };
                match self.family() {
                    Family::Gbdt => BodySpec::Gbdt(spec),
                    Family::RandomForest => BodySpec::RandomForest(spec),
                    _ => BodySpec::IsolationForest(spec),
                }
            }
        };
        ModelSpec {
            threshold: self.threshold(),
            features: self.feature_transforms().collect(),
            body,
        }
    }
}
