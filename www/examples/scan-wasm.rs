//! Scans compiled wasm modules for float (and SIMD) instructions with
//! `vigil_host_tests::scan`; exits non-zero if any is found. The build
//! (`www/scripts/build.sh`) runs it on the shipped, optimised wasm:
//!
//! ```sh
//! cargo run -p vigil-web --example scan-wasm -- www/dist/wasm/vigil_web_bg.wasm
//! ```
use std::process::ExitCode;

use vigil_host_tests::{of_category, report, scan, summary, Category};

fn main() -> ExitCode {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!("usage: scan-wasm FILE.wasm...");
        return ExitCode::from(2);
    }
    let mut ok = true;
    for path in &paths {
        let wasm = match std::fs::read(path) {
            Ok(w) => w,
            Err(e) => {
                eprintln!("scan-wasm: cannot read {path}: {e}");
                return ExitCode::from(2);
            }
        };
        let findings = match scan(&wasm) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("scan-wasm: {path} is not a valid wasm module: {e}");
                return ExitCode::from(2);
            }
        };
        println!(
            "scan-wasm: {path}: {} bytes, findings per category: {:?}",
            wasm.len(),
            summary(&findings)
        );
        // Browsers run bulk memory and reference types natively and
        // deterministically; floats (and SIMD, which includes float lanes)
        // are what bit-exactness forbids.
        for category in [Category::Float, Category::Simd] {
            let found = of_category(&findings, category);
            if !found.is_empty() {
                ok = false;
                eprintln!(
                    "scan-wasm: {} {category} instruction(s) in {path}:\n{}",
                    found.len(),
                    report(&found, 50)
                );
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
