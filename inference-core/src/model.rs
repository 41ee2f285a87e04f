//! The parsed model: validation at load, then infallible inference.
use crate::cost::{Cost, OpCoefficients, COSMWASM_UNITS, WASM_OPS};
use crate::dense::{self, Layers};
use crate::format::{
    self, Family, Reader, FLAG_EXPLAIN, FLAG_METADATA, HEADER_LEN, MAGIC, VERSION,
};
use crate::metadata::{self, Metadata};
use crate::preprocess::{self, FeatureTransform};
use crate::tree::{self, Ensemble};
use crate::{Act, FormatError, InferError, Score, Wide};

/// A validated, zero-copy view of a model blob.
#[derive(Clone, Copy, Debug)]
pub struct Model<'a> {
    bytes: &'a [u8],
    family: Family,
    n_features: usize,
    threshold: Score,
    features: &'a [u8],
    body: Body<'a>,
    // No field for the metadata section: it is found from the header flag
    // and the blob's last 4 bytes (`meta_len`), so the view, copied a few
    // times per inference, does not grow.
}

/// The family-specific part of a model.
// Without an allocator the layer views live inline; a model view is built
// once per call on the stack, so the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy, Debug)]
pub enum Body<'a> {
    /// Linear and MLP models.
    Dense(Layers<'a>),
    /// Tree ensembles.
    Trees(Ensemble<'a>),
}

/// The result of one inference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Output {
    /// Score in `[0, 1]`: probability of the positive class (attack, fraud)
    /// or, for an isolation forest, the anomaly score.
    pub score: Score,
    /// `score >= threshold`.
    pub label: bool,
}

impl<'a> Model<'a> {
    /// Validate a blob completely (including its SHA-256 checksum) and
    /// return a view of it. After this succeeds, inference cannot fail
    /// except on the caller's arguments.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, FormatError> {
        Self::parse_inner(bytes, true)
    }

    /// [`parse`](Self::parse) without recomputing the checksum: every
    /// structural check still runs, so inference stays safe. For blobs whose
    /// checksum was verified when they were stored (the contract verifies
    /// once at upload and parses this way per query).
    pub fn parse_without_checksum(bytes: &'a [u8]) -> Result<Self, FormatError> {
        Self::parse_inner(bytes, false)
    }

    fn parse_inner(bytes: &'a [u8], verify: bool) -> Result<Self, FormatError> {
        let mut r = Reader::new(bytes, 0);
        if r.take(4)? != MAGIC {
            return Err(FormatError::BadMagic);
        }
        let version = r.u16()?;
        if version != VERSION {
            return Err(FormatError::UnsupportedVersion(version));
        }
        let code = r.u8()?;
        let family = Family::from_code(code).ok_or(FormatError::UnknownFamily(code))?;
        let flags_at = r.pos();
        let flags = r.u8()?;
        let explain = flags & FLAG_EXPLAIN != 0;
        let has_meta = flags & FLAG_METADATA != 0;
        if flags & !(FLAG_EXPLAIN | FLAG_METADATA) != 0 || (explain && !family.is_trees()) {
            return Err(FormatError::ReservedNonZero { offset: flags_at });
        }
        let n_features = usize::from(r.u16()?);
        if n_features == 0 {
            return Err(FormatError::NoFeatures);
        }
        r.reserved()?;
        r.reserved()?;
        let threshold = r.u32()?;
        if threshold > 1 << 31 {
            return Err(FormatError::ThresholdOutOfRange);
        }
        let declared = r.u32()?;
        let checksum = r.take(32)?;
        let payload = &bytes[HEADER_LEN.min(bytes.len())..];
        if declared as usize != payload.len() {
            return Err(FormatError::PayloadLength {
                declared,
                actual: payload.len(),
            });
        }
        if verify && format::checksum(bytes)[..] != *checksum {
            return Err(FormatError::ChecksumMismatch);
        }

        let features_at = r.pos();
        preprocess::validate(&mut r, n_features)?;
        let features = &bytes[features_at..r.pos()];
        let body = if family.is_trees() {
            Body::Trees(tree::validate(&mut r, family, n_features, explain)?)
        } else {
            Body::Dense(dense::validate(
                &mut r,
                n_features,
                family == Family::Linear,
            )?)
        };
        // Section C (metadata): its frame in O(1) here; its text only when
        // the checksum is verified too (`parse`, e.g. once at upload).
        if has_meta {
            let (meta, meta_at) = metadata::frame(&mut r)?;
            if verify {
                metadata::validate(meta, meta_at, n_features)?;
            }
        }
        if r.pos() != bytes.len() {
            return Err(FormatError::TrailingBytes { offset: r.pos() });
        }
        Ok(Model {
            bytes,
            family,
            n_features,
            threshold: Score::from_bits(threshold),
            features,
            body,
        })
    }

    /// Whether the blob has a metadata section (header flag
    /// [`FLAG_METADATA`]).
    pub fn has_metadata(&self) -> bool {
        self.bytes.get(7).is_some_and(|f| f & FLAG_METADATA != 0)
    }

    /// The metadata section: `Ok(None)` when the model has none. After
    /// [`parse`](Self::parse) it was validated and this cannot fail; after
    /// [`parse_without_checksum`](Self::parse_without_checksum), which
    /// checks only the section's frame, it may. Validated on each call
    /// (linear in the section; the inference path never calls it).
    pub fn metadata(&self) -> Result<Option<Metadata<'a>>, FormatError> {
        if !self.has_metadata() {
            return Ok(None);
        }
        let (meta, at) = metadata::located(self.bytes);
        metadata::validate(meta, at, self.n_features).map(Some)
    }

    /// The features' names, in input order, when the model stores them
    /// (and the section is valid: always, after [`parse`](Self::parse)).
    /// Borrowed from the blob; no allocation.
    pub fn feature_names(&self) -> Option<impl Iterator<Item = &'a str> + 'a> {
        self.metadata().ok().flatten().map(|m| m.names())
    }

    /// The blob this view reads.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The stored checksum: SHA-256 over every byte but itself
    /// ([`format::checksum`]), the model's identity.
    pub fn checksum(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        if let Some(c) = self.bytes.get(20..52) {
            out.copy_from_slice(c);
        }
        out
    }

    /// The model family.
    pub fn family(&self) -> Family {
        self.family
    }

    /// Number of raw inputs one inference takes.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Scores at or above this are labelled positive.
    pub fn threshold(&self) -> Score {
        self.threshold
    }

    /// The family-specific body.
    pub fn body(&self) -> &Body<'a> {
        &self.body
    }

    /// The per-feature transforms.
    pub fn feature_transforms(&self) -> impl Iterator<Item = FeatureTransform> + 'a {
        preprocess::iter(self.features, self.n_features)
    }

    /// Whether [`explain`](Self::explain) gives per-feature contributions.
    pub fn explainable(&self) -> bool {
        match &self.body {
            Body::Dense(_) => self.family == Family::Linear,
            Body::Trees(e) => e.explain,
        }
    }

    fn dense_width(&self, layers: &Layers<'_>) -> usize {
        self.n_features.max(layers.max_width())
    }

    /// [`Act`] elements of scratch one inference needs.
    pub fn scratch_len(&self) -> usize {
        match &self.body {
            Body::Dense(l) => 2 * self.dense_width(l),
            Body::Trees(_) => self.n_features,
        }
    }

    /// Upper bound on the cost of parsing this model's blob (without the
    /// checksum) and running one inference: [`Cost::ops`] with
    /// [`WASM_OPS`], [`Cost::cosmwasm_units`] with [`COSMWASM_UNITS`]
    /// ([`crate::cost`]).
    pub fn cost(&self) -> Cost {
        Cost {
            ops: self.ops_bound(&WASM_OPS),
            cosmwasm_units: self.ops_bound(&COSMWASM_UNITS),
            model_bytes: self.bytes.len() as u64,
        }
    }

    /// The bound on this model's parse and one inference with the
    /// coefficients `k`: the sum of each part's, each beside the code it
    /// bounds: every feature's preprocessing
    /// ([`FeatureTransform::cost`]), then the body's, dense
    /// ([`Layers::cost`]) or trees ([`Ensemble::cost`]), each with its
    /// call's fixed cost (argument checks, the header).
    pub fn ops_bound(&self, k: &OpCoefficients) -> u64 {
        let features: u64 = self.feature_transforms().map(|t| t.cost(k)).sum();
        let body = match &self.body {
            Body::Dense(layers) => layers.cost(k),
            Body::Trees(e) => e.cost(self.family, k),
        };
        // Section C's frame check (`metadata::frame`), only when present.
        let meta = match (self.has_metadata(), *k == WASM_OPS) {
            (false, _) => 0,
            (true, true) => metadata::FRAME_COST[0],
            (true, false) => metadata::FRAME_COST[1],
        };
        features + body + meta
    }

    fn check_args(&self, inputs: &[Wide], scratch: &[Act]) -> Result<(), InferError> {
        if inputs.len() != self.n_features {
            return Err(InferError::FeatureCount {
                expected: self.n_features,
                got: inputs.len(),
            });
        }
        if scratch.len() < self.scratch_len() {
            return Err(InferError::ScratchTooSmall {
                needed: self.scratch_len(),
                got: scratch.len(),
            });
        }
        Ok(())
    }

    fn output(&self, bits: u32) -> Output {
        let score = Score::from_bits(bits.min(1 << 31));
        Output {
            score,
            label: score >= self.threshold,
        }
    }

    /// Preprocess the raw inputs into the first `n_features` of `scratch`:
    /// the features the model's body sees.
    pub fn preprocess(&self, inputs: &[Wide], scratch: &mut [Act]) -> Result<(), InferError> {
        self.check_args(inputs, scratch)?;
        preprocess::apply_all(self.features, inputs, scratch);
        Ok(())
    }

    /// Score one input vector. `inputs` has [`n_features`](Self::n_features)
    /// raw values; `scratch` has at least [`scratch_len`](Self::scratch_len)
    /// elements (its contents are overwritten).
    pub fn infer(&self, inputs: &[Wide], scratch: &mut [Act]) -> Result<Output, InferError> {
        self.preprocess(inputs, scratch)?;
        let bits = match &self.body {
            Body::Dense(l) => dense::run(l, scratch, self.dense_width(l)),
            Body::Trees(e) => tree::run(e, self.family, &scratch[..self.n_features], None),
        };
        Ok(self.output(bits))
    }

    /// Score and explain: `contributions[i]` receives feature `i`'s share of
    /// the model's raw output (`I16F16`): the logit for linear and GBDT
    /// models, the probability for random forests, the path length for
    /// isolation forests. MLPs, and tree models stored without explanation
    /// values, give [`InferError::NotExplainable`].
    pub fn explain(
        &self,
        inputs: &[Wide],
        scratch: &mut [Act],
        contributions: &mut [Act],
    ) -> Result<Output, InferError> {
        if !self.explainable() {
            return Err(InferError::NotExplainable);
        }
        if contributions.len() != self.n_features {
            return Err(InferError::ContributionsLen {
                expected: self.n_features,
                got: contributions.len(),
            });
        }
        self.preprocess(inputs, scratch)?;
        let x = &scratch[..self.n_features];
        let bits = match &self.body {
            Body::Dense(l) => match l.iter().next() {
                Some(layer) => {
                    layer.contributions(x, contributions);
                    layer.score_bits(x)
                }
                None => 0,
            },
            Body::Trees(e) => tree::run(e, self.family, x, Some(contributions)),
        };
        Ok(self.output(bits))
    }
}

impl Cost {
    /// The bound for a parsed model: [`Model::cost`].
    pub fn of(model: &Model<'_>) -> Cost {
        model.cost()
    }
}

impl OpCoefficients {
    /// The bound on `model`'s parse and one inference with these
    /// coefficients: [`Model::ops_bound`].
    pub fn bound(&self, model: &Model<'_>) -> u64 {
        model.ops_bound(self)
    }
}
