//! The shipped contract, `artifacts/vigil_guard.wasm` (built by
//! `scripts/build-contract.sh`), checked the way a chain checks it on upload
//! and then run the way a chain runs it:
//!
//! * size within the 250 KiB budget (chains accept up to 800 KiB);
//! * cosmwasm-vm 3.0's static validation, as wasmd's `StoreCode` runs it
//!   (`Cache::store_code` with checks: wasm validity with CosmWasm's feature
//!   set, one memory, one bounded table, interface version, required
//!   exports, supported imports, capabilities, function limits), with the
//!   `iterator` capability only, so any CosmWasm chain can take it; the
//!   static analysis must report no other required capability;
//! * our own instruction scan: no float, SIMD, bulk-memory or
//!   reference-types instruction, and no sign-extension instruction either
//!   (wasm-opt lowers both bulk memory and sign-ext to MVP code);
//! * instantiated in cosmwasm-vm (mock API, storage and querier) with a
//!   small logistic-regression guard, then asked `Check` for a benign and an
//!   attack-like transaction: the answers must parse, must agree bit for bit
//!   with the core run natively, and the query's VM gas is reported
//!   (CosmWasm gas, and SDK gas = CosmWasm gas / 140 000, wasmd's multiplier).
//!
//! If the artifact is missing, or older than the sources it is built from,
//! the test builds it by running `scripts/build-contract.sh` (with a target
//! directory of its own, so it never waits on the outer cargo's lock), so
//! `cargo test --workspace` works from a fresh clone.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::SystemTime;

use cosmwasm_vm::testing::{mock_env, mock_info, MockApi, MockQuerier, MockStorage};
use cosmwasm_vm::{
    call_instantiate_raw, call_query_raw, capabilities_from_csv, Backend, Cache, CacheOptions,
    Instance, InstanceOptions, Size,
};
use serde_json::{json, Value};
use vigil_host_tests::{of_category, report, scan, summary, Category};
use vigil_inference_core::float::{
    FloatBody, FloatFeature, FloatLayer, FloatModel, QuantizeOptions,
};
use vigil_inference_core::format::Activation;
use vigil_inference_core::{decimal, Act, Model};
use wasmparser::{Operator, Parser, Payload};

/// The size budget of the shipped contract.
const MAX_BYTES: usize = 250 * 1024;
/// wasmd's default gas multiplier: CosmWasm gas per SDK gas.
const GAS_MULTIPLIER: u64 = 140_000;
/// The capabilities the guard may require: every CosmWasm chain offers
/// `iterator`; asking for nothing else keeps the guard deployable anywhere.
const CAPABILITIES: &str = "iterator";
/// wasmd's default smart-query gas limit (SDK gas).
const QUERY_GAS_LIMIT_SDK: u64 = 3_000_000;
/// A generous execute/instantiate gas limit (SDK gas).
const TX_GAS_LIMIT_SDK: u64 = 50_000_000;

type MockBackend = Backend<MockApi, MockStorage, MockQuerier>;
type MockInstance = Instance<MockApi, MockStorage, MockQuerier>;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host-tests lives inside the workspace")
        .to_path_buf()
}

fn artifact_path() -> PathBuf {
    workspace_root().join("artifacts/vigil_guard.wasm")
}

/// Newest modification time among the files the contract is built from.
fn newest_source(root: &Path) -> Option<SystemTime> {
    fn walk(path: &Path, newest: &mut Option<SystemTime>) {
        let Ok(meta) = std::fs::metadata(path) else {
            return;
        };
        if meta.is_dir() {
            if let Ok(entries) = std::fs::read_dir(path) {
                for entry in entries.flatten() {
                    walk(&entry.path(), newest);
                }
            }
        } else if let Ok(modified) = meta.modified() {
            *newest = Some(newest.map_or(modified, |n| n.max(modified)));
        }
    }
    let mut newest = None;
    for input in [
        "contract/src",
        "contract/Cargo.toml",
        "inference-core/src",
        "inference-core/Cargo.toml",
        "Cargo.toml",
        "Cargo.lock",
        "package-lock.json",
        "scripts/build-contract.sh",
    ] {
        walk(&root.join(input), &mut newest);
    }
    newest
}

/// The artifact's bytes, built first if missing or stale. Once per process.
fn artifact() -> &'static [u8] {
    static WASM: OnceLock<Vec<u8>> = OnceLock::new();
    WASM.get_or_init(|| {
        let root = workspace_root();
        let path = artifact_path();
        let built = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        let reason = match (built, newest_source(&root)) {
            (None, _) => Some("missing"),
            (Some(built), Some(source)) if source > built => Some("older than its sources"),
            _ => None,
        };
        if let Some(reason) = reason {
            let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("contract-wasm");
            eprintln!(
                "{} is {reason}: building it with scripts/build-contract.sh \
                 (CARGO_TARGET_DIR={})",
                path.display(),
                target_dir.display()
            );
            let status = Command::new("bash")
                .arg(root.join("scripts/build-contract.sh"))
                .current_dir(&root)
                .env("CARGO_TARGET_DIR", &target_dir)
                .status()
                .expect("run scripts/build-contract.sh");
            // The script fails on an oversized artifact after writing it;
            // the size test reports that, the others still run.
            if !status.success() {
                eprintln!("scripts/build-contract.sh failed: {status}");
            }
        }
        std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "read {}: {e} (build it with scripts/build-contract.sh)",
                path.display()
            )
        })
    })
}

#[test]
fn artifact_is_within_the_size_budget() {
    let wasm = artifact();
    eprintln!(
        "artifacts/vigil_guard.wasm: {} bytes ({:.1} KiB; budget {} KiB)",
        wasm.len(),
        wasm.len() as f64 / 1024.0,
        MAX_BYTES / 1024
    );
    assert!(
        wasm.len() <= MAX_BYTES,
        "artifacts/vigil_guard.wasm is {} bytes, over the {MAX_BYTES}-byte (250 KiB) budget",
        wasm.len()
    );
}

#[test]
fn artifact_has_no_float_simd_bulk_memory_reference_types_or_sign_ext() {
    let wasm = artifact();
    let findings = scan(wasm).expect("artifact parses");
    eprintln!(
        "artifacts/vigil_guard.wasm: findings per category: {:?}",
        summary(&findings)
    );
    for category in Category::ALL {
        let found = of_category(&findings, category);
        assert!(
            found.is_empty(),
            "{} {category} construct(s) in artifacts/vigil_guard.wasm:\n{}",
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
    assert_eq!(sign_ext, 0, "sign-extension instructions remain");
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
fn artifact_passes_cosmwasm_vm_static_validation() {
    let wasm = artifact();
    let cache = cache("validate");
    // What wasmd's StoreCode does: static checks, compile, persist.
    let checksum = cache
        .store_code(wasm, true, true)
        .unwrap_or_else(|e| panic!("cosmwasm-vm rejects artifacts/vigil_guard.wasm: {e}"));
    let analysis = cache.analyze(&checksum).expect("analyse stored code");
    let entrypoints: Vec<String> = analysis
        .entrypoints
        .iter()
        .map(|e| e.as_ref().to_owned())
        .collect();
    eprintln!(
        "cosmwasm-vm 3.0 static validation passed: checksum {checksum}, entry points \
         {entrypoints:?}, required capabilities {:?}, migrate version {:?}",
        analysis.required_capabilities, analysis.contract_migrate_version
    );
    for required in ["instantiate", "execute", "query", "migrate"] {
        assert!(
            entrypoints.iter().any(|e| e == required),
            "entry point {required} missing: {entrypoints:?}"
        );
    }
    let allowed: BTreeSet<String> = capabilities_from_csv(CAPABILITIES).into_iter().collect();
    assert!(
        analysis.required_capabilities.is_subset(&allowed),
        "the guard requires {:?}; only {allowed:?} is allowed",
        analysis.required_capabilities
    );
    assert!(!analysis.has_ibc_entry_points);
}

/// The default guard of `inference-core/examples/guard.rs`: large borrows,
/// big price impact, brand-new callers and gas spikes raise the score.
fn guard_blob() -> Vec<u8> {
    let log_feature = |mean, std| FloatFeature {
        clip_lo: Some(0.0),
        clip_hi: Some(1e15),
        log1p: true,
        mean,
        std,
    };
    FloatModel {
        threshold: 0.5,
        features: vec![
            log_feature(8.0, 3.0),
            log_feature(2.0, 1.5),
            log_feature(9.0, 3.0),
            log_feature(3.0, 1.0),
        ],
        body: FloatBody::Linear(FloatLayer {
            weights: vec![1.6, 1.3, -1.4, 0.9],
            biases: vec![-2.5],
            activation: Activation::Sigmoid,
        }),
    }
    .quantize(&QuantizeOptions::default())
    .to_bytes()
    .expect("the guard quantises into a valid blob")
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
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

/// The `ok` payload of a raw `ContractResult`, or a panic with its error.
fn contract_ok(raw: &[u8], what: &str) -> Value {
    let result: Value = serde_json::from_slice(raw).expect("ContractResult is JSON");
    match result {
        Value::Object(mut map) if map.contains_key("ok") => map.remove("ok").unwrap(),
        other => panic!("{what} failed: {other}"),
    }
}

fn gas_used(instance: &mut MockInstance) -> u64 {
    let report = instance.create_gas_report();
    report.limit - report.remaining
}

#[test]
fn artifact_instantiates_and_answers_check_in_cosmwasm_vm() {
    let wasm = artifact();
    let cache = cache("run");
    let checksum = cache.store_code(wasm, true, true).expect("store code");
    // A fresh instance per call, as a node does, with the call's gas limit.
    let instance = |backend: MockBackend, gas_limit_sdk: u64| -> MockInstance {
        cache
            .get_instance(
                &checksum,
                backend,
                InstanceOptions {
                    gas_limit: gas_limit_sdk * GAS_MULTIPLIER,
                },
            )
            .expect("instantiate the module")
    };
    let blob = guard_blob();

    let api = MockApi::default();
    let admin = api.addr_make("admin");
    let backend = Backend {
        api,
        storage: MockStorage::default(),
        querier: MockQuerier::new(&[]),
    };
    let env = cosmwasm_vm::to_vec(&mock_env()).expect("env");
    let info = cosmwasm_vm::to_vec(&mock_info(&admin, &[])).expect("info");
    let msg = json!({
        "admin": null,
        "n_features": 4,
        "bond_denom": "uvigil",
        "min_bond": "1000000",
        "reward": "none",
        "max_inference_ops": 1_000_000u64,
        "deny_threshold": null,
        "paused_check": "deny",
        "max_class_ratio": "3",
        "eval_batch": 50,
        "initial_model": base64(&blob),
    });

    let mut vm = instance(backend, TX_GAS_LIMIT_SDK);
    let raw = call_instantiate_raw(&mut vm, &env, &info, msg.to_string().as_bytes())
        .expect("instantiate runs");
    let response = contract_ok(&raw, "instantiate");
    let instantiate_gas = gas_used(&mut vm);
    eprintln!(
        "instantiate (with a {}-byte model): {instantiate_gas} CosmWasm gas = {} SDK gas; \
         attributes {}",
        blob.len(),
        instantiate_gas / GAS_MULTIPLIER,
        response["attributes"]
    );
    let mut backend = vm.recycle().expect("backend back from the instance");

    // A benign transfer and a flash-loan-shaped attack (inputs as decimal
    // strings, as a calling contract passes them).
    let cases: [(&str, [&str; 4], bool); 2] = [
        ("benign", ["250.00", "3", "1500000", "12.5"], true),
        ("attack", ["15605352.04", "2400", "2", "300"], false),
    ];
    for (name, features, expect_allow) in cases {
        let query = json!({ "check": { "features": features } });
        let mut vm = instance(backend, QUERY_GAS_LIMIT_SDK);
        let raw = call_query_raw(&mut vm, &env, query.to_string().as_bytes()).expect("query runs");
        let gas = gas_used(&mut vm);
        let report = vm.create_gas_report();
        backend = vm.recycle().expect("backend back from the instance");

        let answer_b64 = contract_ok(&raw, "check query");
        let answer_bytes = decode_base64(answer_b64.as_str().expect("query answer is base64"));
        let answer: Value = serde_json::from_slice(&answer_bytes).expect("CheckResponse is JSON");
        eprintln!(
            "Check ({name}): {answer}\n  VM gas: {gas} CosmWasm gas (internal {}, external {}) \
             = {} SDK gas",
            report.used_internally,
            report.used_externally,
            gas / GAS_MULTIPLIER
        );

        let expected = score_decimal_string(native_score_bits(&blob, &features));
        assert_eq!(
            answer["score"],
            json!(expected),
            "{name}: chain and native scores differ"
        );
        assert_eq!(answer["allow"], json!(expect_allow), "{name}: allow");
        assert_eq!(answer["threshold"], json!("0.5"), "{name}: threshold");
        assert_eq!(answer["model_version"], json!(1), "{name}: model_version");
        assert_eq!(answer["paused"], json!(false), "{name}: paused");
        assert!(gas > 0 && gas < QUERY_GAS_LIMIT_SDK * GAS_MULTIPLIER);
    }
}

fn decode_base64(s: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let bytes: Vec<u8> = s.bytes().filter(|&c| c != b'=').collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &c)| n | (value(c) << (18 - 6 * i)));
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

#[test]
fn base64_round_trips() {
    for len in 0..10 {
        let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
        assert_eq!(decode_base64(&base64(&bytes)), bytes);
    }
    assert_eq!(base64(b"Man"), "TWFu");
    assert_eq!(base64(b"Ma"), "TWE=");
    assert_eq!(base64(b"M"), "TQ==");
}
