//! # vigil-guard
//!
//! A CosmWasm contract that answers "is this transaction an attack?" at a
//! known, bounded gas cost, with the model governed by
//! Proof-of-Improvement: a proposed model replaces the active one only if,
//! evaluated by this contract on the public test set it holds, it improves
//! at least one of accuracy, F1, precision and recall and worsens none; a
//! proposer whose model fails loses its bond to the reward vault.
//!
//! - [`contract`]: the entry points and their dispatch;
//! - [`execute`]: execute handlers by subject (proposals and their queue,
//!   the hidden batch, time-locked governance, test set, admin);
//! - [`query`]: query handlers;
//! - [`guard`]: the split guard's dispatch (`docs/split.md`; not entry
//!   points yet);
//! - [`migrate`]: migration (and the reader of 0.1 stores);
//! - [`envelope`]: the data envelope (clamp and report out-of-range
//!   inputs; kept up to date with the test set);
//! - [`poim`]: metrics, the acceptance rule, chunked evaluation;
//! - [`models`]: model validation and installation;
//! - [`state`]: storage (cw-storage-plus, and raw bytes where gas asks);
//! - [`units`]: feature strings and activations to and from the core's
//!   numbers;
//! - [`gas`]: what a `Check` costs its caller, bounded;
//! - [`error`]: the error type, [`ContractError`];
//! - [`msg`]: the messages, `vigil_guard_api::msg` (JSON schema in
//!   `schema/`).
#![forbid(unsafe_code)]

pub mod contract;
pub mod envelope;
pub mod error;
pub mod execute;
pub mod gas;
pub mod guard;
pub mod migrate;
pub mod models;
pub mod observe;
pub mod poim;
pub mod query;
pub mod query_breaker;
pub mod state;
pub mod units;

pub use error::ContractError;
pub use vigil_guard_api::msg;
