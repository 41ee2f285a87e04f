//! The guard's protected contracts (`docs/breaker.md`): registration and
//! time-locked changes by the admin, the guardian's reset, and `Observe`,
//! which records a judged action and its outcome.
use cosmwasm_std::{
    to_json_binary, to_json_string, Addr, DepsMut, Env, Event, MessageInfo, Response,
};
use vigil_guard_api::breaker::{Action, Outcome, PendingProtected, ProtectedSettings};
use vigil_inference_core::breaker::{self as core, Breaker, Transition};

use crate::error::ContractError;
use crate::execute::{admin_call, ensure_no_funds};
use crate::observe::{self, wire_response, wire_rule};
use crate::state::protected::{
    change_delay, load_breaker, remove_baseline, remove_breaker, save_baseline, save_breaker,
    Protected, PROTECTED,
};

/// The event type of breaker transitions (`wasm-vigil_breaker` on chain).
pub const BREAKER_EVENT: &str = "vigil_breaker";
/// The event type of a parked action (`wasm-vigil_delay` on chain).
pub const DELAY_EVENT: &str = "vigil_delay";

fn checked(deps: &DepsMut, s: &ProtectedSettings) -> Result<(), ContractError> {
    s.validate()?;
    observe::params(s)?;
    if let Some(g) = &s.guardian {
        deps.api.addr_validate(g)?;
    }
    Ok(())
}

/// Admin: protect a contract, at once.
pub fn register(
    deps: DepsMut,
    info: MessageInfo,
    contract: String,
    settings: ProtectedSettings,
) -> Result<Response, ContractError> {
    admin_call(deps.as_ref(), &info)?;
    let addr = deps.api.addr_validate(&contract)?;
    checked(&deps, &settings)?;
    if PROTECTED.has(deps.storage, &addr) {
        return Err(ContractError::AlreadyProtected(contract));
    }
    PROTECTED.save(
        deps.storage,
        &addr,
        &Protected {
            settings,
            pending: None,
        },
    )?;
    Ok(Response::new()
        .add_attribute("action", "register_protected")
        .add_attribute("contract", addr))
}

/// Admin: change a protected contract's settings (or remove it) after the
/// guard's change delay.
pub fn update(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    contract: String,
    settings: Option<ProtectedSettings>,
) -> Result<Response, ContractError> {
    admin_call(deps.as_ref(), &info)?;
    let addr = deps.api.addr_validate(&contract)?;
    if let Some(s) = &settings {
        checked(&deps, s)?;
    }
    let (mut p, _) = observe::protected(deps.as_ref(), &addr, env.block.height)?;
    let effective_at = env.block.height.saturating_add(change_delay(deps.storage)?);
    let removal = settings.is_none();
    p.pending = Some(PendingProtected {
        effective_at,
        settings,
    });
    PROTECTED.save(deps.storage, &addr, &p)?;
    Ok(Response::new()
        .add_attribute("action", "update_protected")
        .add_attribute("contract", addr)
        .add_attribute("removal", removal.to_string())
        .add_attribute("effective_at", effective_at.to_string()))
}

/// Anyone: apply a change that is due.
pub fn apply(deps: DepsMut, env: Env, contract: String) -> Result<Response, ContractError> {
    let addr = deps.api.addr_validate(&contract)?;
    let stored = PROTECTED
        .may_load(deps.storage, &addr)?
        .ok_or_else(|| ContractError::NotProtected(contract.clone()))?;
    let reason = match &stored.pending {
        None => Some("none pending".to_string()),
        Some(c) if env.block.height < c.effective_at => Some(format!("due at {}", c.effective_at)),
        Some(_) => None,
    };
    if let Some(reason) = reason {
        return Err(ContractError::NoChangeDue { contract, reason });
    }
    let res = Response::new()
        .add_attribute("action", "apply_protected")
        .add_attribute("contract", addr.as_str());
    match observe::protected(deps.as_ref(), &addr, env.block.height) {
        Ok((p, _)) => {
            PROTECTED.save(deps.storage, &addr, &p)?;
            Ok(res.add_attribute("removed", "false"))
        }
        Err(ContractError::NotProtected(_)) => {
            remove(deps, &addr, &stored.settings.kinds);
            Ok(res.add_attribute("removed", "true"))
        }
        Err(e) => Err(e),
    }
}

/// A contract's records removed (its removal came due).
fn remove(deps: DepsMut, addr: &Addr, kinds: &[String]) {
    PROTECTED.remove(deps.storage, addr);
    for k in kinds {
        remove_baseline(deps.storage, addr, k);
    }
    remove_breaker(deps.storage, addr);
}

/// The guardian: close the breaker now.
pub fn reset(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    contract: String,
) -> Result<Response, ContractError> {
    ensure_no_funds(&info)?;
    let addr = deps.api.addr_validate(&contract)?;
    let (p, _) = observe::protected(deps.as_ref(), &addr, env.block.height)?;
    if p.settings.guardian.as_deref() != Some(info.sender.as_str()) {
        return Err(ContractError::NotGuardian);
    }
    let mut b = load_breaker(deps.storage, &addr)?;
    b.reset();
    save_breaker(deps.storage, &addr, &b);
    Ok(Response::new()
        .add_attribute("action", "reset_breaker")
        .add_event(
            Event::new(BREAKER_EVENT)
                .add_attribute("contract", addr)
                .add_attribute("transition", "reset")
                .add_attribute("by", info.sender)
                .add_attribute("height", env.block.height.to_string()),
        ))
}

/// The protected contract (the sender): record an action and its outcome.
pub fn observe(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    action: Action,
    outcome: Outcome,
) -> Result<Response, ContractError> {
    ensure_no_funds(&info)?;
    let contract = info.sender;
    let height = env.block.height;
    let (p, applied) = observe::protected(deps.as_ref(), &contract, height)?;
    if applied {
        PROTECTED.save(deps.storage, &contract, &p)?;
    }
    if outcome == Outcome::Released {
        return released(deps, &contract, &p, height, &action);
    }
    let mut j = observe::judge(deps.as_ref(), &contract, &p.settings, height, &action)?;
    let outcome_core = match outcome {
        Outcome::Paid => core::Outcome::Paid,
        Outcome::Parked => core::Outcome::Parked,
        _ => core::Outcome::Refused,
    };
    if !Breaker::follows(&j.judgement.verdict, outcome_core) {
        return Err(ContractError::OutcomeRefused {
            outcome,
            verdict: to_json_string(&observe::wire_verdict(&j.judgement.verdict))?,
        });
    }
    let mut breaker = j.judgement.next;
    breaker.apply(&j.judged, outcome_core);
    if outcome == Outcome::Paid {
        j.baseline.record(&j.action);
    }
    let mut res = Response::new().add_attribute("action", "observe");
    for t in j.judgement.transitions.iter().flatten() {
        let e = Event::new(BREAKER_EVENT)
            .add_attribute("contract", contract.as_str())
            .add_attribute("height", height.to_string());
        res = res.add_event(match *t {
            Transition::Tripped(rule, response) => e
                .add_attribute("transition", "tripped")
                .add_attribute("rule", to_json_string(&wire_rule(rule))?)
                .add_attribute("response", to_json_string(&wire_response(response))?),
            Transition::HalfOpened => e.add_attribute("transition", "half_open"),
            Transition::Closed => e.add_attribute("transition", "closed"),
        });
    }
    if let (Outcome::Parked, core::Verdict::Delay { release_at }) = (outcome, j.judgement.verdict) {
        res = res.add_event(
            Event::new(DELAY_EVENT)
                .add_attribute("contract", contract.as_str())
                .add_attribute("kind", action.kind.as_str())
                .add_attribute("value", action.value.to_string())
                .add_attribute("caller", action.caller.as_str())
                .add_attribute("release_at", release_at.to_string()),
        );
    }
    save_baseline(deps.storage, &contract, &action.kind, &j.baseline);
    save_breaker(deps.storage, &contract, &breaker);
    j.judgement.next = breaker;
    Ok(res.set_data(to_json_binary(&j.response())?))
}

/// A parked action released: judged when it was parked, so no model runs
/// now (a release cannot be refused by a later model or a pause); its value
/// leaves in this window and the baseline learns it.
fn released(
    deps: DepsMut,
    contract: &Addr,
    p: &Protected,
    height: u64,
    action: &Action,
) -> Result<Response, ContractError> {
    let (params, mut b, a) = observe::rolled(deps.as_ref(), contract, &p.settings, height, action)?;
    b.record(&a);
    let mut breaker = load_breaker(deps.storage, contract)?;
    breaker.release(params.window_of(height), a.value);
    save_baseline(deps.storage, contract, &action.kind, &b);
    save_breaker(deps.storage, contract, &breaker);
    Ok(Response::new()
        .add_attribute("action", "observe")
        .add_attribute("outcome", "released"))
}
