//! [`InferError`]: calls that do not fit a valid model. (Blobs that fail
//! validation get a [`FormatError`](crate::FormatError), defined with the
//! format in [`crate::format`].)

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
impl std::error::Error for InferError {}
