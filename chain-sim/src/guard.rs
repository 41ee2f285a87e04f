//! [`SimGuard`]: the guard and its governor on a simulated chain
//! ([`crate::split`]), with typed calls.
//!
//! Messages are `vigil_guard_api::msg` types, answers are its response
//! types, and every call reports the SDK gas wasmd would charge ([`Gas`]).
//! Governance messages (executes) go to the governor; `Check` and `Score`
//! to the guard; the other queries to the governor (the guard's own
//! `Config` is [`SimGuard::guard_config`]). Transactions are sent with one
//! gas limit ([`SimGuard::limit`]); queries run within wasmd's smart-query
//! limit.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use vigil_chain_sim::{artifact, split, SimGuard, WasmdGas};
//! use vigil_guard_api::msg::InstantiateMsg;
//! # let root = std::path::Path::new(".");
//! # let init: InstantiateMsg = unimplemented!();
//! let build = artifact::default_build_dir(root);
//! let guard = artifact::load(root, &build)?;
//! let governor = artifact::load_governor(root, &build)?;
//! let chain = split::chain(&governor, &guard, std::path::Path::new("/tmp/vm-cache"), WasmdGas::DEFAULT)?;
//! let admin = chain.addr("admin");
//! let (mut guard, deployed) = SimGuard::deploy(chain, &admin, &[], &init, 100_000_000)?;
//! let (check, gas) = guard.check(&["1.5".into(), "-2".into()])?;
//! println!("allow {} for {} SDK gas", check.allow, gas.total());
//! # Ok(()) }
//! ```
use std::fmt;

use serde::de::DeserializeOwned;
use serde::Serialize;
use vigil_guard_api::guard_msg::{GuardConfigResponse, GuardQueryMsg};
use vigil_guard_api::msg::{
    CheckResponse, ConfigResponse, CostResponse, ExecuteMsg, InstantiateMsg, MigrateMsg,
    ModelBlobResponse, ModelResponse, ProposalsResponse, QueryMsg, ScoreResponse, TestSample,
    TestSetResponse,
};

use vigil_guard_api::commit::{commitment, SALT_BYTES};

use crate::chain::{Chain, ContractId, Gas, Outcome};
use crate::split::{self, Deployment, GOVERNOR, GUARD};

/// A call the contract (or the VM) refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallError {
    /// The call: the message's name (`reveal_proposal`, `check`, ...).
    pub call: String,
    /// The contract's error, or the VM's (e.g. out of gas), or why its
    /// answer is not the response type.
    pub error: String,
    /// What the call cost (boxed: keeps the error small).
    pub gas: Box<Gas>,
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed on chain: {}", self.call, self.error)
    }
}

impl std::error::Error for CallError {}

/// One step of a proposal's evaluation (`RevealProposal` or
/// `ContinueEvaluation`), read from the response's attributes.
#[derive(Clone, Debug)]
pub struct Step {
    /// The proposal.
    pub proposal_id: u64,
    /// `evaluating`, `queued`, `pending`, `accepted` or `rejected`.
    pub status: String,
    /// Test rows evaluated so far, when the contract says.
    pub evaluated: Option<u32>,
    /// The whole response and gas (further attributes: `reward`,
    /// `accuracy_movement`, ...).
    pub outcome: Outcome,
}

impl Step {
    /// Still evaluating: another `ContinueEvaluation` is needed.
    pub fn is_evaluating(&self) -> bool {
        self.status == "evaluating"
    }

    /// The step's gas.
    pub fn gas(&self) -> Gas {
        self.outcome.gas
    }

    /// The step of `outcome`; `known` is the proposal's id when the call
    /// named it (`ContinueEvaluation`'s response need not repeat it).
    fn read(call: &str, outcome: Outcome, known: Option<u64>) -> Result<Step, CallError> {
        let proposal_id = outcome
            .attribute("proposal_id")
            .and_then(|v| v.parse().ok())
            .or(known)
            .ok_or_else(|| CallError {
                call: call.into(),
                error: "the response has no proposal_id attribute".into(),
                gas: Box::new(outcome.gas),
            })?;
        Ok(Step {
            proposal_id,
            status: outcome.attribute("status").unwrap_or_default(),
            evaluated: outcome.attribute("evaluated").and_then(|v| v.parse().ok()),
            outcome,
        })
    }
}

/// The guard and its governor deployed on a [`Chain`]. See the module
/// documentation.
pub struct SimGuard {
    chain: Chain,
    admin: String,
    /// SDK gas limit of every transaction.
    pub limit: u64,
}

/// The name of a message: its JSON object's one key (`{"check": {...}}`).
fn name_of(msg: &impl Serialize) -> String {
    match serde_json::to_value(msg) {
        Ok(serde_json::Value::Object(map)) if map.len() == 1 => {
            map.keys().next().cloned().unwrap_or_default()
        }
        _ => std::any::type_name_of_val(msg).to_string(),
    }
}

impl SimGuard {
    /// Deploys the pair on `chain` (a [`split::chain`]) from `admin` (an
    /// address, e.g. `chain.addr("admin")`) within `limit` SDK gas
    /// ([`split::deploy`]: the governor instantiated with `msg` and
    /// `funds`, the guard naming it, `BindGuard`); later transactions use
    /// the same limit.
    pub fn deploy(
        mut chain: Chain,
        admin: &str,
        funds: &[(&str, u128)],
        msg: &InstantiateMsg,
        limit: u64,
    ) -> Result<(SimGuard, Deployment), CallError> {
        let deployed =
            split::deploy(&mut chain, admin, funds, msg, limit).map_err(|error| CallError {
                call: "deploy".into(),
                error,
                gas: Box::default(),
            })?;
        Ok((
            SimGuard {
                chain,
                admin: admin.to_owned(),
                limit,
            },
            deployed,
        ))
    }

    /// The governor's address.
    pub fn governor_address(&self) -> &str {
        self.chain.address(GOVERNOR)
    }

    /// The guard's address (what integrators query).
    pub fn guard_address(&self) -> &str {
        self.chain.address(GUARD)
    }

    /// The chain (balances, addresses, storage).
    pub fn chain(&self) -> &Chain {
        &self.chain
    }

    /// The chain, to mint funds or change its settings.
    pub fn chain_mut(&mut self) -> &mut Chain {
        &mut self.chain
    }

    /// The chain back.
    pub fn into_chain(self) -> Chain {
        self.chain
    }

    /// The admin's address.
    pub fn admin(&self) -> &str {
        &self.admin
    }

    /// `msg` to the governor from `sender` with `funds`: the response and
    /// gas (its install on the guard, if any, in [`Gas::sub`]), or the
    /// contract's error (the guard's, if it refused the install).
    pub fn execute(
        &mut self,
        sender: &str,
        funds: &[(&str, u128)],
        msg: &ExecuteMsg,
    ) -> Result<Outcome, CallError> {
        let outcome = self
            .chain
            .execute_on(GOVERNOR, sender, funds, msg, self.limit);
        match &outcome.result {
            Ok(_) => Ok(outcome),
            Err(error) => Err(CallError {
                call: name_of(msg),
                error: error.clone(),
                gas: Box::new(outcome.gas),
            }),
        }
    }

    /// A query, its answer read as `T` (the response type `msg` returns):
    /// `Check` and `Score` of the guard, the others of the governor.
    pub fn query<T: DeserializeOwned>(&mut self, msg: &QueryMsg) -> Result<(T, Gas), CallError> {
        let to = match msg {
            QueryMsg::Check { .. } | QueryMsg::Score { .. } => GUARD,
            _ => GOVERNOR,
        };
        self.query_on(to, msg)
    }

    /// A query of the guard, its answer read as `T`.
    pub fn query_guard<T: DeserializeOwned>(
        &mut self,
        msg: &GuardQueryMsg,
    ) -> Result<(T, Gas), CallError> {
        self.query_on(GUARD, msg)
    }

    /// The guard's own `Config` (its governor, install sequence, budgets).
    pub fn guard_config(&mut self) -> Result<(GuardConfigResponse, Gas), CallError> {
        self.query_guard(&GuardQueryMsg::Config {})
    }

    fn query_on<T: DeserializeOwned>(
        &mut self,
        to: ContractId,
        msg: &impl Serialize,
    ) -> Result<(T, Gas), CallError> {
        let outcome = self.chain.query_on(to, msg);
        let gas = outcome.gas;
        let answer = outcome.parse().map_err(|error| CallError {
            call: name_of(msg),
            error,
            gas: Box::new(gas),
        })?;
        Ok((answer, gas))
    }

    /// `Check`: allow or deny.
    pub fn check(&mut self, features: &[String]) -> Result<(CheckResponse, Gas), CallError> {
        self.query(&QueryMsg::Check {
            features: features.to_vec(),
        })
    }

    /// `Score`: the score and the top contributions.
    pub fn score(&mut self, features: &[String]) -> Result<(ScoreResponse, Gas), CallError> {
        self.query(&QueryMsg::Score {
            features: features.to_vec(),
        })
    }

    /// `Config`.
    pub fn config(&mut self) -> Result<(ConfigResponse, Gas), CallError> {
        self.query(&QueryMsg::Config {})
    }

    /// `Model`: a version's record (`None`: the active model).
    pub fn model(&mut self, version: Option<u32>) -> Result<(ModelResponse, Gas), CallError> {
        self.query(&QueryMsg::Model { version })
    }

    /// `ModelBlob`: one chunk of a version's blob.
    pub fn model_blob(
        &mut self,
        version: Option<u32>,
        chunk: Option<u32>,
    ) -> Result<(ModelBlobResponse, Gas), CallError> {
        self.query(&QueryMsg::ModelBlob { version, chunk })
    }

    /// `Cost`: what a model would cost, without storing it.
    pub fn cost(&mut self, model: &[u8]) -> Result<(CostResponse, Gas), CallError> {
        self.query(&QueryMsg::Cost {
            model: model.to_vec().into(),
        })
    }

    /// `TestSet`: a page of the test samples.
    pub fn test_set(
        &mut self,
        start_after: Option<u32>,
        limit: Option<u32>,
    ) -> Result<(TestSetResponse, Gas), CallError> {
        self.query(&QueryMsg::TestSet { start_after, limit })
    }

    /// `Proposals`: a page of the proposals.
    pub fn proposals(
        &mut self,
        start_after: Option<u64>,
        limit: Option<u32>,
    ) -> Result<(ProposalsResponse, Gas), CallError> {
        self.query(&QueryMsg::Proposals { start_after, limit })
    }

    /// `Fund` from `sender`: `funds` into the reward vault.
    pub fn fund(&mut self, sender: &str, funds: &[(&str, u128)]) -> Result<Gas, CallError> {
        Ok(self.execute(sender, funds, &ExecuteMsg::Fund {})?.gas)
    }

    /// `AddTestSamples` from the admin.
    pub fn add_test_samples(&mut self, samples: Vec<TestSample>) -> Result<Gas, CallError> {
        let admin = self.admin.clone();
        Ok(self
            .execute(&admin, &[], &ExecuteMsg::AddTestSamples { samples })?
            .gas)
    }

    /// `CommitProposal` from `proposer` with `bond`, committing to `model`
    /// with `salt`: the proposal id and the call's gas.
    pub fn commit(
        &mut self,
        proposer: &str,
        bond: &[(&str, u128)],
        model: &[u8],
        salt: &[u8; SALT_BYTES],
    ) -> Result<(u64, Gas), CallError> {
        let c = commitment(model, proposer, salt);
        let outcome = self.execute(
            proposer,
            bond,
            &ExecuteMsg::CommitProposal {
                commitment: c.to_vec().into(),
                limits: None,
            },
        )?;
        let step = Step::read("commit_proposal", outcome, None)?;
        Ok((step.proposal_id, step.gas()))
    }

    /// `RevealProposal` of `proposal_id` from `proposer`: the first
    /// evaluation step (or `queued`).
    pub fn reveal(
        &mut self,
        proposer: &str,
        proposal_id: u64,
        model: &[u8],
        salt: &[u8; SALT_BYTES],
    ) -> Result<Step, CallError> {
        let outcome = self.execute(
            proposer,
            &[],
            &ExecuteMsg::RevealProposal {
                proposal_id,
                model: model.to_vec().into(),
                salt: salt.to_vec().into(),
            },
        )?;
        Step::read("reveal_proposal", outcome, Some(proposal_id))
    }

    /// A proposal as one call used to make it: commit (a fixed salt), wait
    /// the guard's `reveal_delay`, reveal. The reveal's step (its gas is
    /// the reveal's; the commit's is small and fixed).
    pub fn propose(
        &mut self,
        proposer: &str,
        bond: &[(&str, u128)],
        model: &[u8],
    ) -> Result<Step, CallError> {
        const SALT: [u8; SALT_BYTES] = [7; SALT_BYTES];
        let (id, _) = self.commit(proposer, bond, model, &SALT)?;
        let delay = self.config()?.0.reveal_delay;
        // The commit moved the chain one block on already.
        self.chain.advance(delay.saturating_sub(1));
        self.reveal(proposer, id, model, &SALT)
    }

    /// `Activate` from `sender`: the pending model, after its delay.
    pub fn activate(&mut self, sender: &str) -> Result<Outcome, CallError> {
        self.execute(sender, &[], &ExecuteMsg::Activate {})
    }

    /// `Veto` of `proposal_id` from `sender` (the proposal's guardian).
    pub fn veto(&mut self, sender: &str, proposal_id: u64) -> Result<Outcome, CallError> {
        self.execute(sender, &[], &ExecuteMsg::Veto { proposal_id })
    }

    /// `ContinueEvaluation` of `proposal_id` from `sender`: the next step.
    pub fn continue_evaluation(
        &mut self,
        sender: &str,
        proposal_id: u64,
    ) -> Result<Step, CallError> {
        let outcome = self.execute(sender, &[], &ExecuteMsg::ContinueEvaluation { proposal_id })?;
        Step::read("continue_evaluation", outcome, Some(proposal_id))
    }

    /// Migrates the governor to `new_wasm` ([`Chain::migrate_on`]) within
    /// the transaction limit.
    pub fn migrate(&mut self, new_wasm: &[u8], msg: &MigrateMsg) -> Result<Outcome, CallError> {
        let outcome = self.chain.migrate_on(GOVERNOR, new_wasm, msg, self.limit);
        match &outcome.result {
            Ok(_) => Ok(outcome),
            Err(error) => Err(CallError {
                call: "migrate".into(),
                error: error.clone(),
                gas: Box::new(outcome.gas),
            }),
        }
    }
}
