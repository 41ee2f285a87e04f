//! # vigil-guard
//!
//! A CosmWasm contract that answers "is this transaction an attack?" at a
//! known, bounded gas cost, with the model governed by
//! Proof-of-Improvement: a proposed model replaces the active one only if,
//! evaluated by this contract on the public test set it holds, it improves
//! at least one of accuracy, F1, precision and recall and worsens none; a
//! proposer whose model fails loses its bond to the reward vault.
//!
//! - [`contract`]: entry points and handlers.
//! - [`msg`]: messages (JSON schema in `schema/`).
//! - [`state`]: storage, shaped so an inference reads one key; compact
//!   binary records, no JSON.
//! - [`poim`]: metrics, the acceptance rule, chunked evaluation.
//! - [`error`]: the error type, [`ContractError`].
//! - [`gas`]: what a `Check` costs its caller, bounded (host-side).
//! - `json` (private): the entry-point messages' `Deserialize` and the query
//!   responses' JSON, hand-written: one parser and one writer instead of
//!   serde code per type (the artifact's size budget).
#![forbid(unsafe_code)]

pub mod contract;
pub mod error;
pub mod gas;
mod json;
pub mod msg;
pub mod poim;
pub mod state;

pub use error::ContractError;
