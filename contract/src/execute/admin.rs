//! The admin's immediate messages (pause and unpause, the circuit breaker;
//! admin hand-over), funding the vault and sweeping stranded funds. The
//! time-locked ones are in [`super::governance`].
use cosmwasm_std::{DepsMut, Env, MessageInfo, Response, StdError};

use super::{admin_call, ensure_no_funds, single_coin};
use crate::error::ContractError;
use crate::state::active::update_active_header;
use crate::state::{CONFIG, UNDECIDED, VAULT};

/// `Pause` / `Unpause`: the circuit breaker, in the config and in the
/// active record's header (what `Check` reads).
pub fn set_paused(
    deps: DepsMut,
    info: MessageInfo,
    paused: bool,
) -> Result<Response, ContractError> {
    let mut config = admin_call(deps.as_ref(), &info)?;
    config.paused = paused;
    CONFIG.save(deps.storage, &config)?;
    update_active_header(deps.storage, |h| h.paused = paused);
    Ok(Response::new().add_attribute("action", if paused { "pause" } else { "unpause" }))
}

/// `UpdateAdmin`.
pub fn update_admin(
    deps: DepsMut,
    info: MessageInfo,
    admin: String,
) -> Result<Response, ContractError> {
    let mut config = admin_call(deps.as_ref(), &info)?;
    config.admin = deps.api.addr_validate(&admin)?;
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new()
        .add_attribute("action", "update_admin")
        .add_attribute("admin", admin))
}

/// `Fund`: deposit into the reward vault.
pub fn fund(deps: DepsMut, info: MessageInfo) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let denom = &config.settings.bond_denom;
    let amount = single_coin(&info, denom)?;
    if amount.is_zero() {
        return Err(ContractError::WrongFunds {
            denom: denom.clone(),
        });
    }
    let vault = VAULT
        .load(deps.storage)?
        .checked_add(amount)
        .map_err(StdError::from)?;
    VAULT.save(deps.storage, &vault)?;
    Ok(Response::new()
        .add_attribute("action", "fund")
        .add_attribute("amount", amount.to_string())
        .add_attribute("vault", vault.to_string()))
}

/// `Sweep` (anyone): the contract's bank balance of the bond denom above
/// the vault plus the bonds of undecided proposals (funds sent by plain
/// bank transfer, which no other message moves) joins the vault. Bonds are
/// never touched: they stay refundable in full. Nothing stranded: a
/// no-op answering `swept` 0.
pub fn sweep(deps: DepsMut, env: Env, info: MessageInfo) -> Result<Response, ContractError> {
    ensure_no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    let denom = config.settings.bond_denom;
    let balance = deps
        .querier
        .query_balance(env.contract.address, denom)?
        .amount;
    let mut held = VAULT.load(deps.storage)?;
    for bond in UNDECIDED.range(deps.storage, None, None, cosmwasm_std::Order::Ascending) {
        held = held.checked_add(bond?.1).map_err(StdError::from)?;
    }
    let vault = VAULT.load(deps.storage)?;
    let swept = balance.saturating_sub(held);
    let vault = vault + swept;
    if !swept.is_zero() {
        VAULT.save(deps.storage, &vault)?;
    }
    Ok(Response::new()
        .add_attribute("action", "sweep")
        .add_attribute("swept", swept.to_string())
        .add_attribute("vault", vault.to_string()))
}
