//! The guard and its governor on one [`Chain`] (`docs/split.md`): the
//! governor ([`GOVERNOR`], the first contract, where every governance
//! message goes) and the guard ([`GUARD`], the second, which answers
//! `Check` and `Score`), each its own instance and storage at its own
//! address. The governor's `InstallModel` to its bound guard (a
//! `WasmMsg::Execute` in its response) runs on the guard in the same
//! transaction, with the governor as sender: a refusal reverts both
//! ([`Chain::execute_on`]).
//!
//! ```no_run
//! # fn main() -> Result<(), String> {
//! use vigil_chain_sim::{split, WasmdGas};
//! # let (governor_wasm, guard_wasm): (Vec<u8>, Vec<u8>) = unimplemented!();
//! # let init: vigil_guard_api::msg::InstantiateMsg = unimplemented!();
//! let mut chain = split::chain(&governor_wasm, &guard_wasm, "/tmp/vm-cache".as_ref(), WasmdGas::DEFAULT)?;
//! let admin = chain.addr("admin");
//! let deployed = split::deploy(&mut chain, &admin, &[], &init, 100_000_000)?;
//! println!("BindGuard: {} SDK gas, the guard's install {}", deployed.bind.total(), deployed.bind.sub.total());
//! # Ok(()) }
//! ```
use std::path::Path;

use serde::Serialize;
use vigil_guard_api::gas::WasmdGas;
use vigil_guard_api::guard_msg::GuardInstantiateMsg;
use vigil_guard_api::msg::{ExecuteMsg, InstantiateMsg};

use crate::chain::{Chain, ContractId, Gas, Outcome};

/// The governor: the first contract of a [`chain`] (so a single contract
/// migrated to the governor's code keeps its place and address).
pub const GOVERNOR: ContractId = ContractId::FIRST;

/// The guard: the second contract of a [`chain`] (or of [`add_guard`]).
pub const GUARD: ContractId = ContractId::SECOND;

/// The name [`Chain::addr`] makes the guard's address of.
pub const GUARD_NAME: &str = "vigil-guard";

/// A chain holding the governor's code (`governor_wasm`, the first
/// contract) and the guard's (`guard_wasm`, [`GUARD`]), both stored with
/// wasmd's upload checks, neither instantiated: see [`deploy`].
pub fn chain(
    governor_wasm: &[u8],
    guard_wasm: &[u8],
    cache_dir: &Path,
    gas: WasmdGas,
) -> Result<Chain, String> {
    let mut chain = Chain::new(governor_wasm, cache_dir, gas)?;
    add_guard(&mut chain, guard_wasm)?;
    Ok(chain)
}

/// Stores the guard's code as the second contract of `chain` (whose first
/// is the governor, e.g. a single contract migrated to the governor's
/// code).
pub fn add_guard(chain: &mut Chain, guard_wasm: &[u8]) -> Result<ContractId, String> {
    if chain.contracts().count() != 1 {
        return Err("the guard is added to a chain of one contract, the governor".into());
    }
    let id = chain.add_contract(guard_wasm, GUARD_NAME)?;
    debug_assert_eq!(id, GUARD);
    Ok(id)
}

/// The three transactions of a deployment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Deployment {
    /// The governor's instantiate.
    pub governor: Gas,
    /// The guard's instantiate.
    pub guard: Gas,
    /// `BindGuard`, the guard's `InstallModel` of the active model in
    /// [`Gas::sub`].
    pub bind: Gas,
}

/// The guard's instantiate message for the governor at `governor`
/// instantiated with `msg`: the same admin and settings.
pub fn guard_instantiate_msg(msg: &InstantiateMsg, governor: &str) -> GuardInstantiateMsg {
    GuardInstantiateMsg {
        admin: msg.admin.clone(),
        governor: governor.to_owned(),
        settings: msg.settings(),
        change_delay: None,
    }
}

/// Deploys the pair from `admin` as a chain would: the governor
/// instantiated with `msg` (and `funds`, the vault's start), the guard
/// instantiated naming it with the same settings, then the governor's
/// `BindGuard`, which installs the active model (if any) on the guard.
/// The error names the step that failed.
pub fn deploy(
    chain: &mut Chain,
    admin: &str,
    funds: &[(&str, u128)],
    msg: &InstantiateMsg,
    limit: u64,
) -> Result<Deployment, String> {
    let governor = step(
        "instantiate the governor",
        chain.instantiate_on(GOVERNOR, admin, funds, msg, limit),
    )?;
    let address = chain.address(GOVERNOR).to_owned();
    let guard = step(
        "instantiate the guard",
        chain.instantiate_on(
            GUARD,
            admin,
            &[],
            &guard_instantiate_msg(msg, &address),
            limit,
        ),
    )?;
    let bind = step("bind the guard", bind(chain, admin, limit))?;
    Ok(Deployment {
        governor,
        guard,
        bind,
    })
}

/// The governor's `BindGuard` of [`GUARD`] from `admin`.
pub fn bind(chain: &mut Chain, admin: &str, limit: u64) -> Outcome {
    let guard = chain.address(GUARD).to_owned();
    chain.execute_on(
        GOVERNOR,
        admin,
        &[],
        &ExecuteMsg::BindGuard { guard },
        limit,
    )
}

/// A query of the guard (`Check`, `Score`, ... : a
/// `vigil_guard_api::guard_msg::GuardQueryMsg`, or the same JSON as a
/// `vigil_guard_api::msg::QueryMsg`).
pub fn query_guard(chain: &mut Chain, msg: &impl Serialize) -> Outcome {
    chain.query_on(GUARD, msg)
}

fn step(what: &str, outcome: Outcome) -> Result<Gas, String> {
    match outcome.result {
        Ok(_) => Ok(outcome.gas),
        Err(e) => Err(format!("{what}: {e}")),
    }
}
