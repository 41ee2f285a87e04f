//! Proof-of-Improvement end to end: decisions in every metric direction,
//! margins, ties, and chunked evaluation equal to one-shot.
use cosmwasm_std::{coins, Decimal, Uint128};
use vigil_guard::msg::{
    ConfigUpdate, ExecuteMsg, InstantiateMsg, Margin, Margins, Metrics, ProposalResponse,
    ProposalStatus,
};
use vigil_guard::ContractError;
use vigil_inference_core::float::FloatModel;

use crate::common::*;

const VAULT: u128 = 10_000;
const BOND: u128 = 2_000;
const REWARD: u128 = 500;

fn margin(min_gain: &str, tolerance: &str) -> Margin {
    Margin {
        min_gain: dec(min_gain),
        tolerance: dec(tolerance),
    }
}

struct Case {
    name: &'static str,
    incumbent: Option<FloatModel>,
    candidate: FloatModel,
    margins: Margins,
    accept: bool,
    /// accuracy, f1, precision, recall
    moves: [&'static str; 4],
}

const I: &str = "improved";
const W: &str = "worsened";
const U: &str = "unchanged";

fn metrics_of(c: (u32, u32, u32, u32)) -> Metrics {
    let (tp, fp, tn, fn_) = c;
    let r = |n: u32, d: u32| {
        if d == 0 {
            Decimal::zero()
        } else {
            Decimal::from_ratio(n, d)
        }
    };
    Metrics {
        tp,
        fp,
        tn,
        fn_,
        accuracy: r(tp + tn, tp + fp + tn + fn_),
        f1: r(2 * tp, 2 * tp + fp + fn_),
        precision: r(tp, tp + fp),
        recall: r(tp, tp + fn_),
    }
}

fn cases() -> Vec<Case> {
    let m = Margins::default;
    vec![
        Case {
            name: "no incumbent, useful candidate",
            incumbent: None,
            candidate: cut(7),
            margins: m(),
            accept: true,
            moves: [I, I, I, I],
        },
        Case {
            name: "no incumbent, candidate predicting nothing (tie)",
            incumbent: None,
            candidate: cut(13),
            margins: m(),
            accept: false,
            moves: [U, U, U, U],
        },
        Case {
            name: "better everywhere",
            incumbent: Some(cut(6)),
            candidate: cut(5),
            margins: m(),
            accept: true,
            moves: [I, I, I, I],
        },
        Case {
            name: "better, recall unchanged",
            incumbent: Some(cut(6)),
            candidate: cut(7),
            margins: m(),
            accept: true,
            moves: [I, I, I, U],
        },
        Case {
            name: "same predictions, another blob (tie)",
            incumbent: Some(cut(7)),
            candidate: cut_variant(7, 0.01),
            margins: m(),
            accept: false,
            moves: [U, U, U, U],
        },
        Case {
            name: "perfect model",
            incumbent: Some(cut(7)),
            candidate: perfect(),
            margins: m(),
            accept: true,
            moves: [I, I, I, I],
        },
        Case {
            name: "wrong everywhere",
            incumbent: Some(cut(7)),
            candidate: inverse(),
            margins: m(),
            accept: false,
            moves: [W, W, W, W],
        },
        // precision vetoes
        Case {
            name: "recall and f1 up, precision down",
            incumbent: Some(cut(7)),
            candidate: cut(5),
            margins: m(),
            accept: false,
            moves: [U, I, W, I],
        },
        Case {
            name: "precision loss (1/12) within tolerance 0.09",
            incumbent: Some(cut(7)),
            candidate: cut(5),
            margins: Margins {
                precision: margin("1", "0.09"),
                ..m()
            },
            accept: true,
            moves: [U, I, U, I],
        },
        Case {
            name: "precision loss exactly at tolerance is not a worsening",
            incumbent: Some(cut(7)),
            candidate: cut(5),
            margins: Margins {
                precision: margin("1", "0.083333333333333333"),
                ..m()
            },
            accept: true,
            moves: [U, I, U, I],
        },
        Case {
            name: "precision loss just beyond tolerance",
            incumbent: Some(cut(7)),
            candidate: cut(5),
            margins: Margins {
                precision: margin("1", "0.083333333333333332"),
                ..m()
            },
            accept: false,
            moves: [U, I, W, I],
        },
        Case {
            name: "gains below min_gain are not improvements",
            incumbent: Some(cut(7)),
            candidate: cut(5),
            margins: Margins {
                f1: margin("0.03", "0"),
                precision: margin("1", "0.09"),
                recall: margin("0.2", "0"),
                ..m()
            },
            accept: false,
            moves: [U, U, U, U],
        },
        // f1 vetoes
        Case {
            name: "precision up, f1 and recall down",
            incumbent: Some(cut(7)),
            candidate: cut(9),
            margins: m(),
            accept: false,
            moves: [U, W, I, W],
        },
        Case {
            name: "f1 alone vetoes",
            incumbent: Some(cut(7)),
            candidate: cut(9),
            margins: Margins {
                recall: margin("1", "0.17"),
                ..m()
            },
            accept: false,
            moves: [U, W, I, U],
        },
        Case {
            name: "f1 loss within tolerance",
            incumbent: Some(cut(7)),
            candidate: cut(9),
            margins: Margins {
                f1: margin("1", "0.034"),
                recall: margin("1", "0.17"),
                ..m()
            },
            accept: true,
            moves: [U, U, I, U],
        },
        // recall vetoes
        Case {
            name: "accuracy, f1, precision up, recall down",
            incumbent: Some(cut(6)),
            candidate: cut(9),
            margins: m(),
            accept: false,
            moves: [I, I, I, W],
        },
        Case {
            name: "recall loss within tolerance",
            incumbent: Some(cut(6)),
            candidate: cut(9),
            margins: Margins {
                recall: margin("1", "0.17"),
                ..m()
            },
            accept: true,
            moves: [I, I, I, U],
        },
        // accuracy vetoes
        Case {
            name: "f1 and recall up, accuracy and precision down",
            incumbent: Some(cut(12)),
            candidate: cut(1),
            margins: m(),
            accept: false,
            moves: [W, I, W, I],
        },
        Case {
            name: "accuracy alone vetoes",
            incumbent: Some(cut(12)),
            candidate: cut(1),
            margins: Margins {
                precision: margin("1", "0.5"),
                ..m()
            },
            accept: false,
            moves: [W, I, U, I],
        },
        Case {
            name: "accuracy loss within tolerance",
            incumbent: Some(cut(12)),
            candidate: cut(1),
            margins: Margins {
                accuracy: margin("1", "0.09"),
                precision: margin("1", "0.5"),
                ..m()
            },
            accept: true,
            moves: [U, I, U, I],
        },
        // each metric alone is enough to improve
        Case {
            name: "min_gain above every gain",
            incumbent: Some(cut(6)),
            candidate: cut(7),
            margins: Margins {
                accuracy: margin("0.09", "0"),
                f1: margin("0.07", "0"),
                precision: margin("0.12", "0"),
                ..m()
            },
            accept: false,
            moves: [U, U, U, U],
        },
        Case {
            name: "accuracy alone improves, gain exactly min_gain",
            incumbent: Some(cut(6)),
            candidate: cut(7),
            margins: Margins {
                accuracy: margin("0.083333333333333333", "0"),
                f1: margin("0.2", "0"),
                precision: margin("0.2", "0"),
                ..m()
            },
            accept: true,
            moves: [I, U, U, U],
        },
        Case {
            name: "accuracy gain just below min_gain",
            incumbent: Some(cut(6)),
            candidate: cut(7),
            margins: Margins {
                accuracy: margin("0.083333333333333334", "0"),
                f1: margin("0.2", "0"),
                precision: margin("0.2", "0"),
                ..m()
            },
            accept: false,
            moves: [U, U, U, U],
        },
        Case {
            name: "f1 alone improves",
            incumbent: Some(cut(6)),
            candidate: cut(7),
            margins: Margins {
                accuracy: margin("0.2", "0"),
                precision: margin("0.2", "0"),
                ..m()
            },
            accept: true,
            moves: [U, I, U, U],
        },
        Case {
            name: "precision alone improves",
            incumbent: Some(cut(6)),
            candidate: cut(7),
            margins: Margins {
                accuracy: margin("0.2", "0"),
                f1: margin("0.2", "0"),
                ..m()
            },
            accept: true,
            moves: [U, U, I, U],
        },
        Case {
            name: "recall alone improves",
            incumbent: Some(cut(10)),
            candidate: cut(9),
            margins: Margins {
                accuracy: margin("0.2", "0"),
                f1: margin("0.2", "0"),
                ..m()
            },
            accept: true,
            moves: [U, U, U, I],
        },
    ]
}

#[test]
fn every_metric_direction_and_margin() {
    let set = test_set();
    for case in cases() {
        let name = case.name;
        let msg = InstantiateMsg {
            margins: case.margins.clone(),
            initial_model: case.incumbent.as_ref().map(|m| blob(m).into()),
            ..base_msg()
        };
        let mut s = Suite::new(msg, VAULT);
        let alice = s.alice.clone();
        let steps = s.propose_and_decide(&alice, &blob(&case.candidate), BOND);
        assert_eq!(steps.len(), 1, "{name}: one-shot evaluation");
        let ev = poim_event(&steps);
        assert_eq!(attr(&ev, "accepted"), case.accept.to_string(), "{name}");
        for (metric, want) in ["accuracy", "f1", "precision", "recall"]
            .iter()
            .zip(case.moves)
        {
            assert_eq!(
                attr(&ev, &format!("{metric}_movement")),
                want,
                "{name}: {metric}"
            );
        }

        // The contract's counts are the f64 reference's on every row.
        let p = s.last_proposal();
        let want_cand = metrics_of(counts(&case.candidate, &set));
        let want_inc = match &case.incumbent {
            Some(m) => metrics_of(counts(m, &set)),
            // no incumbent: nothing predicted positive
            None => metrics_of((0, 0, 6, 6)),
        };
        assert_eq!(p.candidate, want_cand, "{name}");
        assert_eq!(p.incumbent, want_inc, "{name}");
        assert_eq!(p.evaluated, 12);
        assert_eq!(p.total, 12);
        assert_eq!(
            attr(&ev, "candidate_accuracy"),
            want_cand.accuracy.to_string()
        );
        assert_eq!(attr(&ev, "incumbent_recall"), want_inc.recall.to_string());

        // Decision, active model, money.
        let before_version = u32::from(case.incumbent.is_some());
        if case.accept {
            assert_eq!(p.status, ProposalStatus::Accepted, "{name}");
            assert_eq!(p.accepted_version, Some(before_version + 1));
            let model = s.model(None);
            assert_eq!(model.version, before_version + 1);
            assert!(model.active);
            assert_eq!(model.hash, p.hash);
            assert_eq!(model.proposer, alice.to_string());
            assert_eq!(model.metrics, Some(want_cand));
            assert_eq!(model.test_set_version, Some(p.test_set_version));
            assert_eq!(s.balance(&alice), START + REWARD);
            assert_eq!(s.config().vault.u128(), VAULT - REWARD);
            assert_eq!(attr(&ev, "reward"), REWARD.to_string());
        } else {
            assert_eq!(p.status, ProposalStatus::Rejected, "{name}");
            assert_eq!(p.accepted_version, None);
            assert_eq!(s.config().active_version, before_version);
            assert_eq!(s.balance(&alice), START - BOND);
            assert_eq!(s.config().vault.u128(), VAULT + BOND);
            assert_eq!(attr(&ev, "slashed"), BOND.to_string());
        }
        s.assert_conserved();
    }
}

/// Run one proposal with a given batch size; return the final proposal, the
/// decision event, and the number of transactions it took.
fn run_chunked(
    incumbent: &FloatModel,
    candidate: &FloatModel,
    batch: u32,
) -> (ProposalResponse, cosmwasm_std::Event, usize) {
    let mut s = Suite::new(
        InstantiateMsg {
            eval_batch: batch,
            initial_model: Some(blob(incumbent).into()),
            ..base_msg()
        },
        VAULT,
    );
    let alice = s.alice.clone();
    let bob = s.bob.clone();
    let mut steps = vec![s.propose(&alice, &blob(candidate), BOND).unwrap()];
    let mut expected_evaluated = batch.min(12);
    loop {
        let p = s.last_proposal();
        assert_eq!(p.evaluated, expected_evaluated);
        let c = p.candidate;
        assert_eq!(c.tp + c.fp + c.tn + c.fn_, p.evaluated);
        let i = p.incumbent;
        assert_eq!(i.tp + i.fp + i.tn + i.fn_, p.evaluated);
        s.assert_conserved();
        if p.status != ProposalStatus::Evaluating {
            break;
        }
        // Evaluation steps take no funds; anyone may run them.
        assert_eq!(
            s.exec_err(
                &bob,
                &ExecuteMsg::ContinueEvaluation { proposal_id: p.id },
                &coins(1, DENOM)
            ),
            ContractError::UnexpectedFunds
        );
        steps.push(
            s.exec(
                &bob,
                &ExecuteMsg::ContinueEvaluation { proposal_id: p.id },
                &[],
            )
            .unwrap(),
        );
        expected_evaluated = (expected_evaluated + batch).min(12);
    }
    let p = s.last_proposal();
    assert_eq!(
        s.exec_err(
            &bob,
            &ExecuteMsg::ContinueEvaluation { proposal_id: p.id },
            &[]
        ),
        ContractError::NotEvaluating(p.id)
    );
    (p, poim_event(&steps), steps.len())
}

#[test]
fn chunked_evaluation_equals_one_shot() {
    for (incumbent, candidate, accept) in [
        (cut(6), cut(5), true),
        (cut(6), cut(9), false),
        (cut(7), cut_variant(7, 0.01), false),
        (cut(7), perfect(), true),
    ] {
        let (reference, ref_event, tx) = run_chunked(&incumbent, &candidate, 100);
        assert_eq!(tx, 1);
        assert_eq!(
            reference.status,
            if accept {
                ProposalStatus::Accepted
            } else {
                ProposalStatus::Rejected
            }
        );
        for batch in [1, 3, 5, 11, 12, 13] {
            let (p, ev, tx) = run_chunked(&incumbent, &candidate, batch);
            assert_eq!(tx, 12usize.div_ceil(batch as usize), "batch {batch}");
            assert_eq!(p, reference, "batch {batch}");
            assert_eq!(ev, ref_event, "batch {batch}");
        }
    }
}

#[test]
fn batch_size_changed_mid_evaluation() {
    let mut s = Suite::with_model(&cut(6), VAULT);
    let alice = s.alice.clone();
    s.admin_exec(&ExecuteMsg::UpdateConfig(ConfigUpdate {
        eval_batch: Some(2),
        ..Default::default()
    }));
    s.propose(&alice, &blob(&cut(5)), BOND).unwrap();
    assert_eq!(s.last_proposal().evaluated, 2);
    s.admin_exec(&ExecuteMsg::UpdateConfig(ConfigUpdate {
        eval_batch: Some(7),
        ..Default::default()
    }));
    s.exec(
        &alice,
        &ExecuteMsg::ContinueEvaluation { proposal_id: 1 },
        &[],
    )
    .unwrap();
    assert_eq!(s.last_proposal().evaluated, 9);
    s.exec(
        &alice,
        &ExecuteMsg::ContinueEvaluation { proposal_id: 1 },
        &[],
    )
    .unwrap();
    let p = s.last_proposal();
    assert_eq!(p.status, ProposalStatus::Accepted);
    assert_eq!(p.candidate, metrics_of(counts(&cut(5), &test_set())));
    s.assert_conserved();
}

#[test]
fn one_proposal_at_a_time() {
    let mut s = Suite::new(
        InstantiateMsg {
            eval_batch: 4,
            initial_model: Some(blob(&cut(6)).into()),
            ..base_msg()
        },
        VAULT,
    );
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    s.propose(&alice, &blob(&cut(5)), BOND).unwrap();
    // Bob's reveal while Alice's is evaluated: queued, its bond held.
    s.propose(&bob, &blob(&perfect()), BOND).unwrap();
    assert_eq!(s.proposal(2).status, ProposalStatus::Queued);
    assert_eq!(s.balance(&bob), START - BOND);
    assert_eq!(
        s.exec_err(
            &bob,
            &ExecuteMsg::ContinueEvaluation { proposal_id: 2 },
            &[]
        ),
        ContractError::NotEvaluating(2)
    );
    assert_eq!(
        s.exec_err(
            &bob,
            &ExecuteMsg::ContinueEvaluation { proposal_id: 7 },
            &[]
        ),
        ContractError::NoSuchProposal(7)
    );
    s.assert_conserved();
    s.exec(
        &bob,
        &ExecuteMsg::ContinueEvaluation { proposal_id: 1 },
        &[],
    )
    .unwrap();
    s.exec(
        &bob,
        &ExecuteMsg::ContinueEvaluation { proposal_id: 1 },
        &[],
    )
    .unwrap();
    assert_eq!(s.proposal(1).status, ProposalStatus::Accepted);
    // the next proposal starts when the guard is free, judged against the
    // model just accepted
    assert_eq!(s.proposal(2).status, ProposalStatus::Evaluating);
    while s.proposal(2).status == ProposalStatus::Evaluating {
        s.exec(
            &bob,
            &ExecuteMsg::ContinueEvaluation { proposal_id: 2 },
            &[],
        )
        .unwrap();
    }
    let p = s.proposal(2);
    assert_eq!(p.status, ProposalStatus::Accepted);
    assert_eq!(p.incumbent, metrics_of(counts(&cut(5), &test_set())));
    assert_eq!(s.config().active_version, 3);
    s.assert_conserved();
}

#[test]
fn proposal_needs_a_test_set() {
    let mut s = Suite::new(
        InstantiateMsg {
            initial_test_set: vec![],
            ..base_msg()
        },
        0,
    );
    let alice = s.alice.clone();
    let err = s.propose(&alice, &blob(&cut(7)), BOND).unwrap_err();
    assert_eq!(
        err.downcast::<ContractError>().unwrap(),
        ContractError::TestSetEmpty
    );
    assert_eq!(s.balance(&alice), START);
    assert_eq!(s.config().vault, Uint128::zero());
    s.assert_conserved();
}
