//! The build's gate on the shipped browser wasm (`scripts/build.sh` runs
//! it): exits non-zero if the module holds any float, SIMD, bulk-memory or
//! reference-types construct, naming each function (policy and naming:
//! `tools/scan.rs`).
//!
//! ```sh
//! cargo run -p vigil-web --example scan-wasm -- www/dist/wasm/vigil_web_bg.wasm [NAMED_TWIN.wasm]
//! ```
use std::path::Path;
use std::process::ExitCode;

#[path = "../tools/scan.rs"]
mod scan;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (shipped, named) = match args.as_slice() {
        [shipped] => (shipped, None),
        [shipped, named] => (shipped, Some(Path::new(named))),
        _ => {
            eprintln!("usage: scan-wasm SHIPPED.wasm [NAMED_TWIN.wasm]");
            return ExitCode::from(2);
        }
    };
    match scan::check(Path::new(shipped), named) {
        Ok(line) => {
            println!("scan-wasm: {line}");
            ExitCode::SUCCESS
        }
        Err(report) => {
            eprintln!("scan-wasm: {report}");
            ExitCode::FAILURE
        }
    }
}
