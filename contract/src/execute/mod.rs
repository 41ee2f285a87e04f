//! Execute handlers, by subject, and the checks they share.
use cosmwasm_std::{Coin, Deps, MessageInfo, Uint128};

use crate::error::ContractError;
use crate::state::{Config, CONFIG};

pub mod admin;
pub mod batch;
pub mod bound_guard;
pub mod governance;
pub mod install;
pub mod proposals;
pub mod protected;
pub mod queue;
pub mod test_set;

/// The configuration, if `info` is the admin's and carries no funds.
pub fn admin_call(deps: Deps, info: &MessageInfo) -> Result<Config, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    if info.sender != config.admin {
        return Err(ContractError::Unauthorized);
    }
    ensure_no_funds(info)?;
    Ok(config)
}

/// Refuse attached funds.
pub fn ensure_no_funds(info: &MessageInfo) -> Result<(), ContractError> {
    if !info.funds.is_empty() {
        return Err(ContractError::UnexpectedFunds);
    }
    Ok(())
}

/// The single coin of `denom` attached (zero when none), or an error.
pub fn single_coin(info: &MessageInfo, denom: &str) -> Result<Uint128, ContractError> {
    match info.funds.as_slice() {
        [] => Ok(Uint128::zero()),
        [Coin { denom: d, amount }] if d == denom => Ok(*amount),
        _ => Err(ContractError::WrongFunds {
            denom: denom.to_string(),
        }),
    }
}
