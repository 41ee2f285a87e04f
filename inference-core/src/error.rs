//! Typed errors: [`FormatError`] for blobs that fail validation,
//! [`InferError`] for calls that do not fit a valid model.

/// Why a model blob was rejected by [`Model::parse`](crate::Model::parse).
///
/// `offset` fields are byte offsets into the whole blob; `tree`, `node`,
/// `layer` and `feature` fields are 0-based indices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatError {
    /// The blob ends before a section it declares: `needed` bytes at
    /// `offset` were not there.
    Truncated {
        /// Where the missing bytes should start.
        offset: usize,
        /// How many bytes were wanted there.
        needed: usize,
    },
    /// The first four bytes are not `VGLM`.
    BadMagic,
    /// A format version this build does not read.
    UnsupportedVersion(u16),
    /// Unknown model family code.
    UnknownFamily(u8),
    /// A reserved byte or flag bit is not zero.
    ReservedNonZero {
        /// Offset of the reserved byte.
        offset: usize,
    },
    /// The model declares zero input features.
    NoFeatures,
    /// The header's payload length does not match the blob.
    PayloadLength {
        /// Length the header declares.
        declared: u32,
        /// Bytes actually present after the header.
        actual: usize,
    },
    /// The SHA-256 of the payload differs from the header's.
    ChecksumMismatch,
    /// The threshold is above 1.0.
    ThresholdOutOfRange,
    /// Bytes remain after the last section.
    TrailingBytes {
        /// Offset of the first unused byte.
        offset: usize,
    },
    /// A scale shift is outside its documented range.
    ShiftOutOfRange {
        /// Offset of the shift byte.
        offset: usize,
    },
    /// A feature's clip lower bound is above its upper bound.
    ClipOrder {
        /// The feature.
        feature: usize,
    },
    /// A dense model without layers, or with more than
    /// [`MAX_LAYERS`](crate::format::MAX_LAYERS).
    LayerCount(u8),
    /// A layer with zero outputs.
    ZeroWidth {
        /// The layer.
        layer: usize,
    },
    /// Unknown weight type code.
    UnknownWeightKind {
        /// The layer.
        layer: usize,
    },
    /// Unknown activation code.
    UnknownActivation {
        /// The layer.
        layer: usize,
    },
    /// Unknown scale mode code, or per-channel scales on a one-output layer
    /// (canonically per-layer).
    BadScaleMode {
        /// The layer.
        layer: usize,
    },
    /// The last layer must have one output and an identity, sigmoid or
    /// hard-sigmoid activation; a linear model has exactly one layer.
    BadOutputLayer,
    /// A tree ensemble without trees.
    NoTrees,
    /// A tree that is not a complete pre-order binary tree of its declared
    /// node count (a child index out of bounds or backwards, nodes left
    /// unreachable, or a leaf with a child).
    MalformedTree {
        /// The tree.
        tree: usize,
        /// The first node found inconsistent.
        node: usize,
    },
    /// A split on a feature index the model does not have.
    FeatureOutOfRange {
        /// The tree.
        tree: usize,
        /// The node.
        node: usize,
    },
    /// The ensemble declares a maximum depth above
    /// [`MAX_DEPTH`](crate::format::MAX_DEPTH).
    MaxDepthTooLarge(u8),
    /// A tree deeper than the ensemble's declared maximum depth.
    DepthExceeded {
        /// The tree.
        tree: usize,
    },
    /// A leaf's explanation value differs from its output value.
    LeafValueMismatch {
        /// The tree.
        tree: usize,
        /// The node.
        node: usize,
    },
    /// An isolation forest's normaliser `c(psi)` must be positive.
    BadNormaliser,
}

impl core::fmt::Display for FormatError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        use FormatError::*;
        match *self {
            Truncated { offset, needed } => {
                write!(f, "model blob truncated: {needed} bytes needed at offset {offset}")
            }
            BadMagic => f.write_str("not a Vigil model (bad magic)"),
            UnsupportedVersion(v) => write!(f, "unsupported model format version {v}"),
            UnknownFamily(c) => write!(f, "unknown model family code {c}"),
            ReservedNonZero { offset } => write!(f, "reserved byte at offset {offset} is not zero"),
            NoFeatures => f.write_str("model declares no input features"),
            PayloadLength { declared, actual } => write!(
                f,
                "payload length {declared} in header, but {actual} bytes follow it"
            ),
            ChecksumMismatch => f.write_str("payload checksum mismatch (corrupted blob)"),
            ThresholdOutOfRange => f.write_str("threshold above 1.0"),
            TrailingBytes { offset } => write!(f, "unexpected bytes after the model at offset {offset}"),
            ShiftOutOfRange { offset } => write!(f, "scale shift out of range at offset {offset}"),
            ClipOrder { feature } => write!(f, "feature {feature}: clip lower bound above upper bound"),
            LayerCount(n) => write!(f, "bad layer count {n}"),
            ZeroWidth { layer } => write!(f, "layer {layer} has no outputs"),
            UnknownWeightKind { layer } => write!(f, "layer {layer}: unknown weight type"),
            UnknownActivation { layer } => write!(f, "layer {layer}: unknown activation"),
            BadScaleMode { layer } => write!(
                f,
                "layer {layer}: unknown scale mode (or per-channel with one output)"
            ),
            BadOutputLayer => f.write_str(
                "output layer must have one output with identity, sigmoid or hard-sigmoid activation",
            ),
            NoTrees => f.write_str("tree ensemble has no trees"),
            MalformedTree { tree, node } => write!(f, "tree {tree} is malformed at node {node}"),
            FeatureOutOfRange { tree, node } => {
                write!(f, "tree {tree} node {node} splits on a feature the model does not have")
            }
            MaxDepthTooLarge(d) => write!(
                f,
                "declared maximum depth {d} is above the format's limit of {}",
                crate::format::MAX_DEPTH
            ),
            DepthExceeded { tree } => write!(f, "tree {tree} exceeds the declared maximum depth"),
            LeafValueMismatch { tree, node } => {
                write!(f, "tree {tree} leaf {node}: explanation value differs from leaf value")
            }
            BadNormaliser => f.write_str("isolation forest normaliser must be positive"),
        }
    }
}

/// Why an inference call was refused. Only the caller's arguments can cause
/// these: a parsed model itself cannot fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InferError {
    /// The number of inputs differs from the model's feature count.
    FeatureCount {
        /// Features the model takes.
        expected: usize,
        /// Inputs given.
        got: usize,
    },
    /// The scratch buffer is shorter than [`Model::scratch_len`](crate::Model::scratch_len).
    ScratchTooSmall {
        /// Elements needed.
        needed: usize,
        /// Elements given.
        got: usize,
    },
    /// The contributions buffer is not one element per feature.
    ContributionsLen {
        /// Features the model takes.
        expected: usize,
        /// Elements given.
        got: usize,
    },
    /// MLPs have no per-feature explanation.
    NotExplainable,
}

impl core::fmt::Display for InferError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            InferError::FeatureCount { expected, got } => {
                write!(f, "wrong feature count: model takes {expected}, got {got}")
            }
            InferError::ScratchTooSmall { needed, got } => {
                write!(f, "scratch buffer too small: {needed} needed, {got} given")
            }
            InferError::ContributionsLen { expected, got } => {
                write!(
                    f,
                    "contributions buffer must hold {expected} values, got {got}"
                )
            }
            InferError::NotExplainable => {
                f.write_str("this model family has no per-feature explanation")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for FormatError {}
#[cfg(feature = "std")]
impl std::error::Error for InferError {}
