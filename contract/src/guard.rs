//! The split guard's dispatch (`docs/split.md`): its execute and query
//! messages (`vigil_guard_api::guard_msg`) onto the handlers the single
//! contract shares. Not entry points yet: the single contract's
//! [`crate::contract`] is the artifact; these are tested on
//! `mock_dependencies`.
use cosmwasm_std::{to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response};
use vigil_guard_api::guard_msg::{GuardExecuteMsg, GuardQueryMsg};

use crate::error::ContractError;
use crate::execute::{admin, install};
use crate::query as q;

/// The guard's execute dispatch (`InstallModel` validates itself).
pub fn execute(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: GuardExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        GuardExecuteMsg::InstallModel(m) => install::install(deps, info, m),
        GuardExecuteMsg::HandOverGovernor { governor } => install::hand_over(deps, info, governor),
        GuardExecuteMsg::Pause {} => admin::set_paused(deps, info, true),
        GuardExecuteMsg::Unpause {} => admin::set_paused(deps, info, false),
        GuardExecuteMsg::UpdateAdmin { admin } => admin::update_admin(deps, info, admin),
    }
}

/// The guard's query dispatch: the single contract's handlers, answer for
/// answer.
pub fn query(deps: Deps, _env: Env, msg: GuardQueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        GuardQueryMsg::Check { features } => to_json_binary(&q::check(deps, &features)?)?,
        GuardQueryMsg::Score { features } => to_json_binary(&q::score(deps, &features)?)?,
        GuardQueryMsg::Model { version } => to_json_binary(&q::model(deps, version)?)?,
        GuardQueryMsg::Config {} => to_json_binary(&q::config(deps)?)?,
        GuardQueryMsg::Cost { model } => to_json_binary(&q::cost(deps, &model)?)?,
        GuardQueryMsg::ModelBlob { version, chunk } => {
            to_json_binary(&q::model_blob(deps, version, chunk)?)?
        }
    })
}
