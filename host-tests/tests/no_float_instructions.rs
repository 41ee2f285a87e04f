//! Builds `vigil-wasm-shim` (the inference core without `alloc`/`std`/`float`)
//! for `wasm32-unknown-unknown` and proves the module contains no float, SIMD
//! or reference-types instruction.
//!
//! Bulk memory: with `-C target-cpu=mvp` our own code emits no bulk-memory
//! instruction, but the workspace `wasm` profile uses fat LTO, which pulls
//! in bitcode of the *precompiled* `core` (built with the target's default
//! features, bulk memory included since Rust 1.87); the wasm backend then
//! applies the union of all functions' features to the whole module, so
//! `memory.copy`/`memory.fill` come back. So:
//!
//! * the shipped configuration (`wasm` profile, LTO) must have no float,
//!   SIMD or reference-types instruction; its bulk-memory instructions are
//!   reported, not fatal;
//! * the same build without LTO must have none of the four categories,
//!   proving the core's own code needs no bulk memory.
//!
//! The other shipped modules are scanned where they are built: the contract
//! artifact in `tests/contract_artifact.rs` (all four categories, and sign
//! extension), the browser package's wasm in `www/tests/shipped_wasm.rs`
//! (all four categories; the policy in `www/tools/scan.rs`, which
//! `www/scripts/build.sh` also runs as a gate).

use vigil_host_tests::shim::{build_shim as build_shim_into, nested_target_dir};
use vigil_host_tests::{exported_functions, of_category, report, scan, summary, Category};

/// `<target-dir>/<name>`: separate from the outer build's target dir so the
/// nested cargo never waits on the lock the outer `cargo test` holds.
fn build_shim(target_dir_name: &str, extra_env: &[(&str, &str)]) -> Vec<u8> {
    let target_dir = nested_target_dir(env!("CARGO_TARGET_TMPDIR"), target_dir_name);
    build_shim_into(&target_dir, extra_env).unwrap_or_else(|e| panic!("{e}"))
}

fn assert_none(findings: &[vigil_host_tests::Finding], category: Category, build: &str) {
    let found = of_category(findings, category);
    assert!(
        found.is_empty(),
        "{} {category} instruction(s) in the core wasm ({build}):\n{}",
        found.len(),
        report(&found, 50)
    );
}

#[test]
fn shipped_core_wasm_has_no_float_simd_or_reference_types() {
    let wasm = build_shim("host-tests-wasm", &[]);
    let build = "wasm profile, RUSTFLAGS=\"-C target-cpu=mvp\"";
    let exports = exported_functions(&wasm).expect("shim wasm parses");
    assert!(
        exports.iter().any(|e| e == "vigil_infer"),
        "vigil_infer is not exported; exports: {exports:?}"
    );

    let findings = scan(&wasm).expect("shim wasm parses");
    eprintln!(
        "vigil_wasm_shim.wasm ({build}): {} bytes, findings per category: {:?}",
        wasm.len(),
        summary(&findings)
    );
    // The must-pass: the core's arithmetic is fixed-point only.
    assert_none(&findings, Category::Float, build);
    assert_none(&findings, Category::Simd, build);
    assert_none(&findings, Category::ReferenceTypes, build);

    // Reported, not fatal (see the module docs).
    let bulk = of_category(&findings, Category::BulkMemory);
    if !bulk.is_empty() {
        eprintln!(
            "note: {} bulk-memory instruction(s) from LTO with the precompiled core:\n{}",
            bulk.len(),
            report(&bulk, 20)
        );
    }
}

#[test]
fn core_code_without_lto_needs_no_bulk_memory() {
    let wasm = build_shim(
        "host-tests-wasm-nolto",
        &[("CARGO_PROFILE_WASM_LTO", "false")],
    );
    let build = "wasm profile without LTO, RUSTFLAGS=\"-C target-cpu=mvp\"";
    let findings = scan(&wasm).expect("shim wasm parses");
    eprintln!(
        "vigil_wasm_shim.wasm ({build}): {} bytes, findings per category: {:?}",
        wasm.len(),
        summary(&findings)
    );
    for category in Category::ALL {
        assert_none(&findings, category, build);
    }
}
