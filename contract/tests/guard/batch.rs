//! The hidden slice (attack 2): the curator commits a batch of test samples
//! (a hash per chunk) before proposals are committed and reveals it after;
//! proposals committed after the batch are judged once it joined the test
//! set. A curator who misses the deadline lets the proposers waiting for it
//! withdraw in full.
use cosmwasm_std::{Addr, HexBinary};
use vigil_guard::msg::{
    BatchResponse, ExecuteMsg, InstantiateMsg, InvalidMsg, ProposalStatus, QueryMsg, TestSample,
};
use vigil_guard::ContractError;
use vigil_guard_api::commit::chunk_hash;
use vigil_inference_core::float::FloatModel;

use crate::common::*;

const VAULT: u128 = 10_000;
const CHUNK_SALT: [u8; 32] = [9; 32];

/// Flags x1 > 1.25: half the public positives, no false positive.
fn incumbent() -> FloatModel {
    logistic(&[0.0, 2.0], -2.5)
}

/// Perfect on the public set, but x0 = -1,000,000 hides any attack.
fn backdoored() -> FloatModel {
    logistic(&[0.01, 2.0], 0.0)
}

/// The curator's hidden samples: attacks carrying the trigger, and normal
/// rows, interleaved for the class rule.
fn hidden() -> Vec<TestSample> {
    (0..4)
        .flat_map(|_| {
            [
                TestSample {
                    features: strings(&["0", "-2"]),
                    label: false,
                },
                TestSample {
                    features: strings(&["-1000000", "3"]),
                    label: true,
                },
            ]
        })
        .collect()
}

fn suite() -> (Suite, Addr) {
    let (app, ..) = new_app();
    let curator = app.api().addr_make("curator");
    let s = Suite::new(
        InstantiateMsg {
            initial_model: Some(blob(&incumbent()).into()),
            curator: Some(curator.to_string()),
            stall_blocks: 20,
            ..base_msg()
        },
        VAULT,
    );
    (s, curator)
}

fn commit_batch(s: &mut Suite, who: &Addr, chunks: &[Vec<TestSample>]) -> ContractError {
    s.exec(
        who,
        &ExecuteMsg::CommitBatch {
            chunks: chunks
                .iter()
                .map(|c| HexBinary::from(chunk_hash(c, &CHUNK_SALT).to_vec()))
                .collect(),
        },
        &[],
    )
    .err()
    .map_or(ContractError::NoBatch, |e| e.downcast().unwrap())
}

fn reveal_chunk(
    s: &mut Suite,
    who: &Addr,
    index: u32,
    samples: Vec<TestSample>,
) -> cw_multi_test::error::AnyResult<cw_multi_test::AppResponse> {
    s.exec(
        who,
        &ExecuteMsg::RevealBatch {
            index,
            samples,
            salt: CHUNK_SALT.to_vec().into(),
        },
        &[],
    )
}

fn batch(s: &Suite) -> BatchResponse {
    s.q::<Option<BatchResponse>>(&QueryMsg::Batch {})
        .expect("a batch")
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
fn without_a_hidden_slice_the_backdoor_is_accepted() {
    let (mut s, _) = suite();
    let alice = s.alice.clone();
    s.propose_and_decide(&alice, &blob(&backdoored()), MIN_BOND);
    assert_eq!(s.proposal(1).status, ProposalStatus::Accepted);
}

#[test]
fn a_backdoor_the_public_test_set_cannot_see_is_refused_on_the_hidden_slice() {
    let (mut s, curator) = suite();
    let alice = s.alice.clone();
    let a0 = s.balance(&alice);
    // The curator commits the batch first.
    commit_batch(
        &mut s,
        &curator,
        &[hidden()[..4].to_vec(), hidden()[4..].to_vec()],
    );
    assert_eq!(batch(&s).state, "committed");
    // The attacker, who cannot see it, proposes the backdoored model: its
    // evaluation waits for the batch.
    s.propose(&alice, &blob(&backdoored()), MIN_BOND).unwrap();
    assert_eq!(s.proposal(1).status, ProposalStatus::Queued);
    // The curator reveals; the batch joins the test set and the proposal
    // starts on it.
    s.advance(1);
    reveal_chunk(&mut s, &curator, 0, hidden()[..4].to_vec()).unwrap();
    assert_eq!(s.proposal(1).status, ProposalStatus::Queued);
    let r = reveal_chunk(&mut s, &curator, 1, hidden()[4..].to_vec()).unwrap();
    assert_eq!(attr_of(&r, "batch"), "merged");
    let c = s.config();
    assert_eq!((c.positives, c.negatives), (10, 10));
    assert_eq!(s.proposal(1).status, ProposalStatus::Evaluating);
    finish(&mut s, 1);
    // It misses every hidden attack the incumbent catches: rejected,
    // slashed.
    let p = s.proposal(1);
    assert_eq!((p.status, p.total), (ProposalStatus::Rejected, 20));
    assert_eq!(s.balance(&alice), a0 - MIN_BOND);
    assert_eq!(s.config().active_version, 1);
    s.assert_conserved();
    // An honest better model goes through commit, reveal, the slice (now
    // public) and is accepted.
    s.propose_and_decide(&alice, &blob(&perfect()), MIN_BOND);
    assert_eq!(s.proposal(2).status, ProposalStatus::Accepted);
    s.assert_conserved();
}

#[test]
fn a_batch_waits_for_the_proposals_committed_before_it() {
    let (mut s, curator) = suite();
    let alice = s.alice.clone();
    let id = s.commit(&alice, &blob(&perfect()), MIN_BOND, None).unwrap();
    commit_batch(&mut s, &curator, &[hidden()]);
    s.advance(1);
    let r = reveal_chunk(&mut s, &curator, 0, hidden()).unwrap();
    // Revealed, but Alice committed before it: it does not change her test
    // set.
    assert_eq!(attr_of(&r, "batch"), "revealed");
    s.reveal(&alice, id, &blob(&perfect())).unwrap();
    finish(&mut s, id);
    let p = s.proposal(id);
    assert_eq!((p.status, p.total), (ProposalStatus::Accepted, 12));
    // Decided: anyone makes the batch join (and pays for it).
    assert_eq!(batch(&s).state, "revealed");
    let bob = s.bob.clone();
    let r = s.exec(&bob, &ExecuteMsg::ApplyGovernance {}, &[]).unwrap();
    assert_eq!(attr_of(&r, "batch"), "merged");
    assert_eq!(batch(&s).state, "merged");
    assert_eq!(s.config().positives, 10);
    s.assert_conserved();
}

#[test]
fn a_curator_who_misses_the_deadline_lets_every_waiting_proposer_withdraw_in_full() {
    let (mut s, curator) = suite();
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    let before = s.commit(&bob, &blob(&cut(9)), MIN_BOND, None).unwrap();
    commit_batch(&mut s, &curator, &[hidden()]);
    let a0 = s.balance(&alice);
    s.propose(&alice, &blob(&perfect()), 2 * MIN_BOND).unwrap();
    let waiting = s.commit(&alice, &blob(&cut(5)), MIN_BOND, None).unwrap();
    assert_eq!(s.proposal(2).status, ProposalStatus::Queued);
    // Not while the batch may still come.
    let withdraw = |id| ExecuteMsg::Withdraw { proposal_id: id };
    assert_eq!(
        s.exec_err(&alice, &withdraw(2), &[]),
        ContractError::WrongStatus {
            proposal_id: 2,
            status: ProposalStatus::Queued
        }
    );
    let deadline = batch(&s).deadline;
    s.advance(deadline - s.height());
    assert_eq!(batch(&s).state, "void");
    assert_eq!(
        reveal_chunk(&mut s, &curator, 0, hidden())
            .unwrap_err()
            .downcast::<ContractError>()
            .unwrap(),
        ContractError::TooLate {
            proposal_id: 0,
            deadline
        }
    );
    // Only the proposer, and only a proposal waiting for that batch.
    assert_eq!(
        s.exec_err(&bob, &withdraw(2), &[]),
        ContractError::Unauthorized
    );
    assert_eq!(
        s.exec_err(&bob, &withdraw(before), &[]),
        ContractError::WrongStatus {
            proposal_id: before,
            status: ProposalStatus::Committed
        }
    );
    s.exec(&alice, &withdraw(2), &[]).unwrap();
    s.exec(&alice, &withdraw(waiting), &[]).unwrap();
    assert_eq!(s.balance(&alice), a0);
    assert_eq!(s.proposal(2).status, ProposalStatus::Withdrawn);
    // Once.
    assert_eq!(
        s.exec_err(&alice, &withdraw(2), &[]),
        ContractError::WrongStatus {
            proposal_id: 2,
            status: ProposalStatus::Withdrawn
        }
    );
    s.assert_conserved();
    // The void batch holds nobody: a new commitment is judged at once.
    s.propose_and_decide(&bob, &blob(&cut_variant(9, 0.02)), MIN_BOND);
    assert_ne!(s.last_proposal().status, ProposalStatus::Queued);
    s.assert_conserved();
}

#[test]
fn only_the_curator_commits_and_reveals_batches_that_match() {
    let (mut s, curator) = suite();
    let (alice, admin) = (s.alice.clone(), s.admin.clone());
    for who in [&alice, &admin] {
        assert_eq!(
            commit_batch(&mut s, who, &[hidden()]),
            ContractError::Unauthorized
        );
    }
    assert_eq!(
        s.exec_err(&curator, &ExecuteMsg::CommitBatch { chunks: vec![] }, &[]),
        ContractError::InvalidMsg(InvalidMsg::BatchChunks(0))
    );
    assert_eq!(
        s.exec_err(
            &curator,
            &ExecuteMsg::CommitBatch {
                chunks: vec![HexBinary::from(vec![1; 31])]
            },
            &[]
        ),
        ContractError::InvalidMsg(InvalidMsg::CommitmentLength(31))
    );
    commit_batch(&mut s, &curator, &[hidden()]);
    assert_eq!(
        commit_batch(&mut s, &curator, &[hidden()]),
        ContractError::BatchOpen
    );
    let from = batch(&s).reveal_from;
    assert_eq!(
        reveal_chunk(&mut s, &curator, 0, hidden())
            .unwrap_err()
            .downcast::<ContractError>()
            .unwrap(),
        ContractError::TooEarly {
            proposal_id: 0,
            from
        }
    );
    s.advance(1);
    // Other samples, another chunk, or not the curator.
    let mut other = hidden();
    other[1].label = false;
    for (who, index, samples) in [(&curator, 0, other), (&curator, 1, hidden())] {
        assert_eq!(
            reveal_chunk(&mut s, who, index, samples)
                .unwrap_err()
                .downcast::<ContractError>()
                .unwrap(),
            ContractError::CommitmentMismatch
        );
    }
    assert!(reveal_chunk(&mut s, &alice, 0, hidden()).is_err());
    reveal_chunk(&mut s, &curator, 0, hidden()).unwrap();
    assert_eq!(batch(&s).state, "merged");
    // A chunk is revealed once.
    assert!(reveal_chunk(&mut s, &curator, 0, hidden()).is_err());
}
