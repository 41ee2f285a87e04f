//! Writes the fuzz targets' seed corpora, made from the golden vectors
//! (`host-tests/golden/vectors.json`) by [`vigil_fuzz::seeds`], into
//! `fuzz/corpus/<target>/` (cargo-fuzz's default corpus directories), so no
//! binary seed is committed:
//!
//! ```sh
//! cargo run --manifest-path fuzz/Cargo.toml --target-dir target --example seed-corpus
//! ```
//!
//! Files of the seeds' names are overwritten; other files (what fuzz runs
//! added) are left alone.
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fuzz = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let seeds = vigil_fuzz::seeds()?;
    let corpus = fuzz.join("corpus");
    for s in &seeds {
        let dir = corpus.join(s.target);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(&s.name), &s.bytes)?;
    }
    for t in vigil_fuzz::TARGETS {
        let n = seeds.iter().filter(|s| s.target == t).count();
        println!("{}: {n} seeds", corpus.join(t).display());
    }
    Ok(())
}
