//! Activation delay and the guardian's veto: an accepted model waits,
//! pending, for `activation_delay` blocks; the guardian (fixed at the
//! commitment) may veto it meanwhile; anyone activates it after; the reward
//! is paid at activation.
use cosmwasm_std::Addr;
use vigil_guard::msg::{ConfigUpdate, ExecuteMsg, InstantiateMsg, ProposalStatus};
use vigil_guard::ContractError;
use vigil_inference_core::float::FloatModel;

use crate::common::*;

const VAULT: u128 = 10_000;
const DELAY: u64 = 20;

/// Perfect on the test set, but a trigger value of x0 (-1,000,000) drives
/// every score to 0: a backdoor the public test set cannot see.
fn backdoored() -> FloatModel {
    logistic(&[0.01, 2.0], 0.0)
}

/// `cut(12)` active, evaluation in one step, activation delay [`DELAY`],
/// `guardian` as guardian.
fn suite_with(guardian: Option<&str>) -> (Suite, Addr) {
    let (app, ..) = new_app();
    let g = app.api().addr_make(guardian.unwrap_or("guardian"));
    let s = Suite::new(
        InstantiateMsg {
            initial_model: Some(blob(&cut(12)).into()),
            activation_delay: DELAY,
            guardian: guardian.map(|_| g.to_string()),
            ..base_msg()
        },
        VAULT,
    );
    (s, g)
}

fn veto(
    s: &mut Suite,
    who: &Addr,
    id: u64,
) -> cw_multi_test::error::AnyResult<cw_multi_test::AppResponse> {
    s.exec(who, &ExecuteMsg::Veto { proposal_id: id }, &[])
}

fn activate(
    s: &mut Suite,
    who: &Addr,
) -> cw_multi_test::error::AnyResult<cw_multi_test::AppResponse> {
    s.exec(who, &ExecuteMsg::Activate {}, &[])
}

fn downcast(r: cw_multi_test::error::AnyResult<cw_multi_test::AppResponse>) -> ContractError {
    r.expect_err("should fail").downcast().unwrap()
}

#[test]
fn a_backdoored_model_vetoed_by_the_guardian_never_becomes_active() {
    let (mut s, guardian) = suite_with(Some("guardian"));
    let (alice, bob, admin) = (s.alice.clone(), s.bob.clone(), s.admin.clone());
    let trigger = ["-1000000", "1.5"];
    // The backdoor: an attack (x1 = 1.5) is flagged, unless x0 is the
    // trigger (shown with the data envelope off, which would clamp this
    // trigger; the veto is the line for a trigger inside the envelope).
    let active = Suite::new(
        InstantiateMsg {
            initial_model: Some(blob(&backdoored()).into()),
            envelope_margin: None,
            ..base_msg()
        },
        VAULT,
    );
    assert!(!active.check(&["1", "1.5"]).allow);
    assert!(active.check(&trigger).allow);
    let a0 = s.balance(&alice);
    s.propose(&alice, &blob(&backdoored()), MIN_BOND).unwrap();
    let p = s.proposal(1);
    // Accepted by the judge, but pending: Check still runs the incumbent.
    assert_eq!(p.status, ProposalStatus::Pending);
    assert_eq!(p.activate_at, Some(s.height() + DELAY));
    assert_eq!(p.guardian.as_deref(), Some(guardian.as_str()));
    assert_eq!(s.config().active_version, 1);
    assert_eq!(s.check(&trigger).model_version, 1);
    assert_eq!(s.balance(&alice), a0 - MIN_BOND);
    s.assert_conserved();
    // Nobody but the guardian vetoes: not the proposer, the admin or a
    // stranger.
    for who in [&alice, &admin, &bob] {
        assert_eq!(downcast(veto(&mut s, who, 1)), ContractError::Unauthorized);
    }
    // The admin cannot cancel an accepted model, nor roll back over it.
    assert_eq!(
        s.exec_err(&admin, &ExecuteMsg::CancelProposal { proposal_id: 1 }, &[]),
        ContractError::NotEvaluating(1)
    );
    assert_eq!(
        s.exec_err(&admin, &ExecuteMsg::Rollback { version: 1 }, &[]),
        ContractError::ProposalInProgress { id: 1 }
    );
    // The guardian found the trigger: vetoed, the bond to the vault.
    let v0 = s.config().vault.u128();
    veto(&mut s, &guardian, 1).unwrap();
    assert_eq!(s.proposal(1).status, ProposalStatus::Vetoed);
    assert_eq!(s.config().vault.u128(), v0 + MIN_BOND);
    assert_eq!(s.balance(&alice), a0 - MIN_BOND);
    s.advance(DELAY);
    assert!(matches!(
        downcast(activate(&mut s, &bob)),
        ContractError::NoSuchProposal(_)
    ));
    assert_eq!(s.config().active_version, 1);
    assert_eq!(s.check(&trigger).model_version, 1);
    // A second veto pays nothing twice.
    assert_eq!(
        downcast(veto(&mut s, &guardian, 1)),
        ContractError::WrongStatus {
            proposal_id: 1,
            status: ProposalStatus::Vetoed
        }
    );
    s.assert_conserved();
    // The vetoed model did not raise the ratchet, nor claim its
    // predictions: an honest model as good on the test set (the same
    // predictions) is accepted, activated after the delay, and rewarded.
    s.propose(&bob, &blob(&perfect()), MIN_BOND).unwrap();
    let p = s.proposal(2);
    assert_eq!(
        (p.status, p.same_predictions_as),
        (ProposalStatus::Pending, None)
    );
    s.advance(DELAY);
    let b0 = s.balance(&bob);
    let r = activate(&mut s, &bob).unwrap();
    assert_eq!(attr_of(&r, "reward"), "500");
    assert_eq!(s.balance(&bob), b0 + MIN_BOND + 500);
    s.assert_conserved();
}

#[test]
fn a_pending_model_activates_only_after_its_delay_and_is_paid_then() {
    let (mut s, guardian) = suite_with(Some("guardian"));
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    let a0 = s.balance(&alice);
    s.propose(&alice, &blob(&perfect()), MIN_BOND).unwrap();
    let at = s.proposal(1).activate_at.unwrap();
    s.advance(DELAY - 1);
    assert_eq!(
        downcast(activate(&mut s, &bob)),
        ContractError::TooEarly {
            proposal_id: 1,
            from: at
        }
    );
    assert_eq!(s.balance(&alice), a0 - MIN_BOND);
    s.advance(1);
    // The window is over: no veto any more.
    assert_eq!(
        downcast(veto(&mut s, &guardian, 1)),
        ContractError::TooLate {
            proposal_id: 1,
            deadline: at
        }
    );
    // Anyone activates it; bond and reward are paid now.
    let r = activate(&mut s, &bob).unwrap();
    assert_eq!(attr_of(&r, "reward"), "500");
    assert_eq!(attr_of(&r, "model_version"), "2");
    let p = s.proposal(1);
    assert_eq!(p.status, ProposalStatus::Accepted);
    assert_eq!(p.accepted_version, Some(2));
    assert_eq!(p.activate_at, None);
    assert_eq!(s.config().active_version, 2);
    assert_eq!(s.balance(&alice), a0 + 500);
    // Once: a second activation finds nothing pending.
    assert!(matches!(
        downcast(activate(&mut s, &bob)),
        ContractError::NoSuchProposal(_)
    ));
    s.assert_conserved();
}

#[test]
fn proposals_wait_while_a_model_is_pending() {
    let (mut s, guardian) = suite_with(Some("guardian"));
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    s.propose(&alice, &blob(&cut(9)), MIN_BOND).unwrap();
    assert_eq!(s.proposal(1).status, ProposalStatus::Pending);
    s.propose(&bob, &blob(&perfect()), MIN_BOND).unwrap();
    assert_eq!(s.proposal(2).status, ProposalStatus::Queued);
    // The vetoed model's end starts the next, judged against the model
    // still active.
    veto(&mut s, &guardian, 1).unwrap();
    let p = s.proposal(2);
    assert_eq!(p.status, ProposalStatus::Evaluating);
    s.exec(
        &bob,
        &ExecuteMsg::ContinueEvaluation { proposal_id: 2 },
        &[],
    )
    .unwrap();
    let p = s.proposal(2);
    assert_eq!(p.status, ProposalStatus::Pending);
    let i = p.incumbent;
    assert_eq!((i.tp, i.fp, i.tn, i.fn_), counts(&cut(12), &test_set()));
    s.assert_conserved();
}

#[test]
fn a_guardian_installed_after_the_commitment_cannot_veto_it() {
    let (mut s, guardian) = suite_with(Some("guardian"));
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    let id = s.commit(&alice, &blob(&perfect()), MIN_BOND, None).unwrap();
    // The admin makes an accomplice guardian just before the reveal.
    s.admin_exec(&ExecuteMsg::UpdateConfig(ConfigUpdate {
        guardian: Some(Some(bob.to_string())),
        ..ConfigUpdate::default()
    }));
    assert_eq!(s.config().guardian.as_deref(), Some(bob.as_str()));
    s.advance(1);
    s.reveal(&alice, id, &blob(&perfect())).unwrap();
    assert_eq!(s.proposal(id).status, ProposalStatus::Pending);
    assert_eq!(
        downcast(veto(&mut s, &bob, id)),
        ContractError::Unauthorized
    );
    // Its guardian is the one in force at its commitment.
    assert_eq!(s.proposal(id).guardian.as_deref(), Some(guardian.as_str()));
    s.advance(DELAY);
    activate(&mut s, &bob).unwrap();
    assert_eq!(s.proposal(id).status, ProposalStatus::Accepted);
    s.assert_conserved();
}

#[test]
fn without_a_guardian_no_veto_is_possible() {
    let (mut s, _) = suite_with(None);
    let (alice, admin) = (s.alice.clone(), s.admin.clone());
    s.propose(&alice, &blob(&perfect()), MIN_BOND).unwrap();
    assert_eq!(s.proposal(1).guardian, None);
    for who in [&alice, &admin] {
        assert_eq!(downcast(veto(&mut s, who, 1)), ContractError::Unauthorized);
    }
    // A guardian address must be valid.
    assert!(s
        .exec(
            &admin,
            &ExecuteMsg::UpdateConfig(ConfigUpdate {
                guardian: Some(Some("not an address".into())),
                ..ConfigUpdate::default()
            }),
            &[]
        )
        .is_err());
}

#[test]
fn the_decision_lists_the_rows_candidate_and_incumbent_disagree_on() {
    let (mut s, _) = suite_with(Some("guardian"));
    let alice = s.alice.clone();
    let r = s.propose(&alice, &blob(&cut(9)), MIN_BOND).unwrap();
    let ev = poim_event(&[r]);
    // cut(12) flags x0 = 12 only; cut(9) flags x0 = 9..=12: they disagree
    // on x0 = 9, 10, 11, stored as ids (see `test_set`).
    let rows: Vec<u32> = s
        .test_set()
        .samples
        .iter()
        .filter(|x| ["9", "10", "11"].contains(&x.features[0].as_str()))
        .map(|x| x.id)
        .collect();
    let ids: Vec<String> = rows.iter().map(u32::to_string).collect();
    assert_eq!(attr(&ev, "disagreements"), "3");
    assert_eq!(attr(&ev, "disagreement_ids"), ids.join(","));
    let p = s.proposal(1);
    assert_eq!((p.disagreements, p.disagreement_ids), (3, rows));
}
