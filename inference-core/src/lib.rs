#![doc = include_str!("../README.md")]
//!
//! ## The pipeline
//!
//! 1. **Raw inputs**: [`decimal::parse`] turns decimal strings into [`Wide`]
//!    (`I64F64`: ±9.2e18, resolution 2^-64) without floats.
//! 2. **The data envelope** (optional, the caller's: [`envelope`]): each raw
//!    input clamped into governed per-feature bounds.
//! 3. **Preprocessing** inside the model, per feature ([`preprocess`]): clip,
//!    signed `log1p`, affine standardisation into [`Act`] (`I16F16`).
//! 4. **A model family** ([`Family`]): [`dense`] layers or [`tree`] ensembles.
//! 5. **Output** ([`Output`]): a [`Score`] in `[0, 1]` and a label at the
//!    model's threshold; [`Model::explain`] adds per-feature contributions.
//!
//! The cost of one inference is bounded by [`Model::cost`] ([`cost`]).
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod baseline;
pub mod breaker;
pub mod cost;
pub mod decimal;
pub mod dense;
pub mod envelope;
mod error;
pub mod format;
pub mod math;
pub mod metadata;
mod model;
pub mod preprocess;
pub mod tree;

#[cfg(feature = "float")]
pub mod float;
#[cfg(feature = "alloc")]
pub mod spec;

pub use cost::Cost;
pub use decimal::DecimalError;
pub use error::InferError;
pub use format::{Family, FormatError};
pub use model::{Body, Model, Output};

/// Raw input values: `I64F64`, covering ±9.2e18 with a resolution of 2^-64.
pub type Wide = fixed::types::I64F64;

/// Activations, preprocessed features, tree thresholds and leaf values:
/// `I16F16` (±32768, resolution 2^-16).
pub type Act = fixed::types::I16F16;

/// A model's score in `[0, 1]`: `U1F31` (resolution 2^-31).
pub type Score = fixed::types::U1F31;

pub use fixed;
