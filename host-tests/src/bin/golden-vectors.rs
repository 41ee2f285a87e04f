//! Writes the golden vectors, `host-tests/golden/vectors.json` (see
//! `vigil_host_tests::golden`):
//!
//! ```sh
//! cargo run -p host-tests --bin golden-vectors            # rewrite the file
//! cargo run -p host-tests --bin golden-vectors -- --check # exit 1 if it is stale
//! ```
//!
//! Then `cargo run -p vigil-web --example fixtures -- --refresh-golden`
//! imports the new vectors into the browser package's fixtures.
use std::process::ExitCode;

use vigil_host_tests::golden;

fn main() -> ExitCode {
    let check = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--check") => true,
        Some(_) => {
            eprintln!("usage: golden-vectors [--check]");
            return ExitCode::from(2);
        }
    };
    let doc = match golden::document() {
        Ok(doc) => doc,
        Err(e) => {
            eprintln!("golden-vectors: {e}");
            return ExitCode::FAILURE;
        }
    };
    let text = golden::render(&doc);
    let path = golden::path();
    let models = doc["models"].as_array().map_or(0, Vec::len);
    let cases: usize = doc["models"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| m["cases"].as_array().map_or(0, Vec::len))
        .sum();
    if check {
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current == text {
            println!(
                "{} is current ({models} models, {cases} cases)",
                path.display()
            );
            return ExitCode::SUCCESS;
        }
        eprintln!(
            "{} is stale: regenerate with `{}`",
            path.display(),
            golden::REGENERATE
        );
        return ExitCode::FAILURE;
    }
    if let Some(dir) = path.parent() {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("golden-vectors: {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    }
    if let Err(e) = std::fs::write(&path, &text) {
        eprintln!("golden-vectors: {}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    println!(
        "wrote {} ({models} models, {cases} cases, {} bytes)",
        path.display(),
        text.len()
    );
    ExitCode::SUCCESS
}
