//! The instruction policy of the browser package's shipped wasm
//! (`dist/wasm/vigil_web_bg.wasm`): no float, SIMD, bulk-memory or
//! reference-types construct, found with `vigil_host_tests::scan` (the
//! scanner the core shim and the contract artifact are held to). Shared
//! (via `#[path]`) by the build's gate (`examples/scan-wasm.rs`, run by
//! `scripts/build.sh`) and the re-check of the built package
//! (`tests/shipped_wasm.rs`).
//!
//! Floats and SIMD would break bit-exactness; bulk memory and reference
//! types are refused too, so the browser engine is the same MVP code as
//! the contract (`scripts/build.sh` lowers `memory.copy`/`memory.fill` with
//! wasm-opt, as `scripts/build-contract.sh` does).
//!
//! The shipped file has no name section (it is stripped), so findings are
//! named from its twin `build/wasm/vigil_web_bg.named.wasm`: the same
//! module before `wasm-opt --strip-debug` (same functions, same indices).
#![allow(dead_code)]

use std::path::Path;

use vigil_host_tests::{of_category, report, scan, summary, Category, Finding};

/// Scans `shipped` (and its named twin, if present, for function names).
/// `Ok`: a one-line summary; `Err`: every finding, by category, naming the
/// functions.
pub fn check(shipped: &Path, named: Option<&Path>) -> Result<String, String> {
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()));
    let wasm = read(shipped)?;
    let findings = scan(&wasm)
        .map_err(|e| format!("{} is not a valid wasm module: {e}", shipped.display()))?;
    let line = format!(
        "{}: {} bytes, findings per category: {:?}",
        shipped.display(),
        wasm.len(),
        summary(&findings)
    );
    if findings.is_empty() {
        return Ok(line);
    }
    // Names from the twin, when it has the same findings at the same
    // functions (it is the same code with a name section).
    let named_findings: Option<Vec<Finding>> = named
        .and_then(|p| read(p).ok())
        .and_then(|w| scan(&w).ok())
        .filter(|n| {
            n.len() == findings.len()
                && n.iter().zip(&findings).all(|(a, b)| {
                    a.category == b.category && a.what == b.what && index(a) == index(b)
                })
        });
    let shown = named_findings.as_ref().unwrap_or(&findings);
    let mut out = line;
    for category in Category::ALL {
        let found = of_category(shown, category);
        if !found.is_empty() {
            out.push_str(&format!(
                "\n{} {category} construct(s):\n{}",
                found.len(),
                report(&found, 50)
            ));
        }
    }
    Err(out)
}

fn index(f: &Finding) -> Option<u32> {
    match f.location {
        vigil_host_tests::Location::Function { index, .. } => Some(index),
        _ => None,
    }
}
