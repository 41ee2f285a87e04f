//! The shipped contracts, `artifacts/vigil_guard.wasm` and
//! `artifacts/vigil_governor.wasm` (built by `scripts/build-contract.sh`,
//! `--governor`), each checked the way a chain checks it on upload and then
//! run the way a chain runs them:
//!
//! * sizes within their budgets: the guard 400 KiB, the governor 512 KiB
//!   (what chains accept; it is on no integrator's path);
//! * cosmwasm-vm 3.0's static validation, as wasmd's `StoreCode` runs it
//!   (`Cache::store_code` with checks: wasm validity with CosmWasm's feature
//!   set, one memory, one bounded table, interface version, required
//!   exports, supported imports, capabilities, function limits), with the
//!   `iterator` capability only, so any CosmWasm chain can take it; the
//!   static analysis must report no other required capability;
//! * our own instruction scan: no float, SIMD, bulk-memory or
//!   reference-types instruction, and no sign-extension instruction either
//!   (wasm-opt lowers both bulk memory and sign-ext to MVP code);
//! * deployed on a simulated wasmd chain (`vigil_chain_sim`: cosmwasm-vm
//!   with wasmd's KV gas): the governor instantiated with a small
//!   logistic-regression model, the guard naming it, `BindGuard`
//!   installing the model on the guard; then the guard asked `Check` for a
//!   benign and an attack-like transaction:
//!   the answers must parse, must agree bit for bit with the core run
//!   natively, and must read exactly one record; the gas is reported.
//!
//! If the artifact is missing, or older than the sources it is built from,
//! the test builds it by running `scripts/build-contract.sh` (with a target
//! directory of its own, so it never waits on the outer cargo's lock), so
//! `cargo test --workspace` works from a fresh clone.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::OnceLock;

use cosmwasm_std::{Decimal, Uint128};
use cosmwasm_vm::testing::{MockApi, MockQuerier, MockStorage};
use cosmwasm_vm::{capabilities_from_csv, Cache, CacheOptions, Size};
use vigil_chain_sim::split::{self, GUARD};
use vigil_chain_sim::{WasmdGas, CAPABILITIES};
use vigil_guard_api::msg::{
    CheckResponse, InstantiateMsg, Margins, PausedCheck, QueryMsg, RewardRule,
};
use vigil_host_tests::{of_category, report, scan, summary, Artifacts, Category};
use vigil_inference_core::float::QuantizeOptions;
use vigil_inference_core::{decimal, Act, Model};
use wasmparser::{Operator, Parser, Payload};

/// The size budget of the guard.
const MAX_BYTES: usize = 400 * 1024;
/// The governor's budget (`scripts/build-contract.sh --governor`).
const GOVERNOR_MAX_BYTES: usize = 512 * 1024;
/// A generous execute/instantiate gas limit (SDK gas).
const TX_GAS_LIMIT_SDK: u64 = 50_000_000;

/// Both artifacts' bytes, built first if missing or stale. Once per
/// process.
fn artifacts() -> &'static Artifacts {
    static WASM: OnceLock<Artifacts> = OnceLock::new();
    WASM.get_or_init(|| {
        let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("contract-wasm");
        Artifacts::load(&target_dir).unwrap_or_else(|e| panic!("{e}"))
    })
}

/// Each artifact: its name, bytes and size budget.
fn each() -> [(&'static str, &'static [u8], usize); 2] {
    let a = artifacts();
    [
        ("artifacts/vigil_guard.wasm", &a.guard, MAX_BYTES),
        (
            "artifacts/vigil_governor.wasm",
            &a.governor,
            GOVERNOR_MAX_BYTES,
        ),
    ]
}

#[test]
fn artifacts_are_within_their_size_budgets() {
    for (name, wasm, budget) in each() {
        eprintln!(
            "{name}: {} bytes ({:.1} KiB; budget {} KiB)",
            wasm.len(),
            wasm.len() as f64 / 1024.0,
            budget / 1024
        );
        assert!(
            wasm.len() <= budget,
            "{name} is {} bytes, over its {budget}-byte budget",
            wasm.len()
        );
    }
}

#[test]
fn artifacts_have_no_float_simd_bulk_memory_reference_types_or_sign_ext() {
    for (name, wasm, _) in each() {
        no_forbidden_instructions(name, wasm);
    }
}

fn no_forbidden_instructions(name: &str, wasm: &[u8]) {
    let findings = scan(wasm).expect("artifact parses");
    eprintln!("{name}: findings per category: {:?}", summary(&findings));
    for category in Category::ALL {
        let found = of_category(&findings, category);
        assert!(
            found.is_empty(),
            "{} {category} construct(s) in {name}:\n{}",
            found.len(),
            report(&found, 50)
        );
    }

    // Sign extension: accepted by cosmwasm-vm 3 but not by older VMs; the
    // build lowers it, so none may remain.
    let mut sign_ext = 0usize;
    for payload in Parser::new(0).parse_all(wasm) {
        if let Payload::CodeSectionEntry(body) = payload.expect("artifact parses") {
            for op in body.get_operators_reader().expect("code parses") {
                if matches!(
                    op.expect("code parses"),
                    Operator::I32Extend8S
                        | Operator::I32Extend16S
                        | Operator::I64Extend8S
                        | Operator::I64Extend16S
                        | Operator::I64Extend32S
                ) {
                    sign_ext += 1;
                }
            }
        }
    }
    assert_eq!(sign_ext, 0, "{name}: sign-extension instructions remain");
}

/// A cache like a node's, with the given capabilities, in a fresh directory.
fn cache(name: &str) -> Cache<MockApi, MockStorage, MockQuerier> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cosmwasm-cache-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    let options = CacheOptions::new(
        dir,
        capabilities_from_csv(CAPABILITIES),
        Size::mebi(64),
        Size::mebi(32),
    );
    // SAFETY: the cache directory is ours alone (a fresh directory per
    // test), which is what `Cache::new` requires.
    unsafe { Cache::new(options) }.expect("create cosmwasm-vm cache")
}

#[test]
fn artifacts_pass_cosmwasm_vm_static_validation() {
    let cache = cache("validate");
    for (name, wasm, _) in each() {
        validate(&cache, name, wasm);
    }
}

fn validate(cache: &Cache<MockApi, MockStorage, MockQuerier>, name: &str, wasm: &[u8]) {
    // What wasmd's StoreCode does: static checks, compile, persist.
    let checksum = cache
        .store_code(wasm, true, true)
        .unwrap_or_else(|e| panic!("cosmwasm-vm rejects {name}: {e}"));
    let analysis = cache.analyze(&checksum).expect("analyse stored code");
    let entrypoints: Vec<String> = analysis
        .entrypoints
        .iter()
        .map(|e| e.as_ref().to_owned())
        .collect();
    eprintln!(
        "{name}: cosmwasm-vm 3.0 static validation passed: checksum {checksum}, entry points \
         {entrypoints:?}, required capabilities {:?}, migrate version {:?}",
        analysis.required_capabilities, analysis.contract_migrate_version
    );
    for required in ["instantiate", "execute", "query", "migrate"] {
        assert!(
            entrypoints.iter().any(|e| e == required),
            "{name}: entry point {required} missing: {entrypoints:?}"
        );
    }
    let allowed: BTreeSet<String> = capabilities_from_csv(CAPABILITIES).into_iter().collect();
    assert!(
        analysis.required_capabilities.is_subset(&allowed),
        "{name} requires {:?}; only {allowed:?} is allowed",
        analysis.required_capabilities
    );
    assert!(!analysis.has_ibc_entry_points);
}

/// The default guard of `inference-core/examples/guard.rs`, quantised.
fn guard_blob() -> Vec<u8> {
    vigil_host_tests::golden::default_guard()
        .quantize(&QuantizeOptions::default())
        .to_bytes()
        .expect("the guard quantises into a valid blob")
}

/// A score's exact bits as cosmwasm-std's `Decimal` prints them (rounded
/// down to 18 decimals, trailing zeros trimmed): the contract's encoding.
fn score_decimal_string(bits: u32) -> String {
    const ONE: u128 = 1_000_000_000_000_000_000;
    let atomics = (u128::from(bits) * ONE) >> 31;
    let (int, frac) = (atomics / ONE, atomics % ONE);
    if frac == 0 {
        return int.to_string();
    }
    let frac = format!("{frac:018}");
    format!("{int}.{}", frac.trim_end_matches('0'))
}

/// The core's score for `features`, run natively.
fn native_score_bits(blob: &[u8], features: &[&str]) -> u32 {
    let model = Model::parse(blob).expect("blob parses");
    let inputs: Vec<_> = features
        .iter()
        .map(|s| decimal::parse(s).expect("decimal input"))
        .collect();
    let mut scratch = vec![Act::ZERO; model.scratch_len()];
    model
        .infer(&inputs, &mut scratch)
        .expect("inference")
        .score
        .to_bits()
}

#[test]
fn artifacts_deploy_and_the_guard_answers_check_in_cosmwasm_vm() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cosmwasm-cache-run");
    let mut chain = artifacts().chain(&dir).expect("the chain stores the codes");
    let blob = guard_blob();
    let admin = chain.addr("admin");
    let msg = InstantiateMsg {
        admin: None,
        n_features: 4,
        bond_denom: "uvigil".into(),
        min_bond: Uint128::new(1_000_000),
        margins: Margins::default(),
        reward: RewardRule::None,
        max_inference_ops: 1_000_000,
        max_check_gas: 100_000,
        deny_threshold: None,
        paused_check: PausedCheck::Deny,
        max_class_ratio: Decimal::from_ratio(3u32, 1u32),
        eval_batch: 50,
        stall_blocks: vigil_guard_api::settings::DEFAULT_STALL_BLOCKS,
        stall_fee: vigil_guard_api::settings::DEFAULT_STALL_FEE,
        envelope_margin: vigil_guard_api::settings::default_envelope_margin(),
        reveal_delay: vigil_guard_api::settings::DEFAULT_REVEAL_DELAY,
        activation_delay: 0,
        guardian: None,
        governance_delay: 0,
        curator: None,
        initial_model: Some(blob.clone().into()),
        initial_test_set: Vec::new(),
    };
    let deployed = split::deploy(&mut chain, &admin, &[], &msg, TX_GAS_LIMIT_SDK)
        .unwrap_or_else(|e| panic!("{e}"));
    for (what, gas) in [
        ("the governor's instantiate", deployed.governor),
        ("the guard's instantiate", deployed.guard),
        ("BindGuard", deployed.bind),
    ] {
        eprintln!(
            "{what} (with a {}-byte model): {gas:?} = {} SDK gas",
            blob.len(),
            gas.total()
        );
        assert!(gas.kv.writes > 0 && gas.storage > 0 && gas.compute > 0);
    }
    // BindGuard installed the model on the guard in the same transaction.
    assert_eq!(deployed.bind.sub.calls, 1);

    // A benign transfer and a flash-loan-shaped attack (inputs as decimal
    // strings, as a calling contract passes them).
    let cases: [(&str, [&str; 4], bool); 2] = [
        ("benign", ["250.00", "3", "1500000", "12.5"], true),
        ("attack", ["15605352.04", "2400", "2", "300"], false),
    ];
    for (name, features, expect_allow) in cases {
        let outcome = chain.query_on(
            GUARD,
            &QueryMsg::Check {
                features: features.iter().map(|f| f.to_string()).collect(),
            },
        );
        let gas = outcome.gas;
        let answer: CheckResponse = outcome.expect_parsed("check query");
        eprintln!(
            "Check ({name}): {answer:?}\n  {gas:?} = {} SDK gas",
            gas.total()
        );

        let expected = score_decimal_string(native_score_bits(&blob, &features));
        assert_eq!(
            answer.score.to_string(),
            expected,
            "{name}: chain and native scores differ"
        );
        assert_eq!(answer.allow, expect_allow, "{name}: allow");
        assert_eq!(answer.threshold, Decimal::percent(50), "{name}: threshold");
        assert_eq!(answer.model_version, 1, "{name}: model_version");
        assert!(!answer.paused, "{name}: paused");
        // Check reads exactly two records: the active model and the data
        // envelope (absent here: no test set).
        assert_eq!(gas.kv.reads, 2, "{name}: Check reads two records");
        assert_eq!(gas.kv.writes, 0, "{name}: a query writes nothing");
        assert!(gas.total() < WasmdGas::DEFAULT.query_limit);
    }
}
