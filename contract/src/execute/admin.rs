//! Governance: pause and unpause, settings, admin hand-over, rollback, and
//! funding the vault.
use cosmwasm_std::{DepsMut, Env, MessageInfo, Response, StdError, Uint128};
use vigil_guard_api::msg::ConfigUpdate;

use super::{admin_call, ensure_no_funds, single_coin};
use crate::error::ContractError;
use crate::models::header_for;
use crate::state::active::{save_active, update_active_header};
use crate::state::{load_blob, CONFIG, OPEN_PROPOSAL, PROPOSALS, VAULT};

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

/// `UpdateConfig`.
pub fn update_config(
    deps: DepsMut,
    info: MessageInfo,
    update: ConfigUpdate,
) -> Result<Response, ContractError> {
    let mut config = admin_call(deps.as_ref(), &info)?;
    config.settings = update.apply(&config.settings)?;
    CONFIG.save(deps.storage, &config)?;
    if update.envelope_margin.is_some() {
        crate::envelope::refresh(deps.storage, &config.settings)?;
    }
    let header = header_for(&config, 0);
    update_active_header(deps.storage, |h| {
        h.paused_check = header.paused_check;
        h.threshold_bits = header.threshold_bits;
    });
    Ok(Response::new().add_attribute("action", "update_config"))
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

/// `Rollback`: make a stored version active again.
pub fn rollback(deps: DepsMut, info: MessageInfo, version: u32) -> Result<Response, ContractError> {
    let config = admin_call(deps.as_ref(), &info)?;
    if let Some(id) = OPEN_PROPOSAL.may_load(deps.storage)? {
        // The incumbent is pinned while a proposal is judged.
        return Err(ContractError::ProposalInProgress { id });
    }
    let blob = load_blob(deps.storage, version).ok_or(ContractError::NoSuchVersion(version))?;
    save_active(deps.storage, &header_for(&config, version), &blob)?;
    Ok(Response::new()
        .add_attribute("action", "rollback")
        .add_attribute("model_version", version.to_string()))
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
/// the vault plus the open proposal's bond (funds sent by plain bank
/// transfer, which no other message moves) joins the vault. The open bond
/// is never touched: it stays refundable in full. Nothing stranded: a
/// no-op answering `swept` 0.
pub fn sweep(deps: DepsMut, env: Env, info: MessageInfo) -> Result<Response, ContractError> {
    ensure_no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    let denom = config.settings.bond_denom;
    let balance = deps
        .querier
        .query_balance(env.contract.address, denom)?
        .amount;
    let open_bond = match OPEN_PROPOSAL.may_load(deps.storage)? {
        Some(id) => PROPOSALS.load(deps.storage, id)?.bond,
        None => Uint128::zero(),
    };
    let vault = VAULT.load(deps.storage)?;
    let held = vault.checked_add(open_bond).map_err(StdError::from)?;
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
