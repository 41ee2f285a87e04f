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
//! - [`state`]: storage, shaped so an inference reads one key.
//! - [`poim`]: metrics, the acceptance rule, chunked evaluation.
//! - [`error`]: the error type, [`ContractError`].
#![forbid(unsafe_code)]

pub mod contract;
pub mod error;
pub mod msg;
pub mod poim;
pub mod state;

pub use error::ContractError;
