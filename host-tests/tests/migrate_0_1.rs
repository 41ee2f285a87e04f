//! Migration of a real 0.1 store: the 0.1.0 artifact
//! (`fixtures/vigil_guard-0.1.0.wasm`, its checksum verified) instantiated
//! in cosmwasm-vm with a model, test samples, an accepted, a rejected and
//! an open proposal (mid-evaluation, its candidate blob two storage values
//! long) and a funded vault; then migrated as wasmd's `MigrateContract`
//! does: the shipped guard (`artifacts/vigil_guard.wasm`) refuses it (a
//! single contract's store holds the governance), and so does the shipped
//! governor (`artifacts/vigil_governor.wasm`, which leaves the 0.1
//! converter out), both with nothing changed; the upgrade build
//! (`artifacts/vigil_governor_from_0_1.wasm`, `scripts/build-contract.sh
//! --from-0-1`) converts it to the governor's store (cw2 name
//! `crates.io:vigil-governor`), and the contract then moves to the shipped
//! governor. A guard is then instantiated naming it, with its settings,
//! and bound (`BindGuard`): it answers `Check` with the migrated active
//! model.
//! Every model version, sample, proposal, bond and the vault survive: the
//! answers before and after are compared field by field (`Check` asked of
//! the old contract, then of the new guard), and the open proposal,
//! finished on the new code, ends as it ends on the old one, with the same
//! payouts.
//!
//! ```text
//! cargo test -p host-tests --test migrate_0_1 -- --nocapture
//! ```

use std::path::Path;
use std::sync::OnceLock;

use serde_json::{json, Value};
use vigil_chain_sim::split::{self, GOVERNOR, GUARD};
use vigil_chain_sim::{artifact, Chain, WasmdGas};
use vigil_guard_api::guard_msg::{GuardConfigResponse, GuardInstantiateMsg, GuardQueryMsg};
use vigil_guard_api::msg::{
    ConfigResponse, ExecuteMsg, InstantiateMsg, Margin, Margins, MigrateMsg, ModelBlobResponse,
    ModelResponse, PausedCheck, ProposalStatus, ProposalsResponse, QueryMsg, RewardRule,
    TestSample, TestSetResponse,
};
use vigil_host_tests::models::{mlp, Prep, Rng};
use vigil_inference_core::float::{
    FloatBody, FloatFeature, FloatLayer, FloatModel, QuantizeOptions,
};
use vigil_inference_core::format::Activation;

const DENOM: &str = "uvgl";
const LIMIT: u64 = 1_000_000_000;

/// The 0.1.0 artifact, checked against its committed checksum.
fn old_wasm() -> Vec<u8> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let wasm = std::fs::read(dir.join("vigil_guard-0.1.0.wasm")).expect("the 0.1.0 fixture");
    let sums = std::fs::read_to_string(dir.join("vigil_guard-0.1.0.wasm.sha256")).unwrap();
    let want = sums.split_whitespace().next().unwrap();
    assert_eq!(
        artifact::sha256_hex(&wasm),
        want,
        "the 0.1.0 fixture changed"
    );
    wasm
}

fn target_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("contract-wasm")
}

/// The shipped governor, built first if missing or stale.
fn new_wasm() -> &'static [u8] {
    static WASM: OnceLock<Vec<u8>> = OnceLock::new();
    WASM.get_or_init(|| {
        artifact::load_governor(&vigil_host_tests::artifact_root(), &target_dir())
            .unwrap_or_else(|e| panic!("{e}"))
    })
}

/// The shipped guard, built first if missing or stale.
fn guard_wasm() -> &'static [u8] {
    static WASM: OnceLock<Vec<u8>> = OnceLock::new();
    WASM.get_or_init(|| {
        artifact::load(&vigil_host_tests::artifact_root(), &target_dir())
            .unwrap_or_else(|e| panic!("{e}"))
    })
}

/// The upgrade build for a 0.1 single contract, built first if missing or
/// stale.
fn upgrade_wasm() -> &'static [u8] {
    static WASM: OnceLock<Vec<u8>> = OnceLock::new();
    WASM.get_or_init(|| {
        artifact::load_from_0_1(&vigil_host_tests::artifact_root(), &target_dir())
            .unwrap_or_else(|e| panic!("{e}"))
    })
}

/// A 0.1 single contract migrated to this code: refused by the shipped
/// guard and the shipped governor (nothing changed), converted by the
/// upgrade build, then moved to the shipped governor; a guard is then
/// instantiated naming it (its settings) and bound. Returns the
/// conversion's outcome.
fn upgrade(chain: &mut Chain) -> vigil_chain_sim::Outcome {
    let records = chain.storage().records().clone();
    let err = chain
        .migrate(guard_wasm(), &MigrateMsg {}, LIMIT)
        .result
        .unwrap_err();
    assert!(
        err.contains("cannot migrate from contract crates.io:vigil-guard"),
        "{err}"
    );
    assert_eq!(chain.storage().records(), &records);
    let err = chain
        .migrate(new_wasm(), &MigrateMsg {}, LIMIT)
        .result
        .unwrap_err();
    assert!(err.contains("0.1 store layout"), "{err}");
    assert_eq!(chain.storage().records(), &records);
    let outcome = chain.migrate(upgrade_wasm(), &MigrateMsg {}, LIMIT);
    if outcome.result.is_ok() {
        chain
            .migrate(new_wasm(), &MigrateMsg {}, LIMIT)
            .result
            .expect("the same version, on the shipped code");
        add_guard(chain);
    }
    outcome
}

/// A guard for the migrated governor: instantiated by the admin with the
/// governor's settings, then bound, which installs the active model.
fn add_guard(chain: &mut Chain) {
    split::add_guard(chain, guard_wasm()).expect("the chain stores the guard");
    let admin = chain.addr("admin");
    let config: ConfigResponse = chain.query(&QueryMsg::Config {}).parse().unwrap();
    // The guard applies n_features, its budgets and paused_check, but
    // validates the whole of `Settings`: the 0.1 store's margins (precision
    // min_gain 0 < tolerance 0.05, which 0.2 refuses for new settings) are
    // the governor's, kept by the migration; the guard gets valid ones.
    let settings = vigil_guard_api::Settings {
        margins: Margins::default(),
        ..config.settings()
    };
    let msg = GuardInstantiateMsg {
        admin: None,
        governor: chain.address(GOVERNOR).to_owned(),
        settings,
        change_delay: None,
    };
    chain
        .instantiate_on(GUARD, &admin, &[], &msg, LIMIT)
        .expect("instantiate the guard");
    let bind = split::bind(chain, &admin, LIMIT);
    println!("BindGuard on the migrated governor: {:?}", bind.gas);
    bind.expect("bind the guard");
    let guard: GuardConfigResponse = split::query_guard(chain, &GuardQueryMsg::Config {})
        .parse()
        .unwrap();
    assert_eq!(guard.governor, chain.address(GOVERNOR));
    assert_eq!(guard.active_version, config.active_version);
    assert_eq!(guard.install_sequence, 1);
}

/// `answers`' checks without the data envelope's report (new in 0.2),
/// and which of them were outside the envelope.
fn checks_and_envelope(answers: &Value) -> (Vec<Value>, Vec<u64>) {
    let mut outside = Vec::new();
    let checks = answers["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let mut c = c.clone();
            let o = c.as_object_mut().unwrap();
            let count = o.remove("out_of_envelope").unwrap().as_u64().unwrap();
            o.remove("out_of_envelope_features").unwrap();
            outside.push(count);
            c
        })
        .collect();
    (checks, outside)
}

fn logistic(weights: &[f64], bias: f64) -> FloatModel {
    FloatModel {
        threshold: 0.5,
        features: vec![FloatFeature::IDENTITY; weights.len()],
        body: FloatBody::Linear(FloatLayer {
            weights: weights.to_vec(),
            biases: vec![bias],
            activation: Activation::Sigmoid,
        }),
    }
}

fn blob(m: &FloatModel) -> Vec<u8> {
    m.quantize(&QuantizeOptions::default()).to_bytes().unwrap()
}

/// Twelve samples on x0 = 1..=12, classes interleaved (the class-balance
/// rule checks each against those before it).
fn test_set() -> Vec<TestSample> {
    const LABELS: [bool; 12] = [
        false, false, false, false, true, false, true, false, true, true, true, true,
    ];
    let x1 = |i: usize, label: bool| {
        let pos = ["1.5", "2.25", "0.75", "3", "1.125", "0.5"];
        let neg = ["-1.5", "-0.25", "-2", "-0.875", "-3.0625", "-1"];
        if label { pos[i % 6] } else { neg[i % 6] }.to_string()
    };
    let sample = |i: usize| TestSample {
        features: vec![(i + 1).to_string(), x1(i, LABELS[i])],
        label: LABELS[i],
    };
    let (pos, neg): (Vec<usize>, Vec<usize>) = (0..12).partition(|&i| LABELS[i]);
    neg.into_iter()
        .zip(pos)
        .flat_map(|(n, p)| [sample(n), sample(p)])
        .collect()
}

const PEOPLE: [&str; 5] = ["admin", "bob", "carol", "dave", "funder"];

/// The 0.1 guard in every state a store can hold.
fn old_guard(dir: &Path) -> Chain {
    let mut chain = Chain::new(&old_wasm(), dir, WasmdGas::DEFAULT).expect("0.1 stores");
    for p in PEOPLE {
        let a = chain.addr(p);
        chain.mint(&a, DENOM, 1_000_000);
    }
    let [admin, bob, carol, dave, funder] = PEOPLE.map(|p| chain.addr(p));
    let cut7 = blob(&logistic(&[2.0, 0.0], 1.0 - 14.0));
    let perfect = blob(&logistic(&[0.0, 2.0], 0.0));
    let inverse = blob(&logistic(&[0.0, -2.0], 0.0));
    let big = blob(&mlp(
        &mut Rng::new(7),
        &[2, 512, 256, 1],
        Prep::Plain,
        Activation::Relu,
        Activation::Sigmoid,
    ));
    assert!(big.len() > 128 * 1024, "the candidate spans two records");
    let margin = |min_gain: &str, tolerance: &str| Margin {
        min_gain: min_gain.parse().unwrap(),
        tolerance: tolerance.parse().unwrap(),
    };
    let init = InstantiateMsg {
        admin: None,
        n_features: 2,
        bond_denom: DENOM.into(),
        min_bond: 1_000u128.into(),
        margins: Margins {
            accuracy: margin("0", "0"),
            f1: margin("0.01", "0"),
            precision: margin("0", "0.05"),
            recall: margin("0", "0"),
        },
        reward: RewardRule::Fixed {
            amount: 500u128.into(),
        },
        max_inference_ops: 5_000_000,
        max_check_gas: 100_000,
        deny_threshold: Some("0.6".parse().unwrap()),
        paused_check: PausedCheck::Deny,
        max_class_ratio: "3".parse().unwrap(),
        eval_batch: 4,
        stall_blocks: vigil_guard_api::settings::DEFAULT_STALL_BLOCKS,
        stall_fee: vigil_guard_api::settings::DEFAULT_STALL_FEE,
        envelope_margin: vigil_guard_api::settings::default_envelope_margin(),
        reveal_delay: vigil_guard_api::settings::DEFAULT_REVEAL_DELAY,
        activation_delay: 0,
        guardian: None,
        governance_delay: 0,
        curator: None,
        initial_model: Some(cut7.into()),
        initial_test_set: test_set(),
    };
    chain
        .instantiate(&admin, &[(DENOM, 10_000)], &init, LIMIT)
        .expect("instantiate");
    chain
        .execute(&funder, &[(DENOM, 2_000)], &ExecuteMsg::Fund {}, LIMIT)
        .expect("fund");
    // The 0.1 contract's message (0.2 proposes by commit and reveal).
    let propose = |model: &[u8]| serde_json::json!({ "propose_model": { "model": cosmwasm_std::Binary::from(model) } });
    let cont = |id| ExecuteMsg::ContinueEvaluation { proposal_id: id };
    // 1: accepted as v2. 2: rejected. 3: open after its first step.
    chain
        .execute(&bob, &[(DENOM, 1_000)], &propose(&perfect), LIMIT)
        .expect("propose 1");
    for _ in 0..2 {
        chain
            .execute(&dave, &[], &cont(1), LIMIT)
            .expect("continue 1");
    }
    chain
        .execute(&carol, &[(DENOM, 1_500)], &propose(&inverse), LIMIT)
        .expect("propose 2");
    for _ in 0..2 {
        chain
            .execute(&dave, &[], &cont(2), LIMIT)
            .expect("continue 2");
    }
    chain
        .execute(&dave, &[(DENOM, 2_500)], &propose(&big), LIMIT)
        .expect("propose 3");
    chain
}

/// A `Proposals` answer without the fields 0.2 added (`threshold`,
/// `threshold_bits`, `deny_threshold`).
fn without_thresholds(proposals: &Value) -> Value {
    let mut v = proposals.clone();
    for p in v["proposals"].as_array_mut().unwrap() {
        let p = p.as_object_mut().unwrap();
        for k in [
            "threshold",
            "threshold_bits",
            "deny_threshold",
            "stall_blocks",
            "stall_fee",
            "last_step_height",
            "closable_at",
            "commitment",
            "committed_at",
            "reveal_from",
            "activation_delay",
            "activate_at",
            "guardian",
            "reward_withheld",
            "same_predictions_as",
            "disagreements",
            "disagreement_ids",
        ] {
            p.remove(k);
        }
    }
    v
}

/// Everything a client can read of a guard, as JSON: `Check` of the guard
/// once there is one (else of the single contract), the rest of the
/// governor (or the single contract).
fn answers(chain: &mut Chain) -> Value {
    let checker = if chain.contracts().count() > 1 {
        GUARD
    } else {
        GOVERNOR
    };
    let checks: Vec<Value> = [
        ["3", "-1"],
        ["9", "1"],
        ["8", "-1"],
        ["1", "2"],
        ["-15605352.04", "0.000001"],
    ]
    .iter()
    .map(|f| {
        let check = QueryMsg::Check {
            features: f.iter().map(|s| s.to_string()).collect(),
        };
        chain.query_on(checker, &check).result.expect("check")
    })
    .collect();
    let mut q = |m: QueryMsg| chain.query(&m).result.expect("query");
    json!({
        "config": q(QueryMsg::Config {}),
        "model_1": q(QueryMsg::Model { version: Some(1) }),
        "model_2": q(QueryMsg::Model { version: None }),
        "test_set": q(QueryMsg::TestSet { start_after: None, limit: Some(100) }),
        "proposals": q(QueryMsg::Proposals { start_after: None, limit: None }),
        "checks": checks,
    })
}

fn balances(chain: &Chain) -> Vec<u128> {
    let mut out: Vec<u128> = PEOPLE
        .iter()
        .map(|p| chain.balance(&chain.addr(p), DENOM))
        .collect();
    out.push(chain.balance(chain.contract(), DENOM));
    out
}

/// A model's record without the fields 0.2 replaced (0.1's
/// `inference_sdk_gas`; 0.2's `cosmwasm_units` and `check_gas`).
fn common_model_fields(v: &Value) -> Value {
    let mut v = v.clone();
    let o = v.as_object_mut().unwrap();
    for k in ["inference_sdk_gas", "cosmwasm_units", "check_gas"] {
        o.remove(k);
    }
    v
}

/// The first contract's cw2 record: its name and version.
fn cw2(chain: &Chain) -> (String, String) {
    let record = chain
        .storage()
        .records()
        .get(&b"contract_info"[..])
        .expect("cw2 record");
    let v: Value = serde_json::from_slice(record).unwrap();
    let text = |k: &str| v[k].as_str().unwrap().to_string();
    (text("contract"), text("version"))
}

#[test]
fn a_0_1_store_survives_migration_to_this_code() {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let mut chain = old_guard(&tmp.join("migrate-0.1-a"));
    assert_eq!(
        cw2(&chain),
        ("crates.io:vigil-guard".into(), "0.1.0".into())
    );
    let before = answers(&mut chain);
    let money = balances(&chain);
    let records_before = chain.storage().records().len();

    let outcome = upgrade(&mut chain);
    let gas = outcome.gas;
    outcome.result.expect("migrate");
    println!(
        "migrated {records_before} records from 0.1.0 to {:?}: {} SDK gas (storage {}, compute {})",
        cw2(&chain),
        gas.total(),
        gas.storage,
        gas.compute
    );
    assert_eq!(
        cw2(&chain),
        (
            "crates.io:vigil-governor".into(),
            env!("CARGO_PKG_VERSION").into()
        )
    );
    let after = answers(&mut chain);

    // Configuration, vault included: identical.
    // Configuration, vault included: identical but for `max_check_gas`,
    // new in 0.2 (four times the largest stored model's Check bound above
    // setup, at least 100,000).
    let mut after_config = after["config"].clone();
    let max_check_gas = after_config
        .as_object_mut()
        .unwrap()
        .remove("max_check_gas")
        .unwrap();
    assert_eq!(max_check_gas.as_u64(), Some(100_000));
    // So are the stall settings: their defaults.
    let obj = after_config.as_object_mut().unwrap();
    assert_eq!(obj.remove("stall_blocks").unwrap().as_u64(), Some(600));
    assert_eq!(obj.remove("stall_fee").unwrap().as_str(), Some("0.05"));
    // And the data envelope: on, at the default margin.
    assert_eq!(
        obj.remove("envelope_margin").unwrap().as_str(),
        Some("0.05")
    );
    // And the commit-reveal, activation and governance settings.
    assert_eq!(obj.remove("reveal_delay").unwrap().as_u64(), Some(10));
    for k in ["activation_delay", "governance_delay"] {
        assert_eq!(obj.remove(k).unwrap().as_u64(), Some(0), "{k}");
    }
    assert!(obj.remove("guardian").unwrap().is_null());
    // The guard bound after the migration.
    assert_eq!(
        obj.remove("guard").unwrap().as_str(),
        Some(chain.address(GUARD))
    );
    assert!(obj.remove("curator").unwrap().is_null());
    assert_eq!(after_config, before["config"]);
    let config: ConfigResponse = serde_json::from_value(after["config"].clone()).unwrap();
    assert_eq!(config.vault.u128(), 10_000 + 2_000 + 1_500 - 500);
    assert_eq!(config.active_version, 2);
    // Every model version: the same record, and the blob behind it.
    for (key, version) in [("model_1", 1), ("model_2", 2)] {
        assert_eq!(
            common_model_fields(&after[key]),
            common_model_fields(&before[key]),
            "{key}"
        );
        let info: ModelResponse = serde_json::from_value(after[key].clone()).unwrap();
        assert!(info.cosmwasm_units >= info.cost_ops && info.check_gas.storage > 0);
        let chunk: ModelBlobResponse = chain
            .query(&QueryMsg::ModelBlob {
                version: Some(version),
                chunk: None,
            })
            .parse()
            .expect("model_blob");
        assert_eq!((chunk.chunks, chunk.size), (1, info.size));
        let model = vigil_inference_core::Model::parse(chunk.data.as_slice()).expect("the blob");
        let checksum: String = model
            .checksum()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(checksum, info.hash);
    }
    // Every sample, every proposal, every answer to Check.
    assert_eq!(after["test_set"], before["test_set"]);
    let samples: TestSetResponse = serde_json::from_value(after["test_set"].clone()).unwrap();
    assert_eq!(samples.samples.len(), 12);
    // Proposals: identical but for the threshold and stall fields, new in
    // 0.2 (judged at each model's own, as 0.1 judged; no stall fee).
    assert_eq!(without_thresholds(&after["proposals"]), before["proposals"]);
    let proposals: ProposalsResponse = serde_json::from_value(after["proposals"].clone()).unwrap();
    let statuses: Vec<_> = proposals
        .proposals
        .iter()
        .map(|p| p.status.clone())
        .collect();
    assert_eq!(
        statuses,
        [
            ProposalStatus::Accepted,
            ProposalStatus::Rejected,
            ProposalStatus::Evaluating
        ]
    );
    assert_eq!(proposals.proposals[2].evaluated, 4);
    // Check: as 0.1 answered, for every input inside the data envelope the
    // conversion derived from the stored test set; the one far outside it
    // (x0 = -15605352.04, the test set's x0 is 1..=12) is clamped and
    // reported.
    let (checks, outside) = checks_and_envelope(&after);
    assert_eq!(outside, [0, 0, 0, 0, 1]);
    for (k, (a, b)) in checks
        .iter()
        .zip(before["checks"].as_array().unwrap())
        .enumerate()
    {
        if outside[k] == 0 {
            assert_eq!(a, b, "check {k}");
        }
    }
    // No coin moved.
    assert_eq!(balances(&chain), money);

    // The open proposal, finished on the new code, ends as on the old code.
    let mut reference = old_guard(&tmp.join("migrate-0.1-b"));
    let dave = chain.addr("dave");
    for c in [&mut chain, &mut reference] {
        for _ in 0..2 {
            c.execute(
                &dave,
                &[],
                &ExecuteMsg::ContinueEvaluation { proposal_id: 3 },
                LIMIT,
            )
            .expect("continue 3");
        }
    }
    let finished = |c: &mut Chain| {
        c.query(&QueryMsg::Proposals {
            start_after: Some(2),
            limit: None,
        })
        .result
        .expect("proposals")
    };
    let (new_end, old_end) = (finished(&mut chain), finished(&mut reference));
    assert_eq!(without_thresholds(&new_end), old_end);
    assert_ne!(new_end["proposals"][0]["status"], "evaluating");
    assert_eq!(balances(&chain), balances(&reference));
    let vault = |c: &mut Chain| c.query(&QueryMsg::Config {}).result.unwrap()["vault"].clone();
    assert_eq!(vault(&mut chain), vault(&mut reference));
    // No 0.1 record is left behind under a key the new code does not use.
    let leftovers: Vec<String> = chain
        .storage()
        .records()
        .keys()
        .filter(|k| k.starts_with(b"info") || k.starts_with(b"prop"))
        .map(|k| String::from_utf8_lossy(k).into_owned())
        .collect();
    assert!(leftovers.is_empty(), "0.1 records left: {leftovers:?}");
}

#[test]
fn migrating_back_to_0_1_is_refused_and_changes_nothing() {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let mut chain = old_guard(&tmp.join("migrate-0.1-c"));
    upgrade(&mut chain).result.expect("migrate");
    let before = answers(&mut chain);
    let records = chain.storage().records().clone();
    // The same code again: a no-op.
    chain
        .migrate(new_wasm(), &MigrateMsg {}, LIMIT)
        .result
        .expect("same version");
    assert_eq!(chain.storage().records(), &records);
    // The 0.1 code refuses the governor's store (another contract name,
    // before any version is compared), and the state stays.
    let err = chain
        .migrate(&old_wasm(), &MigrateMsg {}, LIMIT)
        .result
        .unwrap_err();
    assert!(
        err.contains("cannot migrate from contract crates.io:vigil-governor"),
        "{err}"
    );
    assert_eq!(chain.storage().records(), &records);
    assert_eq!(answers(&mut chain), before);
}
