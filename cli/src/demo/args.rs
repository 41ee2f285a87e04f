//! What `vigil demo` takes, its constants and its typed errors.
use std::fmt;
use std::path::PathBuf;

use vigil_chain_sim::artifact;

use crate::synthetic;

/// Denom of bonds and rewards.
pub const DENOM: &str = "uvigil";
/// The guard's minimum bond, and the bond each proposer attaches.
pub const BOND: u128 = 1_000_000;
/// What each proposer starts with.
pub const PROPOSER_FUNDS: u128 = 10_000_000;
/// What the admin deposits in the reward vault.
pub const VAULT_FUNDING: u128 = 5_000_000;
/// Reward of an accepted proposal: this share of its bond.
pub const REWARD_SHARE: &str = "0.1";
/// PoIm margins, every metric: a candidate must gain at least this on some
/// metric ...
pub const MIN_GAIN: &str = "0.005";
/// ... and lose no more than this on any (below `MIN_GAIN`, as the guard
/// requires: otherwise two models could each count as better than the
/// other).
pub const TOLERANCE: &str = "0.004";
/// Gas limit of each execute (SDK gas): generous, the report shows use.
pub const TX_GAS_LIMIT: u64 = 100_000_000;

/// Everything `vigil demo` takes.
#[derive(Clone, Debug)]
pub struct DemoArgs {
    /// A directory with `train.csv` and `test.csv`; `None`: synthetic data.
    pub data: Option<PathBuf>,
    /// Label column of `--data`.
    pub label: String,
    /// Seed of the synthetic data, the shuffled labels and training.
    pub seed: u64,
    /// Synthetic training rows.
    pub train_rows: usize,
    /// Synthetic test rows.
    pub test_rows: usize,
    /// Synthetic attack share.
    pub attack_share: f64,
    /// Transactions in the guarded stream.
    pub stream: usize,
    /// Trees of the better (boosted) model.
    pub trees: usize,
    /// Cross-validation folds choosing each model's threshold.
    pub cv: usize,
    /// The guard's `eval_batch`: test rows per evaluation step.
    pub eval_batch: u32,
    /// Test samples per `AddTestSamples` message.
    pub sample_batch: usize,
    /// At most this many test rows go on chain.
    pub max_chain_samples: usize,
    /// Where data, models and the VM cache go.
    pub out: PathBuf,
    /// The guard artifact to run (`--artifact`); `None`:
    /// `$VIGIL_GUARD_WASM`, else the repository checkout's
    /// `artifacts/vigil_guard.wasm` (see [`vigil_chain_sim::artifact::locate`]).
    pub artifact: Option<PathBuf>,
    /// The governor artifact to run (`--governor-artifact`); `None`:
    /// `vigil_governor.wasm` beside the guard artifact
    /// ([`vigil_chain_sim::artifact::governor_beside`]), in a checkout its
    /// `artifacts/vigil_governor.wasm`.
    pub governor_artifact: Option<PathBuf>,
    /// Target directory for building a checkout's artifact if missing or
    /// stale; `None`: [`artifact::default_build_dir`].
    pub contract_target_dir: Option<PathBuf>,
    /// Progress bars on a terminal.
    pub progress: bool,
}

impl DemoArgs {
    /// The defaults of `vigil demo`, writing to `out`.
    pub fn new(out: PathBuf) -> DemoArgs {
        DemoArgs {
            data: None,
            label: "label".into(),
            seed: synthetic::DEFAULT_SEED,
            train_rows: 4_000,
            test_rows: 1_000,
            attack_share: synthetic::DEFAULT_ATTACK_SHARE,
            stream: 16,
            trees: 100,
            cv: 5,
            eval_batch: 250,
            sample_batch: 100,
            max_chain_samples: 2_000,
            artifact: None,
            governor_artifact: None,
            contract_target_dir: None,
            out,
            progress: true,
        }
    }
}

/// Errors of `vigil demo` that are about its inputs and environment.
#[derive(Debug)]
pub enum DemoError {
    /// A file `--data` needs is missing.
    MissingFile {
        /// The file.
        path: PathBuf,
    },
    /// The data has no label column.
    NoLabel {
        /// The file.
        path: PathBuf,
        /// The label column looked for.
        label: String,
        /// The columns found.
        columns: Vec<String>,
    },
    /// `train.csv` and `test.csv` have different feature columns.
    Columns {
        /// Training file and its feature columns.
        train: (PathBuf, Vec<String>),
        /// Test file and its feature columns.
        test: (PathBuf, Vec<String>),
    },
    /// A file has only one class.
    OneClass {
        /// The file.
        path: PathBuf,
        /// Positive rows.
        positives: usize,
        /// All rows.
        rows: usize,
    },
    /// No contract artifact: no `--artifact`, no `$VIGIL_GUARD_WASM`, and
    /// not inside a repository checkout.
    NoArtifact(artifact::NotFound),
    /// The contract artifact must be built but binaryen's wasm-opt is not
    /// installed.
    NoWasmOpt {
        /// The artifact.
        artifact: PathBuf,
        /// Why the artifact must be built.
        reason: &'static str,
        /// Where wasm-opt is expected.
        wasm_opt: PathBuf,
    },
    /// The contract artifact could not be read or built.
    Artifact(String),
    /// A contract call failed.
    Chain {
        /// Which call.
        call: String,
        /// The contract's or the VM's error.
        error: String,
    },
}

impl fmt::Display for DemoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DemoError::MissingFile { path } => write!(
                f,
                "{} not found: --data DIR needs DIR/train.csv and DIR/test.csv \
                 (a header row, numeric feature columns and a 0/1 label column)",
                path.display()
            ),
            DemoError::NoLabel {
                path,
                label,
                columns,
            } => write!(
                f,
                "{}: no label column `{label}` (columns: {}); name it with --label",
                path.display(),
                columns.join(", ")
            ),
            DemoError::Columns { train, test } => write!(
                f,
                "{} and {} have different feature columns: [{}] vs [{}]",
                train.0.display(),
                test.0.display(),
                train.1.join(", "),
                test.1.join(", ")
            ),
            DemoError::OneClass {
                path,
                positives,
                rows,
            } => write!(
                f,
                "{}: {positives} positive rows of {rows}: both classes are needed",
                path.display()
            ),
            DemoError::NoArtifact(e) => write!(f, "{e}"),
            DemoError::NoWasmOpt {
                artifact,
                reason,
                wasm_opt,
            } => write!(
                f,
                "{} is {reason} and building it needs binaryen's wasm-opt, not found at {}: \
                 run `./scripts/setup.sh` (or `npm ci` in the repository root), then retry, \
                 or pass --artifact PATH",
                artifact.display(),
                wasm_opt.display()
            ),
            DemoError::Artifact(e) => write!(f, "contract artifact: {e}"),
            DemoError::Chain { call, error } => write!(f, "{call} failed on chain: {error}"),
        }
    }
}

impl std::error::Error for DemoError {}
