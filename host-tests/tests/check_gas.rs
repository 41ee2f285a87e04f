//! The `Check` gas bound (`vigil_guard::gas::check_gas`) against what
//! the shipped guard (`artifacts/vigil_guard.wasm`, its model installed by
//! the governor, `artifacts/vigil_governor.wasm`) is charged in
//! cosmwasm-vm with wasmd's gas: for
//! every model family at small and large sizes (one storage record and
//! several), for one to 300 features, for decimal inputs of every shape,
//! and without and with a data envelope (most shapes fall outside it, so
//! the clamp and the report run), the storage part is exact and
//! `measured <= bound <= MAX_LOOSENESS x measured` above setup.
//!
//! `cargo test -p host-tests --test check_gas -- --nocapture` prints each
//! case and what the bound's `CALL_VM_GAS` must cover once the per-feature,
//! per-message-byte and per-record-byte allowances are taken out.

use std::path::Path;

use vigil_chain_sim::split::GUARD;
use vigil_chain_sim::WasmdGas;
use vigil_guard::gas::{
    check_gas, check_message_bytes, envelope_vm_gas, CALL_VM_GAS, CODE_INFO_MAX_BYTES,
    CONTRACT_INFO_MAX_BYTES, FEATURE_VM_GAS, MESSAGE_BYTE_VM_GAS, RECORD_BYTE_VM_GAS,
    SPLIT_RECORD_BYTE_VM_GAS,
};
use vigil_guard::state::ACTIVE_HEADER_LEN;
use vigil_host_tests::gas::{self, rows_for};
use vigil_host_tests::models::{self, Dense, Prep, Rng};
use vigil_host_tests::Artifacts;
use vigil_inference_core::float::{FloatModel, QuantizeOptions};
use vigil_inference_core::format::{Activation, Family};
use vigil_inference_core::Model;

/// Bound / measured, above setup, at most.
const MAX_LOOSENESS: f64 = 1.10;

/// Inputs of every shape the core's decimal parser accepts, each repeated
/// for every feature: integers, fractions, signs, exponents (the dearest
/// per byte), leading zeros, long fractions, 1 to 60 characters.
const SHAPES: &[&str] = &[
    "0",
    "7",
    "0.5",
    "12.5",
    "-0.000001",
    "123456.123456",
    "-123456789012.123456",
    "1e5",
    "1e18",
    "-2.5E+10",
    "5e-300",
    "000000000000000000001",
    "999999999999999999",
    "0.00000000000000000000000000000001",
    "1.000000000000000000000000001e3",
    "123456789.123456789012345678901234567890123456789012345678",
];

fn models() -> Vec<(String, FloatModel, QuantizeOptions)> {
    let mut rng = Rng::new(0xc4ec);
    let i8 = Dense {
        wide: false,
        per_channel: true,
    }
    .options();
    let i16 = Dense {
        wide: true,
        per_channel: false,
    }
    .options();
    let trees = QuantizeOptions {
        explain: true,
        ..i8
    };
    let mut out = Vec::new();
    for n in [1, 8, 38, 300] {
        for prep in [Prep::Plain, Prep::ClipLog1p] {
            let m = models::linear(&mut rng, n, prep, Activation::Sigmoid);
            out.push((format!("linear {n} {}", prep.name()), m, i8));
        }
    }
    let m = models::mlp(
        &mut rng,
        &[38, 32, 16, 1],
        Prep::Log1p,
        Activation::Relu,
        Activation::Sigmoid,
    );
    out.push(("mlp 38-32-16-1 i8".into(), m.clone(), i8));
    out.push(("mlp 38-32-16-1 i16".into(), m, i16));
    // Over one storage record (128 KiB): the chunked read.
    let m = models::mlp(
        &mut rng,
        &[300, 500, 1],
        Prep::Plain,
        Activation::Relu,
        Activation::Sigmoid,
    );
    out.push(("mlp 300-500-1 i8".into(), m, i8));
    let m = models::mlp(
        &mut rng,
        &[300, 900, 1],
        Prep::Plain,
        Activation::Relu,
        Activation::Sigmoid,
    );
    out.push(("mlp 300-900-1 i8".into(), m, i8));
    for (family, name) in [
        (Family::Gbdt, "gbdt"),
        (Family::RandomForest, "rf"),
        (Family::IsolationForest, "iforest"),
    ] {
        let m = models::ensemble(&mut rng, family, 100, 3, 38, Prep::Log1p);
        out.push((format!("{name} 100x3 over 38"), m, trees));
        let m = models::ensemble(&mut rng, family, 20, 8, 8, Prep::Plain);
        out.push((format!("{name} 20x8 over 8"), m, trees));
    }
    out
}

#[test]
fn the_check_bound_holds_on_the_shipped_contract_and_is_tight() {
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("contract-wasm");
    let artifacts = Artifacts::load(&target_dir).unwrap_or_else(|e| panic!("{e}"));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("check-gas");
    let mut chain = artifacts.chain(&dir).expect("the chain stores the codes");

    let mut loosest = (0.0f64, String::new());
    // The contract's own work beyond each case's per-feature and per-byte
    // allowance, at most: what CALL_VM_GAS must cover.
    let mut call_needed = 0u64;
    let mut cases = 0;
    // The envelope's parse and clamp, at most, beyond its allowance: what
    // ENVELOPE_VM_GAS must cover (measured as the same Check with and
    // without an envelope).
    let mut envelope_over = 0i64;
    for (name, model, options) in models() {
        let blob = models::blob(&model, &options);
        let n = model.features.len();
        let cost = Model::parse(&blob).expect("a valid model").cost();
        let mut inputs: Vec<Vec<String>> = SHAPES.iter().map(|s| vec![s.to_string(); n]).collect();
        inputs.extend(rows_for(&model, 3, 11));
        // Without a test set (no envelope: its key is read, absent), then
        // with one (an envelope, which most shapes fall outside of).
        let test_set = rows_for(&model, 4, 5);
        let mut without = Vec::new();
        for with_envelope in [false, true] {
            let envelope_bytes = if with_envelope {
                gas::install_with_test_set(&mut chain, n, &blob, &test_set)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                gas::envelope_bytes(&test_set)
            } else {
                gas::install(&mut chain, n, &blob).unwrap_or_else(|e| panic!("{name}: {e}"));
                0
            };
            for (k, features) in inputs.iter().enumerate() {
                for pinned in [false, true] {
                    if pinned && k > 0 {
                        continue;
                    }
                    chain.set_pinned_on(GUARD, pinned).expect("pin the code");
                    let measured = gas::check(&mut chain, features, u64::MAX / 1_000_000);
                    if let Err(e) = &measured.result {
                        panic!("{name}, input {:?}: {e}", features[0]);
                    }
                    let bytes = check_message_bytes(features);
                    let bound = check_gas(&cost, n, bytes, envelope_bytes, pinned);
                    let g = measured.gas;
                    let what = format!(
                        "{name}, {} x {:?} ({bytes} message bytes, envelope {envelope_bytes} bytes)",
                        n, features[0]
                    );
                    // The bound adds wasmd's lookup of the guard (records of the
                    // sizes it assumes); this chain charges no lookup.
                    assert_eq!(g.lookup, 0);
                    assert_eq!(
                        g.setup
                            + WasmdGas::DEFAULT
                                .contract_lookup(CONTRACT_INFO_MAX_BYTES, CODE_INFO_MAX_BYTES),
                        bound.setup,
                        "{what}: setup"
                    );
                    assert_eq!(g.storage, bound.storage, "{what}: storage is exact");
                    assert!(
                        g.compute <= bound.compute,
                        "{what}: compute {} over the bound {}",
                        g.compute,
                        bound.compute
                    );
                    let ratio = bound.above_setup() as f64 / g.above_setup() as f64;
                    assert!(
                        ratio <= MAX_LOOSENESS,
                        "{what}: bound {} is {ratio:.3} x measured {} above setup",
                        bound.above_setup(),
                        g.above_setup()
                    );
                    if ratio > loosest.0 {
                        loosest = (ratio, what.clone());
                    }
                    if !pinned {
                        if with_envelope {
                            let extra = g.vm_internal as i64 - without[k] as i64;
                            let allowed = envelope_vm_gas(n, envelope_bytes) as i64;
                            envelope_over = envelope_over.max(extra - allowed);
                            println!(
                                "envelope: n {n} bytes {envelope_bytes} extra {extra} allowed {allowed}"
                            );
                        } else {
                            without.push(g.vm_internal);
                        }
                    }
                    let model_vm = cost.cosmwasm_units * WasmdGas::DEFAULT.vm_gas_per_op;
                    let record = (ACTIVE_HEADER_LEN + blob.len()) as u64;
                    let envelope_vm = envelope_vm_gas(n, envelope_bytes);
                    let call = g.vm_internal.saturating_sub(model_vm).saturating_sub(
                        FEATURE_VM_GAS * n as u64
                            + MESSAGE_BYTE_VM_GAS * bytes as u64
                            + RECORD_BYTE_VM_GAS * record
                            + SPLIT_RECORD_BYTE_VM_GAS * record * (g.kv.reads - 2)
                            + envelope_vm,
                    );
                    call_needed = call_needed.max(call);
                    if k == 0 || k + 1 == inputs.len() || pinned {
                        println!(
                            "{what:100} pinned {pinned:5}: setup {} storage {} compute {} (bound {}), above setup {:.3} x",
                            g.setup, g.storage, g.compute, bound.compute, ratio
                        );
                    }
                    cases += 1;
                }
            }
        }
    }
    println!(
        "the envelope's work exceeds its allowance (ENVELOPE_VM_GAS) by at most {envelope_over} CosmWasm gas (must be <= 0)"
    );
    assert!(
        envelope_over <= 0,
        "ENVELOPE_VM_GAS is too small by {envelope_over}"
    );
    println!(
        "{cases} cases; loosest above setup {:.4} ({}); the contract's own work needs CALL_VM_GAS >= {call_needed} (is {CALL_VM_GAS})",
        loosest.0, loosest.1
    );
    assert!(call_needed <= CALL_VM_GAS);
}

/// The chain simulator charges a sub-call's contract lookup (the
/// governor's `InstallModel` to its guard) for records of the sizes the
/// `Check` bound assumes: one pair of figures, held equal here.
#[test]
fn sub_call_lookups_assume_the_bounds_record_sizes() {
    assert_eq!(
        vigil_chain_sim::SUB_CALL_LOOKUP_BYTES,
        (CONTRACT_INFO_MAX_BYTES, CODE_INFO_MAX_BYTES)
    );
}
