//! The breaker on attacks that were not used to design it (issue 14), on
//! the shipped guard artifact in cosmwasm-vm: `vigil demo --breaker`'s run
//! (`vigil_cli::demo::breaker::run_breaker`) with the shipped scenario
//! files. The model is trained on `cli/scenarios/breaker-train.json`; the
//! attacks are `cli/scenarios/breaker.json`'s.
//!
//! The targets of the issue: every attack stopped before 10% of total
//! value leaves, at most one false trip per 100,000 normal actions. The VM
//! plays every attack and a normal-only run of [`VM_NORMAL_ACTIONS`]
//! actions (CI time: a few milliseconds per action in a debug build); the
//! native guard (the core's baseline and breaker, the contract's own
//! conversions) must agree with the VM on every one of those runs, and
//! then counts the false trips over [`NATIVE_NORMAL_ACTIONS`].
use std::path::Path;
use std::sync::OnceLock;

use vigil_cli::demo::breaker::{run_breaker, BreakerArgs, BreakerReport, EVAL_SCENARIOS};
use vigil_cli::demo::DemoArgs;
use vigil_cli::scenario::evaluate::run_normal;
use vigil_cli::scenario::play::NativeGuard;
use vigil_cli::scenario::ScenarioConfig;

/// Normal actions of the VM's normal-only run.
const VM_NORMAL_ACTIONS: usize = 2_000;
/// Normal actions the native guard counts false trips over.
const NATIVE_NORMAL_ACTIONS: usize = 100_000;

fn report() -> &'static BreakerReport {
    static REPORT: OnceLock<BreakerReport> = OnceLock::new();
    REPORT.get_or_init(|| {
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let mut a = DemoArgs::new(tmp.join("breaker-scenarios"));
        a.contract_target_dir = Some(tmp.join("contract-wasm"));
        a.progress = false;
        let b = BreakerArgs {
            normal_actions: VM_NORMAL_ACTIONS,
            ..BreakerArgs::default()
        };
        let mut text = Vec::new();
        let r = run_breaker(&a, &b, &mut text).unwrap_or_else(|e| panic!("{e:#}"));
        eprintln!("{}", String::from_utf8_lossy(&text));
        r
    })
}

#[test]
fn the_vm_and_the_native_guard_agree_and_the_derived_features_are_bit_exact() {
    let r = report();
    assert_eq!(r.scenarios.len(), 5);
    for s in &r.scenarios {
        assert_eq!(
            (s.loss_share_guarded, s.tripped_at_block),
            (s.loss_share_guarded_native, s.tripped_at_block_native),
            "{}",
            s.name
        );
    }
    assert_eq!(
        (r.normal.trips, r.normal.delays, r.normal.denials),
        (
            r.normal_native.trips,
            r.normal_native.delays,
            r.normal_native.denials
        )
    );
    // Every action of the normal-only run: the contract's `derived` equals
    // the CLI's derivation of the same log (run_breaker fails otherwise).
    assert_eq!(r.derived_compared, VM_NORMAL_ACTIONS as u64);
    assert_eq!(r.normal.actions, VM_NORMAL_ACTIONS as u64);
}

#[test]
fn the_guard_loses_no_more_than_the_rate_limit_alone() {
    for s in &report().scenarios {
        assert!(
            s.loss_share_guarded <= s.loss_share_rate_limit_only,
            "{}: guarded {} > rate limit {}",
            s.name,
            s.loss_share_guarded,
            s.loss_share_rate_limit_only
        );
        assert!(
            s.loss_share_rate_limit_only <= s.loss_share_unguarded,
            "{}",
            s.name
        );
        assert!((0.0..=1.0).contains(&s.loss_share_unguarded));
        // Every attack trips the breaker.
        assert!(s.tripped_at_block.is_some(), "{} never tripped", s.name);
    }
}

#[test]
fn at_most_one_false_trip_per_100k_normal_actions() {
    let r = report();
    let cfg: ScenarioConfig = serde_json::from_str(EVAL_SCENARIOS).unwrap();
    let mut g = NativeGuard::new(&r.model.blob, &r.settings).unwrap();
    let n = run_normal(&cfg, NATIVE_NORMAL_ACTIONS, &mut g).unwrap();
    assert_eq!(n.actions, NATIVE_NORMAL_ACTIONS as u64);
    eprintln!(
        "{} normal actions: {} false trips, {} false delays, {} refused",
        n.actions, n.trips, n.delays, n.denials
    );
    assert!(n.trips_per_100k <= 1.0, "{n:?}");
    assert!(r.false_trips_per_100k <= 1.0, "{:?}", r.normal);
}

/// The loss target for every attack: each stopped before a tenth
/// of total value leaves. (Before the baselines kept a recent-outflow
/// average beside the slow one, the slow drain on the pool lost about a
/// fifth: each window stayed under the outflow rule and a single action
/// looked like an honest whale's.)
#[test]
fn every_attack_is_stopped_before_a_tenth_of_total_value_leaves() {
    let r = report();
    assert_eq!(r.scenarios.len(), 5);
    for s in &r.scenarios {
        assert!(
            s.loss_share_guarded < 0.10,
            "{}: {:.4} of total value left before the breaker stopped it",
            s.name,
            s.loss_share_guarded
        );
    }
}
