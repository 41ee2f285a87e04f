//! Three engines, one answer: for every model and input below, the score
//! bits and label must be identical on
//!
//! 1. **native**: the core on the host (`Model::parse` + `infer`, and
//!    `explain` for explainable models, which must agree with `infer`);
//! 2. **wasmtime**: the core compiled to wasm as shipped (the shim,
//!    `vigil_infer`: parse with checksum, then infer), run by wasmtime;
//! 3. **contract**: the shipped guard `artifacts/vigil_guard.wasm` under
//!    cosmwasm-vm 3.0 (`vigil_chain_sim::Chain`), the model installed by
//!    its governor (`artifacts/vigil_governor.wasm`, instantiated with it),
//!    and asked the `Score` query, whose `score_bits` is exact. The
//!    contract parses the decimal strings itself, so its decimal parser is
//!    held to the native one too.
//!
//! The inputs:
//!
//! * the committed golden vectors (`host-tests/golden/vectors.json`, every
//!   family), which must also be current: the test fails when
//!   `vigil_host_tests::golden::document()` no longer reproduces the file
//!   byte for byte (regenerate with `cargo run -p host-tests --bin
//!   golden-vectors`, then `cargo run -p vigil-web --example fixtures --
//!   --refresh-golden` for the browser package, and review the diff);
//! * proptest-generated models of every family (`models::random_model`, each
//!   family drawn equally often) with proptest-generated decimal inputs
//!   (plain, exponent notation, full-range integers);
//! * every row of the eth-fraud test set (`../shared/datasets/eth-fraud/
//!   test.csv` beside the workspace, or `$VIGIL_ETH_FRAUD_DIR`; read in
//!   place, never copied), scored by a logistic regression trained here on
//!   its `train.csv` with the core's float API. Skipped, with a notice, when
//!   the data set is absent.
//!
//! A failure names the model, the row and the three values.
//!
//! Each contract query runs on a fresh cosmwasm-vm instance, as a node runs
//! it.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use cosmwasm_std::{Decimal, Uint128};
use proptest::prelude::*;
use serde_json::Value;
use vigil_chain_sim::split::{self, GUARD};
use vigil_chain_sim::Chain;
use vigil_guard_api::msg::{
    InstantiateMsg, Margins, PausedCheck, QueryMsg, RewardRule, ScoreResponse,
};
use vigil_host_tests::fuel::{Export, Meter, Runner, VIGIL_ERROR};
use vigil_host_tests::golden;
use vigil_host_tests::models::{self, Rng};
use vigil_host_tests::shim::{build_shim, nested_target_dir, workspace_root};
use vigil_inference_core::float::{FloatBody, FloatFeature, FloatLayer, FloatModel};
use vigil_inference_core::format::Activation;
use vigil_inference_core::Model;

/// A generous instantiate gas limit (SDK gas).
const TX_GAS_LIMIT_SDK: u64 = 50_000_000;

/// One engine's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Bits {
    score_bits: u32,
    label: bool,
}

impl std::fmt::Display for Bits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "score_bits {} label {}", self.score_bits, self.label)
    }
}

fn show(r: &Result<Bits, String>) -> String {
    match r {
        Ok(b) => b.to_string(),
        Err(e) => format!("error ({e})"),
    }
}

/// The shim built as shipped, in the nested target directory the
/// instruction scan and the cost-bound test use, compiled once.
fn meter() -> &'static Meter {
    static METER: OnceLock<Meter> = OnceLock::new();
    METER.get_or_init(|| {
        let dir = nested_target_dir(env!("CARGO_TARGET_TMPDIR"), "host-tests-wasm");
        let wasm = build_shim(&dir, &[]).unwrap_or_else(|e| panic!("{e}"));
        Meter::new(&wasm).expect("the shim compiles under wasmtime")
    })
}

/// The shipped contract, stored once on one simulated chain (built first
/// if missing or stale, as `contract_artifact` does).
fn chain() -> MutexGuard<'static, Chain> {
    static CHAIN: OnceLock<Mutex<Chain>> = OnceLock::new();
    CHAIN
        .get_or_init(|| {
            let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("contract-wasm");
            let artifacts =
                vigil_host_tests::Artifacts::load(&target_dir).unwrap_or_else(|e| panic!("{e}"));
            let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cosmwasm-cache-bit-exact");
            Mutex::new(artifacts.chain(&dir).expect("the chain stores the codes"))
        })
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// Engine 1: the core on the host.
fn native(model: &Model<'_>, inputs: &[String]) -> Result<Bits, String> {
    let e = golden::expect(model, inputs)?;
    Ok(Bits {
        score_bits: e.score_bits,
        label: e.label,
    })
}

/// Engine 2: the shim under wasmtime (inputs parsed on the host: the shim
/// takes `Wide` bits).
fn wasmtime(
    run: &mut Runner,
    blob: &[u8],
    scratch: usize,
    inputs: &[String],
) -> Result<Bits, String> {
    let wide = golden::parse_inputs(inputs)?;
    let m = run
        .measure(Export::Infer, blob, &wide, scratch)
        .map_err(|e| e.to_string())?;
    if m.result == VIGIL_ERROR {
        return Err("vigil_infer failed".into());
    }
    Ok(Bits {
        score_bits: m.result as u32,
        label: (m.result >> 32) & 1 == 1,
    })
}

/// Engine 3, set-up: a new governor and guard whose active model is
/// `blob` (installed on the guard by `BindGuard`).
fn install(chain: &mut Chain, blob: &[u8], n_features: usize) -> Result<(), String> {
    chain.reset();
    let admin = chain.addr("admin");
    let msg = InstantiateMsg {
        admin: None,
        n_features: u16::try_from(n_features).map_err(|e| e.to_string())?,
        bond_denom: "uvigil".into(),
        min_bond: Uint128::new(1_000_000),
        margins: Margins::default(),
        reward: RewardRule::None,
        max_inference_ops: 1_000_000_000_000,
        max_check_gas: u64::MAX,
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
        initial_model: Some(blob.to_vec().into()),
        initial_test_set: Vec::new(),
    };
    split::deploy(chain, &admin, &[], &msg, TX_GAS_LIMIT_SDK).map(|_| ())
}

/// Engine 3: the contract's `Score` query.
fn contract(chain: &mut Chain, inputs: &[String]) -> Result<Bits, String> {
    let answer: ScoreResponse = chain
        .query_on(
            GUARD,
            &QueryMsg::Score {
                features: inputs.to_vec(),
            },
        )
        .parse()?;
    Ok(Bits {
        score_bits: answer.score_bits,
        label: answer.label,
    })
}

/// Compares the engines on one row; `Err` names the model, the row and
/// every value.
fn compare(
    model: &str,
    row: &str,
    expected: Option<Bits>,
    native: &Result<Bits, String>,
    wasm: &Result<Bits, String>,
    contract: &Result<Bits, String>,
) -> Result<(), String> {
    let agree = native.is_ok()
        && native.as_ref().ok() == wasm.as_ref().ok()
        && contract.as_ref().ok() == native.as_ref().ok()
        && expected.is_none_or(|e| native.as_ref().ok() == Some(&e));
    if agree {
        return Ok(());
    }
    let mut msg = format!(
        "model {model}, row {row}: native {}, wasmtime {}, contract {}",
        show(native),
        show(wasm),
        show(contract)
    );
    if let Some(e) = expected {
        msg.push_str(&format!(", golden file {e}"));
    }
    Err(msg)
}

/// Runs `rows` of one model through the three engines and returns the
/// failures.
fn run_model(
    run: &mut Runner,
    name: &str,
    blob: &[u8],
    rows: &[(String, Vec<String>, Option<Bits>)],
) -> Vec<String> {
    let model = match Model::parse(blob) {
        Ok(m) => m,
        Err(e) => return vec![format!("model {name}: does not parse: {e}")],
    };
    let mut chain = chain();
    if let Err(e) = install(&mut chain, blob, model.n_features()) {
        return vec![format!(
            "model {name} ({} bytes): the contract refuses it: {e}",
            blob.len()
        )];
    }
    let mut failures = Vec::new();
    for (row, inputs, expected) in rows {
        let n = native(&model, inputs);
        let w = wasmtime(run, blob, model.scratch_len(), inputs);
        let c = contract(&mut chain, inputs);
        if let Err(e) = compare(name, row, *expected, &n, &w, &c) {
            failures.push(e);
        }
    }
    failures
}

#[test]
fn golden_vectors_file_is_current() {
    let doc = golden::document().unwrap_or_else(|e| panic!("{e}"));
    let want = golden::render(&doc);
    let path = golden::path();
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    if have != want {
        let first = have
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(have.lines().count().min(want.lines().count()));
        panic!(
            "{} is stale (first difference at line {}): regenerate with `{}`, then \
             `cargo run -p vigil-web --example fixtures -- --refresh-golden`, and review the diff",
            path.display(),
            first + 1,
            golden::REGENERATE
        );
    }
}

#[test]
fn golden_vectors_are_bit_exact_on_three_engines() {
    let start = Instant::now();
    let doc = golden::load().unwrap_or_else(|e| panic!("{e}"));
    let mut run = meter().runner().expect("the shim instantiates");
    let mut failures = Vec::new();
    let mut cases = 0;
    for m in doc["models"].as_array().expect("models") {
        let name = m["name"].as_str().expect("name");
        let blob = chain_b64(m["blob_base64"].as_str().expect("blob"));
        let rows: Vec<(String, Vec<String>, Option<Bits>)> = m["cases"]
            .as_array()
            .expect("cases")
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let inputs = strings(&c["inputs"]);
                let expected = Bits {
                    score_bits: c["score_bits"].as_u64().expect("score_bits") as u32,
                    label: c["label"].as_bool().expect("label"),
                };
                (format!("case {i} {inputs:?}"), inputs, Some(expected))
            })
            .collect();
        cases += rows.len();
        failures.extend(run_model(&mut run, name, &blob, &rows));
    }
    eprintln!(
        "golden vectors: {} models, {cases} cases, each on all three engines, in {:.1?}",
        doc["models"].as_array().map_or(0, Vec::len),
        start.elapsed()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn chain_b64(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .expect("base64 blob")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("a list of strings")
        .iter()
        .map(|s| s.as_str().expect("a string").to_owned())
        .collect()
}

/// A decimal input as a caller may write it.
fn decimal() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_owned()),
        // Up to 12 significant digits, 1e-19 to 1e15.
        (any::<bool>(), 0u64..1_000_000_000_000, -19i32..=3)
            .prop_map(|(neg, m, e)| golden::place(neg, m, e)),
        // Full-range integers (|v| < 2^63: inside `Wide`).
        any::<i64>().prop_map(|v| v.to_string()),
        // Rust's shortest round-trip form of an f64.
        (-1e15f64..1e15).prop_map(|v| format!("{v}")),
        // Exponent notation.
        (any::<bool>(), 1u64..100_000, -12i32..=10)
            .prop_map(|(neg, m, e)| format!("{}{m}e{e}", if neg { "-" } else { "" })),
    ]
}

/// A random model of family `family` (`0..5`: linear, MLP, GBDT, random
/// forest, isolation forest), drawn with `models::random_model` from
/// `seed`: its description, blob and feature count.
fn generated(family: usize, seed: u64) -> (String, Vec<u8>, usize) {
    const FAMILIES: [&str; 5] = ["linear", "mlp", "gbdt", "random-forest", "isolation-forest"];
    let mut rng = Rng::new(seed);
    loop {
        let (name, m, o) = models::random_model(&mut rng);
        if m.family().name() == FAMILIES[family] {
            let n = m.features.len();
            return (format!("{name} (seed {seed})"), models::blob(&m, &o), n);
        }
    }
}

/// Proptest cases: each is a model, a contract instantiation and one to
/// four rows on every engine.
const GENERATED_CASES: u32 = 256;

#[test]
fn generated_models_are_bit_exact_on_three_engines() {
    use proptest::test_runner::{Config, TestCaseError, TestRunner};
    use std::cell::Cell;

    let start = Instant::now();
    let strategy = (0usize..5, any::<u64>()).prop_flat_map(|(family, seed)| {
        let (name, blob, n) = generated(family, seed);
        let rows = prop::collection::vec(prop::collection::vec(decimal(), n), 1..=4);
        (Just(name), Just(blob), rows)
    });
    let run = std::cell::RefCell::new(meter().runner().expect("the shim instantiates"));
    let (models, rows_run, largest) = (Cell::new(0), Cell::new(0), Cell::new(0));
    let mut runner = TestRunner::new(Config {
        cases: GENERATED_CASES,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&strategy, |(name, blob, rows)| {
        let rows: Vec<(String, Vec<String>, Option<Bits>)> = rows
            .into_iter()
            .enumerate()
            .map(|(i, inputs)| (format!("{i} {inputs:?}"), inputs, None))
            .collect();
        let failures = run_model(&mut run.borrow_mut(), &name, &blob, &rows);
        models.set(models.get() + 1);
        rows_run.set(rows_run.get() + rows.len());
        largest.set(largest.get().max(blob.len()));
        if failures.is_empty() {
            Ok(())
        } else {
            Err(TestCaseError::fail(failures.join("\n")))
        }
    });
    eprintln!(
        "generated models: {} models (every family equally likely, blobs up to {} bytes), {} \
         rows, each on all three engines, in {:.1?}",
        models.get(),
        largest.get(),
        rows_run.get(),
        start.elapsed()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// The eth-fraud data set: `$VIGIL_ETH_FRAUD_DIR`, else
/// `../shared/datasets/eth-fraud` beside the workspace.
fn eth_fraud_dir() -> PathBuf {
    std::env::var_os("VIGIL_ETH_FRAUD_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            workspace_root()
                .parent()
                .expect("the workspace has a parent directory")
                .join("shared/datasets/eth-fraud")
        })
}

/// A labelled CSV: the raw cells of every row (all columns but `label`,
/// which must be last) and the labels.
fn read_csv(path: &Path) -> (Vec<Vec<String>>, Vec<bool>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    assert_eq!(
        header.last(),
        Some(&"label"),
        "{}: label is not the last column",
        path.display()
    );
    let n = header.len() - 1;
    let (mut rows, mut labels) = (Vec::new(), Vec::new());
    for (i, line) in lines.filter(|l| !l.is_empty()).enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(
            cells.len(),
            n + 1,
            "{} row {i}: {} cells",
            path.display(),
            cells.len()
        );
        rows.push(cells[..n].iter().map(|c| (*c).to_owned()).collect());
        labels.push(cells[n] == "1");
    }
    (rows, labels)
}

/// A logistic regression on signed-log1p, standardised features, fitted by
/// full-batch gradient descent with a small L2 penalty (200 steps).
fn train_logistic(rows: &[Vec<String>], labels: &[bool]) -> FloatModel {
    let n = rows[0].len();
    let z: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| {
                    let v: f64 = c.parse().expect("a number");
                    v.signum() * v.abs().ln_1p()
                })
                .collect()
        })
        .collect();
    let count = rows.len() as f64;
    let mean: Vec<f64> = (0..n)
        .map(|j| z.iter().map(|r| r[j]).sum::<f64>() / count)
        .collect();
    let std: Vec<f64> = (0..n)
        .map(|j| {
            let var = z.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / count;
            if var > 1e-12 {
                var.sqrt()
            } else {
                1.0
            }
        })
        .collect();
    let x: Vec<Vec<f64>> = z
        .iter()
        .map(|r| (0..n).map(|j| (r[j] - mean[j]) / std[j]).collect())
        .collect();
    let (mut w, mut b) = (vec![0.0; n], 0.0);
    for _ in 0..200 {
        let mut gw = vec![0.0; n];
        let mut gb = 0.0;
        for (xi, &y) in x.iter().zip(labels) {
            let logit = b + xi.iter().zip(&w).map(|(a, c)| a * c).sum::<f64>();
            let d = 1.0 / (1.0 + (-logit).exp()) - f64::from(u8::from(y));
            gb += d;
            for j in 0..n {
                gw[j] += d * xi[j];
            }
        }
        for j in 0..n {
            w[j] -= 0.5 * (gw[j] / count + 1e-3 * w[j]);
        }
        b -= 0.5 * gb / count;
    }
    FloatModel {
        threshold: 0.5,
        features: (0..n)
            .map(|j| FloatFeature {
                clip_lo: None,
                clip_hi: None,
                log1p: true,
                mean: mean[j],
                std: std[j],
            })
            .collect(),
        body: FloatBody::Linear(FloatLayer {
            weights: w,
            biases: vec![b],
            activation: Activation::Sigmoid,
        }),
    }
}

#[test]
fn eth_fraud_test_set_is_bit_exact_on_three_engines() {
    let dir = eth_fraud_dir();
    let (train, test) = (dir.join("train.csv"), dir.join("test.csv"));
    if !train.is_file() || !test.is_file() {
        eprintln!(
            "note: eth-fraud data not found at {} (set VIGIL_ETH_FRAUD_DIR): its part of the \
             bit-exactness check is skipped",
            dir.display()
        );
        return;
    }
    let start = Instant::now();
    let (train_rows, train_labels) = read_csv(&train);
    let (rows, labels) = read_csv(&test);
    let model = train_logistic(&train_rows, &train_labels);
    let blob = models::blob(
        &model,
        &vigil_inference_core::float::QuantizeOptions::default(),
    );
    let trained = start.elapsed();

    let rows: Vec<(String, Vec<String>, Option<Bits>)> = rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| (format!("test.csv row {}", i + 1), r, None))
        .collect();
    let mut run = meter().runner().expect("the shim instantiates");
    let failures = run_model(&mut run, "eth-fraud logistic", &blob, &rows);
    let correct = {
        let m = Model::parse(&blob).expect("parses");
        rows.iter()
            .zip(&labels)
            .filter(|((_, inputs, _), &y)| native(&m, inputs).map(|b| b.label) == Ok(y))
            .count()
    };
    eprintln!(
        "eth-fraud: logistic regression trained on {} rows in {trained:.1?} ({} bytes, \
         test accuracy {:.3}); {} test rows, each on all three engines, in {:.1?}",
        train_rows.len(),
        blob.len(),
        correct as f64 / rows.len() as f64,
        rows.len(),
        start.elapsed() - trained
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
