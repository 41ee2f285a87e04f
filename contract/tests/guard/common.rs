//! Shared fixtures: models built with the core's float API, the synthetic
//! test set, and a cw-multi-test suite around the guard.
#![allow(dead_code)]

use cosmwasm_std::{coins, Addr, Coin, Decimal, Empty, Event, Uint128};
use cw_multi_test::error::AnyResult;
use cw_multi_test::{App, AppResponse, Contract, ContractWrapper, Executor};
use vigil_guard::contract::{execute, instantiate, migrate, query};
use vigil_guard::msg::{
    CheckResponse, ConfigResponse, ExecuteMsg, InstantiateMsg, Margins, ModelResponse, PausedCheck,
    ProposalLimits, ProposalResponse, ProposalStatus, ProposalsResponse, QueryMsg, RewardRule,
    ScoreResponse, TestSample, TestSetResponse,
};
use vigil_guard::ContractError;
use vigil_inference_core::float::{
    FloatBody, FloatFeature, FloatLayer, FloatModel, QuantizeOptions,
};
use vigil_inference_core::format::Activation;
use vigil_inference_core::Model;

pub const DENOM: &str = "uvgl";
pub const START: u128 = 1_000_000;
pub const MIN_BOND: u128 = 1_000;

// ------------------------------------------------------------------ models

/// A logistic regression on identity features.
pub fn logistic(weights: &[f64], bias: f64) -> FloatModel {
    FloatModel {
        threshold: 0.5,
        features: vec![FloatFeature::IDENTITY; weights.len()],
        body: FloatBody::Linear(FloatLayer {
            weights: weights.to_vec(),
            biases: vec![bias],
            activation: Activation::Sigmoid,
        }),
    }
}

/// Quantise and serialise.
pub fn blob(m: &FloatModel) -> Vec<u8> {
    m.quantize(&QuantizeOptions::default())
        .to_bytes()
        .expect("valid spec")
}

/// "x0 >= k": positive for every sample whose x0 is at least `k` (the
/// logit is ±1 or further from zero on the integer x0 of the test set).
pub fn cut(k: u32) -> FloatModel {
    logistic(&[2.0, 0.0], 1.0 - 2.0 * f64::from(k))
}

/// `cut(k)` with its bias moved by `eps`: the same labels on the test set,
/// another blob (another hash).
pub fn cut_variant(k: u32, eps: f64) -> FloatModel {
    logistic(&[2.0, 0.0], 1.0 - 2.0 * f64::from(k) + eps)
}

/// Separates the test set perfectly (on x1).
pub fn perfect() -> FloatModel {
    logistic(&[0.0, 2.0], 0.0)
}

/// Wrong on every sample.
pub fn inverse() -> FloatModel {
    logistic(&[0.0, -2.0], 0.0)
}

/// The cost bound of a blob.
pub fn ops(b: &[u8]) -> u64 {
    Model::parse(b).unwrap().cost().ops
}

// ------------------------------------------------------------------ test set

/// Labels of x0 = 1..=12: threshold models on x0 trade precision for recall.
///
/// | k (x0 >= k) | acc | f1 | precision | recall |
/// |---|---|---|---|---|
/// | 1 | 6/12 | 12/18 | 1/2 | 1 |
/// | 5 | 10/12 | 6/7 | 3/4 | 1 |
/// | 6 | 9/12 | 10/13 | 5/7 | 5/6 |
/// | 7 | 10/12 | 10/12 | 5/6 | 5/6 |
/// | 9 | 10/12 | 8/10 | 1 | 4/6 |
/// | 10 | 9/12 | 6/9 | 1 | 3/6 |
/// | 12 | 7/12 | 2/7 | 1 | 1/6 |
pub const LABELS: [bool; 12] = [
    false, false, false, false, true, false, true, false, true, true, true, true,
];

/// x1: a clean separator with assorted decimal spellings.
pub fn x1(i: usize, label: bool) -> String {
    let pos = ["1.5", "2.25", "0.75", "3", "1.125", "0.5"];
    let neg = ["-1.5", "-0.25", "-2", "-0.875", "-3.0625", "-1"];
    if label {
        pos[i % 6].to_string()
    } else {
        neg[i % 6].to_string()
    }
}

/// The synthetic test set: x0 = 1..=12, label from [`LABELS`], stored with
/// the classes interleaved (the class-balance rule checks each sample
/// against the ones before it).
pub fn test_set() -> Vec<TestSample> {
    let sample = |i: usize| TestSample {
        features: vec![(i + 1).to_string(), x1(i, LABELS[i])],
        label: LABELS[i],
    };
    let (pos, neg): (Vec<usize>, Vec<usize>) = (0..12).partition(|&i| LABELS[i]);
    neg.into_iter()
        .zip(pos)
        .flat_map(|(n, p)| [sample(n), sample(p)])
        .collect()
}

/// Confusion counts of a float model on a sample list: (tp, fp, tn, fn).
pub fn counts(m: &FloatModel, set: &[TestSample]) -> (u32, u32, u32, u32) {
    let mut c = (0, 0, 0, 0);
    for s in set {
        let x: Vec<f64> = s.features.iter().map(|f| f.parse().unwrap()).collect();
        match (m.predict(&x) >= m.threshold, s.label) {
            (true, true) => c.0 += 1,
            (true, false) => c.1 += 1,
            (false, false) => c.2 += 1,
            (false, true) => c.3 += 1,
        }
    }
    c
}

pub fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

pub fn base_msg() -> InstantiateMsg {
    InstantiateMsg {
        admin: None,
        n_features: 2,
        bond_denom: DENOM.to_string(),
        min_bond: Uint128::new(MIN_BOND),
        margins: Margins::default(),
        reward: RewardRule::Fixed {
            amount: Uint128::new(500),
        },
        max_inference_ops: 1_000_000,
        max_check_gas: 100_000,
        deny_threshold: None,
        paused_check: PausedCheck::Error,
        max_class_ratio: dec("2"),
        eval_batch: 100,
        stall_blocks: 600,
        stall_fee: dec("0.05"),
        envelope_margin: vigil_guard_api::settings::default_envelope_margin(),
        reveal_delay: 1,
        activation_delay: 0,
        guardian: None,
        governance_delay: 0,
        curator: None,
        initial_model: None,
        initial_test_set: test_set(),
    }
}

// ------------------------------------------------------------------ suite

pub fn guard_contract() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(execute, instantiate, query).with_migrate(migrate))
}

/// The split's guard (`vigil_guard::guard`), to bind to a governor built
/// by [`guard_contract`].
pub fn split_guard_contract() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            vigil_guard::guard::execute,
            vigil_guard::guard::instantiate,
            vigil_guard::guard::query,
        )
        .with_migrate(vigil_guard::guard::migrate),
    )
}

pub struct Suite {
    pub app: App,
    pub code_id: u64,
    pub guard: Addr,
    pub admin: Addr,
    pub alice: Addr,
    pub bob: Addr,
}

/// Named accounts, each starting with [`START`] of [`DENOM`] and of `other`.
pub fn new_app() -> (App, Addr, Addr, Addr) {
    let mut app = App::default();
    let admin = app.api().addr_make("admin");
    let alice = app.api().addr_make("alice");
    let bob = app.api().addr_make("bob");
    app.init_modules(|router, _, storage| {
        for a in [&admin, &alice, &bob] {
            router
                .bank
                .init_balance(
                    storage,
                    a,
                    vec![Coin::new(START, DENOM), Coin::new(START, "other")],
                )
                .unwrap();
        }
    });
    (app, admin, alice, bob)
}

impl Suite {
    /// A guard instantiated by `admin` with `vault` funds.
    pub fn new(msg: InstantiateMsg, vault: u128) -> Suite {
        let (mut app, admin, alice, bob) = new_app();
        let code_id = app.store_code(guard_contract());
        let funds = if vault == 0 {
            vec![]
        } else {
            coins(vault, DENOM)
        };
        let guard = app
            .instantiate_contract(
                code_id,
                admin.clone(),
                &msg,
                &funds,
                "vigil-guard",
                Some(admin.to_string()),
            )
            .unwrap();
        Suite {
            app,
            code_id,
            guard,
            admin,
            alice,
            bob,
        }
    }

    /// A guard with the synthetic test set and `initial` as active model.
    pub fn with_model(initial: &FloatModel, vault: u128) -> Suite {
        Suite::new(
            InstantiateMsg {
                initial_model: Some(blob(initial).into()),
                ..base_msg()
            },
            vault,
        )
    }

    pub fn exec(
        &mut self,
        sender: &Addr,
        msg: &ExecuteMsg,
        funds: &[Coin],
    ) -> AnyResult<AppResponse> {
        self.app
            .execute_contract(sender.clone(), self.guard.clone(), msg, funds)
    }

    /// Execute, expecting a contract error.
    #[track_caller]
    pub fn exec_err(&mut self, sender: &Addr, msg: &ExecuteMsg, funds: &[Coin]) -> ContractError {
        let err = self.exec(sender, msg, funds).expect_err("should fail");
        err.downcast::<ContractError>()
            .unwrap_or_else(|e| panic!("not a ContractError: {e:?}"))
    }

    pub fn admin_exec(&mut self, msg: &ExecuteMsg) -> AppResponse {
        let admin = self.admin.clone();
        self.exec(&admin, msg, &[]).unwrap()
    }

    /// Commit to `m` (salt [`SALT`]) with `bond`; returns the proposal id.
    pub fn commit(
        &mut self,
        sender: &Addr,
        m: &[u8],
        bond: u128,
        limits: Option<ProposalLimits>,
    ) -> AnyResult<u64> {
        // Through the api's helper, as a proposing contract would.
        let msg = self
            .guard()
            .commit(m, sender, &SALT, limits, Coin::new(bond, DENOM))?;
        let r = self.app.execute(sender.clone(), msg)?;
        Ok(attr_of(&r, "proposal_id").parse().unwrap())
    }

    /// Reveal `m` (salt [`SALT`]) for proposal `id`.
    pub fn reveal(&mut self, sender: &Addr, id: u64, m: &[u8]) -> AnyResult<AppResponse> {
        let msg = self.guard().reveal(id, m, &SALT)?;
        self.app.execute(sender.clone(), msg)
    }

    /// Commit, wait the reveal delay, reveal (a proposal in one call, as
    /// the tests written before commit-reveal proposed).
    pub fn propose(&mut self, sender: &Addr, m: &[u8], bond: u128) -> AnyResult<AppResponse> {
        let id = self.commit(sender, m, bond, None)?;
        self.advance(self.config().reveal_delay);
        self.reveal(sender, id, m)
    }

    /// Commit to `m` and reveal it, expecting the reveal refused; the
    /// proposer then closes the commitment at its deadline (as its closer it
    /// gets the whole bond back). The reveal's error.
    #[track_caller]
    pub fn refused_at_reveal(&mut self, sender: &Addr, m: &[u8], bond: u128) -> ContractError {
        let id = self.commit(sender, m, bond, None).unwrap();
        self.advance(self.config().reveal_delay);
        let err = self.reveal(sender, id, m).expect_err("reveal should fail");
        assert_eq!(self.proposal(id).status, ProposalStatus::Committed);
        self.assert_conserved();
        let deadline = self.proposal(id).closable_at.unwrap();
        self.advance(deadline - self.height());
        let sender = sender.clone();
        self.exec(&sender, &ExecuteMsg::CloseStalled { proposal_id: id }, &[])
            .unwrap();
        err.downcast::<ContractError>()
            .unwrap_or_else(|e| panic!("not a ContractError: {e:?}"))
    }

    /// Only closed commitments (refused reveals) so far.
    pub fn only_closed(&self) -> bool {
        self.proposals()
            .iter()
            .all(|p| p.status == ProposalStatus::Closed)
    }

    /// Propose, stating the harshest rules the proposer accepts.
    pub fn propose_with_limits(
        &mut self,
        sender: &Addr,
        m: &[u8],
        bond: u128,
        limits: ProposalLimits,
    ) -> AnyResult<AppResponse> {
        let id = self.commit(sender, m, bond, Some(limits))?;
        self.advance(self.config().reveal_delay);
        self.reveal(sender, id, m)
    }

    /// Move the chain `blocks` blocks on.
    pub fn advance(&mut self, blocks: u64) {
        self.app.update_block(|b| {
            b.height += blocks;
            b.time = b.time.plus_seconds(6 * blocks);
        });
    }

    pub fn height(&self) -> u64 {
        self.app.block_info().height
    }

    /// Propose and, when needed, continue (as `bob`) until decided. Returns
    /// every step's response.
    pub fn propose_and_decide(&mut self, sender: &Addr, m: &[u8], bond: u128) -> Vec<AppResponse> {
        let mut steps = vec![self.propose(sender, m, bond).unwrap()];
        let id = self.last_proposal().id;
        let bob = self.bob.clone();
        while self.proposal(id).status == ProposalStatus::Evaluating {
            steps.push(
                self.exec(
                    &bob,
                    &ExecuteMsg::ContinueEvaluation { proposal_id: id },
                    &[],
                )
                .unwrap(),
            );
            assert!(steps.len() < 1000, "evaluation does not progress");
        }
        steps
    }

    /// The guard as other contracts see it: the api's typed helper.
    pub fn guard(&self) -> vigil_guard_api::GuardContract {
        vigil_guard_api::GuardContract(self.guard.clone())
    }

    pub fn q<T: serde::de::DeserializeOwned>(&self, msg: &QueryMsg) -> T {
        self.guard().query(&self.app.wrap(), msg).unwrap()
    }

    pub fn q_err(&self, msg: &QueryMsg) -> String {
        self.guard()
            .query::<cosmwasm_std::Empty, _>(&self.app.wrap(), msg)
            .unwrap_err()
            .to_string()
    }

    pub fn config(&self) -> ConfigResponse {
        self.q(&QueryMsg::Config {})
    }

    pub fn proposals(&self) -> Vec<ProposalResponse> {
        self.q::<ProposalsResponse>(&QueryMsg::Proposals {
            start_after: None,
            limit: Some(100),
        })
        .proposals
    }

    pub fn proposal(&self, id: u64) -> ProposalResponse {
        self.proposals()
            .into_iter()
            .find(|p| p.id == id)
            .expect("proposal exists")
    }

    pub fn last_proposal(&self) -> ProposalResponse {
        self.proposals().pop().expect("a proposal")
    }

    pub fn model(&self, version: Option<u32>) -> ModelResponse {
        self.q(&QueryMsg::Model { version })
    }

    pub fn test_set(&self) -> TestSetResponse {
        self.q(&QueryMsg::TestSet {
            start_after: None,
            limit: Some(100),
        })
    }

    pub fn check(&self, features: &[&str]) -> CheckResponse {
        self.q(&QueryMsg::Check {
            features: features.iter().map(|s| s.to_string()).collect(),
        })
    }

    pub fn score(&self, features: &[&str]) -> ScoreResponse {
        self.q(&QueryMsg::Score {
            features: features.iter().map(|s| s.to_string()).collect(),
        })
    }

    pub fn balance(&self, who: &Addr) -> u128 {
        self.app
            .wrap()
            .query_balance(who, DENOM)
            .unwrap()
            .amount
            .u128()
    }

    /// The bank holds exactly the vault plus the bonds of undecided
    /// proposals.
    #[track_caller]
    pub fn assert_conserved(&self) {
        let open: u128 = self
            .proposals()
            .iter()
            .filter(|p| {
                matches!(
                    p.status,
                    ProposalStatus::Committed
                        | ProposalStatus::Queued
                        | ProposalStatus::Evaluating
                        | ProposalStatus::Pending
                )
            })
            .map(|p| p.bond.u128())
            .sum();
        assert_eq!(
            self.balance(&self.guard),
            self.config().vault.u128() + open,
            "contract balance != vault + open bonds"
        );
        assert_eq!(
            self.app
                .wrap()
                .query_balance(&self.guard, "other")
                .unwrap()
                .amount,
            Uint128::zero(),
            "the guard holds a foreign denom"
        );
    }
}

/// The `wasm-vigil_poim` decision event of a list of responses, without the
/// contract address.
pub fn poim_event(steps: &[AppResponse]) -> Event {
    let events: Vec<&Event> = steps
        .iter()
        .flat_map(|r| r.events.iter())
        .filter(|e| e.ty == "wasm-vigil_poim")
        .collect();
    assert_eq!(events.len(), 1, "exactly one decision event");
    let mut e = events[0].clone();
    e.attributes.retain(|a| a.key != "_contract_address");
    e
}

/// The salt every test proposal uses.
pub const SALT: [u8; 32] = [42; 32];

/// An attribute of any event of a response.
pub fn attr_of(r: &AppResponse, key: &str) -> String {
    r.events
        .iter()
        .flat_map(|e| &e.attributes)
        .find(|a| a.key == key)
        .unwrap_or_else(|| panic!("no attribute {key}"))
        .value
        .clone()
}

/// An attribute of an event.
pub fn attr<'a>(e: &'a Event, key: &str) -> &'a str {
    e.attributes
        .iter()
        .find(|a| a.key == key)
        .unwrap_or_else(|| panic!("no attribute {key} in {e:?}"))
        .value
        .as_str()
}

pub fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}
