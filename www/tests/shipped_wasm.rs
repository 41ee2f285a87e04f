//! The shipped browser wasm (`www/dist/wasm/vigil_web_bg.wasm`, built by
//! `npm run build`) holds no float, SIMD, bulk-memory or reference-types
//! construct (`tools/scan.rs`: the policy, with `vigil_host_tests::scan`;
//! findings name their functions from the build's named twin
//! `build/wasm/vigil_web_bg.named.wasm`).
//!
//! The build itself runs the same check and fails on a finding; this test
//! re-checks the artefact whenever it exists. From a fresh clone,
//! `scripts/test.sh` runs it twice: in `cargo test --workspace`, before the
//! package is built (it then says so and passes), and again from
//! `www/scripts/test.sh` right after `npm run build`.
//!
//! The other shipped modules are scanned in host-tests: the core shim in
//! `tests/no_float_instructions.rs`, the contract in
//! `tests/contract_artifact.rs`.
use std::path::Path;

#[path = "../tools/scan.rs"]
mod scan;

#[test]
fn shipped_browser_wasm_has_no_float_simd_bulk_memory_or_reference_types() {
    let www = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shipped = www.join("dist/wasm/vigil_web_bg.wasm");
    if !shipped.is_file() {
        eprintln!(
            "note: {} not built (run `npm run build` in www/; www/scripts/test.sh does, then \
             runs this test again); nothing to scan",
            shipped.display()
        );
        return;
    }
    let named = www.join("build/wasm/vigil_web_bg.named.wasm");
    match scan::check(&shipped, Some(&named)) {
        Ok(line) => eprintln!("{line}"),
        Err(report) => panic!("the browser wasm holds forbidden constructs: {report}"),
    }
}
