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
use vigil_guard::msg::PausedCheck;
use vigil_inference_core::float::QuantizeOptions;

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
    /// Print the report as one JSON object after the text.
    #[arg(long)]
    json: bool,
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
    /// MLP hidden layer widths.
    #[arg(long, value_delimiter = ',', default_value = "32,16")]
    hidden: Vec<usize>,
    /// Trees (gbdt, rf, iforest; default 100, rf 50).
    #[arg(long)]
    trees: Option<usize>,
    /// Tree depth (default gbdt 3, rf 8, iforest 8).
    #[arg(long)]
    depth: Option<usize>,
    /// Learning rate (gbdt shrinkage, default 0.1; mlp Adam step, default 0.001).
    #[arg(long)]
    lr: Option<f64>,
    /// MLP: largest number of epochs.
    #[arg(long, default_value_t = 200)]
    epochs: usize,
    /// MLP: batch size.
    #[arg(long, default_value_t = 200)]
    batch: usize,
    /// MLP: L2 penalty.
    #[arg(long, default_value_t = 1e-4)]
    alpha: f64,
    /// MLP: decay of the moving average of the weights that is kept
    /// (Polyak averaging; 0 keeps the last weights).
    #[arg(long, default_value_t = 0.998)]
    ema: f64,
    /// Logistic regression: inverse L2 strength.
    #[arg(long, default_value_t = 1.0)]
    c: f64,
    /// Trees: smallest leaf (rows).
    #[arg(long, default_value_t = 1.0)]
    min_leaf: f64,
    /// Isolation forest: subsample size.
    #[arg(long, default_value_t = 256)]
    psi: usize,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Choose the threshold on out-of-fold scores of this many stratified
    /// folds, then fit on all rows (0: use --val-frac instead).
    #[arg(long, default_value_t = 5)]
    cv: usize,
    /// With --cv 0: fraction of rows held out (stratified) to choose the
    /// threshold (0: choose it on the training rows).
    #[arg(long, default_value_t = 0.2)]
    val_frac: f64,
    /// With --cv 0: after choosing the threshold, retrain on all rows.
    #[arg(long)]
    refit: bool,
    /// Use this threshold instead of the F1-maximising one.
    #[arg(long)]
    threshold: Option<f64>,
    /// Which columns get a signed log1p before standardisation.
    #[arg(long, value_enum, default_value = "auto")]
    log1p: LogMode,
    /// Dense weight width: auto picks i8 when it meets the agreement targets.
    #[arg(long, value_enum, default_value = "auto")]
    weights: WeightChoice,
    /// Auto weights: smallest label agreement with the float model.
    #[arg(long, default_value_t = 0.999)]
    min_agreement: f64,
    /// Auto weights: largest score difference from the float model.
    #[arg(long, default_value_t = 0.02)]
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
    /// Label threshold (default: what the source model predicts with).
    #[arg(long)]
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
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
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
    /// Where to write the ROC chart (default: next to the model, .roc.svg).
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
/// `wasmd tx wasm execute $GUARD "$(vigil msg propose --model m.vgm)" --amount 1000000ustake --from me`.
#[derive(Subcommand)]
enum MsgCmd {
    /// InstantiateMsg (`wasmd tx wasm instantiate $CODE_ID "$(vigil msg instantiate ...)" --label vigil --admin ...`).
    Instantiate(InstantiateCmd),
    /// ExecuteMsg::ProposeModel with the blob as base64 (attach the bond with --amount).
    Propose(ProposeCmd),
    /// ExecuteMsg::AddTestSamples from a labelled CSV.
    AddSamples(AddSamplesCmd),
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
    /// Skip this many rows.
    #[arg(long, default_value_t = 0)]
    offset: usize,
    /// At most this many rows.
    #[arg(long)]
    limit: Option<usize>,
    /// Drop rows the class-balance rule can never accept instead of failing.
    #[arg(long)]
    drop_excess: bool,
}

#[derive(Args)]
struct InstantiateCmd {
    /// Initial model (.vgm); also sets --n-features.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Number of raw inputs (when there is no initial model).
    #[arg(long)]
    n_features: Option<u16>,
    /// Governance address (default: the sender).
    #[arg(long)]
    admin: Option<String>,
    /// Denom of bonds and rewards.
    #[arg(long)]
    bond_denom: String,
    /// Smallest proposal bond.
    #[arg(long, default_value_t = 1_000_000)]
    min_bond: u128,
    /// Margin: smallest gain that counts as an improvement (every metric).
    #[arg(long, default_value = "0")]
    min_gain: String,
    /// Margin: largest drop that does not count as worse (every metric).
    #[arg(long, default_value = "0")]
    tolerance: String,
    /// Reward of an accepted proposal: none, fixed:AMOUNT or share:DECIMAL.
    #[arg(long, default_value = "none")]
    reward: String,
    /// Largest cost bound a model may have (default: twice the initial
    /// model's, at least 1,000,000).
    #[arg(long)]
    max_inference_ops: Option<u64>,
    /// Deny at or above this score (default: the model's threshold).
    #[arg(long)]
    deny_threshold: Option<String>,
    /// What Check answers while paused: allow, deny or error.
    #[arg(long, default_value = "error")]
    paused_check: String,
    /// Largest majority:minority ratio while adding test samples.
    #[arg(long, default_value = "5")]
    max_class_ratio: String,
    /// Test rows evaluated per transaction step.
    #[arg(long, default_value_t = 100)]
    eval_batch: u32,
    #[command(flatten)]
    samples: SampleArgs,
    #[command(flatten)]
    out: OutArgs,
}

#[derive(Args)]
struct ProposeCmd {
    /// The model (.vgm).
    #[arg(long)]
    model: PathBuf,
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
    /// Skip this many rows.
    #[arg(long, default_value_t = 0)]
    offset: usize,
    /// At most this many rows.
    #[arg(long)]
    limit: Option<usize>,
    /// The guard's max_class_ratio: order the samples so the contract's
    /// class-balance rule accepts each in turn (and fail if some never can).
    #[arg(long)]
    max_class_ratio: Option<String>,
    /// Positives already in the guard's test set (for the balance rule).
    #[arg(long, default_value_t = 0)]
    positives: u64,
    /// Negatives already in the guard's test set.
    #[arg(long, default_value_t = 0)]
    negatives: u64,
    /// Drop rows the balance rule can never accept instead of failing.
    #[arg(long)]
    drop_excess: bool,
    /// Samples per message: one compact message per line (JSON Lines).
    #[arg(long)]
    chunk: Option<usize>,
    #[command(flatten)]
    out: OutArgs,
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
    if !(0.0..1.0).contains(&a.attack_share) || a.attack_share == 0.0 {
        bail!("--attack-share must be in (0, 1)");
    }
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    let r = vigil_cli::demo::run(&a, &mut lock)?;
    if c.json {
        writeln!(lock, "{}", serde_json::to_string_pretty(&r)?)?;
    }
    Ok(())
}

fn train_cmd(c: TrainCmd) -> Result<()> {
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
    a.progress = !c.json;
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
    out: &'a Path,
    hash: String,
    cost: CostInfo,
}

fn import_cmd(c: ImportCmd) -> Result<()> {
    let opts = ImportOptions {
        output: c.output.clone(),
        threshold: c.threshold,
    };
    let imp = onnx::import_file(&c.model, &opts)?;
    let (blob, candidates, calibration) = match &c.data {
        Some(path) => {
            let t = Table::load(path, &c.label, LabelMode::Optional)?;
            t.check_features(imp.model.features.len())?;
            let q = quant::quantize(&imp.model, &t.rows, c.weights, &Targets::default())?;
            let cal = match t.labels() {
                Ok(y) => Some(SetReport::new(
                    &format!("{} (calibration)", path.display()),
                    &quant::float_scores(&imp.model, &t.rows),
                    &quant::fixed_scores(&q.blob, &t.rows)?,
                    &y,
                )),
                Err(_) => None,
            };
            (q.blob, Some(q.candidates), cal)
        }
        None => {
            if c.weights == WeightChoice::Auto {
                bail!("--weights auto needs --data to calibrate on");
            }
            let spec = imp.model.quantize(&QuantizeOptions {
                wide_weights: c.weights == WeightChoice::I16,
                per_channel: true,
                explain: true,
            });
            let blob = spec
                .to_bytes()
                .map_err(|e| anyhow::anyhow!("the imported model does not serialise: {e}"))?;
            (blob, None, None)
        }
    };
    write_file(&c.out, &blob)?;
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
        out: &c.out,
        hash: hex(&model.checksum()),
        cost: CostInfo::of(&blob)?,
    };
    if c.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    println!("imported {} (producer: {})", c.model.display(), r.producer);
    println!("  recognised: {}", r.recognised);
    println!(
        "  score: graph output `{}`; {} model, threshold {:.6}",
        r.output, r.family, r.threshold
    );
    if let Some(q) = &r.quantization {
        for (i, cand) in q.iter().enumerate() {
            println!(
                "  quantisation {} {:<5} {:>7} bytes; labels agree {:.3}%, max |score diff| {:.2e}",
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
    println!(
        "wrote {}: {} bytes, sha256 {}",
        c.out.display(),
        blob.len(),
        r.hash
    );
    println!("  {}", r.cost.line());
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
    let roc = if c.no_roc {
        None
    } else {
        Some(
            c.roc
                .clone()
                .unwrap_or_else(|| c.model.with_extension("roc.svg")),
        )
    };
    let r = eval::run(&c.model, &c.data, &c.label, roc.as_deref(), !c.json)?;
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
            "auc" => r.auc,
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

fn msg_cmd(c: MsgCmd) -> Result<()> {
    match c {
        MsgCmd::Propose(p) => emit_json(&[msg::propose(&p.model)?], &p.out),
        MsgCmd::AddSamples(a) => {
            let ratio = a
                .max_class_ratio
                .as_deref()
                .map(|r| msg::decimal("--max-class-ratio", r))
                .transpose()?;
            let samples = msg::load_samples(
                &a.data,
                &a.label,
                a.offset,
                a.limit,
                ratio,
                (a.positives, a.negatives),
                a.drop_excess,
            )?;
            if samples.is_empty() {
                bail!("no samples selected");
            }
            emit_json(&msg::add_samples(samples, a.chunk), &a.out)
        }
        MsgCmd::Instantiate(i) => {
            let ratio = msg::decimal("--max-class-ratio", &i.max_class_ratio)?;
            let samples = match &i.samples.samples {
                Some(p) => msg::load_samples(
                    p,
                    &i.samples.label,
                    i.samples.offset,
                    i.samples.limit,
                    Some(ratio),
                    (0, 0),
                    i.samples.drop_excess,
                )?,
                None => Vec::new(),
            };
            let m = msg::instantiate(InstantiateArgs {
                admin: i.admin,
                n_features: i.n_features,
                model: i.model,
                bond_denom: i.bond_denom,
                min_bond: i.min_bond,
                margins: msg::uniform_margins(
                    msg::decimal("--min-gain", &i.min_gain)?,
                    msg::decimal("--tolerance", &i.tolerance)?,
                ),
                reward: msg::parse_reward(&i.reward)?,
                max_inference_ops: i.max_inference_ops,
                deny_threshold: i
                    .deny_threshold
                    .as_deref()
                    .map(|d| msg::decimal("--deny-threshold", d))
                    .transpose()?,
                paused_check: paused_check(&i.paused_check)?,
                max_class_ratio: ratio,
                eval_batch: i.eval_batch,
                test_samples: samples,
            })?;
            emit_json(&[m], &i.out)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(c) => demo_cmd(c),
        Command::Train(c) => train_cmd(c),
        Command::Import(c) => import_cmd(c),
        Command::Eval(c) => eval_cmd(c),
        Command::Inspect(c) => inspect_cmd(c),
        Command::Msg(c) => msg_cmd(c),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
