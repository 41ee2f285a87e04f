//! The shipped contract, `artifacts/vigil_guard.wasm`, as a chain receives
//! it: built by `scripts/build-contract.sh` (cargo, then binaryen's
//! wasm-opt), never by anything else, so every figure and check in
//! host-tests (and `vigil demo`) is about the exact file that is uploaded.
//!
//! [`load`] returns its bytes, first running the script when the file is
//! missing or older than any source it is built from, so a fresh clone needs
//! no manual step.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use crate::shim::workspace_root;

/// Where the artifact lives.
pub fn path() -> PathBuf {
    workspace_root().join("artifacts/vigil_guard.wasm")
}

/// The files and directories the artifact is built from.
pub const SOURCES: [&str; 8] = [
    "contract/src",
    "contract/Cargo.toml",
    "inference-core/src",
    "inference-core/Cargo.toml",
    "Cargo.toml",
    "Cargo.lock",
    "package-lock.json",
    "scripts/build-contract.sh",
];

/// Newest modification time among [`SOURCES`].
pub fn newest_source() -> Option<SystemTime> {
    fn walk(path: &Path, newest: &mut Option<SystemTime>) {
        let Ok(meta) = std::fs::metadata(path) else {
            return;
        };
        if meta.is_dir() {
            if let Ok(entries) = std::fs::read_dir(path) {
                for entry in entries.flatten() {
                    walk(&entry.path(), newest);
                }
            }
        } else if let Ok(modified) = meta.modified() {
            *newest = Some(newest.map_or(modified, |n| n.max(modified)));
        }
    }
    let root = workspace_root();
    let mut newest = None;
    for input in SOURCES {
        walk(&root.join(input), &mut newest);
    }
    newest
}

/// Why the artifact must be (re)built, or `None` if it is current.
pub fn staleness() -> Option<&'static str> {
    let built = std::fs::metadata(path()).and_then(|m| m.modified()).ok();
    match (built, newest_source()) {
        (None, _) => Some("missing"),
        (Some(built), Some(source)) if source > built => Some("older than its sources"),
        _ => None,
    }
}

/// The command that builds the artifact, for messages.
pub const BUILD_COMMAND: &str = "scripts/build-contract.sh";

/// Runs `scripts/build-contract.sh` with `CARGO_TARGET_DIR=target_dir`
/// (a directory no outer cargo holds locked). Its output goes to stderr.
pub fn build(target_dir: &Path) -> Result<(), String> {
    let root = workspace_root();
    let status = Command::new("bash")
        .arg(root.join(BUILD_COMMAND))
        .current_dir(&root)
        .env("CARGO_TARGET_DIR", target_dir)
        // The script's progress goes to stderr: stdout stays the caller's
        // (e.g. `vigil demo --json`).
        .stdout(std::process::Stdio::from(std::io::stderr()))
        .status()
        .map_err(|e| format!("run {BUILD_COMMAND}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{BUILD_COMMAND} failed: {status}"))
    }
}

/// The artifact's bytes, built first (into `target_dir`) if missing or
/// stale. A failed build is reported on stderr and the existing file, if
/// any, is still returned (the script fails on an oversized artifact after
/// writing it; the size check reports that).
pub fn load(target_dir: &Path) -> Result<Vec<u8>, String> {
    if let Some(reason) = staleness() {
        eprintln!(
            "{} is {reason}: building it with {BUILD_COMMAND} (CARGO_TARGET_DIR={})",
            path().display(),
            target_dir.display()
        );
        if let Err(e) = build(target_dir) {
            eprintln!("{e}");
        }
    }
    std::fs::read(path()).map_err(|e| {
        format!(
            "read {}: {e} (build it with {BUILD_COMMAND})",
            path().display()
        )
    })
}
