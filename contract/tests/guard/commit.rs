//! Commit, then reveal: the reveal window, who may reveal, the queue, and
//! the rules fixed at the commitment.
use cosmwasm_std::{coins, HexBinary};
use vigil_guard::msg::{
    ConfigUpdate, ExecuteMsg, InstantiateMsg, InvalidMsg, Margin, Margins, ProposalStatus,
};
use vigil_guard::ContractError;

use crate::common::*;

const VAULT: u128 = 10_000;

/// `cut(12)` active, 12 rows in three steps, reveal delay 5, stall window
/// 10 (so a commitment at h is revealed in [h + 5, h + 15)).
fn suite() -> Suite {
    Suite::new(
        InstantiateMsg {
            initial_model: Some(blob(&cut(12)).into()),
            eval_batch: 4,
            stall_blocks: 10,
            reveal_delay: 5,
            ..base_msg()
        },
        VAULT,
    )
}

fn err(r: cw_multi_test::error::AnyResult<cw_multi_test::AppResponse>) -> ContractError {
    r.expect_err("should fail")
        .downcast::<ContractError>()
        .unwrap()
}

fn finish(s: &mut Suite, id: u64) {
    let bob = s.bob.clone();
    while s.proposal(id).status == ProposalStatus::Evaluating {
        s.exec(
            &bob,
            &ExecuteMsg::ContinueEvaluation { proposal_id: id },
            &[],
        )
        .unwrap();
    }
}

#[test]
fn a_reveal_is_accepted_only_inside_its_window() {
    let mut s = suite();
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    let good = blob(&perfect());
    let h = s.height();
    let id = s.commit(&alice, &good, MIN_BOND, None).unwrap();
    let p = s.proposal(id);
    assert_eq!(p.status, ProposalStatus::Committed);
    assert_eq!(
        (p.committed_at, p.reveal_from, p.closable_at),
        (h, Some(h + 5), Some(h + 15))
    );
    assert_eq!(p.hash, "");
    s.advance(4);
    assert_eq!(
        err(s.reveal(&alice, id, &good)),
        ContractError::TooEarly {
            proposal_id: id,
            from: h + 5
        }
    );
    // Nobody may close it before its deadline.
    assert_eq!(
        s.exec_err(&bob, &ExecuteMsg::CloseStalled { proposal_id: id }, &[]),
        ContractError::NotStalled {
            proposal_id: id,
            closable_at: h + 15
        }
    );
    s.advance(11);
    assert_eq!(
        err(s.reveal(&alice, id, &good)),
        ContractError::TooLate {
            proposal_id: id,
            deadline: h + 15
        }
    );
    // After it, anyone closes it: the closer gets the stall fee.
    let (a0, b0) = (s.balance(&alice), s.balance(&bob));
    s.exec(&bob, &ExecuteMsg::CloseStalled { proposal_id: id }, &[])
        .unwrap();
    assert_eq!(s.balance(&bob), b0 + 50);
    assert_eq!(s.balance(&alice), a0 + 950);
    assert_eq!(s.proposal(id).status, ProposalStatus::Closed);
    s.assert_conserved();
}

#[test]
fn a_reveal_must_match_the_commitment() {
    let mut s = suite();
    let alice = s.alice.clone();
    let good = blob(&perfect());
    let id = s.commit(&alice, &good, MIN_BOND, None).unwrap();
    s.advance(5);
    // Another model, or the right model with another salt.
    assert_eq!(
        err(s.reveal(&alice, id, &blob(&cut(5)))),
        ContractError::CommitmentMismatch
    );
    assert_eq!(
        s.exec_err(
            &alice,
            &ExecuteMsg::RevealProposal {
                proposal_id: id,
                model: good.clone().into(),
                salt: vec![1; 32].into(),
            },
            &[]
        ),
        ContractError::CommitmentMismatch
    );
    // Lengths are checked before anything else.
    assert_eq!(
        s.exec_err(
            &alice,
            &ExecuteMsg::RevealProposal {
                proposal_id: id,
                model: good.clone().into(),
                salt: vec![1; 31].into(),
            },
            &[]
        ),
        ContractError::InvalidMsg(InvalidMsg::SaltLength(31))
    );
    assert_eq!(
        s.exec_err(
            &alice,
            &ExecuteMsg::CommitProposal {
                commitment: HexBinary::from(vec![0; 33]),
                limits: None,
            },
            &coins(MIN_BOND, DENOM)
        ),
        ContractError::InvalidMsg(InvalidMsg::CommitmentLength(33))
    );
    // Funds with a reveal are refused; a second reveal finds it revealed.
    assert_eq!(
        s.exec_err(
            &alice,
            &ExecuteMsg::RevealProposal {
                proposal_id: id,
                model: good.clone().into(),
                salt: SALT.to_vec().into(),
            },
            &coins(1, DENOM)
        ),
        ContractError::UnexpectedFunds
    );
    s.reveal(&alice, id, &good).unwrap();
    assert_eq!(
        err(s.reveal(&alice, id, &good)),
        ContractError::WrongStatus {
            proposal_id: id,
            status: ProposalStatus::Evaluating
        }
    );
    assert_eq!(
        err(s.reveal(&alice, 99, &good)),
        ContractError::NoSuchProposal(99)
    );
    s.assert_conserved();
}

#[test]
fn reveals_while_the_guard_is_busy_wait_in_commitment_order() {
    let mut s = suite();
    let (alice, bob, admin) = (s.alice.clone(), s.bob.clone(), s.admin.clone());
    let first = s.commit(&alice, &blob(&cut(9)), MIN_BOND, None).unwrap();
    s.advance(5);
    s.reveal(&alice, first, &blob(&cut(9))).unwrap();
    // Two more commitments; the later one reveals first.
    let early = s.commit(&bob, &blob(&cut(5)), MIN_BOND, None).unwrap();
    let late = s.commit(&admin, &blob(&perfect()), MIN_BOND, None).unwrap();
    s.advance(5);
    s.reveal(&admin, late, &blob(&perfect())).unwrap();
    s.reveal(&bob, early, &blob(&cut(5))).unwrap();
    assert_eq!(s.proposal(early).status, ProposalStatus::Queued);
    assert_eq!(s.proposal(late).status, ProposalStatus::Queued);
    s.assert_conserved();
    // A queued proposal cannot be stepped, closed, or revealed again; the
    // admin may cancel it (its stall fee to the vault).
    assert_eq!(
        s.exec_err(&bob, &ExecuteMsg::CloseStalled { proposal_id: early }, &[]),
        ContractError::NotEvaluating(early)
    );
    finish(&mut s, first);
    // The earlier commitment goes first, whatever the reveal order.
    assert_eq!(s.proposal(early).status, ProposalStatus::Evaluating);
    assert_eq!(s.proposal(late).status, ProposalStatus::Queued);
    finish(&mut s, early);
    assert_eq!(s.proposal(late).status, ProposalStatus::Evaluating);
    finish(&mut s, late);
    assert_eq!(s.proposal(late).status, ProposalStatus::Accepted);
    s.assert_conserved();
}

#[test]
fn cancelling_a_queued_proposal_skips_it_and_keeps_the_order() {
    let mut s = suite();
    let (alice, bob, admin) = (s.alice.clone(), s.bob.clone(), s.admin.clone());
    let first = s.commit(&alice, &blob(&cut(9)), MIN_BOND, None).unwrap();
    s.advance(5);
    s.reveal(&alice, first, &blob(&cut(9))).unwrap();
    let a = s.commit(&bob, &blob(&cut(5)), MIN_BOND, None).unwrap();
    let b = s.commit(&alice, &blob(&perfect()), MIN_BOND, None).unwrap();
    s.advance(5);
    s.reveal(&bob, a, &blob(&cut(5))).unwrap();
    s.reveal(&alice, b, &blob(&perfect())).unwrap();
    let b0 = s.balance(&bob);
    s.exec(&admin, &ExecuteMsg::CancelProposal { proposal_id: a }, &[])
        .unwrap();
    assert_eq!(s.balance(&bob), b0 + 950);
    assert_eq!(s.proposal(a).status, ProposalStatus::Cancelled);
    finish(&mut s, first);
    assert_eq!(s.proposal(b).status, ProposalStatus::Evaluating);
    s.assert_conserved();
}

#[test]
fn the_rules_are_those_in_force_at_the_commitment() {
    let mut s = suite();
    let alice = s.alice.clone();
    let good = blob(&perfect());
    let a0 = s.balance(&alice);
    let id = s.commit(&alice, &good, MIN_BOND, None).unwrap();
    // Between commitment and reveal the admin makes every rule harsher.
    let m = Margin {
        min_gain: dec("1"),
        tolerance: dec("0"),
    };
    s.admin_exec(&ExecuteMsg::UpdateConfig(ConfigUpdate {
        margins: Some(Margins {
            accuracy: m.clone(),
            f1: m.clone(),
            precision: m.clone(),
            recall: m,
        }),
        reward: Some(vigil_guard::msg::RewardRule::None),
        max_inference_ops: Some(1),
        max_check_gas: Some(1),
        reveal_delay: Some(1_000),
        stall_fee: Some(dec("1")),
        ..ConfigUpdate::default()
    }));
    s.advance(5);
    s.reveal(&alice, id, &good).unwrap();
    finish(&mut s, id);
    let p = s.proposal(id);
    assert_eq!(p.status, ProposalStatus::Accepted);
    assert_eq!(p.stall_fee, dec("0.05"));
    assert_eq!(s.balance(&alice), a0 + 500);
    s.assert_conserved();
}
