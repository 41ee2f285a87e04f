//! `vigil`: the host tool of Vigil. Train or import a model, quantise it for
//! the fixed-point core, measure honestly what fixed point costs in accuracy
//! and what the model costs in gas, and write the messages that deploy it.
//!
//! The binary is a thin clap front end over these modules; tests use them
//! directly too.
pub mod cart;
pub mod chart;
pub mod data;
pub mod demo;
pub mod eval;
pub mod inspect;
pub mod metrics;
pub mod msg;
pub mod names;
pub mod onnx;
pub mod prep;
pub mod quant;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod score;
pub mod synthetic;
pub mod train;
