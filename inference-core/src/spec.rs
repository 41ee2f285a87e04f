//! Owned model descriptions (`alloc`): build a blob from integer
//! parameters, and read a parsed model back into one.
//!
//! [`ModelSpec::to_bytes`] checks every length against the shapes, writes
//! the format, and then runs [`Model::parse`] on the result, so a spec that
//! serialises is a valid model, and the model it describes.
use alloc::string::String;
use alloc::vec::Vec;

use crate::dense::Layer;
use crate::format::{
    self, Activation, Family, WeightKind, CHECKSUM, FLAG_EXPLAIN, FLAG_METADATA, HEADER_LEN, MAGIC,
    VERSION,
};
use crate::metadata::{META_LABELS, META_UNITS};
use crate::model::Body;
use crate::preprocess::FeatureTransform;
use crate::tree::Node;
use crate::{FormatError, Model, Score};

/// Why a spec does not serialise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecError {
    /// A layer's weight count is not `fan_in × fan_out` (`fan_out` is the
    /// bias count, `fan_in` the previous layer's `fan_out` or the feature
    /// count).
    WeightCount {
        /// The layer.
        layer: usize,
        /// `fan_in × fan_out`.
        expected: usize,
        /// Weights given.
        got: usize,
    },
    /// A layer's scale count is neither 1 nor its output count.
    ScaleCount {
        /// The layer.
        layer: usize,
        /// Scales given.
        got: usize,
    },
    /// A count does not fit its field (features, layer width, layers, trees,
    /// nodes per tree: at most 65,535; payload below 4 GiB).
    TooLarge,
    /// The bytes written fail validation.
    Invalid(FormatError),
}

impl From<FormatError> for SpecError {
    fn from(e: FormatError) -> Self {
        SpecError::Invalid(e)
    }
}

impl core::fmt::Display for SpecError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SpecError::WeightCount {
                layer,
                expected,
                got,
            } => write!(f, "layer {layer}: {got} weights given, {expected} expected"),
            SpecError::ScaleCount { layer, got } => {
                write!(
                    f,
                    "layer {layer}: {got} scales given, 1 or one per output expected"
                )
            }
            SpecError::TooLarge => f.write_str("a count does not fit its field in the format"),
            SpecError::Invalid(e) => write!(f, "invalid model: {e}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for SpecError {}

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

    /// Number of weights.
    pub fn len(&self) -> usize {
        match self {
            Weights::I8(w) => w.len(),
            Weights::I16(w) => w.len(),
        }
    }

    /// No weights.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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

fn u16_len(n: usize) -> Result<[u8; 2], SpecError> {
    u16::try_from(n)
        .map(u16::to_le_bytes)
        .map_err(|_| SpecError::TooLarge)
}

fn put_layer(
    out: &mut Vec<u8>,
    l: &LayerSpec,
    layer: usize,
    fan_in: usize,
) -> Result<(), SpecError> {
    let fan_out = l.biases.len();
    if fan_out == 0 {
        return Err(SpecError::Invalid(FormatError::ZeroWidth { layer }));
    }
    let expected = fan_in * fan_out;
    if l.weights.len() != expected {
        return Err(SpecError::WeightCount {
            layer,
            expected,
            got: l.weights.len(),
        });
    }
    if l.scales.len() != 1 && l.scales.len() != fan_out {
        return Err(SpecError::ScaleCount {
            layer,
            got: l.scales.len(),
        });
    }
    out.extend_from_slice(&u16_len(fan_out)?);
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
    Ok(())
}

fn put_ensemble(out: &mut Vec<u8>, e: &EnsembleSpec) -> Result<(), SpecError> {
    out.extend_from_slice(&u16_len(e.trees.len())?);
    out.push(e.max_depth);
    out.push(0);
    out.extend_from_slice(&e.base.to_le_bytes());
    for t in &e.trees {
        out.extend_from_slice(&u16_len(t.len())?);
    }
    for n in e.trees.iter().flatten() {
        out.extend_from_slice(&n.feature.to_le_bytes());
        out.extend_from_slice(&n.right.to_le_bytes());
        out.extend_from_slice(&n.value.to_le_bytes());
        if e.explain {
            out.extend_from_slice(&n.mean.to_le_bytes());
        }
    }
    Ok(())
}

/// One feature's metadata, owned (for [`ModelSpec::to_bytes_with_metadata`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeatureMeta {
    /// The feature's name: 1 to 64 bytes of UTF-8, no control character,
    /// unique within the model.
    pub name: String,
    /// A human label (at most 128 bytes); `None` or empty: none. The
    /// section stores labels (flag `LABELS`, every record then has one,
    /// possibly empty) when any feature's is `Some`.
    pub label: Option<String>,
    /// A unit (at most 32 bytes); `None` or empty: none. Stored (flag
    /// `UNITS`) when any feature's is `Some`.
    pub unit: Option<String>,
}

impl FeatureMeta {
    /// A name without label or unit.
    pub fn named(name: impl Into<String>) -> Self {
        FeatureMeta {
            name: name.into(),
            label: None,
            unit: None,
        }
    }
}

/// The metadata section, owned: one [`FeatureMeta`] per feature.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetadataSpec {
    /// One per feature, in input order.
    pub features: Vec<FeatureMeta>,
}

impl MetadataSpec {
    /// Names only.
    pub fn from_names<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        MetadataSpec {
            features: names.into_iter().map(FeatureMeta::named).collect(),
        }
    }

    /// The section's bytes (`meta_len` last). Lengths that do not fit a
    /// u8 give [`SpecError::TooLarge`]; every other rule is checked by the
    /// parse in [`ModelSpec::to_bytes_with_metadata`].
    fn write(&self, out: &mut Vec<u8>) -> Result<(), SpecError> {
        // `Some("")` counts: a section whose flag is set and whose texts
        // are all empty is valid, and `metadata_spec` reads it back so.
        let has =
            |f: fn(&FeatureMeta) -> &Option<String>| self.features.iter().any(|m| f(m).is_some());
        let labels = has(|m| &m.label);
        let units = has(|m| &m.unit);
        let mut body = Vec::new();
        body.push(if labels { META_LABELS } else { 0 } | if units { META_UNITS } else { 0 });
        body.extend_from_slice(&u16_len(self.features.len())?);
        let mut text = |s: &str| -> Result<(), SpecError> {
            body.push(u8::try_from(s.len()).map_err(|_| SpecError::TooLarge)?);
            body.extend_from_slice(s.as_bytes());
            Ok(())
        };
        for m in &self.features {
            text(&m.name)?;
            if labels {
                text(m.label.as_deref().unwrap_or(""))?;
            }
            if units {
                text(m.unit.as_deref().unwrap_or(""))?;
            }
        }
        let len = u32::try_from(body.len()).map_err(|_| SpecError::TooLarge)?;
        out.extend_from_slice(&body);
        out.extend_from_slice(&len.to_le_bytes());
        Ok(())
    }
}

impl ModelSpec {
    /// [`to_bytes`](Self::to_bytes) with a metadata section (feature
    /// names, labels, units; `FORMAT.md` section 10). `None` writes no
    /// section, exactly the bytes of `to_bytes`. A section that breaks a
    /// rule (wrong count, empty, long, duplicate or non-text names) gives
    /// [`SpecError::Invalid`].
    pub fn to_bytes_with_metadata(
        &self,
        meta: Option<&MetadataSpec>,
    ) -> Result<Vec<u8>, SpecError> {
        self.encode(meta)
    }

    /// Serialise and validate: lengths that do not match the shapes or do
    /// not fit their fields give [`SpecError`], and every rule
    /// [`Model::parse`] checks gives [`SpecError::Invalid`].
    pub fn to_bytes(&self) -> Result<Vec<u8>, SpecError> {
        self.encode(None)
    }

    fn encode(&self, meta: Option<&MetadataSpec>) -> Result<Vec<u8>, SpecError> {
        let mut payload = Vec::new();
        for f in &self.features {
            f.write(&mut payload);
        }
        let mut explain = false;
        match &self.body {
            BodySpec::Linear(l) => {
                payload.push(1);
                put_layer(&mut payload, l, 0, self.features.len())?;
            }
            BodySpec::Mlp(layers) => {
                payload.push(u8::try_from(layers.len()).map_err(|_| SpecError::TooLarge)?);
                let mut fan_in = self.features.len();
                for (i, l) in layers.iter().enumerate() {
                    put_layer(&mut payload, l, i, fan_in)?;
                    fan_in = l.biases.len();
                }
            }
            BodySpec::Gbdt(e) | BodySpec::RandomForest(e) | BodySpec::IsolationForest(e) => {
                explain = e.explain;
                put_ensemble(&mut payload, e)?;
            }
        }
        if let Some(m) = meta {
            m.write(&mut payload)?;
        }
        let payload_len = u32::try_from(payload.len()).map_err(|_| SpecError::TooLarge)?;
        let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.push(self.body.family() as u8);
        out.push(
            if explain { FLAG_EXPLAIN } else { 0 } | if meta.is_some() { FLAG_METADATA } else { 0 },
        );
        out.extend_from_slice(&u16_len(self.features.len())?);
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&self.threshold.to_bits().to_le_bytes());
        out.extend_from_slice(&payload_len.to_le_bytes());
        out.extend_from_slice(&[0; 32]);
        out.extend_from_slice(&payload);
        let sum = format::checksum(&out);
        out[CHECKSUM].copy_from_slice(&sum);
        Model::parse(&out)?;
        Ok(out)
    }
}

fn layer_spec(l: &Layer<'_>) -> LayerSpec {
    let n = l.fan_in * l.fan_out;
    let weights = match l.weight_kind {
        WeightKind::I16 => Weights::I16(
            (0..n)
                .map(|k| l.weight(k / l.fan_in, k % l.fan_in) as i16)
                .collect(),
        ),
        WeightKind::I8 => Weights::I8(
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
        activation: l.activation,
    }
}

impl Model<'_> {
    /// The metadata section as an owned spec (`None` when the model has
    /// none, or, after `parse_without_checksum`, an invalid one): labels
    /// (units) are `Some` for every feature when the section stores them,
    /// `""` where a record's is empty, and `None` when it does not.
    /// `to_spec().to_bytes_with_metadata(metadata_spec().as_ref())`
    /// reproduces the blob.
    pub fn metadata_spec(&self) -> Option<MetadataSpec> {
        let m = self.metadata().ok().flatten()?;
        let (labels, units) = (m.has_labels(), m.has_units());
        Some(MetadataSpec {
            features: m
                .features()
                .map(|f| FeatureMeta {
                    name: f.name.into(),
                    label: labels.then(|| f.label.unwrap_or("").into()),
                    unit: units.then(|| f.unit.unwrap_or("").into()),
                })
                .collect(),
        })
    }

    /// Read the model back into an owned spec (`to_bytes` of the result
    /// reproduces the blob).
    pub fn to_spec(&self) -> ModelSpec {
        let body = match self.body() {
            Body::Dense(layers) => {
                let specs: Vec<LayerSpec> = layers.iter().map(|l| layer_spec(&l)).collect();
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
