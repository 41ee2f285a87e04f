//! `vigil demo`: the whole of Vigil in one command, with nothing from
//! outside the repository.
//!
//! 1. **Data**: a seeded synthetic DeFi transaction dataset
//!    ([`crate::synthetic`]), or `--data DIR` with `DIR/train.csv` and
//!    `DIR/test.csv` (the CSV format `vigil train` reads).
//! 2. **Models**, all trained with `vigil train`'s code ([`crate::train`]):
//!    the *incumbent* (the default guard: L2 logistic regression), a
//!    *better* candidate (gradient-boosted trees) and a *worse* one (the same
//!    logistic regression trained on shuffled labels: no signal), each
//!    quantised and measured in float and fixed point on the test set.
//! 3. **Chain**: the shipped contract artifact (`artifacts/vigil_guard.wasm`,
//!    built by `scripts/build-contract.sh` when missing or stale) stored and
//!    run in cosmwasm-vm 3.0 with wasmd's gas model
//!    ([`vigil_host_tests::chain::Chain`]): instantiated with the incumbent,
//!    funded, given the test set as its public Proof-of-Improvement set
//!    (`AddTestSamples` in batches).
//! 4. **Guard**: a stream of transactions, each asked with `Check` (allow /
//!    deny, gas) and `Score` (the top contributions: the reasons).
//! 5. **Proof-of-Improvement**: `ProposeModel` with the better model
//!    (evaluated by the contract in `eval_batch`-row steps, `ContinueEvaluation`
//!    until decided: accepted, bond back plus reward) and with the worse one
//!    (rejected, bond to the vault); the contract's confusion counts are
//!    checked against the native core's.
//! 6. **Report**: SDK gas per call kind (setup, storage, compute), model
//!    sizes and cost bounds, accuracy/F1/precision/recall/AUC and
//!    fixed-vs-float agreement.
//!
//! [`run`] writes text to a writer and returns a [`DemoReport`] (what the
//! tests assert on).
use std::collections::BTreeMap;
use std::fmt;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use cosmwasm_std::{Binary, Decimal, SignedDecimal};
use indicatif::{ProgressBar, ProgressStyle};
use serde::de::DeserializeOwned;
use serde::Serialize;
use vigil_guard::gas::{check_gas, check_message_bytes};
use vigil_guard::msg::{
    CheckResponse, ConfigResponse, ExecuteMsg, Metrics as ChainMetrics, PausedCheck,
    ProposalResponse, ProposalsResponse, QueryMsg, RewardRule, ScoreResponse, TestSample,
};
use vigil_host_tests::chain::{Chain, Gas, WasmdGas};
use vigil_host_tests::{artifact, shim};
use vigil_inference_core::decimal::Exact;
use vigil_inference_core::{decimal, Act, Model};

use crate::data::{self, LabelMode, Table};
use crate::metrics::Confusion;
use crate::msg::{self, InstantiateArgs};
use crate::report::{thousands, CostInfo, SetReport};
use crate::rng::Rng;
use crate::synthetic;
use crate::train::{self, Family, TrainArgs};

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
/// ... and lose no more than this on any.
pub const TOLERANCE: &str = "0.005";
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
    /// Target directory for building the contract artifact if stale.
    pub contract_target_dir: PathBuf,
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
            // Shared with host-tests' contract tests (CARGO_TARGET_TMPDIR).
            contract_target_dir: shim::default_target_dir().join("tmp/contract-wasm"),
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
    /// The contract artifact must be built but binaryen's wasm-opt is not
    /// installed.
    NoWasmOpt {
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
            DemoError::NoWasmOpt { reason, wasm_opt } => write!(
                f,
                "{} is {reason} and building it needs binaryen's wasm-opt, not found at {}: \
                 run `./scripts/setup.sh` (or `npm ci` in the repository root), then retry",
                artifact::path().display(),
                wasm_opt.display()
            ),
            DemoError::Artifact(e) => write!(f, "contract artifact: {e}"),
            DemoError::Chain { call, error } => write!(f, "{call} failed on chain: {error}"),
        }
    }
}

impl std::error::Error for DemoError {}

/// The three models' roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The default guard, installed at instantiation.
    Incumbent,
    /// A candidate that should be accepted.
    Better,
    /// A candidate that should be rejected.
    Worse,
}

impl Role {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Role::Incumbent => "incumbent",
            Role::Better => "better",
            Role::Worse => "worse",
        }
    }
}

/// One trained model.
#[derive(Clone, Debug, Serialize)]
pub struct ModelSummary {
    /// Its role.
    pub role: Role,
    /// Family and shape, and how it was trained.
    pub description: String,
    /// Where the blob is.
    pub path: PathBuf,
    /// Blob size, threshold, cost bound and SDK gas estimate.
    pub cost: CostInfo,
    /// The stored threshold.
    pub threshold: f64,
    /// Float and fixed metrics on the test set.
    pub test: SetReport,
    /// Training time.
    pub train_seconds: f64,
}

/// One guarded transaction.
#[derive(Clone, Debug, Serialize)]
pub struct Guarded {
    /// What it is.
    pub name: String,
    /// Whether it is an attack (its label).
    pub attack: bool,
    /// Its features, as sent to `Check`.
    pub features: Vec<String>,
    /// `Check`'s answer with the incumbent.
    pub allow: bool,
    /// The score.
    pub score: f64,
    /// SDK gas of the `Check`.
    pub check_gas: u64,
    /// The top contributions from `Score`: feature name, value.
    pub reasons: Vec<(String, f64)>,
    /// `Check`'s answer after the PoIm round (the active model then).
    pub allow_after: bool,
}

/// One Proof-of-Improvement proposal.
#[derive(Clone, Debug, Serialize)]
pub struct ProposalOutcome {
    /// Which model was proposed.
    pub role: Role,
    /// Proposal id.
    pub id: u64,
    /// Accepted (else rejected).
    pub accepted: bool,
    /// Transactions it took (ProposeModel + ContinueEvaluation).
    pub steps: usize,
    /// Test rows the contract evaluated.
    pub rows: u32,
    /// The bond attached.
    pub bond: u128,
    /// Reward paid (accepted).
    pub reward: u128,
    /// Proposer balance before, while evaluated (after the first step) and
    /// after.
    pub proposer_balance: [u128; 3],
    /// Vault before and after.
    pub vault: [u128; 2],
    /// The contract's metrics of the candidate.
    pub candidate: ChainMetrics,
    /// The contract's metrics of the incumbent on the same rows.
    pub incumbent: ChainMetrics,
    /// Per metric (accuracy, f1, precision, recall): improved / worsened /
    /// unchanged, as the contract decided.
    pub movements: Vec<String>,
    /// The contract's confusion counts equal the native core's on the
    /// same samples, for both models.
    pub counts_match_native: bool,
}

/// SDK gas of one kind of call.
#[derive(Clone, Debug, Serialize)]
pub struct GasRow {
    /// The call.
    pub kind: String,
    /// How many were made.
    pub calls: usize,
    /// Mean setup.
    pub setup: u64,
    /// Mean storage.
    pub storage: u64,
    /// Mean compute.
    pub compute: u64,
    /// Mean total.
    pub total: u64,
    /// Largest total.
    pub max: u64,
}

/// What `vigil demo` did and measured.
#[derive(Clone, Debug, Serialize)]
pub struct DemoReport {
    /// Where the data came from.
    pub dataset: String,
    /// Feature names.
    pub features: Vec<String>,
    /// Training rows.
    pub train_rows: usize,
    /// Test rows.
    pub test_rows: usize,
    /// Test rows stored on chain.
    pub chain_samples: usize,
    /// Artifact size.
    pub artifact_bytes: usize,
    /// Incumbent, better, worse.
    pub models: Vec<ModelSummary>,
    /// The guarded stream.
    pub stream: Vec<Guarded>,
    /// Better, then worse.
    pub proposals: Vec<ProposalOutcome>,
    /// Active model version at the end.
    pub active_version: u32,
    /// Gas per call kind, in the order first made.
    pub gas: Vec<GasRow>,
    /// Wall time.
    pub seconds: f64,
}

impl DemoReport {
    /// The gas row of a call kind.
    pub fn gas_of(&self, kind: &str) -> Option<&GasRow> {
        self.gas.iter().find(|g| g.kind == kind)
    }

    /// The proposal of a role.
    pub fn proposal(&self, role: Role) -> Option<&ProposalOutcome> {
        self.proposals.iter().find(|p| p.role == role)
    }
}

/// A transaction to guard.
struct StreamTx {
    name: String,
    attack: bool,
    features: Vec<String>,
}

/// The gas-log kind of `Check` with the incumbent.
const CHECK_V1: &str = "check (v1 logreg)";

/// Every call made, by kind, for the report.
#[derive(Default)]
struct GasLog {
    order: Vec<String>,
    calls: BTreeMap<String, Vec<Gas>>,
}

impl GasLog {
    fn add(&mut self, kind: &str, gas: Gas) {
        if !self.calls.contains_key(kind) {
            self.order.push(kind.to_string());
        }
        self.calls.entry(kind.to_string()).or_default().push(gas);
    }

    fn rows(&self) -> Vec<GasRow> {
        self.order
            .iter()
            .map(|kind| {
                let g = &self.calls[kind];
                let n = g.len() as u64;
                let mean = |f: fn(&Gas) -> u64| g.iter().map(f).sum::<u64>() / n;
                GasRow {
                    kind: kind.clone(),
                    calls: g.len(),
                    setup: mean(|g| g.setup),
                    storage: mean(|g| g.storage),
                    compute: mean(|g| g.compute),
                    total: mean(Gas::total),
                    max: g.iter().map(Gas::total).max().unwrap_or(0),
                }
            })
            .collect()
    }
}

/// The chain, the contract's parties and the gas log.
struct Guard {
    chain: Chain,
    admin: String,
    gas: GasLog,
}

impl Guard {
    fn execute(
        &mut self,
        kind: &str,
        sender: &str,
        funds: &[(&str, u128)],
        msg: &impl Serialize,
    ) -> Result<vigil_host_tests::chain::Outcome> {
        let msg = serde_json::to_value(msg)?;
        let outcome = self.chain.execute(sender, funds, &msg, TX_GAS_LIMIT);
        self.gas.add(kind, outcome.gas);
        if let Err(e) = &outcome.result {
            return Err(DemoError::Chain {
                call: kind.to_string(),
                error: e.clone(),
            }
            .into());
        }
        Ok(outcome)
    }

    /// A query; `kind` records its gas (None: not reported).
    fn query<T: DeserializeOwned>(
        &mut self,
        kind: Option<&str>,
        msg: &QueryMsg,
    ) -> Result<(T, Gas)> {
        let outcome = self.chain.query(&serde_json::to_value(msg)?);
        if let Some(kind) = kind {
            self.gas.add(kind, outcome.gas);
        }
        let value = outcome.result.map_err(|error| DemoError::Chain {
            call: format!("{msg:?}"),
            error,
        })?;
        let answer = serde_json::from_value(value).context("unexpected query answer")?;
        Ok((answer, outcome.gas))
    }

    fn config(&mut self) -> Result<ConfigResponse> {
        Ok(self.query(None, &QueryMsg::Config {})?.0)
    }
}

fn bar(progress: bool, len: u64, what: &str) -> ProgressBar {
    if !progress || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(len);
    b.set_style(
        ProgressStyle::with_template("  {prefix:<24} [{bar:30}] {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    b.set_prefix(what.to_string());
    b
}

fn dec(d: Decimal) -> f64 {
    d.to_string().parse().unwrap_or(f64::NAN)
}

fn sdec(d: SignedDecimal) -> f64 {
    d.to_string().parse().unwrap_or(f64::NAN)
}

/// A labelled table, with typed errors for a missing file or label.
fn load_labelled(path: &Path, label: &str) -> Result<Table> {
    if !path.is_file() {
        return Err(DemoError::MissingFile {
            path: path.to_path_buf(),
        }
        .into());
    }
    let t = Table::load(path, label, LabelMode::Optional)?;
    if t.label_column.is_none() {
        return Err(DemoError::NoLabel {
            path: path.to_path_buf(),
            label: label.to_string(),
            columns: t.columns.clone(),
        }
        .into());
    }
    let y = t.labels()?;
    let positives = y.iter().filter(|&&v| v).count();
    if positives == 0 || positives == y.len() {
        return Err(DemoError::OneClass {
            path: path.to_path_buf(),
            positives,
            rows: y.len(),
        }
        .into());
    }
    Ok(t)
}

/// The training and test tables, checked against each other.
pub fn load_data(train: &Path, test: &Path, label: &str) -> Result<(Table, Table)> {
    let tr = load_labelled(train, label)?;
    let te = load_labelled(test, label)?;
    if tr.columns != te.columns {
        return Err(DemoError::Columns {
            train: (train.to_path_buf(), tr.columns.clone()),
            test: (test.to_path_buf(), te.columns.clone()),
        }
        .into());
    }
    Ok((tr, te))
}

/// The artifact's bytes, built first if missing or stale.
fn load_artifact(target_dir: &Path, o: &mut dyn Write) -> Result<Vec<u8>> {
    if let Some(reason) = artifact::staleness() {
        let wasm_opt = shim::workspace_root().join("node_modules/.bin/wasm-opt");
        if !wasm_opt.exists() {
            return Err(DemoError::NoWasmOpt { reason, wasm_opt }.into());
        }
        // artifact::load says why it builds (stderr).
        o.flush()?;
    }
    Ok(artifact::load(target_dir).map_err(DemoError::Artifact)?)
}

/// Confusion counts of a model on test samples, computed natively.
fn native_confusion(blob: &[u8], samples: &[TestSample]) -> Result<Confusion> {
    let model = Model::parse(blob)?;
    let mut scratch = vec![Act::ZERO; model.scratch_len()];
    let mut pred = Vec::with_capacity(samples.len());
    let mut truth = Vec::with_capacity(samples.len());
    for s in samples {
        let inputs = s
            .features
            .iter()
            .map(|v| decimal::parse(v))
            .collect::<Result<Vec<_>, _>>()?;
        pred.push(model.infer(&inputs, &mut scratch)?.label);
        truth.push(s.label);
    }
    Ok(Confusion::of(&pred, &truth))
}

fn same_counts(chain: &ChainMetrics, native: &Confusion) -> bool {
    (
        u64::from(chain.tp),
        u64::from(chain.fp),
        u64::from(chain.tn),
        u64::from(chain.fn_),
    ) == (native.tp, native.fp, native.tn, native.fn_)
}

/// A stream from test rows: positives and negatives alternating.
fn stream_from_table(t: &Table, n: usize) -> Result<Vec<StreamTx>> {
    let y = t.labels()?;
    let mut pos = (0..y.len()).filter(|&i| y[i]);
    let mut neg = (0..y.len()).filter(|&i| !y[i]);
    let mut out = Vec::new();
    while out.len() < n {
        let next = if out.len() % 2 == 0 {
            neg.next().or_else(|| pos.next())
        } else {
            pos.next().or_else(|| neg.next())
        };
        let Some(i) = next else { break };
        out.push(StreamTx {
            name: format!("test.csv line {}", t.rows[i].line),
            attack: y[i],
            features: t.rows[i].raw.clone(),
        });
    }
    Ok(out)
}

fn write_shuffled(t: &Table, label: &str, path: &Path, rng: &mut Rng) -> Result<()> {
    let mut y = t.labels()?;
    rng.shuffle(&mut y);
    let columns: Vec<&str> = t.columns.iter().map(String::as_str).collect();
    data::write_csv(
        path,
        &columns,
        label,
        t.rows.iter().zip(y).map(|(r, y)| (r.raw.as_slice(), y)),
    )
}

/// The test rows as the contract's test samples, leaving out rows with a
/// value the contract refuses (more than 19 fractional digits, e.g.
/// `6.199999999999999e-11`); returns their line numbers too.
fn chain_samples(t: &Table) -> Result<(Vec<TestSample>, Vec<usize>)> {
    let y = t.labels()?;
    let mut refused = Vec::new();
    let mut out = Vec::with_capacity(t.rows.len());
    for (r, label) in t.rows.iter().zip(y) {
        if r.raw.iter().all(|v| Exact::parse(v).is_ok()) {
            out.push(TestSample {
                features: r.raw.clone(),
                label,
            });
        } else {
            refused.push(r.line);
        }
    }
    Ok((out, refused))
}

/// The class ratio that lets the whole test set in.
fn class_ratio(samples: &[TestSample]) -> u64 {
    let pos = samples.iter().filter(|s| s.label).count() as u64;
    let neg = samples.len() as u64 - pos;
    let (major, minor) = (pos.max(neg), pos.min(neg).max(1));
    major.div_ceil(minor).max(5)
}

fn pct(x: f64) -> String {
    format!("{:.2}%", 100.0 * x)
}

fn money(x: u128) -> String {
    thousands(u64::try_from(x).unwrap_or(u64::MAX))
}

macro_rules! say {
    ($o:expr) => { writeln!($o)? };
    ($o:expr, $($t:tt)*) => { writeln!($o, $($t)*)? };
}

/// Train the incumbent, the better and the worse model with `vigil
/// train`'s code; their summaries and blobs.
fn train_models(
    a: &DemoArgs,
    train_table: &Table,
    train_path: &Path,
    test_path: &Path,
    o: &mut dyn Write,
) -> Result<(Vec<ModelSummary>, Vec<Vec<u8>>)> {
    say!(o);
    say!(
        o,
        "[2/5] models (vigil train's code; thresholds maximise F1 on {}-fold out-of-fold scores)",
        a.cv
    );
    let shuffled = a.out.join("train-shuffled-labels.csv");
    write_shuffled(
        train_table,
        &a.label,
        &shuffled,
        &mut Rng::new(a.seed).fork(99),
    )?;
    let plan = [
        (
            Role::Incumbent,
            Family::Logreg,
            train_path,
            "logistic regression (default guard)",
        ),
        (
            Role::Better,
            Family::Gbdt,
            train_path,
            "gradient-boosted trees",
        ),
        (
            Role::Worse,
            Family::Logreg,
            shuffled.as_path(),
            "logistic regression, shuffled labels",
        ),
    ];
    let mut models = Vec::new();
    let mut blobs = Vec::new();
    for (role, family, data, what) in plan {
        let out = a.out.join(format!("{}.vgm", role.name()));
        let mut t = TrainArgs::new(data.to_path_buf(), family, out);
        t.label = a.label.clone();
        t.seed = a.seed;
        t.cv = a.cv;
        t.trees = Some(a.trees);
        t.test = Some(test_path.to_path_buf());
        t.progress = a.progress;
        // A whole line first: progress bars (stderr, terminals only) draw
        // below it.
        say!(o, "  {:<9}  {what}: training ...", role.name());
        o.flush()?;
        let r = train::run(&t)?;
        let test = r
            .sets
            .iter()
            .find(|s| s.name == "test")
            .context("train reports the test set")?
            .clone();
        say!(
            o,
            "  {:<9}  {} ({}) in {:.1} s, {} bytes, threshold {:.4}; test F1 {:.4} fixed / {:.4} \
             float, AUC {:.4} / {:.4}, labels agree {}",
            "",
            match family {
                Family::Logreg => "logreg",
                _ => "gbdt",
            },
            r.shape,
            r.train_seconds,
            thousands(r.cost.model_bytes),
            r.threshold,
            test.fixed.f1,
            test.float.f1,
            test.fixed.auc,
            test.float.auc,
            pct(test.agreement.agreement)
        );
        blobs.push(std::fs::read(&r.out)?);
        models.push(ModelSummary {
            role,
            description: format!("{what}, {}", r.shape),
            path: r.out.clone(),
            cost: r.cost,
            threshold: r.threshold,
            test,
            train_seconds: r.train_seconds,
        });
    }
    Ok((models, blobs))
}

/// Guard the stream with the active model: `Check` and `Score` per
/// transaction.
fn guard_stream(
    g: &mut Guard,
    stream: &[StreamTx],
    features: &[String],
    o: &mut dyn Write,
) -> Result<Vec<Guarded>> {
    say!(o);
    say!(
        o,
        "[4/5] guard: {} transactions, Check (verdict, gas) and Score (top reasons, logit units)",
        stream.len()
    );
    say!(
        o,
        "  {:>2}  {:<24} {:<6} {:<6} {:>6}  {:>9}  top reasons",
        "#",
        "transaction",
        "truth",
        "verdict",
        "score",
        "Check gas"
    );
    let mut guarded = Vec::new();
    for (i, tx) in stream.iter().enumerate() {
        let (check, gas): (CheckResponse, Gas) = g.query(
            Some(CHECK_V1),
            &QueryMsg::Check {
                features: tx.features.clone(),
            },
        )?;
        let (score, _): (ScoreResponse, Gas) = g.query(
            Some("score (v1)"),
            &QueryMsg::Score {
                features: tx.features.clone(),
            },
        )?;
        let reasons: Vec<(String, f64)> = score
            .contributions
            .iter()
            .take(2)
            .map(|c| {
                (
                    features
                        .get(usize::from(c.feature))
                        .cloned()
                        .unwrap_or_else(|| format!("#{}", c.feature)),
                    sdec(c.value),
                )
            })
            .collect();
        let text: Vec<String> = reasons
            .iter()
            .map(|(n, v)| format!("{n} {v:+.2}"))
            .collect();
        say!(
            o,
            "  {:>2}  {:<24} {:<6} {:<6} {:>7.4} {:>9}  {}",
            i + 1,
            tx.name,
            if tx.attack { "attack" } else { "normal" },
            if check.allow { "allow" } else { "DENY" },
            dec(check.score),
            thousands(gas.total()),
            text.join(", ")
        );
        guarded.push(Guarded {
            name: tx.name.clone(),
            attack: tx.attack,
            features: tx.features.clone(),
            allow: check.allow,
            score: dec(check.score),
            check_gas: gas.total(),
            reasons,
            allow_after: check.allow,
        });
    }
    Ok(guarded)
}

/// "denied x of y attacks, allowed ..." before or after the PoIm round.
fn stream_summary(g: &[Guarded], after: bool) -> String {
    let allow = |x: &Guarded| if after { x.allow_after } else { x.allow };
    let attacks = g.iter().filter(|x| x.attack).count();
    let denied = g.iter().filter(|x| x.attack && !allow(x)).count();
    let normal = g.len() - attacks;
    let allowed = g.iter().filter(|x| !x.attack && allow(x)).count();
    format!(
        "denied {denied} of {attacks} attacks, allowed {allowed} of {normal} normal transactions"
    )
}

/// One proposal from `who`: `ProposeModel`, then `ContinueEvaluation`
/// until decided, with balances before and after.
#[allow(clippy::too_many_arguments)]
fn propose(
    g: &mut Guard,
    a: &DemoArgs,
    who: &str,
    model: &ModelSummary,
    blob: &[u8],
    incumbent_blob: &[u8],
    samples: &[TestSample],
    o: &mut dyn Write,
) -> Result<ProposalOutcome> {
    let test_rows = samples.len() as u64;
    let role = model.role;
    let proposer = g.chain.addr(who);
    g.chain.mint(&proposer, DENOM, PROPOSER_FUNDS);
    let before = g.chain.balance(&proposer, DENOM);
    let vault_before = g.config()?.vault.u128();
    say!(
        o,
        "  {who} proposes the {} model ({}), bond {} {DENOM}",
        role.name(),
        model.description,
        money(BOND)
    );
    let b = bar(a.progress, test_rows, "evaluating");
    let first = g.execute(
        "propose_model (first step)",
        &proposer,
        &[(DENOM, BOND)],
        &ExecuteMsg::ProposeModel {
            model: Binary::from(blob.to_vec()),
        },
    )?;
    let id: u64 = first
        .attribute("proposal_id")
        .and_then(|v| v.parse().ok())
        .context("ProposeModel answers a proposal_id")?;
    let during = g.chain.balance(&proposer, DENOM);
    let mut status = first.attribute("status").unwrap_or_default();
    let mut steps = 1;
    let mut last = first;
    while status == "evaluating" {
        b.set_position(
            last.attribute("evaluated")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
        );
        last = g.execute(
            "continue_evaluation",
            &proposer,
            &[],
            &ExecuteMsg::ContinueEvaluation { proposal_id: id },
        )?;
        status = last.attribute("status").unwrap_or_default();
        steps += 1;
    }
    b.finish_and_clear();
    let (list, _): (ProposalsResponse, Gas) = g.query(
        None,
        &QueryMsg::Proposals {
            start_after: id.checked_sub(1),
            limit: Some(1),
        },
    )?;
    let p: ProposalResponse = list
        .proposals
        .into_iter()
        .find(|p| p.id == id)
        .context("the proposal is listed")?;
    let accepted = status == "accepted";
    let after = g.chain.balance(&proposer, DENOM);
    let vault_after = g.config()?.vault.u128();
    let reward: u128 = last
        .attribute("reward")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let movements: Vec<String> = ["accuracy", "f1", "precision", "recall"]
        .iter()
        .map(|m| {
            last.attribute(&format!("{m}_movement"))
                .unwrap_or_else(|| "?".into())
        })
        .collect();
    let counts_match_native = same_counts(&p.candidate, &native_confusion(blob, samples)?)
        && same_counts(&p.incumbent, &native_confusion(incumbent_blob, samples)?);
    let line = |m: &ChainMetrics| {
        format!(
            "accuracy {:.4}  f1 {:.4}  precision {:.4}  recall {:.4}",
            dec(m.accuracy),
            dec(m.f1),
            dec(m.precision),
            dec(m.recall)
        )
    };
    say!(
        o,
        "    evaluated {} rows in {steps} transactions (ProposeModel + {} ContinueEvaluation)",
        thousands(p.evaluated.into()),
        steps - 1
    );
    say!(o, "    candidate  {}", line(&p.candidate));
    say!(o, "    incumbent  {}", line(&p.incumbent));
    say!(
        o,
        "    movements: accuracy {}, f1 {}, precision {}, recall {}; contract counts {} the native core's",
        movements[0],
        movements[1],
        movements[2],
        movements[3],
        if counts_match_native {
            "equal"
        } else {
            "DIFFER FROM"
        }
    );
    if accepted {
        say!(
            o,
            "    ACCEPTED: model v{} active; {who}: {} -> {} while evaluated -> {} {DENOM} \
             (bond back + reward {}); vault {} -> {}",
            p.accepted_version.unwrap_or(0),
            money(before),
            money(during),
            money(after),
            money(reward),
            money(vault_before),
            money(vault_after)
        );
    } else {
        say!(
            o,
            "    REJECTED: bond slashed to the vault; {who}: {} -> {} {DENOM}; vault {} -> {}",
            money(before),
            money(after),
            money(vault_before),
            money(vault_after)
        );
    }
    Ok(ProposalOutcome {
        role,
        id,
        accepted,
        steps,
        rows: p.evaluated,
        bond: BOND,
        reward,
        proposer_balance: [before, during, after],
        vault: [vault_before, vault_after],
        candidate: p.candidate,
        incumbent: p.incumbent,
        movements,
        counts_match_native,
    })
}

/// The closing report: gas per call kind, models, accuracy. Returns the
/// gas rows.
#[allow(clippy::too_many_arguments)]
fn print_report(
    o: &mut dyn Write,
    log: &GasLog,
    models: &[ModelSummary],
    proposals: &[ProposalOutcome],
    active: usize,
    check_after: &str,
    active_version: u32,
    test_rows: usize,
    stream: &[StreamTx],
) -> Result<Vec<GasRow>> {
    let gas = log.rows();
    say!(o);
    say!(
        o,
        "Report: SDK gas per call (wasmd: setup {} per call, {} if the code is pinned; KV storage; compute = VM gas / {})",
        thousands(WasmdGas::DEFAULT.instance_cost),
        thousands(WasmdGas::DEFAULT.instance_cost_pinned),
        thousands(WasmdGas::DEFAULT.multiplier)
    );
    say!(
        o,
        "  {:<32} {:>5} {:>11} {:>8} {:>10} {:>9} {:>11}",
        "call",
        "calls",
        "mean total",
        "setup",
        "storage",
        "compute",
        "max total"
    );
    for r in &gas {
        say!(
            o,
            "  {:<32} {:>5} {:>11} {:>8} {:>10} {:>9} {:>11}",
            r.kind,
            r.calls,
            thousands(r.total),
            thousands(r.setup),
            thousands(r.storage),
            thousands(r.compute),
            thousands(r.max)
        );
    }
    let eval_rows: u64 = proposals.iter().map(|p| u64::from(p.rows)).sum();
    let eval_gas: u64 = log
        .calls
        .iter()
        .filter(|(k, _)| k.starts_with("propose_model") || k.starts_with("continue_evaluation"))
        .flat_map(|(_, v)| v.iter().map(Gas::above_setup))
        .sum();
    if let Some(per_row) = eval_gas.checked_div(eval_rows) {
        say!(
            o,
            "  PoIm evaluation: {} SDK gas per test row above setup (both models scored, sample read)",
            thousands(per_row)
        );
    }
    say!(o);
    say!(
        o,
        "Models (cost bound: wasm operations of parse + one inference; Check bound: the SDK gas \
         vigil_guard::gas bounds for the stream's longest message, setup included; measured: \
         the stream's dearest Check)"
    );
    // The stream's longest Check message: the input the bound is quoted for.
    let message_bytes = stream
        .iter()
        .map(|t| check_message_bytes(&t.features))
        .max()
        .unwrap_or(0);
    let n_features = stream.first().map_or(0, |t| t.features.len());
    say!(
        o,
        "  {:<10} {:<48} {:>7} {:>10} {:>11} {:>14}",
        "model",
        "what",
        "bytes",
        "bound ops",
        "Check bound",
        "Check measured"
    );
    for (i, m) in models.iter().enumerate() {
        let bound = check_gas(&m.cost.cost(), n_features, message_bytes, false).total();
        // Measured: the dearest Check while the model was active.
        let measured = match i {
            0 => gas.iter().find(|r| r.kind == CHECK_V1),
            _ if i == active => gas.iter().find(|r| r.kind == check_after),
            _ => None,
        }
        .map_or("-".to_string(), |r| thousands(r.max));
        say!(
            o,
            "  {:<10} {:<48} {:>7} {:>10} {:>11} {:>14}",
            m.role.name(),
            m.description,
            thousands(m.cost.model_bytes),
            thousands(m.cost.ops),
            thousands(bound),
            measured
        );
    }
    let pinned = |kind: &str| {
        gas.iter().find(|r| r.kind == kind).map_or(0, |r| {
            r.total - r.setup + WasmdGas::DEFAULT.instance_cost_pinned
        })
    };
    say!(
        o,
        "  with the code pinned, a Check costs {} SDK gas with model v1 and {} with model v{}",
        thousands(pinned(CHECK_V1)),
        thousands(pinned(check_after)),
        active_version
    );
    say!(o);
    say!(
        o,
        "Accuracy on the test set ({} rows; fixed = the integer core the chain runs, float = the f64 reference)",
        thousands(test_rows as u64)
    );
    say!(
        o,
        "  {:<10} {:>8} {:>7} {:>9} {:>7} {:>7}   {:>8} {:>7}   {:>13} {:>10}",
        "model",
        "accuracy",
        "f1",
        "precision",
        "recall",
        "auc",
        "float f1",
        "auc",
        "fixed = float",
        "max |diff|"
    );
    for m in models {
        let (x, f) = (&m.test.fixed, &m.test.float);
        say!(
            o,
            "  {:<10} {:>8.4} {:>7.4} {:>9.4} {:>7.4} {:>7.4}   {:>8.4} {:>7.4}   {:>13} {:>10.2e}",
            m.role.name(),
            x.accuracy,
            x.f1,
            x.precision,
            x.recall,
            x.auc,
            f.f1,
            f.auc,
            pct(m.test.agreement.agreement),
            m.test.agreement.max_score_diff
        );
    }
    Ok(gas)
}

/// Run the demo, writing its text to `o`.
pub fn run(a: &DemoArgs, o: &mut dyn Write) -> Result<DemoReport> {
    let start = Instant::now();
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("cannot create {}", a.out.display()))?;

    // ------------------------------------------------------------ 1. data
    let (train_path, test_path, dataset, synthetic_stream) = match &a.data {
        None => {
            let (train, test) =
                synthetic::dataset(a.seed, a.train_rows, a.test_rows, a.attack_share);
            let (tp, sp) = (a.out.join("train.csv"), a.out.join("test.csv"));
            synthetic::write_csv(&tp, &train)?;
            synthetic::write_csv(&sp, &test)?;
            let stream = synthetic::stream(a.seed, a.stream)
                .into_iter()
                .map(|t| StreamTx {
                    name: t.kind.name().to_string(),
                    attack: t.label(),
                    features: t.features,
                })
                .collect::<Vec<_>>();
            (
                tp,
                sp,
                format!(
                    "synthetic DeFi transactions (seed {}, {:.0}% attacks)",
                    a.seed,
                    100.0 * a.attack_share
                ),
                Some(stream),
            )
        }
        Some(dir) => (
            dir.join("train.csv"),
            dir.join("test.csv"),
            format!("{}", dir.display()),
            None,
        ),
    };
    let (train_table, test_table) = load_data(&train_path, &test_path, &a.label)?;
    let features = train_table.columns.clone();
    let test_y = test_table.labels()?;
    let train_pos = train_table.labels()?.iter().filter(|&&v| v).count();
    let test_pos = test_y.iter().filter(|&&v| v).count();
    say!(o, "vigil demo: {dataset}");
    say!(o);
    say!(o, "[1/5] data");
    say!(
        o,
        "  {} training rows ({} positive), {} test rows ({} positive), {} features: {}",
        thousands(train_table.rows.len() as u64),
        thousands(train_pos as u64),
        thousands(test_table.rows.len() as u64),
        thousands(test_pos as u64),
        features.len(),
        if features.len() <= 10 {
            features.join(", ")
        } else {
            format!("{}, ...", features[..6].join(", "))
        }
    );
    if a.data.is_none() {
        say!(
            o,
            "  written to {} and {} (the format `vigil train` reads)",
            train_path.display(),
            test_path.display()
        );
    }
    let stream = match synthetic_stream {
        Some(s) => s,
        None => stream_from_table(&test_table, a.stream)?,
    };

    let (models, blobs) = train_models(a, &train_table, &train_path, &test_path, o)?;

    // ----------------------------------------------------------- 3. chain
    say!(o);
    say!(
        o,
        "[3/5] chain: the shipped contract in cosmwasm-vm 3.0 with wasmd's gas"
    );
    let wasm = load_artifact(&a.contract_target_dir, o)?;
    let t0 = Instant::now();
    let chain = Chain::new(&wasm, &a.out.join("cosmwasm-cache"), WasmdGas::DEFAULT)
        .map_err(DemoError::Artifact)?;
    say!(
        o,
        "  {}: {} bytes; stored with wasmd's upload checks and compiled in {:.1} s",
        artifact::path().display(),
        thousands(wasm.len() as u64),
        t0.elapsed().as_secs_f64()
    );
    let admin = chain.addr("admin");
    let mut g = Guard {
        chain,
        admin,
        gas: GasLog::default(),
    };

    let (mut samples, refused) = chain_samples(&test_table)?;
    samples.truncate(a.max_chain_samples);
    let ratio = class_ratio(&samples);
    let (samples, left) = msg::balance_order(samples, Decimal::from_ratio(ratio, 1u64), (0, 0));
    let budget = models.iter().map(|m| m.cost.ops).max().unwrap_or(0);
    let init = msg::instantiate(InstantiateArgs {
        admin: None,
        n_features: None,
        model: Some(models[0].path.clone()),
        bond_denom: DENOM.into(),
        min_bond: BOND,
        margins: msg::uniform_margins(
            msg::decimal("min_gain", MIN_GAIN)?,
            msg::decimal("tolerance", TOLERANCE)?,
        ),
        reward: RewardRule::BondShare {
            share: msg::decimal("share", REWARD_SHARE)?,
        },
        max_inference_ops: Some((2 * budget).max(1_000_000)),
        deny_threshold: None,
        paused_check: PausedCheck::Deny,
        max_class_ratio: Decimal::from_ratio(ratio, 1u64),
        eval_batch: a.eval_batch,
        test_samples: Vec::new(),
    })?;
    let admin = g.admin.clone();
    let init_value = serde_json::to_value(&init)?;
    let outcome = g.chain.instantiate(&admin, &[], &init_value, TX_GAS_LIMIT);
    g.gas.add("instantiate", outcome.gas);
    outcome.result.map_err(|error| DemoError::Chain {
        call: "instantiate".into(),
        error,
    })?;
    say!(
        o,
        "  instantiated with the incumbent as model v1 ({} SDK gas); margins: gain >= {MIN_GAIN} \
         on some metric, loss <= {TOLERANCE} on every metric; reward {REWARD_SHARE} of the bond",
        thousands(outcome.gas.total())
    );
    g.chain.mint(&admin, DENOM, VAULT_FUNDING);
    g.execute(
        "fund",
        &admin,
        &[(DENOM, VAULT_FUNDING)],
        &ExecuteMsg::Fund {},
    )?;
    say!(
        o,
        "  admin funded the reward vault with {} {DENOM}",
        money(VAULT_FUNDING)
    );
    let batches = msg::add_samples(samples.clone(), Some(a.sample_batch.max(1)));
    let b = bar(a.progress, batches.len() as u64, "AddTestSamples");
    let kind = format!("add_test_samples ({} per call)", a.sample_batch);
    for m in &batches {
        g.execute(&kind, &admin, &[], m)?;
        b.inc(1);
    }
    b.finish_and_clear();
    let cfg = g.config()?;
    say!(
        o,
        "  public test set: {} samples ({} positive, {} negative) in {} AddTestSamples calls \
         (max class ratio {ratio}){}",
        thousands(u64::from(cfg.positives + cfg.negatives)),
        thousands(cfg.positives.into()),
        thousands(cfg.negatives.into()),
        batches.len(),
        if left.is_empty() {
            String::new()
        } else {
            format!("; {} rows left out by the class-balance rule", left.len())
        }
    );
    if !refused.is_empty() {
        say!(
            o,
            "  left out {} test rows with a value the contract refuses as a sample \
             (more than 19 fractional digits; first: {} line {})",
            refused.len(),
            test_path.display(),
            refused[0]
        );
    }

    let mut guarded = guard_stream(&mut g, &stream, &features, o)?;
    say!(o, "  model v1: {}", stream_summary(&guarded, false));

    // ------------------------------------------------------------ 5. PoIm
    say!(o);
    say!(
        o,
        "[5/5] Proof-of-Improvement: the contract judges each candidate on its test set \
         ({} rows per step)",
        a.eval_batch
    );
    let mut proposals = Vec::new();
    let mut active = 0usize; // index into blobs
    for (idx, who) in [(1usize, "alice"), (2, "mallory")] {
        let p = propose(
            &mut g,
            a,
            who,
            &models[idx],
            &blobs[idx],
            &blobs[active],
            &samples,
            o,
        )?;
        if p.accepted {
            active = idx;
        }
        proposals.push(p);
    }
    let cfg = g.config()?;
    let check_after = format!(
        "check (v{} {})",
        cfg.active_version,
        if active == 1 { "gbdt" } else { "logreg" }
    );
    for (tx, r) in stream.iter().zip(guarded.iter_mut()) {
        let (check, _): (CheckResponse, Gas) = g.query(
            Some(&check_after),
            &QueryMsg::Check {
                features: tx.features.clone(),
            },
        )?;
        r.allow_after = check.allow;
    }
    say!(
        o,
        "  the same stream with model v{}: {}",
        cfg.active_version,
        stream_summary(&guarded, true)
    );

    let gas = print_report(
        o,
        &g.gas,
        &models,
        &proposals,
        active,
        &check_after,
        cfg.active_version,
        test_table.rows.len(),
        &stream,
    )?;
    let seconds = start.elapsed().as_secs_f64();
    say!(o);
    say!(
        o,
        "done in {seconds:.1} s; data, models (.vgm) and the VM cache are in {}",
        a.out.display()
    );
    Ok(DemoReport {
        dataset,
        features,
        train_rows: train_table.rows.len(),
        test_rows: test_table.rows.len(),
        chain_samples: samples.len(),
        artifact_bytes: wasm.len(),
        models,
        stream: guarded,
        proposals,
        active_version: cfg.active_version,
        gas,
        seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("vigil-demo-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn missing_files_are_typed_errors() {
        let d = tmp("missing");
        let e = load_data(&d.join("train.csv"), &d.join("test.csv"), "label").unwrap_err();
        assert!(
            matches!(e.downcast_ref::<DemoError>(), Some(DemoError::MissingFile { path }) if path.ends_with("train.csv")),
            "{e:#}"
        );
        assert!(e.to_string().contains("DIR/train.csv"), "{e}");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn wrong_columns_are_typed_errors() {
        let d = tmp("columns");
        std::fs::write(d.join("train.csv"), "a,b,label\n1,2,0\n3,4,1\n").unwrap();
        std::fs::write(d.join("test.csv"), "a,c,label\n1,2,0\n3,4,1\n").unwrap();
        let e = load_data(&d.join("train.csv"), &d.join("test.csv"), "label").unwrap_err();
        assert!(
            matches!(
                e.downcast_ref::<DemoError>(),
                Some(DemoError::Columns { .. })
            ),
            "{e:#}"
        );
        assert!(e.to_string().contains("[a, b] vs [a, c]"), "{e}");
        std::fs::write(d.join("test.csv"), "a,b,y\n1,2,0\n").unwrap();
        let e = load_data(&d.join("train.csv"), &d.join("test.csv"), "label").unwrap_err();
        assert!(
            matches!(
                e.downcast_ref::<DemoError>(),
                Some(DemoError::NoLabel { .. })
            ),
            "{e:#}"
        );
        std::fs::write(d.join("test.csv"), "a,b,label\n1,2,0\n").unwrap();
        let e = load_data(&d.join("train.csv"), &d.join("test.csv"), "label").unwrap_err();
        assert!(
            matches!(
                e.downcast_ref::<DemoError>(),
                Some(DemoError::OneClass { .. })
            ),
            "{e:#}"
        );
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn missing_wasm_opt_names_the_fix() {
        let e = DemoError::NoWasmOpt {
            reason: "missing",
            wasm_opt: PathBuf::from("/repo/node_modules/.bin/wasm-opt"),
        };
        let s = e.to_string();
        assert!(
            s.contains("./scripts/setup.sh") && s.contains("npm ci"),
            "{s}"
        );
        assert!(s.contains("vigil_guard.wasm is missing"), "{s}");
    }

    #[test]
    fn class_ratio_admits_the_whole_set() {
        let s = |label| TestSample {
            features: vec!["1".into()],
            label,
        };
        let mut v: Vec<TestSample> = (0..90).map(|_| s(false)).collect();
        v.extend((0..10).map(|_| s(true)));
        assert_eq!(class_ratio(&v), 9);
        let (ok, left) = msg::balance_order(v, Decimal::from_ratio(9u64, 1u64), (0, 0));
        assert_eq!((ok.len(), left.len()), (100, 0));
    }
}
