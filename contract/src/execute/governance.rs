//! Time-locked governance: `UpdateConfig`, `AddTestSamples`,
//! `RemoveTestSamples` and `Rollback` are checked when the admin sends them,
//! queued, and applied `governance_delay` blocks later (by the permissionless
//! `ApplyGovernance`, or the next governance message), in order. A test-set
//! change or rollback also waits while a proposal is open, and while any
//! proposal committed before it was queued is undecided. See
//! `vigil_guard_api::msg::GovernanceChange`.
use cosmwasm_std::{to_json_vec, Api, DepsMut, Env, MessageInfo, Order, Response, Storage};
use cw_storage_plus::Bound;
use vigil_guard_api::msg::GovernanceChange;
use vigil_guard_api::Settings;

use super::bound_guard::rollback_fits_guard;
use super::test_set::{self, SamplesPlan};
use super::{admin_call, ensure_no_funds};
use crate::error::ContractError;
use crate::models::header_for;
use crate::state::active::{save_active, update_active_header};
use crate::state::bound_guard::{mark_changed, GUARD, GUARD_CAPS};
use crate::state::governance::{self as queued, QueuedChange};
use crate::state::{
    load_blob, Config, CONFIG, NEXT_GOVERNANCE, NEXT_PROPOSAL, OPEN_PROPOSAL, UNDECIDED,
};

/// A change checked against the state, ready to write.
enum Plan {
    Config(Box<Settings>),
    Samples(SamplesPlan),
    Rollback(u32, Vec<u8>),
}

/// Check `change` against the state now: what it would write, or why it
/// cannot apply.
fn plan(
    storage: &dyn Storage,
    api: &dyn Api,
    config: &Config,
    change: &GovernanceChange,
) -> Result<Plan, ContractError> {
    Ok(match change {
        GovernanceChange::UpdateConfig(update) => {
            let mut settings = update.apply(&config.settings)?;
            for g in [&mut settings.guardian, &mut settings.curator]
                .into_iter()
                .flatten()
            {
                *g = api.addr_validate(g)?.into_string();
            }
            // Never a budget the bound guard would refuse to install under.
            if let Some(reason) = GUARD_CAPS
                .may_load(storage)?
                .and_then(|caps| caps.exceeded_by(&settings))
            {
                let guard = GUARD.may_load(storage)?.map(String::from);
                return Err(ContractError::GuardMismatch {
                    guard: guard.unwrap_or_default(),
                    reason,
                });
            }
            Plan::Config(Box::new(settings))
        }
        GovernanceChange::AddTestSamples { samples } => {
            Plan::Samples(test_set::plan_add(storage, &config.settings, samples)?)
        }
        GovernanceChange::RemoveTestSamples { ids } => {
            Plan::Samples(test_set::plan_remove(storage, &config.settings, ids)?)
        }
        GovernanceChange::Rollback { version } => {
            let blob =
                load_blob(storage, *version).ok_or(ContractError::NoSuchVersion(*version))?;
            rollback_fits_guard(storage, *version, &blob)?;
            Plan::Rollback(*version, blob)
        }
    })
}

/// Write a checked change.
fn write(storage: &mut dyn Storage, mut config: Config, plan: Plan) -> Result<(), ContractError> {
    match plan {
        Plan::Config(settings) => {
            let margin_changed = settings.envelope_margin != config.settings.envelope_margin;
            config.settings = *settings;
            CONFIG.save(storage, &config)?;
            let header = header_for(&config, 0);
            let mut threshold_changed = false;
            update_active_header(storage, |h| {
                threshold_changed = h.threshold_bits != header.threshold_bits;
                h.paused_check = header.paused_check;
                h.threshold_bits = header.threshold_bits;
            });
            // The guard's record follows a new threshold (its pause and
            // `paused_check` are its own).
            if threshold_changed {
                mark_changed(storage);
            }
            if margin_changed {
                crate::envelope::refresh(storage, &config.settings)?;
            }
        }
        // The envelope follows the test set (and tells the guard when it
        // moves).
        Plan::Samples(p) => test_set::write(storage, &config.settings, &p)?,
        Plan::Rollback(version, blob) => {
            save_active(storage, &header_for(&config, version), &blob)?;
            mark_changed(storage);
        }
    }
    Ok(())
}

/// The proposal a change must wait for: none for a config change; for a
/// test-set change or rollback, the open proposal, else the first undecided
/// one committed before the change was queued (id below `after_proposal`).
fn held_by(
    storage: &dyn Storage,
    change: &GovernanceChange,
    after_proposal: u64,
) -> Result<Option<u64>, ContractError> {
    if matches!(change, GovernanceChange::UpdateConfig(_)) {
        return Ok(None);
    }
    if let Some(id) = OPEN_PROPOSAL.may_load(storage)? {
        return Ok(Some(id));
    }
    Ok(UNDECIDED
        .keys(
            storage,
            None,
            Some(Bound::exclusive(after_proposal)),
            Order::Ascending,
        )
        .next()
        .transpose()?)
}

/// Apply the queued changes due at `height`, in order, up to the first that
/// must wait. A change that can no longer apply is dropped. Returns how
/// many applied and the attributes of the dropped ones.
fn apply_due(
    storage: &mut dyn Storage,
    api: &dyn Api,
    height: u64,
) -> Result<(u32, Vec<(String, String)>), ContractError> {
    let (mut applied, mut dropped) = (0u32, Vec::new());
    loop {
        let Some((id, p)) = queued::first(storage)? else {
            break;
        };
        let change = p.change()?;
        if height < p.apply_at || held_by(storage, &change, p.after_proposal)?.is_some() {
            break;
        }
        queued::remove(storage, id);
        let config = CONFIG.load(storage)?;
        match plan(storage, api, &config, &change) {
            Ok(plan) => {
                write(storage, config, plan)?;
                applied += 1;
            }
            Err(e) => dropped.push(("governance_dropped".into(), format!("{id}: {e}"))),
        }
    }
    Ok((applied, dropped))
}

/// A governance message from the admin: checked now; with no delay (and
/// nothing queued) applied at once or refused while a proposal holds it;
/// else queued and the due changes applied.
pub fn govern(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    change: GovernanceChange,
) -> Result<Response, ContractError> {
    let config = admin_call(deps.as_ref(), &info)?;
    let height = env.block.height;
    let checked = plan(deps.storage, deps.api, &config, &change)?;
    let delay = config.settings.governance_delay;
    let after_proposal = NEXT_PROPOSAL.load(deps.storage)?;
    let response = Response::new().add_attribute("action", "governance");
    if delay == 0 && queued::first(deps.storage)?.is_none() {
        if let Some(id) = held_by(deps.storage, &change, after_proposal)? {
            return Err(match change {
                GovernanceChange::Rollback { .. } => ContractError::ProposalInProgress { id },
                _ => ContractError::TestSetLocked { id },
            });
        }
        write(deps.storage, config, checked)?;
        return Ok(response.add_attribute("applied", "1"));
    }
    let id = NEXT_GOVERNANCE.may_load(deps.storage)?.unwrap_or(1);
    NEXT_GOVERNANCE.save(deps.storage, &id.saturating_add(1))?;
    let apply_at = height.saturating_add(delay);
    queued::save(
        deps.storage,
        id,
        &QueuedChange {
            msg: to_json_vec(&change)?,
            queued_at: height,
            apply_at,
            after_proposal,
        },
    );
    let (applied, dropped) = apply_due(deps.storage, deps.api, height)?;
    Ok(response
        .add_attribute("governance_id", id.to_string())
        .add_attribute("apply_at", apply_at.to_string())
        .add_attribute("applied", applied.to_string())
        .add_attributes(dropped))
}

/// `ApplyGovernance` (anyone): the queued changes that are due.
pub fn apply_governance(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
) -> Result<Response, ContractError> {
    ensure_no_funds(&info)?;
    let height = env.block.height;
    let (applied, dropped) = apply_due(deps.storage, deps.api, height)?;
    // Also the hidden batch, and the queue it may have held.
    let batch = super::batch::settle(deps.storage, height)?;
    let denom = CONFIG.load(deps.storage)?.settings.bond_denom;
    let refunds = super::queue::next_in_queue(deps.storage, height, &denom)?;
    Ok(Response::new()
        .add_attribute("action", "apply_governance")
        .add_attribute("batch", batch)
        .add_messages(refunds)
        .add_attribute("applied", applied.to_string())
        .add_attributes(dropped))
}
