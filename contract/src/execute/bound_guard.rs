//! The governor's link to its guard (the split, `docs/split.md`):
//! `BindGuard` (admin, once), and the `InstallModel` that carries every
//! change of the active model, its threshold or the data envelope to the
//! guard at the end of the message that made it. A governor without a
//! bound guard (the tests' single contract) sends nothing.
use cosmwasm_std::{
    Deps, DepsMut, Empty, Env, MessageInfo, Order, Response, StdError, StdResult, Storage,
};
use vigil_guard_api::install::InstallModel;
use vigil_guard_api::GuardContract;
use vigil_inference_core::Model;

use super::admin_call;
use crate::error::{invalid_model, ContractError};
use crate::models::{header_for, within_budgets};
use crate::state::active::active_version;
use crate::state::bound_guard::{
    mark_changed, take_changed, GuardCaps, GUARD, GUARD_CAPS, GUARD_HAS, GUARD_SEQUENCE,
};
use crate::state::envelope::load_envelope;
use crate::state::{load_blob, CONFIG, OPEN_PROPOSAL, PROPOSALS, QUEUE};

/// `BindGuard` (admin, once): the guard this governor installs on, which
/// must name this contract as its governor, have the same feature count,
/// no install yet, and budgets at least this governor's (kept: a later
/// `UpdateConfig` cannot exceed them). The active model, if any, is sent
/// at once (by [`flush`]).
pub fn bind(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    guard: String,
) -> Result<Response, ContractError> {
    let config = admin_call(deps.as_ref(), &info)?;
    if let Some(bound) = GUARD.may_load(deps.storage)? {
        return Err(ContractError::GuardBound(bound.into_string()));
    }
    let guard = deps.api.addr_validate(&guard)?;
    let mismatch = |reason: String| ContractError::GuardMismatch {
        guard: guard.to_string(),
        reason,
    };
    let theirs = GuardContract(guard.clone())
        .guard_config(&deps.querier)
        .map_err(|e| mismatch(format!("not a guard ({e})")))?;
    if theirs.governor != env.contract.address.as_str() {
        return Err(mismatch(format!("its governor is {}", theirs.governor)));
    }
    if theirs.n_features != config.settings.n_features {
        return Err(mismatch(format!(
            "it reads {} features, this governor {}",
            theirs.n_features, config.settings.n_features
        )));
    }
    if theirs.install_sequence != 0 {
        return Err(mismatch(format!(
            "it has accepted {} installs already",
            theirs.install_sequence
        )));
    }
    let caps = GuardCaps {
        max_inference_ops: theirs.max_inference_ops,
        max_check_gas: theirs.max_check_gas,
    };
    if let Some(reason) = caps.exceeded_by(&config.settings) {
        return Err(mismatch(reason));
    }
    // A model revealed before the bind was checked against the budgets of
    // its commitment, which may exceed the guard's: while one such is
    // undecided (open or queued), the bind waits.
    let undecided = OPEN_PROPOSAL.may_load(deps.storage)?.into_iter().chain(
        QUEUE
            .keys(deps.storage, None, None, Order::Ascending)
            .collect::<StdResult<Vec<u64>>>()?,
    );
    for id in undecided {
        let p = PROPOSALS.load(deps.storage, id)?;
        if p.max_inference_ops > caps.max_inference_ops || p.max_check_gas > caps.max_check_gas {
            return Err(ContractError::ProposalInProgress { id });
        }
    }
    GUARD_CAPS.save(deps.storage, &caps)?;
    GUARD.save(deps.storage, &guard)?;
    mark_changed(deps.storage);
    Ok(Response::new()
        .add_attribute("action", "bind_guard")
        .add_attribute("guard", guard.as_str()))
}

/// `PauseTheGuard` once a guard is bound: the circuit breaker `Check`
/// reads is then the guard's, not the governor's record.
pub fn ensure_pause_is_ours(storage: &dyn Storage) -> Result<(), ContractError> {
    match GUARD.may_load(storage)? {
        Some(guard) => Err(ContractError::PauseTheGuard(guard.into_string())),
        None => Ok(()),
    }
}

/// `model` within the bound guard's budgets (kept at `BindGuard`, fixed for
/// the guard's life: no query). No guard: no check. The feature count is
/// the governor's own (`BindGuard` checked it).
fn within_caps(storage: &dyn Storage, model: &Model<'_>) -> Result<(), ContractError> {
    let Some(caps) = GUARD_CAPS.may_load(storage)? else {
        return Ok(());
    };
    within_budgets(
        model,
        u16::try_from(model.n_features()).unwrap_or(u16::MAX),
        caps.max_inference_ops,
        caps.max_check_gas,
    )
}

/// A revealed model must also fit the bound guard's budgets (tighter than
/// those fixed at a commitment made before the bind): a model the guard
/// refuses could be accepted but never activated, its proposal pending for
/// good. Refused at the reveal instead, as over the governor's own budgets.
pub fn fits_guard(deps: Deps, model: &Model<'_>) -> Result<(), ContractError> {
    within_caps(deps.storage, model)
}

/// A rollback to a stored `version` (`blob`) that the bound guard does
/// not hold must fit its budgets: its blob is sent and validated there
/// (versions accepted under budgets since lowered, or before the bind,
/// may not). Checked when the rollback is sent and again when it applies,
/// where a refusal drops it: a queued change the guard refuses would
/// otherwise revert `ApplyGovernance` and every later governance message.
pub fn rollback_fits_guard(
    storage: &dyn Storage,
    version: u32,
    blob: &[u8],
) -> Result<(), ContractError> {
    if GUARD_HAS.has(storage, version) || !GUARD_CAPS.exists(storage) {
        return Ok(());
    }
    let model = Model::parse_without_checksum(blob).map_err(invalid_model)?;
    within_caps(storage, &model)
}

/// At the end of a message: if it changed what `Check` reads and a guard
/// is bound, send the guard the active model (its blob only the first
/// time), threshold and envelope, as the next install in sequence. The
/// guard refusing reverts the whole message: the governor and its guard
/// never disagree on the active model.
pub fn flush(deps: DepsMut, response: Response) -> Result<Response, ContractError> {
    if !take_changed(deps.storage) {
        return Ok(response);
    }
    let Some(guard) = GUARD.may_load(deps.storage)? else {
        return Ok(response);
    };
    // The version and the threshold the active record's header holds,
    // from their own small records: the header's record carries the blob.
    let version = active_version(deps.storage)?;
    if version == 0 {
        return Ok(response);
    }
    let header = header_for(&CONFIG.load(deps.storage)?, version);
    let blob = if GUARD_HAS.has(deps.storage, version) {
        None
    } else {
        let blob = load_blob(deps.storage, version)
            .ok_or_else(|| ContractError::CorruptRecord(format!("blob {version}")))?;
        GUARD_HAS.save(deps.storage, version, &Empty {})?;
        Some(blob.into())
    };
    let sequence = GUARD_SEQUENCE
        .may_load(deps.storage)?
        .unwrap_or(0)
        .checked_add(1)
        .ok_or_else(|| StdError::generic_err("install sequence exhausted"))?;
    GUARD_SEQUENCE.save(deps.storage, &sequence)?;
    let install = InstallModel {
        sequence,
        version,
        blob,
        threshold_bits: header.threshold_bits,
        envelope: load_envelope(deps.storage).map(Into::into),
    };
    Ok(response
        .add_message(GuardContract(guard).install(install)?)
        .add_attribute("guard_install", sequence.to_string()))
}
