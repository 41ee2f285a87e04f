//! Bad input gives typed errors; malformed and over-budget models are
//! refused before any bond is taken; Score explains linear models.
use cosmwasm_std::{Binary, Decimal};
use cw_multi_test::Executor;
use vigil_guard::msg::{CostResponse, ExecuteMsg, InstantiateMsg, QueryMsg, TestSample};
use vigil_guard::ContractError;
use vigil_inference_core::float::{FloatBody, FloatFeature, FloatLayer, FloatModel};
use vigil_inference_core::format::{self, Activation};

use crate::common::*;

fn bad_number(index: usize, reason: &str) -> ContractError {
    ContractError::BadNumber {
        index,
        reason: reason.to_string(),
    }
}

const NOT_FINITE: &str = "not a finite number (nan/inf are not accepted)";
const OUT_OF_RANGE: &str = "number out of range (|x| must be below 9.22e18)";

/// (features, expected error) for a 2-feature guard.
fn bad_inputs() -> Vec<(Vec<String>, ContractError)> {
    let count = |got| ContractError::FeatureCount { expected: 2, got };
    vec![
        (strings(&["1"]), count(1)),
        (strings(&["1", "2", "3"]), count(3)),
        (vec![], count(0)),
        (strings(&["nan", "1"]), bad_number(0, NOT_FINITE)),
        (strings(&["1", "-inf"]), bad_number(1, NOT_FINITE)),
        (strings(&["1", "Infinity"]), bad_number(1, NOT_FINITE)),
        (strings(&["1e400", "1"]), bad_number(0, OUT_OF_RANGE)),
        (strings(&["1", "-1e19"]), bad_number(1, OUT_OF_RANGE)),
        (
            strings(&["1", "abc"]),
            bad_number(1, "invalid character at byte 0 of number"),
        ),
        (
            strings(&["1.2.3", "1"]),
            bad_number(0, "invalid character at byte 3 of number"),
        ),
        (strings(&["", "1"]), bad_number(0, "empty number")),
        (
            strings(&["1", "1e"]),
            bad_number(1, "number has no digits where digits are required"),
        ),
        (
            strings(&[" 1", "1"]),
            bad_number(0, "invalid character at byte 0 of number"),
        ),
    ]
}

#[test]
fn score_and_check_refuse_bad_input() {
    let s = Suite::with_model(&cut(7), 0);
    for (features, want) in bad_inputs() {
        for q in [
            QueryMsg::Score {
                features: features.clone(),
            },
            QueryMsg::Check {
                features: features.clone(),
            },
        ] {
            let err = s.q_err(&q);
            assert!(err.contains(&want.to_string()), "{features:?}: {err}");
        }
    }
    // extremes that are valid
    let ok = s.check(&["9223372036854775807", "-9223372036854775808"]);
    assert!(!ok.allow);
    let ok = s.check(&["-1e18", "0.0000000000000000000000001"]);
    assert!(ok.allow);
}

#[test]
fn add_test_samples_refuses_bad_input() {
    let mut s = Suite::new(base_msg(), 0);
    let admin = s.admin.clone();
    let set = s.test_set();
    let mut cases = bad_inputs();
    // the test set stores values exactly: at most 19 fractional digits
    cases.push((
        strings(&["1", "0.00000000000000000001"]),
        bad_number(1, "number has more than 19 fractional digits"),
    ));
    for (features, want) in cases {
        // the bad sample second in the batch: nothing of the batch is stored
        let samples = vec![
            TestSample {
                features: strings(&["1", "1"]),
                label: false,
            },
            TestSample {
                features: features.clone(),
                label: true,
            },
        ];
        assert_eq!(
            s.exec_err(&admin, &ExecuteMsg::AddTestSamples { samples }, &[]),
            want,
            "{features:?}"
        );
    }
    assert_eq!(s.test_set(), set);

    // and at instantiation
    let (mut app, admin, _, _) = new_app();
    let code = app.store_code(guard_contract());
    let err = app
        .instantiate_contract(
            code,
            admin,
            &InstantiateMsg {
                initial_test_set: vec![TestSample {
                    features: strings(&["1", "nan"]),
                    label: true,
                }],
                ..base_msg()
            },
            &[],
            "g",
            None,
        )
        .unwrap_err();
    assert_eq!(
        err.downcast::<ContractError>().unwrap(),
        bad_number(1, NOT_FINITE)
    );
}

/// Recompute a blob's checksum after editing it.
fn reseal(mut b: Vec<u8>) -> Vec<u8> {
    let sum = format::checksum(&b);
    b[format::CHECKSUM].copy_from_slice(&sum);
    b
}

#[test]
fn malformed_models_refused_without_taking_the_bond() {
    let mut s = Suite::with_model(&cut(7), 1_000);
    let alice = s.alice.clone();
    let good = blob(&perfect());
    let mut bad: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("header only", good[..format::HEADER_LEN].to_vec()),
        ("truncated by one", good[..good.len() - 1].to_vec()),
        ("truncated header", good[..10].to_vec()),
        ("trailing byte", [good.clone(), vec![0]].concat()),
        ("json", br#"{"weights":[1,2]}"#.to_vec()),
    ];
    for (name, at, bit) in [
        ("magic bit", 0, 0x01),
        ("version bit", 4, 0x01),
        ("family bit", 6, 0x80),
        ("threshold bit", 12, 0x10),
        ("checksum bit", 30, 0x04),
        ("payload bit", format::HEADER_LEN + 3, 0x20),
        ("last byte bit", good.len() - 1, 0x01),
    ] {
        let mut b = good.clone();
        b[at] ^= bit;
        bad.push((name, b));
    }
    // structurally invalid with a correct checksum
    let mut b = good.clone();
    b[format::HEADER_LEN] |= 0x80; // reserved feature flag
    bad.push(("reserved flag, resealed", reseal(b)));
    let mut b = good.clone();
    b[12..16].copy_from_slice(&((1u32 << 31) + 1).to_le_bytes());
    bad.push(("threshold above 1, resealed", reseal(b)));

    for (name, b) in bad {
        let err = s.refused_at_reveal(&alice, &b, 2_000);
        assert!(
            matches!(err, ContractError::InvalidModel(_)),
            "{name}: {err:?}"
        );
        assert_eq!(s.balance(&alice), START, "{name}");
        assert!(s.only_closed());
        s.assert_conserved();
        // the Cost query validates the same way
        let q = s.q_err(&QueryMsg::Cost {
            model: Binary::from(b.clone()),
        });
        assert!(q.contains("invalid model"), "{name}: {q}");
    }
    // the untouched blob passes
    s.propose_and_decide(&alice, &good, 2_000);
    assert!(!s.only_closed());
}

#[test]
fn model_with_the_wrong_feature_count_refused() {
    let mut s = Suite::with_model(&cut(7), 0);
    let alice = s.alice.clone();
    for n in [1usize, 3] {
        let m = logistic(&vec![1.0; n], 0.0);
        let err = s.refused_at_reveal(&alice, &blob(&m), 2_000);
        assert_eq!(
            err,
            ContractError::FeatureCount {
                expected: 2,
                got: n
            }
        );
        assert_eq!(s.balance(&alice), START);
    }
    // nor as the initial model
    let (mut app, admin, _, _) = new_app();
    let code = app.store_code(guard_contract());
    let err = app
        .instantiate_contract(
            code,
            admin,
            &InstantiateMsg {
                initial_model: Some(blob(&logistic(&[1.0; 3], 0.0)).into()),
                ..base_msg()
            },
            &[],
            "g",
            None,
        )
        .unwrap_err();
    assert_eq!(
        err.downcast::<ContractError>().unwrap(),
        ContractError::FeatureCount {
            expected: 2,
            got: 3
        }
    );
}

fn mlp(hidden: usize) -> FloatModel {
    FloatModel {
        threshold: 0.5,
        features: vec![FloatFeature::IDENTITY; 2],
        body: FloatBody::Mlp(vec![
            FloatLayer {
                weights: (0..2 * hidden)
                    .map(|i| if i % 2 == 0 { 0.0 } else { 1.0 })
                    .collect(),
                biases: vec![0.0; hidden],
                activation: Activation::Relu,
            },
            FloatLayer {
                weights: vec![2.0 / hidden as f64; hidden],
                biases: vec![-0.1],
                activation: Activation::Sigmoid,
            },
        ]),
    }
}

#[test]
fn cost_over_budget_refused() {
    let small = blob(&cut(7));
    let big = blob(&mlp(64));
    let (small_ops, big_ops) = (ops(&small), ops(&big));
    assert!(small_ops < big_ops);
    let mut s = Suite::new(
        InstantiateMsg {
            max_inference_ops: big_ops - 1,
            initial_model: Some(small.clone().into()),
            ..base_msg()
        },
        0,
    );
    let alice = s.alice.clone();
    let err = s.refused_at_reveal(&alice, &big, 2_000);
    assert_eq!(
        err,
        ContractError::CostOverBudget {
            bound: big_ops,
            budget: big_ops - 1
        }
    );
    assert_eq!(s.balance(&alice), START);
    assert!(s.only_closed());
    let c: CostResponse = s.q(&QueryMsg::Cost {
        model: big.clone().into(),
    });
    assert_eq!(c.ops, big_ops);
    assert_eq!(c.model_bytes, big.len() as u64);
    assert!(!c.within_budget);
    let c: CostResponse = s.q(&QueryMsg::Cost {
        model: small.clone().into(),
    });
    assert!(c.within_budget);

    // at the budget exactly it is accepted for evaluation (and wins)
    s.admin_exec(&ExecuteMsg::UpdateConfig(vigil_guard::msg::ConfigUpdate {
        max_inference_ops: Some(big_ops),
        ..Default::default()
    }));
    s.propose_and_decide(&alice, &big, 2_000);
    let m = s.model(None);
    assert_eq!(m.version, 2);
    assert_eq!(m.family, "mlp");
    assert_eq!(m.cost_ops, big_ops);
    assert_eq!(m.size, big.len() as u32);
    // an MLP gives no contributions
    let r = s.score(&["1", "2"]);
    assert!(r.contributions.is_empty());
    assert!(r.label);

    // the initial model obeys the budget too
    let (mut app, admin, _, _) = new_app();
    let code = app.store_code(guard_contract());
    let err = app
        .instantiate_contract(
            code,
            admin,
            &InstantiateMsg {
                max_inference_ops: small_ops - 1,
                initial_model: Some(small.into()),
                ..base_msg()
            },
            &[],
            "g",
            None,
        )
        .unwrap_err();
    assert_eq!(
        err.downcast::<ContractError>().unwrap(),
        ContractError::CostOverBudget {
            bound: small_ops,
            budget: small_ops - 1
        }
    );
}

#[test]
fn score_explains_linear_models() {
    let weights = [1.5, -0.5, 0.25, 1.0];
    let model = FloatModel {
        threshold: 0.5,
        features: vec![
            FloatFeature {
                mean: 1.0,
                std: 2.0,
                ..FloatFeature::IDENTITY
            },
            FloatFeature::IDENTITY,
            FloatFeature::IDENTITY,
            FloatFeature {
                clip_lo: Some(0.0),
                clip_hi: Some(1e12),
                log1p: true,
                mean: 0.0,
                std: 1.0,
            },
        ],
        body: FloatBody::Linear(FloatLayer {
            weights: weights.to_vec(),
            biases: vec![-0.3],
            activation: Activation::Sigmoid,
        }),
    };
    let s = Suite::new(
        InstantiateMsg {
            n_features: 4,
            initial_test_set: vec![],
            initial_model: Some(blob(&model).into()),
            ..base_msg()
        },
        0,
    );
    // the stored parameters (i8 weights), for the expected values
    let stored = model
        .quantize(&vigil_inference_core::float::QuantizeOptions::default())
        .dequantize();
    let FloatBody::Linear(layer) = &stored.body else {
        unreachable!()
    };
    let stored_weights = layer.weights.clone();
    for x in [
        [5.0, 3.0, -4.0, 1.718281828],
        [-3.0, -2.0, 8.0, 0.0],
        [1.0, 0.0, 0.0, 1e6],
        [41.0, 0.5, -0.25, 2.0],
    ] {
        let features: Vec<String> = x.iter().map(|v| v.to_string()).collect();
        let refs: Vec<&str> = features.iter().map(|f| f.as_str()).collect();
        let r = s.score(&refs);
        // expected contributions: w_i · z_i
        let z = stored.preprocess(&x);
        let mut want: Vec<(u16, f64)> = z
            .iter()
            .zip(&stored_weights)
            .enumerate()
            .map(|(i, (z, w))| (i as u16, z * w))
            .collect();
        // (partial_cmp: -0.0 and 0.0 tie, as they do in fixed point)
        want.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap());
        assert_eq!(r.contributions.len(), 3);
        let got: Vec<u16> = r.contributions.iter().map(|c| c.feature).collect();
        let want_ids: Vec<u16> = want.iter().take(3).map(|c| c.0).collect();
        assert_eq!(got, want_ids, "{x:?}");
        for (c, w) in r.contributions.iter().zip(&want) {
            let v: f64 = c.value.to_string().parse().unwrap();
            assert!((v - w.1).abs() < 1e-3, "{x:?}: {v} vs {}", w.1);
        }
        // largest first
        assert!(r.contributions.windows(2).all(|w| w[0].value >= w[1].value));
        // score_bits is the exact score, score its decimal rounded down
        let exact = f64::from(r.score_bits) / f64::from(1u32 << 31);
        let dec: f64 = r.score.to_string().parse().unwrap();
        assert!((exact - dec).abs() < 1e-15);
        assert_eq!(
            r.score,
            Decimal::raw((u128::from(r.score_bits) * 1_000_000_000_000_000_000) >> 31)
        );
        assert!(r.score_bits <= 1 << 31);
        assert_eq!(r.label, r.score_bits >= 1 << 30);
        assert!((exact - stored.predict(&x)).abs() < 2e-5, "{x:?}");
        // and within the i8 quantisation of the original
        assert!((exact - model.predict(&x)).abs() < 0.02, "{x:?}");
        assert_eq!(r.model_version, 1);
        // Check scores the same
        assert_eq!(s.check(&refs).score, r.score);
    }
}
