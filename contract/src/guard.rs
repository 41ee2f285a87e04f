//! The guard's entry points (the `vigil_guard.wasm` build, cargo feature
//! `guard`; `docs/split.md`): the queries integrators send (`Check`,
//! `Score`, `Model`, `Config`, `Cost`, `ModelBlob`), its circuit breaker
//! and the governor's `InstallModel`. It holds the models the governor
//! installed and nothing of the governance.
#[cfg(feature = "guard")]
use cosmwasm_std::entry_point;
use cosmwasm_std::{to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response};
use vigil_guard_api::guard_msg::{
    GuardConfigResponse, GuardExecuteMsg, GuardInstantiateMsg, GuardQueryMsg,
};
use vigil_guard_api::msg::MigrateMsg;

use crate::error::ContractError;
use crate::execute::{admin, ensure_no_funds, install, protected};
use crate::query as q;
use crate::query_breaker as qb;
use crate::state::active::active_version;
use crate::state::install::{GOVERNOR, INSTALL_SEQUENCE};
use crate::state::protected::{change_delay, CHANGE_DELAY};
use crate::state::{Config, CONFIG};

/// cw2 contract name of the guard.
pub const CONTRACT_NAME: &str = "crates.io:vigil-guard";
/// cw2 contract version: the crate's.
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Instantiate: settings checked, the governor named; no model until the
/// governor installs one.
#[cfg_attr(feature = "guard", entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: GuardInstantiateMsg,
) -> Result<Response, ContractError> {
    ensure_no_funds(&info)?;
    msg.validate()?;
    let admin = match &msg.admin {
        Some(a) => deps.api.addr_validate(a)?,
        None => info.sender,
    };
    let governor = deps.api.addr_validate(&msg.governor)?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    CONFIG.save(
        deps.storage,
        &Config {
            admin: admin.clone(),
            settings: msg.settings,
            paused: false,
        },
    )?;
    GOVERNOR.save(deps.storage, &governor)?;
    CHANGE_DELAY.save(
        deps.storage,
        &msg.change_delay
            .unwrap_or(vigil_guard_api::breaker::DEFAULT_CHANGE_DELAY),
    )?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("admin", admin.as_str())
        .add_attribute("governor", governor.as_str()))
}

/// The guard's execute dispatch (`InstallModel` validates itself).
#[cfg_attr(feature = "guard", entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: GuardExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        GuardExecuteMsg::InstallModel(m) => install::install(deps, info, m),
        GuardExecuteMsg::HandOverGovernor { governor } => install::hand_over(deps, info, governor),
        GuardExecuteMsg::Pause {} => admin::set_paused(deps, info, true),
        GuardExecuteMsg::Unpause {} => admin::set_paused(deps, info, false),
        GuardExecuteMsg::UpdateAdmin { admin } => admin::update_admin(deps, info, admin),
        GuardExecuteMsg::RegisterProtected { contract, settings } => {
            protected::register(deps, info, contract, settings)
        }
        GuardExecuteMsg::UpdateProtected { contract, settings } => {
            protected::update(deps, env, info, contract, settings)
        }
        GuardExecuteMsg::ApplyProtected { contract } => protected::apply(deps, env, contract),
        GuardExecuteMsg::ResetBreaker { contract } => protected::reset(deps, env, info, contract),
        GuardExecuteMsg::Observe { action, outcome } => {
            protected::observe(deps, env, info, action, outcome)
        }
    }
}

/// The guard's query dispatch: the single contract's handlers, answer for
/// answer, and its own `Config`.
#[cfg_attr(feature = "guard", entry_point)]
pub fn query(deps: Deps, env: Env, msg: GuardQueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        GuardQueryMsg::Check { features } => to_json_binary(&q::check(deps, &features)?)?,
        GuardQueryMsg::Score { features } => to_json_binary(&q::score(deps, &features)?)?,
        GuardQueryMsg::Model { version } => to_json_binary(&q::model(deps, version)?)?,
        GuardQueryMsg::Config {} => to_json_binary(&config(deps)?)?,
        GuardQueryMsg::Cost { model } => to_json_binary(&q::cost(deps, &model)?)?,
        GuardQueryMsg::ModelBlob { version, chunk } => {
            to_json_binary(&q::model_blob(deps, version, chunk)?)?
        }
        GuardQueryMsg::Verdict { contract, action } => {
            to_json_binary(&qb::verdict(deps, &env, &contract, &action)?)?
        }
        GuardQueryMsg::Protected { contract } => to_json_binary(&qb::protected(deps, &contract)?)?,
        GuardQueryMsg::Baseline { contract, kind } => {
            to_json_binary(&qb::baseline(deps, &contract, &kind)?)?
        }
    })
}

/// The guard's `Config`.
pub fn config(deps: Deps) -> Result<GuardConfigResponse, ContractError> {
    let c = CONFIG.load(deps.storage)?;
    Ok(GuardConfigResponse {
        admin: c.admin.into_string(),
        governor: GOVERNOR.load(deps.storage)?.into_string(),
        install_sequence: INSTALL_SEQUENCE.may_load(deps.storage)?.unwrap_or(0),
        n_features: c.settings.n_features,
        max_inference_ops: c.settings.max_inference_ops,
        max_check_gas: c.settings.max_check_gas,
        paused_check: c.settings.paused_check,
        paused: c.paused,
        active_version: active_version(deps.storage)?,
        change_delay: change_delay(deps.storage)?,
    })
}

/// Migrate: from a guard only (a store with a governor), never to an
/// older version. A governor's or a single contract's store is refused: its
/// bonds and test set would be stranded here.
#[cfg_attr(feature = "guard", entry_point)]
pub fn migrate(deps: DepsMut, env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    if !GOVERNOR.exists(deps.storage) {
        return Err(ContractError::WrongContract(
            cw2::get_contract_version(deps.storage)?.contract,
        ));
    }
    crate::migrate::migrate(
        deps,
        env.block.height,
        (CONTRACT_NAME, &[]),
        CONTRACT_VERSION,
    )
}
