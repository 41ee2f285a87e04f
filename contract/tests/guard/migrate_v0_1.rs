//! A real 0.1.0 store (`host-tests/fixtures/store-0.1.0.json`: every record
//! of a 0.1.0 guard run in cosmwasm-vm, with that contract's own answers)
//! loaded into `MockStorage`, migrated, and queried: everything survives,
//! and the open proposal carries on to its decision.
use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env};
use cosmwasm_std::{from_json, Addr, BankMsg, CosmosMsg, Order, Storage};
use serde_json::{json, Value};
use vigil_guard::contract::{execute, migrate, query, CONTRACT_NAME, CONTRACT_VERSION};
use vigil_guard::msg::{
    ConfigResponse, ExecuteMsg, MigrateMsg, ModelBlobResponse, ModelResponse, ProposalStatus,
    ProposalsResponse, QueryMsg,
};

const FIXTURE: &str = include_str!("../../../host-tests/fixtures/store-0.1.0.json");

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap()
}

#[test]
fn a_0_1_store_survives_migration() {
    let fixture: Value = serde_json::from_str(FIXTURE).unwrap();
    let expect = &fixture["expect"];
    let mut deps = mock_dependencies();
    for record in fixture["records"].as_array().unwrap() {
        let key = unhex(record[0].as_str().unwrap());
        let value = unhex(record[1].as_str().unwrap());
        deps.storage.set(&key, &value);
    }
    assert_eq!(
        cw2::get_contract_version(&deps.storage).unwrap().version,
        "0.1.0"
    );
    let before: Vec<(Vec<u8>, Vec<u8>)> =
        deps.storage.range(None, None, Order::Ascending).collect();

    let r = migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
    let attr = |k: &str| {
        r.attributes
            .iter()
            .find(|a| a.key == k)
            .map(|a| a.value.clone())
    };
    assert_eq!(attr("from_version").as_deref(), Some("0.1.0"));
    assert_eq!(attr("converted_models").as_deref(), Some("2"));
    assert_eq!(attr("converted_proposals").as_deref(), Some("3"));
    let cw2 = cw2::get_contract_version(&deps.storage).unwrap();
    assert_eq!(
        (cw2.contract.as_str(), cw2.version.as_str()),
        (CONTRACT_NAME, CONTRACT_VERSION)
    );
    // No 0.1 record whose key changed is left behind; the raw records the
    // 0.2 layout keeps (active, blobs, candidate, samples) are untouched.
    for (k, v) in &before {
        if k.starts_with(b"info") || k.starts_with(b"prop") {
            assert_eq!(deps.storage.get(k), None, "{k:?}");
        } else if k.starts_with(b"active") && k != b"active_version"
            || k.starts_with(b"blob")
            || k.starts_with(b"cand")
            || k.starts_with(b"ts")
        {
            assert_eq!(deps.storage.get(k).as_ref(), Some(v), "{k:?}");
        }
    }

    let q = |deps: &cosmwasm_std::OwnedDeps<_, _, _>, msg: QueryMsg| -> Value {
        from_json(query(deps.as_ref(), mock_env(), msg).unwrap()).unwrap()
    };
    // Config, vault, test-set bookkeeping: as the 0.1 contract answered.
    // (max_check_gas is new in 0.2: four times the largest stored model's
    // quoted Check bound, at least the floor.)
    let mut config = q(&deps, QueryMsg::Config {});
    let max_check_gas = config
        .as_object_mut()
        .unwrap()
        .remove("max_check_gas")
        .unwrap();
    assert_eq!(
        max_check_gas.as_u64(),
        Some(vigil_guard::migrate::MIGRATED_MAX_CHECK_GAS_FLOOR)
    );
    // The stall settings are new too: the defaults.
    let obj = config.as_object_mut().unwrap();
    assert_eq!(obj.remove("stall_blocks").unwrap().as_u64(), Some(600));
    assert_eq!(obj.remove("stall_fee").unwrap().as_str(), Some("0.05"));
    // So is the data envelope: on, with the default margin.
    assert_eq!(
        obj.remove("envelope_margin").unwrap().as_str(),
        Some("0.05")
    );
    // And the commit-reveal, activation and governance settings: as 0.1
    // behaved (no delay, no guardian), a default reveal delay.
    assert_eq!(obj.remove("reveal_delay").unwrap().as_u64(), Some(10));
    assert_eq!(obj.remove("activation_delay").unwrap().as_u64(), Some(0));
    assert_eq!(obj.remove("governance_delay").unwrap().as_u64(), Some(0));
    assert!(obj.remove("guardian").unwrap().is_null());
    assert!(obj.remove("curator").unwrap().is_null());
    // Not bound to a guard yet (the split: `BindGuard` after migrating).
    assert!(obj.remove("guard").unwrap().is_null());
    assert_eq!(config, expect["config"]);
    // Samples, byte for byte.
    assert_eq!(
        q(
            &deps,
            QueryMsg::TestSet {
                start_after: None,
                limit: Some(100)
            }
        ),
        expect["test_set"]
    );
    // Proposals: the accepted, the rejected, and the open one (bond,
    // cursor, counts).
    // (The threshold fields are new in 0.2: judged at each model's own,
    // as 0.1 judged, known where the candidate's blob is left: the accepted
    // and the open one.)
    let mut proposals = q(
        &deps,
        QueryMsg::Proposals {
            start_after: None,
            limit: None,
        },
    );
    let mut known = vec![];
    // (So are the stall fields: 0.1 proposals keep no fee, get the default
    // window, counted from the migration's block.)
    let height = mock_env().block.height;
    let mut closable = vec![];
    for p in proposals["proposals"].as_array_mut().unwrap() {
        let p = p.as_object_mut().unwrap();
        assert_eq!(p.remove("stall_blocks").unwrap().as_u64(), Some(600));
        assert_eq!(p.remove("stall_fee").unwrap().as_str(), Some("0"));
        assert_eq!(p.remove("last_step_height").unwrap().as_u64(), Some(height));
        closable.push(p.remove("closable_at").unwrap().as_u64());
        assert_eq!(p.remove("deny_threshold"), Some(Value::Null));
        // Proposed directly, before commit-reveal: no commitment, no
        // activation delay or guardian.
        assert_eq!(p.remove("commitment").unwrap().as_str(), Some(""));
        for (k, v) in [
            ("committed_at", json!(0)),
            ("reveal_from", Value::Null),
            ("activation_delay", json!(0)),
            ("activate_at", Value::Null),
            ("guardian", Value::Null),
            ("reward_withheld", json!(false)),
            ("same_predictions_as", Value::Null),
            ("disagreements", json!(0)),
            ("disagreement_ids", json!([])),
        ] {
            assert_eq!(p.remove(k), Some(v), "{k}");
        }
        p.remove("threshold");
        known.push(!p.remove("threshold_bits").unwrap().is_null());
    }
    assert_eq!(known, [true, false, true]);
    assert_eq!(closable, [None, None, Some(height + 600)]);
    assert_eq!(proposals, expect["proposals"]);
    // Models: every 0.1 field but the SDK gas estimate, which 0.2 replaces
    // with the cosmwasm units and the Check bound.
    for (version, key) in [(1, "model_1"), (2, "model_2")] {
        let got: ModelResponse = from_json(
            query(
                deps.as_ref(),
                mock_env(),
                QueryMsg::Model {
                    version: Some(version),
                },
            )
            .unwrap(),
        )
        .unwrap();
        let mut got = json(&got);
        let units = got["cosmwasm_units"].as_u64().unwrap();
        assert!(units > got["cost_ops"].as_u64().unwrap());
        assert!(got["check_gas"]["compute"].as_u64().unwrap() > 0);
        let mut want = expect[key].clone();
        for k in ["cosmwasm_units", "check_gas"] {
            got.as_object_mut().unwrap().remove(k);
        }
        want.as_object_mut().unwrap().remove("inference_sdk_gas");
        assert_eq!(got, want, "{key}");
        // The blob, through ModelBlob, hashes to the model's hash.
        let chunk: ModelBlobResponse = from_json(
            query(
                deps.as_ref(),
                mock_env(),
                QueryMsg::ModelBlob {
                    version: Some(version),
                    chunk: None,
                },
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(
            chunk.data.to_vec(),
            unhex(
                fixture["blobs_hex"][format!("v{version}")]
                    .as_str()
                    .unwrap()
            )
        );
        assert_eq!(chunk.chunks, 1);
        assert_eq!(Value::String(chunk.hash), expect[key]["hash"]);
    }
    // Check answers as the 0.1 contract did for every input inside the
    // data envelope the migration derived from the stored test set; one
    // outside it is clamped and reported.
    let admin = Addr::unchecked(fixture["addresses"]["admin"].as_str().unwrap());
    let checks = expect["checks"].as_array().unwrap();
    let mut outside = 0;
    for c in checks {
        let features: Vec<String> = serde_json::from_value(c["features"].clone()).unwrap();
        let mut answer = q(&deps, QueryMsg::Check { features });
        let obj = answer.as_object_mut().unwrap();
        let count = obj.remove("out_of_envelope").unwrap().as_u64().unwrap();
        let listed = obj.remove("out_of_envelope_features").unwrap();
        assert_eq!(listed.as_array().unwrap().len() as u64, count, "{c}");
        if count == 0 {
            assert_eq!(answer, c["answer"], "{c}");
        } else {
            outside += 1;
        }
    }
    assert!(
        outside < checks.len(),
        "some checks are inside the envelope"
    );
    // The open proposal (a two-record candidate) carries on to its
    // decision, and its bond is accounted for.
    let anyone = Addr::unchecked(fixture["addresses"]["bob"].as_str().unwrap());
    let mut last = None;
    for _ in 0..10 {
        let r = execute(
            deps.as_mut(),
            mock_env(),
            message_info(&anyone, &[]),
            ExecuteMsg::ContinueEvaluation { proposal_id: 3 },
        )
        .unwrap();
        let proposals: ProposalsResponse = from_json(
            query(
                deps.as_ref(),
                mock_env(),
                QueryMsg::Proposals {
                    start_after: Some(2),
                    limit: None,
                },
            )
            .unwrap(),
        )
        .unwrap();
        let p = proposals.proposals[0].clone();
        if p.status != ProposalStatus::Evaluating {
            last = Some((p, r));
            break;
        }
    }
    let (p, r) = last.expect("decided");
    assert_eq!(p.evaluated, 12);
    // The candidate (x0 >= 1-ish: everything positive) loses to the
    // perfect incumbent: its 2,500 bond goes to the vault.
    assert_eq!(p.status, ProposalStatus::Rejected);
    assert!(r.messages.is_empty());
    let c: ConfigResponse =
        from_json(query(deps.as_ref(), mock_env(), QueryMsg::Config {}).unwrap()).unwrap();
    assert_eq!(c.vault.u128(), 13_000 + 2_500);
    // ... the whole contract balance (15,500) is now the vault.
    assert_eq!(
        expect["bank_balances_uvgl"]["contract"].as_str().unwrap(),
        c.vault.to_string()
    );
    // Its candidate records are gone.
    assert_eq!(deps.storage.get(b"cand\0\0\0\0\0\0\0\x03"), None);
    assert!(!matches!(
        r.messages.first().map(|m| &m.msg),
        Some(CosmosMsg::Bank(BankMsg::Send { .. }))
    ));

    // Migrating again is a no-op.
    let again = migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
    assert!(again.attributes.iter().all(|a| a.key != "converted_models"));
    // With the envelope off, every Check answers as 0.1 did.
    let off = ExecuteMsg::UpdateConfig(vigil_guard::msg::ConfigUpdate {
        envelope_margin: Some(None),
        // (A migrated store's lax margins must be brought within the rule
        // by the next update.)
        margins: Some(Default::default()),
        ..Default::default()
    });
    execute(deps.as_mut(), mock_env(), message_info(&admin, &[]), off).unwrap();
    for c in checks {
        let features: Vec<String> = serde_json::from_value(c["features"].clone()).unwrap();
        let mut answer = q(&deps, QueryMsg::Check { features });
        let obj = answer.as_object_mut().unwrap();
        assert_eq!(obj.remove("out_of_envelope"), Some(Value::from(0)), "{c}");
        assert_eq!(
            answer
                .as_object_mut()
                .unwrap()
                .remove("out_of_envelope_features"),
            Some(Value::Array(vec![]))
        );
        assert_eq!(answer, c["answer"], "{c}");
    }
}
