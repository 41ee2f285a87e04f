//! The honest proposer, end to end, as deployed: a governor bound to its
//! guard. A better model goes through commit, the curator's hidden slice,
//! reveal, evaluation on the public set plus the slice, the activation
//! delay and `Activate`; the guard's `Check` changes in the activation's
//! transaction and not one message before, and the proposer is paid bond
//! and reward then.
use cosmwasm_std::{Addr, Empty, HexBinary};
use cw_multi_test::{Contract, ContractWrapper, Executor};
use vigil_guard::msg::{CheckResponse, ExecuteMsg, InstantiateMsg, ProposalStatus, TestSample};
use vigil_guard_api::commit::chunk_hash;
use vigil_guard_api::guard_msg::{GuardConfigResponse, GuardInstantiateMsg, GuardQueryMsg};
use vigil_inference_core::float::FloatModel;

use crate::common::*;

const VAULT: u128 = 10_000;
const REWARD: u128 = 500;
const DELAY: u64 = 5;
const CHUNK_SALT: [u8; 32] = [7; 32];

fn guard_code() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        vigil_guard::guard::execute,
        vigil_guard::guard::instantiate,
        vigil_guard::guard::query,
    ))
}

/// Flags x1 > 1.25: half the public positives, no false positive.
fn incumbent() -> FloatModel {
    logistic(&[0.0, 2.0], -2.5)
}

/// Hidden rows: normal ones and attacks, interleaved for the class rule.
fn hidden() -> Vec<TestSample> {
    (0..3)
        .flat_map(|i| {
            [
                TestSample {
                    features: strings(&["3", ["-1", "-2.5", "-0.5"][i]]),
                    label: false,
                },
                TestSample {
                    features: strings(&["8", ["1", "0.25", "2"][i]]),
                    label: true,
                },
            ]
        })
        .collect()
}

struct Deployed {
    s: Suite,
    guard: Addr,
    curator: Addr,
    guardian: Addr,
}

/// Governor (the suite's contract), guard naming it, `BindGuard`.
fn deploy() -> Deployed {
    let (app, ..) = new_app();
    let curator = app.api().addr_make("curator");
    let guardian = app.api().addr_make("guardian");
    let msg = InstantiateMsg {
        initial_model: Some(blob(&incumbent()).into()),
        curator: Some(curator.to_string()),
        guardian: Some(guardian.to_string()),
        activation_delay: DELAY,
        stall_blocks: 50,
        ..base_msg()
    };
    let settings = msg.settings();
    let mut s = Suite::new(msg, VAULT);
    let code = s.app.store_code(guard_code());
    let admin = s.admin.clone();
    let guard = s
        .app
        .instantiate_contract(
            code,
            admin.clone(),
            &GuardInstantiateMsg {
                admin: None,
                governor: s.guard.to_string(),
                settings,
                change_delay: None,
            },
            &[],
            "vigil-guard",
            Some(admin.to_string()),
        )
        .unwrap();
    s.admin_exec(&ExecuteMsg::BindGuard {
        guard: guard.to_string(),
    });
    Deployed {
        s,
        guard,
        curator,
        guardian,
    }
}

fn guard_check(d: &Deployed, features: &[&str]) -> CheckResponse {
    d.s.app
        .wrap()
        .query_wasm_smart(
            &d.guard,
            &GuardQueryMsg::Check {
                features: strings(features),
            },
        )
        .unwrap()
}

fn guard_config(d: &Deployed) -> GuardConfigResponse {
    d.s.app
        .wrap()
        .query_wasm_smart(&d.guard, &GuardQueryMsg::Config {})
        .unwrap()
}

#[test]
fn an_honest_better_model_goes_through_commit_hidden_slice_reveal_and_activation_to_the_guard() {
    let mut d = deploy();
    let alice = d.s.alice.clone();
    let curator = d.curator.clone();
    // The pair is bound: the guard runs the incumbent, installed by the
    // BindGuard transaction.
    let g = guard_config(&d);
    assert_eq!(
        (g.governor.as_str(), g.install_sequence),
        (d.s.guard.as_str(), 1)
    );
    assert_eq!(g.active_version, 1);
    assert_eq!(d.s.config().guard.as_deref(), Some(d.guard.as_str()));
    // An attack with x1 = 1 (below the incumbent's cut): allowed today.
    let attack = ["8", "1"];
    assert!(guard_check(&d, &attack).allow);

    // 1. The curator commits a hidden batch, in two chunks.
    let chunks = [hidden()[..2].to_vec(), hidden()[2..].to_vec()];
    d.s.exec(
        &curator,
        &ExecuteMsg::CommitBatch {
            chunks: chunks
                .iter()
                .map(|c| HexBinary::from(chunk_hash(c, &CHUNK_SALT).to_vec()))
                .collect(),
        },
        &[],
    )
    .unwrap();
    // 2. Alice commits to a better model (judged after the batch joins).
    let better = blob(&perfect());
    let a0 = d.s.balance(&alice);
    let id = d.s.commit(&alice, &better, MIN_BOND, None).unwrap();
    d.s.advance(1);
    // 3. She reveals: queued behind the batch.
    d.s.reveal(&alice, id, &better).unwrap();
    assert_eq!(d.s.proposal(id).status, ProposalStatus::Queued);
    // 4. The curator reveals; the batch joins the test set and the
    //    proposal is judged on the public set plus the slice, in the last
    //    reveal's transaction.
    for (index, samples) in chunks.iter().enumerate() {
        d.s.exec(
            &curator,
            &ExecuteMsg::RevealBatch {
                index: index as u32,
                samples: samples.clone(),
                salt: CHUNK_SALT.to_vec().into(),
            },
            &[],
        )
        .unwrap();
    }
    assert_eq!(d.s.proposal(id).status, ProposalStatus::Evaluating);
    let bob = d.s.bob.clone();
    while d.s.proposal(id).status == ProposalStatus::Evaluating {
        d.s.exec(
            &bob,
            &ExecuteMsg::ContinueEvaluation { proposal_id: id },
            &[],
        )
        .unwrap();
    }
    let p = d.s.proposal(id);
    assert_eq!(p.status, ProposalStatus::Pending, "{p:?}");
    assert_eq!(p.total, 12 + 6);
    // Accepted, pending: neither the governor's active model nor the
    // guard's moved; the bond is held.
    // The slice widened the test set's range, so the guard's envelope
    // followed (an install of version 1 with the new envelope).
    assert_eq!(d.s.config().active_version, 1);
    let g = guard_config(&d);
    assert_eq!((g.active_version, g.install_sequence), (1, 2));
    assert!(guard_check(&d, &attack).allow);
    assert_eq!(d.s.balance(&alice), a0 - MIN_BOND);
    // 5. Too early to activate.
    let err = d.s.exec(&alice, &ExecuteMsg::Activate {}, &[]);
    assert!(err.is_err());
    assert_eq!(guard_config(&d).install_sequence, 2);
    // 6. After the delay anyone activates: the guard installs version 2 in
    //    that transaction and denies the attack; Alice is paid.
    d.s.advance(DELAY);
    let stranger = d.s.bob.clone();
    let r = d.s.exec(&stranger, &ExecuteMsg::Activate {}, &[]).unwrap();
    assert_eq!(attr_of(&r, "guard_install"), "3");
    let g = guard_config(&d);
    assert_eq!((g.active_version, g.install_sequence), (2, 3));
    assert_eq!(d.s.config().active_version, 2);
    assert!(!guard_check(&d, &attack).allow);
    assert_eq!(d.s.balance(&alice), a0 + REWARD);
    // The guard's answers are the governor's own (library) answers.
    for x in [["8", "1"], ["3", "-1"], ["-1000000", "3"], ["5", "0.1"]] {
        assert_eq!(guard_check(&d, &x), d.s.check(&x), "{x:?}");
    }
    d.s.assert_conserved();
    // The guardian had no veto to use; a veto now is refused.
    let guardian = d.guardian.clone();
    assert!(d
        .s
        .exec(&guardian, &ExecuteMsg::Veto { proposal_id: id }, &[])
        .is_err());
}

#[test]
fn the_guard_hears_of_test_set_changes_only_when_its_envelope_moves() {
    let mut d = deploy();
    assert_eq!(guard_config(&d).install_sequence, 1);
    let add = |features: [&str; 2], label: bool| ExecuteMsg::AddTestSamples {
        samples: vec![TestSample {
            features: strings(&features),
            label,
        }],
    };
    // Inside the range (x0 in 1..=12, x1 in -3.0625..=3): no install.
    let r = d.s.admin_exec(&add(["6", "-1"], false));
    assert!(r
        .events
        .iter()
        .all(|e| e.attributes.iter().all(|a| a.key != "guard_install")));
    assert_eq!(guard_config(&d).install_sequence, 1);
    // x0 = 40 is beyond the envelope, clamped and reported by the guard.
    let probe = ["40", "2"];
    assert_eq!(guard_check(&d, &probe).out_of_envelope, 1);
    // A sample at x0 = 40 widens the range: the guard's envelope follows
    // in the same transaction, and the model (version 1) is not resent.
    let r = d.s.admin_exec(&add(["40", "2"], true));
    assert_eq!(attr_of(&r, "guard_install"), "2");
    let g = guard_config(&d);
    assert_eq!((g.install_sequence, g.active_version), (2, 1));
    assert_eq!(guard_check(&d, &probe).out_of_envelope, 0);
    assert_eq!(guard_check(&d, &probe), d.s.check(&probe));
}
