#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    coins, to_json_binary, Addr, BankMsg, Binary, Deps, DepsMut, Env, MessageInfo, Response,
    StdResult,
};
use vigil_guard_api::GuardContract;

use crate::error::ContractError;
use crate::msg::{ConfigResponse, ExecuteMsg, InstantiateMsg, QueryMsg};
use crate::state::{Config, CONFIG};

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
    };
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new().add_attribute("action", "instantiate"))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::Withdraw { amount, features } => {
            if amount.is_zero() {
                return Err(ContractError::ZeroAmount);
            }
            let config = CONFIG.load(deps.storage)?;
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
    }
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
            })
        }
    }
}
