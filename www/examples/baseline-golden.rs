//! Writes `www/fixtures/baseline-golden.json`: seeded logs of guarded
//! actions and the seven features the core's `baseline` module derives for
//! each (`tools/baseline_golden.rs`).
//!
//! ```sh
//! cargo run -p vigil-web --example baseline-golden
//! ```
use std::path::Path;

#[path = "../tools/baseline_golden.rs"]
mod baseline_golden;

fn main() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(baseline_golden::PATH);
    let doc = baseline_golden::generate();
    let text = baseline_golden::render(&doc);
    std::fs::write(&path, &text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let actions: usize = doc["logs"].as_array().map_or(0, |l| {
        l.iter()
            .map(|x| x["actions"].as_array().map_or(0, Vec::len))
            .sum()
    });
    println!(
        "{}: {actions} actions, {} bytes",
        path.display(),
        text.len()
    );
}
