//! Vigil in the browser: the wasm-bindgen engine behind the `@vigil-ml/web`
//! npm package (`www/`).
//!
//! This crate is deliberately thin: it owns a copy of a model blob, lets
//! [`vigil_inference_core::Model::parse`] validate it once, and scores
//! decimal-string inputs with the core's integer arithmetic, so the browser
//! computes the very bits the chain's guard computes. The JavaScript wrapper
//! (`www/js/index.ts`) turns its results into the public API; this crate's
//! exports are an implementation detail of that package.
//!
//! **No floats.** Nothing here, and nothing it calls, uses `f32`/`f64`: the
//! core is built without its `float` feature, scores cross to JavaScript as
//! `U1F31` bits in a `u32` and contributions as `I16F16` bits in an `i32`.
//! The build scans the shipped wasm for float instructions
//! (`cargo run -p vigil-web --example scan-wasm`).
//!
//! **Inputs** cross the boundary as bytes: the decimal strings of one input
//! vector joined with `,` (a byte no valid decimal contains), written by the
//! JavaScript wrapper straight into the engine's input buffer
//! ([`Engine::input_buffer`]), so a call passes one length instead of one
//! string per feature, and allocates nothing.
//!
//! **Baselines** ([`baseline`]): the guard's per-action-kind baselines and
//! the seven features it derives from them, run by the core's own
//! `baseline` module over a log of actions, as the contract runs it.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod baseline;

use vigil_inference_core::decimal::{self, DecimalError};
use vigil_inference_core::metadata::FeatureInfo;
use vigil_inference_core::{Act, FormatError, InferError, Model, Wide};
use wasm_bindgen::prelude::*;

/// Separator between the decimal strings of one input vector.
pub const SEPARATOR: u8 = b',';

/// Returned by [`Engine::score`] instead of score bits when the inputs are
/// refused (valid score bits are at most `0x8000_0000`).
pub const SCORE_ERROR: u32 = u32::MAX;

/// Why [`Engine::score_joined`] refused an input vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScoreError {
    /// The joined string holds `got` values, the model takes `expected`.
    FeatureCount {
        /// Features the model takes.
        expected: usize,
        /// Values found.
        got: usize,
    },
    /// Value number `feature` (0-based) is not a valid decimal.
    BadNumber {
        /// The feature.
        feature: usize,
        /// Why.
        error: DecimalError,
    },
}

impl core::fmt::Display for ScoreError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ScoreError::FeatureCount { expected, got } => {
                write!(f, "wrong feature count: model takes {expected}, got {got}")
            }
            ScoreError::BadNumber { feature, error } => write!(f, "feature {feature}: {error}"),
        }
    }
}

/// The result of one [`Engine::score_joined`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scored {
    /// `U1F31` bits of the score (`score = bits / 2^31`).
    pub score_bits: u32,
    /// `score >= threshold`.
    pub label: bool,
}

type ModelView<'a> = Model<'a>;

self_cell::self_cell!(
    /// A blob and the validated view of it.
    struct Loaded {
        owner: Box<[u8]>,
        #[covariant]
        dependent: ModelView,
    }
);

/// A validated model with its buffers: one per loaded model.
#[wasm_bindgen]
pub struct Engine {
    loaded: Loaded,
    n_features: usize,
    explainable: bool,
    inputs: Vec<Wide>,
    scratch: Vec<Act>,
    contributions: Vec<Act>,
    contribution_bits: Vec<i32>,
    input: Vec<u8>,
    error_feature: u32,
    error: String,
}

impl Engine {
    /// Copy and validate a blob (checksum included).
    pub fn load(bytes: &[u8]) -> Result<Engine, FormatError> {
        let loaded = Loaded::try_new(bytes.into(), |blob| Model::parse(blob))?;
        let model = loaded.borrow_dependent();
        let n = model.n_features();
        Ok(Engine {
            n_features: n,
            explainable: model.explainable(),
            inputs: vec![Wide::ZERO; n],
            scratch: vec![Act::ZERO; model.scratch_len()],
            contributions: vec![Act::ZERO; n],
            contribution_bits: vec![0; n],
            input: Vec::new(),
            error_feature: 0,
            error: String::new(),
            loaded,
        })
    }

    fn model(&self) -> &Model<'_> {
        self.loaded.borrow_dependent()
    }

    fn feature_meta(&self, pick: for<'b> fn(FeatureInfo<'b>) -> Option<&'b str>) -> Vec<String> {
        match self.model().metadata() {
            Ok(Some(m)) => m
                .features()
                .map(|f| pick(f).unwrap_or("").to_string())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Parse the `,`-joined decimal strings into the input buffer.
    ///
    /// One pass: each field is parsed as its separator is found. A wrong
    /// field count is reported before any bad number (the count is what is
    /// checked first), so the first parse error waits until every field is
    /// counted.
    fn parse_inputs(&mut self, joined: &[u8]) -> Result<(), ScoreError> {
        let expected = self.n_features;
        let mut got = 0;
        let mut first_error = None;
        let mut start = 0;
        for end in 0..=joined.len() {
            if end < joined.len() && joined[end] != SEPARATOR {
                continue;
            }
            if let (Some(slot), None) = (self.inputs.get_mut(got), first_error) {
                match decimal::parse_bytes(&joined[start..end]) {
                    Ok(v) => *slot = v,
                    Err(error) => {
                        first_error = Some(ScoreError::BadNumber {
                            feature: got,
                            error,
                        })
                    }
                }
            }
            got += 1;
            start = end + 1;
        }
        if got != expected {
            return Err(ScoreError::FeatureCount { expected, got });
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Score one input vector given as `,`-joined decimal strings. Explainable
    /// models also fill [`contributions`](Self::contributions).
    pub fn score_joined(&mut self, joined: &[u8]) -> Result<Scored, ScoreError> {
        self.parse_inputs(joined)?;
        let Engine {
            loaded,
            explainable,
            inputs,
            scratch,
            contributions,
            ..
        } = self;
        let model = loaded.borrow_dependent();
        let result = if *explainable {
            model.explain(inputs, scratch, contributions)
        } else {
            model.infer(inputs, scratch)
        };
        // Inputs, scratch and contributions are sized from the model at
        // load, so the core cannot refuse them.
        let out = result.unwrap_or_else(|e: InferError| unreachable!("{e}"));
        if self.explainable {
            for (bits, c) in self.contribution_bits.iter_mut().zip(&self.contributions) {
                *bits = c.to_bits();
            }
        }
        Ok(Scored {
            score_bits: out.score.to_bits(),
            label: out.label,
        })
    }

    fn score_bytes(&mut self, joined: &[u8]) -> u32 {
        match self.score_joined(joined) {
            Ok(s) => s.score_bits,
            Err(e) => {
                self.error_feature = match e {
                    ScoreError::FeatureCount { .. } => u32::MAX,
                    ScoreError::BadNumber { feature, .. } => feature as u32,
                };
                self.error = match e {
                    ScoreError::BadNumber { error, .. } => error.to_string(),
                    e => e.to_string(),
                };
                SCORE_ERROR
            }
        }
    }

    /// `I16F16` bits of each feature's contribution from the last successful
    /// score (all zero for models without explanations).
    pub fn contributions(&self) -> &[i32] {
        &self.contribution_bits
    }
}

#[wasm_bindgen]
impl Engine {
    /// Copy and validate a model blob. Throws a JS `Error` whose message
    /// is the core's description of the first failed check.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8]) -> Result<Engine, JsError> {
        Engine::load(bytes).map_err(|e| JsError::new(&e.to_string()))
    }

    /// Number of raw inputs one inference takes.
    #[wasm_bindgen(getter, js_name = nFeatures)]
    pub fn n_features(&self) -> u32 {
        // At most u16::MAX by the format.
        self.n_features as u32
    }

    /// The feature names the model stores (its metadata section), in input
    /// order; empty when it stores none.
    #[wasm_bindgen(getter, js_name = featureNames)]
    pub fn feature_names(&self) -> Vec<String> {
        self.feature_meta(|f| Some(f.name))
    }

    /// The human labels the model stores, one per feature (`""` where
    /// none); empty when it stores no metadata.
    #[wasm_bindgen(getter, js_name = featureLabels)]
    pub fn feature_labels(&self) -> Vec<String> {
        self.feature_meta(|f| f.label)
    }

    /// The units the model stores, one per feature (`""` where none); empty
    /// when it stores no metadata.
    #[wasm_bindgen(getter, js_name = featureUnits)]
    pub fn feature_units(&self) -> Vec<String> {
        self.feature_meta(|f| f.unit)
    }

    /// Whether scores come with per-feature contributions (linear models,
    /// tree models stored with explanation values).
    #[wasm_bindgen(getter)]
    pub fn explainable(&self) -> bool {
        self.explainable
    }

    /// Family name: `linear`, `mlp`, `gbdt`, `random-forest`,
    /// `isolation-forest`.
    #[wasm_bindgen(getter)]
    pub fn family(&self) -> String {
        self.model().family().name().into()
    }

    /// The model's label threshold as `U1F31` bits.
    #[wasm_bindgen(getter, js_name = thresholdBits)]
    pub fn threshold_bits(&self) -> u32 {
        self.model().threshold().to_bits()
    }

    /// The model's checksum (SHA-256, hex): its identity, as the guard
    /// contract reports it.
    #[wasm_bindgen(getter)]
    pub fn checksum(&self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut s = String::with_capacity(64);
        for b in self.model().checksum() {
            s.push(char::from(HEX[usize::from(b >> 4)]));
            s.push(char::from(HEX[usize::from(b & 15)]));
        }
        s
    }

    /// Blob size in bytes.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> u32 {
        self.loaded.borrow_owner().len() as u32
    }

    /// Upper bound on wasm operations of one inference (the core's cost
    /// model; the guard's budget is in these units).
    #[wasm_bindgen(getter, js_name = costOps)]
    pub fn cost_ops(&self) -> u64 {
        self.model().cost().ops
    }

    /// The input buffer, with room for at least `capacity` bytes: its
    /// address in the module's memory. The caller writes the decimal
    /// strings of one input vector there, joined with `,`, then calls
    /// [`score_input`](Self::score_input). Growing the buffer keeps its
    /// contents; the address stays valid until the next call with a larger
    /// `capacity`.
    #[wasm_bindgen(js_name = inputBuffer)]
    pub fn input_buffer(&mut self, capacity: u32) -> *mut u8 {
        let capacity = capacity as usize;
        if self.input.len() < capacity {
            self.input.resize(capacity, 0);
        }
        self.input.as_mut_ptr()
    }

    /// Score the first `len` bytes of the input buffer (clamped to its
    /// size): the decimal strings of one input vector joined with `,`.
    /// Returns the score's `U1F31` bits, or [`SCORE_ERROR`] when the inputs
    /// are refused; then [`error_feature`](Self::error_feature) and
    /// [`error`](Self::error) say why. The label is `bits >= thresholdBits`.
    #[wasm_bindgen(js_name = scoreInput)]
    pub fn score_input(&mut self, len: u32) -> u32 {
        let input = core::mem::take(&mut self.input);
        let len = (len as usize).min(input.len());
        let bits = self.score_bytes(&input[..len]);
        self.input = input;
        bits
    }

    /// Address of the `n_features` contribution bits (`i32`, `I16F16`) of
    /// the last successful score, in the module's memory.
    #[wasm_bindgen(js_name = contributionsPtr)]
    pub fn contributions_ptr(&self) -> *const i32 {
        self.contribution_bits.as_ptr()
    }

    /// After a refused score: the 0-based feature whose value is not a
    /// valid decimal, or `0xFFFF_FFFF` for a wrong value count.
    #[wasm_bindgen(getter, js_name = errorFeature)]
    pub fn error_feature(&self) -> u32 {
        self.error_feature
    }

    /// After a refused score: why (the core's wording).
    #[wasm_bindgen(getter)]
    pub fn error(&self) -> String {
        self.error.clone()
    }
}

/// The default caution threshold of the `<vigil-warning>` widget for a
/// model threshold: half of it, in score bits (rounded down).
pub fn default_caution_bits(threshold_bits: u32) -> u32 {
    threshold_bits >> 1
}

/// The widget's risk level for a score: `danger` at or above the danger
/// threshold (by default the model's threshold, i.e. `label`), `caution` at
/// or above the caution threshold, else `safe`.
pub fn risk_level(score_bits: u32, caution_bits: u32, danger_bits: u32) -> &'static str {
    if score_bits >= danger_bits {
        "danger"
    } else if score_bits >= caution_bits {
        "caution"
    } else {
        "safe"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FORMAT.md's worked example: a logistic regression on two features.
    const EXAMPLE: &str = "56474c4d0100010002000000000000403500000041f6682803dc32af47de4f02\
        d752f5e07d39ab985e60a03a1401968e9d20fa990601010000000000fcff0000\
        00000000000040420f0000000000000001000000000000000101000102000100\
        00000600c0ffff40e0";

    fn example() -> Vec<u8> {
        (0..EXAMPLE.len() / 2)
            .map(|i| u8::from_str_radix(&EXAMPLE[2 * i..2 * i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn scores_the_worked_example_bit_for_bit() {
        let mut e = Engine::load(&example()).unwrap();
        let s = e.score_joined(b"5000,1.5").unwrap();
        assert_eq!(s.score_bits, 0x294e_de78);
        assert!(!s.label);
        assert_eq!(e.contributions(), &[16954, -49152]);
        let s = e.score_joined(b"2e7,-3").unwrap();
        assert_eq!(s.score_bits, 0x7e07_51ca);
        assert!(s.label);
        assert_eq!(e.score_joined(b"0,0").unwrap().score_bits, 0x01cc_d642);
        assert_eq!(score_str(&mut e, "5000,1.5"), 0x294e_de78);
    }

    /// What the JavaScript wrapper does: write the joined string into the
    /// input buffer, then score its length.
    fn score_str(e: &mut Engine, joined: &str) -> u32 {
        let before = e.input_buffer(joined.len() as u32);
        e.input[..joined.len()].copy_from_slice(joined.as_bytes());
        assert_eq!(
            e.input_buffer(1),
            before,
            "a smaller request keeps the buffer"
        );
        e.score_input(joined.len() as u32)
    }

    #[test]
    fn scores_from_the_input_buffer() {
        let mut e = Engine::load(&example()).unwrap();
        assert_eq!(score_str(&mut e, "2e7,-3"), 0x7e07_51ca);
        // A longer vector grows the buffer; a shorter one uses its prefix.
        assert_eq!(
            score_str(&mut e, "5000.000000000000000000000000,1.5"),
            0x294e_de78
        );
        assert_eq!(score_str(&mut e, "0,0"), 0x01cc_d642);
        // A length beyond the buffer is clamped to it (never out of bounds).
        let cap = e.input.len() as u32;
        assert_eq!(e.score_input(cap + 100), SCORE_ERROR);
    }

    #[test]
    fn refuses_bad_inputs_with_the_failing_feature() {
        let mut e = Engine::load(&example()).unwrap();
        assert_eq!(
            e.score_joined(b"1"),
            Err(ScoreError::FeatureCount {
                expected: 2,
                got: 1
            })
        );
        assert_eq!(
            e.score_joined(b"1,2,3"),
            Err(ScoreError::FeatureCount {
                expected: 2,
                got: 3
            })
        );
        // The count is checked first, whatever the values.
        assert_eq!(
            e.score_joined(b"x,1,2"),
            Err(ScoreError::FeatureCount {
                expected: 2,
                got: 3
            })
        );
        assert_eq!(
            e.score_joined(b"nan"),
            Err(ScoreError::FeatureCount {
                expected: 2,
                got: 1
            })
        );
        assert_eq!(
            e.score_joined(b"1,12a"),
            Err(ScoreError::BadNumber {
                feature: 1,
                error: DecimalError::InvalidCharacter { position: 2 }
            })
        );
        assert_eq!(
            e.score_joined(b",1"),
            Err(ScoreError::BadNumber {
                feature: 0,
                error: DecimalError::Empty
            })
        );
        assert_eq!(score_str(&mut e, "nan,1"), SCORE_ERROR);
        assert_eq!(e.error_feature(), 0);
        assert_eq!(e.error(), "not a finite number (nan/inf are not accepted)");
        assert_eq!(score_str(&mut e, "1"), SCORE_ERROR);
        assert_eq!(e.error_feature(), u32::MAX);
        assert_eq!(e.error(), "wrong feature count: model takes 2, got 1");
    }

    #[test]
    fn reports_malformed_blobs() {
        let mut blob = example();
        assert_eq!(
            Engine::load(&blob[..40]).err(),
            Some(FormatError::Truncated {
                offset: 20,
                needed: 32
            })
        );
        let last = blob.len() - 1;
        blob[last] ^= 1;
        assert_eq!(
            Engine::load(&blob).err(),
            Some(FormatError::ChecksumMismatch)
        );
        assert_eq!(
            Engine::load(b"").err().map(|e| e.to_string()).as_deref(),
            Some("model blob truncated: 4 bytes needed at offset 0")
        );
    }

    #[test]
    fn describes_the_model() {
        let e = Engine::load(&example()).unwrap();
        assert_eq!(e.n_features(), 2);
        assert!(e.explainable());
        assert_eq!(e.family(), "linear");
        assert_eq!(e.threshold_bits(), 0x4000_0000);
        assert_eq!(e.size(), 105);
        assert!(e.checksum().starts_with("41f66828"));
        assert!(e.cost_ops() > 0);
    }

    #[test]
    fn risk_levels() {
        let t = 0x4000_0000;
        let c = default_caution_bits(t);
        assert_eq!(c, 0x2000_0000);
        assert_eq!(risk_level(0, c, t), "safe");
        assert_eq!(risk_level(c - 1, c, t), "safe");
        assert_eq!(risk_level(c, c, t), "caution");
        assert_eq!(risk_level(t - 1, c, t), "caution");
        assert_eq!(risk_level(t, c, t), "danger");
    }
}
