//! The guard/governor split on two contracts (`docs/split.md`): the
//! governor (`vigil_guard::contract`, the library build that still answers
//! `Check` itself) and the guard (`vigil_guard::guard`) it is bound to.
//! The guard's answers must equal the governor's own for every change of
//! the active model, threshold or envelope, in the transaction that made
//! it; nobody but the bound governor installs on the guard. The attacker's
//! tests come first.
use std::cell::{Cell, RefCell};

use cosmwasm_std::{Addr, Binary, Deps, DepsMut, Empty, Env, MessageInfo, Response};
use cw_multi_test::error::{AnyError, AnyResult};
use cw_multi_test::{AppResponse, Contract, ContractWrapper, Executor};
use vigil_guard::msg::{
    CheckResponse, ConfigUpdate, CostResponse, ExecuteMsg, InstantiateMsg, ModelBlobResponse,
    ModelResponse, PausedCheck, ProposalStatus, QueryMsg, ScoreResponse, TestSample,
};
use vigil_guard::{guard, ContractError};
use vigil_guard_api::guard_msg::{
    GuardConfigResponse, GuardExecuteMsg, GuardInstantiateMsg, GuardQueryMsg,
};
use vigil_guard_api::install::{InstallModel, OWN_THRESHOLD};
use vigil_guard_api::Settings;
use vigil_inference_core::float::{FloatBody, FloatFeature, FloatLayer, FloatModel};
use vigil_inference_core::format::Activation;

use crate::common::*;

const VAULT: u128 = 10_000;
const DELAY: u64 = 20;
const GOV_DELAY: u64 = 10;

// ------------------------------------------------------------ the fixture

/// One `GuardExecuteMsg` a guard received: the guard, the message, and whether the guard accepted it (a refused one is reverted).
#[derive(Clone, Debug)]
struct Received {
    guard: Addr,
    msg: GuardExecuteMsg,
    accepted: bool,
}

thread_local! {
    /// What the guards of this test (thread) received, in order.
    static RECEIVED: RefCell<Vec<Received>> = const { RefCell::new(Vec::new()) };
    /// Set: the guards refuse every install ([`REFUSED`]).
    static REFUSE: Cell<bool> = const { Cell::new(false) };
}

/// The refusal of a guard told to refuse.
const REFUSED: &str = "refused by the test's guard";

/// The guard's execute, recording each message (multi-test runs a test's
/// contracts on its thread).
fn recording_execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: GuardExecuteMsg,
) -> Result<Response, ContractError> {
    let (guard, copy) = (env.contract.address.clone(), msg.clone());
    let refuse = REFUSE.with(Cell::get) && matches!(msg, GuardExecuteMsg::InstallModel(_));
    let result = if refuse {
        Err(ContractError::InvalidEnvelope(REFUSED.into()))
    } else {
        guard::execute(deps, env, info, msg)
    };
    RECEIVED.with(|r| {
        r.borrow_mut().push(Received {
            guard,
            msg: copy,
            accepted: result.is_ok(),
        })
    });
    result
}

fn guard_query(deps: Deps, env: Env, msg: GuardQueryMsg) -> Result<Binary, ContractError> {
    guard::query(deps, env, msg)
}

fn guard_code() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(recording_execute, guard::instantiate, guard_query)
            .with_migrate(guard::migrate),
    )
}

/// The installs `guard` accepted, in order.
fn installs_on(guard: &Addr) -> Vec<InstallModel> {
    RECEIVED.with(|r| {
        r.borrow()
            .iter()
            .filter(|x| x.guard == *guard && x.accepted)
            .filter_map(|x| match &x.msg {
                GuardExecuteMsg::InstallModel(m) => Some(m.clone()),
                _ => None,
            })
            .collect()
    })
}

/// Every install message `guard` received (accepted or not).
fn install_attempts_on(guard: &Addr) -> usize {
    RECEIVED.with(|r| {
        r.borrow()
            .iter()
            .filter(|x| x.guard == *guard && matches!(x.msg, GuardExecuteMsg::InstallModel(_)))
            .count()
    })
}

/// Inputs inside the envelope and outside it (one feature, both), and
/// beyond any test-set value.
const INPUTS: [[&str; 2]; 9] = [
    ["1", "1.5"],
    ["12", "-3.0625"],
    ["7", "0"],
    ["6.5", "-0.25"],
    ["1", "0.5"],
    ["30", "0"],
    ["100", "1"],
    ["-50", "9"],
    ["0.000001", "-1000000"],
];

/// Inputs every contract refuses (feature count, syntax).
const BAD_INPUTS: [&[&str]; 3] = [&["1"], &["x", "1"], &["1", "2", "3"]];

/// A governor (the common [`Suite`]: `s.guard` is the governor's address,
/// its queries the governor's own) and a guard naming it.
struct Pair {
    s: Suite,
    guard: Addr,
    guard_code: u64,
}

impl Pair {
    /// Governor from `msg`, guard with the same settings, not bound.
    fn unbound(msg: InstantiateMsg, vault: u128) -> Pair {
        let settings = msg.settings();
        Pair::unbound_with(msg, vault, settings)
    }

    /// Governor from `msg`, guard with `settings`, not bound.
    fn unbound_with(msg: InstantiateMsg, vault: u128, settings: Settings) -> Pair {
        RECEIVED.with(|r| r.borrow_mut().clear());
        REFUSE.with(|r| r.set(false));
        let mut s = Suite::new(msg, vault);
        let guard_code = s.app.store_code(guard_code());
        let (admin, governor) = (s.admin.clone(), s.guard.clone());
        let guard = instantiate_guard(&mut s, guard_code, &admin, &governor, settings);
        Pair {
            s,
            guard,
            guard_code,
        }
    }

    /// Governor and guard with the same settings, bound by the admin.
    fn new(msg: InstantiateMsg, vault: u128) -> Pair {
        let mut p = Pair::unbound(msg, vault);
        p.bind().unwrap();
        p
    }

    fn bind(&mut self) -> AnyResult<AppResponse> {
        let admin = self.s.admin.clone();
        let guard = self.guard.to_string();
        self.s.exec(&admin, &ExecuteMsg::BindGuard { guard }, &[])
    }

    fn gq<T: serde::de::DeserializeOwned>(&self, msg: &GuardQueryMsg) -> T {
        self.s
            .app
            .wrap()
            .query_wasm_smart(&self.guard, msg)
            .unwrap()
    }

    fn gq_err(&self, msg: &GuardQueryMsg) -> String {
        self.s
            .app
            .wrap()
            .query_wasm_smart::<Empty>(&self.guard, msg)
            .unwrap_err()
            .to_string()
    }

    fn gconfig(&self) -> GuardConfigResponse {
        self.gq(&GuardQueryMsg::Config {})
    }

    fn gcheck(&self, features: &[&str]) -> CheckResponse {
        self.gq(&GuardQueryMsg::Check {
            features: strings(features),
        })
    }

    fn gexec(&mut self, sender: &Addr, msg: &GuardExecuteMsg) -> AnyResult<AppResponse> {
        self.s
            .app
            .execute_contract(sender.clone(), self.guard.clone(), msg, &[])
    }

    /// The guard's model answer.
    fn gmodel(&self, version: Option<u32>) -> ModelResponse {
        self.gq(&GuardQueryMsg::Model { version })
    }

    /// The guard answers `Check`, `Score`, `Model`, `ModelBlob` (active)
    /// and bad input exactly as the governor's own queries do, and holds
    /// the governor's active version.
    #[track_caller]
    fn assert_mirrors(&self) {
        let v = self.s.config().active_version;
        assert!(v > 0, "no active model on the governor");
        assert_eq!(self.gconfig().active_version, v, "active version");
        for x in INPUTS {
            let f = strings(&x);
            let gov: CheckResponse = self.s.q(&QueryMsg::Check {
                features: f.clone(),
            });
            assert_eq!(gov.model_version, v);
            assert_eq!(self.gcheck(&x), gov, "Check {x:?}");
            let gov: ScoreResponse = self.s.q(&QueryMsg::Score {
                features: f.clone(),
            });
            let guard: ScoreResponse = self.gq(&GuardQueryMsg::Score { features: f });
            assert_eq!(guard, gov, "Score {x:?}");
        }
        for x in BAD_INPUTS {
            let f = strings(x);
            let gov = self.s.q_err(&QueryMsg::Check {
                features: f.clone(),
            });
            assert_eq!(self.gq_err(&GuardQueryMsg::Check { features: f }), gov);
        }
        assert_same_model(&self.gmodel(None), &self.s.model(None));
        assert_same_blob(self, None);
    }
}

/// A guard instantiated by `sender` naming `governor`.
fn instantiate_guard(
    s: &mut Suite,
    code: u64,
    sender: &Addr,
    governor: &Addr,
    settings: Settings,
) -> Addr {
    s.app
        .instantiate_contract(
            code,
            sender.clone(),
            &GuardInstantiateMsg {
                admin: None,
                governor: governor.to_string(),
                settings,
                change_delay: None,
            },
            &[],
            "vigil-guard",
            Some(sender.to_string()),
        )
        .unwrap()
}

/// The guard's `Model` answer is the governor's but for what the install
/// does not carry: the proposer (the guard records its installer, the
/// governor) and the metrics the governor measured.
#[track_caller]
fn assert_same_model(guard: &ModelResponse, gov: &ModelResponse) {
    let mut g = guard.clone();
    g.proposer = gov.proposer.clone();
    g.metrics = gov.metrics;
    g.test_set_version = gov.test_set_version;
    assert_eq!(&g, gov);
}

/// The guard's stored blob of `version` is the governor's, byte for byte.
#[track_caller]
fn assert_same_blob(p: &Pair, version: Option<u32>) {
    let q = QueryMsg::ModelBlob {
        version,
        chunk: None,
    };
    let gov: ModelBlobResponse = p.s.q(&q);
    let guard: ModelBlobResponse = p.gq(&GuardQueryMsg::ModelBlob {
        version,
        chunk: None,
    });
    assert_eq!(guard, gov);
}

/// The typed error of a refused message, also when a submessage (the
/// guard's) refused it.
#[track_caller]
fn contract_err(r: AnyResult<AppResponse>) -> ContractError {
    let e: AnyError = r.expect_err("should fail");
    let text = format!("{e:?}");
    e.downcast::<ContractError>()
        .unwrap_or_else(|_| panic!("no ContractError in {text}"))
}

/// The guard's error in a refused governor message, from its chain.
#[track_caller]
fn guard_err_text(r: AnyResult<AppResponse>) -> String {
    let e: AnyError = r.expect_err("should fail");
    e.chain()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(" | ")
}

/// An attribute's value, if any event of `r` has it.
fn maybe_attr(r: &AppResponse, key: &str) -> Option<String> {
    r.events
        .iter()
        .flat_map(|e| &e.attributes)
        .find(|a| a.key == key)
        .map(|a| a.value.clone())
}

/// The guard's event of an install in a governor's response: the guard's
/// address, its `model_version` and `sequence`.
fn guard_install_event(r: &AppResponse, guard: &Addr) -> Option<(u32, u64)> {
    r.events
        .iter()
        .filter(|e| e.ty == "wasm")
        .filter(|e| {
            e.attributes
                .iter()
                .any(|a| a.key == "_contract_address" && a.value == guard.as_str())
        })
        .find(|e| attr(e, "action") == "install_model")
        .map(|e| {
            (
                attr(e, "model_version").parse().unwrap(),
                attr(e, "sequence").parse().unwrap(),
            )
        })
}

/// `cut(12)` active, the synthetic test set.
fn base() -> InstantiateMsg {
    InstantiateMsg {
        initial_model: Some(blob(&cut(12)).into()),
        ..base_msg()
    }
}

/// An MLP as good as [`perfect`] (score `sigmoid(2 x1)`), dearer to run.
fn mlp_perfect() -> FloatModel {
    FloatModel {
        threshold: 0.5,
        features: vec![FloatFeature::IDENTITY; 2],
        body: FloatBody::Mlp(vec![
            FloatLayer {
                weights: vec![0.0, 2.0, 0.0, -2.0],
                biases: vec![0.0, 0.0],
                activation: Activation::Relu,
            },
            FloatLayer {
                weights: vec![1.0, -1.0],
                biases: vec![0.0],
                activation: Activation::Sigmoid,
            },
        ]),
    }
}

fn install_snapshot(p: &Pair) -> (GuardConfigResponse, Vec<CheckResponse>) {
    (
        p.gconfig(),
        INPUTS.iter().map(|x| p.gcheck(x)).collect::<Vec<_>>(),
    )
}

// ------------------------------------------------------ the attacker's tests

#[test]
fn only_the_governors_admin_binds_a_guard_and_only_once() {
    let mut p = Pair::unbound(base(), VAULT);
    let (admin, alice, bob) = (p.s.admin.clone(), p.s.alice.clone(), p.s.bob.clone());
    // An attacker's guard naming the governor (its admin: the attacker).
    let code = p.guard_code;
    let governor = p.s.guard.clone();
    let settings = base().settings();
    let evil = instantiate_guard(&mut p.s, code, &alice, &governor, settings);
    // Nobody but the governor's admin binds: not a proposer, not a
    // stranger, not the guard itself.
    for who in [&alice, &bob, &p.guard.clone()] {
        for g in [&evil, &p.guard.clone()] {
            let r = p.s.exec(
                who,
                &ExecuteMsg::BindGuard {
                    guard: g.to_string(),
                },
                &[],
            );
            assert_eq!(contract_err(r), ContractError::Unauthorized);
        }
    }
    assert_eq!(p.s.config().guard, None);
    assert_eq!(
        install_attempts_on(&p.guard) + install_attempts_on(&evil),
        0
    );
    // A bad address is refused, nothing bound.
    assert!(p
        .s
        .exec(
            &admin,
            &ExecuteMsg::BindGuard {
                guard: "not an address".into()
            },
            &[]
        )
        .is_err());
    assert_eq!(p.s.config().guard, None);
    // The admin binds the real guard: the active model is sent at once.
    let r = p.bind().unwrap();
    assert_eq!(attr_of(&r, "guard_install"), "1");
    assert_eq!(guard_install_event(&r, &p.guard), Some((1, 1)));
    assert_eq!(p.s.config().guard.as_deref(), Some(p.guard.as_str()));
    // Once: neither the admin nor anyone redirects installs to another
    // guard (the real one would stay on an old model); nothing changes.
    let before = install_snapshot(&p);
    for who in [&admin, &alice] {
        for g in [&evil, &p.guard.clone()] {
            let r = p.s.exec(
                who,
                &ExecuteMsg::BindGuard {
                    guard: g.to_string(),
                },
                &[],
            );
            let want = if *who == admin {
                ContractError::GuardBound(p.guard.to_string())
            } else {
                ContractError::Unauthorized
            };
            assert_eq!(contract_err(r), want);
        }
    }
    assert_eq!(p.s.config().guard.as_deref(), Some(p.guard.as_str()));
    assert_eq!(install_snapshot(&p), before);
    assert_eq!(installs_on(&p.guard).len(), 1);
    assert_eq!(install_attempts_on(&evil), 0);
    let e: GuardConfigResponse =
        p.s.app
            .wrap()
            .query_wasm_smart(&evil, &GuardQueryMsg::Config {})
            .unwrap();
    assert_eq!((e.install_sequence, e.active_version), (0, 0));
}

#[test]
fn a_bind_to_anything_but_a_guard_of_this_governor_is_refused() {
    // No active model: the bind sends nothing, so only a check at the bind
    // keeps a wrong address from being bound for good (a bound guard cannot
    // be changed, and every later install would be refused).
    let mut p = Pair::unbound(base_msg(), VAULT);
    let (admin, alice) = (p.s.admin.clone(), p.s.alice.clone());
    let (code, governor) = (p.guard_code, p.s.guard.clone());
    let settings = base_msg().settings();
    let mut guard_with = |governor: &Addr, settings: Settings| {
        instantiate_guard(&mut p.s, code, &alice, governor, settings)
    };
    let other_governor = guard_with(&alice, settings.clone());
    let three = guard_with(
        &governor,
        Settings {
            n_features: 3,
            ..settings.clone()
        },
    );
    let fewer_ops = guard_with(
        &governor,
        Settings {
            max_inference_ops: settings.max_inference_ops - 1,
            ..settings.clone()
        },
    );
    let less_gas = guard_with(
        &governor,
        Settings {
            max_check_gas: settings.max_check_gas - 1,
            ..settings.clone()
        },
    );
    let cases = [
        (alice.clone(), "not a guard"),
        (governor.clone(), "not a guard"),
        (other_governor, "its governor is"),
        (three, "3 features"),
        (fewer_ops, "max_inference_ops"),
        (less_gas, "max_check_gas"),
    ];
    for (g, why) in cases {
        let r = p.s.exec(
            &admin,
            &ExecuteMsg::BindGuard {
                guard: g.to_string(),
            },
            &[],
        );
        match contract_err(r) {
            ContractError::GuardMismatch { guard, reason } => {
                assert_eq!(guard, g.to_string());
                assert!(reason.contains(why), "{reason}");
            }
            e => panic!("{e:?}"),
        }
        assert_eq!(p.s.config().guard, None);
    }
    // The guard of this governor binds; the first model accepted reaches
    // it.
    p.bind().unwrap();
    let r = p.s.propose(&alice, &blob(&cut(7)), MIN_BOND).unwrap();
    assert_eq!(guard_install_event(&r, &p.guard), Some((1, 1)));
    p.assert_mirrors();
}

#[test]
fn no_guard_is_bound_while_a_revealed_proposal_is_undecided() {
    // Revealed before the bind, a model was checked against the budgets
    // fixed at its commitment, which may exceed the guard's; pending, a
    // refused install would hold it for good. The guard here allows one
    // gas less than those budgets.
    let msg = InstantiateMsg {
        activation_delay: DELAY,
        ..base()
    };
    let tight = Settings {
        max_check_gas: msg.max_check_gas - 1,
        ..msg.settings()
    };
    let mut p = Pair::unbound_with(msg, VAULT, tight.clone());
    let (admin, alice, bob) = (p.s.admin.clone(), p.s.alice.clone(), p.s.bob.clone());
    p.s.propose(&alice, &blob(&perfect()), MIN_BOND).unwrap();
    let id = p.s.commit(&bob, &blob(&cut(9)), MIN_BOND, None).unwrap();
    p.s.advance(1);
    p.s.reveal(&bob, id, &blob(&cut(9))).unwrap();
    // The governor's own budget comes down to the guard's (the
    // proposals keep theirs).
    p.s.exec(
        &admin,
        &ExecuteMsg::UpdateConfig(ConfigUpdate {
            max_check_gas: Some(tight.max_check_gas),
            ..ConfigUpdate::default()
        }),
        &[],
    )
    .unwrap();
    assert_eq!(p.s.proposal(1).status, ProposalStatus::Pending);
    assert_eq!(p.s.proposal(id).status, ProposalStatus::Queued);
    assert_eq!(
        contract_err(p.bind()),
        ContractError::ProposalInProgress { id: 1 }
    );
    p.s.advance(DELAY);
    p.s.exec(&bob, &ExecuteMsg::Activate {}, &[]).unwrap();
    // The queued one is being evaluated now (against perfect(): worse,
    // rejected at its last step).
    assert_eq!(p.s.proposal(id).status, ProposalStatus::Evaluating);
    assert_eq!(
        contract_err(p.bind()),
        ContractError::ProposalInProgress { id }
    );
    assert_eq!(p.s.config().guard, None);
    while p.s.proposal(id).status == ProposalStatus::Evaluating {
        p.s.exec(
            &bob,
            &ExecuteMsg::ContinueEvaluation { proposal_id: id },
            &[],
        )
        .unwrap();
    }
    assert_eq!(p.s.proposal(id).status, ProposalStatus::Rejected);
    // Committed, not revealed: its reveal will be checked against the
    // guard; no reason to wait.
    p.s.commit(&alice, &blob(&cut(5)), MIN_BOND, None).unwrap();
    let r = p.bind().unwrap();
    assert_eq!(attr_of(&r, "guard_install"), "1");
    p.assert_mirrors();
}

#[test]
fn a_guard_another_governor_installed_on_is_not_bound() {
    // Governor A bound to its guard, which accepted A's install 1; A
    // hands the guard over to governor B (simulated: the governor has no
    // hand-over message yet). B counts its installs from 0 and knows none
    // of the guard's versions: bound, its every install would be refused.
    let mut p = Pair::new(base(), VAULT);
    let (admin, a) = (p.s.admin.clone(), p.s.guard.clone());
    let b =
        p.s.app
            .instantiate_contract(p.s.code_id, admin.clone(), &base_msg(), &[], "b", None)
            .unwrap();
    p.gexec(
        &a,
        &GuardExecuteMsg::HandOverGovernor {
            governor: b.to_string(),
        },
    )
    .unwrap();
    assert_eq!(p.gconfig().governor, b.to_string());
    let r = p.s.app.execute_contract(
        admin.clone(),
        b.clone(),
        &ExecuteMsg::BindGuard {
            guard: p.guard.to_string(),
        },
        &[],
    );
    match contract_err(r) {
        ContractError::GuardMismatch { guard, reason } => {
            assert_eq!(guard, p.guard.to_string());
            assert!(reason.contains("1 install"), "{reason}");
        }
        e => panic!("{e:?}"),
    }
    let c: vigil_guard::msg::ConfigResponse =
        p.s.app
            .wrap()
            .query_wasm_smart(&b, &QueryMsg::Config {})
            .unwrap();
    assert_eq!(c.guard, None);
}

#[test]
fn installs_sent_to_the_guard_directly_are_refused() {
    let mut p = Pair::new(base(), VAULT);
    let (admin, alice, bob) = (p.s.admin.clone(), p.s.alice.clone(), p.s.bob.clone());
    // Alice is a proposer with a model under evaluation at the governor.
    p.s.commit(&alice, &blob(&perfect()), MIN_BOND, None)
        .unwrap();
    let before = install_snapshot(&p);
    assert_eq!(before.0.install_sequence, 1);
    let new_model = InstallModel {
        sequence: 2,
        version: 2,
        blob: Some(blob(&perfect()).into()),
        threshold_bits: OWN_THRESHOLD,
        envelope: None,
    };
    let reactivate = InstallModel {
        sequence: 2,
        version: 1,
        blob: None,
        threshold_bits: 0,
        envelope: None,
    };
    let guard = p.guard.clone();
    // The guard's (and the governor's) admin, a proposer, a stranger, the
    // guard itself: a new model, or the active one with a zero threshold
    // (deny everything) and no envelope.
    for who in [&admin, &alice, &bob, &guard] {
        for m in [&new_model, &reactivate] {
            let r = p.gexec(who, &GuardExecuteMsg::InstallModel(m.clone()));
            assert_eq!(contract_err(r), ContractError::NotGovernor, "{who}");
        }
    }
    assert_eq!(install_snapshot(&p), before);
    assert_eq!(p.gmodel(None).version, 1);
    assert!(p
        .s
        .app
        .wrap()
        .query_wasm_smart::<ModelResponse>(&p.guard, &GuardQueryMsg::Model { version: Some(2) })
        .is_err());
    p.assert_mirrors();
}

#[test]
fn the_guards_admin_cannot_change_the_governor() {
    let mut p = Pair::new(
        InstantiateMsg {
            activation_delay: DELAY,
            ..base()
        },
        VAULT,
    );
    let (admin, alice, bob) = (p.s.admin.clone(), p.s.alice.clone(), p.s.bob.clone());
    let before = install_snapshot(&p);
    // The admin names itself or an accomplice as governor: refused (it
    // would install models past the proposals, the delay and the veto).
    for to in [&admin, &alice] {
        let r = p.gexec(
            &admin,
            &GuardExecuteMsg::HandOverGovernor {
                governor: to.to_string(),
            },
        );
        assert_eq!(contract_err(r), ContractError::NotGovernor);
    }
    // Handing the administration over does not hand the governor over.
    p.gexec(
        &admin,
        &GuardExecuteMsg::UpdateAdmin {
            admin: alice.to_string(),
        },
    )
    .unwrap();
    let r = p.gexec(
        &alice,
        &GuardExecuteMsg::HandOverGovernor {
            governor: alice.to_string(),
        },
    );
    assert_eq!(contract_err(r), ContractError::NotGovernor);
    let c = p.gconfig();
    assert_eq!(c.admin, alice.to_string());
    assert_eq!(c.governor, p.s.guard.to_string());
    assert_eq!(c.install_sequence, before.0.install_sequence);
    // The new admin cannot install either; the governor still can.
    let r = p.gexec(
        &alice,
        &GuardExecuteMsg::InstallModel(InstallModel {
            sequence: 2,
            version: 2,
            blob: Some(blob(&inverse()).into()),
            threshold_bits: OWN_THRESHOLD,
            envelope: None,
        }),
    );
    assert_eq!(contract_err(r), ContractError::NotGovernor);
    p.s.propose(&bob, &blob(&perfect()), MIN_BOND).unwrap();
    p.s.advance(DELAY);
    let r = p.s.exec(&bob, &ExecuteMsg::Activate {}, &[]).unwrap();
    assert_eq!(guard_install_event(&r, &p.guard), Some((2, 2)));
    p.assert_mirrors();
}

#[test]
fn an_attackers_guard_naming_the_governor_receives_no_install() {
    let mut p = Pair::new(base(), VAULT);
    let (alice, bob) = (p.s.alice.clone(), p.s.bob.clone());
    let (code, governor) = (p.guard_code, p.s.guard.clone());
    let evil = instantiate_guard(&mut p.s, code, &alice, &governor, base().settings());
    // An honest model accepted and a rollback applied: only the bound
    // guard follows.
    p.s.propose(&bob, &blob(&perfect()), MIN_BOND).unwrap();
    let admin = p.s.admin.clone();
    p.s.exec(&admin, &ExecuteMsg::Rollback { version: 1 }, &[])
        .unwrap();
    assert_eq!(installs_on(&p.guard).len(), 3);
    assert_eq!(p.gconfig().install_sequence, 3);
    p.assert_mirrors();
    assert_eq!(install_attempts_on(&evil), 0);
    let e: GuardConfigResponse =
        p.s.app
            .wrap()
            .query_wasm_smart(&evil, &GuardQueryMsg::Config {})
            .unwrap();
    assert_eq!((e.install_sequence, e.active_version), (0, 0));
    assert_eq!(e.governor, governor.to_string());
    // Its admin cannot fill it either.
    let r = p.s.app.execute_contract(
        alice.clone(),
        evil.clone(),
        &GuardExecuteMsg::InstallModel(InstallModel {
            sequence: 1,
            version: 1,
            blob: Some(blob(&perfect()).into()),
            threshold_bits: OWN_THRESHOLD,
            envelope: None,
        }),
        &[],
    );
    assert_eq!(contract_err(r), ContractError::NotGovernor);
}

// ------------------------------------------------------------ deployment

#[test]
fn deployed_and_bound_the_guard_answers_as_the_governor() {
    let mut p = Pair::unbound(base(), VAULT);
    // Before the bind: no model on the guard, nothing bound.
    let c = p.gconfig();
    assert_eq!((c.install_sequence, c.active_version), (0, 0));
    assert_eq!(c.governor, p.s.guard.to_string());
    assert!(p
        .s
        .app
        .wrap()
        .query_wasm_smart::<CheckResponse>(
            &p.guard,
            &GuardQueryMsg::Check {
                features: strings(&["1", "1"])
            }
        )
        .is_err());
    assert_eq!(p.s.config().guard, None);
    let r = p.bind().unwrap();
    // The active model, its threshold and the envelope, in one install,
    // in the bind's transaction.
    assert_eq!(attr_of(&r, "guard_install"), "1");
    assert_eq!(guard_install_event(&r, &p.guard), Some((1, 1)));
    let sent = installs_on(&p.guard);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].sequence, 1);
    assert_eq!(sent[0].version, 1);
    assert_eq!(
        sent[0].blob.as_ref().map(|b| b.to_vec()),
        Some(blob(&cut(12)))
    );
    assert_eq!(sent[0].threshold_bits, OWN_THRESHOLD);
    assert!(sent[0].envelope.is_some());
    // The guard's config: the governor, the first install, the settings.
    let gov = p.s.config();
    assert_eq!(gov.guard.as_deref(), Some(p.guard.as_str()));
    let c = p.gconfig();
    assert_eq!(c.governor, p.s.guard.to_string());
    assert_eq!(c.install_sequence, 1);
    assert_eq!(c.admin, p.s.admin.to_string());
    assert_eq!(c.active_version, gov.active_version);
    assert_eq!(
        (c.n_features, c.max_inference_ops, c.max_check_gas, c.paused),
        (
            gov.n_features,
            gov.max_inference_ops,
            gov.max_check_gas,
            false
        )
    );
    assert_eq!(c.paused_check, gov.paused_check);
    // Every answer the same, in and out of the envelope.
    p.assert_mirrors();
    let out = p.gcheck(&["100", "1"]);
    assert_eq!(
        (out.out_of_envelope, out.out_of_envelope_features),
        (1, vec![0])
    );
    let both = p.gcheck(&["-50", "9"]);
    assert_eq!(both.out_of_envelope, 2);
    assert_same_model(&p.gmodel(Some(1)), &p.s.model(Some(1)));
    assert_eq!(p.gmodel(None).proposer, p.s.guard.to_string());
    assert_same_blob(&p, Some(1));
    // Cost quotes against the same budgets.
    let q = |m: &FloatModel| QueryMsg::Cost {
        model: blob(m).into(),
    };
    for m in [perfect(), mlp_perfect()] {
        let gov: CostResponse = p.s.q(&q(&m));
        let guard: CostResponse = p.gq(&GuardQueryMsg::Cost {
            model: blob(&m).into(),
        });
        assert_eq!(guard, gov);
    }
    // A bind with no active model sends nothing (and a later first model
    // is the first install).
    let mut empty = Pair::unbound(base_msg(), VAULT);
    let r = empty.bind().unwrap();
    assert_eq!(maybe_attr(&r, "guard_install"), None);
    assert_eq!(empty.gconfig().install_sequence, 0);
    let alice = empty.s.alice.clone();
    let r = empty.s.propose(&alice, &blob(&cut(7)), MIN_BOND).unwrap();
    assert_eq!(attr_of(&r, "guard_install"), "1");
    assert_eq!(guard_install_event(&r, &empty.guard), Some((1, 1)));
    empty.assert_mirrors();
}

// ------------------------------------------------------- the honest round

#[test]
fn an_accepted_model_reaches_the_guard_in_its_activation() {
    let guardian = new_app().0.api().addr_make("guardian");
    let mut p = Pair::new(
        InstantiateMsg {
            activation_delay: DELAY,
            guardian: Some(guardian.to_string()),
            ..base()
        },
        VAULT,
    );
    let (alice, bob) = (p.s.alice.clone(), p.s.bob.clone());
    let probe = ["1", "1.5"];
    let before = p.gcheck(&probe);
    assert!(before.allow);
    let id =
        p.s.commit(&alice, &blob(&perfect()), MIN_BOND, None)
            .unwrap();
    p.s.advance(1);
    let r = p.s.reveal(&alice, id, &blob(&perfect())).unwrap();
    // Accepted, pending: the guard does not move.
    assert_eq!(p.s.proposal(id).status, ProposalStatus::Pending);
    assert_eq!(maybe_attr(&r, "guard_install"), None);
    assert_eq!(p.gcheck(&probe), before);
    assert_eq!(p.gconfig().install_sequence, 1);
    p.s.advance(DELAY - 1);
    assert!(matches!(
        contract_err(p.s.exec(&bob, &ExecuteMsg::Activate {}, &[])),
        ContractError::TooEarly { .. }
    ));
    assert_eq!(p.gconfig().install_sequence, 1);
    p.s.advance(1);
    let r = p.s.exec(&bob, &ExecuteMsg::Activate {}, &[]).unwrap();
    // One transaction: the governor's activation and the guard's install.
    assert_eq!(attr_of(&r, "model_version"), "2");
    assert_eq!(attr_of(&r, "guard_install"), "2");
    assert_eq!(guard_install_event(&r, &p.guard), Some((2, 2)));
    let sent = installs_on(&p.guard);
    assert_eq!(sent.len(), 2);
    assert_eq!(
        sent[1].blob.as_ref().map(|b| b.to_vec()),
        Some(blob(&perfect()))
    );
    assert_eq!(p.s.proposal(id).status, ProposalStatus::Accepted);
    let after = p.gcheck(&probe);
    assert_eq!((after.allow, after.model_version), (false, 2));
    p.assert_mirrors();
    assert_same_model(&p.gmodel(Some(1)), &p.s.model(Some(1)));
    assert!(!p.gmodel(Some(1)).active);
    p.s.assert_conserved();
}

#[test]
fn a_vetoed_model_never_reaches_the_guard() {
    let guardian = new_app().0.api().addr_make("guardian");
    let mut p = Pair::new(
        InstantiateMsg {
            activation_delay: DELAY,
            guardian: Some(guardian.to_string()),
            ..base()
        },
        VAULT,
    );
    let (alice, bob) = (p.s.alice.clone(), p.s.bob.clone());
    let before = install_snapshot(&p);
    p.s.propose(&alice, &blob(&perfect()), MIN_BOND).unwrap();
    assert_eq!(p.s.proposal(1).status, ProposalStatus::Pending);
    let r =
        p.s.exec(&guardian, &ExecuteMsg::Veto { proposal_id: 1 }, &[])
            .unwrap();
    assert_eq!(maybe_attr(&r, "guard_install"), None);
    assert_eq!(p.s.proposal(1).status, ProposalStatus::Vetoed);
    p.s.advance(DELAY);
    assert!(matches!(
        contract_err(p.s.exec(&bob, &ExecuteMsg::Activate {}, &[])),
        ContractError::NoSuchProposal(_)
    ));
    assert_eq!(install_snapshot(&p), before);
    assert_eq!(installs_on(&p.guard).len(), 1);
    assert_eq!(install_attempts_on(&p.guard), 1);
    p.assert_mirrors();
    p.s.assert_conserved();
}

#[test]
fn a_rollback_reactivates_the_guards_stored_copy_without_its_blob() {
    let mut p = Pair::new(
        InstantiateMsg {
            governance_delay: GOV_DELAY,
            ..base()
        },
        VAULT,
    );
    let (admin, alice, bob) = (p.s.admin.clone(), p.s.alice.clone(), p.s.bob.clone());
    // Activation delay 0: the accepting reveal installs.
    let r = p.s.propose(&alice, &blob(&perfect()), MIN_BOND).unwrap();
    assert_eq!(attr_of(&r, "guard_install"), "2");
    assert_eq!(guard_install_event(&r, &p.guard), Some((2, 2)));
    p.assert_mirrors();
    // The rollback waits its delay; the guard with it.
    p.s.exec(&admin, &ExecuteMsg::Rollback { version: 1 }, &[])
        .unwrap();
    assert_eq!(p.gconfig().active_version, 2);
    p.s.advance(GOV_DELAY);
    let r =
        p.s.exec(&bob, &ExecuteMsg::ApplyGovernance {}, &[])
            .unwrap();
    assert_eq!(attr_of(&r, "guard_install"), "3");
    assert_eq!(guard_install_event(&r, &p.guard), Some((1, 3)));
    assert_eq!(p.s.config().active_version, 1);
    p.assert_mirrors();
    // And forward again.
    p.s.exec(&admin, &ExecuteMsg::Rollback { version: 2 }, &[])
        .unwrap();
    p.s.advance(GOV_DELAY);
    let r =
        p.s.exec(&bob, &ExecuteMsg::ApplyGovernance {}, &[])
            .unwrap();
    assert_eq!(guard_install_event(&r, &p.guard), Some((2, 4)));
    p.assert_mirrors();
    // Each blob was sent once: re-activations carried none (the guard
    // refuses a blob it already stores, so their acceptance shows it too).
    let sent = installs_on(&p.guard);
    let shape: Vec<(u64, u32, bool)> = sent
        .iter()
        .map(|m| (m.sequence, m.version, m.blob.is_some()))
        .collect();
    assert_eq!(
        shape,
        vec![(1, 1, true), (2, 2, true), (3, 1, false), (4, 2, false)]
    );
    let c = p.gconfig();
    assert_eq!((c.install_sequence, c.active_version), (4, 2));
    // Both versions stored on the guard as on the governor.
    for v in [1, 2] {
        assert_same_blob(&p, Some(v));
        assert_same_model(&p.gmodel(Some(v)), &p.s.model(Some(v)));
    }
    assert!(!p.gmodel(Some(1)).active);
    p.s.assert_conserved();
}

#[test]
fn a_guard_bound_late_gets_an_older_version_at_its_first_rollback() {
    // Versions 1 and 2 on the governor before the bind; the bind sends 2.
    let mut p = Pair::unbound(base(), VAULT);
    let (admin, alice) = (p.s.admin.clone(), p.s.alice.clone());
    p.s.propose(&alice, &blob(&perfect()), MIN_BOND).unwrap();
    assert_eq!(p.s.config().active_version, 2);
    let r = p.bind().unwrap();
    assert_eq!(guard_install_event(&r, &p.guard), Some((2, 1)));
    assert!(p
        .s
        .app
        .wrap()
        .query_wasm_smart::<ModelResponse>(&p.guard, &GuardQueryMsg::Model { version: Some(1) })
        .is_err());
    p.assert_mirrors();
    // Rolled back to 1: its blob is sent (the guard never had it), under
    // the governor's number; back to 2: no blob.
    p.s.exec(&admin, &ExecuteMsg::Rollback { version: 1 }, &[])
        .unwrap();
    p.assert_mirrors();
    p.s.exec(&admin, &ExecuteMsg::Rollback { version: 2 }, &[])
        .unwrap();
    p.assert_mirrors();
    let shape: Vec<(u64, u32, bool)> = installs_on(&p.guard)
        .iter()
        .map(|m| (m.sequence, m.version, m.blob.is_some()))
        .collect();
    assert_eq!(shape, vec![(1, 2, true), (2, 1, true), (3, 2, false)]);
    for v in [1, 2] {
        assert_same_blob(&p, Some(v));
        assert_same_model(&p.gmodel(Some(v)), &p.s.model(Some(v)));
    }
}

#[test]
fn a_rollback_the_guard_would_refuse_never_blocks_the_governance_queue() {
    // Version 2 (the MLP) was accepted under budgets since lowered; the
    // guard, bound after, has the lowered ones and never received it.
    let linear_ops = ops(&blob(&cut(12)));
    let mlp_ops = ops(&blob(&mlp_perfect()));
    let mut p = Pair::unbound(
        InstantiateMsg {
            governance_delay: GOV_DELAY,
            ..base()
        },
        VAULT,
    );
    let (admin, alice, bob) = (p.s.admin.clone(), p.s.alice.clone(), p.s.bob.clone());
    p.s.propose(&alice, &blob(&mlp_perfect()), MIN_BOND)
        .unwrap();
    assert_eq!(p.s.config().active_version, 2);
    for change in [
        ExecuteMsg::UpdateConfig(ConfigUpdate {
            max_inference_ops: Some(linear_ops),
            ..ConfigUpdate::default()
        }),
        ExecuteMsg::Rollback { version: 1 },
    ] {
        p.s.exec(&admin, &change, &[]).unwrap();
    }
    p.s.advance(GOV_DELAY);
    p.s.exec(&bob, &ExecuteMsg::ApplyGovernance {}, &[])
        .unwrap();
    assert_eq!(p.s.config().active_version, 1);
    // Queued before the bind: a rollback to 2.
    p.s.exec(&admin, &ExecuteMsg::Rollback { version: 2 }, &[])
        .unwrap();
    let (code, governor) = (p.guard_code, p.s.guard.clone());
    let tight = Settings {
        max_inference_ops: linear_ops,
        ..base().settings()
    };
    p.guard = instantiate_guard(&mut p.s, code, &admin, &governor, tight);
    let r = p.bind().unwrap();
    assert_eq!(guard_install_event(&r, &p.guard), Some((1, 1)));
    // Due: the guard would refuse version 2's blob. Applying it would
    // revert ApplyGovernance, and every later governance message (each
    // applies what is due first): dropped instead.
    p.s.advance(GOV_DELAY);
    let r =
        p.s.exec(&bob, &ExecuteMsg::ApplyGovernance {}, &[])
            .unwrap();
    let want = ContractError::CostOverBudget {
        bound: mlp_ops,
        budget: linear_ops,
    }
    .to_string();
    let dropped = maybe_attr(&r, "governance_dropped").expect("dropped");
    assert!(dropped.contains(&want), "{dropped}");
    assert_eq!(attr_of(&r, "applied"), "0");
    assert_eq!(p.s.config().active_version, 1);
    assert_eq!(p.gconfig().install_sequence, 1);
    // Sent now: refused at once, with the guard's budget.
    let r = p.s.exec(&admin, &ExecuteMsg::Rollback { version: 2 }, &[]);
    assert_eq!(
        contract_err(r),
        ContractError::CostOverBudget {
            bound: mlp_ops,
            budget: linear_ops,
        }
    );
    // The queue moves on.
    p.s.exec(
        &admin,
        &ExecuteMsg::UpdateConfig(ConfigUpdate {
            deny_threshold: Some(Some(dec("0.75"))),
            ..ConfigUpdate::default()
        }),
        &[],
    )
    .unwrap();
    p.s.advance(GOV_DELAY);
    let r =
        p.s.exec(&bob, &ExecuteMsg::ApplyGovernance {}, &[])
            .unwrap();
    assert_eq!(guard_install_event(&r, &p.guard), Some((1, 2)));
    p.assert_mirrors();
}

// ------------------------------------------- test set and threshold changes

#[test]
fn test_set_threshold_and_margin_changes_reach_the_guard() {
    let mut p = Pair::new(
        InstantiateMsg {
            initial_model: Some(blob(&perfect()).into()),
            governance_delay: GOV_DELAY,
            ..base_msg()
        },
        VAULT,
    );
    let (admin, bob) = (p.s.admin.clone(), p.s.bob.clone());
    let far = ["30", "0.5"];
    let out = p.gcheck(&far);
    assert_eq!(
        (out.out_of_envelope, out.out_of_envelope_features.clone()),
        (1, vec![0])
    );
    // Queued: a sample pair at x0 = 40 widens the envelope past 30.
    let wide = vec![
        TestSample {
            features: strings(&["40", "-1"]),
            label: false,
        },
        TestSample {
            features: strings(&["40", "1"]),
            label: true,
        },
    ];
    p.s.exec(&admin, &ExecuteMsg::AddTestSamples { samples: wide }, &[])
        .unwrap();
    assert_eq!(p.gcheck(&far), out);
    p.s.advance(GOV_DELAY);
    let r =
        p.s.exec(&bob, &ExecuteMsg::ApplyGovernance {}, &[])
            .unwrap();
    assert_eq!(guard_install_event(&r, &p.guard), Some((1, 2)));
    let inside = p.gcheck(&far);
    assert_eq!(inside.out_of_envelope, 0);
    assert!(inside.out_of_envelope_features.is_empty());
    p.assert_mirrors();
    let last = installs_on(&p.guard).pop().unwrap();
    assert_eq!((last.version, last.blob), (1, None));
    // The deny threshold: 0.9. perfect() scores sigmoid(1) ~ 0.73 on
    // x1 = 0.5: denied at the model's 0.5, allowed at 0.9.
    let probe = ["1", "0.5"];
    assert!(!p.gcheck(&probe).allow);
    p.s.exec(
        &admin,
        &ExecuteMsg::UpdateConfig(ConfigUpdate {
            deny_threshold: Some(Some(dec("0.9"))),
            ..ConfigUpdate::default()
        }),
        &[],
    )
    .unwrap();
    p.s.advance(GOV_DELAY);
    let r =
        p.s.exec(&bob, &ExecuteMsg::ApplyGovernance {}, &[])
            .unwrap();
    assert_eq!(guard_install_event(&r, &p.guard), Some((1, 3)));
    let c = p.gcheck(&probe);
    assert!(c.allow, "{c:?}");
    // 0.9 as score bits (U1F31), the governor's own.
    assert!(
        c.threshold >= dec("0.9") && c.threshold < dec("0.9000001"),
        "{c:?}"
    );
    assert!(c.score > dec("0.7") && c.score < dec("0.9"), "{c:?}");
    p.assert_mirrors();
    // The envelope off: the guard's envelope is removed, nothing clamped.
    p.s.exec(
        &admin,
        &ExecuteMsg::UpdateConfig(ConfigUpdate {
            envelope_margin: Some(None),
            deny_threshold: Some(None),
            ..ConfigUpdate::default()
        }),
        &[],
    )
    .unwrap();
    p.s.advance(GOV_DELAY);
    let r =
        p.s.exec(&bob, &ExecuteMsg::ApplyGovernance {}, &[])
            .unwrap();
    assert_eq!(guard_install_event(&r, &p.guard), Some((1, 4)));
    assert_eq!(installs_on(&p.guard).pop().unwrap().envelope, None);
    assert_eq!(p.gcheck(&["-50", "9"]).out_of_envelope, 0);
    assert!(!p.gcheck(&probe).allow);
    p.assert_mirrors();
    assert_eq!(
        installs_on(&p.guard)
            .iter()
            .filter(|m| m.blob.is_some())
            .count(),
        1
    );
}

#[test]
fn changes_that_leave_what_check_reads_send_no_install() {
    let mut p = Pair::new(base(), VAULT);
    let admin = p.s.admin.clone();
    let quiet = |p: &mut Pair, msg: ExecuteMsg| {
        let r = p.s.exec(&admin, &msg, &[]).unwrap();
        assert_eq!(maybe_attr(&r, "guard_install"), None, "{msg:?}");
        assert_eq!(guard_install_event(&r, &p.guard), None);
    };
    // Settings the guard does not read.
    quiet(
        &mut p,
        ExecuteMsg::UpdateConfig(ConfigUpdate {
            min_bond: Some(cosmwasm_std::Uint128::new(2 * MIN_BOND)),
            stall_blocks: Some(100),
            ..ConfigUpdate::default()
        }),
    );
    // The margin it has.
    quiet(
        &mut p,
        ExecuteMsg::UpdateConfig(ConfigUpdate {
            envelope_margin: Some(base().envelope_margin),
            ..ConfigUpdate::default()
        }),
    );
    // Samples inside the range, added and removed: the envelope stays.
    let v0 = p.s.test_set().version;
    quiet(
        &mut p,
        ExecuteMsg::AddTestSamples {
            samples: vec![
                TestSample {
                    features: strings(&["6", "-1"]),
                    label: false,
                },
                TestSample {
                    features: strings(&["6", "1"]),
                    label: true,
                },
            ],
        },
    );
    let ts = p.s.test_set();
    assert_eq!(ts.version, v0 + 1);
    let ids: Vec<u32> = ts.samples.iter().rev().take(2).map(|x| x.id).collect();
    quiet(&mut p, ExecuteMsg::RemoveTestSamples { ids });
    assert_eq!(p.gconfig().install_sequence, 1);
    p.assert_mirrors();
    // A change of what it reads is sent, next in sequence.
    let r =
        p.s.exec(
            &admin,
            &ExecuteMsg::UpdateConfig(ConfigUpdate {
                deny_threshold: Some(Some(dec("0.75"))),
                ..ConfigUpdate::default()
            }),
            &[],
        )
        .unwrap();
    assert_eq!(guard_install_event(&r, &p.guard), Some((1, 2)));
    p.assert_mirrors();
}

// ------------------------------------------------ a guard refusing installs

/// Governor balances and proposal state that a reverted message leaves.
fn governor_books(p: &Pair, id: u64) -> (u32, u128, u128, u128, ProposalStatus) {
    let c = p.s.config();
    (
        c.active_version,
        c.vault.u128(),
        p.s.balance(&p.s.guard),
        p.s.balance(&p.s.alice),
        p.s.proposal(id).status,
    )
}

#[test]
fn the_governor_cannot_be_configured_past_its_guards_budgets() {
    let linear_ops = ops(&blob(&cut(12)));
    let mut p = Pair::new(
        InstantiateMsg {
            max_inference_ops: linear_ops,
            ..base()
        },
        VAULT,
    );
    let admin = p.s.admin.clone();
    // Raising either budget above the guard's is refused: the guard would
    // refuse what the governor then accepts.
    for update in [
        ConfigUpdate {
            max_inference_ops: Some(linear_ops + 1),
            ..ConfigUpdate::default()
        },
        ConfigUpdate {
            max_check_gas: Some(p.gconfig().max_check_gas + 1),
            ..ConfigUpdate::default()
        },
    ] {
        let e = p.s.exec_err(&admin, &ExecuteMsg::UpdateConfig(update), &[]);
        assert!(
            matches!(&e, ContractError::GuardMismatch { guard, .. } if guard == p.guard.as_str()),
            "{e:?}"
        );
    }
    assert_eq!(p.s.config().max_inference_ops, linear_ops);
    // Lowering is the governor's business.
    let lower = p.gconfig().max_check_gas - 1;
    p.s.exec(
        &admin,
        &ExecuteMsg::UpdateConfig(ConfigUpdate {
            max_check_gas: Some(lower),
            ..ConfigUpdate::default()
        }),
        &[],
    )
    .unwrap();
    assert_eq!(p.s.config().max_check_gas, lower);
    assert_eq!(install_attempts_on(&p.guard), 1);
    p.assert_mirrors();
}

#[test]
fn a_model_over_the_guards_budgets_is_refused_at_its_reveal() {
    // The guard's budgets fit the linear models, not the MLP, which a
    // proposal committed before the bind may still reveal under the looser
    // budgets fixed at its commitment. Accepted and pending, the MLP could
    // never be activated: its proposal would hold the queue and its bond
    // for good.
    let linear_ops = ops(&blob(&cut(12)));
    let mlp_ops = ops(&blob(&mlp_perfect()));
    assert!(mlp_ops > linear_ops, "{mlp_ops} vs {linear_ops}");
    let quote = |m: &FloatModel| -> u64 {
        let s = Suite::new(base(), 0);
        let q: CostResponse = s.q(&QueryMsg::Cost {
            model: blob(m).into(),
        });
        q.check_gas.above_setup()
    };
    let (linear_gas, mlp_gas) = (quote(&cut(12)), quote(&mlp_perfect()));
    assert!(mlp_gas > linear_gas, "{mlp_gas} vs {linear_gas}");
    let cases = [
        (
            InstantiateMsg {
                max_inference_ops: linear_ops,
                ..base()
            },
            ContractError::CostOverBudget {
                bound: mlp_ops,
                budget: linear_ops,
            },
        ),
        (
            InstantiateMsg {
                max_check_gas: linear_gas,
                ..base()
            },
            ContractError::CheckGasOverBudget {
                bound: mlp_gas,
                budget: linear_gas,
            },
        ),
    ];
    for (msg, want) in cases {
        // The governor starts with looser budgets than its guard's.
        let mut p = Pair::unbound_with(
            InstantiateMsg {
                activation_delay: DELAY,
                ..base()
            },
            VAULT,
            msg.settings(),
        );
        let (admin, alice, bob) = (p.s.admin.clone(), p.s.alice.clone(), p.s.bob.clone());
        let mlp = blob(&mlp_perfect());
        // Alice commits before the bind: her proposal keeps those budgets.
        let id = p.s.commit(&alice, &mlp, MIN_BOND, None).unwrap();
        // The governor's budgets come down to the guard's; then the bind.
        p.s.exec(
            &admin,
            &ExecuteMsg::UpdateConfig(ConfigUpdate {
                max_inference_ops: Some(msg.max_inference_ops),
                max_check_gas: Some(msg.max_check_gas),
                ..ConfigUpdate::default()
            }),
            &[],
        )
        .unwrap();
        p.bind().unwrap();
        let vault = p.s.config().vault;
        // Refused at the reveal, though within the budgets of its
        // commitment (the proposal stays committed, its bond held); its
        // proposer closes it at the deadline, whole bond back.
        p.s.advance(1);
        let err = contract_err(p.s.reveal(&alice, id, &mlp));
        assert_eq!(err, want);
        assert_eq!(p.s.proposal(id).status, ProposalStatus::Committed);
        let deadline = p.s.proposal(id).closable_at.unwrap();
        p.s.advance(deadline - p.s.height());
        p.s.exec(&alice, &ExecuteMsg::CloseStalled { proposal_id: id }, &[])
            .unwrap();
        assert_eq!(p.s.balance(&alice), START);
        assert_eq!(p.s.config().vault, vault);
        assert_eq!(p.s.config().active_version, 1);
        assert_eq!(install_attempts_on(&p.guard), 1);
        p.assert_mirrors();
        // An honest linear model goes through: pending, then install 2.
        p.s.propose(&bob, &blob(&perfect()), MIN_BOND).unwrap();
        p.s.advance(DELAY);
        let r = p.s.exec(&bob, &ExecuteMsg::Activate {}, &[]).unwrap();
        assert_eq!(guard_install_event(&r, &p.guard), Some((2, 2)));
        p.assert_mirrors();
        p.s.assert_conserved();
    }
}

#[test]
fn a_guard_refusing_an_install_reverts_the_governors_message() {
    let mut p = Pair::new(
        InstantiateMsg {
            activation_delay: DELAY,
            ..base()
        },
        VAULT,
    );
    let (admin, alice, bob) = (p.s.admin.clone(), p.s.alice.clone(), p.s.bob.clone());
    p.s.propose(&alice, &blob(&perfect()), MIN_BOND).unwrap();
    assert_eq!(p.s.proposal(1).status, ProposalStatus::Pending);
    p.s.advance(DELAY);
    let books = governor_books(&p, 1);
    let guard_before = install_snapshot(&p);
    // The guard refuses whatever it is sent (a test double: the real one
    // refuses only what the bind and the reveal checks let through).
    REFUSE.with(|r| r.set(true));
    let text = guard_err_text(p.s.exec(&bob, &ExecuteMsg::Activate {}, &[]));
    assert!(text.contains(REFUSED), "{text}");
    // Asked and refused; nothing moved on either side: no bond paid, no
    // reward, the model not active, the proposal pending.
    assert_eq!(install_attempts_on(&p.guard), 2);
    assert_eq!(installs_on(&p.guard).len(), 1);
    assert_eq!(governor_books(&p, 1), books);
    assert_eq!(p.s.proposal(1).accepted_version, None);
    assert_eq!(install_snapshot(&p), guard_before);
    p.s.assert_conserved();
    // Any change of what Check reads is refused with it.
    let threshold = |p: &Pair| p.s.config().deny_threshold;
    let r = p.s.exec(
        &admin,
        &ExecuteMsg::UpdateConfig(ConfigUpdate {
            deny_threshold: Some(Some(dec("0.25"))),
            ..ConfigUpdate::default()
        }),
        &[],
    );
    assert!(guard_err_text(r).contains(REFUSED));
    assert_eq!(threshold(&p), None);
    p.assert_mirrors();
    // The guard accepting again, the activation goes through as install 2
    // (the governor's count was reverted with each refusal).
    REFUSE.with(|r| r.set(false));
    let a0 = p.s.balance(&alice);
    let r = p.s.exec(&bob, &ExecuteMsg::Activate {}, &[]).unwrap();
    assert_eq!(guard_install_event(&r, &p.guard), Some((2, 2)));
    assert_eq!(p.s.proposal(1).status, ProposalStatus::Accepted);
    assert_eq!(p.s.balance(&alice), a0 + MIN_BOND + 500);
    p.assert_mirrors();
    p.s.assert_conserved();
}

// ------------------------------------------------------------- the pause

#[test]
fn a_paused_guard_stays_paused_through_an_install() {
    let mut p = Pair::new(
        InstantiateMsg {
            paused_check: PausedCheck::Deny,
            ..base()
        },
        VAULT,
    );
    let (admin, alice, bob) = (p.s.admin.clone(), p.s.alice.clone(), p.s.bob.clone());
    let governor = p.s.guard.clone();
    // Only the guard's admin pauses: not a stranger, not the governor.
    for who in [&alice, &governor] {
        let r = p.gexec(who, &GuardExecuteMsg::Pause {});
        assert_eq!(contract_err(r), ContractError::Unauthorized);
    }
    assert!(!p.gconfig().paused);
    // The governor's admin cannot pause through the governor: it names
    // the guard instead of pausing something `Check` does not read.
    for msg in [ExecuteMsg::Pause {}, ExecuteMsg::Unpause {}] {
        assert_eq!(
            p.s.exec_err(&admin, &msg, &[]),
            ContractError::PauseTheGuard(p.guard.to_string())
        );
    }
    p.gexec(&admin, &GuardExecuteMsg::Pause {}).unwrap();
    let paused = |p: &Pair| {
        for x in INPUTS {
            let c = p.gcheck(&x);
            assert!(c.paused && !c.allow, "{c:?}");
            assert_eq!((c.model_version, c.out_of_envelope), (0, 0));
        }
    };
    paused(&p);
    // The governor's own answers are not paused (the pause is the guard's).
    assert!(!p.s.check(&["1", "1"]).paused);
    // A model accepted during the pause is installed, and the guard stays
    // paused.
    let r = p.s.propose(&bob, &blob(&perfect()), MIN_BOND).unwrap();
    assert_eq!(guard_install_event(&r, &p.guard), Some((2, 2)));
    let c = p.gconfig();
    assert_eq!(
        (c.paused, c.active_version, c.install_sequence),
        (true, 2, 2)
    );
    paused(&p);
    // A threshold change during the pause too.
    p.s.exec(
        &admin,
        &ExecuteMsg::UpdateConfig(ConfigUpdate {
            deny_threshold: Some(Some(dec("0.9"))),
            ..ConfigUpdate::default()
        }),
        &[],
    )
    .unwrap();
    assert_eq!(p.gconfig().install_sequence, 3);
    paused(&p);
    // Unpaused, it answers with what the governor installed.
    p.gexec(&admin, &GuardExecuteMsg::Unpause {}).unwrap();
    p.assert_mirrors();
    assert_eq!(p.gcheck(&["1", "1"]).model_version, 2);
}

// ------------------------------------------------------- an integrator

#[test]
fn the_example_vault_asks_the_split_guard_unchanged() {
    use vigil_example_vault::contract as vault_contract;
    use vigil_example_vault::msg::{ExecuteMsg as VaultExec, InstantiateMsg as VaultInit};
    let mut p = Pair::new(
        InstantiateMsg {
            initial_model: Some(blob(&cut(7)).into()),
            ..base_msg()
        },
        VAULT,
    );
    let (admin, alice, bob) = (p.s.admin.clone(), p.s.alice.clone(), p.s.bob.clone());
    let code = p.s.app.store_code(Box::new(ContractWrapper::new(
        vault_contract::execute,
        vault_contract::instantiate,
        vault_contract::query,
    )));
    let funds = 50_000;
    let vault =
        p.s.app
            .instantiate_contract(
                code,
                admin.clone(),
                &VaultInit {
                    guard: Some(p.guard.to_string()),
                    denom: DENOM.to_string(),
                    deny_out_of_envelope: false,
                    observe: false,
                },
                &cosmwasm_std::coins(funds, DENOM),
                "vault",
                None,
            )
            .unwrap();
    let withdraw = |p: &mut Pair, features: &[&str]| {
        p.s.app
            .execute_contract(
                alice.clone(),
                vault.clone(),
                &VaultExec::Withdraw {
                    amount: cosmwasm_std::Uint128::new(100),
                    features: strings(features),
                },
                &[],
            )
            .map(|_| ())
            .map_err(|e| format!("{e:#}"))
    };
    // cut(7): x0 >= 7 flagged.
    withdraw(&mut p, &["3", "1"]).unwrap();
    let err = withdraw(&mut p, &["9", "-1"]).unwrap_err();
    assert!(err.contains("withdrawal refused by the guard"), "{err}");
    // perfect() activated on the governor: the vault follows at once.
    p.s.propose(&bob, &blob(&perfect()), MIN_BOND).unwrap();
    withdraw(&mut p, &["9", "-1"]).unwrap();
    let err = withdraw(&mut p, &["3", "1"]).unwrap_err();
    assert!(err.contains("withdrawal refused by the guard"), "{err}");
    // The guard's pause (paused_check Error) stops withdrawals.
    p.gexec(&admin, &GuardExecuteMsg::Pause {}).unwrap();
    assert!(withdraw(&mut p, &["9", "-1"]).is_err());
    p.gexec(&admin, &GuardExecuteMsg::Unpause {}).unwrap();
    withdraw(&mut p, &["9", "-1"]).unwrap();
    assert_eq!(p.s.balance(&vault), funds - 300);
}

#[test]
fn a_guard_checks_only_the_settings_it_applies() {
    let mut s = Suite::new(base(), VAULT);
    let code = s.app.store_code(guard_code());
    let (admin, governor) = (s.admin.clone(), s.guard.clone());
    // Margins a governor migrated from 0.1 may hold (no gain above the
    // tolerance): the governor's to judge by, not the guard's.
    let mut settings = base().settings();
    let lax = vigil_guard::msg::Margin {
        min_gain: dec("0"),
        tolerance: dec("0.05"),
    };
    settings.margins.accuracy = lax.clone();
    assert!(settings.validate().is_err());
    instantiate_guard(&mut s, code, &admin, &governor, settings.clone());
    // What it applies must make sense: a zero budget is refused.
    for zero in [
        Settings {
            max_check_gas: 0,
            ..settings.clone()
        },
        Settings {
            max_inference_ops: 0,
            ..settings.clone()
        },
        Settings {
            n_features: 0,
            ..settings
        },
    ] {
        let r = s.app.instantiate_contract(
            code,
            admin.clone(),
            &GuardInstantiateMsg {
                admin: None,
                governor: governor.to_string(),
                settings: zero,
                change_delay: None,
            },
            &[],
            "vigil-guard",
            None,
        );
        assert!(r.is_err());
    }
}

#[test]
fn a_guard_allowing_the_commitments_budgets_binds_while_a_model_is_pending() {
    let mut p = Pair::unbound(
        InstantiateMsg {
            activation_delay: DELAY,
            ..base()
        },
        VAULT,
    );
    let (alice, bob) = (p.s.alice.clone(), p.s.bob.clone());
    p.s.propose(&alice, &blob(&perfect()), MIN_BOND).unwrap();
    assert_eq!(p.s.proposal(1).status, ProposalStatus::Pending);
    // Its budgets are the guard's: the pending model fits; the bind
    // installs the incumbent, the activation the new model.
    p.bind().unwrap();
    assert_eq!(p.gconfig().active_version, 1);
    p.s.advance(DELAY);
    let r = p.s.exec(&bob, &ExecuteMsg::Activate {}, &[]).unwrap();
    assert_eq!(guard_install_event(&r, &p.guard), Some((2, 2)));
    p.assert_mirrors();
    p.s.assert_conserved();
}
