//! The binary model format: constants, codes and the bounds-checked reader
//! used by validation. `FORMAT.md` documents every byte.
use crate::FormatError;

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
