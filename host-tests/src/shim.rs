//! Building `vigil-wasm-shim` (the inference core without `alloc`, `std` or
//! `float`) for `wasm32-unknown-unknown` from inside a test or tool: a nested
//! `cargo build` with the workspace release profile and the wasm MVP feature
//! set, in a target directory of its own.
//!
//! Used by the instruction scan (`tests/no_float_instructions.rs`), the cost
//! bound check (`tests/cost_bound.rs`) and the `profile-report` and
//! `cost-calibration` tools.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The target every shipped wasm is built for.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Restrict code generation to the wasm MVP feature set (no bulk-memory,
/// sign-ext, reference-types, multivalue, ...) for the code we compile.
pub const MVP_RUSTFLAGS: &str = "-C target-cpu=mvp";

/// One nested build at a time per process: plenty on a 2-core machine.
/// (Builds from different processes into the same target directory are
/// serialised by cargo's own lock.)
static BUILD: Mutex<()> = Mutex::new(());

/// The workspace root (the directory holding the root `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host-tests lives inside the workspace")
        .to_path_buf()
}

/// The outer build's target directory for tools run with `cargo run`:
/// `$CARGO_TARGET_DIR` if set, else `<workspace>/target`. Tests use
/// `CARGO_TARGET_TMPDIR`'s parent instead.
pub fn default_target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// Builds the shim with the workspace release profile (plus `extra_env`,
/// e.g. `CARGO_PROFILE_RELEASE_OPT_LEVEL` overrides) and
/// `RUSTFLAGS="-C target-cpu=mvp"` into `target_dir`, and returns the
/// `.wasm` bytes.
///
/// `target_dir` must differ from the outer build's target directory, so the
/// nested cargo never waits on the lock an outer `cargo test` holds.
pub fn build_shim(target_dir: &Path, extra_env: &[(&str, &str)]) -> Result<Vec<u8>, String> {
    let _one_at_a_time = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(workspace_root())
        .args([
            "build",
            "--release",
            "--target",
            WASM_TARGET,
            "-p",
            "vigil-wasm-shim",
            "--target-dir",
        ])
        .arg(target_dir)
        // Our flags, not whatever the outer build was given.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env_remove(format!(
            "CARGO_TARGET_{}_RUSTFLAGS",
            WASM_TARGET.to_uppercase().replace('-', "_")
        ))
        .env("RUSTFLAGS", MVP_RUSTFLAGS)
        .envs(extra_env.iter().copied());
    let status = command
        .status()
        .map_err(|e| format!("run cargo to build vigil-wasm-shim: {e}"))?;
    if !status.success() {
        return Err(format!("building vigil-wasm-shim failed: {status}"));
    }
    let wasm = target_dir
        .join(WASM_TARGET)
        .join("release")
        .join("vigil_wasm_shim.wasm");
    std::fs::read(&wasm).map_err(|e| format!("read {}: {e}", wasm.display()))
}

/// `<target-dir>/<name>` for a test, given its `CARGO_TARGET_TMPDIR`
/// (`<target-dir>/tmp`): beside the outer build's output, never inside a
/// directory the outer cargo locks.
pub fn nested_target_dir(cargo_target_tmpdir: &str, name: &str) -> PathBuf {
    Path::new(cargo_target_tmpdir)
        .parent()
        .expect("CARGO_TARGET_TMPDIR is <target-dir>/tmp")
        .join(name)
}
