//! Bonds and rewards: the bank balance of the guard always equals the vault
//! plus the bonds of open proposals, and every account moves exactly as the
//! rules say, in every path.
use cosmwasm_std::{coins, Coin, Uint128};
use cw_multi_test::Executor;
use vigil_guard::msg::{ExecuteMsg, InstantiateMsg, ProposalStatus, RewardRule};
use vigil_guard::ContractError;

use crate::common::*;

fn suite(reward: RewardRule, vault: u128, batch: u32) -> Suite {
    Suite::new(
        InstantiateMsg {
            reward,
            eval_batch: batch,
            initial_model: Some(blob(&cut(7)).into()),
            ..base_msg()
        },
        vault,
    )
}

fn fixed(n: u128) -> RewardRule {
    RewardRule::Fixed {
        amount: Uint128::new(n),
    }
}

/// Accept `perfect()` with `bond`; return (alice's gain, vault change).
fn accept(reward: RewardRule, vault: u128, bond: u128) -> (i128, i128) {
    let mut s = suite(reward, vault, 100);
    assert_eq!(s.balance(&s.guard.clone()), vault);
    assert_eq!(s.config().vault.u128(), vault);
    let alice = s.alice.clone();
    let admin_before = s.balance(&s.admin.clone());
    let steps = s.propose_and_decide(&alice, &blob(&perfect()), bond);
    assert_eq!(s.last_proposal().status, ProposalStatus::Accepted);
    s.assert_conserved();
    assert_eq!(s.balance(&s.admin.clone()), admin_before);
    let gain = s.balance(&alice) as i128 - START as i128;
    let vault_change = s.config().vault.u128() as i128 - vault as i128;
    assert_eq!(attr(&poim_event(&steps), "reward"), gain.to_string());
    (gain, vault_change)
}

#[test]
fn accept_with_fixed_reward() {
    assert_eq!(accept(fixed(500), 10_000, 2_000), (500, -500));
    // a bond above the minimum comes back whole
    assert_eq!(accept(fixed(500), 10_000, 7_777), (500, -500));
}

#[test]
fn accept_with_bond_share() {
    let share = |s: &str| RewardRule::BondShare { share: dec(s) };
    assert_eq!(accept(share("0.1"), 10_000, 3_000), (300, -300));
    // rounded down
    assert_eq!(accept(share("0.1"), 10_000, 3_009), (300, -300));
    assert_eq!(accept(share("2.5"), 10_000, 2_000), (5_000, -5_000));
}

#[test]
fn reward_capped_by_the_vault() {
    assert_eq!(accept(fixed(500), 200, 2_000), (200, -200));
    assert_eq!(accept(fixed(500), 0, 2_000), (0, 0));
    assert_eq!(accept(RewardRule::None, 10_000, 2_000), (0, 0));
    assert_eq!(
        accept(RewardRule::BondShare { share: dec("100") }, 5_000, 1_000),
        (5_000, -5_000)
    );
}

#[test]
fn reject_moves_the_bond_to_the_vault() {
    let mut s = suite(fixed(500), 10_000, 100);
    let alice = s.alice.clone();
    s.propose_and_decide(&alice, &blob(&inverse()), 2_500);
    assert_eq!(s.last_proposal().status, ProposalStatus::Rejected);
    assert_eq!(s.balance(&alice), START - 2_500);
    assert_eq!(s.config().vault.u128(), 12_500);
    s.assert_conserved();
    // the slashed bond funds the next reward
    let bob = s.bob.clone();
    s.propose_and_decide(&bob, &blob(&perfect()), 1_000);
    assert_eq!(s.balance(&bob), START + 500);
    assert_eq!(s.config().vault.u128(), 12_000);
    s.assert_conserved();
}

#[test]
fn open_proposal_holds_the_bond_and_cancel_refunds_it() {
    let mut s = suite(fixed(500), 10_000, 5);
    let (admin, alice) = (s.admin.clone(), s.alice.clone());
    s.propose(&alice, &blob(&perfect()), 3_000).unwrap();
    assert_eq!(s.balance(&alice), START - 3_000);
    assert_eq!(s.balance(&s.guard.clone()), 13_000);
    s.assert_conserved();

    // only the admin cancels, without funds, an existing open proposal
    let cancel = ExecuteMsg::CancelProposal { proposal_id: 1 };
    assert_eq!(
        s.exec_err(&alice, &cancel, &[]),
        ContractError::Unauthorized
    );
    assert_eq!(
        s.exec_err(&admin, &cancel, &coins(1, DENOM)),
        ContractError::UnexpectedFunds
    );
    assert_eq!(
        s.exec_err(&admin, &ExecuteMsg::CancelProposal { proposal_id: 2 }, &[]),
        ContractError::NoSuchProposal(2)
    );
    s.exec(&admin, &cancel, &[]).unwrap();
    let p = s.last_proposal();
    assert_eq!(p.status, ProposalStatus::Cancelled);
    // Refunded but the stall fee (5% of 3,000), which goes to the vault.
    assert_eq!(s.balance(&alice), START - 150);
    assert_eq!(s.config().vault.u128(), 10_150);
    s.assert_conserved();
    assert_eq!(
        s.exec_err(&admin, &cancel, &[]),
        ContractError::NotEvaluating(1)
    );
    assert_eq!(
        s.exec_err(
            &alice,
            &ExecuteMsg::ContinueEvaluation { proposal_id: 1 },
            &[]
        ),
        ContractError::NotEvaluating(1)
    );
    // the guard is free for the next proposal; the active model is unchanged
    assert_eq!(s.config().active_version, 1);
    s.propose_and_decide(&alice, &blob(&perfect()), 1_000);
    assert_eq!(s.proposal(2).status, ProposalStatus::Accepted);
    assert_eq!(s.balance(&alice), START + 500 - 150);
    s.assert_conserved();
}

#[test]
fn decided_proposals_cannot_be_cancelled() {
    let mut s = suite(fixed(500), 10_000, 100);
    let (admin, alice) = (s.admin.clone(), s.alice.clone());
    s.propose_and_decide(&alice, &blob(&inverse()), 1_000);
    assert_eq!(
        s.exec_err(&admin, &ExecuteMsg::CancelProposal { proposal_id: 1 }, &[]),
        ContractError::NotEvaluating(1)
    );
    assert_eq!(s.balance(&alice), START - 1_000);
    s.assert_conserved();
}

#[test]
fn refused_proposals_take_nothing() {
    let mut s = suite(fixed(500), 10_000, 100);
    let alice = s.alice.clone();
    let good = blob(&perfect());
    let mut flipped = good.clone();
    *flipped.last_mut().unwrap() ^= 0x01;
    let commit = |m: &[u8]| ExecuteMsg::CommitProposal {
        commitment: vigil_guard_api::commit::commitment(m, alice.as_str(), &SALT)
            .to_vec()
            .into(),
        limits: None,
    };
    let denom = DENOM.to_string();
    for (funds, model, want) in [
        // wrong denom
        (coins(2_000, "other"), good.clone(), "wrong funds" as &str),
        // two coins
        (
            vec![Coin::new(2_000u128, DENOM), Coin::new(5u128, "other")],
            good.clone(),
            "wrong funds",
        ),
        // no bond
        (vec![], good.clone(), "no bond"),
        // bond too small
        (coins(MIN_BOND - 1, DENOM), good.clone(), "too small"),
    ] {
        let err = s.exec_err(&alice, &commit(&model), &funds);
        match want {
            "wrong funds" => assert_eq!(
                err,
                ContractError::WrongFunds {
                    denom: denom.clone()
                }
            ),
            "no bond" => assert_eq!(
                err,
                ContractError::NoBond {
                    required: Uint128::new(MIN_BOND),
                    denom: denom.clone()
                }
            ),
            _ => assert_eq!(
                err,
                ContractError::BondTooSmall {
                    required: Uint128::new(MIN_BOND),
                    got: Uint128::new(MIN_BOND - 1)
                }
            ),
        }
        assert_eq!(s.balance(&alice), START, "{want}");
        assert_eq!(
            s.app
                .wrap()
                .query_balance(&alice, "other")
                .unwrap()
                .amount
                .u128(),
            START
        );
        assert!(s.proposals().is_empty(), "{want}: no proposal stored");
        assert_eq!(s.config().vault.u128(), 10_000);
        s.assert_conserved();
    }
    // An invalid model is refused at its reveal: the commitment stays, its
    // bond held, until it is revealed right or closed at its deadline.
    let id = s.commit(&alice, &flipped, 2_000, None).unwrap();
    s.advance(1);
    let err = s.reveal(&alice, id, &flipped).unwrap_err();
    assert!(
        matches!(
            err.downcast_ref::<ContractError>(),
            Some(ContractError::InvalidModel(_))
        ),
        "{err:?}"
    );
    assert_eq!(s.proposal(id).status, ProposalStatus::Committed);
    s.assert_conserved();
    s.advance(600);
    s.exec(&alice, &ExecuteMsg::CloseStalled { proposal_id: id }, &[])
        .unwrap();
    assert_eq!(s.balance(&alice), START);
    s.assert_conserved();
    // the minimum bond itself is enough, and the ids go on from the
    // closed commitment: nothing refused above left a trace
    s.propose_and_decide(&alice, &good, MIN_BOND);
    assert_eq!(s.last_proposal().id, id + 1);
    assert_eq!(s.balance(&alice), START + 500);
    s.assert_conserved();
}

#[test]
fn funds_on_messages_that_take_none() {
    let mut s = suite(fixed(500), 10_000, 4);
    let (admin, alice) = (s.admin.clone(), s.alice.clone());
    let with_funds = [
        ExecuteMsg::Pause {},
        ExecuteMsg::Unpause {},
        ExecuteMsg::AddTestSamples { samples: vec![] },
        ExecuteMsg::RemoveTestSamples { ids: vec![] },
        ExecuteMsg::Rollback { version: 1 },
        ExecuteMsg::UpdateConfig(Default::default()),
        ExecuteMsg::UpdateAdmin {
            admin: alice.to_string(),
        },
        ExecuteMsg::ContinueEvaluation { proposal_id: 1 },
    ];
    for msg in &with_funds {
        assert_eq!(
            s.exec_err(&admin, msg, &coins(10, DENOM)),
            ContractError::UnexpectedFunds,
            "{msg:?}"
        );
        s.assert_conserved();
    }
    s.propose(&alice, &blob(&perfect()), 2_000).unwrap();
    assert_eq!(
        s.exec_err(
            &alice,
            &ExecuteMsg::ContinueEvaluation { proposal_id: 1 },
            &coins(10, DENOM)
        ),
        ContractError::UnexpectedFunds
    );
    assert_eq!(
        s.exec_err(
            &admin,
            &ExecuteMsg::CancelProposal { proposal_id: 1 },
            &coins(10, DENOM)
        ),
        ContractError::UnexpectedFunds
    );
    // (the admin funded the vault at instantiation)
    assert_eq!(s.balance(&admin), START - 10_000);
    assert_eq!(s.balance(&alice), START - 2_000);
    s.assert_conserved();
}

#[test]
fn fund_adds_to_the_vault() {
    let mut s = suite(fixed(500), 0, 100);
    let bob = s.bob.clone();
    s.exec(&bob, &ExecuteMsg::Fund {}, &coins(700, DENOM))
        .unwrap();
    assert_eq!(s.config().vault.u128(), 700);
    assert_eq!(s.balance(&bob), START - 700);
    s.assert_conserved();
    let wrong = ContractError::WrongFunds {
        denom: DENOM.to_string(),
    };
    assert_eq!(s.exec_err(&bob, &ExecuteMsg::Fund {}, &[]), wrong);
    assert_eq!(
        s.exec_err(&bob, &ExecuteMsg::Fund {}, &coins(5, "other")),
        wrong
    );
    assert_eq!(
        s.exec_err(
            &bob,
            &ExecuteMsg::Fund {},
            &[Coin::new(5u128, DENOM), Coin::new(5u128, "other")]
        ),
        wrong
    );
    assert_eq!(s.config().vault.u128(), 700);
    s.assert_conserved();
    // funded rewards are paid
    let alice = s.alice.clone();
    s.propose_and_decide(&alice, &blob(&perfect()), 1_000);
    assert_eq!(s.balance(&alice), START + 500);
    assert_eq!(s.config().vault.u128(), 200);
    s.assert_conserved();
}

#[test]
fn instantiate_funds_must_be_the_bond_denom() {
    let (mut app, admin, _, _) = new_app();
    let code_id = app.store_code(guard_contract());
    let err = app
        .instantiate_contract(
            code_id,
            admin.clone(),
            &base_msg(),
            &coins(100, "other"),
            "g",
            None,
        )
        .unwrap_err();
    assert_eq!(
        err.downcast::<ContractError>().unwrap(),
        ContractError::WrongFunds {
            denom: DENOM.to_string()
        }
    );
    assert_eq!(
        app.wrap()
            .query_balance(&admin, "other")
            .unwrap()
            .amount
            .u128(),
        START
    );
}

#[test]
fn many_rounds_conserve_everything() {
    // A mixed history: accepts, rejects, a cancel, funding, chunked steps.
    let mut s = suite(RewardRule::BondShare { share: dec("0.5") }, 1_000, 5);
    let (admin, alice, bob) = (s.admin.clone(), s.alice.clone(), s.bob.clone());
    let total = |s: &Suite| {
        s.balance(&s.admin) + s.balance(&s.alice) + s.balance(&s.bob) + s.balance(&s.guard)
    };
    let all = total(&s);
    let rounds: [(&cosmwasm_std::Addr, Vec<u8>, u128); 5] = [
        (&alice, blob(&inverse()), 1_500),
        (&bob, blob(&cut(9)), 2_000),
        (&alice, blob(&perfect()), 4_000),
        // the same predictions as the active model, another blob: a tie
        (&bob, blob(&logistic(&[0.0, 2.5], 0.0)), 1_000),
        (&alice, blob(&cut(5)), 1_200),
    ];
    for (i, (who, model, bond)) in rounds.iter().enumerate() {
        if i == 1 {
            s.propose(who, model, *bond).unwrap();
            s.assert_conserved();
            s.exec(&admin, &ExecuteMsg::CancelProposal { proposal_id: 2 }, &[])
                .unwrap();
        } else {
            s.propose_and_decide(who, model, *bond);
        }
        s.assert_conserved();
        assert_eq!(total(&s), all);
        s.exec(&bob, &ExecuteMsg::Fund {}, &coins(10, DENOM))
            .unwrap();
        s.assert_conserved();
    }
    let statuses: Vec<_> = s.proposals().into_iter().map(|p| p.status).collect();
    assert_eq!(
        statuses,
        [
            ProposalStatus::Rejected,
            ProposalStatus::Cancelled,
            ProposalStatus::Accepted,
            ProposalStatus::Rejected,
            ProposalStatus::Rejected,
        ]
    );
    // vault: 1000 + 1500 (slash) + 100 (the cancel's 5% stall fee of 2000)
    // - 2000 (half of 4000) + 1000 (slash) + 1200 (slash) + 5 × 10 (funding)
    assert_eq!(
        s.config().vault.u128(),
        1_000 + 1_500 + 100 - 2_000 + 1_000 + 1_200 + 50
    );
    assert_eq!(s.balance(&alice), START - 1_500 + 2_000 - 1_200);
    assert_eq!(s.balance(&bob), START - 1_000 - 50 - 100);
}
