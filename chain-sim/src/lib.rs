//! # vigil-chain-sim
//!
//! Vigil's contracts (the guard and its governor) run the way a wasmd
//! chain runs them, with the gas a chain charges, on the host: no node, no
//! network, the exact artifacts a chain receives.
//!
//! - [`chain`]: [`Chain`], contracts on a simulated chain: cosmwasm-vm
//!   3.0 (what current chains run) with the code stored through the same
//!   static checks as wasmd's `StoreCode`, a fresh instance per call, and
//!   [`KvStore`], storage charging the Cosmos SDK's KV gas. Every call
//!   returns an [`Outcome`] (the answer or error, and [`Gas`]: setup,
//!   storage, compute, as wasmd charges them). Messages are anything
//!   serialisable (the `vigil_guard_api::msg` types); answers are read as
//!   their response types with [`Outcome::parse`]. [`Chain::migrate`]
//!   stores a new code and migrates the instance to it. Each contract
//!   ([`ContractId`]: the first, and those [`Chain::add_contract`] adds)
//!   has its own instance, storage and address; a `WasmMsg::Execute` in a
//!   response runs on the contract it names in the same transaction (a
//!   failure reverts every contract's writes), its gas in [`Gas::sub`].
//! - [`split`]: the governor ([`split::GOVERNOR`]) and the guard
//!   ([`split::GUARD`]) on one chain, and [`split::deploy`]: instantiate
//!   the governor, the guard naming it, `BindGuard`.
//! - [`guard`]: [`SimGuard`], the deployed pair with typed calls
//!   (`check`, `score` on the guard; `config`, `propose`,
//!   `continue_evaluation`, ... on the governor) returning
//!   `(response, Gas)`.
//! - [`artifact`]: `artifacts/vigil_guard.wasm` and
//!   `artifacts/vigil_governor.wasm`, located at run time (a path given,
//!   `$VIGIL_GUARD_WASM`, or the repository checkout the current directory
//!   is in) and built by `scripts/build-contract.sh` when missing or
//!   stale.
//!
//! Prices are wasmd's, defined once in [`vigil_guard_api::gas::WasmdGas`]
//! (re-exported here): this crate defines none.
//!
//! Used by `host-tests` (gas figures, bit-exactness and budget checks
//! against the shipped artifact) and by the `vigil` CLI (`vigil demo`).
//!
//! ```no_run
//! use vigil_chain_sim::{artifact, Chain, WasmdGas};
//! use vigil_guard_api::msg::{ConfigResponse, QueryMsg};
//!
//! let root = artifact::find_checkout(&std::env::current_dir().unwrap()).unwrap();
//! let wasm = artifact::load(&root, &artifact::default_build_dir(&root)).unwrap();
//! let mut chain = Chain::new(&wasm, &root.join("target/tmp/vm-cache"), WasmdGas::DEFAULT).unwrap();
//! // ... chain.instantiate(&admin, &[], &init, limit) ...
//! let outcome = chain.query(&QueryMsg::Config {});
//! let config: ConfigResponse = outcome.parse().unwrap();
//! println!("{config:?}: {} SDK gas", outcome.gas.total());
//! ```
//!
//! The crate uses cosmwasm-std 3.0 (what cosmwasm-vm 3.0 pins) internally
//! and the api crate's cosmwasm-std 2.x types in its interface; the two
//! meet only as JSON.

pub mod artifact;
pub mod chain;
pub mod guard;
pub mod split;

pub use chain::{
    base64, is_out_of_gas, Chain, ContractId, Gas, KvStore, KvTally, Outcome, Record, SubCalls,
    CAPABILITIES, CONFIG_QUERY, SUB_CALL_LOOKUP_BYTES,
};
pub use guard::{CallError, SimGuard, Step};
pub use vigil_guard_api::gas::WasmdGas;
