//! The baselines' golden vectors (`www/fixtures/baseline-golden.json`):
//! seeded logs of guarded actions and, per action, the seven features the
//! core's `baseline` module derives for it, run in the guard contract's
//! order (`roll` to the action's height, `derive`, `record` only if paid).
//!
//! Written by `cargo run -p vigil-web --example baseline-golden`; `cargo test
//! -p vigil-web --test baseline_golden` fails when the committed file is not
//! what the core computes now, and the package's tests (Node and Chromium)
//! hold the browser engine's `Baselines` to it.
//!
//! This file calls the core directly (not the package's `Baselines`), so it
//! is an independent statement of what the derivation is.
use std::str::FromStr;

use cosmwasm_std::{Decimal, SignedDecimal};
use serde_json::{json, Value};
use vigil_inference_core::baseline::{
    caller_hash, Action, Baseline, Params, DERIVED_FEATURES, DERIVED_NAMES, ONE, RATIO_LIMIT,
    SHARE_LIMIT, Z_LIMIT,
};

/// Where the file lives, from the crate's directory.
pub const PATH: &str = "fixtures/baseline-golden.json";

/// splitmix64: a small seeded generator (the logs must be the same on
/// every machine).
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`; the modulo bias does not matter here).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// One generated action.
#[derive(Clone, Debug)]
pub struct LogAction {
    /// Index into the log's kinds.
    pub kind: usize,
    /// The core's action (its `caller` is the hash of `callers[caller]`).
    pub action: Action,
    /// Index into the log's callers.
    pub caller: usize,
    /// Whether it was paid (so recorded).
    pub paid: bool,
}

/// A seeded log and its parameters.
pub struct Log {
    /// Its name.
    pub name: &'static str,
    /// The seed it was generated from.
    pub seed: u64,
    /// The baseline parameters (`max_rise` from the decimal below).
    pub params: Params,
    /// `max_rise` as a decimal string.
    pub max_rise: &'static str,
    /// Action kinds.
    pub kinds: Vec<String>,
    /// Caller addresses.
    pub callers: Vec<String>,
    /// The actions, in order.
    pub actions: Vec<LogAction>,
}

/// A valid bech32 address (cosmwasm's `MockApi`, as the chain simulator
/// makes them), so a contract that validates callers takes the logs too.
fn address(name: &str) -> String {
    cosmwasm_std::testing::MockApi::default()
        .addr_make(name)
        .to_string()
}

fn user(i: usize) -> String {
    address(&format!("user{i}"))
}

/// A value of about `10^lo` to `10^hi`, log-uniform-ish.
fn value(rng: &mut Rng, lo: u32, hi: u32) -> u128 {
    let e = lo + rng.below(u64::from(hi - lo + 1)) as u32;
    let m = 100 + rng.below(900) as u128;
    10u128.pow(e) * m / 100
}

/// A lending vault: days of ordinary withdrawals and borrows, then a quiet
/// spell longer than 64 windows, a flash-loan-style burst of withdrawals
/// from one caller, an oracle pushed far off its average followed by
/// borrows, and edge values (0, `u128::MAX`, a zero total value, a height
/// in an earlier window).
pub fn vault() -> Log {
    let seed = 0x5eed_0014;
    let mut rng = Rng::new(seed);
    let params = Params {
        window_blocks: 10,
        alpha_shift: 3,
        max_rise: 0, // from `max_rise` below, in `finish`
        warmup_windows: 6,
    };
    let kinds = vec!["withdraw".to_string(), "borrow".to_string()];
    let mut callers: Vec<String> = (0..24).map(user).collect();
    let attacker = callers.len();
    callers.push(address("attacker"));
    let mut actions = Vec::new();
    let mut total: u128 = 50_000_000_000;
    let push = |actions: &mut Vec<LogAction>,
                kind: usize,
                height: u64,
                value: u128,
                total_value: u128,
                price: u128,
                caller: usize,
                paid: bool| {
        actions.push(LogAction {
            kind,
            action: Action {
                height,
                value,
                total_value,
                price,
                caller: 0,
            },
            caller,
            paid,
        })
    };
    // Normal traffic: about one action every two blocks over 120 windows.
    let mut height = 3u64;
    while height < 1200 {
        let kind = usize::from(rng.chance(30));
        let v = value(&mut rng, 3, 6);
        let price = if kind == 1 {
            1_000_000 + rng.below(20_000) as u128 - 10_000
        } else {
            0
        };
        let caller = rng.below(24) as usize;
        let paid = !rng.chance(8);
        push(&mut actions, kind, height, v, total, price, caller, paid);
        if paid && kind == 0 {
            total -= v;
        }
        total += value(&mut rng, 3, 5);
        height += rng.below(4);
    }
    // Quiet for 80 windows (more than MAX_EMPTY_FOLDS).
    height += 800;
    for i in 0..12 {
        let v = value(&mut rng, 4, 5);
        push(&mut actions, 0, height + i, v, total, 0, i as usize, true);
    }
    height += 40;
    // A flash-loan-funded drain: 40 withdrawals of 2% each within 3 blocks.
    for i in 0..40 {
        let v = total / 50;
        push(
            &mut actions,
            0,
            height + i / 14,
            v,
            total,
            0,
            attacker,
            true,
        );
        total -= v;
    }
    height += 30;
    // The oracle pushed to 3x, then borrows at that price (some refused).
    for i in 0..15u64 {
        let price = 3_000_000 + u128::from(i) * 1000;
        let v = value(&mut rng, 6, 7);
        push(
            &mut actions,
            1,
            height + i,
            v,
            total,
            price,
            attacker,
            i % 3 != 0,
        );
    }
    height += 20;
    // Edge values.
    push(&mut actions, 0, height, 0, total, 0, 0, true);
    push(&mut actions, 0, height, u128::MAX, total, 0, 1, true);
    push(&mut actions, 0, height + 1, 5_000, 0, 0, 2, true);
    push(
        &mut actions,
        1,
        height + 1,
        5_000,
        total,
        u128::MAX,
        3,
        true,
    );
    push(&mut actions, 1, height + 2, 5_000, u128::MAX, 1, 4, false);
    push(&mut actions, 0, height + 15, 7_000, total, 0, 5, true);
    // A height in an earlier window (cannot happen on a chain; the core
    // treats it as the current window).
    push(&mut actions, 0, height - 30, 7_000, total, 0, 6, true);
    push(&mut actions, 0, u64::MAX, 7_000, total, 0, 7, true);
    finish(Log {
        name: "vault",
        seed,
        params,
        max_rise: "0.125",
        kinds,
        callers,
        actions,
    })
}

/// An AMM pool with the shortest windows, the fastest adaptation, no
/// warm-up and a `max_rise` that is not a whole number of Q16 steps.
pub fn pool() -> Log {
    let seed = 0x0a11_0014;
    let mut rng = Rng::new(seed);
    let params = Params {
        window_blocks: 1,
        alpha_shift: 1,
        max_rise: 0, // from `max_rise` below, in `finish`
        warmup_windows: 0,
    };
    let kinds = vec!["swap".to_string()];
    let callers: Vec<String> = (0..6).map(user).collect();
    let mut actions = Vec::new();
    let mut height = 100u64;
    for _ in 0..150 {
        let v = value(&mut rng, 0, 9);
        let price = if rng.chance(90) {
            u128::from(500 + rng.below(1500))
        } else {
            0
        };
        actions.push(LogAction {
            kind: 0,
            action: Action {
                height,
                value: v,
                total_value: 10_000_000_000,
                price,
                caller: 0,
            },
            caller: rng.below(6) as usize,
            paid: rng.chance(85),
        });
        height += rng.below(3);
    }
    finish(Log {
        name: "pool",
        seed,
        params,
        max_rise: "0.1",
        kinds,
        callers,
        actions,
    })
}

/// A redemption queue where every value is the same (the variance at its
/// floor), then values far below and above it: the z-score at both of its
/// bounds.
pub fn steady() -> Log {
    let params = Params {
        window_blocks: 5,
        alpha_shift: 2,
        max_rise: 0, // from `max_rise` below, in `finish`
        warmup_windows: 3,
    };
    let callers: Vec<String> = (0..3).map(user).collect();
    let mut actions = Vec::new();
    let mut at = |height: u64, value: u128, caller: usize| {
        actions.push(LogAction {
            kind: 0,
            action: Action {
                height,
                value,
                total_value: 1_000_000_000,
                price: 100,
                caller: 0,
            },
            caller,
            paid: true,
        })
    };
    for h in (0..300).step_by(2) {
        at(h, 1000, (h % 3) as usize);
    }
    for (i, v) in [0, 1, 999, 1000, 1001, 1_000_000, u128::MAX]
        .into_iter()
        .enumerate()
    {
        at(300 + i as u64, v, i % 3);
    }
    finish(Log {
        name: "steady",
        seed: 0,
        params,
        max_rise: "0.25",
        kinds: vec!["redeem".to_string()],
        callers,
        actions,
    })
}

/// Callers hashed, and `max_rise` from its decimal as the guard reads it.
fn finish(mut log: Log) -> Log {
    log.params.max_rise = decimal_q16(log.max_rise) as u32;
    for a in &mut log.actions {
        a.action.caller = caller_hash(log.callers[a.caller].as_bytes());
    }
    log
}

/// The core's features for each action of `log`, in the contract's order.
pub fn derive_all(log: &Log) -> Vec<[i64; DERIVED_FEATURES]> {
    let mut baselines = vec![Baseline::default(); log.kinds.len()];
    log.actions
        .iter()
        .map(|a| {
            let b = &mut baselines[a.kind];
            b.roll(&log.params, a.action.height);
            let d = b.derive(&log.params, &a.action);
            if a.paid {
                b.record(&a.action);
            }
            d
        })
        .collect()
}

/// A `Q16` value as the guard writes it: cosmwasm's `SignedDecimal` of the
/// exact value (10^18 / 2^16 = 15_258_789_062_500 exactly).
pub fn q16_signed_decimal(v: i64) -> String {
    SignedDecimal::raw(i128::from(v) * 15_258_789_062_500).to_string()
}

/// A `Decimal` (the guard's `max_rise`) in `Q16`, rounded down.
pub fn decimal_q16(s: &str) -> u128 {
    Decimal::from_str(s)
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .atomics()
        .u128()
        * 65536
        / 10u128.pow(18)
}

/// `[q16, its SignedDecimal string]` for the bounds and a seeded sample.
fn decimals() -> Value {
    let mut rng = Rng::new(0xdec1_0014);
    let mut v: Vec<i64> = vec![
        0,
        1,
        -1,
        2,
        ONE,
        -ONE,
        ONE / 2,
        -ONE / 2,
        ONE - 1,
        -(ONE + 1),
    ];
    v.extend([Z_LIMIT, -Z_LIMIT, RATIO_LIMIT, SHARE_LIMIT]);
    v.extend([i64::from(i32::MIN), i64::from(i32::MAX)]);
    v.extend((0..200).map(|_| i64::from(rng.next() as i32) >> rng.below(31)));
    Value::Array(
        v.into_iter()
            .map(|x| json!([x, q16_signed_decimal(x)]))
            .collect(),
    )
}

/// `[a Decimal string, its Q16 rounded down]` for typical and edge values
/// and a seeded sample of up to 18 fractional digits.
fn max_rises() -> Value {
    let mut rng = Rng::new(0x4153_0014);
    let mut v: Vec<String> = [
        "1",
        "0.5",
        "0.125",
        "0.1",
        "0.3333",
        "0.000015258789062499",
        "0.0000152587890625",
        "0.999999999999999999",
        "0.000000000000000001",
    ]
    .map(String::from)
    .to_vec();
    for _ in 0..60 {
        let places = 1 + rng.below(18) as usize;
        let digits = rng.next() % 10u64.pow(places as u32);
        v.push(
            Decimal::from_str(&format!("0.{digits:0places$}"))
                .unwrap()
                .to_string(),
        );
    }
    Value::Array(v.into_iter().map(|s| json!([s, decimal_q16(&s)])).collect())
}

/// The whole file.
pub fn generate() -> Value {
    let logs: Vec<Value> = [vault(), pool(), steady()]
        .iter()
        .map(|log| {
            let derived = derive_all(log);
            let rows: Vec<Value> = log
                .actions
                .iter()
                .zip(&derived)
                .map(|(a, d)| {
                    let x = &a.action;
                    json!([
                        a.kind,
                        x.height.to_string(),
                        x.value.to_string(),
                        x.total_value.to_string(),
                        (x.price > 0).then(|| x.price.to_string()),
                        a.caller,
                        a.paid,
                        d.to_vec(),
                    ])
                })
                .collect();
            json!({
                "name": log.name,
                "seed": log.seed,
                "params": {
                    "window_blocks": log.params.window_blocks,
                    "alpha_shift": log.params.alpha_shift,
                    "max_rise": log.max_rise,
                    "max_rise_q16": log.params.max_rise,
                    "warmup_windows": log.params.warmup_windows,
                },
                "kinds": log.kinds,
                "callers": log.callers,
                "actions": rows,
            })
        })
        .collect();
    json!({
        "about": "Seeded logs of guarded actions and the seven features the core's baseline module derives \
                  for each (Q16 integers: value / 65536), in the guard contract's order: roll to the \
                  action's height, derive, record only if paid. Each action is [kind index, height, \
                  value, total_value, price or null, caller index, paid, derived]. Written by \
                  `cargo run -p vigil-web --example baseline-golden` (www/tools/baseline_golden.rs); \
                  `cargo test -p vigil-web --test baseline_golden` fails when it is stale.",
        "derived_names": DERIVED_NAMES,
        "logs": logs,
        "decimals_about": "Q16 values and their strings as the guard writes them (cosmwasm SignedDecimal of the exact value): [q16, string].",
        "decimals": decimals(),
        "max_rise_about": "The guard's max_rise (a cosmwasm Decimal) and its Q16, rounded down (atomics * 2^16 / 10^18): [decimal, q16].",
        "max_rise": max_rises(),
    })
}

/// `doc` as JSON text: indented, but each array of scalars and arrays of
/// scalars (an action row) on one line, so a change shows as a change of
/// the rows it touches.
pub fn render(doc: &Value) -> String {
    fn depth(v: &Value) -> usize {
        match v {
            Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
            Value::Object(_) => usize::MAX / 2,
            _ => 0,
        }
    }
    fn write(v: &Value, indent: usize, out: &mut String) {
        let pad = "  ".repeat(indent + 1);
        match v {
            Value::Array(a) if depth(v) > 2 && !a.is_empty() => {
                out.push_str("[\n");
                for (i, x) in a.iter().enumerate() {
                    out.push_str(&pad);
                    write(x, indent + 1, out);
                    out.push_str(if i + 1 < a.len() { ",\n" } else { "\n" });
                }
                out.push_str(&"  ".repeat(indent));
                out.push(']');
            }
            Value::Object(m) if !m.is_empty() => {
                out.push_str("{\n");
                for (i, (k, x)) in m.iter().enumerate() {
                    out.push_str(&pad);
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push_str(": ");
                    write(x, indent + 1, out);
                    out.push_str(if i + 1 < m.len() { ",\n" } else { "\n" });
                }
                out.push_str(&"  ".repeat(indent));
                out.push('}');
            }
            _ => out.push_str(&v.to_string()),
        }
    }
    let mut out = String::new();
    write(doc, 0, &mut out);
    out.push('\n');
    out
}
