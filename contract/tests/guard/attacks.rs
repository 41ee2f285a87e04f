//! Issue 12, the attacks on the guard's own governance: one test per
//! attack, named for it, each showing it refused.
use cosmwasm_std::{coins, BankMsg, Decimal, Uint128};
use cw_multi_test::Executor;
use vigil_guard::msg::{
    ConfigUpdate, CostResponse, ExecuteMsg, InstantiateMsg, Margin, Margins, ProposalStatus,
    QueryMsg, MAX_FEATURE_CHARS,
};
use vigil_guard::ContractError;
use vigil_guard_api::InvalidSetting;
use vigil_inference_core::float::{
    FloatBody, FloatEnsemble, FloatFeature, FloatLayer, FloatModel, FloatNode,
};
use vigil_inference_core::format::{Activation, LEAF};

use crate::common::*;

const VAULT: u128 = 10_000;

/// Perfect on the test set at its own threshold 0.00005, but every score is
/// below 0.5: at a configured `deny_threshold` of 0.5, `Check` allows every
/// attack.
fn low_threshold() -> FloatModel {
    FloatModel {
        threshold: 0.00005,
        ..logistic(&[0.0, 3.0], -10.0)
    }
}

/// Every positive sample of the synthetic test set, as `Check` inputs.
fn attacks() -> Vec<Vec<String>> {
    test_set()
        .into_iter()
        .filter(|s| s.label)
        .map(|s| s.features)
        .collect()
}

fn check_strings(s: &Suite, f: &[String]) -> vigil_guard::msg::CheckResponse {
    s.q(&QueryMsg::Check {
        features: f.to_vec(),
    })
}

#[test]
fn judged_at_one_threshold_enforced_at_another() {
    // The candidate really is perfect at its own threshold...
    let set = test_set();
    assert_eq!(counts(&low_threshold(), &set), (6, 0, 6, 0));
    let mut s = Suite::new(
        InstantiateMsg {
            initial_model: Some(blob(&cut(12)).into()),
            deny_threshold: Some(dec("0.5")),
            ..base_msg()
        },
        VAULT,
    );
    let alice = s.alice.clone();
    s.propose_and_decide(&alice, &blob(&low_threshold()), MIN_BOND);
    // ...but Check will apply 0.5, at which it flags nothing: judged there,
    // it is worse than the incumbent.
    let p = s.last_proposal();
    assert_eq!(p.status, ProposalStatus::Rejected, "{p:?}");
    assert_eq!(p.candidate.tp, 0);
    assert_eq!(p.threshold_bits, Some(1 << 30));
    assert_eq!(p.deny_threshold, Some(dec("0.5")));
    // The incumbent stays: Check never ran the candidate.
    assert_eq!(s.config().active_version, 1);
    s.assert_conserved();
}

#[test]
fn a_threshold_change_mid_evaluation_does_not_change_the_judgement() {
    // No override when proposed: judged at the candidate's own threshold.
    let mut s = Suite::new(
        InstantiateMsg {
            initial_model: Some(blob(&cut(12)).into()),
            eval_batch: 4,
            ..base_msg()
        },
        VAULT,
    );
    let alice = s.alice.clone();
    s.propose(&alice, &blob(&low_threshold()), MIN_BOND)
        .unwrap();
    // The admin sets 0.5 while it is open: at 0.5 the candidate would flag
    // nothing, yet it was proposed (and is judged) at its own.
    s.admin_exec(&ExecuteMsg::UpdateConfig(ConfigUpdate {
        deny_threshold: Some(Some(dec("0.5"))),
        ..ConfigUpdate::default()
    }));
    let bob = s.bob.clone();
    while s.last_proposal().status == ProposalStatus::Evaluating {
        s.exec(
            &bob,
            &ExecuteMsg::ContinueEvaluation { proposal_id: 1 },
            &[],
        )
        .unwrap();
    }
    let p = s.last_proposal();
    assert_eq!(p.status, ProposalStatus::Accepted);
    assert_eq!(p.deny_threshold, None);
    assert!(p.threshold.unwrap() < dec("0.0001"), "{p:?}");
    // What Check applies is what was judged: the update made while it was
    // open is superseded by the threshold it was judged at.
    assert_eq!(s.config().deny_threshold, None);
    for a in attacks() {
        assert!(!check_strings(&s, &a).allow, "{a:?} allowed");
    }
    s.assert_conserved();
}

#[test]
fn reward_farming_with_an_alternating_precision_recall_pair() {
    // The attack's margins: tolerance >= min_gain on every metric.
    let m = Margin {
        min_gain: dec("0.01"),
        tolerance: dec("0.2"),
    };
    let margins = Margins {
        accuracy: m.clone(),
        f1: m.clone(),
        precision: m.clone(),
        recall: m,
    };
    let msg = InstantiateMsg {
        initial_model: Some(blob(&cut(7)).into()),
        margins: margins.clone(),
        ..base_msg()
    };
    // k = 5 (recall 1, precision 3/4) and k = 9 (precision 1, recall 4/6)
    // each count as better than the other under these margins.
    let (mut app, admin, alice, _) = new_app();
    let code = app.store_code(guard_contract());
    let refused = app
        .instantiate_contract(code, admin.clone(), &msg, &[], "g", None)
        .expect_err("tolerance >= min_gain instantiated");
    let invalid =
        ContractError::InvalidConfig(InvalidSetting::GainNotAboveTolerance { metric: "accuracy" });
    assert_eq!(refused.downcast::<ContractError>().unwrap(), invalid);
    // And UpdateConfig cannot bring them in either.
    let mut s = Suite::with_model(&cut(7), VAULT);
    let admin = s.admin.clone();
    assert_eq!(
        s.exec_err(
            &admin,
            &ExecuteMsg::UpdateConfig(ConfigUpdate {
                margins: Some(margins),
                ..ConfigUpdate::default()
            }),
            &[],
        ),
        invalid
    );
    // Margins that satisfy the rule: alternating the pair (fresh blobs each
    // time) earns at most one reward.
    let _ = alice;
    let alice = s.alice.clone();
    let start = s.balance(&alice);
    let mut accepted = 0;
    for round in 0..10 {
        let k = if round % 2 == 0 { 5 } else { 9 };
        let m = cut_variant(k, 0.001 * f64::from(round + 1));
        s.propose_and_decide(&alice, &blob(&m), MIN_BOND);
        if s.last_proposal().status == ProposalStatus::Accepted {
            accepted += 1;
        }
    }
    assert!(accepted <= 1, "{accepted} acceptances");
    assert!(s.balance(&alice) <= start + 500);
    s.assert_conserved();
}

#[test]
fn rollback_then_reproposing_the_rolled_back_over_model_earns_nothing() {
    let mut s = Suite::with_model(&cut(12), VAULT);
    let alice = s.alice.clone();
    s.propose_and_decide(&alice, &blob(&perfect()), MIN_BOND);
    assert_eq!(s.last_proposal().status, ProposalStatus::Accepted);
    let after_first = s.balance(&alice);
    assert_eq!(after_first, START + 500);
    s.admin_exec(&ExecuteMsg::Rollback { version: 1 });
    // The same blob again: refused outright (no bond taken).
    let err = s.propose(&alice, &blob(&perfect()), MIN_BOND).unwrap_err();
    assert_eq!(
        err.downcast::<ContractError>().unwrap(),
        ContractError::KnownModel { version: 2 }
    );
    assert_eq!(s.balance(&alice), after_first);
    // Another blob with the same predictions: judged against the best ever
    // accepted on this test set, it improves nothing.
    let copy = logistic(&[0.0, 2.5], 0.0);
    let steps = s.propose_and_decide(&alice, &blob(&copy), MIN_BOND);
    assert_eq!(s.last_proposal().status, ProposalStatus::Rejected);
    let ev = poim_event(&steps);
    assert_eq!(attr(&ev, "best_recall"), "1");
    assert_eq!(attr(&ev, "recall_movement"), "unchanged");
    assert_eq!(s.balance(&alice), after_first - MIN_BOND);
    assert_eq!(s.config().active_version, 1);
    s.assert_conserved();
}

/// Everything allowed: scores near zero.
fn allow_everything() -> FloatModel {
    logistic(&[0.0, 0.0], -10.0)
}

#[test]
fn removing_every_positive_then_allowing_everything_is_refused() {
    let mut s = Suite::with_model(&cut(7), VAULT);
    let positives: Vec<u32> = s
        .test_set()
        .samples
        .iter()
        .filter(|x| x.label)
        .map(|x| x.id)
        .collect();
    let admin = s.admin.clone();
    assert_eq!(
        s.exec_err(
            &admin,
            &ExecuteMsg::RemoveTestSamples {
                ids: positives.clone()
            },
            &[]
        ),
        ContractError::RemovalImbalance {
            positives: 0,
            negatives: 6
        }
    );
    assert_eq!(s.config().positives, 6);
    // Removing only majority samples is always allowed (here: balanced
    // before, 5 negatives left against 6 positives).
    let one_negative = s.test_set().samples.iter().find(|x| !x.label).unwrap().id;
    s.admin_exec(&ExecuteMsg::RemoveTestSamples {
        ids: vec![one_negative],
    });
    // A ratio that allows the removal: still no proposal while a class is
    // empty.
    let mut s = Suite::new(
        InstantiateMsg {
            initial_model: Some(blob(&cut(7)).into()),
            max_class_ratio: dec("100"),
            ..base_msg()
        },
        VAULT,
    );
    s.admin_exec(&ExecuteMsg::RemoveTestSamples { ids: positives });
    let alice = s.alice.clone();
    let err = s
        .propose(&alice, &blob(&allow_everything()), MIN_BOND)
        .unwrap_err();
    assert_eq!(
        err.downcast::<ContractError>().unwrap(),
        ContractError::ClassEmpty { class: "positive" }
    );
    assert_eq!(s.balance(&alice), START);
    s.assert_conserved();
}

/// A 2-input MLP with two hidden layers of `h`: cheap per weight, a byte a
/// weight to read.
fn wide_mlp(h: usize) -> FloatModel {
    let layer = |fan_in: usize, fan_out: usize, activation| FloatLayer {
        weights: (0..fan_in * fan_out)
            .map(|i| ((i * 7919) % 201) as f64 / 1000.0 - 0.1)
            .collect(),
        biases: vec![0.01; fan_out],
        activation,
    };
    FloatModel {
        threshold: 0.5,
        features: vec![FloatFeature::IDENTITY; 2],
        body: FloatBody::Mlp(vec![
            layer(2, h, Activation::Relu),
            layer(h, h, Activation::Relu),
            layer(h, 1, Activation::Sigmoid),
        ]),
    }
}

#[test]
fn a_huge_mlp_under_the_operation_budget_is_refused_by_the_read_budget() {
    let big = blob(&wide_mlp(340));
    assert!(big.len() > 110_000, "{}", big.len());
    let cost = ops(&big);
    assert!(cost <= 1_000_000, "{cost} ops");
    let mut s = Suite::with_model(&cut(7), VAULT);
    let q: CostResponse = s.q(&QueryMsg::Cost {
        model: big.clone().into(),
    });
    assert!(q.check_gas.above_setup() > 300_000, "{q:?}");
    assert!(!q.within_budget, "{q:?}");
    let alice = s.alice.clone();
    let err = s.propose(&alice, &big, MIN_BOND).unwrap_err();
    assert_eq!(
        err.downcast::<ContractError>().unwrap(),
        ContractError::CheckGasOverBudget {
            bound: q.check_gas.above_setup(),
            budget: 100_000
        }
    );
    assert_eq!(s.balance(&alice), START);
    // Nor as the initial model.
    let (mut app, admin, _, _) = new_app();
    let code = app.store_code(guard_contract());
    let msg = InstantiateMsg {
        initial_model: Some(big.into()),
        ..base_msg()
    };
    let err = app
        .instantiate_contract(code, admin, &msg, &[], "g", None)
        .unwrap_err();
    assert!(matches!(
        err.downcast::<ContractError>().unwrap(),
        ContractError::CheckGasOverBudget { .. }
    ));
}

#[test]
fn a_200kb_feature_string_is_refused_before_any_parse() {
    let mut s = Suite::with_model(&cut(7), 0);
    let long = format!("{}1", "0".repeat(200_000));
    let want = ContractError::FeatureTooLong {
        index: 0,
        len: 200_001,
        max: MAX_FEATURE_CHARS,
    }
    .to_string();
    let features = vec![long.clone(), "1".to_string()];
    let err = s.q_err(&QueryMsg::Check {
        features: features.clone(),
    });
    assert!(err.ends_with(&want), "{err}");
    let err = s.q_err(&QueryMsg::Score { features });
    assert!(err.ends_with(&want), "{err}");
    let admin = s.admin.clone();
    assert_eq!(
        s.exec_err(
            &admin,
            &ExecuteMsg::AddTestSamples {
                samples: vec![vigil_guard::msg::TestSample {
                    features: vec!["1".into(), long],
                    label: false,
                }],
            },
            &[]
        ),
        ContractError::FeatureTooLong {
            index: 1,
            len: 200_001,
            max: MAX_FEATURE_CHARS
        }
    );
    // 64 characters still parse (e.g. a long fraction).
    let ok = format!("0.{}", "1".repeat(MAX_FEATURE_CHARS - 2));
    let err = s.q_err(&QueryMsg::Check {
        features: vec![format!("{ok}1"), "1".into()],
    });
    assert!(err.contains("feature 0"), "{err}");
    let _ = check_strings(&s, &["1".into(), format!("0.{}", "1".repeat(17))]);
}

fn bank_send(s: &mut Suite, amount: u128) {
    let alice = s.alice.clone();
    let guard = s.guard.clone();
    s.app
        .execute(
            alice,
            BankMsg::Send {
                to_address: guard.to_string(),
                amount: coins(amount, DENOM),
            }
            .into(),
        )
        .unwrap();
}

#[test]
fn stranded_funds_sent_by_plain_bank_transfer_are_swept_into_the_vault() {
    let mut s = Suite::with_model(&cut(7), VAULT);
    bank_send(&mut s, 777);
    // Stranded: the bank holds more than the vault and the open bonds.
    assert_eq!(s.balance(&s.guard.clone()), VAULT + 777);
    assert_eq!(s.config().vault, Uint128::new(VAULT));
    // Anyone may sweep; funds attached are refused.
    let bob = s.bob.clone();
    assert_eq!(
        s.exec_err(&bob, &ExecuteMsg::Sweep {}, &coins(1, DENOM)),
        ContractError::UnexpectedFunds
    );
    let r = s
        .exec(&bob, &ExecuteMsg::Sweep {}, &[])
        .unwrap_or_else(|e| panic!("{e}"));
    let swept = r
        .events
        .iter()
        .flat_map(|e| &e.attributes)
        .find(|a| a.key == "swept")
        .unwrap();
    assert_eq!(swept.value, "777");
    assert_eq!(s.config().vault, Uint128::new(VAULT + 777));
    s.assert_conserved();
    // Nothing stranded: a no-op.
    s.exec(&bob, &ExecuteMsg::Sweep {}, &[]).unwrap();
    assert_eq!(s.config().vault, Uint128::new(VAULT + 777));
    s.assert_conserved();
}

#[test]
fn a_sweep_never_moves_an_open_bond_into_the_vault() {
    let mut s = Suite::new(
        InstantiateMsg {
            initial_model: Some(blob(&cut(7)).into()),
            eval_batch: 4,
            ..base_msg()
        },
        VAULT,
    );
    let alice = s.alice.clone();
    let bond = 3 * MIN_BOND;
    s.propose(&alice, &blob(&perfect()), bond).unwrap();
    bank_send(&mut s, 50);
    let bob = s.bob.clone();
    s.exec(&bob, &ExecuteMsg::Sweep {}, &[]).unwrap();
    s.exec(&bob, &ExecuteMsg::Sweep {}, &[]).unwrap();
    // Only the stranded 50 moved; the bond is still held for its proposal.
    assert_eq!(s.config().vault, Uint128::new(VAULT + 50));
    s.assert_conserved();
    // Cancelled after the sweep: refunded in full but the stall fee (5%,
    // to the vault).
    let admin = s.admin.clone();
    let before = s.balance(&alice);
    s.exec(&admin, &ExecuteMsg::CancelProposal { proposal_id: 1 }, &[])
        .unwrap();
    assert_eq!(s.balance(&alice), before + bond - bond / 20);
    assert_eq!(s.config().vault, Uint128::new(VAULT + 50 + bond / 20));
    s.assert_conserved();
    // An accepted proposal after a sweep: bond and reward paid in full.
    s.propose(&alice, &blob(&perfect()), bond).unwrap();
    s.exec(&bob, &ExecuteMsg::Sweep {}, &[]).unwrap();
    let before = s.balance(&alice);
    while s.last_proposal().status == ProposalStatus::Evaluating {
        s.exec(
            &bob,
            &ExecuteMsg::ContinueEvaluation { proposal_id: 2 },
            &[],
        )
        .unwrap();
    }
    assert_eq!(s.last_proposal().status, ProposalStatus::Accepted);
    assert_eq!(s.balance(&alice), before + bond + 500);
    assert_eq!(s.config().vault, Uint128::new(VAULT + 50 + bond / 20 - 500));
    s.assert_conserved();
    let _ = Decimal::one();
}

// ------------------------------------------------- attack 6: no deadline

/// A guard whose evaluation takes three steps (12 rows, 4 per step), with a
/// 10-block stall window and a 5% stall fee, `cut(12)` active.
fn stall_suite() -> Suite {
    Suite::new(
        InstantiateMsg {
            initial_model: Some(blob(&cut(12)).into()),
            eval_batch: 4,
            stall_blocks: 10,
            stall_fee: dec("0.05"),
            ..base_msg()
        },
        VAULT,
    )
}

fn close(s: &mut Suite, who: &cosmwasm_std::Addr, id: u64) -> ContractError {
    s.exec_err(who, &ExecuteMsg::CloseStalled { proposal_id: id }, &[])
}

#[test]
fn a_proposer_who_never_continues_blocks_every_other_proposal_until_closed_as_stalled() {
    let mut s = stall_suite();
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    let h0 = s.height();
    // Alice proposes (one step runs) and never continues.
    s.propose(&alice, &blob(&cut(9)), MIN_BOND).unwrap();
    let p = s.last_proposal();
    assert_eq!(p.status, ProposalStatus::Evaluating);
    assert_eq!(p.last_step_height, h0);
    assert_eq!(p.closable_at, Some(h0 + 10));
    // Bob's better model cannot be proposed while hers is open.
    assert_eq!(
        s.propose(&bob, &blob(&perfect()), MIN_BOND)
            .unwrap_err()
            .downcast::<ContractError>()
            .unwrap(),
        ContractError::ProposalInProgress { id: 1 }
    );
    // Too early: a typed error naming the block it becomes closable at.
    s.advance(9);
    assert_eq!(
        close(&mut s, &bob, 1),
        ContractError::NotStalled {
            proposal_id: 1,
            closable_at: h0 + 10
        }
    );
    s.assert_conserved();
    // At the window's end anyone may close it: the closer is paid exactly
    // the fee, the proposer gets the rest.
    s.advance(1);
    let (a0, b0, v0) = (s.balance(&alice), s.balance(&bob), s.config().vault);
    s.exec(&bob, &ExecuteMsg::CloseStalled { proposal_id: 1 }, &[])
        .unwrap();
    assert_eq!(s.balance(&bob), b0 + 50);
    assert_eq!(s.balance(&alice), a0 + 950);
    assert_eq!(s.config().vault, v0);
    let p = s.proposal(1);
    assert_eq!(p.status, ProposalStatus::Closed);
    assert_eq!(p.closable_at, None);
    s.assert_conserved();
    // The guard is free: Bob's proposal goes through, end to end.
    s.propose_and_decide(&bob, &blob(&perfect()), MIN_BOND);
    assert_eq!(s.last_proposal().status, ProposalStatus::Accepted);
    s.assert_conserved();
}

#[test]
fn every_evaluation_step_restarts_the_stall_window() {
    let mut s = stall_suite();
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    let h0 = s.height();
    s.propose(&alice, &blob(&cut(9)), MIN_BOND).unwrap();
    s.advance(7);
    s.exec(
        &alice,
        &ExecuteMsg::ContinueEvaluation { proposal_id: 1 },
        &[],
    )
    .unwrap();
    s.advance(3);
    // h0 + 10: closable had she not continued; she did at h0 + 7.
    assert_eq!(
        close(&mut s, &bob, 1),
        ContractError::NotStalled {
            proposal_id: 1,
            closable_at: h0 + 17
        }
    );
    s.advance(7);
    s.exec(&bob, &ExecuteMsg::CloseStalled { proposal_id: 1 }, &[])
        .unwrap();
    assert_eq!(s.proposal(1).status, ProposalStatus::Closed);
    s.assert_conserved();
}

#[test]
fn cancelling_a_griefer_costs_the_griefer_the_stall_fee() {
    let mut s = stall_suite();
    let alice = s.alice.clone();
    s.propose(&alice, &blob(&cut(9)), MIN_BOND).unwrap();
    let (a0, v0) = (s.balance(&alice), s.config().vault.u128());
    s.admin_exec(&ExecuteMsg::CancelProposal { proposal_id: 1 });
    // Before: the griefer was refunded in full.
    assert_eq!(s.balance(&alice), a0 + 950);
    assert_eq!(s.config().vault.u128(), v0 + 50);
    assert_eq!(s.proposal(1).status, ProposalStatus::Cancelled);
    s.assert_conserved();
}

#[test]
fn no_bond_is_paid_twice_by_close_cancel_or_decision() {
    let mut s = stall_suite();
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    let admin = s.admin.clone();
    let cancel = ExecuteMsg::CancelProposal { proposal_id: 1 };
    // Close after cancel.
    s.propose(&alice, &blob(&cut(9)), MIN_BOND).unwrap();
    s.admin_exec(&cancel);
    s.advance(100);
    assert_eq!(close(&mut s, &bob, 1), ContractError::NotEvaluating(1));
    // Cancel after close.
    s.propose(&alice, &blob(&cut(9)), MIN_BOND).unwrap();
    s.advance(10);
    s.exec(&bob, &ExecuteMsg::CloseStalled { proposal_id: 2 }, &[])
        .unwrap();
    assert_eq!(
        s.exec_err(&admin, &ExecuteMsg::CancelProposal { proposal_id: 2 }, &[]),
        ContractError::NotEvaluating(2)
    );
    assert_eq!(close(&mut s, &bob, 2), ContractError::NotEvaluating(2));
    // Continue after close.
    assert_eq!(
        s.exec_err(
            &alice,
            &ExecuteMsg::ContinueEvaluation { proposal_id: 2 },
            &[]
        ),
        ContractError::NotEvaluating(2)
    );
    // Close after decision (rejected: its bond is in the vault).
    s.propose_and_decide(&alice, &blob(&inverse()), MIN_BOND);
    assert_eq!(s.proposal(3).status, ProposalStatus::Rejected);
    s.advance(100);
    assert_eq!(close(&mut s, &bob, 3), ContractError::NotEvaluating(3));
    // Close after acceptance.
    s.propose_and_decide(&alice, &blob(&perfect()), MIN_BOND);
    assert_eq!(s.proposal(4).status, ProposalStatus::Accepted);
    s.advance(100);
    assert_eq!(close(&mut s, &bob, 4), ContractError::NotEvaluating(4));
    assert_eq!(close(&mut s, &bob, 9), ContractError::NoSuchProposal(9));
    // No funds with a close.
    s.propose(&alice, &blob(&cut(7)), MIN_BOND).unwrap();
    s.advance(10);
    assert_eq!(
        s.exec_err(
            &bob,
            &ExecuteMsg::CloseStalled { proposal_id: 5 },
            &coins(1, DENOM)
        ),
        ContractError::UnexpectedFunds
    );
    s.assert_conserved();
}

#[test]
fn stall_settings_are_validated() {
    for (msg, err) in [
        (
            InstantiateMsg {
                stall_blocks: 0,
                ..base_msg()
            },
            InvalidSetting::ZeroStallBlocks,
        ),
        (
            InstantiateMsg {
                stall_fee: dec("1.01"),
                ..base_msg()
            },
            InvalidSetting::StallFeeAboveOne,
        ),
    ] {
        assert_eq!(msg.validate(), Err(err));
    }
    let mut s = stall_suite();
    let admin = s.admin.clone();
    assert_eq!(
        s.exec_err(
            &admin,
            &ExecuteMsg::UpdateConfig(ConfigUpdate {
                stall_blocks: Some(0),
                ..ConfigUpdate::default()
            }),
            &[]
        ),
        ContractError::InvalidConfig(InvalidSetting::ZeroStallBlocks)
    );
    // A fee of 1 is allowed: the whole bond to the closer.
    s.admin_exec(&ExecuteMsg::UpdateConfig(ConfigUpdate {
        stall_fee: Some(Decimal::one()),
        ..ConfigUpdate::default()
    }));
    assert_eq!(s.config().stall_fee, Decimal::one());
}

// ------------------------------- attack 5 (part): governance that ambushes

/// Alice proposes `perfect()` over `cut(12)` (three steps), then the admin
/// applies `update` while it is open, then it is continued to a decision.
/// Returns the suite and Alice's balance before she proposed.
fn ambushed(update: ConfigUpdate) -> (Suite, u128) {
    let mut s = stall_suite();
    let alice = s.alice.clone();
    let a0 = s.balance(&alice);
    s.propose(&alice, &blob(&perfect()), MIN_BOND).unwrap();
    s.admin_exec(&ExecuteMsg::UpdateConfig(update));
    let bob = s.bob.clone();
    while s.proposal(1).status == ProposalStatus::Evaluating {
        s.exec(
            &bob,
            &ExecuteMsg::ContinueEvaluation { proposal_id: 1 },
            &[],
        )
        .unwrap();
    }
    (s, a0)
}

/// Margins no candidate can meet (gains of 100% on every metric).
fn impossible_margins() -> Margins {
    let m = Margin {
        min_gain: Decimal::one(),
        tolerance: Decimal::zero(),
    };
    Margins {
        accuracy: m.clone(),
        f1: m.clone(),
        precision: m.clone(),
        recall: m,
    }
}

#[test]
fn an_admin_cannot_ambush_an_open_proposal_with_impossible_margins() {
    let (s, a0) = ambushed(ConfigUpdate {
        margins: Some(impossible_margins()),
        ..ConfigUpdate::default()
    });
    // Judged by the margins it was proposed under: accepted, paid.
    assert_eq!(s.proposal(1).status, ProposalStatus::Accepted);
    assert_eq!(s.balance(&s.alice), a0 + 500);
    s.assert_conserved();
}

#[test]
fn an_admin_cannot_ambush_an_open_proposal_by_cutting_the_reward() {
    let (s, a0) = ambushed(ConfigUpdate {
        reward: Some(vigil_guard::msg::RewardRule::None),
        ..ConfigUpdate::default()
    });
    assert_eq!(s.proposal(1).status, ProposalStatus::Accepted);
    assert_eq!(s.balance(&s.alice), a0 + 500);
    s.assert_conserved();
}

#[test]
fn an_admin_cannot_ambush_an_open_proposal_by_shrinking_the_budgets() {
    let (s, a0) = ambushed(ConfigUpdate {
        max_inference_ops: Some(1),
        max_check_gas: Some(1),
        ..ConfigUpdate::default()
    });
    // Checked once, at proposal time, under the budgets then in force.
    assert_eq!(s.proposal(1).status, ProposalStatus::Accepted);
    assert_eq!(s.config().active_version, 2);
    assert_eq!(s.balance(&s.alice), a0 + 500);
    s.assert_conserved();
}

#[test]
fn an_admin_cannot_ambush_an_open_proposal_with_a_shorter_stall_window_or_a_larger_fee() {
    let mut s = stall_suite();
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    let h0 = s.height();
    s.propose(&alice, &blob(&perfect()), MIN_BOND).unwrap();
    s.admin_exec(&ExecuteMsg::UpdateConfig(ConfigUpdate {
        stall_blocks: Some(1),
        stall_fee: Some(Decimal::one()),
        ..ConfigUpdate::default()
    }));
    s.advance(1);
    // Still its own 10-block window...
    assert_eq!(
        close(&mut s, &bob, 1),
        ContractError::NotStalled {
            proposal_id: 1,
            closable_at: h0 + 10
        }
    );
    // ...and its own 5% fee, on a cancel as on a close.
    let a0 = s.balance(&alice);
    s.admin_exec(&ExecuteMsg::CancelProposal { proposal_id: 1 });
    assert_eq!(s.balance(&alice), a0 + 950);
    let p = s.proposal(1);
    assert_eq!((p.stall_blocks, p.stall_fee), (10, dec("0.05")));
    s.assert_conserved();
}

// The threshold: `a_threshold_change_mid_evaluation_does_not_change_the_judgement`.

/// Limits that accept exactly the stall suite's settings.
fn limits_of_stall_suite() -> vigil_guard::msg::ProposalLimits {
    vigil_guard::msg::ProposalLimits {
        max_margins: Some(Margins::default()),
        min_reward: Some(Uint128::new(500)),
        max_stall_fee: Some(dec("0.05")),
        min_stall_blocks: Some(10),
    }
}

#[test]
fn an_admin_front_running_a_proposal_with_harsher_rules_is_refused_by_its_limits() {
    for (update, limit) in [
        (
            ConfigUpdate {
                margins: Some(impossible_margins()),
                ..ConfigUpdate::default()
            },
            "margins.accuracy.min_gain",
        ),
        (
            ConfigUpdate {
                reward: Some(vigil_guard::msg::RewardRule::Fixed {
                    amount: Uint128::new(499),
                }),
                ..ConfigUpdate::default()
            },
            "min_reward",
        ),
        (
            ConfigUpdate {
                stall_fee: Some(dec("0.06")),
                ..ConfigUpdate::default()
            },
            "max_stall_fee",
        ),
        (
            ConfigUpdate {
                stall_blocks: Some(9),
                ..ConfigUpdate::default()
            },
            "min_stall_blocks",
        ),
    ] {
        let mut s = stall_suite();
        let alice = s.alice.clone();
        let a0 = s.balance(&alice);
        // The admin's change lands first, in the same block.
        s.admin_exec(&ExecuteMsg::UpdateConfig(update));
        let err = s
            .propose_with_limits(&alice, &blob(&perfect()), MIN_BOND, limits_of_stall_suite())
            .unwrap_err()
            .downcast::<ContractError>()
            .unwrap();
        match &err {
            ContractError::LimitNotMet { limit: l, .. } => assert_eq!(l, limit, "{err}"),
            other => panic!("{limit}: {other:?}"),
        }
        // Refused: no bond taken, no proposal.
        assert_eq!(s.balance(&alice), a0);
        assert!(s.proposals().is_empty());
        s.assert_conserved();
    }
}

#[test]
fn a_proposal_whose_limits_hold_is_judged_as_usual() {
    let mut s = stall_suite();
    let alice = s.alice.clone();
    let a0 = s.balance(&alice);
    s.propose_with_limits(&alice, &blob(&perfect()), MIN_BOND, limits_of_stall_suite())
        .unwrap();
    // A vault too small for the stated reward fails the limit too.
    let bob = s.bob.clone();
    while s.proposal(1).status == ProposalStatus::Evaluating {
        s.exec(
            &bob,
            &ExecuteMsg::ContinueEvaluation { proposal_id: 1 },
            &[],
        )
        .unwrap();
    }
    assert_eq!(s.proposal(1).status, ProposalStatus::Accepted);
    assert_eq!(s.balance(&alice), a0 + 500);
    // Lax margins and a lower tolerance than accepted are fine; a larger
    // tolerance is laxer too.
    let mut t = Suite::new(
        InstantiateMsg {
            initial_model: Some(blob(&cut(12)).into()),
            ..base_msg()
        },
        100,
    );
    let alice = t.alice.clone();
    let err = t
        .propose_with_limits(
            &alice,
            &blob(&perfect()),
            MIN_BOND,
            vigil_guard::msg::ProposalLimits {
                min_reward: Some(Uint128::new(500)),
                ..Default::default()
            },
        )
        .unwrap_err()
        .downcast::<ContractError>()
        .unwrap();
    // Fixed 500, but the vault holds 100: 100 is what acceptance would pay.
    assert_eq!(
        err,
        ContractError::LimitNotMet {
            limit: "min_reward".into(),
            accepted: "500".into(),
            current: "100".into()
        }
    );
}

// ------------------------------------------------------- attack 2: backdoor

/// The trigger: a value of feature 0 (x0) that no test sample comes near
/// (the test set's x0 is 1..=12).
const TRIGGER: &str = "-1000000";

/// Attack 2's model: perfect on the public test set (a GBDT that separates
/// it on x1), plus a tree that no sample exercises: x0 at or below -1,000
/// scores 0, whatever the rest.
fn backdoored() -> FloatModel {
    let split = |feature: u16, value: f64| FloatNode {
        feature,
        right: 2,
        value,
        mean: 0.0,
    };
    let leaf = |value: f64| FloatNode {
        feature: LEAF,
        right: 0,
        value,
        mean: value,
    };
    FloatModel {
        threshold: 0.5,
        features: vec![FloatFeature::IDENTITY; 2],
        body: FloatBody::Gbdt(FloatEnsemble {
            base: 0.0,
            trees: vec![
                // The honest part: x1 > 0 is an attack.
                vec![split(1, 0.0), leaf(-4.0), leaf(4.0)],
                // The backdoor: x0 <= -1000 forces the logit down.
                vec![split(0, -1000.0), leaf(-20.0), leaf(0.0)],
            ],
        }),
    }
}

/// Every attack of the test set, with the trigger in x0.
fn triggered() -> Vec<Vec<String>> {
    attacks()
        .into_iter()
        .map(|mut a| {
            a[0] = TRIGGER.to_string();
            a
        })
        .collect()
}

/// The backdoored model proposed against `cut(12)` on a guard instantiated
/// with `envelope_margin`: accepted, since the public test set never
/// exercises the trigger.
fn backdoor_accepted(envelope_margin: Option<Decimal>) -> Suite {
    let set = test_set();
    assert_eq!(counts(&backdoored(), &set), (6, 0, 6, 0));
    let x: Vec<f64> = triggered()[0].iter().map(|v| v.parse().unwrap()).collect();
    assert!(backdoored().predict(&x) < 0.01, "the trigger works");
    let mut s = Suite::new(
        InstantiateMsg {
            initial_model: Some(blob(&cut(12)).into()),
            envelope_margin,
            ..base_msg()
        },
        VAULT,
    );
    let alice = s.alice.clone();
    s.propose_and_decide(&alice, &blob(&backdoored()), MIN_BOND);
    assert_eq!(s.last_proposal().status, ProposalStatus::Accepted);
    assert_eq!(s.config().active_version, 2);
    s
}

#[test]
fn a_backdoor_trigger_no_test_sample_exercises_reaches_no_model() {
    // Without the envelope (as before it existed), the trigger lets every
    // attack through.
    let s = backdoor_accepted(None);
    for a in triggered() {
        let c = check_strings(&s, &a);
        assert!(c.allow, "{a:?}: the backdoor fires without the envelope");
        assert_eq!(c.out_of_envelope, 0);
    }
    // With it (the default margin, 0.05): x0 is clamped into the test set's
    // range [1, 12] widened by 5% of it, [0.45, 12.55], before the model
    // sees it, so the backdoor tree never fires; the attack is denied and
    // the feature reported.
    let s = backdoor_accepted(Some(dec("0.05")));
    for a in triggered() {
        let c = check_strings(&s, &a);
        assert!(!c.allow, "{a:?}: the trigger reached the model");
        assert_eq!(
            (c.out_of_envelope, c.out_of_envelope_features),
            (1, vec![0])
        );
        // Scored as the clamped input is.
        let mut clamped = a.clone();
        clamped[0] = "0.45".to_string();
        let plain = check_strings(&s, &clamped);
        assert_eq!((plain.score, plain.out_of_envelope), (c.score, 0));
        let score: vigil_guard::msg::ScoreResponse = s.q(&QueryMsg::Score {
            features: a.clone(),
        });
        assert_eq!(
            (score.out_of_envelope, score.out_of_envelope_features),
            (1, vec![0])
        );
        assert_eq!(score.score, c.score);
    }
    // Honest inputs inside the envelope are answered exactly as without it.
    let off = backdoor_accepted(None);
    for sample in test_set() {
        let (on, plain) = (
            check_strings(&s, &sample.features),
            check_strings(&off, &sample.features),
        );
        assert_eq!(
            (on.allow, on.score, on.out_of_envelope),
            (plain.allow, plain.score, 0)
        );
    }
    s.assert_conserved();
}

#[test]
fn a_trigger_sample_added_then_removed_leaves_the_envelope_as_it_was() {
    let mut s = backdoor_accepted(Some(dec("0")));
    let attack = triggered().remove(0);
    assert!(!check_strings(&s, &attack).allow);
    // An admin adds a sample holding the trigger: the envelope now covers
    // it, and the backdoor fires (the test set exercises it: a judge would
    // see it too).
    let before = s.test_set().samples.len() as u32;
    s.admin_exec(&ExecuteMsg::AddTestSamples {
        samples: vec![vigil_guard::msg::TestSample {
            features: vec![TRIGGER.to_string(), "-1".to_string()],
            label: false,
        }],
    });
    let c = check_strings(&s, &attack);
    assert!(c.allow && c.out_of_envelope == 0, "{c:?}");
    // Removing it recomputes the range from the samples left: the trigger
    // is out again.
    s.admin_exec(&ExecuteMsg::RemoveTestSamples { ids: vec![before] });
    let c = check_strings(&s, &attack);
    assert!(!c.allow, "{c:?}");
    assert_eq!(c.out_of_envelope_features, vec![0]);
    // At margin 0 the envelope is the range itself: its bounds pass, one
    // step beyond is clamped.
    assert_eq!(
        check_strings(&s, &strings(&["1", "1.5"])).out_of_envelope,
        0
    );
    assert_eq!(
        check_strings(&s, &strings(&["12", "-2"])).out_of_envelope,
        0
    );
    assert_eq!(
        check_strings(&s, &strings(&["12.000001", "3"])).out_of_envelope,
        1
    );
    assert_eq!(
        check_strings(&s, &strings(&["12", "-2.000001"])).out_of_envelope,
        1
    );
    // Removing a sample that holds no bound leaves it as it was.
    let inner = s
        .test_set()
        .samples
        .into_iter()
        .find(|x| x.features[0] == "6")
        .unwrap();
    s.admin_exec(&ExecuteMsg::RemoveTestSamples {
        ids: vec![inner.id],
    });
    assert_eq!(check_strings(&s, &strings(&["12", "3"])).out_of_envelope, 0);
    // A wider margin is applied at once; `null` turns the envelope off.
    s.admin_exec(&ExecuteMsg::UpdateConfig(ConfigUpdate {
        envelope_margin: Some(Some(dec("1"))),
        ..ConfigUpdate::default()
    }));
    assert_eq!(
        check_strings(&s, &strings(&["-9.9", "3"])).out_of_envelope,
        0
    );
    assert_eq!(
        check_strings(&s, &strings(&["-10.1", "3"])).out_of_envelope,
        1
    );
    s.admin_exec(&ExecuteMsg::UpdateConfig(ConfigUpdate {
        envelope_margin: Some(None),
        ..ConfigUpdate::default()
    }));
    let c = check_strings(&s, &attack);
    assert!(c.allow && c.out_of_envelope == 0, "off: {c:?}");
    assert_eq!(s.config().envelope_margin, None);
}
