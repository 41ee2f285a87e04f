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
use std::str::FromStr;

use cosmwasm_std::{Decimal, SignedDecimal};
use serde_json::Value;
use vigil_inference_core::baseline::{
    self, Params, DERIVED_FEATURES, DERIVED_NAMES, ONE, RATIO_LIMIT, SHARE_LIMIT, Z_LIMIT,
};
use vigil_inference_core::decimal;
use vigil_web::baseline::{decimal_q16, q16_decimal, Baselines};

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

/// The rows of every log as the strings JavaScript passes.
struct Row {
    kind: String,
    height: u64,
    value: String,
    total_value: String,
    price: String,
    caller: String,
    paid: bool,
    derived: [i64; DERIVED_FEATURES],
}

fn logs() -> Vec<(Params, Vec<String>, Vec<Row>)> {
    let (_, doc) = committed();
    let s = |v: &Value| v.as_str().expect("string").to_string();
    doc["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|log| {
            let p = &log["params"];
            let max_rise = decimal_q16(p["max_rise"].as_str().unwrap()).unwrap();
            assert_eq!(u64::from(max_rise), p["max_rise_q16"].as_u64().unwrap());
            let params = Params {
                window_blocks: p["window_blocks"].as_u64().unwrap(),
                alpha_shift: p["alpha_shift"].as_u64().unwrap() as u8,
                max_rise,
                warmup_windows: p["warmup_windows"].as_u64().unwrap() as u32,
            };
            let kinds: Vec<String> = log["kinds"].as_array().unwrap().iter().map(s).collect();
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
                    Row {
                        kind: kinds[r[0].as_u64().unwrap() as usize].clone(),
                        height: r[1].as_str().unwrap().parse().unwrap(),
                        value: s(&r[2]),
                        total_value: s(&r[3]),
                        price: r[4].as_str().unwrap_or("0").to_string(),
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
                value: vigil_web::baseline::parse_amount("value", &r.value).unwrap(),
                total_value: vigil_web::baseline::parse_amount("total_value", &r.total_value)
                    .unwrap(),
                price: vigil_web::baseline::parse_amount("price", &r.price).unwrap(),
                caller: baseline::caller_hash(r.caller.as_bytes()),
            };
            let before = b.clone();
            assert_eq!(
                b.preview_action(&r.kind, &a).unwrap(),
                r.derived,
                "preview {i}"
            );
            assert_eq!(
                b.get(&r.kind).unwrap(),
                before.get(&r.kind).unwrap(),
                "preview changes nothing"
            );
            assert_eq!(
                b.observe_action(&r.kind, &a, r.paid).unwrap(),
                r.derived,
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
    let neutral = [0, 0, ONE, ONE, ONE, 0];
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
    assert!(
        all.iter().any(|d| d[0] < 0 && d[0] > -Z_LIMIT),
        "a negative z inside the bounds"
    );
}

/// The decimal strings are cosmwasm's `SignedDecimal` rendering of the
/// exact value (what the guard's `derived` carries), and the core parses
/// them back to the model inputs `to_inputs` gives, bit for bit.
#[test]
fn q16_decimals_are_the_guards_strings_and_the_models_inputs() {
    let mut values: Vec<i64> = logs()
        .into_iter()
        .flat_map(|(_, _, rows)| rows.into_iter().flat_map(|r| r.derived))
        .collect();
    let mut rng = baseline_golden::Rng::new(7);
    values.extend((0..20_000).map(|_| (rng.next() as i64) >> (rng.below(40) + 1)));
    values.extend([
        0,
        1,
        -1,
        ONE,
        -ONE,
        i64::from(i32::MIN),
        i64::from(i32::MAX),
    ]);
    for v in values {
        let s = q16_decimal(v);
        // 10^18 / 2^16 = 15_258_789_062_500 exactly.
        assert_eq!(
            s,
            SignedDecimal::raw(i128::from(v) * 15_258_789_062_500).to_string(),
            "{v}"
        );
        let mut d = [0; DERIVED_FEATURES];
        d[0] = v;
        assert_eq!(
            decimal::parse(&s).unwrap(),
            baseline::to_inputs(&d)[0],
            "{s}"
        );
    }
}

/// `max_rise` as the guard's settings carry it (a `Decimal`) to the core's
/// `Q16`: rounded down, as `atomics * 2^16 / 10^18`.
#[test]
fn decimal_params_round_down_like_the_guards_decimals() {
    let mut rng = baseline_golden::Rng::new(11);
    let mut cases: Vec<String> = ["1", "0.125", "0.1", "0.5", "0.000015258789062499", "0.3333"]
        .map(String::from)
        .to_vec();
    for _ in 0..5000 {
        let places = rng.below(19) as usize;
        let digits = rng.next() % 10u64.pow(places as u32).max(1);
        cases.push(if places == 0 {
            (rng.below(2)).to_string()
        } else {
            format!("0.{digits:0places$}")
        });
    }
    for s in cases {
        let want = Decimal::from_str(&s).unwrap().atomics().u128() * 65536 / 10u128.pow(18);
        assert_eq!(u128::from(decimal_q16(&s).unwrap()), want, "{s}");
    }
}
