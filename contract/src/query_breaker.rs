//! The breaker's queries: `Verdict` (an action judged as `Observe` would
//! judge it in this block, nothing recorded), `Protected` and `Baseline`.
use cosmwasm_std::{Deps, Env};
use vigil_guard_api::breaker::{Action, BaselineResponse, ProtectedResponse, VerdictResponse};
use vigil_inference_core::baseline::{isqrt, VAR_FLOOR};

use vigil_guard_api::msg::CheckGas;

use crate::error::ContractError;
use crate::gas::observe_gas_bound;
use crate::models::stored_cost;
use crate::observe::{self, wire_breaker};
use crate::state::active::active_version;
use crate::state::protected::{load_baseline, load_breaker, PROTECTED};
use crate::state::{CONFIG, MODELS};
use crate::units::q16_unsigned_decimal;

/// `Verdict`.
pub fn verdict(
    deps: Deps,
    env: &Env,
    contract: &str,
    action: &Action,
) -> Result<VerdictResponse, ContractError> {
    let addr = deps.api.addr_validate(contract)?;
    let (p, _) = observe::protected(deps, &addr, env.block.height)?;
    Ok(observe::judge(deps, &addr, &p.settings, env.block.height, action)?.response())
}

/// `Protected`: as stored (a change that is due shows as pending until an
/// observation or `ApplyProtected` applies it).
pub fn protected(deps: Deps, contract: &str) -> Result<ProtectedResponse, ContractError> {
    let addr = deps.api.addr_validate(contract)?;
    let p = PROTECTED
        .may_load(deps.storage, &addr)?
        .ok_or_else(|| ContractError::NotProtected(contract.to_string()))?;
    Ok(ProtectedResponse {
        contract: addr.to_string(),
        settings: p.settings,
        pending: p.pending,
        breaker: wire_breaker(&load_breaker(deps.storage, &addr)?),
        observe_gas: observe_gas(deps)?,
    })
}

/// The quoted `Observe` bound on the active model.
fn observe_gas(deps: Deps) -> Result<Option<CheckGas>, ContractError> {
    let version = active_version(deps.storage)?;
    let Some(info) = MODELS.may_load(deps.storage, version)? else {
        return Ok(None);
    };
    let n = CONFIG.load(deps.storage)?.settings.n_features;
    Ok(Some(observe_gas_bound(&stored_cost(&info), usize::from(n))))
}

/// `Baseline`: one kind's baselines as stored.
pub fn baseline(deps: Deps, contract: &str, kind: &str) -> Result<BaselineResponse, ContractError> {
    let addr = deps.api.addr_validate(contract)?;
    let p = PROTECTED
        .may_load(deps.storage, &addr)?
        .ok_or_else(|| ContractError::NotProtected(contract.to_string()))?;
    if !p.settings.kinds.iter().any(|k| k == kind) {
        return Err(ContractError::UnknownKind {
            contract: contract.to_string(),
            kind: kind.to_string(),
        });
    }
    let params = observe::params(&p.settings)?;
    let b = load_baseline(deps.storage, &addr, kind)?;
    Ok(BaselineResponse {
        windows: b.windows,
        warm: b.warm(&params),
        mean_log_value: q16_unsigned_decimal(b.mean_log.max(0) as u128),
        sd_log_value: q16_unsigned_decimal(isqrt(b.var_log.max(VAR_FLOOR) as u128)),
        calls_per_window: q16_unsigned_decimal(b.mean_calls as u128),
        outflow_per_window: b.mean_outflow.into(),
        callers_per_window: q16_unsigned_decimal(b.mean_callers as u128),
        price_average: b.price_ma.into(),
        window: b.window,
        window_calls: b.calls,
    })
}
