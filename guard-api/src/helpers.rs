//! [`GuardContract`]: the typed helper another contract (a vault, a DEX, a
//! lending market) uses to ask the guard, as cw-plus's `Cw20Contract` is
//! for cw20 tokens.
//!
//! ```
//! # use cosmwasm_std::{Addr, Deps, StdError, StdResult};
//! # use vigil_guard_api::GuardContract;
//! fn withdraw(deps: Deps, guard: &GuardContract, features: Vec<String>) -> StdResult<()> {
//!     let check = guard.check(&deps.querier, features)?;
//!     if !check.allow {
//!         return Err(StdError::generic_err(format!("refused by the guard (score {})", check.score)));
//!     }
//!     Ok(())
//! }
//! ```
use cosmwasm_schema::cw_serde;
use cosmwasm_std::{
    to_json_binary, Addr, Coin, CosmosMsg, CustomQuery, QuerierWrapper, StdResult, WasmMsg,
};
use serde::de::DeserializeOwned;

use crate::breaker::{Action, Outcome, ProtectedResponse, VerdictResponse};
use crate::commit::{commitment, SALT_BYTES};
use crate::guard_msg::{GuardConfigResponse, GuardExecuteMsg, GuardQueryMsg};
use crate::install::InstallModel;
use crate::msg::{
    CheckResponse, ConfigResponse, ExecuteMsg, ModelBlobResponse, ModelResponse, ProposalLimits,
    QueryMsg, ScoreResponse,
};

/// A guard contract's address, with typed calls.
#[cw_serde]
pub struct GuardContract(pub Addr);

impl GuardContract {
    /// The guard's address.
    pub fn addr(&self) -> Addr {
        self.0.clone()
    }

    /// An execute message to the guard, with `funds` attached (a bond for
    /// `CommitProposal`, rewards for `Fund`).
    pub fn call(&self, msg: &ExecuteMsg, funds: Vec<Coin>) -> StdResult<CosmosMsg> {
        Ok(WasmMsg::Execute {
            contract_addr: self.0.to_string(),
            msg: to_json_binary(msg)?,
            funds,
        }
        .into())
    }

    /// `InstallModel` (the split, `docs/split.md`): the governor's
    /// message to the guard, no funds (the guard refuses them).
    pub fn install(&self, msg: InstallModel) -> StdResult<CosmosMsg> {
        Ok(WasmMsg::Execute {
            contract_addr: self.0.to_string(),
            msg: to_json_binary(&GuardExecuteMsg::InstallModel(msg))?,
            funds: vec![],
        }
        .into())
    }

    /// `CommitProposal` for `model` from `proposer` (the address that will
    /// send this and the reveal) with `salt`, `bond` attached: the
    /// commitment computed as the guard checks it
    /// ([`crate::commit::commitment`]). Keep `model` and `salt` for
    /// [`GuardContract::reveal`].
    pub fn commit(
        &self,
        model: &[u8],
        proposer: &Addr,
        salt: &[u8; SALT_BYTES],
        limits: Option<ProposalLimits>,
        bond: Coin,
    ) -> StdResult<CosmosMsg> {
        let c = commitment(model, proposer.as_str(), salt);
        self.call(
            &ExecuteMsg::CommitProposal {
                commitment: c.to_vec().into(),
                limits,
            },
            vec![bond],
        )
    }

    /// `RevealProposal` of `proposal_id` (from `reveal_delay` blocks after
    /// the commit, by the same sender).
    pub fn reveal(
        &self,
        proposal_id: u64,
        model: &[u8],
        salt: &[u8; SALT_BYTES],
    ) -> StdResult<CosmosMsg> {
        self.call(
            &ExecuteMsg::RevealProposal {
                proposal_id,
                model: model.to_vec().into(),
                salt: salt.to_vec().into(),
            },
            vec![],
        )
    }

    /// Any query of the guard.
    pub fn query<T: DeserializeOwned, C: CustomQuery>(
        &self,
        querier: &QuerierWrapper<C>,
        msg: &QueryMsg,
    ) -> StdResult<T> {
        querier.query_wasm_smart(self.0.as_str(), msg)
    }

    /// Should a transaction with these inputs (one decimal string per
    /// feature) be allowed? Fails when the guard does (bad input, no model,
    /// paused with `PausedCheck::Error`): a caller that propagates the error
    /// fails closed.
    pub fn check<C: CustomQuery>(
        &self,
        querier: &QuerierWrapper<C>,
        features: Vec<String>,
    ) -> StdResult<CheckResponse> {
        self.query(querier, &QueryMsg::Check { features })
    }

    /// The score, label and top contributions of these inputs.
    pub fn score<C: CustomQuery>(
        &self,
        querier: &QuerierWrapper<C>,
        features: Vec<String>,
    ) -> StdResult<ScoreResponse> {
        self.query(querier, &QueryMsg::Score { features })
    }

    /// The active model's record, or that of `version`.
    pub fn model<C: CustomQuery>(
        &self,
        querier: &QuerierWrapper<C>,
        version: Option<u32>,
    ) -> StdResult<ModelResponse> {
        self.query(querier, &QueryMsg::Model { version })
    }

    /// The configuration of a governor (or of a single contract of 0.1
    /// and early 0.2): settings, vault, test set.
    pub fn config<C: CustomQuery>(&self, querier: &QuerierWrapper<C>) -> StdResult<ConfigResponse> {
        self.query(querier, &QueryMsg::Config {})
    }

    /// A guard's own configuration (its governor, budgets, pause, install
    /// sequence): what an integrator checks before trusting it, e.g. that
    /// its governor is the one they expect.
    pub fn guard_config<C: CustomQuery>(
        &self,
        querier: &QuerierWrapper<C>,
    ) -> StdResult<GuardConfigResponse> {
        querier.query_wasm_smart(self.0.as_str(), &GuardQueryMsg::Config {})
    }

    /// One chunk of a stored model's blob.
    pub fn model_blob<C: CustomQuery>(
        &self,
        querier: &QuerierWrapper<C>,
        version: Option<u32>,
        chunk: u32,
    ) -> StdResult<ModelBlobResponse> {
        self.query(
            querier,
            &QueryMsg::ModelBlob {
                version,
                chunk: Some(chunk),
            },
        )
    }
    /// The guard's verdict on an action of the calling contract
    /// (`protected`: its own address), without recording it: what a
    /// protected contract asks before it moves value.
    pub fn verdict<C: CustomQuery>(
        &self,
        querier: &QuerierWrapper<C>,
        protected: &Addr,
        action: &Action,
    ) -> StdResult<VerdictResponse> {
        querier.query_wasm_smart(
            self.0.as_str(),
            &GuardQueryMsg::Verdict {
                contract: protected.to_string(),
                action: action.clone(),
            },
        )
    }

    /// The one line a protected contract adds to its response: report the
    /// action and what it did with it. The guard records it and re-judges
    /// it; an outcome the verdict does not allow (paid when denied) fails,
    /// and the whole transaction with it.
    pub fn observe(&self, action: Action, outcome: Outcome) -> StdResult<CosmosMsg> {
        Ok(WasmMsg::Execute {
            contract_addr: self.0.to_string(),
            msg: to_json_binary(&GuardExecuteMsg::Observe { action, outcome })?,
            funds: vec![],
        }
        .into())
    }

    /// A protected contract's settings, pending change and breaker.
    pub fn protected<C: CustomQuery>(
        &self,
        querier: &QuerierWrapper<C>,
        protected: &Addr,
    ) -> StdResult<ProtectedResponse> {
        querier.query_wasm_smart(
            self.0.as_str(),
            &GuardQueryMsg::Protected {
                contract: protected.to_string(),
            },
        )
    }
}
