//! The governor's entry points (the `vigil_governor.wasm` build, cargo
//! feature `governor`): instantiate, the execute and query dispatch,
//! migrate. Without a bound guard (`BindGuard`) it is the whole guard of
//! one contract, answering `Check` and `Score` too: the tests use it so;
//! the governor build refuses those two queries (`GuardQuery`), which are
//! its guard's ([`crate::guard`], `docs/split.md`).
#[cfg(feature = "governor")]
use cosmwasm_std::entry_point;
use cosmwasm_std::{to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response, Uint128};
use vigil_guard_api::msg::{ExecuteMsg, GovernanceChange, InstantiateMsg, MigrateMsg, QueryMsg};

use crate::error::ContractError;
use crate::execute::{admin, batch, bound_guard, governance, proposals, single_coin, test_set};
use crate::models::{install_model, validate_model};
use crate::state::{Config, TestSetMeta, CONFIG, NEXT_PROPOSAL, TEST_SET, VAULT};
use crate::{migrate as migration, query as q};

/// cw2 contract name.
pub const CONTRACT_NAME: &str = "crates.io:vigil-governor";
/// cw2 contract version: the crate's.
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Instantiate: settings checked, funds sent start the vault, an optional
/// first test set and model.
#[cfg_attr(feature = "governor", entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    msg.validate()?;
    let mut settings = msg.settings();
    for g in [&mut settings.guardian, &mut settings.curator]
        .into_iter()
        .flatten()
    {
        *g = deps.api.addr_validate(g)?.into_string();
    }
    let admin = match &msg.admin {
        Some(a) => deps.api.addr_validate(a)?,
        None => info.sender.clone(),
    };
    let config = Config {
        admin,
        settings,
        paused: false,
    };
    let vault: Uint128 = single_coin(&info, &config.settings.bond_denom)?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    CONFIG.save(deps.storage, &config)?;
    VAULT.save(deps.storage, &vault)?;
    NEXT_PROPOSAL.save(deps.storage, &1)?;
    TEST_SET.save(deps.storage, &TestSetMeta::default())?;
    let mut response = Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("admin", config.admin.as_str());
    if !msg.initial_test_set.is_empty() {
        let added = test_set::add_samples(deps.storage, &config.settings, &msg.initial_test_set)?;
        response = response.add_attribute("test_samples", added.to_string());
    }
    if let Some(blob) = &msg.initial_model {
        let model = validate_model(blob, &config.settings)?;
        let version = install_model(deps.storage, &config, &model, &config.admin, None)?;
        response = response.add_attribute("model_version", version.to_string());
    }
    Ok(response)
}

/// Execute.
#[cfg_attr(feature = "governor", entry_point)]
pub fn execute(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    msg.validate()?;
    let response = dispatch(deps.branch(), env, info, msg)?;
    // The guard's record follows any change of the active model,
    // threshold or envelope, in this transaction.
    bound_guard::flush(deps, response)
}

fn dispatch(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::CommitProposal { commitment, limits } => {
            proposals::commit(deps, env, info, commitment, limits)
        }
        ExecuteMsg::RevealProposal {
            proposal_id,
            model,
            salt,
        } => proposals::reveal(deps, env, info, proposal_id, model, salt),
        ExecuteMsg::Veto { proposal_id } => proposals::veto(deps, env, info, proposal_id),
        ExecuteMsg::Activate {} => proposals::activate(deps, env, info),
        ExecuteMsg::ContinueEvaluation { proposal_id } => {
            proposals::continue_evaluation(deps, env, info, proposal_id)
        }
        ExecuteMsg::CancelProposal { proposal_id } => {
            proposals::cancel(deps, env, info, proposal_id)
        }
        ExecuteMsg::CloseStalled { proposal_id } => {
            proposals::close_stalled(deps, env, info, proposal_id)
        }
        ExecuteMsg::AddTestSamples { samples } => governance::govern(
            deps,
            env,
            info,
            GovernanceChange::AddTestSamples { samples },
        ),
        ExecuteMsg::RemoveTestSamples { ids } => {
            governance::govern(deps, env, info, GovernanceChange::RemoveTestSamples { ids })
        }
        ExecuteMsg::Rollback { version } => {
            governance::govern(deps, env, info, GovernanceChange::Rollback { version })
        }
        ExecuteMsg::UpdateConfig(update) => {
            governance::govern(deps, env, info, GovernanceChange::UpdateConfig(update))
        }
        ExecuteMsg::ApplyGovernance {} => governance::apply_governance(deps, env, info),
        ExecuteMsg::CommitBatch { chunks } => batch::commit_batch(deps, env, info, chunks),
        ExecuteMsg::RevealBatch {
            index,
            samples,
            salt,
        } => batch::reveal_batch(deps, env, info, index, samples, salt),
        ExecuteMsg::Withdraw { proposal_id } => proposals::withdraw(deps, env, info, proposal_id),
        ExecuteMsg::Pause {} => {
            bound_guard::ensure_pause_is_ours(deps.storage)?;
            admin::set_paused(deps, info, true)
        }
        ExecuteMsg::Unpause {} => {
            bound_guard::ensure_pause_is_ours(deps.storage)?;
            admin::set_paused(deps, info, false)
        }
        ExecuteMsg::UpdateAdmin { admin } => admin::update_admin(deps, info, admin),
        ExecuteMsg::Fund {} => admin::fund(deps, info),
        ExecuteMsg::Sweep {} => admin::sweep(deps, env, info),
        ExecuteMsg::BindGuard { guard } => bound_guard::bind(deps, env, info, guard),
    }
}

/// Query.
#[cfg_attr(feature = "governor", entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        #[cfg(not(feature = "governor"))]
        QueryMsg::Check { features } => to_json_binary(&q::check(deps, &features)?)?,
        #[cfg(not(feature = "governor"))]
        QueryMsg::Score { features } => to_json_binary(&q::score(deps, &features)?)?,
        #[cfg(feature = "governor")]
        QueryMsg::Check { .. } => return Err(ContractError::GuardQuery("check".into())),
        #[cfg(feature = "governor")]
        QueryMsg::Score { .. } => return Err(ContractError::GuardQuery("score".into())),
        QueryMsg::Model { version } => to_json_binary(&q::model(deps, version)?)?,
        QueryMsg::Config {} => to_json_binary(&q::config(deps)?)?,
        QueryMsg::TestSet { start_after, limit } => {
            to_json_binary(&q::test_set(deps, start_after, limit)?)?
        }
        QueryMsg::Batch {} => to_json_binary(&q::batch(deps, env.block.height)?)?,
        QueryMsg::Governance { start_after, limit } => {
            to_json_binary(&q::governance(deps, start_after, limit)?)?
        }
        QueryMsg::Proposals { start_after, limit } => {
            to_json_binary(&q::proposals(deps, start_after, limit)?)?
        }
        QueryMsg::Cost { model } => to_json_binary(&q::cost(deps, &model)?)?,
        QueryMsg::ModelBlob { version, chunk } => {
            to_json_binary(&q::model_blob(deps, version, chunk)?)?
        }
    })
}

/// Migrate: from this contract, or from the single contract of 0.1 and
/// early 0.2 (named `crates.io:vigil-guard`, holding the governance state;
/// never a split guard's store), never to an older version; a 0.1 store is
/// converted to this layout. The single contract's address becomes the
/// governor's; a guard is then instantiated and bound (`BindGuard`).
#[cfg_attr(feature = "governor", entry_point)]
pub fn migrate(deps: DepsMut, env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    if crate::state::install::GOVERNOR.exists(deps.storage) {
        return Err(ContractError::WrongContract(
            cw2::get_contract_version(deps.storage)?.contract,
        ));
    }
    migration::migrate(
        deps,
        env.block.height,
        (CONTRACT_NAME, &[SINGLE_CONTRACT_NAME]),
        CONTRACT_VERSION,
    )
}

/// cw2 name of the single contract (0.1, early 0.2) the governor succeeds.
pub const SINGLE_CONTRACT_NAME: &str = "crates.io:vigil-guard";
