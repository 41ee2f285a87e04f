//! One derivation on chain and in the browser: the shipped guard
//! (`artifacts/vigil_guard.wasm` under cosmwasm-vm, `vigil-chain-sim`; built
//! first if missing or stale), fed the golden logs
//! (`fixtures/baseline-golden.json`) as a protected contract feeds it
//! (`Verdict` query at the action's height, then `Observe` with `paid` or
//! `refused`), answers every action's `derived` with the golden features as
//! its decimal strings: the very values the package's `Baselines` gives
//! (held to the same file in Node and Chromium).
//!
//! Each log is one protected contract with the log's baseline parameters
//! and no breaker rule, and a model that allows every action (the format's
//! worked example on inputs `0, 0`), so the verdict is always `allow` and
//! the outcomes are the log's. Heights are the log's, moved on by a
//! multiple of every window length (the windows are the same); the logs'
//! last actions that no chain can have (a height in an earlier window,
//! `u64::MAX`) are left out.
use std::path::Path;

use cosmwasm_std::Uint128;
use serde_json::Value;
use vigil_chain_sim::split::{self, GUARD};
use vigil_chain_sim::Chain;
use vigil_guard_api::breaker::{Action, Outcome, ProtectedSettings, Verdict, VerdictResponse};
use vigil_guard_api::guard_msg::{GuardExecuteMsg, GuardQueryMsg};
use vigil_guard_api::msg::{InstantiateMsg, Margins, PausedCheck, RewardRule};

// Only its path and `q16_signed_decimal` are used here.
#[allow(dead_code)]
#[path = "../tools/baseline_golden.rs"]
mod baseline_golden;

/// FORMAT.md's worked example: a logistic regression on two features
/// (score of `0, 0`: about 0.014, under its threshold).
const EXAMPLE: &str = "56474c4d0100010002000000000000403500000041f6682803dc32af47de4f02\
    d752f5e07d39ab985e60a03a1401968e9d20fa990601010000000000fcff0000\
    00000000000040420f0000000000000001000000000000000101000102000100\
    00000600c0ffff40e0";

const LIMIT: u64 = 100_000_000;

fn example() -> Vec<u8> {
    (0..EXAMPLE.len() / 2)
        .map(|i| u8::from_str_radix(&EXAMPLE[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn deploy() -> (Chain, String) {
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("contract-wasm");
    let artifacts =
        vigil_host_tests::Artifacts::load(&target_dir).unwrap_or_else(|e| panic!("{e}"));
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cosmwasm-cache-baselines");
    let mut chain = artifacts.chain(&cache).expect("the chain stores the codes");
    let admin = chain.addr("admin");
    let msg = InstantiateMsg {
        admin: None,
        n_features: 2,
        bond_denom: "uvigil".into(),
        min_bond: Uint128::new(1_000_000),
        margins: Margins::default(),
        reward: RewardRule::None,
        max_inference_ops: 1_000_000_000_000,
        max_check_gas: u64::MAX,
        deny_threshold: None,
        paused_check: PausedCheck::Deny,
        max_class_ratio: cosmwasm_std::Decimal::from_ratio(3u32, 1u32),
        eval_batch: 50,
        stall_blocks: vigil_guard_api::settings::DEFAULT_STALL_BLOCKS,
        stall_fee: vigil_guard_api::settings::DEFAULT_STALL_FEE,
        envelope_margin: vigil_guard_api::settings::default_envelope_margin(),
        reveal_delay: vigil_guard_api::settings::DEFAULT_REVEAL_DELAY,
        activation_delay: 0,
        guardian: None,
        governance_delay: 0,
        curator: None,
        initial_model: Some(example().into()),
        initial_test_set: Vec::new(),
    };
    split::deploy(&mut chain, &admin, &[], &msg, LIMIT).unwrap_or_else(|e| panic!("{e}"));
    (chain, admin)
}

fn s(v: &Value) -> String {
    v.as_str().expect("a string").to_string()
}

#[test]
fn the_shipped_guard_derives_the_golden_features() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(baseline_golden::PATH);
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let (mut chain, admin) = deploy();
    let mut compared = 0;
    for (n, log) in doc["logs"].as_array().unwrap().iter().enumerate() {
        let name = s(&log["name"]);
        let protected = chain.addr(&format!("protected-{name}"));
        let p = &log["params"];
        let kinds: Vec<String> = log["kinds"].as_array().unwrap().iter().map(s).collect();
        let callers: Vec<String> = log["callers"].as_array().unwrap().iter().map(s).collect();
        let settings = ProtectedSettings {
            window_blocks: p["window_blocks"].as_u64().unwrap(),
            alpha_shift: p["alpha_shift"].as_u64().unwrap() as u8,
            max_rise: s(&p["max_rise"]).parse().unwrap(),
            warmup_windows: p["warmup_windows"].as_u64().unwrap() as u32,
            outflow_rule: None,
            denial_rule: None,
            score_rule: None,
            ..ProtectedSettings::with_kinds(kinds.clone(), "unit")
        };
        let register = GuardExecuteMsg::RegisterProtected {
            contract: protected.clone(),
            settings,
        };
        let out = chain.execute_on(GUARD, &admin, &[], &register, LIMIT);
        assert!(out.result.is_ok(), "{name}: register: {:?}", out.result);
        // A multiple of every log's window length, past the chain's own
        // height and the previous log's.
        let base = 10_000_000 * (n as u64 + 1);
        let mut last = 0;
        for (i, r) in log["actions"].as_array().unwrap().iter().enumerate() {
            let height: u64 = r[1].as_str().unwrap().parse().unwrap();
            if height < last || height > 1 << 40 {
                break;
            }
            last = height;
            let action = Action {
                kind: kinds[r[0].as_u64().unwrap() as usize].clone(),
                value: Uint128::new(r[2].as_str().unwrap().parse().unwrap()),
                total_value: Uint128::new(r[3].as_str().unwrap().parse().unwrap()),
                price: r[4].as_str().map(|p| Uint128::new(p.parse().unwrap())),
                caller: callers[r[5].as_u64().unwrap() as usize].clone(),
                features: vec!["0".into(), "0".into()],
            };
            let want: Vec<String> = r[7]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| baseline_golden::q16_signed_decimal(v.as_i64().unwrap()))
                .collect();
            chain.set_height(base + height);
            let verdict: VerdictResponse = chain
                .query_on(
                    GUARD,
                    &GuardQueryMsg::Verdict {
                        contract: protected.clone(),
                        action: action.clone(),
                    },
                )
                .parse()
                .unwrap_or_else(|e| panic!("{name} action {i}: verdict: {e}"));
            assert_eq!(verdict.derived, want, "{name} action {i}: derived");
            assert_eq!(verdict.verdict, Verdict::Allow, "{name} action {i}");
            let paid = r[6].as_bool().unwrap();
            let observe = GuardExecuteMsg::Observe {
                action,
                outcome: if paid {
                    Outcome::Paid
                } else {
                    Outcome::Refused
                },
            };
            chain.set_height(base + height);
            let out = chain.execute_on(GUARD, &protected, &[], &observe, LIMIT);
            assert!(
                out.result.is_ok(),
                "{name} action {i}: observe: {:?}",
                out.result
            );
            compared += 1;
        }
    }
    assert!(compared > 1000, "{compared} actions");
    eprintln!("{compared} golden actions: the guard's derived features are the package's");
}
