//! The shipped contracts, `artifacts/vigil_guard.wasm` (the guard) and
//! `artifacts/vigil_governor.wasm` (its governor), as a chain receives
//! them: built by `scripts/build-contract.sh` (`--governor` for the
//! governor; cargo, then binaryen's wasm-opt), never by anything else, so
//! every figure and check in host-tests (and `vigil demo`) is about the
//! exact files that are uploaded.
//!
//! Everything here takes the repository checkout it works in (`root`, the
//! directory holding `scripts/build-contract.sh`) as an argument, found at
//! run time: host-tests pass their own workspace; `vigil demo` walks up
//! from the current directory ([`find_checkout`]) or takes a file from
//! `--artifact` or `$VIGIL_GUARD_WASM` ([`locate`]), so a moved or
//! installed binary never silently runs another checkout's artifact.
//!
//! [`load`] returns the artifact's bytes, first running the script when the
//! file is missing or older than any source it is built from, so a fresh
//! clone needs no manual step.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use sha2::{Digest, Sha256};

/// The guard artifact's path inside a checkout.
pub const RELATIVE_PATH: &str = "artifacts/vigil_guard.wasm";

/// The governor artifact's path inside a checkout
/// (`scripts/build-contract.sh --governor`, [`load_governor`]).
pub const GOVERNOR_PATH: &str = "artifacts/vigil_governor.wasm";

/// The governor artifact's file name: beside the guard's
/// ([`governor_beside`]).
pub const GOVERNOR_FILE: &str = "vigil_governor.wasm";

/// The upgrade build for a 0.1 (or early 0.2) single contract: the
/// governor plus the 0.1 store converter, inside a checkout:
/// `scripts/build-contract.sh --from-0-1` writes it ([`load_from_0_1`]).
pub const FROM_0_1_PATH: &str = "artifacts/vigil_governor_from_0_1.wasm";

/// The command that builds the artifact (relative to the checkout), for
/// messages; also how [`find_checkout`] recognises a checkout.
pub const BUILD_COMMAND: &str = "scripts/build-contract.sh";

/// The environment variable naming an artifact to run instead of a
/// checkout's (`vigil demo`; a flag takes precedence).
pub const ENV_VAR: &str = "VIGIL_GUARD_WASM";

/// Where the guard artifact lives in the checkout at `root`.
pub fn path(root: &Path) -> PathBuf {
    root.join(RELATIVE_PATH)
}

/// Where the governor artifact lives in the checkout at `root`.
pub fn governor_path(root: &Path) -> PathBuf {
    root.join(GOVERNOR_PATH)
}

/// The governor artifact beside the guard artifact `guard` (the same
/// directory, [`GOVERNOR_FILE`]), as `scripts/build-contract.sh` writes
/// them.
pub fn governor_beside(guard: &Path) -> PathBuf {
    guard
        .parent()
        .unwrap_or_else(|| Path::new(""))
        .join(GOVERNOR_FILE)
}

/// binaryen's `wasm-opt` of the checkout at `root`, installed by `npm ci`
/// (`scripts/setup.sh`), which the build script runs.
pub fn wasm_opt(root: &Path) -> PathBuf {
    root.join("node_modules/.bin/wasm-opt")
}

/// The nearest directory at or above `start` holding
/// [`BUILD_COMMAND`]: the repository checkout `start` is in, if any.
pub fn find_checkout(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join(BUILD_COMMAND).is_file())
        .map(Path::to_path_buf)
}

/// The files and directories the artifact is built from.
pub const SOURCES: [&str; 10] = [
    "contract/src",
    "contract/Cargo.toml",
    "guard-api/src",
    "guard-api/Cargo.toml",
    "inference-core/src",
    "inference-core/Cargo.toml",
    "Cargo.toml",
    "Cargo.lock",
    "package-lock.json",
    "scripts/build-contract.sh",
];

/// Newest modification time among [`SOURCES`] in the checkout at `root`.
pub fn newest_source(root: &Path) -> Option<SystemTime> {
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
    let mut newest = None;
    for input in SOURCES {
        walk(&root.join(input), &mut newest);
    }
    newest
}

/// Why the checkout's guard artifact must be (re)built, or `None` if it
/// is current.
pub fn staleness(root: &Path) -> Option<&'static str> {
    staleness_of(root, &path(root))
}

/// Why the checkout's governor artifact must be (re)built, or `None`.
pub fn governor_staleness(root: &Path) -> Option<&'static str> {
    staleness_of(root, &governor_path(root))
}

fn staleness_of(root: &Path, path: &Path) -> Option<&'static str> {
    let built = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    match (built, newest_source(root)) {
        (None, _) => Some("missing"),
        (Some(built), Some(source)) if source > built => Some("older than its sources"),
        _ => None,
    }
}

/// The build directory of a checkout's nested contract builds when the
/// caller names none: `$CARGO_TARGET_DIR/tmp/contract-wasm`, else
/// `<root>/target/tmp/contract-wasm` (where host-tests' contract tests
/// build it too, so one build serves both).
pub fn default_build_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("tmp/contract-wasm")
}

/// Runs `scripts/build-contract.sh` of the checkout at `root` with
/// `CARGO_TARGET_DIR=target_dir` (a directory no outer cargo holds
/// locked). Its output goes to stderr.
pub fn build(root: &Path, target_dir: &Path) -> Result<(), String> {
    let _one_at_a_time = building();
    build_with(root, target_dir, &[])
}

/// The builds share cargo's output file (one crate, other features): in
/// one process, one build (and its staleness check) at a time, so a
/// build's wasm-opt never reads the other's cargo output.
fn building() -> std::sync::MutexGuard<'static, ()> {
    static BUILDING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    BUILDING.lock().unwrap_or_else(|e| e.into_inner())
}

fn build_with(root: &Path, target_dir: &Path, args: &[&str]) -> Result<(), String> {
    let status = Command::new("bash")
        .arg(root.join(BUILD_COMMAND))
        .args(args)
        .current_dir(root)
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

/// The checkout's artifact bytes, built first (into `target_dir`) if
/// missing or stale. A failed build is reported on stderr and the existing
/// file, if any, is still returned (the script fails on an oversized
/// artifact after writing it; the size check reports that).
pub fn load(root: &Path, target_dir: &Path) -> Result<Vec<u8>, String> {
    load_built(root, target_dir, &path(root), &[])
}

/// [`load`] of the governor artifact ([`GOVERNOR_PATH`], built with
/// `scripts/build-contract.sh --governor`).
pub fn load_governor(root: &Path, target_dir: &Path) -> Result<Vec<u8>, String> {
    load_built(root, target_dir, &governor_path(root), &["--governor"])
}

/// [`load`] of the upgrade build for a 0.1 single contract
/// ([`FROM_0_1_PATH`], built with `scripts/build-contract.sh --from-0-1`).
pub fn load_from_0_1(root: &Path, target_dir: &Path) -> Result<Vec<u8>, String> {
    load_built(root, target_dir, &root.join(FROM_0_1_PATH), &["--from-0-1"])
}

fn load_built(
    root: &Path,
    target_dir: &Path,
    path: &Path,
    args: &[&str],
) -> Result<Vec<u8>, String> {
    let _one_at_a_time = building();
    if let Some(reason) = staleness_of(root, path) {
        eprintln!(
            "{} is {reason}: building it with {BUILD_COMMAND} {} (CARGO_TARGET_DIR={})",
            path.display(),
            args.join(" "),
            target_dir.display()
        );
        if let Err(e) = build_with(root, target_dir, args) {
            eprintln!("{e}");
        }
    }
    std::fs::read(path).map_err(|e| {
        format!(
            "read {}: {e} (build it with {BUILD_COMMAND})",
            path.display()
        )
    })
}

/// SHA-256 of `bytes`, lower-case hex: the checksum wasmd records for an
/// uploaded code (and `sha256sum` prints).
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Where a run's artifact comes from ([`locate`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A file named by the caller (e.g. `vigil demo --artifact PATH`):
    /// used as it is, never built.
    Flag(PathBuf),
    /// The file `$VIGIL_GUARD_WASM` names: used as it is, never built.
    Env(PathBuf),
    /// The artifact of the repository checkout at `root`, built by its
    /// script when missing or stale.
    Checkout {
        /// The checkout (holds `scripts/build-contract.sh`).
        root: PathBuf,
    },
}

impl Source {
    /// The artifact's path.
    pub fn path(&self) -> PathBuf {
        match self {
            Source::Flag(p) | Source::Env(p) => p.clone(),
            Source::Checkout { root } => path(root),
        }
    }

    /// Where the choice came from, for messages.
    pub fn origin(&self) -> &'static str {
        match self {
            Source::Flag(_) => "--artifact",
            Source::Env(_) => "$VIGIL_GUARD_WASM",
            Source::Checkout { .. } => "the repository checkout",
        }
    }
}

/// No artifact could be located.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotFound {
    /// The directory the checkout was looked for from.
    pub cwd: PathBuf,
}

impl fmt::Display for NotFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no contract artifact: pass --artifact PATH (a vigil_guard.wasm), set \
             {ENV_VAR}=PATH, or run from inside a Vigil repository checkout \
             (none at or above {}), where {RELATIVE_PATH} is built by {BUILD_COMMAND}",
            self.cwd.display()
        )
    }
}

impl std::error::Error for NotFound {}

/// The artifact to run, decided at run time: `flag` if given, else
/// `env` (the value of [`ENV_VAR`], if set and non-empty), else the
/// artifact of the checkout at or above `cwd` ([`find_checkout`]).
/// Relative paths are taken from `cwd`.
pub fn locate(
    flag: Option<&Path>,
    env: Option<&std::ffi::OsStr>,
    cwd: &Path,
) -> Result<Source, NotFound> {
    if let Some(p) = flag {
        return Ok(Source::Flag(cwd.join(p)));
    }
    if let Some(p) = env.filter(|p| !p.is_empty()) {
        return Ok(Source::Env(cwd.join(p)));
    }
    find_checkout(cwd)
        .map(|root| Source::Checkout { root })
        .ok_or_else(|| NotFound {
            cwd: cwd.to_path_buf(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_beats_the_environment_which_beats_the_checkout() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("chain-sim lives in the workspace");
        let inside = repo.join("chain-sim/src");
        let env = std::ffi::OsStr::new("env.wasm");
        assert_eq!(
            locate(Some(Path::new("/x/flag.wasm")), Some(env), &inside),
            Ok(Source::Flag(PathBuf::from("/x/flag.wasm")))
        );
        assert_eq!(
            locate(None, Some(env), &inside),
            Ok(Source::Env(inside.join("env.wasm")))
        );
        let found = locate(None, Some(std::ffi::OsStr::new("")), &inside).unwrap();
        assert_eq!(
            found,
            Source::Checkout {
                root: repo.to_path_buf()
            }
        );
        assert_eq!(found.path(), repo.join(RELATIVE_PATH));
    }

    #[test]
    fn outside_a_checkout_the_error_says_how_to_get_one() {
        let e = locate(None, None, Path::new("/")).unwrap_err();
        let s = e.to_string();
        for needle in ["--artifact PATH", ENV_VAR, BUILD_COMMAND] {
            assert!(s.contains(needle), "{s}");
        }
    }

    #[test]
    fn sha256_is_the_standard_digest() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
