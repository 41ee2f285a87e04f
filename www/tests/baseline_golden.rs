//! The baselines' golden vectors (`www/fixtures/baseline-golden.json`) are
//! what the core's `baseline` module derives now, and the package's
//! `Baselines` (the browser engine's, here built natively) gives exactly
//! them from the same strings JavaScript passes. The Node and Chromium
//! tests (`www/test/baseline.test.mjs`, `www/test/browser.test.mjs`) hold
//! the wasm to the same file.
//!
//! If the core's derivation changes on purpose, regenerate with `cargo run
//! -p vigil-web --example baseline-golden` and review the diff.
use std::path::Path;

use serde_json::Value;
use vigil_inference_core::baseline::{
    self, Params, DERIVED_FEATURES, DERIVED_NAMES, ONE, RATIO_LIMIT, SHARE_LIMIT, Z_LIMIT,
};
use vigil_inference_core::decimal;
use vigil_web::baseline::Baselines;

#[path = "../tools/baseline_golden.rs"]
mod baseline_golden;

fn committed() -> (String, Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(baseline_golden::PATH);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (text, doc)
}

const REGENERATE: &str =
    "regenerate with `cargo run -p vigil-web --example baseline-golden` if intended";

#[test]
fn the_committed_file_is_what_the_core_derives_now() {
    let (text, doc) = committed();
    let now = baseline_golden::generate();
    for (have, want) in doc["logs"]
        .as_array()
        .expect("logs")
        .iter()
        .zip(now["logs"].as_array().unwrap())
    {
        let name = &want["name"];
        assert_eq!(
            have["params"], want["params"],
            "{name}: params; {REGENERATE}"
        );
        let (h, w) = (
            have["actions"].as_array().unwrap(),
            want["actions"].as_array().unwrap(),
        );
        assert_eq!(h.len(), w.len(), "{name}: action count; {REGENERATE}");
        for (i, (h, w)) in h.iter().zip(w).enumerate() {
            assert_eq!(
                h, w,
                "{name}: action {i} differs from the core; {REGENERATE}"
            );
        }
    }
    assert_eq!(doc, now, "{REGENERATE}");
    assert_eq!(
        text,
        baseline_golden::render(&now),
        "formatting; {REGENERATE}"
    );
}

/// The rows of every log.
struct Row {
    kind: usize,
    height: u64,
    value: u128,
    total_value: u128,
    price: u128,
    caller: String,
    paid: bool,
    derived: [i64; DERIVED_FEATURES],
}

fn logs() -> Vec<(Params, usize, Vec<Row>)> {
    let (_, doc) = committed();
    let s = |v: &Value| v.as_str().expect("string").to_string();
    doc["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|log| {
            let p = &log["params"];
            let max_rise = p["max_rise_q16"].as_u64().unwrap() as u32;
            let params = Params {
                window_blocks: p["window_blocks"].as_u64().unwrap(),
                alpha_shift: p["alpha_shift"].as_u64().unwrap() as u8,
                max_rise,
                warmup_windows: p["warmup_windows"].as_u64().unwrap() as u32,
            };
            let kinds = log["kinds"].as_array().unwrap().len();
            let callers: Vec<String> = log["callers"].as_array().unwrap().iter().map(s).collect();
            let rows = log["actions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    let mut derived = [0; DERIVED_FEATURES];
                    for (d, v) in derived.iter_mut().zip(r[7].as_array().unwrap()) {
                        *d = v.as_i64().unwrap();
                    }
                    let amount = |v: &Value| v.as_str().unwrap_or("0").parse::<u128>().unwrap();
                    Row {
                        kind: r[0].as_u64().unwrap() as usize,
                        height: r[1].as_str().unwrap().parse().unwrap(),
                        value: amount(&r[2]),
                        total_value: amount(&r[3]),
                        price: amount(&r[4]),
                        caller: callers[r[5].as_u64().unwrap() as usize].clone(),
                        paid: r[6].as_bool().unwrap(),
                        derived,
                    }
                })
                .collect();
            (params, kinds, rows)
        })
        .collect()
}

#[test]
fn the_packages_baselines_give_the_golden_features() {
    let mut n = 0;
    for (params, kinds, rows) in logs() {
        let mut b = Baselines::create(params, kinds).unwrap();
        for (i, r) in rows.iter().enumerate() {
            let a = baseline::Action {
                height: r.height,
                value: r.value,
                total_value: r.total_value,
                price: r.price,
                caller: baseline::caller_hash(r.caller.as_bytes()),
            };
            let before = b.clone();
            assert_eq!(b.preview_action(r.kind, &a), Some(r.derived), "preview {i}");
            assert_eq!(b, before, "a preview changes nothing");
            assert_eq!(
                b.observe_action(r.kind, &a, r.paid),
                Some(r.derived),
                "action {i}"
            );
            n += 1;
        }
    }
    assert!(n > 500, "only {n} actions");
}

#[test]
fn the_golden_logs_exercise_every_feature_and_bound() {
    let (_, doc) = committed();
    assert_eq!(doc["derived_names"], serde_json::json!(DERIVED_NAMES));
    let all: Vec<[i64; DERIVED_FEATURES]> = logs()
        .into_iter()
        .flat_map(|(_, _, rows)| rows.into_iter().map(|r| r.derived))
        .collect();
    let neutral = [0, 0, ONE, ONE, ONE, 0, ONE];
    for f in 0..DERIVED_FEATURES {
        let live = all.iter().filter(|d| f == 1 || d[f] != neutral[f]).count();
        assert!(
            live > all.len() / 4,
            "{}: {live} live of {}",
            DERIVED_NAMES[f],
            all.len()
        );
    }
    let hit = |f: usize, v: i64| all.iter().any(|d| d[f] == v);
    assert!(hit(0, Z_LIMIT) && hit(0, -Z_LIMIT), "z at both bounds");
    assert!(hit(1, SHARE_LIMIT), "share at its bound");
    assert!(hit(2, RATIO_LIMIT), "outflow ratio at its bound");
    assert!(hit(5, SHARE_LIMIT), "price deviation at its bound");
    assert!(hit(6, RATIO_LIMIT), "recent outflow ratio at its bound");
    assert!(
        all.iter().any(|d| d[0] < 0 && d[0] > -Z_LIMIT),
        "a negative z inside the bounds"
    );
}

/// The guard's strings of the derived features (cosmwasm's `SignedDecimal`
/// of the exact value, as the file's `decimals` pairs hold them) are
/// exact: the core parses them back to the model inputs `to_inputs`
/// gives, bit for bit. So a model trained on the derived features scores
/// the guard's `derived` strings exactly as the contract scores the `Q16`
/// values.
#[test]
fn the_guards_decimal_strings_are_the_models_inputs() {
    let (_, doc) = committed();
    let pairs = doc["decimals"].as_array().expect("decimals");
    assert!(pairs.len() > 100);
    let mut values: Vec<i64> = pairs.iter().map(|p| p[0].as_i64().unwrap()).collect();
    for p in pairs {
        let v = p[0].as_i64().unwrap();
        assert_eq!(p[1], baseline_golden::q16_signed_decimal(v), "{v}");
    }
    values.extend(
        logs()
            .into_iter()
            .flat_map(|(_, _, rows)| rows.into_iter().flat_map(|r| r.derived)),
    );
    for v in values {
        let s = baseline_golden::q16_signed_decimal(v);
        let mut d = [0; DERIVED_FEATURES];
        d[0] = v;
        assert_eq!(
            decimal::parse(&s).unwrap(),
            baseline::to_inputs(&d)[0],
            "{s}"
        );
    }
}
