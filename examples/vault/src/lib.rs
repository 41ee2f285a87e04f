//! # vigil-example-vault
//!
//! A vault that pays out its bank balance, asking a Vigil guard before
//! every withdrawal, through [`vigil_guard_api::GuardContract`]: the
//! template for an integrator, and the vault the localnet end-to-end suite
//! uploads (`scripts/build-contract.sh vigil-example-vault`).
//!
//! - [`msg`]: `InstantiateMsg { guard, denom }`, `Withdraw { amount,
//!   features }`, `SetGuard { guard }` (owner only: `None` switches the
//!   guard off, which is how the suite measures what guarding costs),
//!   `Config {}`.
//! - [`contract`]: the entry points; a refused withdrawal is
//!   [`ContractError::Refused`] and moves nothing; a failing guard query
//!   fails the withdrawal (closed).

pub mod contract;
pub mod error;
pub mod msg;
pub mod state;

pub use error::ContractError;
