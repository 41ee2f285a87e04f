//! The guard's test suite: one binary (one link) for every scenario.
//!
//! - `activation`: activation delay, guardian veto.
//! - `poim`: Proof-of-Improvement decisions, margins, chunked evaluation.
//! - `funds`: bonds, rewards and the vault balance in every path.
//! - `admin`: privileged messages, test set, rollback, pause, config,
//!   migration.
//! - `honest`: an honest proposer end to end, governor bound to its guard.
//! - `install`: the split's `InstallModel` (governor only), on its handler.
//! - `input`: bad input, malformed and over-budget models, explanations.
//! - `vault`: another contract protected by the guard.
//! - `unit`: entry points on `mock_dependencies`.
//! - `batch`: the hidden slice (curator batches).
//! - `blob`: `ModelBlob` and unparsable messages.
//! - `breaker`: protected contracts, baselines and the circuit breaker.
//! - `commit`: commit-reveal proposals, the reveal window and queue.
//! - `machine`: a proptest state machine over random message sequences.
//! - `migrate_v0_1`: a real 0.1.0 store converted by `migrate`.
//! - `split`: the governor and its bound guard, two contracts.
mod common;

mod activation;
mod admin;
mod attacks;
mod batch;
mod blob;
mod breaker;
mod commit;
mod funds;
mod honest;
mod input;
mod install;
mod machine;
mod migrate_v0_1;
mod poim;
mod split;
mod unit;
mod vault;
