#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    coins, to_json_binary, Addr, BankMsg, Binary, Deps, DepsMut, Env, MessageInfo, Response,
    StdResult, Uint128,
};
use vigil_guard_api::breaker::{Action, Outcome, Verdict};
use vigil_guard_api::parking::ParkedAction;
use vigil_guard_api::GuardContract;

use crate::error::ContractError;
use crate::msg::{ConfigResponse, ExecuteMsg, InstantiateMsg, QueryMsg};
use crate::state::{Config, CONFIG, PARKING};

fn guard(deps: Deps, guard: Option<String>) -> StdResult<Option<GuardContract>> {
    guard
        .map(|g| deps.api.addr_validate(&g).map(GuardContract))
        .transpose()
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    let config = Config {
        owner: info.sender,
        guard: guard(deps.as_ref(), msg.guard)?,
        denom: msg.denom,
        deny_out_of_envelope: msg.deny_out_of_envelope,
        observe: msg.observe,
    };
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new().add_attribute("action", "instantiate"))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::Withdraw { amount, features } => {
            if amount.is_zero() {
                return Err(ContractError::ZeroAmount);
            }
            let config = CONFIG.load(deps.storage)?;
            if let (Some(guard), true) = (&config.guard, config.observe) {
                return observed_withdraw(deps, &env, info, &config, guard, amount, features);
            }
            if let Some(guard) = &config.guard {
                // Errors (a paused guard in `Error` mode, bad input) fail closed.
                let check = guard.check(&deps.querier, features)?;
                if !check.allow {
                    return Err(ContractError::Refused {
                        score: check.score.to_string(),
                    });
                }
                // The guard scored the input clamped into its data envelope;
                // a strict integrator refuses inputs unlike anything the
                // model was judged on.
                if config.deny_out_of_envelope && !check.in_envelope() {
                    return Err(ContractError::OutOfEnvelope {
                        count: check.out_of_envelope,
                        features: check.out_of_envelope_features,
                    });
                }
            }
            Ok(Response::new()
                .add_attribute("action", "withdraw")
                .add_attribute("guarded", config.guard.is_some().to_string())
                .add_message(BankMsg::Send {
                    to_address: info.sender.to_string(),
                    amount: coins(amount.u128(), config.denom),
                }))
        }
        ExecuteMsg::SetGuard { guard: new } => {
            let mut config = CONFIG.load(deps.storage)?;
            if info.sender != config.owner {
                return Err(ContractError::Unauthorized);
            }
            config.guard = guard(deps.as_ref(), new)?;
            CONFIG.save(deps.storage, &config)?;
            Ok(Response::new()
                .add_attribute("action", "set_guard")
                .add_attribute("guarded", config.guard.is_some().to_string()))
        }
        ExecuteMsg::Release { id } => {
            let config = CONFIG.load(deps.storage)?;
            let Some(guard) = config.guard.as_ref().filter(|_| config.observe) else {
                return Err(ContractError::NotObserving);
            };
            let parked = PARKING.release(deps.storage, id, env.block.height)?;
            Ok(Response::new()
                .add_attribute("action", "release")
                .add_attribute("id", id.to_string())
                .add_message(BankMsg::Send {
                    to_address: parked.recipient.clone(),
                    amount: coins(parked.value.u128(), &config.denom),
                })
                .add_message(guard.observe(parked.action, Outcome::Released)?))
        }
        ExecuteMsg::Cancel { id } => {
            let config = CONFIG.load(deps.storage)?;
            let Some(guard) = config.guard.as_ref().filter(|_| config.observe) else {
                return Err(ContractError::NotObserving);
            };
            PARKING.cancel(
                deps.storage,
                &deps.querier,
                guard,
                &env.contract.address,
                id,
                &info.sender,
            )?;
            Ok(Response::new()
                .add_attribute("action", "cancel")
                .add_attribute("id", id.to_string()))
        }
    }
}

/// A withdrawal reported to the guard's breaker: ask for the verdict, do
/// what it says, report it. A refusal returns success (nothing paid) so
/// the guard records the denial: a failed transaction would erase it.
fn observed_withdraw(
    deps: DepsMut,
    env: &Env,
    info: MessageInfo,
    config: &Config,
    guard: &GuardContract,
    amount: Uint128,
    features: Vec<String>,
) -> Result<Response, ContractError> {
    let total = deps
        .querier
        .query_balance(&env.contract.address, &config.denom)?
        .amount;
    let action = Action {
        kind: "withdraw".into(),
        value: amount,
        total_value: total,
        price: None,
        caller: info.sender.to_string(),
        features,
    };
    let answer = guard.verdict(&deps.querier, &env.contract.address, &action)?;
    let res = Response::new()
        .add_attribute("action", "withdraw")
        .add_attribute("guarded", "true")
        .add_attribute("score", answer.score.to_string());
    Ok(match answer.verdict {
        Verdict::Allow => res
            .add_attribute("outcome", "paid")
            .add_message(BankMsg::Send {
                to_address: info.sender.to_string(),
                amount: coins(amount.u128(), &config.denom),
            })
            .add_message(guard.observe(action, Outcome::Paid)?),
        Verdict::Delay { release_at } => {
            let id = PARKING.park(
                deps.storage,
                &ParkedAction {
                    recipient: info.sender.to_string(),
                    value: amount,
                    release_at,
                    action: action.clone(),
                },
            )?;
            res.add_attribute("outcome", "parked")
                .add_attribute("parked_id", id.to_string())
                .add_attribute("release_at", release_at.to_string())
                .add_message(guard.observe(action, Outcome::Parked)?)
        }
        Verdict::Deny { reason } => res
            .add_attribute("outcome", "refused")
            .add_attribute("reason", format!("{reason:?}"))
            .add_message(guard.observe(action, Outcome::Refused)?),
    })
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Config {} => {
            let c = CONFIG.load(deps.storage)?;
            to_json_binary(&ConfigResponse {
                owner: c.owner,
                guard: c.guard.map(|g: GuardContract| -> Addr { g.addr() }),
                denom: c.denom,
                deny_out_of_envelope: c.deny_out_of_envelope,
                observe: c.observe,
            })
        }
        QueryMsg::Parked { id } => to_json_binary(
            &PARKING
                .get(deps.storage, id)
                .map_err(|e| cosmwasm_std::StdError::generic_err(e.to_string()))?,
        ),
    }
}
