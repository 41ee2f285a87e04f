//! The committed golden vectors (`www/fixtures/golden.json`) are what the
//! native core computes today: every score, label, contribution, level and
//! error message is re-derived here. The browser tests hold the wasm to the
//! same file, so native and browser agree bit for bit.
//!
//! golden.json also carries every model of host-tests' golden vectors
//! (`host-tests/golden/vectors.json`, the project's source of them, held to
//! the wasm core and the contract by `host-tests/tests/bit_exact.rs`);
//! [`golden_json_imports_the_host_tests_vectors`] fails when that import is
//! stale.
//!
//! If the core's arithmetic or messages change on purpose, or host-tests'
//! vectors change, regenerate with `cargo run -p vigil-web --example fixtures
//! -- --refresh-golden` and review the diff.
use std::path::Path;

#[path = "../tools/golden.rs"]
mod golden;

fn load(name: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn golden_vectors_match_the_native_core() {
    let doc = load("golden.json");
    match golden::check(&doc) {
        Ok(n) => {
            assert!(n > 100, "only {n} golden entries");
            eprintln!("{n} golden entries re-derived by the native core");
        }
        Err(e) => panic!(
            "golden.json differs from the native core (regenerate with \
             `cargo run -p vigil-web --example fixtures -- --refresh-golden` if intended):\n{e}"
        ),
    }
}

#[test]
fn golden_json_imports_the_host_tests_vectors() {
    let doc = load("golden.json");
    let host = vigil_host_tests::golden::load().unwrap_or_else(|e| panic!("{e}"));
    let want = golden::import_shared(&host).unwrap_or_else(|e| panic!("{e}"));
    let have: Vec<&serde_json::Value> = doc["models"]
        .as_array()
        .expect("models")
        .iter()
        .filter(|m| {
            m["name"]
                .as_str()
                .is_some_and(|n| n.starts_with(golden::SHARED_PREFIX))
        })
        .collect();
    let stale = have.len() != want.len() || have.iter().zip(&want).any(|(h, w)| *h != w);
    assert!(
        !stale,
        "fixtures/golden.json does not hold host-tests' golden vectors ({} imported, {} in {}): \
         run `cargo run -p vigil-web --example fixtures -- --refresh-golden`",
        have.len(),
        want.len(),
        vigil_host_tests::golden::PATH
    );
    let cases: usize = want
        .iter()
        .map(|m| m["cases"].as_array().map_or(0, Vec::len))
        .sum();
    eprintln!(
        "{} models, {cases} cases of host-tests' golden vectors in golden.json",
        want.len()
    );
}

#[test]
fn golden_vectors_cover_every_level_and_family() {
    let doc = load("golden.json");
    let models = doc["models"].as_array().expect("models");
    let mut families = std::collections::BTreeSet::new();
    let mut levels = std::collections::BTreeSet::new();
    for m in models {
        families.insert(m["family"].as_str().expect("family").to_owned());
        for c in m["cases"].as_array().expect("cases") {
            levels.insert(c["level"].as_str().expect("level").to_owned());
        }
    }
    assert_eq!(
        families.into_iter().collect::<Vec<_>>(),
        ["gbdt", "isolation-forest", "linear", "mlp", "random-forest"]
    );
    assert_eq!(
        levels.into_iter().collect::<Vec<_>>(),
        ["caution", "danger", "safe"]
    );
    assert!(!doc["malformed"].as_array().expect("malformed").is_empty());
}

#[test]
fn fixture_models_match_their_cards() {
    let card = load("eth-fraud.json");
    let blob = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/eth-fraud.vgl"))
        .expect("eth-fraud.vgl");
    let model = vigil_inference_core::Model::parse(&blob).expect("eth-fraud.vgl parses");
    assert_eq!(card["checksum"], golden::hex(&model.checksum()));
    assert_eq!(
        card["features"].as_array().expect("features").len(),
        model.n_features()
    );
    let samples = load("samples.json");
    for s in samples["samples"].as_array().expect("samples") {
        assert_eq!(
            s["features"].as_object().expect("features").len(),
            model.n_features(),
            "sample {}",
            s["id"]
        );
    }
}
