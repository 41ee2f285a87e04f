//! # vigil-inference-core
//!
//! The one inference engine every Vigil target runs: the CosmWasm guard, the
//! browser package, no_std firmware and the host tools. It is `#![no_std]`,
//! needs no allocator to load or run a model, and uses only integer
//! arithmetic, so a model gives the same bits on every target.
//!
//! ## The pipeline
//!
//! 1. **Raw inputs** are decimal strings or integers as a wallet or contract
//!    holds them. [`decimal::parse`] turns them into [`Wide`]
//!    (`I64F64`: ±9.2e18, resolution 5.4e-20) without floats.
//! 2. **Preprocessing** inside the model, per feature ([`preprocess`]):
//!    clip, signed `log1p` (deterministic integer logarithm), affine
//!    standardisation into the activation format [`Act`] (`I16F16`).
//! 3. **A model family** ([`Family`]): logistic/linear regression and MLPs
//!    ([`dense`]), or tree ensembles: gradient-boosted sums, random-forest
//!    averages and isolation-forest anomaly scores ([`tree`]).
//! 4. **Output** ([`Output`]): a [`Score`] in `[0, 1]`, a label at the model's
//!    threshold, and on request per-feature contributions for linear and tree
//!    models ([`Model::explain`]).
//!
//! ## Loading
//!
//! [`Model::parse`] validates a blob once (magic, version, checksum, every
//! size, offset, scale, shift, tree child index and depth) and returns a
//! zero-copy view. After a successful parse, inference cannot panic, read
//! out of bounds or overflow unchecked: every remaining error is the
//! caller's (wrong feature count, scratch too small). The byte layout is
//! documented in `FORMAT.md`; the cost of one inference is bounded by
//! [`Model::cost`] ([`cost`]).
//!
//! ## Features
//!
//! - `alloc`: build and serialise models ([`spec`]).
//! - `std`: `std::error::Error` for the error types.
//! - `float`: host tools only: quantise f64 models and evaluate the f64
//!   reference ([`float`]). The contract and browser builds never enable it.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod cost;
pub mod decimal;
pub mod dense;
mod error;
pub mod format;
pub mod math;
mod model;
pub mod preprocess;
pub mod tree;

#[cfg(feature = "float")]
pub mod float;
#[cfg(feature = "alloc")]
pub mod spec;

pub use cost::Cost;
pub use decimal::DecimalError;
pub use error::{FormatError, InferError};
pub use format::Family;
pub use model::{Model, Output};

/// Raw input values: `I64F64`, covering ±9.2e18 with a resolution of 2^-64.
pub type Wide = fixed::types::I64F64;

/// Activations, preprocessed features, tree thresholds and leaf values:
/// `I16F16` (±32768, resolution 2^-16).
pub type Act = fixed::types::I16F16;

/// A model's score in `[0, 1]`: `U1F31` (resolution 2^-31).
pub type Score = fixed::types::U1F31;

pub use fixed;
