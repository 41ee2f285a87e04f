//! Building `vigil-wasm-shim` (the inference core without `alloc`, `std` or
//! `float`) for `wasm32-unknown-unknown` from inside a test or tool: a nested
//! `cargo build` with the workspace `wasm` profile and the wasm MVP feature
//! set, in a target directory of its own, then binaryen's `wasm-opt` with
//! exactly the passes `scripts/build-contract.sh` runs on the shipped
//! contract ([`WASM_OPT_ARGS`]), so what is metered is the code a chain
//! runs.
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

/// The `wasm-opt` arguments of `scripts/build-contract.sh` (after input and
/// output), in its order: the shipped contract's pipeline. A unit test below
/// holds the two identical.
///
/// `--low-memory-unused` lets `-Oz` fold constant address offsets (`p + 4`)
/// into the load/store offset immediates (binaryen's
/// `optimize-added-constants-propagate`, which LLVM does not do for wasm):
/// one operation less per memory access at a constant offset, e.g. three per
/// unrolled multiply-accumulate. It is sound because Rust's wasm32 layout
/// never touches the low 1 KiB: `wasm-ld --stack-first` puts the 1 MiB
/// shadow stack at the bottom of memory (`__stack_pointer` starts at
/// 1048576 and grows down), static data from 1 MiB up and the heap above it,
/// so addresses 0..1024 are only reached by a stack already within 1 KiB of
/// overflowing. (Folding changes behaviour only for an access whose address
/// computation wraps around 2^32 into that region.)
pub const WASM_OPT_ARGS: &[&str] = &[
    "--mvp-features",
    "--enable-sign-ext",
    "--enable-bulk-memory",
    "--enable-bulk-memory-opt",
    "--signext-lowering",
    "--llvm-memory-copy-fill-lowering",
    "--low-memory-unused",
    "-Oz",
    "--converge",
    "--strip-debug",
    "--strip-producers",
    "--strip-target-features",
];

/// binaryen's `wasm-opt`, installed by `npm ci` in the workspace root
/// (`scripts/setup.sh`), the version `package-lock.json` pins.
pub fn wasm_opt_path() -> PathBuf {
    workspace_root().join("node_modules/.bin/wasm-opt")
}

/// Runs `wasm-opt` with [`WASM_OPT_ARGS`] on `input`, writing `output`.
pub fn wasm_opt(input: &Path, output: &Path) -> Result<(), String> {
    let tool = wasm_opt_path();
    let status = Command::new(&tool)
        .arg(input)
        .arg("-o")
        .arg(output)
        .args(WASM_OPT_ARGS)
        .status()
        .map_err(|e| {
            format!(
                "run {}: {e} (scripts/setup.sh installs it with `npm ci`)",
                tool.display()
            )
        })?;
    if !status.success() {
        return Err(format!("wasm-opt on {} failed: {status}", input.display()));
    }
    Ok(())
}

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

/// Builds the shim with the workspace `wasm` profile, as every shipped wasm
/// (plus `extra_env`, e.g. `CARGO_PROFILE_WASM_OPT_LEVEL` overrides) and
/// `RUSTFLAGS="-C target-cpu=mvp"` into `target_dir`, and returns the
/// `.wasm` bytes.
///
/// With an empty `extra_env` (the shipped configuration) the result has
/// also been through [`wasm_opt`], as the contract artifact has. A build
/// with overrides is an experiment on the compiler's own output (the
/// `opt-level` comparison of `profile-report`, the no-LTO bulk-memory proof
/// of `tests/no_float_instructions.rs`) and is returned as cargo wrote it.
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
            "--profile",
            "wasm",
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
    let raw = target_dir
        .join(WASM_TARGET)
        .join("wasm")
        .join("vigil_wasm_shim.wasm");
    let wasm = if extra_env.is_empty() {
        let optimised = raw.with_extension("opt.wasm");
        wasm_opt(&raw, &optimised)?;
        optimised
    } else {
        raw
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The shim is optimised exactly as the shipped contract: the
    /// arguments of `scripts/build-contract.sh`'s `wasm-opt` call after
    /// `"$WASM_OPT" "$RAW" -o "$TMP"` are [`WASM_OPT_ARGS`].
    #[test]
    fn wasm_opt_args_match_build_contract() {
        let script = std::fs::read_to_string(workspace_root().join("scripts/build-contract.sh"))
            .expect("scripts/build-contract.sh");
        let call = script
            .split("\"$WASM_OPT\" \"$RAW\" -o \"$TMP\"")
            .nth(1)
            .expect("the wasm-opt call");
        // The call runs to the first line that does not end in a backslash.
        let mut args = Vec::new();
        for line in call.lines() {
            let continued = line.trim_end().ends_with('\\');
            args.extend(
                line.split_whitespace()
                    .filter(|a| *a != "\\")
                    .map(str::to_owned),
            );
            if !continued {
                break;
            }
        }
        assert_eq!(args, WASM_OPT_ARGS);
    }
}
