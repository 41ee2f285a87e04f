//! Governance: admin-only messages, the test set, rollback, pause, config,
//! migration.
use cosmwasm_std::{Decimal, Uint128};
use cw_multi_test::Executor;
use vigil_guard::msg::{
    ConfigUpdate, ExecuteMsg, InstantiateMsg, Margins, MigrateMsg, PausedCheck, ProposalStatus,
    QueryMsg, RewardRule, StoredSample, TestSample, TestSetResponse,
};
use vigil_guard::ContractError;

use crate::common::*;

fn privileged(someone: &str) -> Vec<ExecuteMsg> {
    vec![
        ExecuteMsg::CancelProposal { proposal_id: 1 },
        ExecuteMsg::AddTestSamples {
            samples: vec![TestSample {
                features: strings(&["1", "1"]),
                label: true,
            }],
        },
        ExecuteMsg::RemoveTestSamples { ids: vec![0] },
        ExecuteMsg::Rollback { version: 1 },
        ExecuteMsg::Pause {},
        ExecuteMsg::Unpause {},
        ExecuteMsg::UpdateConfig(ConfigUpdate {
            min_bond: Some(Uint128::new(1)),
            ..Default::default()
        }),
        ExecuteMsg::UpdateAdmin {
            admin: someone.to_string(),
        },
    ]
}

#[test]
fn privileged_messages_refused_from_others() {
    let mut s = Suite::new(
        InstantiateMsg {
            eval_batch: 3,
            initial_model: Some(blob(&cut(7)).into()),
            ..base_msg()
        },
        1_000,
    );
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    // an open proposal, so CancelProposal has something to cancel
    s.propose(&bob, &blob(&perfect()), 2_000).unwrap();
    let config = s.config();
    let set = s.test_set();
    for msg in privileged(alice.as_str()) {
        for who in [&alice, &bob] {
            assert_eq!(
                s.exec_err(who, &msg, &[]),
                ContractError::Unauthorized,
                "{msg:?}"
            );
        }
    }
    // nothing changed
    assert_eq!(s.config(), config);
    assert_eq!(s.test_set(), set);
    assert_eq!(s.last_proposal().status, ProposalStatus::Evaluating);
    s.assert_conserved();
}

#[test]
fn update_admin_transfers_the_right() {
    let mut s = Suite::with_model(&cut(7), 0);
    let (admin, alice) = (s.admin.clone(), s.alice.clone());
    assert_eq!(s.config().admin, admin.to_string());
    let err = s
        .exec(
            &admin,
            &ExecuteMsg::UpdateAdmin {
                admin: "not an address".into(),
            },
            &[],
        )
        .unwrap_err();
    assert!(matches!(
        err.downcast::<ContractError>().unwrap(),
        ContractError::Std(_)
    ));
    s.admin_exec(&ExecuteMsg::UpdateAdmin {
        admin: alice.to_string(),
    });
    assert_eq!(s.config().admin, alice.to_string());
    for msg in privileged(admin.as_str()) {
        assert_eq!(s.exec_err(&admin, &msg, &[]), ContractError::Unauthorized);
    }
    s.exec(&alice, &ExecuteMsg::Pause {}, &[]).unwrap();
    assert!(s.config().paused);
    s.exec(&alice, &ExecuteMsg::Unpause {}, &[]).unwrap();
    s.exec(
        &alice,
        &ExecuteMsg::UpdateAdmin {
            admin: admin.to_string(),
        },
        &[],
    )
    .unwrap();
    assert_eq!(s.config().admin, admin.to_string());
}

#[test]
fn instantiate_admin_defaults_to_sender() {
    let s = Suite::new(base_msg(), 0);
    assert_eq!(s.config().admin, s.admin.to_string());
    let (mut app, admin, alice, _) = new_app();
    let code = app.store_code(guard_contract());
    let guard = app
        .instantiate_contract(
            code,
            admin,
            &InstantiateMsg {
                admin: Some(alice.to_string()),
                ..base_msg()
            },
            &[],
            "g",
            None,
        )
        .unwrap();
    let c: vigil_guard::msg::ConfigResponse = app
        .wrap()
        .query_wasm_smart(guard, &QueryMsg::Config {})
        .unwrap();
    assert_eq!(c.admin, alice.to_string());
}

fn sample(label: bool) -> TestSample {
    TestSample {
        features: strings(&["4", if label { "1" } else { "-1" }]),
        label,
    }
}

fn add(s: &mut Suite, samples: Vec<TestSample>) -> Result<(), ContractError> {
    let admin = s.admin.clone();
    s.exec(&admin, &ExecuteMsg::AddTestSamples { samples }, &[])
        .map(|_| ())
        .map_err(|e| e.downcast().unwrap())
}

#[test]
fn class_balance_rule() {
    // ratio 1: a class may run ahead of the other by at most one sample past
    // "max(minority, 1)"
    let mut s = Suite::new(
        InstantiateMsg {
            max_class_ratio: Decimal::one(),
            initial_test_set: vec![],
            ..base_msg()
        },
        0,
    );
    add(&mut s, vec![sample(true)]).unwrap();
    add(&mut s, vec![sample(true)]).unwrap();
    let positive_majority = ContractError::ClassImbalance {
        index: 0,
        majority: "positive",
        minority: "negative",
    };
    assert_eq!(add(&mut s, vec![sample(true)]), Err(positive_majority));
    add(&mut s, vec![sample(false)]).unwrap();
    add(&mut s, vec![sample(false)]).unwrap();
    add(&mut s, vec![sample(false)]).unwrap();
    // 2 positives, 3 negatives: negatives are beyond 1 × 2
    assert_eq!(
        add(&mut s, vec![sample(false)]),
        Err(ContractError::ClassImbalance {
            index: 0,
            majority: "negative",
            minority: "positive",
        })
    );
    let c = s.config();
    assert_eq!((c.positives, c.negatives), (2, 3));

    // A batch is all or nothing; the index points into the message.
    let v = s.test_set().version;
    assert_eq!(
        add(
            &mut s,
            vec![
                sample(true),
                sample(true),
                sample(false),
                sample(true),
                sample(true)
            ]
        ),
        Err(ContractError::ClassImbalance {
            index: 4,
            majority: "positive",
            minority: "negative",
        })
    );
    let c = s.config();
    assert_eq!((c.positives, c.negatives), (2, 3));
    assert_eq!(s.test_set().version, v);
    assert_eq!(s.test_set().samples.len(), 5);

    // ratio 2 on the 6/6 set: positives may reach 13, then only negatives
    let mut s = Suite::new(base_msg(), 0);
    add(&mut s, vec![sample(true); 7]).unwrap();
    assert_eq!(
        add(&mut s, vec![sample(true)]),
        Err(ContractError::ClassImbalance {
            index: 0,
            majority: "positive",
            minority: "negative",
        })
    );
    add(&mut s, vec![sample(false)]).unwrap();
    let c = s.config();
    assert_eq!((c.positives, c.negatives), (13, 7));

    // the initial test set obeys the rule too
    let (mut app, admin, _, _) = new_app();
    let code = app.store_code(guard_contract());
    let err = app
        .instantiate_contract(
            code,
            admin,
            &InstantiateMsg {
                max_class_ratio: Decimal::one(),
                initial_test_set: vec![sample(false); 3],
                ..base_msg()
            },
            &[],
            "g",
            None,
        )
        .unwrap_err();
    assert_eq!(
        err.downcast::<ContractError>().unwrap(),
        ContractError::ClassImbalance {
            index: 2,
            majority: "negative",
            minority: "positive",
        }
    );
}

#[test]
fn test_set_versions_and_exact_strings() {
    let mut s = Suite::new(base_msg(), 0);
    let set = s.test_set();
    assert_eq!(set.version, 1);
    assert_eq!(s.config().test_set_version, 1);
    // exactly the strings given, ids from 0
    let want: Vec<StoredSample> = test_set()
        .into_iter()
        .enumerate()
        .map(|(i, t)| StoredSample {
            id: i as u32,
            features: t.features,
            label: t.label,
        })
        .collect();
    assert_eq!(set.samples, want);

    // assorted values round-trip exactly
    let exotic = [
        "-15605352.04",
        "0.0000000000000000001",
        "9223372036854775807",
        "-9223372036854775808",
        "0.127649",
        "190984.02",
        "-0.5",
        "0",
    ];
    let samples: Vec<TestSample> = exotic
        .chunks(2)
        .enumerate()
        .map(|(i, pair)| TestSample {
            features: strings(pair),
            label: i % 2 == 0,
        })
        .collect();
    add(&mut s, samples.clone()).unwrap();
    let set = s.test_set();
    assert_eq!(set.version, 2);
    let stored: Vec<Vec<String>> = set.samples[12..]
        .iter()
        .map(|x| x.features.clone())
        .collect();
    assert_eq!(
        stored,
        samples
            .iter()
            .map(|x| x.features.clone())
            .collect::<Vec<_>>()
    );
    assert_eq!(set.samples[12].id, 12);

    // other spellings are stored in canonical form (the value is exact)
    add(
        &mut s,
        vec![TestSample {
            features: strings(&["007.50", "1e3"]),
            label: false,
        }],
    )
    .unwrap();
    add(
        &mut s,
        vec![TestSample {
            features: strings(&["+2", "-0"]),
            label: true,
        }],
    )
    .unwrap();
    let set = s.test_set();
    assert_eq!(set.version, 4);
    assert_eq!(set.samples[16].features, strings(&["7.5", "1000"]));
    assert_eq!(set.samples[17].features, strings(&["2", "0"]));

    // an empty batch is not a change
    add(&mut s, vec![]).unwrap();
    assert_eq!(s.test_set().version, 4);

    // removal bumps the version and the counts; ids are not reused
    let before = s.config();
    // (even ids are negatives, odd ids positives)
    s.admin_exec(&ExecuteMsg::RemoveTestSamples { ids: vec![0, 5] });
    let after = s.config();
    assert_eq!(after.test_set_version, 5);
    assert_eq!(after.negatives, before.negatives - 1);
    assert_eq!(after.positives, before.positives - 1);
    let ids: Vec<u32> = s.test_set().samples.iter().map(|x| x.id).collect();
    assert!(!ids.contains(&0) && !ids.contains(&5));
    add(&mut s, vec![sample(true)]).unwrap();
    assert_eq!(s.test_set().samples.last().unwrap().id, 18);

    // paging
    let page: TestSetResponse = s.q(&QueryMsg::TestSet {
        start_after: Some(5),
        limit: Some(3),
    });
    assert_eq!(
        page.samples.iter().map(|x| x.id).collect::<Vec<_>>(),
        [6, 7, 8]
    );
    let page: TestSetResponse = s.q(&QueryMsg::TestSet {
        start_after: Some(u32::MAX),
        limit: None,
    });
    assert!(page.samples.is_empty());
    let page: TestSetResponse = s.q(&QueryMsg::TestSet {
        start_after: None,
        limit: Some(1000),
    });
    assert_eq!(page.samples.len(), 17);
}

#[test]
fn remove_unknown_sample() {
    let mut s = Suite::new(base_msg(), 0);
    let admin = s.admin.clone();
    let set = s.test_set();
    for ids in [vec![12], vec![3, 99], vec![5, 5]] {
        let missing = *ids.last().unwrap();
        assert_eq!(
            s.exec_err(&admin, &ExecuteMsg::RemoveTestSamples { ids }, &[]),
            ContractError::NoSuchSample(missing)
        );
    }
    assert_eq!(s.test_set(), set);
    // removing nothing is not a change
    s.admin_exec(&ExecuteMsg::RemoveTestSamples { ids: vec![] });
    assert_eq!(s.test_set(), set);
}

#[test]
fn test_set_locked_while_evaluating() {
    let mut s = Suite::new(
        InstantiateMsg {
            eval_batch: 5,
            initial_model: Some(blob(&cut(6)).into()),
            ..base_msg()
        },
        1_000,
    );
    let (admin, alice) = (s.admin.clone(), s.alice.clone());
    s.propose(&alice, &blob(&cut(5)), 2_000).unwrap();
    let p = s.last_proposal();
    assert_eq!(p.test_set_version, 1);
    let locked = ContractError::TestSetLocked { id: 1 };
    for msg in [
        ExecuteMsg::AddTestSamples {
            samples: vec![sample(true)],
        },
        ExecuteMsg::AddTestSamples { samples: vec![] },
        ExecuteMsg::RemoveTestSamples { ids: vec![0] },
    ] {
        assert_eq!(s.exec_err(&admin, &msg, &[]), locked, "{msg:?}");
    }
    // the incumbent is pinned while a proposal is judged
    assert_eq!(
        s.exec_err(&admin, &ExecuteMsg::Rollback { version: 1 }, &[]),
        ContractError::ProposalInProgress { id: 1 }
    );
    // not locked against non-test-set admin actions
    s.admin_exec(&ExecuteMsg::Pause {});
    s.admin_exec(&ExecuteMsg::Unpause {});
    s.propose_and_decide_continue(1);
    assert_eq!(s.last_proposal().status, ProposalStatus::Accepted);
    add(&mut s, vec![sample(true)]).unwrap();
    assert_eq!(s.test_set().version, 2);
    s.assert_conserved();
}

impl Suite {
    fn propose_and_decide_continue(&mut self, id: u64) {
        let bob = self.bob.clone();
        while self.proposal(id).status == ProposalStatus::Evaluating {
            self.exec(
                &bob,
                &ExecuteMsg::ContinueEvaluation { proposal_id: id },
                &[],
            )
            .unwrap();
        }
    }
}

#[test]
fn rollback_to_an_earlier_version() {
    let mut s = Suite::with_model(&cut(6), 1_000);
    let alice = s.alice.clone();
    // x0 = 6: cut(6) denies, cut(7) and perfect allow (x1 = -1)
    let tx = ["6", "-1"];
    assert!(!s.check(&tx).allow);
    s.propose_and_decide(&alice, &blob(&cut(7)), 1_000);
    s.propose_and_decide(&alice, &blob(&perfect()), 1_000);
    assert_eq!(s.config().active_version, 3);
    assert!(s.check(&tx).allow);
    assert_eq!(s.check(&tx).model_version, 3);

    s.admin_exec(&ExecuteMsg::Rollback { version: 1 });
    assert_eq!(s.config().active_version, 1);
    let active: Vec<bool> = (1..=3).map(|v| s.model(Some(v)).active).collect();
    assert_eq!(active, [true, false, false]);
    assert_eq!(s.model(None).version, 1);
    let c = s.check(&tx);
    assert!(!c.allow);
    assert_eq!(c.model_version, 1);
    assert_eq!(s.score(&tx).model_version, 1);
    // metrics of the admin-installed model were never measured
    assert_eq!(s.model(Some(1)).metrics, None);
    assert!(s.model(Some(2)).metrics.is_some());

    let admin = s.admin.clone();
    for v in [0, 4, u32::MAX] {
        assert_eq!(
            s.exec_err(&admin, &ExecuteMsg::Rollback { version: v }, &[]),
            ContractError::NoSuchVersion(v)
        );
        assert!(s
            .q_err(&QueryMsg::Model { version: Some(v) })
            .contains("no model version"));
    }
    assert_eq!(s.config().active_version, 1);

    // a stored model earns nothing: re-proposing it is refused (no bond
    // taken); and a copy is judged against the best ever accepted on this
    // test-set version (perfect's), so it cannot win again either
    assert_eq!(
        s.propose(&alice, &blob(&cut(7)), 1_000)
            .unwrap_err()
            .downcast::<ContractError>()
            .unwrap(),
        ContractError::KnownModel { version: 2 }
    );
    s.propose_and_decide(&alice, &blob(&cut_variant(7, 0.01)), 1_000);
    assert_eq!(s.last_proposal().status, ProposalStatus::Rejected);
    // a new test-set version starts a new ratchet: the next proposal is
    // judged against the rolled-back model and gets a fresh version
    s.admin_exec(&ExecuteMsg::AddTestSamples {
        samples: vec![
            TestSample {
                features: strings(&["13", "1"]),
                label: true,
            },
            TestSample {
                features: strings(&["0", "-1"]),
                label: false,
            },
        ],
    });
    s.propose_and_decide(&alice, &blob(&cut_variant(7, 0.02)), 1_000);
    let p = s.last_proposal();
    assert_eq!(p.status, ProposalStatus::Accepted);
    assert_eq!(p.accepted_version, Some(4));
    assert_eq!(s.config().active_version, 4);
    // roll forward
    s.admin_exec(&ExecuteMsg::Rollback { version: 3 });
    assert!(s.check(&tx).allow);
    assert_eq!(s.check(&tx).model_version, 3);
    s.assert_conserved();
}

#[test]
fn pause_behaviours() {
    let mut s = Suite::with_model(&cut(7), 0);
    let normal = ["3", "-1"];
    let flagged = ["9", "1"];
    assert!(s.check(&normal).allow);
    assert!(!s.check(&flagged).allow);
    let score_before = s.score(&flagged);

    for (mode, want) in [
        (PausedCheck::Error, None),
        (PausedCheck::Allow, Some(true)),
        (PausedCheck::Deny, Some(false)),
    ] {
        s.admin_exec(&ExecuteMsg::UpdateConfig(ConfigUpdate {
            paused_check: Some(mode),
            ..Default::default()
        }));
        s.admin_exec(&ExecuteMsg::Pause {});
        let c = s.config();
        assert!(c.paused);
        assert_eq!(c.paused_check, mode);
        for tx in [&normal, &flagged] {
            match want {
                None => {
                    let err = s.q_err(&QueryMsg::Check {
                        features: strings(tx),
                    });
                    assert!(err.contains(&ContractError::Paused.to_string()), "{err}");
                }
                Some(allow) => {
                    let r = s.check(tx);
                    assert_eq!(r.allow, allow);
                    assert!(r.paused);
                    assert_eq!(r.model_version, 0);
                    assert_eq!(r.score, Decimal::zero());
                }
            }
        }
        // paused Check answers without looking at the input
        if let Some(allow) = want {
            assert_eq!(s.check(&["garbage"]).allow, allow);
        }
        // Score keeps working while paused: it is informational
        assert_eq!(s.score(&flagged), score_before);
        s.admin_exec(&ExecuteMsg::Unpause {});
        assert!(!s.config().paused);
        assert!(s.check(&normal).allow);
        assert!(!s.check(&flagged).allow);
        assert!(!s.check(&normal).paused);
    }

    // the paused behaviour can change while paused
    s.admin_exec(&ExecuteMsg::Pause {});
    assert!(!s.check(&normal).allow);
    s.admin_exec(&ExecuteMsg::UpdateConfig(ConfigUpdate {
        paused_check: Some(PausedCheck::Allow),
        ..Default::default()
    }));
    assert!(s.check(&flagged).allow);
    // and a model accepted while paused stays paused
    let alice = s.alice.clone();
    s.propose_and_decide(&alice, &blob(&perfect()), 1_000);
    assert_eq!(s.config().active_version, 2);
    assert!(s.check(&flagged).paused);
    s.admin_exec(&ExecuteMsg::Unpause {});
    assert!(!s.check(&flagged).allow);
    assert_eq!(s.check(&flagged).model_version, 2);
}

#[test]
fn pause_before_any_model() {
    let mut s = Suite::new(
        InstantiateMsg {
            paused_check: PausedCheck::Allow,
            ..base_msg()
        },
        0,
    );
    s.admin_exec(&ExecuteMsg::Pause {});
    // no model yet: Check has nothing to answer with, even when paused
    assert!(s
        .q_err(&QueryMsg::Check {
            features: strings(&["1", "1"]),
        })
        .contains(&ContractError::NoModel.to_string()));
    let alice = s.alice.clone();
    s.propose_and_decide(&alice, &blob(&cut(7)), 1_000);
    // the first model inherits the paused state
    let r = s.check(&["9", "1"]);
    assert!(r.paused && r.allow);
    s.admin_exec(&ExecuteMsg::Unpause {});
    assert!(!s.check(&["9", "1"]).allow);
}

#[test]
fn update_config_fields_and_validation() {
    let mut s = Suite::with_model(&cut(7), 0);
    let admin = s.admin.clone();
    let before = s.config();
    // an empty update changes nothing
    s.admin_exec(&ExecuteMsg::UpdateConfig(ConfigUpdate::default()));
    assert_eq!(s.config(), before);

    let margins = Margins {
        f1: vigil_guard::msg::Margin {
            min_gain: dec("0.02"),
            tolerance: dec("0.01"),
        },
        ..Margins::default()
    };
    s.admin_exec(&ExecuteMsg::UpdateConfig(ConfigUpdate {
        min_bond: Some(Uint128::new(42)),
        margins: Some(margins.clone()),
        reward: Some(RewardRule::None),
        max_inference_ops: Some(12345),
        max_check_gas: Some(54321),
        deny_threshold: Some(Some(dec("0.9"))),
        paused_check: Some(PausedCheck::Deny),
        max_class_ratio: Some(dec("3.5")),
        eval_batch: Some(9),
        stall_blocks: Some(77),
        stall_fee: Some(dec("0.5")),
        envelope_margin: Some(Some(dec("0.25"))),
    }));
    let c = s.config();
    assert_eq!((c.stall_blocks, c.stall_fee), (77, dec("0.5")));
    assert_eq!(c.envelope_margin, Some(dec("0.25")));
    assert_eq!(c.min_bond, Uint128::new(42));
    assert_eq!(c.margins, margins);
    assert_eq!(c.reward, RewardRule::None);
    assert_eq!(c.max_inference_ops, 12345);
    assert_eq!(c.max_check_gas, 54321);
    assert_eq!(c.deny_threshold, Some(dec("0.9")));
    assert_eq!(c.paused_check, PausedCheck::Deny);
    assert_eq!(c.max_class_ratio, dec("3.5"));
    assert_eq!(c.eval_batch, 9);

    // invalid values are refused and change nothing
    for (update, what) in [
        (
            ConfigUpdate {
                min_bond: Some(Uint128::zero()),
                ..Default::default()
            },
            "min_bond",
        ),
        (
            ConfigUpdate {
                eval_batch: Some(0),
                ..Default::default()
            },
            "eval_batch",
        ),
        (
            ConfigUpdate {
                max_class_ratio: Some(dec("0.99")),
                ..Default::default()
            },
            "max_class_ratio",
        ),
        (
            ConfigUpdate {
                deny_threshold: Some(Some(dec("1.01"))),
                ..Default::default()
            },
            "deny_threshold",
        ),
        (
            ConfigUpdate {
                reward: Some(RewardRule::BondShare {
                    share: dec("100.01"),
                }),
                ..Default::default()
            },
            "share",
        ),
        (
            ConfigUpdate {
                max_check_gas: Some(0),
                ..Default::default()
            },
            "max_check_gas",
        ),
        (
            ConfigUpdate {
                margins: Some(Margins {
                    recall: vigil_guard::msg::Margin {
                        min_gain: dec("0.05"),
                        tolerance: dec("0.05"),
                    },
                    ..Margins::default()
                }),
                ..Default::default()
            },
            "recall: min_gain must exceed tolerance",
        ),
    ] {
        let err = s.exec_err(&admin, &ExecuteMsg::UpdateConfig(update), &[]);
        assert!(
            matches!(&err, ContractError::InvalidConfig(m) if m.to_string().contains(what)),
            "{what}: {err:?}"
        );
    }
    assert_eq!(s.config(), c);
}

#[test]
fn deny_threshold_override_and_reset() {
    let mut s = Suite::with_model(&cut(7), 0);
    // x0 = 7 gives logit +1: score ≈ 0.73, label positive
    let tx = ["7", "0"];
    let r = s.check(&tx);
    assert!(!r.allow);
    assert_eq!(r.threshold, Decimal::percent(50));
    assert!(r.score > dec("0.7") && r.score < dec("0.76"), "{}", r.score);

    s.admin_exec(&ExecuteMsg::UpdateConfig(ConfigUpdate {
        deny_threshold: Some(Some(dec("0.8"))),
        ..Default::default()
    }));
    let r = s.check(&tx);
    assert!(r.allow);
    // the threshold applied is the smallest score at or above 0.8
    assert!(r.threshold >= dec("0.8") && r.threshold < dec("0.8000000005"));
    assert!(!s.check(&["8", "0"]).allow);
    // Score's label stays the model's own
    assert!(s.score(&tx).label);

    // a later update that does not mention the threshold keeps it
    s.admin_exec(&ExecuteMsg::UpdateConfig(ConfigUpdate {
        eval_batch: Some(3),
        ..Default::default()
    }));
    assert_eq!(s.config().deny_threshold, Some(dec("0.8")));
    assert!(s.check(&tx).allow);

    // Some(None) returns to the model's own threshold
    s.admin_exec(&ExecuteMsg::UpdateConfig(ConfigUpdate {
        deny_threshold: Some(None),
        ..Default::default()
    }));
    assert_eq!(s.config().deny_threshold, None);
    let r = s.check(&tx);
    assert!(!r.allow);
    assert_eq!(r.threshold, Decimal::percent(50));

    // the extremes: 0 denies everything, 1 allows everything below 1
    s.admin_exec(&ExecuteMsg::UpdateConfig(ConfigUpdate {
        deny_threshold: Some(Some(Decimal::zero())),
        ..Default::default()
    }));
    assert!(!s.check(&["-100", "-100"]).allow);
    s.admin_exec(&ExecuteMsg::UpdateConfig(ConfigUpdate {
        deny_threshold: Some(Some(Decimal::one())),
        ..Default::default()
    }));
    assert!(s.check(&["12", "0"]).allow);
}

#[test]
fn deny_threshold_reset_in_raw_json() {
    // What a DAO proposal or CLI sends: an explicit null resets the
    // override, an absent field keeps it.
    let mut s = Suite::with_model(&cut(7), 0);
    let admin = s.admin.clone();
    let send = |s: &mut Suite, json: &str| {
        let msg: ExecuteMsg = cosmwasm_std::from_json(json).unwrap();
        s.exec(&admin, &msg, &[]).unwrap();
    };
    send(&mut s, r#"{"update_config":{"deny_threshold":"0.8"}}"#);
    assert_eq!(s.config().deny_threshold, Some(dec("0.8")));
    send(&mut s, r#"{"update_config":{"eval_batch":5}}"#);
    assert_eq!(s.config().deny_threshold, Some(dec("0.8")));
    send(&mut s, r#"{"update_config":{"deny_threshold":null}}"#);
    assert_eq!(s.config().deny_threshold, None);
}

#[test]
fn migrate_same_version() {
    let mut s = Suite::with_model(&cut(7), 100);
    let (admin, guard, code) = (s.admin.clone(), s.guard.clone(), s.code_id);
    let config = s.config();
    let r = s
        .app
        .migrate_contract(admin, guard, &MigrateMsg {}, code)
        .unwrap();
    assert!(r.events.iter().any(|e| e
        .attributes
        .iter()
        .any(|a| a.key == "action" && a.value == "migrate")));
    assert_eq!(s.config(), config);
    assert!(s.check(&["3", "0"]).allow);
}
