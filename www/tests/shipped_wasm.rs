//! The shipped browser wasm (`www/dist/wasm/vigil_web_bg.wasm`, built by
//! `npm run build`) holds no float or SIMD instruction. The build itself
//! runs the same scan and fails on a finding; this test re-checks the
//! artefact whenever it exists (and says so when it does not).
use std::path::Path;

use vigil_host_tests::{of_category, report, scan, summary, Category};

#[test]
fn shipped_browser_wasm_has_no_float_instruction() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("dist/wasm/vigil_web_bg.wasm");
    let Ok(wasm) = std::fs::read(&path) else {
        eprintln!(
            "note: {} not built (run `npm run build` in www/); nothing to scan",
            path.display()
        );
        return;
    };
    let findings = scan(&wasm).expect("the shipped wasm parses");
    eprintln!(
        "{}: {} bytes, findings per category: {:?}",
        path.display(),
        wasm.len(),
        summary(&findings)
    );
    for category in [Category::Float, Category::Simd] {
        let found = of_category(&findings, category);
        assert!(
            found.is_empty(),
            "{} {category} instruction(s) in the browser wasm:\n{}",
            found.len(),
            report(&found, 50)
        );
    }
}
