//! The binary model format: constants, codes, the bounds-checked reader
//! used by validation, and why validation rejects a blob
//! ([`FormatError`]). `FORMAT.md` documents every byte.

/// First four bytes of every model.
pub const MAGIC: [u8; 4] = *b"VGLM";
/// The format version this crate reads and writes.
pub const VERSION: u16 = 1;
/// Header length in bytes; the payload follows.
pub const HEADER_LEN: usize = 52;
/// Most layers a dense model may have.
pub const MAX_LAYERS: usize = 16;
/// Deepest tree allowed (edges from root to the deepest leaf).
pub const MAX_DEPTH: u8 = 32;
/// Node feature code marking a leaf.
pub const LEAF: u16 = 0xFFFF;
/// Header flag: tree nodes carry explanation values (12-byte nodes).
pub const FLAG_EXPLAIN: u8 = 1;
/// Header flag: a metadata section (feature names, labels, units) follows
/// the family body ([`crate::metadata`], `FORMAT.md` section 10).
pub const FLAG_METADATA: u8 = 2;
/// Feature transform flag: clip below.
pub const CLIP_LO: u8 = 1;
/// Feature transform flag: clip above.
pub const CLIP_HI: u8 = 2;
/// Feature transform flag: signed `log1p`.
pub const LOG1P: u8 = 4;
/// Largest feature-transform shift.
pub const MAX_FEATURE_SHIFT: u8 = 63;
/// Largest dense-layer requantisation shift.
pub const MAX_LAYER_SHIFT: u8 = 96;

/// What kind of model a blob holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Family {
    /// Linear or logistic regression: one dense layer with one output.
    Linear = 1,
    /// Multi-layer perceptron: dense layers.
    Mlp = 2,
    /// Gradient-boosted trees: score = output(base + sum of leaves).
    Gbdt = 3,
    /// Random forest: score = mean of leaf probabilities.
    RandomForest = 4,
    /// Isolation forest: score = 2^(-mean path length / c(psi)).
    IsolationForest = 5,
}

impl Family {
    /// Decode a family code.
    pub fn from_code(c: u8) -> Option<Family> {
        Some(match c {
            1 => Family::Linear,
            2 => Family::Mlp,
            3 => Family::Gbdt,
            4 => Family::RandomForest,
            5 => Family::IsolationForest,
            _ => return None,
        })
    }

    /// Whether the body is a tree ensemble.
    pub fn is_trees(self) -> bool {
        matches!(
            self,
            Family::Gbdt | Family::RandomForest | Family::IsolationForest
        )
    }

    /// A short lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Family::Linear => "linear",
            Family::Mlp => "mlp",
            Family::Gbdt => "gbdt",
            Family::RandomForest => "random-forest",
            Family::IsolationForest => "isolation-forest",
        }
    }
}

/// Dense-layer activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Activation {
    /// `x`.
    Identity = 0,
    /// `max(x, 0)`.
    Relu = 1,
    /// `1 / (1 + e^-x)`.
    Sigmoid = 2,
    /// `tanh(x)`.
    Tanh = 3,
    /// `clamp(x/6 + 1/2, 0, 1)`.
    HardSigmoid = 4,
    /// `clamp(x, -1, 1)`.
    HardTanh = 5,
}

impl Activation {
    /// Decode an activation code.
    pub fn from_code(c: u8) -> Option<Activation> {
        Some(match c {
            0 => Activation::Identity,
            1 => Activation::Relu,
            2 => Activation::Sigmoid,
            3 => Activation::Tanh,
            4 => Activation::HardSigmoid,
            5 => Activation::HardTanh,
            _ => return None,
        })
    }

    /// Allowed on the output layer (maps to a score in `[0, 1]`).
    pub fn is_output(self) -> bool {
        matches!(
            self,
            Activation::Identity | Activation::Sigmoid | Activation::HardSigmoid
        )
    }
}

/// Stored weight type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum WeightKind {
    /// One byte, two's complement.
    I8 = 1,
    /// Two bytes, little-endian two's complement.
    I16 = 2,
}

impl WeightKind {
    /// Decode a weight type code.
    pub fn from_code(c: u8) -> Option<WeightKind> {
        match c {
            1 => Some(WeightKind::I8),
            2 => Some(WeightKind::I16),
            _ => None,
        }
    }

    /// Bytes per weight.
    pub fn size(self) -> usize {
        self as usize
    }
}

/// Bytes of the header the checksum covers (everything before it).
pub const CHECKSUMMED_HEADER: core::ops::Range<usize> = 0..20;
/// Where the checksum is stored.
pub const CHECKSUM: core::ops::Range<usize> = 20..52;

/// The checksum a blob's bytes 20..52 must hold: SHA-256 of every other
/// byte (header bytes 0..20, then the payload from byte 52). It covers
/// the family, threshold and shapes as well as the parameters, so it
/// identifies the model. `blob` must be at least [`HEADER_LEN`] bytes;
/// shorter input hashes what is there.
pub fn checksum(blob: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let head = blob.get(CHECKSUMMED_HEADER).unwrap_or(blob);
    let payload = blob.get(HEADER_LEN..).unwrap_or(&[]);
    Sha256::new()
        .chain_update(head)
        .chain_update(payload)
        .finalize()
        .into()
}

/// Bounds-checked little-endian reader over a blob, reporting absolute
/// offsets in its errors.
#[derive(Clone, Debug)]
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8], pos: usize) -> Self {
        Reader { bytes, pos }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// The bytes not read yet.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or(&[])
    }

    /// The bytes from `start` to the current position.
    pub(crate) fn bytes_between(&self, start: usize) -> &'a [u8] {
        self.bytes.get(start..self.pos).unwrap_or(&[])
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], FormatError> {
        let truncated = FormatError::Truncated {
            offset: self.pos,
            needed: n,
        };
        let end = self.pos.checked_add(n).ok_or(truncated)?;
        let s = self.bytes.get(self.pos..end).ok_or(truncated)?;
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], FormatError> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, FormatError> {
        Ok(self.array::<1>()?[0])
    }
    pub(crate) fn u16(&mut self) -> Result<u16, FormatError> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    pub(crate) fn u32(&mut self) -> Result<u32, FormatError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    pub(crate) fn i32(&mut self) -> Result<i32, FormatError> {
        Ok(i32::from_le_bytes(self.array()?))
    }

    /// A byte that must be zero.
    pub(crate) fn reserved(&mut self) -> Result<(), FormatError> {
        let offset = self.pos;
        if self.u8()? != 0 {
            return Err(FormatError::ReservedNonZero { offset });
        }
        Ok(())
    }
}

/// Little-endian reads for hot paths over already-validated slices: a read
/// past the end yields zero instead of panicking. Validation guarantees it
/// never happens; this keeps inference free of panic paths.
#[inline(always)]
pub(crate) fn le_i32(s: &[u8], at: usize) -> i32 {
    match s.get(at..at + 4) {
        Some(b) => i32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        None => 0,
    }
}

#[inline(always)]
pub(crate) fn le_u16(s: &[u8], at: usize) -> u16 {
    match s.get(at..at + 2) {
        Some(b) => u16::from_le_bytes([b[0], b[1]]),
        None => 0,
    }
}

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
    /// [`MAX_LAYERS`].
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
    /// [`MAX_DEPTH`].
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
    /// The metadata section's `meta_len` (the blob's last 4 bytes) does not equal the section's bytes before it
    /// of the blob.
    MetadataLength {
        /// Length the section declares.
        declared: u32,
        /// Bytes actually present after the length field.
        actual: usize,
    },
    /// The metadata section's record count is not the model's feature
    /// count (or is above [`crate::metadata::MAX_NAMED_FEATURES`]).
    MetadataCount {
        /// Records the section declares.
        declared: usize,
        /// The model's feature count.
        expected: usize,
    },
    /// A metadata text field (name, label, unit) is not UTF-8 or contains
    /// a control character.
    MetadataText {
        /// Offset of the field's length byte.
        offset: usize,
    },
    /// A metadata text field's length is outside its limits (an empty name,
    /// or a name, label or unit longer than its maximum).
    MetadataTextLength {
        /// Offset of the field's length byte.
        offset: usize,
    },
    /// Two features have the same name.
    DuplicateFeatureName {
        /// The later feature.
        feature: usize,
        /// The earlier feature with that name.
        first: usize,
    },
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
                MAX_DEPTH
            ),
            DepthExceeded { tree } => write!(f, "tree {tree} exceeds the declared maximum depth"),
            LeafValueMismatch { tree, node } => {
                write!(f, "tree {tree} leaf {node}: explanation value differs from leaf value")
            }
            BadNormaliser => f.write_str("isolation forest normaliser must be positive"),
            MetadataLength { declared, actual } => write!(
                f,
                "metadata section declares {declared} bytes, but {actual} precede its length"
            ),
            MetadataCount { declared, expected } => write!(
                f,
                "metadata section has {declared} feature records, the model has {expected} features"
            ),
            MetadataText { offset } => write!(
                f,
                "metadata text at offset {offset} is not UTF-8 or contains a control character"
            ),
            MetadataTextLength { offset } => {
                write!(f, "metadata text at offset {offset} has a length outside its limits")
            }
            DuplicateFeatureName { feature, first } => {
                write!(f, "feature {feature} has the same name as feature {first}")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for FormatError {}
