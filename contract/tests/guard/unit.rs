//! Entry points called directly on `mock_dependencies`: migration, typed
//! query errors, arithmetic edges, serialisation, and a corruption sweep
//! that must never panic.
use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env, MockApi};
use cosmwasm_std::{
    coins, from_json, to_json_string, BankMsg, CosmosMsg, Decimal, OwnedDeps, Uint128,
};
use vigil_guard::contract::{
    execute, instantiate, migrate, query, CONTRACT_NAME, CONTRACT_VERSION,
};
use vigil_guard::msg::{
    ConfigResponse, ConfigUpdate, ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, RewardRule,
    TestSample,
};
use vigil_guard::ContractError;
use vigil_guard_api::units::{score_decimal, threshold_bits};
use vigil_inference_core::format;

use crate::common::*;

type Deps = OwnedDeps<cosmwasm_std::MemoryStorage, MockApi, cosmwasm_std::testing::MockQuerier>;

fn setup(msg: InstantiateMsg) -> Deps {
    let mut deps = mock_dependencies();
    let admin = deps.api.addr_make("admin");
    instantiate(deps.as_mut(), mock_env(), message_info(&admin, &[]), msg).unwrap();
    deps
}

fn q<T: serde::de::DeserializeOwned>(deps: &Deps, msg: QueryMsg) -> Result<T, ContractError> {
    query(deps.as_ref(), mock_env(), msg).map(|b| from_json(b).unwrap())
}

/// Commit (at `mock_env`'s height), then reveal a block later: the reveal's
/// response.
fn propose_response(
    deps: &mut Deps,
    who: &str,
    model: &[u8],
    bond: u128,
) -> Result<cosmwasm_std::Response, ContractError> {
    let sender = deps.api.addr_make(who);
    let c = vigil_guard_api::commit::commitment(model, sender.as_str(), &SALT);
    let r = execute(
        deps.as_mut(),
        mock_env(),
        message_info(&sender, &coins(bond, DENOM)),
        ExecuteMsg::CommitProposal {
            commitment: c.to_vec().into(),
            limits: None,
        },
    )?;
    let id = r
        .attributes
        .iter()
        .find(|a| a.key == "proposal_id")
        .unwrap()
        .value
        .parse()
        .unwrap();
    let mut env = mock_env();
    env.block.height += 1;
    execute(
        deps.as_mut(),
        env,
        message_info(&sender, &[]),
        ExecuteMsg::RevealProposal {
            proposal_id: id,
            model: model.to_vec().into(),
            salt: SALT.to_vec().into(),
        },
    )
}

fn propose(deps: &mut Deps, who: &str, model: &[u8], bond: u128) -> Result<(), ContractError> {
    propose_response(deps, who, model, bond).map(|_| ())
}

#[test]
fn migrate_checks_cw2() {
    let mut deps = setup(InstantiateMsg {
        initial_model: Some(blob(&cut(7)).into()),
        ..base_msg()
    });
    let stored = |deps: &Deps| cw2::get_contract_version(deps.as_ref().storage).unwrap();
    let config = |deps: &Deps| q::<ConfigResponse>(deps, QueryMsg::Config {}).unwrap();
    let before = config(&deps);
    // same version: a no-op
    let r = migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
    assert!(r
        .attributes
        .iter()
        .any(|a| a.key == "from_version" && a.value == CONTRACT_VERSION));
    assert_eq!(stored(&deps).version, CONTRACT_VERSION);
    assert_eq!(config(&deps), before);
    // a pre-release of this version is older (semver): upgraded, recorded,
    // the store (already this layout) untouched
    for older in ["0.2.0-rc.1", "0.2.0-alpha", "0.2.0-0"] {
        cw2::set_contract_version(deps.as_mut().storage, CONTRACT_NAME, older).unwrap();
        let r = migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
        assert!(r
            .attributes
            .iter()
            .any(|a| a.key == "from_version" && a.value == older));
        assert_eq!(stored(&deps).version, CONTRACT_VERSION);
        assert_eq!(config(&deps), before);
        assert!(
            q::<vigil_guard::msg::CheckResponse>(
                &deps,
                QueryMsg::Check {
                    features: strings(&["3", "0"])
                }
            )
            .unwrap()
            .allow
        );
    }
    // downgrades: a newer release, patch, or a pre-release of the next one
    for newer in [
        "99.0.0",
        &semver_next_patch(CONTRACT_VERSION),
        "0.2.1-rc.1",
        "0.3.0-0",
    ] {
        cw2::set_contract_version(deps.as_mut().storage, CONTRACT_NAME, newer).unwrap();
        assert_eq!(
            migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap_err(),
            ContractError::CannotDowngrade {
                from: newer.into(),
                to: CONTRACT_VERSION.into()
            }
        );
        assert_eq!(stored(&deps).version, newer);
    }
    // another contract
    cw2::set_contract_version(deps.as_mut().storage, "crates.io:cw20-base", "0.1.0").unwrap();
    assert_eq!(
        migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap_err(),
        ContractError::WrongContract("crates.io:cw20-base".into())
    );
    // an unparsable stored version
    cw2::set_contract_version(deps.as_mut().storage, CONTRACT_NAME, "one").unwrap();
    assert!(matches!(
        migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap_err(),
        ContractError::UnparsableVersion { version, .. } if version == "one"
    ));
    // an older version claims the 0.1 layout: a 0.2 store is not one, and
    // the conversion refuses it with a typed error (nothing half-written
    // matters: the transaction fails)
    cw2::set_contract_version(deps.as_mut().storage, CONTRACT_NAME, "0.1.0").unwrap();
    assert!(matches!(
        migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap_err(),
        ContractError::CorruptRecord(_)
    ));
    // nothing stored
    let mut empty = mock_dependencies();
    assert!(matches!(
        migrate(empty.as_mut(), mock_env(), MigrateMsg {}).unwrap_err(),
        ContractError::Std(_)
    ));
}

fn semver_next_patch(v: &str) -> String {
    let mut parts: Vec<u64> = v.split('.').map(|p| p.parse().unwrap()).collect();
    parts[2] += 1;
    format!("{}.{}.{}", parts[0], parts[1], parts[2])
}

#[test]
fn queries_return_typed_errors() {
    let deps = setup(InstantiateMsg {
        initial_model: Some(blob(&cut(7)).into()),
        ..base_msg()
    });
    let score = |f: &[&str]| {
        q::<vigil_guard::msg::ScoreResponse>(
            &deps,
            QueryMsg::Score {
                features: strings(f),
            },
        )
        .unwrap_err()
    };
    assert_eq!(
        score(&["1"]),
        ContractError::FeatureCount {
            expected: 2,
            got: 1
        }
    );
    assert!(matches!(
        score(&["nan", "1"]),
        ContractError::BadNumber { index: 0, .. }
    ));
    assert!(matches!(
        score(&["1", "1e400"]),
        ContractError::BadNumber { index: 1, .. }
    ));
    assert!(matches!(
        score(&["abc", "1"]),
        ContractError::BadNumber { index: 0, .. }
    ));
    let check = q::<vigil_guard::msg::CheckResponse>(
        &deps,
        QueryMsg::Check {
            features: strings(&["1", "x"]),
        },
    )
    .unwrap_err();
    assert!(matches!(check, ContractError::BadNumber { index: 1, .. }));
    assert_eq!(
        q::<vigil_guard::msg::ModelResponse>(&deps, QueryMsg::Model { version: Some(9) })
            .unwrap_err(),
        ContractError::NoSuchVersion(9)
    );
    assert!(matches!(
        q::<vigil_guard::msg::CostResponse>(
            &deps,
            QueryMsg::Cost {
                model: vec![1, 2, 3].into()
            }
        )
        .unwrap_err(),
        ContractError::InvalidModel(_)
    ));
    // no model yet
    let deps = setup(base_msg());
    assert_eq!(
        q::<vigil_guard::msg::CheckResponse>(
            &deps,
            QueryMsg::Check {
                features: strings(&["1", "1"])
            }
        )
        .unwrap_err(),
        ContractError::NoModel
    );
    assert_eq!(
        q::<vigil_guard::msg::ModelResponse>(&deps, QueryMsg::Model { version: None }).unwrap_err(),
        ContractError::NoModel
    );
}

#[test]
fn score_decimal_and_threshold_bits() {
    assert_eq!(score_decimal(0), Decimal::zero());
    assert_eq!(score_decimal(1 << 31), Decimal::one());
    assert_eq!(score_decimal(1 << 30), Decimal::percent(50));
    assert_eq!(score_decimal(1), Decimal::raw(465_661_287)); // 2^-31 rounded down
    for (d, bits) in [
        ("0", 0),
        ("0.5", 1 << 30),
        ("1", 1 << 31),
        ("0.25", 1 << 29),
    ] {
        assert_eq!(threshold_bits(dec(d)), bits, "{d}");
    }
    // the smallest score bits at or above the threshold
    for d in [
        "0.3",
        "0.8",
        "0.999999999999999999",
        "0.000000000000000001",
        "0.1234567",
    ] {
        let d = dec(d);
        let bits = u128::from(threshold_bits(d));
        let a = d.atomics().u128();
        let unit = 1_000_000_000_000_000_000u128;
        assert!(bits * unit >= a << 31, "{d}");
        assert!((bits - 1) * unit < a << 31, "{d}");
    }
    // above 1 saturates at 1
    assert_eq!(threshold_bits(dec("7")), 1 << 31);
    assert_eq!(threshold_bits(Decimal::MAX), 1 << 31);
}

#[test]
fn config_update_json() {
    // absent: keep; null: back to the model's threshold; value: set
    let u: ConfigUpdate = from_json(r#"{}"#).unwrap();
    assert_eq!(u.deny_threshold, None);
    let u: ConfigUpdate = from_json(r#"{"deny_threshold":null}"#).unwrap();
    assert_eq!(u.deny_threshold, Some(None));
    let u: ConfigUpdate = from_json(r#"{"deny_threshold":"0.7"}"#).unwrap();
    assert_eq!(u.deny_threshold, Some(Some(dec("0.7"))));
    // and what Rust clients serialise reads back the same
    for u in [
        ConfigUpdate::default(),
        ConfigUpdate {
            deny_threshold: Some(None),
            ..Default::default()
        },
        ConfigUpdate {
            deny_threshold: Some(Some(dec("0.25"))),
            eval_batch: Some(3),
            ..Default::default()
        },
    ] {
        let json = to_json_string(&u).unwrap();
        assert_eq!(from_json::<ConfigUpdate>(&json).unwrap(), u, "{json}");
    }
    // a misspelt field is an error, not a silent empty update
    let err = from_json::<ConfigUpdate>(r#"{"deny_treshold":"0.5"}"#).unwrap_err();
    assert!(
        err.to_string().contains("unknown field `deny_treshold`"),
        "{err}"
    );
}

#[test]
fn huge_class_ratio_does_not_overflow() {
    let mut deps = setup(InstantiateMsg {
        max_class_ratio: Decimal::MAX,
        initial_test_set: vec![],
        ..base_msg()
    });
    let admin = deps.api.addr_make("admin");
    let samples = (0..6)
        .map(|i| TestSample {
            features: strings(&["1", "2"]),
            label: i < 3,
        })
        .collect();
    execute(
        deps.as_mut(),
        mock_env(),
        message_info(&admin, &[]),
        ExecuteMsg::AddTestSamples { samples },
    )
    .unwrap();
    let c: ConfigResponse = q(&deps, QueryMsg::Config {}).unwrap();
    assert_eq!((c.positives, c.negatives), (3, 3));
}

#[test]
fn huge_bonds_do_not_overflow() {
    // Not reachable with real bank supplies, but the arithmetic must stay
    // total: a bond near u128::MAX with a 100x share, and a payout that
    // would exceed u128::MAX.
    for (reward, bond, vault) in [
        (
            RewardRule::BondShare { share: dec("100") },
            u128::MAX / 2,
            1_000u128,
        ),
        (
            RewardRule::Fixed {
                amount: Uint128::new(500),
            },
            u128::MAX - 10,
            1_000,
        ),
    ] {
        let mut deps = mock_dependencies();
        let admin = deps.api.addr_make("admin");
        instantiate(
            deps.as_mut(),
            mock_env(),
            message_info(&admin, &coins(vault, DENOM)),
            InstantiateMsg {
                reward,
                initial_model: Some(blob(&cut(7)).into()),
                ..base_msg()
            },
        )
        .unwrap();
        let r = propose_response(&mut deps, "alice", &blob(&perfect()), bond).unwrap();
        let CosmosMsg::Bank(BankMsg::Send { amount, .. }) = &r.messages[0].msg else {
            panic!("a payout");
        };
        let paid = amount[0].amount.u128();
        let c: ConfigResponse = q(&deps, QueryMsg::Config {}).unwrap();
        // what left the vault went to the proposer with the whole bond
        assert_eq!(paid - bond, vault - c.vault.u128());
    }
}

#[test]
fn corrupted_models_never_panic() {
    // Flip every bit of a valid blob, reseal its checksum so the structural
    // checks are what is tested, and propose it: refused with a typed error,
    // or a valid model that is evaluated on the test set and decided.
    let mut deps = setup(InstantiateMsg {
        initial_model: Some(blob(&cut(7)).into()),
        ..base_msg()
    });
    let mut accepted_or_rejected = 0;
    let mut refused = 0;
    for good in [blob(&perfect()), blob(&cut(5))] {
        for i in 0..good.len() {
            if format::CHECKSUM.contains(&i) {
                continue;
            }
            for bit in 0..8 {
                let mut b = good.clone();
                b[i] ^= 1 << bit;
                let sum = format::checksum(&b);
                b[format::CHECKSUM].copy_from_slice(&sum);
                match propose(&mut deps, "alice", &b, 1_000) {
                    Ok(()) => accepted_or_rejected += 1,
                    Err(
                        ContractError::InvalidModel(_)
                        | ContractError::FeatureCount { .. }
                        | ContractError::CostOverBudget { .. }
                        | ContractError::CheckGasOverBudget { .. }
                        // a flip that leaves the model's bytes as a stored
                        // version's (e.g. in padding the checksum rehashes)
                        | ContractError::KnownModel { .. },
                    ) => refused += 1,
                    Err(e) => panic!("byte {i} bit {bit}: unexpected {e:?}"),
                }
                // the unsealed flip never passes
                let mut b = good.clone();
                b[i] ^= 1 << bit;
                assert!(matches!(
                    propose(&mut deps, "alice", &b, 1_000),
                    Err(ContractError::InvalidModel(_))
                ));
            }
        }
    }
    // (an undecided proposal would have made the next one fail with
    // ProposalInProgress, an unexpected error above)
    assert!(refused > 0 && accepted_or_rejected > 0);
    // and whatever won still answers
    let _: vigil_guard::msg::CheckResponse = q(
        &deps,
        QueryMsg::Check {
            features: strings(&["3", "-1"]),
        },
    )
    .unwrap();
}

#[test]
fn odd_inputs_never_panic() {
    let deps = setup(InstantiateMsg {
        initial_model: Some(blob(&cut(7)).into()),
        ..base_msg()
    });
    let long_digits = "9".repeat(5_000);
    let long_zeros = format!("0.{}1", "0".repeat(5_000));
    let long_exp = format!("1e{}", "9".repeat(100));
    let neg_exp = format!("1e-{}", "9".repeat(100));
    let odd = [
        "-",
        "+",
        ".",
        "e",
        "-e5",
        "1e+",
        "--1",
        "+-1",
        "0x10",
        "1_000",
        "١",
        "∞",
        "NaN",
        "-nan",
        "1e-400",
        "-0.0",
        "00000",
        "9223372036854775808",
        "-9223372036854775809",
        &long_digits,
        &long_zeros,
        &long_exp,
        &neg_exp,
        "\u{0}",
        "1\n",
    ];
    for a in odd {
        for b in ["0", a] {
            let features = strings(&[a, b]);
            let _ = query(
                deps.as_ref(),
                mock_env(),
                QueryMsg::Score {
                    features: features.clone(),
                },
            );
            let _ = query(deps.as_ref(), mock_env(), QueryMsg::Check { features });
        }
    }
}
