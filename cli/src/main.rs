//! `vigil`: train, import, evaluate, inspect and deploy Vigil models.
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use vigil_cli::data::{LabelMode, Table};
use vigil_cli::msg::{self, InstantiateArgs};
use vigil_cli::onnx::{self, ImportOptions};
use vigil_cli::prep::LogMode;
use vigil_cli::quant::{self, Targets, WeightChoice};
use vigil_cli::report::{check_requirements, hex, print_sets, set_figure, CostInfo, SetReport};
use vigil_cli::train::{self, Family, TrainArgs};
use vigil_cli::{eval, inspect};
use vigil_guard_api::msg::PausedCheck;

/// Train, import, evaluate and deploy Vigil fixed-point models.
///
/// A model is a `.vgm` file: the raw Vigil blob (`ModelSpec::to_bytes`),
/// exactly the bytes a chain stores. Inputs are CSV files with a header row,
/// numeric feature columns and a 0/1 label column; values are read as the
/// decimal strings a chain sees.
#[derive(Parser)]
#[command(name = "vigil", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The whole of Vigil in one run: synthetic DeFi transactions (or
    /// --data DIR), an incumbent, a better and a worse model, the shipped
    /// contract in cosmwasm-vm with wasmd's gas, a guarded transaction
    /// stream, a Proof-of-Improvement round, and a gas and accuracy report.
    Demo(DemoCmd),
    /// Write a transaction log of a breaker scenario file.
    BreakerLog(BreakerLogCmd),
    /// Derive the guard's seven baseline features from a transaction log (as
    /// the contract does), for training and evaluating a breaker model.
    BreakerFeatures(BreakerFeaturesCmd),
    /// Train a model on a CSV, quantise it calibrated on the training rows,
    /// report float and fixed metrics side by side, write its blob.
    Train(TrainCmd),
    /// Convert an ONNX model (skl2onnx, torch.onnx.export) into a Vigil model.
    Import(ImportCmd),
    /// Evaluate a model on a labelled CSV: metrics, fixed vs float
    /// agreement, confusion matrix, ROC chart, cost.
    Eval(EvalCmd),
    /// Show a model's header, sizes, hash, cost bound and SDK gas estimate.
    Inspect(InspectCmd),
    /// Write JSON messages for the vigil-guard contract (`wasmd tx wasm ...`).
    #[command(subcommand)]
    Msg(MsgCmd),
    /// Score every row of a CSV with the core's exact fixed-point arithmetic
    /// (the chain's); print `row,score,score_bits,label` CSV to stdout.
    Score(ScoreCmd),
}

#[derive(Args)]
struct ScoreCmd {
    /// The model (.vgm).
    #[arg(long)]
    model: PathBuf,
    /// CSV with a header row; input columns in the model's order.
    #[arg(long)]
    data: PathBuf,
    /// A label column to leave out of the inputs (accuracy goes to stderr).
    #[arg(long, value_name = "COL")]
    label: Option<String>,
}

#[derive(Args)]
struct DemoCmd {
    /// Run on real data: DIR/train.csv and DIR/test.csv (header row,
    /// numeric feature columns, 0/1 label) instead of synthetic transactions.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Label column of --data.
    #[arg(long, default_value = "label")]
    label: String,
    /// Seed of the synthetic data, the shuffled labels and training.
    #[arg(long, default_value_t = vigil_cli::synthetic::DEFAULT_SEED)]
    seed: u64,
    /// Synthetic training rows.
    #[arg(long, default_value_t = 4_000)]
    train_rows: usize,
    /// Synthetic test rows (the guard's public test set).
    #[arg(long, default_value_t = 1_000)]
    test_rows: usize,
    /// Synthetic share of attacks.
    #[arg(long, default_value_t = vigil_cli::synthetic::DEFAULT_ATTACK_SHARE)]
    attack_share: f64,
    /// Transactions in the guarded stream.
    #[arg(long, default_value_t = 16)]
    stream: usize,
    /// Trees of the better (gradient-boosted) model.
    #[arg(long, default_value_t = 100)]
    trees: usize,
    /// Folds of cross-validation choosing each model's threshold.
    #[arg(long, default_value_t = 5)]
    cv: usize,
    /// The guard's eval_batch: test rows per evaluation transaction.
    #[arg(long, default_value_t = 250)]
    eval_batch: u32,
    /// Test samples per AddTestSamples message.
    #[arg(long, default_value_t = 100)]
    sample_batch: usize,
    /// At most this many test rows go on chain.
    #[arg(long, default_value_t = 2_000)]
    max_chain_samples: usize,
    /// Where data, models and the VM cache go (default: a directory in the
    /// system's temporary directory).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The guard artifact to run (a vigil_guard.wasm). Default:
    /// $VIGIL_GUARD_WASM if set, else artifacts/vigil_guard.wasm of the
    /// repository checkout the current directory is in (built with
    /// scripts/build-contract.sh when missing or stale).
    #[arg(long, value_name = "PATH")]
    artifact: Option<PathBuf>,
    /// The governor artifact to run (a vigil_governor.wasm). Default:
    /// vigil_governor.wasm beside the guard artifact (in a checkout,
    /// artifacts/vigil_governor.wasm, built with
    /// scripts/build-contract.sh --governor when missing or stale).
    #[arg(long, value_name = "PATH")]
    governor_artifact: Option<PathBuf>,
    /// Print the report as one JSON object after the text.
    #[arg(long)]
    json: bool,
    /// The breaker demo instead: attacks that were not used to design the
    /// guard (cli/scenarios/breaker.json), unguarded, with a fixed rate
    /// limit alone and with the shipped guard's baselines and breaker.
    #[arg(long)]
    breaker: bool,
    /// --breaker: the evaluation scenario file (default: the shipped
    /// cli/scenarios/breaker.json).
    #[arg(long, value_name = "PATH")]
    scenarios: Option<PathBuf>,
    /// --breaker: the training scenario file of the breaker's model
    /// (default: the shipped cli/scenarios/breaker-train.json).
    #[arg(long, value_name = "PATH")]
    train_scenarios: Option<PathBuf>,
    /// --breaker: normal actions of the normal-only run (false trips and
    /// delays per 100,000).
    #[arg(long, value_name = "N", default_value_t = vigil_cli::demo::breaker::DEFAULT_NORMAL_ACTIONS)]
    normal_actions: usize,
    /// --breaker: the model family.
    #[arg(long, value_enum, default_value_t = vigil_cli::train::Family::Gbdt)]
    breaker_family: vigil_cli::train::Family,
    /// --breaker: the share of the training file's normal actions the
    /// model's threshold may deny.
    #[arg(long, default_value_t = vigil_cli::scenario::train::TRAINING_FPR)]
    breaker_fpr: f64,
}

#[derive(Args)]
struct BreakerLogCmd {
    /// A scenario file (e.g. cli/scenarios/breaker-train.json).
    #[arg(long, value_name = "PATH")]
    config: PathBuf,
    /// Only this attack, on its copy of the normal traffic (default: the
    /// whole file: the normal traffic and every attack).
    #[arg(long, value_name = "NAME")]
    scenario: Option<String>,
    /// Only normal traffic: this many actions.
    #[arg(long, value_name = "N", conflicts_with = "scenario")]
    normal_actions: Option<usize>,
    /// The log (CSV: height,contract,kind,value,total_value,price,caller,label).
    #[arg(long, value_name = "LOG.csv")]
    out: PathBuf,
}

#[derive(Args)]
struct BreakerFeaturesCmd {
    /// A transaction log (CSV: height,contract,kind,value,total_value,price,caller[,label]).
    #[arg(long, value_name = "LOG.csv")]
    log: PathBuf,
    /// The seven derived features and the label (the CSV `vigil train` reads).
    #[arg(long, value_name = "FEATURES.csv")]
    out: PathBuf,
    /// Baseline window in blocks (the guard's default settings otherwise).
    #[arg(long)]
    window_blocks: Option<u64>,
    /// Windows of warm-up.
    #[arg(long)]
    warmup_windows: Option<u32>,
}

#[derive(Args)]
struct TrainCmd {
    /// Training CSV: a header row, numeric feature columns, a 0/1 label.
    #[arg(long)]
    data: PathBuf,
    /// Name of the label column.
    #[arg(long, default_value = "label")]
    label: String,
    /// Model family.
    #[arg(long, value_enum)]
    family: Family,
    /// MLP hidden layer widths (1 to 15 layers, each 1..=65535).
    #[arg(long, value_delimiter = ',', default_value = "32,16", allow_hyphen_values = true, value_parser = whole::<usize>)]
    hidden: Vec<usize>,
    /// Trees (gbdt, rf, iforest; 1..=65535; default 100, rf 50).
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<usize>)]
    trees: Option<usize>,
    /// Tree depth, 1..=32 (default gbdt 3, rf 8; iforest does not use it:
    /// its trees stop at ceil(log2 psi)).
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<usize>)]
    depth: Option<usize>,
    /// Learning rate in (0, 1] (gbdt shrinkage, default 0.1; mlp Adam step,
    /// default 0.001).
    #[arg(long, allow_negative_numbers = true)]
    lr: Option<f64>,
    /// MLP: largest number of epochs (>= 1).
    #[arg(long, default_value_t = 200, allow_negative_numbers = true, value_parser = whole::<usize>)]
    epochs: usize,
    /// MLP: batch size (>= 1).
    #[arg(long, default_value_t = 200, allow_negative_numbers = true, value_parser = whole::<usize>)]
    batch: usize,
    /// MLP: L2 penalty (>= 0).
    #[arg(long, default_value_t = 1e-4, allow_negative_numbers = true)]
    alpha: f64,
    /// MLP: decay in [0, 1) of the moving average of the weights that is
    /// kept (Polyak averaging; 0 keeps the last weights).
    #[arg(long, default_value_t = 0.998, allow_negative_numbers = true)]
    ema: f64,
    /// Logistic regression: inverse L2 strength (> 0).
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    c: f64,
    /// Trees: smallest leaf (rows, >= 1).
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    min_leaf: f64,
    /// Isolation forest: subsample size (>= 2).
    #[arg(long, default_value_t = 256, allow_negative_numbers = true, value_parser = whole::<usize>)]
    psi: usize,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true, value_parser = whole::<u64>)]
    seed: u64,
    /// Choose the threshold on out-of-fold scores of this many stratified
    /// folds (>= 2, at most the rows of the smaller class), then fit on all
    /// rows (0: use --val-frac instead).
    #[arg(long, default_value_t = 5, allow_negative_numbers = true, value_parser = whole::<usize>)]
    cv: usize,
    /// With --cv 0: fraction in [0, 0.9) of rows held out (stratified) to
    /// choose the threshold (0: choose it on the training rows).
    #[arg(long, default_value_t = 0.2, allow_negative_numbers = true)]
    val_frac: f64,
    /// With --cv 0: after choosing the threshold, retrain on all rows.
    #[arg(long)]
    refit: bool,
    /// Use this threshold in [0, 1] instead of the F1-maximising one.
    #[arg(long, allow_negative_numbers = true)]
    threshold: Option<f64>,
    /// Which columns get a signed log1p before standardisation.
    #[arg(long, value_enum, default_value = "auto")]
    log1p: LogMode,
    /// Dense weight width: auto picks i8 when it meets the agreement targets.
    #[arg(long, value_enum, default_value = "auto")]
    weights: WeightChoice,
    /// Auto weights: smallest label agreement with the float model, in [0, 1].
    #[arg(long, default_value_t = 0.999, allow_negative_numbers = true)]
    min_agreement: f64,
    /// Auto weights: largest score difference from the float model (>= 0).
    #[arg(long, default_value_t = 0.02, allow_negative_numbers = true)]
    max_score_diff: f64,
    /// Also report float and fixed metrics on this labelled CSV.
    #[arg(long)]
    test: Option<PathBuf>,
    /// Fail (exit 1) unless the fixed model's figures on --test meet these:
    /// METRIC=VALUE, comma-separated or repeated, each a minimum (accuracy,
    /// f1, precision, recall, auc, agreement) or a maximum (max_score_diff).
    #[arg(long, requires = "test")]
    require: Vec<String>,
    /// Output: the model blob (.vgm).
    #[arg(long)]
    out: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Feature names to store in the model, comma-separated, one per
    /// feature column (default: the CSV header's).
    #[arg(long, value_name = "A,B,C")]
    feature_names: Option<String>,
}

#[derive(Args)]
struct ImportCmd {
    /// The ONNX file.
    model: PathBuf,
    /// Output: the model blob (.vgm).
    #[arg(long)]
    out: PathBuf,
    /// Graph output to reproduce (default: the probabilities).
    #[arg(long)]
    output: Option<String>,
    /// Label threshold in [0, 1] (default: what the source model predicts with).
    #[arg(long, allow_negative_numbers = true)]
    threshold: Option<f64>,
    /// Dense weight width (auto needs --data to calibrate on).
    #[arg(long, value_enum, default_value = "i16")]
    weights: WeightChoice,
    /// A CSV to calibrate on (feature columns in the model's input order):
    /// checks saturation and reports fixed vs float agreement; with labels,
    /// metrics too.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Label column of --data.
    #[arg(long, default_value = "label")]
    label: String,
    /// Largest |score difference| allowed between the imported model (the
    /// core's fixed-point inference) and the ONNX graph evaluated in float.
    #[arg(long, default_value_t = onnx::check::DEFAULT_MAX_SCORE_DIFF)]
    max_score_diff: f64,
    /// Write the model even when it does not reproduce the ONNX graph
    /// (a label differs, or a score by more than --max-score-diff).
    #[arg(long)]
    accept_loss: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Feature names to store in the model, comma-separated, one per input
    /// (default: the --data CSV header's feature columns, if given).
    #[arg(long, value_name = "A,B,C")]
    feature_names: Option<String>,
}

#[derive(Args)]
struct EvalCmd {
    /// The model (.vgm).
    #[arg(long)]
    model: PathBuf,
    /// Labelled CSV, feature columns in the model's input order.
    #[arg(long)]
    data: PathBuf,
    /// Label column.
    #[arg(long, default_value = "label")]
    label: String,
    /// The ONNX file the model was imported from: compare with its graph
    /// evaluated in float (else with the model's own stored parameters).
    #[arg(long)]
    onnx: Option<PathBuf>,
    /// Graph output of --onnx (as given to `vigil import --output`).
    #[arg(long, requires = "onnx")]
    output: Option<String>,
    /// Where to write the ROC chart (default: next to the model, .roc.svg;
    /// missing directories are created).
    #[arg(long)]
    roc: Option<PathBuf>,
    /// Do not write the ROC chart.
    #[arg(long)]
    no_roc: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Fail (exit 1) unless these figures are met: METRIC=VALUE,
    /// comma-separated or repeated (see `vigil train --help`).
    #[arg(long)]
    require: Vec<String>,
}

#[derive(Args)]
struct InspectCmd {
    /// The model (.vgm).
    model: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Messages. Print compact JSON on stdout (or --out), ready for e.g.
/// `wasmd tx wasm execute $GUARD "$(vigil msg commit --model m.vgm --sender $ME --salt $SALT)" --amount 1000000ustake --from me`.
#[derive(Subcommand)]
enum MsgCmd {
    /// The governor's InstantiateMsg (`wasmd tx wasm instantiate $GOVERNOR_CODE "$(vigil msg instantiate ...)" --label vigil-governor --admin ...`).
    Instantiate(Box<InstantiateCmd>),
    /// The guard's GuardInstantiateMsg: the governor's address and the same
    /// settings flags as `instantiate` (--model only sets --n-features and
    /// the default budgets; no model or samples are sent: the governor's
    /// BindGuard installs its active model).
    InstantiateGuard(Box<InstantiateGuardCmd>),
    /// The governor's ExecuteMsg::BindGuard (its admin, once, after the
    /// guard is instantiated): the guard it installs models on.
    BindGuard(BindGuardCmd),
    /// The guard's RegisterProtected (its admin): a contract whose actions
    /// the guard's baselines and circuit breaker watch (docs/breaker.md),
    /// with the default settings unless flags change them.
    RegisterProtected(RegisterProtectedCmd),
    /// ExecuteMsg::CommitProposal: the commitment to a model by the sender
    /// with a salt (attach the bond with --amount; keep the salt for the
    /// reveal).
    Commit(CommitCmd),
    /// ExecuteMsg::RevealProposal: the model and salt of a commitment, from
    /// reveal_delay blocks after it.
    Reveal(RevealCmd),
    /// ExecuteMsg::Veto: the guardian refuses a pending model.
    Veto(ProposalIdCmd),
    /// ExecuteMsg::Activate: anyone activates the pending model after its
    /// activation delay.
    Activate(SweepCmd),
    /// ExecuteMsg::ApplyGovernance: anyone applies the queued governance
    /// changes that are due.
    ApplyGovernance(SweepCmd),
    /// The curator's hidden batch from a labelled CSV: the CommitBatch
    /// message, then one RevealBatch per chunk (one message per line; send
    /// the reveals from reveal_delay blocks after the commit).
    Batch(BatchCmd),
    /// ExecuteMsg::Withdraw: the proposer of a proposal waiting for a batch
    /// the curator did not reveal in time takes the bond back.
    Withdraw(ProposalIdCmd),
    /// ExecuteMsg::AddTestSamples from a labelled CSV.
    AddSamples(AddSamplesCmd),
    /// ExecuteMsg::Sweep: anyone moves funds stranded by plain bank
    /// transfers (above the vault and the open bond) into the vault.
    Sweep(SweepCmd),
    /// ExecuteMsg::CloseStalled: anyone closes a proposal with no
    /// evaluation step for its stall window, and is paid its stall fee.
    CloseStalled(ProposalIdCmd),
}

#[derive(Args)]
struct ProposalIdCmd {
    /// The proposal.
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<u64>)]
    proposal_id: u64,
    #[command(flatten)]
    out: OutArgs,
}

#[derive(Args)]
struct SweepCmd {
    #[command(flatten)]
    out: OutArgs,
}

#[derive(Args)]
struct OutArgs {
    /// Write to this file instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Indented JSON.
    #[arg(long)]
    pretty: bool,
}

#[derive(Args)]
struct SampleArgs {
    /// Labelled CSV of test samples (values are sent as written).
    #[arg(long = "samples")]
    samples: Option<PathBuf>,
    /// Label column.
    #[arg(long, default_value = "label")]
    label: String,
    /// Skip this many data rows (only the selected rows are read and
    /// checked).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true, value_parser = whole::<usize>)]
    offset: usize,
    /// At most this many data rows.
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<usize>)]
    limit: Option<usize>,
    /// Drop rows the class-balance rule can never accept instead of failing.
    #[arg(long)]
    drop_excess: bool,
    /// Leave out rows with a value the contract refuses (e.g. more than 19
    /// fractional digits) instead of failing; reported on stderr.
    #[arg(long)]
    skip_unrepresentable: bool,
}

/// The settings flags `msg instantiate` and `msg instantiate-guard` share
/// (give both the same, so the guard applies the governor's budgets).
#[derive(Args)]
struct SettingsFlags {
    /// Initial model (.vgm); also sets --n-features.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Number of raw inputs, 1..=65535 (when there is no initial model).
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<u16>)]
    n_features: Option<u16>,
    /// Governance address (default: the sender).
    #[arg(long)]
    admin: Option<String>,
    /// Denom of bonds and rewards (non-empty).
    #[arg(long)]
    bond_denom: String,
    /// Smallest proposal bond (>= 1).
    #[arg(long, default_value_t = 1_000_000, allow_negative_numbers = true, value_parser = whole::<u128>)]
    min_bond: u128,
    /// Margin: smallest gain that counts as an improvement (every metric).
    #[arg(long, default_value = "0", allow_negative_numbers = true)]
    min_gain: String,
    /// Margin: largest drop that does not count as worse (every metric).
    #[arg(long, default_value = "0", allow_negative_numbers = true)]
    tolerance: String,
    /// Reward of an accepted proposal: none, fixed:AMOUNT or share:DECIMAL.
    #[arg(long, default_value = "none")]
    reward: String,
    /// Largest cost bound a model may have (default: twice the initial
    /// model's, at least 1,000,000).
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<u64>)]
    max_inference_ops: Option<u64>,
    /// Largest SDK gas a model's Check may cost above setup (reads and
    /// compute, inputs of 20 characters; default: four times the initial
    /// model's, at least 100,000).
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<u64>)]
    max_check_gas: Option<u64>,
    /// Deny at or above this score in [0, 1] (default: the model's threshold).
    #[arg(long, allow_negative_numbers = true)]
    deny_threshold: Option<String>,
    /// What Check answers while paused: allow, deny or error.
    #[arg(long, default_value = "error")]
    paused_check: String,
    /// Largest majority:minority ratio while adding test samples (>= 1).
    #[arg(long, default_value = "5", allow_negative_numbers = true)]
    max_class_ratio: String,
    /// Test rows evaluated per transaction step (>= 1).
    #[arg(long, default_value_t = 100, allow_negative_numbers = true, value_parser = whole::<u32>)]
    eval_batch: u32,
    /// Blocks without an evaluation step after which anyone may close a
    /// proposal (>= 1).
    #[arg(long, default_value_t = 600, allow_negative_numbers = true, value_parser = whole::<u64>)]
    stall_blocks: u64,
    /// Share of the bond in [0, 1] paid to whoever closes a stalled
    /// proposal (an admin cancel moves it to the vault).
    #[arg(long, default_value = "0.05", allow_negative_numbers = true)]
    stall_fee: String,
    /// Data envelope margin: a share of each feature's test-set range added
    /// on both sides; Check and Score clamp inputs into it and report those
    /// outside. `off` turns the envelope off.
    #[arg(long, default_value = "0.05", allow_negative_numbers = true)]
    envelope_margin: String,
    /// Blocks between a commitment and its reveal (>= 1).
    #[arg(long, default_value_t = 10, allow_negative_numbers = true, value_parser = whole::<u64>)]
    reveal_delay: u64,
    /// Blocks an accepted model waits, vetoable by the guardian, before it
    /// may be activated (0: active at acceptance).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true, value_parser = whole::<u64>)]
    activation_delay: u64,
    /// The address that may veto a pending model (default: none).
    #[arg(long)]
    guardian: Option<String>,
    /// Blocks a governance change (config, test samples, rollback) waits
    /// before it may apply.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true, value_parser = whole::<u64>)]
    governance_delay: u64,
    /// The address that commits hidden test batches (default: none).
    #[arg(long)]
    curator: Option<String>,
}

#[derive(Args)]
struct InstantiateCmd {
    #[command(flatten)]
    settings: SettingsFlags,
    #[command(flatten)]
    samples: SampleArgs,
    #[command(flatten)]
    out: OutArgs,
}

#[derive(Args)]
struct InstantiateGuardCmd {
    /// The governor's address (bech32): the only sender whose InstallModel
    /// the guard accepts.
    #[arg(long)]
    governor: String,
    #[command(flatten)]
    settings: SettingsFlags,
    #[command(flatten)]
    out: OutArgs,
}

#[derive(Args)]
struct RegisterProtectedCmd {
    /// The protected contract's address (bech32): the only sender of its
    /// observations.
    #[arg(long)]
    contract: String,
    /// Its action kinds, comma-separated (e.g. withdraw,borrow).
    #[arg(long, value_delimiter = ',', required = true)]
    kinds: Vec<String>,
    /// The unit its values are declared in (e.g. uatom).
    #[arg(long)]
    unit: String,
    /// May reset its breaker and cancel parked actions (bech32).
    #[arg(long)]
    guardian: Option<String>,
    /// Trip when a window's outflow exceeds this share of total value
    /// (default 0.1; 0 turns the rule off).
    #[arg(long)]
    outflow_share: Option<String>,
    /// Blocks per window (default 10).
    #[arg(long)]
    window_blocks: Option<u64>,
    /// Windows before the baselines are trusted (default 144).
    #[arg(long)]
    warmup_windows: Option<u32>,
    /// Blocks the breaker stays open (default 600).
    #[arg(long)]
    cooldown_blocks: Option<u64>,
    #[command(flatten)]
    out: OutArgs,
}

#[derive(Args)]
struct BindGuardCmd {
    /// The guard's address (bech32).
    #[arg(long)]
    guard: String,
    #[command(flatten)]
    out: OutArgs,
}

#[derive(Args)]
struct BatchCmd {
    /// Labelled CSV of the hidden samples (in an order the class-balance
    /// rule accepts, see add-samples --max-class-ratio).
    #[arg(long)]
    data: PathBuf,
    /// Label column.
    #[arg(long, default_value = "label")]
    label: String,
    /// Chunks (1..=64): one reveal message each.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true, value_parser = whole::<usize>)]
    chunks: usize,
    /// 32 random bytes as 64 hex digits, kept secret until the reveal.
    #[arg(long)]
    salt: String,
    #[command(flatten)]
    out: OutArgs,
}

#[derive(Args)]
struct RevealCmd {
    /// The proposal (from the commit's `proposal_id` attribute).
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<u64>)]
    proposal_id: u64,
    /// The model (.vgm) committed to.
    #[arg(long)]
    model: PathBuf,
    /// The salt committed with (64 hex digits).
    #[arg(long)]
    salt: String,
    #[command(flatten)]
    out: OutArgs,
}

#[derive(Args)]
struct CommitCmd {
    /// The model (.vgm).
    #[arg(long)]
    model: PathBuf,
    /// The address that will send the commit and the reveal (bech32).
    #[arg(long)]
    sender: String,
    /// 32 random bytes as 64 hex digits (e.g. `openssl rand -hex 32`),
    /// kept secret until the reveal.
    #[arg(long)]
    salt: String,
    /// Limit: refuse (no bond taken) if any metric's configured min_gain is
    /// above this.
    #[arg(long, allow_negative_numbers = true)]
    max_min_gain: Option<String>,
    /// Limit: refuse if any metric's configured tolerance is below this.
    #[arg(long, allow_negative_numbers = true)]
    min_tolerance: Option<String>,
    /// Limit: refuse if acceptance would pay less than this reward (for the
    /// bond attached, capped by the vault).
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<u128>)]
    min_reward: Option<u128>,
    /// Limit: refuse if the configured stall_fee is above this.
    #[arg(long, allow_negative_numbers = true)]
    max_stall_fee: Option<String>,
    /// Limit: refuse if the configured stall_blocks is below this.
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<u64>)]
    min_stall_blocks: Option<u64>,
    #[command(flatten)]
    out: OutArgs,
}

#[derive(Args)]
struct AddSamplesCmd {
    /// Labelled CSV of test samples.
    #[arg(long)]
    data: PathBuf,
    /// Label column.
    #[arg(long, default_value = "label")]
    label: String,
    /// Skip this many data rows (only the selected rows are read and
    /// checked).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true, value_parser = whole::<usize>)]
    offset: usize,
    /// At most this many data rows.
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<usize>)]
    limit: Option<usize>,
    /// The guard's max_class_ratio (>= 1): order the samples so the
    /// contract's class-balance rule accepts each in turn (and fail if some
    /// never can).
    #[arg(long, allow_negative_numbers = true)]
    max_class_ratio: Option<String>,
    /// Positives already in the guard's test set (for the balance rule).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true, value_parser = whole::<u64>)]
    positives: u64,
    /// Negatives already in the guard's test set.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true, value_parser = whole::<u64>)]
    negatives: u64,
    /// Drop rows the balance rule can never accept instead of failing.
    #[arg(long)]
    drop_excess: bool,
    /// Leave out rows with a value the contract refuses (e.g. more than 19
    /// fractional digits) instead of failing; reported on stderr.
    #[arg(long)]
    skip_unrepresentable: bool,
    /// Samples per message (>= 1): one compact message per line (JSON Lines).
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<usize>)]
    chunk: Option<usize>,
    #[command(flatten)]
    out: OutArgs,
    /// The model the samples are for (.vgm): when it stores feature names,
    /// columns are matched to them by name.
    #[arg(long)]
    model: Option<PathBuf>,
}

/// A whole-number flag value: clap's message names the flag, this says
/// what is wrong with the value (ranges are checked after parsing).
fn whole<T: std::str::FromStr<Err = std::num::ParseIntError>>(s: &str) -> Result<T, String> {
    s.parse::<T>().map_err(|e| match e.kind() {
        std::num::IntErrorKind::PosOverflow => "too large".to_string(),
        _ if s
            .strip_prefix('-')
            .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())) =>
        {
            "must not be negative (a whole number is expected)".to_string()
        }
        _ => "not a whole number".to_string(),
    })
}

/// The figures `--require` can name.
const REQUIRE_METRICS: [&str; 7] = [
    "accuracy",
    "f1",
    "precision",
    "recall",
    "auc",
    "agreement",
    "max_score_diff",
];

/// Check the syntax of `--require` (`METRIC=VALUE`, comma-separated or
/// repeated; a known metric; a value in [0, 1]) before any work, so a typo
/// fails at once rather than after training. `check_requirements` checks
/// the figures afterwards.
fn check_require_syntax(reqs: &[String]) -> Result<()> {
    for r in reqs
        .iter()
        .flat_map(|r| r.split(','))
        .filter(|r| !r.is_empty())
    {
        let Some((key, value)) = r.split_once('=') else {
            bail!("--require {r:?}: expected METRIC=VALUE, e.g. f1=0.87");
        };
        if !REQUIRE_METRICS.contains(&key) {
            bail!(
                "--require {r:?}: unknown metric `{key}` ({})",
                REQUIRE_METRICS.join(", ")
            );
        }
        match value.parse::<f64>() {
            Ok(v) if (0.0..=1.0).contains(&v) => {}
            _ => bail!("--require {r:?}: the value must be a number in [0, 1], got {value:?}"),
        }
    }
    Ok(())
}

fn breaker_log_cmd(c: BreakerLogCmd) -> Result<()> {
    use vigil_cli::scenario;
    let cfg = scenario::ScenarioConfig::load(&c.config)?;
    let rows = match (&c.scenario, c.normal_actions) {
        (Some(name), _) => {
            let Some(i) = cfg.attacks.iter().position(|a| &a.name == name) else {
                bail!(
                    "{} has no attack {name:?} (attacks: {})",
                    c.config.display(),
                    cfg.attacks
                        .iter()
                        .map(|a| a.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            };
            let a = &cfg.attacks[i];
            let prices = scenario::PricePaths::new(&cfg, a.start_block + a.run_blocks);
            scenario::scenario_log(&cfg, &prices, i)
        }
        (None, Some(n)) => scenario::normal_log(&cfg, Some(n)),
        (None, None) => scenario::full_log(&cfg),
    };
    scenario::write_log(&c.out, &rows)?;
    eprintln!(
        "{} actions ({} of attacks) to {}",
        rows.len(),
        rows.iter().filter(|r| r.label).count(),
        c.out.display()
    );
    Ok(())
}

fn breaker_features_cmd(c: BreakerFeaturesCmd) -> Result<()> {
    use vigil_cli::scenario::{features, read_log};
    let rows = read_log(&c.log)?;
    let mut s = vigil_guard_api::breaker::ProtectedSettings::with_kinds(vec!["any".into()], "unit");
    if let Some(w) = c.window_blocks {
        s.window_blocks = w;
    }
    if let Some(w) = c.warmup_windows {
        s.warmup_windows = w;
    }
    let p = features::params(&s)?;
    let f = features::derive_log(p, &rows);
    features::write_features(&c.out, &f, rows.iter().map(|r| r.label))?;
    eprintln!(
        "{} rows of {} derived features to {}",
        f.len(),
        vigil_inference_core::baseline::DERIVED_FEATURES,
        c.out.display()
    );
    Ok(())
}

fn demo_cmd(c: DemoCmd) -> Result<()> {
    let out = c
        .out
        .unwrap_or_else(|| std::env::temp_dir().join("vigil-demo"));
    let mut a = vigil_cli::demo::DemoArgs::new(out);
    a.data = c.data;
    a.label = c.label;
    a.seed = c.seed;
    a.train_rows = c.train_rows;
    a.test_rows = c.test_rows;
    a.attack_share = c.attack_share;
    a.stream = c.stream;
    a.trees = c.trees;
    a.cv = c.cv;
    a.eval_batch = c.eval_batch;
    a.sample_batch = c.sample_batch;
    a.max_chain_samples = c.max_chain_samples;
    a.artifact = c.artifact;
    a.governor_artifact = c.governor_artifact;
    if !(0.0..1.0).contains(&a.attack_share) || a.attack_share == 0.0 {
        bail!("--attack-share must be in (0, 1)");
    }
    for (flag, value) in [
        ("--stream", a.stream),
        ("--eval-batch", a.eval_batch as usize),
        ("--sample-batch", a.sample_batch),
        ("--max-chain-samples", a.max_chain_samples),
        ("--train-rows", a.train_rows),
        ("--test-rows", a.test_rows),
    ] {
        if value == 0 {
            bail!("{flag} must be at least 1, got 0");
        }
    }
    if c.breaker {
        if c.normal_actions == 0 {
            bail!("--normal-actions must be at least 1, got 0");
        }
        if !(c.breaker_fpr > 0.0 && c.breaker_fpr < 1.0) {
            bail!("--breaker-fpr must be in (0, 1), got {}", c.breaker_fpr);
        }
        let b = vigil_cli::demo::breaker::BreakerArgs {
            scenarios: c.scenarios,
            train_scenarios: c.train_scenarios,
            normal_actions: c.normal_actions,
            family: c.breaker_family,
            fpr: c.breaker_fpr,
        };
        if c.json {
            let r = vigil_cli::demo::breaker::run_breaker(&a, &b, &mut std::io::stderr().lock())?;
            let stdout = std::io::stdout();
            writeln!(stdout.lock(), "{}", serde_json::to_string_pretty(&r)?)?;
        } else {
            let stdout = std::io::stdout();
            vigil_cli::demo::breaker::run_breaker(&a, &b, &mut stdout.lock())?;
        }
        return Ok(());
    }
    if c.json {
        // stdout carries the JSON alone (`vigil demo --json | jq`); the
        // report a person reads goes to stderr.
        let r = vigil_cli::demo::run(&a, &mut std::io::stderr().lock())?;
        let stdout = std::io::stdout();
        writeln!(stdout.lock(), "{}", serde_json::to_string_pretty(&r)?)?;
    } else {
        let stdout = std::io::stdout();
        vigil_cli::demo::run(&a, &mut stdout.lock())?;
    }
    Ok(())
}

fn train_cmd(c: TrainCmd) -> Result<()> {
    // Everything that can be checked without training, first.
    check_require_syntax(&c.require)?;
    let mut a = TrainArgs::new(c.data, c.family, c.out);
    a.label = c.label;
    a.hidden = c.hidden;
    a.trees = c.trees;
    a.depth = c.depth;
    a.lr = c.lr;
    a.epochs = c.epochs;
    a.batch = c.batch;
    a.alpha = c.alpha;
    a.ema = c.ema;
    a.c = c.c;
    a.min_leaf = c.min_leaf;
    a.psi = c.psi;
    a.seed = c.seed;
    a.cv = c.cv;
    a.val_frac = c.val_frac;
    a.refit = c.refit;
    a.threshold = c.threshold;
    a.log1p = c.log1p;
    a.weights = c.weights;
    a.targets = Targets {
        min_agreement: c.min_agreement,
        max_score_diff: c.max_score_diff,
    };
    a.test = c.test;
    a.require = c.require.clone();
    a.progress = !c.json;
    a.feature_names = c
        .feature_names
        .as_deref()
        .map(|s| s.split(',').map(|p| p.trim().to_string()).collect());
    a.validate()?;
    if let (false, Some(test)) = (c.require.is_empty(), &a.test) {
        let t = Table::load(test, &a.label, LabelMode::Optional)?;
        if t.label_column.is_none() {
            bail!(
                "--require needs a labelled --test file: {} has no label column `{}` (columns: {}); name it with --label",
                test.display(),
                a.label,
                t.columns.join(", ")
            );
        }
    }
    let r = train::run(&a)?;
    if c.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        let n = vigil_inference_core::Model::parse(&std::fs::read(&r.out)?)?.n_features();
        train::print(&r, &a, n);
    }
    if let Some(test) = r.sets.iter().find(|s| s.name == "test") {
        check_requirements(&c.require, |k| set_figure(test, k))?;
    } else if !c.require.is_empty() {
        bail!("--require needs a labelled --test file");
    }
    Ok(())
}

#[derive(Serialize)]
struct ImportReport<'a> {
    source: &'a Path,
    producer: &'a str,
    recognised: &'a str,
    output: &'a str,
    family: String,
    threshold: f64,
    quantization: Option<Vec<quant::Candidate>>,
    calibration: Option<SetReport>,
    exactness: onnx::check::Exactness,
    written: bool,
    out: &'a Path,
    hash: String,
    cost: CostInfo,
}

fn import_cmd(c: ImportCmd) -> Result<()> {
    if let Some(t) = c.threshold.filter(|t| !(0.0..=1.0).contains(t)) {
        bail!(train::InvalidFlag::new(
            "--threshold",
            "a finite number in [0, 1]",
            t
        ));
    }
    if !(c.max_score_diff.is_finite() && c.max_score_diff >= 0.0) {
        bail!(train::InvalidFlag::new(
            "--max-score-diff",
            "a finite number >= 0",
            c.max_score_diff
        ));
    }
    let opts = ImportOptions {
        output: c.output.clone(),
        threshold: c.threshold,
    };
    let imp = onnx::import_file(&c.model, &opts)?;
    let targets = Targets {
        min_agreement: 1.0,
        max_score_diff: c.max_score_diff,
    };
    let n_inputs = imp.model.features.len();
    let mut names = c
        .feature_names
        .as_deref()
        .map(|s| vigil_cli::names::parse_list(s, n_inputs))
        .transpose()?;
    let (blob, candidates, calibration, rows, rows_from) = match &c.data {
        Some(path) => {
            let t = Table::load(path, &c.label, LabelMode::Optional)?;
            t.check_inputs(n_inputs, &c.label)?;
            if names.is_none() {
                names = Some(t.columns.clone());
            }
            let q = quant::quantize(&imp.model, &t.rows, c.weights, &targets)?;
            let cal = match t.labels() {
                Ok(y) => Some(SetReport::new(
                    &format!("{} (calibration)", path.display()),
                    &quant::float_scores(&imp.model, &t.rows),
                    &quant::fixed_scores(&q.blob, &t.rows)?,
                    &y,
                )),
                Err(_) => None,
            };
            let from = path.display().to_string();
            (q.blob, Some(q.candidates), cal, t.rows, from)
        }
        None => {
            if c.weights == WeightChoice::Auto {
                bail!("--weights auto needs --data to calibrate on");
            }
            let spec = onnx::check::spec_of(&imp, c.weights == WeightChoice::I16);
            let blob = spec
                .to_bytes()
                .map_err(|e| anyhow::anyhow!("the imported model does not serialise: {e}"))?;
            let rows = onnx::check::generated_rows(&imp, onnx::check::GENERATED_ROWS, 1);
            (
                blob,
                None,
                None,
                rows,
                "generated across each feature's range; pass --data for rows like yours".into(),
            )
        }
    };
    // The ONNX graph takes one [N, features] tensor: its input name is not
    // per feature, so names come from --feature-names or the data header.
    let blob = match &names {
        Some(n) => vigil_cli::names::with_names(&blob, n)?,
        None => blob,
    };
    let exactness = onnx::check::check(&imp, &blob, &rows, &rows_from, c.max_score_diff)
        .context("comparing the imported model with the ONNX graph")?;
    let refused = !exactness.passed() && !c.accept_loss;
    if !refused {
        write_file(&c.out, &blob)?;
    }
    let model = vigil_inference_core::Model::parse(&blob)?;
    let r = ImportReport {
        source: &c.model,
        producer: &imp.producer,
        recognised: &imp.description,
        output: &imp.output,
        family: model.family().name().to_string(),
        threshold: model.threshold().to_num(),
        quantization: candidates,
        calibration,
        exactness,
        written: !refused,
        out: &c.out,
        hash: hex(&model.checksum()),
        cost: CostInfo::of(&blob)?,
    };
    if c.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        println!("imported {} (producer: {})", c.model.display(), r.producer);
        println!("  recognised: {}", r.recognised);
        println!(
            "  score: graph output `{}`; {} model, threshold {:.6}",
            r.output, r.family, r.threshold
        );
        if let Some(q) = &r.quantization {
            for (i, cand) in q.iter().enumerate() {
                println!(
                    "  quantisation {} {:<5} {:>7} bytes; against the unquantised import: labels agree {:.3}%, max |score diff| {:.2e}",
                    if i == 0 { "chosen:" } else { "tried: " },
                    cand.name,
                    cand.bytes,
                    100.0 * cand.agreement.agreement,
                    cand.agreement.max_score_diff
                );
            }
        }
        if let Some(cal) = &r.calibration {
            print_sets(std::slice::from_ref(cal));
        }
        println!("  {}", r.exactness.line());
        if !refused {
            if !r.exactness.passed() {
                println!("  --accept-loss: written although it does not reproduce the graph:");
                for f in &r.exactness.faults {
                    println!("    - {f}");
                }
            }
            println!(
                "wrote {}: {} bytes, sha256 {}",
                c.out.display(),
                blob.len(),
                r.hash
            );
            println!("  {}", r.cost.line());
        }
    }
    if refused {
        let e = &r.exactness;
        let mut msg = format!(
            "refusing to write {}: the imported model does not reproduce the ONNX graph: {}",
            c.out.display(),
            e.line()
        );
        for f in &e.faults {
            msg.push_str(&format!("\n  - {f}"));
        }
        msg.push_str(&format!(
            "\nthe largest difference is on row {} of the {}; nothing was written. Pass --accept-loss to write it anyway, or --max-score-diff to state another bound.",
            e.worst_row,
            if c.data.is_some() { "data" } else { "generated rows" }
        ));
        bail!(msg);
    }
    Ok(())
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

fn eval_cmd(c: EvalCmd) -> Result<()> {
    check_require_syntax(&c.require)?;
    let roc = if c.no_roc {
        None
    } else {
        Some(
            c.roc
                .clone()
                .unwrap_or_else(|| c.model.with_extension("roc.svg")),
        )
    };
    // As `train --out` does: create the chart's directory.
    if let Some(parent) = roc
        .as_deref()
        .and_then(Path::parent)
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let reference = match &c.onnx {
        Some(path) => Some(onnx::import_file(
            path,
            &ImportOptions {
                output: c.output.clone(),
                threshold: None,
            },
        )?),
        None => None,
    };
    let r = eval::run(
        &c.model,
        &c.data,
        &c.label,
        roc.as_deref(),
        !c.json,
        reference.as_ref(),
    )?;
    if c.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        eval::print(&r);
    }
    check_requirements(&c.require, |k| {
        Some(match k {
            "accuracy" => r.accuracy,
            "f1" => r.f1,
            "precision" => r.precision,
            "recall" => r.recall,
            "auc" => r.auc.unwrap_or(f64::NAN),
            "agreement" => r.agreement,
            "max_score_diff" => r.max_score_diff,
            _ => return None,
        })
    })
}

fn inspect_cmd(c: InspectCmd) -> Result<()> {
    let r = inspect::run(&c.model)?;
    if c.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        inspect::print(&r, &c.model);
    }
    Ok(())
}

fn emit_json<T: Serialize>(items: &[T], out: &OutArgs) -> Result<()> {
    let mut text = String::new();
    for item in items {
        if out.pretty {
            text.push_str(&serde_json::to_string_pretty(item)?);
        } else {
            text.push_str(&serde_json::to_string(item)?);
        }
        text.push('\n');
    }
    match &out.out {
        Some(p) => write_file(p, text.as_bytes()),
        None => {
            std::io::stdout().write_all(text.as_bytes())?;
            Ok(())
        }
    }
}

fn paused_check(s: &str) -> Result<PausedCheck> {
    Ok(match s {
        "allow" => PausedCheck::Allow,
        "deny" => PausedCheck::Deny,
        "error" => PausedCheck::Error,
        _ => bail!("--paused-check must be allow, deny or error, got {s:?}"),
    })
}

/// The feature names a model file stores, if any.
fn model_names(model: Option<&Path>) -> Result<Option<Vec<String>>> {
    match model {
        Some(p) => vigil_cli::names::of_blob(&vigil_cli::eval::read_model(p)?),
        None => Ok(None),
    }
}

/// The instantiate settings from their flags (checked as the contract
/// checks them once the model is read: `msg::instantiate`).
fn instantiate_args(f: SettingsFlags) -> Result<InstantiateArgs> {
    Ok(InstantiateArgs {
        admin: f.admin,
        n_features: f.n_features,
        model: f.model,
        bond_denom: f.bond_denom,
        min_bond: f.min_bond,
        margins: msg::uniform_margins(
            msg::decimal("--min-gain", &f.min_gain)?,
            msg::decimal("--tolerance", &f.tolerance)?,
        ),
        reward: msg::parse_reward(&f.reward)?,
        max_inference_ops: f.max_inference_ops,
        max_check_gas: f.max_check_gas,
        deny_threshold: f
            .deny_threshold
            .as_deref()
            .map(|d| msg::decimal("--deny-threshold", d))
            .transpose()?,
        paused_check: paused_check(&f.paused_check)?,
        max_class_ratio: msg::class_ratio(&f.max_class_ratio)?,
        eval_batch: f.eval_batch,
        stall_blocks: f.stall_blocks,
        stall_fee: msg::decimal("--stall-fee", &f.stall_fee)?,
        envelope_margin: match f.envelope_margin.as_str() {
            "off" => None,
            m => Some(msg::decimal("--envelope-margin", m)?),
        },
        reveal_delay: f.reveal_delay,
        activation_delay: f.activation_delay,
        guardian: f.guardian,
        governance_delay: f.governance_delay,
        curator: f.curator,
        test_samples: Vec::new(),
    })
}

fn msg_cmd(c: MsgCmd) -> Result<()> {
    match c {
        MsgCmd::Reveal(r) => emit_json(
            &[msg::reveal(r.proposal_id, &r.model, &msg::salt(&r.salt)?)?],
            &r.out,
        ),
        MsgCmd::Veto(v) => emit_json(&[msg::veto(v.proposal_id)], &v.out),
        MsgCmd::Activate(a) => emit_json(&[msg::activate()], &a.out),
        MsgCmd::ApplyGovernance(a) => emit_json(&[msg::apply_governance()], &a.out),
        MsgCmd::Withdraw(w) => emit_json(&[msg::withdraw(w.proposal_id)], &w.out),
        MsgCmd::Batch(b) => {
            let samples = msg::load_samples(
                &b.data,
                &b.label,
                &msg::SampleOptions {
                    offset: 0,
                    limit: None,
                    ratio: None,
                    start: (0, 0),
                    drop_excess: false,
                    skip_unrepresentable: false,
                    names: None,
                },
            )?;
            let (commit, reveals) = msg::batch(samples, b.chunks, &msg::salt(&b.salt)?)?;
            let mut all = vec![commit];
            all.extend(reveals);
            emit_json(&all, &b.out)
        }
        MsgCmd::Commit(p) => {
            let dec = |flag: &str, v: &Option<String>| {
                v.as_deref().map(|d| msg::decimal(flag, d)).transpose()
            };
            let limits = msg::proposal_limits(
                dec("--max-min-gain", &p.max_min_gain)?,
                dec("--min-tolerance", &p.min_tolerance)?,
                p.min_reward,
                dec("--max-stall-fee", &p.max_stall_fee)?,
                p.min_stall_blocks,
            );
            let salt = msg::salt(&p.salt)?;
            emit_json(&[msg::commit(&p.model, &p.sender, &salt, limits)?], &p.out)
        }
        MsgCmd::Sweep(s) => emit_json(&[msg::sweep()], &s.out),
        MsgCmd::BindGuard(b) => emit_json(&[msg::bind_guard(&b.guard)?], &b.out),
        MsgCmd::RegisterProtected(r) => {
            let share = r
                .outflow_share
                .as_deref()
                .map(|v| msg::decimal("--outflow-share", v))
                .transpose()?;
            let m = msg::register_protected(
                &r.contract,
                &r.kinds,
                &r.unit,
                r.guardian.as_deref(),
                |s| {
                    if let Some(share) = share {
                        if share.is_zero() {
                            s.outflow_rule = None;
                        } else if let Some(rule) = s.outflow_rule.as_mut() {
                            rule.share = share;
                        }
                    }
                    if let Some(w) = r.window_blocks {
                        s.window_blocks = w;
                    }
                    if let Some(w) = r.warmup_windows {
                        s.warmup_windows = w;
                    }
                    if let Some(c) = r.cooldown_blocks {
                        s.cooldown_blocks = c;
                    }
                },
            )?;
            emit_json(&[m], &r.out)
        }
        MsgCmd::InstantiateGuard(i) => {
            let i = *i;
            let args = instantiate_args(i.settings)?;
            emit_json(&[msg::instantiate_guard(&i.governor, args)?], &i.out)
        }
        MsgCmd::CloseStalled(c) => emit_json(&[msg::close_stalled(c.proposal_id)], &c.out),
        MsgCmd::AddSamples(a) => {
            let ratio = a
                .max_class_ratio
                .as_deref()
                .map(msg::class_ratio)
                .transpose()?;
            msg::check_chunk(a.chunk)?;
            let samples = msg::load_samples(
                &a.data,
                &a.label,
                &msg::SampleOptions {
                    offset: a.offset,
                    limit: a.limit,
                    ratio,
                    start: (a.positives, a.negatives),
                    drop_excess: a.drop_excess,
                    skip_unrepresentable: a.skip_unrepresentable,
                    names: model_names(a.model.as_deref())?,
                },
            )?;
            if samples.is_empty() {
                bail!("no samples selected");
            }
            emit_json(&msg::add_samples(samples, a.chunk), &a.out)
        }
        MsgCmd::Instantiate(i) => {
            let i = *i;
            let mut args = instantiate_args(i.settings)?;
            let ratio = args.max_class_ratio;
            // The contract's checks of its settings, before reading samples.
            args.validate()?;
            if let Some(p) = &i.samples.samples {
                args.test_samples = msg::load_samples(
                    p,
                    &i.samples.label,
                    &msg::SampleOptions {
                        offset: i.samples.offset,
                        limit: i.samples.limit,
                        ratio: Some(ratio),
                        start: (0, 0),
                        drop_excess: i.samples.drop_excess,
                        skip_unrepresentable: i.samples.skip_unrepresentable,
                        names: model_names(args.model.as_deref())?,
                    },
                )?;
            }
            emit_json(&[msg::instantiate(args)?], &i.out)
        }
    }
}

fn score_cmd(c: ScoreCmd) -> Result<()> {
    let blob = eval::read_model(&c.model)?;
    let progress = std::fs::metadata(&c.data)
        .map(|m| m.len() > vigil_cli::score::PROGRESS_BYTES)
        .unwrap_or(false);
    let s = vigil_cli::score::score_file(&blob, &c.data, c.label.as_deref(), progress)?;
    if let Some(from) = &s.reordered_from {
        eprintln!(
            "note: {}: columns reordered by name to the model's order ({} -> {})",
            c.data.display(),
            from.join(", "),
            s.columns.join(", ")
        );
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    s.write_csv(&mut out)
        .and_then(|()| out.flush())
        .context("cannot write to stdout")?;
    let positive = s.rows.iter().filter(|r| r.label).count();
    eprintln!(
        "scored {} rows of {} ({} labelled 1)",
        s.rows.len(),
        c.data.display(),
        positive
    );
    if let Some(a) = s.accuracy() {
        eprintln!(
            "accuracy against `{}`: {:.4}",
            c.label.as_deref().unwrap_or_default(),
            a
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(c) => demo_cmd(c),
        Command::BreakerLog(c) => breaker_log_cmd(c),
        Command::BreakerFeatures(c) => breaker_features_cmd(c),
        Command::Train(c) => train_cmd(c),
        Command::Import(c) => import_cmd(c),
        Command::Eval(c) => eval_cmd(c),
        Command::Inspect(c) => inspect_cmd(c),
        Command::Msg(c) => msg_cmd(c),
        Command::Score(c) => score_cmd(c),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
