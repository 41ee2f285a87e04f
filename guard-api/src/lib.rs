//! # vigil-guard-api
//!
//! The interface of Vigil's CosmWasm guard, for the contracts and clients
//! that call it, without the guard itself (no inference core; one hash, the
//! proposal commitment):
//!
//! - [`msg`]: every message and response (`#[cw_serde]`; JSON schema in
//!   the repository's `schema/`);
//! - [`settings`]: the guard's settings and [`Settings::validate`], the
//!   checks the contract makes;
//! - [`commit`]: the commitment of a commit-reveal proposal;
//! - [`class_balance`]: the test set's class-balance rule;
//! - [`units`]: scores on the wire (`U1F31` bits and `Decimal`s);
//! - [`gas`]: wasmd's gas prices, [`gas::WasmdGas`];
//! - [`guard_msg`]: the split guard's execute and query messages (not
//!   dispatched yet);
//! - [`install`]: the governor's install message to the guard (the split,
//!   `docs/split.md`; not dispatched yet);
//! - [`breaker`]: observations, verdicts and the governed settings of the
//!   guard's baselines and circuit breaker;
//! - [`parking`]: parked actions (a breaker's `delay`), for protected
//!   contracts;
//! - [`helpers`]: [`GuardContract`], typed calls from another contract.
#![forbid(unsafe_code)]

pub mod breaker;
pub mod class_balance;
pub mod commit;
pub mod gas;
pub mod guard_msg;
pub mod helpers;
pub mod install;
pub mod msg;
pub mod parking;
pub mod settings;
pub mod units;

pub use helpers::GuardContract;
pub use settings::{InvalidSetting, Settings};
