//! The fuzz targets' properties on the stable toolchain, without libFuzzer:
//! every seed ([`vigil_fuzz::seeds`], made from the golden vectors), every
//! file of `corpus/<target>/` (what fuzz runs kept) and of
//! `regressions/<target>/` (inputs that once failed, committed).
use std::path::PathBuf;

fn run(target: &str, data: &[u8]) {
    match target {
        "blob" => vigil_fuzz::blob(data),
        "metadata" => vigil_fuzz::metadata(data),
        "decimal" => vigil_fuzz::decimal(data),
        other => panic!("unknown target {other}"),
    }
}

#[test]
fn seeds_pass() {
    let seeds = vigil_fuzz::seeds().unwrap();
    for t in vigil_fuzz::TARGETS {
        assert!(
            seeds.iter().any(|s| s.target == t),
            "no seed for the {t} target"
        );
    }
    for s in &seeds {
        run(s.target, &s.bytes);
    }
    println!("{} seeds", seeds.len());
}

#[test]
fn corpus_and_regressions_pass() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for dir in ["corpus", "regressions"] {
        for t in vigil_fuzz::TARGETS {
            let Ok(entries) = std::fs::read_dir(root.join(dir).join(t)) else {
                continue;
            };
            for e in entries {
                let path = e.unwrap().path();
                let data = std::fs::read(&path).unwrap();
                let r = std::panic::catch_unwind(|| run(t, &data));
                assert!(r.is_ok(), "{} fails", path.display());
                n += 1;
            }
        }
    }
    println!("{n} corpus and regression inputs");
}

/// Found by the `blob` target (its sealed path): a metadata section whose
/// `LABELS` flag is set while every label is empty did not re-encode to
/// the same blob (`inference-core/tests/metadata.rs`
/// `flags_with_only_empty_texts_round_trip`).
#[test]
fn regression_labels_flag_with_only_empty_labels() {
    // meta_flags LABELS, count 1, name "a", an empty label.
    let section = [1u8, 1, 0, 1, b'a', 0];
    let blob = vigil_fuzz::metadata_blob(&vigil_fuzz::metadata_input(1, &section)).unwrap();
    assert!(vigil_inference_core::Model::parse(&blob).is_ok());
    vigil_fuzz::blob(&blob);
    vigil_fuzz::metadata(&vigil_fuzz::metadata_input(1, &section));
    // The same with units, and both.
    for section in [
        [2u8, 1, 0, 1, b'a', 0].as_slice(),
        &[3, 1, 0, 1, b'a', 0, 0],
    ] {
        vigil_fuzz::blob(
            &vigil_fuzz::metadata_blob(&vigil_fuzz::metadata_input(1, section)).unwrap(),
        );
    }
}
