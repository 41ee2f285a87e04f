//! `vigil train`: fit a model on a CSV, quantise it calibrated on the
//! training rows, choose its threshold, report float and fixed metrics side
//! by side, write the blob.
//!
//! Why our own trainers rather than linfa or smartcore: the trees must split
//! on the core's quantised feature bits with thresholds halfway between
//! training values, carry explanation means and use the core's exact leaf
//! semantics (Newton leaves for boosting, `depth + c(size)` for isolation
//! forests); the MLP is a plain Adam loop; logistic regression is a 39×39
//! Newton solve. None of it needs BLAS, and all of it is reproducible from
//! `--seed`. The small amount of code buys exact control over what the
//! chain will compute.
pub mod logreg;
pub mod mlp;
pub mod trees;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use vigil_inference_core::float::{FloatBody, FloatModel};
use vigil_inference_core::Model;

use crate::data::{LabelMode, Table};
use crate::metrics::{bagged_f1_threshold, best_f1_threshold};
use crate::prep::{self, LogMode, Prepared};
use crate::quant::{self, Candidate, Targets, WeightChoice};
use crate::report::{hex, print_sets, CostInfo, SetReport};
use crate::rng::Rng;

/// The logistic function.
pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Model families `vigil train` fits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Logistic regression (L2, Newton).
    Logreg,
    /// Multilayer perceptron (ReLU, sigmoid output, Adam).
    Mlp,
    /// Gradient-boosted trees (log loss, Newton leaves).
    Gbdt,
    /// Random forest (Gini trees, bootstrap).
    Rf,
    /// Isolation forest (unsupervised anomaly score).
    Iforest,
}

impl Family {
    /// The lower-case name the CLI and reports use (`logreg`, `mlp`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Family::Logreg => "logreg",
            Family::Mlp => "mlp",
            Family::Gbdt => "gbdt",
            Family::Rf => "rf",
            Family::Iforest => "iforest",
        }
    }
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A setting outside the range its flag accepts, found before any training
/// or file writing (`vigil train`, `vigil msg`): the flag, what it accepts,
/// and what it got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidFlag {
    /// The flag, e.g. `--lr`.
    pub flag: &'static str,
    /// What it accepts, e.g. `a finite number in (0, 1]`.
    pub expected: String,
    /// The value given, as written back.
    pub got: String,
}

impl InvalidFlag {
    /// `flag` must be `expected`, got `got`.
    pub fn new(flag: &'static str, expected: impl Into<String>, got: impl ToString) -> Self {
        InvalidFlag {
            flag,
            expected: expected.into(),
            got: got.to_string(),
        }
    }
}

impl std::fmt::Display for InvalidFlag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} must be {}, got {}",
            self.flag, self.expected, self.got
        )
    }
}

impl std::error::Error for InvalidFlag {}

/// Most hidden layers: the format allows 16 dense layers, one is the output.
pub const MAX_HIDDEN_LAYERS: usize = vigil_inference_core::format::MAX_LAYERS - 1;
/// Most trees an ensemble may hold (the format counts them in a `u16`).
pub const MAX_TREES: usize = u16::MAX as usize;
/// Deepest tree the format allows.
pub const MAX_TREE_DEPTH: usize = vigil_inference_core::format::MAX_DEPTH as usize;
/// Widest dense layer (the format stores widths in a `u16`).
pub const MAX_WIDTH: usize = u16::MAX as usize;

/// Everything `vigil train` takes.
#[derive(Clone, Debug)]
pub struct TrainArgs {
    /// Training CSV.
    pub data: PathBuf,
    /// Label column.
    pub label: String,
    /// Family.
    pub family: Family,
    /// MLP hidden widths.
    pub hidden: Vec<usize>,
    /// Trees (ensembles).
    pub trees: Option<usize>,
    /// Tree depth.
    pub depth: Option<usize>,
    /// Learning rate (boosting: shrinkage; MLP: Adam step).
    pub lr: Option<f64>,
    /// MLP epochs.
    pub epochs: usize,
    /// MLP batch size.
    pub batch: usize,
    /// MLP L2 penalty.
    pub alpha: f64,
    /// MLP: decay of the weight moving average returned (0: last weights).
    pub ema: f64,
    /// Logistic regression inverse regularisation.
    pub c: f64,
    /// Smallest leaf.
    pub min_leaf: f64,
    /// Isolation forest subsample.
    pub psi: usize,
    /// Seed.
    pub seed: u64,
    /// Folds of cross-validation whose out-of-fold scores choose the
    /// threshold (0: use a hold-out split instead; 1 is refused).
    pub cv: usize,
    /// Without `cv`: fraction of training rows held out to choose the
    /// threshold.
    pub val_frac: f64,
    /// Retrain on all rows after choosing the threshold.
    pub refit: bool,
    /// A fixed threshold instead of the F1-maximising one.
    pub threshold: Option<f64>,
    /// Which columns get log1p.
    pub log1p: LogMode,
    /// Weight width.
    pub weights: WeightChoice,
    /// Quantisation targets.
    pub targets: Targets,
    /// Optional test CSV to report on.
    pub test: Option<PathBuf>,
    /// `--require` figures on the test set (METRIC=VALUE); the model is
    /// written only when they are met.
    pub require: Vec<String>,
    /// Output blob.
    pub out: PathBuf,
    /// Progress bars.
    pub progress: bool,
    /// Feature names to store in the model (`--feature-names`); default:
    /// the CSV header's feature columns.
    pub feature_names: Option<Vec<String>>,
}

impl TrainArgs {
    /// Defaults for a family (as the CLI has them).
    pub fn new(data: PathBuf, family: Family, out: PathBuf) -> TrainArgs {
        TrainArgs {
            data,
            label: "label".into(),
            family,
            hidden: vec![32, 16],
            trees: None,
            depth: None,
            lr: None,
            epochs: 200,
            batch: 200,
            alpha: 1e-4,
            ema: 0.998,
            c: 1.0,
            min_leaf: 1.0,
            psi: 256,
            seed: 1,
            cv: 5,
            val_frac: 0.2,
            refit: false,
            threshold: None,
            log1p: LogMode::Auto,
            weights: WeightChoice::Auto,
            targets: Targets::default(),
            test: None,
            require: Vec::new(),
            out,
            progress: false,
            feature_names: None,
        }
    }
}

impl TrainArgs {
    /// Check every setting against the range the trainers, the quantiser and
    /// the model format accept, before any data is read: the first one
    /// outside its range is an [`InvalidFlag`] naming the flag.
    /// [`run`] calls it first.
    pub fn validate(&self) -> Result<(), InvalidFlag> {
        let finite = |flag: &'static str, v: f64, ok: bool, range: &str| {
            if v.is_finite() && ok {
                Ok(())
            } else {
                Err(InvalidFlag::new(
                    flag,
                    format!("a finite number {range}"),
                    v,
                ))
            }
        };
        let count = |flag: &'static str, v: usize, lo: usize, hi: usize| {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else if hi == usize::MAX {
                Err(InvalidFlag::new(flag, format!("at least {lo}"), v))
            } else {
                Err(InvalidFlag::new(flag, format!("in {lo}..={hi}"), v))
            }
        };
        let f = self.family;
        if f == Family::Mlp {
            let widths: Vec<String> = self.hidden.iter().map(|w| w.to_string()).collect();
            if self.hidden.is_empty()
                || self.hidden.len() > MAX_HIDDEN_LAYERS
                || self.hidden.iter().any(|&w| !(1..=MAX_WIDTH).contains(&w))
            {
                return Err(InvalidFlag::new(
                    "--hidden",
                    format!(
                        "1 to {MAX_HIDDEN_LAYERS} comma-separated layer widths, each in 1..={MAX_WIDTH} (e.g. 32,16)"
                    ),
                    if widths.is_empty() {
                        "nothing".to_string()
                    } else {
                        widths.join(",")
                    },
                ));
            }
        }
        if let Some(t) = self.trees {
            count("--trees", t, 1, MAX_TREES)?;
        }
        // A depth-0 tree is one leaf: every row would get the same score.
        // Isolation forests do not use --depth (their trees stop at
        // ceil(log2 psi)).
        if let (Some(d), Family::Gbdt | Family::Rf) = (self.depth, f) {
            count("--depth", d, 1, MAX_TREE_DEPTH)?;
        }
        if let Some(lr) = self.lr {
            finite("--lr", lr, lr > 0.0 && lr <= 1.0, "in (0, 1]")?;
        }
        count("--epochs", self.epochs, 1, usize::MAX)?;
        count("--batch", self.batch, 1, usize::MAX)?;
        finite("--alpha", self.alpha, self.alpha >= 0.0, ">= 0")?;
        finite(
            "--ema",
            self.ema,
            (0.0..1.0).contains(&self.ema),
            "in [0, 1)",
        )?;
        // Newton's method divides by C: 1/C must be finite too.
        finite(
            "--c",
            self.c,
            self.c > 0.0 && (1.0 / self.c).is_finite(),
            "> 0",
        )?;
        finite("--min-leaf", self.min_leaf, self.min_leaf >= 1.0, ">= 1")?;
        count("--psi", self.psi, 2, usize::MAX)?;
        if self.cv == 1 {
            return Err(InvalidFlag::new(
                "--cv",
                "0 (choose the threshold on a held-out --val-frac) or a number of folds >= 2",
                1,
            ));
        }
        if !(self.val_frac.is_finite() && (0.0..0.9).contains(&self.val_frac)) {
            return Err(InvalidFlag::new(
                "--val-frac",
                "a fraction in [0, 0.9) (0: choose the threshold on the training rows)",
                self.val_frac,
            ));
        }
        if let Some(t) = self.threshold {
            finite("--threshold", t, (0.0..=1.0).contains(&t), "in [0, 1]")?;
        }
        let t = &self.targets;
        finite(
            "--min-agreement",
            t.min_agreement,
            (0.0..=1.0).contains(&t.min_agreement),
            "in [0, 1]",
        )?;
        finite(
            "--max-score-diff",
            t.max_score_diff,
            t.max_score_diff >= 0.0,
            ">= 0",
        )?;
        Ok(())
    }
}

/// Whether every parameter of a fitted body is a finite number.
fn body_is_finite(body: &FloatBody) -> bool {
    let layer = |l: &vigil_inference_core::float::FloatLayer| {
        l.weights.iter().chain(&l.biases).all(|v| v.is_finite())
    };
    let ensemble = |e: &vigil_inference_core::float::FloatEnsemble| {
        e.base.is_finite()
            && e.trees
                .iter()
                .flatten()
                .all(|n| n.value.is_finite() && n.mean.is_finite())
    };
    match body {
        FloatBody::Linear(l) => layer(l),
        FloatBody::Mlp(ls) => ls.iter().all(layer),
        FloatBody::Gbdt(e) | FloatBody::RandomForest(e) | FloatBody::IsolationForest(e) => {
            ensemble(e)
        }
    }
}

/// What `vigil train` did.
#[derive(Clone, Debug, Serialize)]
pub struct TrainReport {
    /// Family.
    pub family: Family,
    /// Shape, e.g. `38-32-16-1` or `100 trees, depth 3`.
    pub shape: String,
    /// Columns with signed log1p.
    pub log1p_columns: usize,
    /// Rows used to fit.
    pub fit_rows: usize,
    /// Rows held out for the threshold.
    pub validation_rows: usize,
    /// Cross-validation folds used for the threshold (0: none).
    pub cv_folds: usize,
    /// Metrics of the float models' out-of-fold scores at the chosen
    /// threshold (an honest estimate from the training data alone).
    pub cv_metrics: Option<crate::metrics::Metrics>,
    /// The stored threshold.
    pub threshold: f64,
    /// How it was chosen.
    pub threshold_rule: String,
    /// Seconds spent fitting.
    pub train_seconds: f64,
    /// Quantisation candidates (chosen first).
    pub quantization: Vec<Candidate>,
    /// Largest |pre-activation| per dense layer on the training rows.
    pub layer_ranges: Vec<f64>,
    /// Float vs fixed on each set.
    pub sets: Vec<SetReport>,
    /// Where the blob went.
    pub out: PathBuf,
    /// SHA-256 of the model (its stored checksum), hex.
    pub hash: String,
    /// Cost figures.
    pub cost: CostInfo,
}

fn bar(progress: bool, what: &str) -> ProgressBar {
    if !progress {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(0);
    b.set_style(
        ProgressStyle::with_template("  {prefix:<18} [{bar:30}] {pos}/{len} {elapsed} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    b.set_prefix(what.to_string());
    b
}

/// Stratified split of row indices: `(fit, validation)`.
pub fn stratified_split(y: &[bool], frac: f64, rng: &mut Rng) -> (Vec<usize>, Vec<usize>) {
    let (mut fit, mut val) = (Vec::new(), Vec::new());
    for class in [false, true] {
        let mut idx: Vec<usize> = (0..y.len()).filter(|&i| y[i] == class).collect();
        rng.shuffle(&mut idx);
        let k = (idx.len() as f64 * frac).round() as usize;
        val.extend_from_slice(&idx[..k]);
        fit.extend_from_slice(&idx[k..]);
    }
    fit.sort_unstable();
    val.sort_unstable();
    (fit, val)
}

/// Stratified fold of each row (`0..k`).
pub fn stratified_folds(y: &[bool], k: usize, rng: &mut Rng) -> Vec<usize> {
    let mut fold = vec![0; y.len()];
    for class in [false, true] {
        let mut idx: Vec<usize> = (0..y.len()).filter(|&i| y[i] == class).collect();
        rng.shuffle(&mut idx);
        for (j, i) in idx.into_iter().enumerate() {
            fold[i] = j % k;
        }
    }
    fold
}

struct Fitted {
    body: FloatBody,
    shape: String,
}

fn fit_body(
    a: &TrainArgs,
    data: &Prepared,
    y: &[bool],
    rng: &mut Rng,
    what: &str,
) -> Result<Fitted> {
    let tp = trees::TreeParams {
        trees: a.trees.unwrap_or(match a.family {
            Family::Rf => 50,
            _ => 100,
        }),
        depth: a.depth.unwrap_or(match a.family {
            Family::Rf => 8,
            Family::Iforest => 8,
            _ => 3,
        }),
        lr: a.lr.unwrap_or(0.1),
        min_leaf: a.min_leaf,
        psi: a.psi,
    };
    let trees_shape = |tp: &trees::TreeParams| format!("{} trees, depth {}", tp.trees, tp.depth);
    let fitted = match a.family {
        Family::Logreg => Fitted {
            body: FloatBody::Linear(logreg::fit(&data.z, data.d, y, a.c)?),
            shape: format!("{}-1", data.d),
        },
        Family::Mlp => {
            let p = mlp::MlpParams {
                hidden: a.hidden.clone(),
                epochs: a.epochs,
                batch: a.batch,
                lr: a.lr.unwrap_or(1e-3),
                alpha: a.alpha,
                ema: a.ema,
                ..mlp::MlpParams::default()
            };
            let b = bar(a.progress, &format!("{what} epochs"));
            let (layers, _) = mlp::fit(&data.z, data.d, y, &p, rng, &b);
            b.finish_and_clear();
            let widths: Vec<String> = std::iter::once(data.d)
                .chain(a.hidden.iter().copied())
                .chain(std::iter::once(1))
                .map(|w| w.to_string())
                .collect();
            Fitted {
                body: FloatBody::Mlp(layers),
                shape: widths.join("-"),
            }
        }
        Family::Gbdt => {
            let b = bar(a.progress, &format!("{what} trees"));
            let e = trees::gbdt(data, y, &tp, &b)?;
            b.finish_and_clear();
            Fitted {
                body: FloatBody::Gbdt(e),
                shape: trees_shape(&tp),
            }
        }
        Family::Rf => {
            let b = bar(a.progress, &format!("{what} trees"));
            let e = trees::random_forest(data, y, &tp, rng, &b)?;
            b.finish_and_clear();
            Fitted {
                body: FloatBody::RandomForest(e),
                shape: trees_shape(&tp),
            }
        }
        Family::Iforest => {
            let b = bar(a.progress, &format!("{what} trees"));
            let e = trees::isolation_forest(data, &tp, rng, &b)?;
            b.finish_and_clear();
            Fitted {
                body: FloatBody::IsolationForest(e),
                shape: format!("{} trees, psi {}", tp.trees, tp.psi.min(data.n)),
            }
        }
    };
    if !body_is_finite(&fitted.body) {
        bail!(
            "{what}: training diverged (the {} model has non-finite parameters); try a smaller --lr{}",
            a.family,
            if a.family == Family::Mlp {
                " or a larger --alpha"
            } else {
                ""
            }
        );
    }
    Ok(fitted)
}

/// Train, quantise, report, write.
pub fn run(a: &TrainArgs) -> Result<TrainReport> {
    a.validate()?;
    let unsupervised = a.family == Family::Iforest;
    let table = Table::load(
        &a.data,
        &a.label,
        if unsupervised {
            LabelMode::Optional
        } else {
            LabelMode::Required
        },
    )?;
    let names = match &a.feature_names {
        Some(n) if n.len() != table.n_features() => bail!(
            "--feature-names gives {} names ({}), {} has {} feature columns ({})",
            n.len(),
            n.join(", "),
            a.data.display(),
            table.n_features(),
            table.columns.join(", ")
        ),
        Some(n) => n.clone(),
        None => table.columns.clone(),
    };
    let labels = table.labels().ok();
    let rng = Rng::new(a.seed);

    // Preprocessing is unsupervised: fit it on every training row.
    let features = prep::fit_features(&table, a.log1p);
    let transforms = prep::core_transforms(&features);
    let log1p_columns = features.iter().filter(|f| f.log1p).count();

    let all_y = labels.clone().unwrap_or_default();
    let cv = if unsupervised || labels.is_none() || a.threshold.is_some() {
        0
    } else {
        a.cv
    };
    // Without cross-validation, hold out rows for the threshold.
    let (fit_idx, val_idx) = match (&labels, unsupervised) {
        (Some(y), false) if cv < 2 && a.val_frac > 0.0 && a.threshold.is_none() => {
            stratified_split(y, a.val_frac, &mut rng.fork(1))
        }
        _ => ((0..table.rows.len()).collect(), Vec::new()),
    };
    if let (Some(y), false) = (&labels, unsupervised) {
        let pos = fit_idx.iter().filter(|&&i| y[i]).count();
        let neg = fit_idx.len() - pos;
        let smaller = pos.min(neg);
        if smaller < 2 {
            bail!(
                "{}: too few rows of one class ({pos} positive of {})",
                a.data.display(),
                fit_idx.len()
            );
        }
        if cv > smaller {
            bail!(InvalidFlag::new(
                "--cv",
                format!(
                    "in 2..={smaller} ({cv} folds need {cv} rows of each class; the smaller class \
                     of {} has {smaller}: {pos} positive, {neg} negative), or 0 to hold out \
                     --val-frac instead",
                    a.data.display()
                ),
                cv
            ));
        }
    }
    // The test file too, before any training: a wrong file fails at once.
    let test_table = match &a.test {
        Some(test) => {
            let mut t = Table::load(test, &a.label, LabelMode::Optional)?;
            t.check_inputs(table.n_features(), &a.label)?;
            // Its columns by name, as `eval` will match them to the model.
            if t.match_names(&table.columns)
                .map_err(anyhow::Error::new)
                .context("matching the --test columns to the training columns")?
            {
                eprintln!(
                    "note: {}: columns reordered by name to the training order",
                    test.display()
                );
            }
            Some(t)
        }
        None => None,
    };
    let fit_table = table.subset(&fit_idx);
    let val_table = table.subset(&val_idx);
    let fit_data = Prepared::new(&fit_table, &transforms);
    let fit_y = fit_table.labels().unwrap_or_default();
    let model_of = |body: FloatBody| FloatModel {
        threshold: 0.5,
        features: features.clone(),
        body,
    };

    let start = Instant::now();
    // Cross-validation: out-of-fold float scores for the threshold.
    let mut cv_scores = None;
    if cv >= 2 {
        let folds = stratified_folds(&all_y, cv, &mut rng.fork(1));
        let mut oof = vec![0.0; table.rows.len()];
        for k in 0..cv {
            let train_idx: Vec<usize> = (0..folds.len()).filter(|&i| folds[i] != k).collect();
            let held: Vec<usize> = (0..folds.len()).filter(|&i| folds[i] == k).collect();
            let t = table.subset(&train_idx);
            let d = Prepared::new(&t, &transforms);
            let f = fit_body(
                a,
                &d,
                &t.labels()?,
                &mut rng.fork(10 + k as u64),
                &format!("fold {}/{cv}", k + 1),
            )?;
            let m = model_of(f.body);
            for &i in &held {
                oof[i] = m.predict(&table.rows[i].x);
            }
        }
        cv_scores = Some(oof);
    }
    let fitted = fit_body(a, &fit_data, &fit_y, &mut rng.fork(2), "fit")?;
    let mut model = model_of(fitted.body.clone());

    // Threshold: maximise F1 on scores the model did not train on:
    // out-of-fold, held-out, or (the unsupervised isolation forest, whose
    // trees never saw labels) the training rows.
    let mut cv_metrics = None;
    let (threshold, rule) = match (a.threshold, &labels, &cv_scores) {
        (Some(t), _, _) => (t, "given".to_string()),
        (None, Some(_), Some(oof)) => {
            let (t, f1) = bagged_f1_threshold(oof, &all_y, 101, &mut rng.fork(3));
            let pred: Vec<bool> = oof.iter().map(|&s| s >= t).collect();
            cv_metrics = Some(crate::metrics::Metrics::of(oof, &pred, &all_y));
            (
                t,
                format!(
                    "max F1 of {cv}-fold out-of-fold scores, median over 101 bootstrap resamples ({f1:.4})"
                ),
            )
        }
        (None, Some(_), None) => {
            let (rows, what) = if val_table.rows.is_empty() {
                (&fit_table, "training rows")
            } else {
                (&val_table, "validation rows")
            };
            let s = quant::float_scores(&model, &rows.rows);
            let (t, f1) = best_f1_threshold(&s.score, &rows.labels()?);
            (t, format!("max F1 on {what} ({f1:.4})"))
        }
        (None, None, _) => (0.5, "default 0.5 (no labels)".to_string()),
    };
    let mut fitted = fitted;
    if a.refit && !val_idx.is_empty() {
        let all = Prepared::new(&table, &transforms);
        fitted = fit_body(a, &all, &all_y, &mut rng.fork(2), "refit")?;
        model.body = fitted.body.clone();
    }
    let train_seconds = start.elapsed().as_secs_f64();
    model.threshold = threshold;

    // Quantise, calibrated on the training rows.
    let q = quant::quantize(&model, &table.rows, a.weights, &a.targets)?;

    // Float and fixed, side by side.
    let mut sets = Vec::new();
    let mut add = |name: &str, t: &Table| -> Result<()> {
        if t.rows.is_empty() {
            return Ok(());
        }
        let Ok(y) = t.labels() else { return Ok(()) };
        let float = quant::float_scores(&model, &t.rows);
        let fixed = quant::fixed_scores(&q.blob, &t.rows)?;
        sets.push(SetReport::new(name, &float, &fixed, &y));
        Ok(())
    };
    if a.refit || val_table.rows.is_empty() {
        add("training (in-sample)", &table)?;
    } else {
        add("fit (in-sample)", &fit_table)?;
        add("validation (held out)", &val_table)?;
    }
    if let Some(t) = &test_table {
        add("test", t)?;
    }
    // `--require`: checked before anything is written, so a model that
    // misses its figures leaves no file behind.
    if !a.require.is_empty() {
        let test = sets
            .iter()
            .find(|s| s.name == "test")
            .context("--require needs a labelled --test file")?;
        crate::report::check_requirements(&a.require, |k| crate::report::set_figure(test, k))
            .with_context(|| format!("{} was not written", a.out.display()))?;
    }
    if let Some(parent) = a.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    // The feature names go into the blob's metadata section (same
    // parameters and scores; the checksum covers them).
    let blob = crate::names::with_names(&q.blob, &names)?;
    std::fs::write(&a.out, &blob).with_context(|| format!("cannot write {}", a.out.display()))?;
    let parsed = Model::parse(&blob)?;
    Ok(TrainReport {
        family: a.family,
        shape: fitted.shape,
        log1p_columns,
        fit_rows: fit_idx.len(),
        validation_rows: val_idx.len(),
        cv_folds: cv,
        cv_metrics,
        threshold: q.spec.threshold.to_num(),
        threshold_rule: rule,
        train_seconds,
        quantization: q.candidates,
        layer_ranges: q.layer_ranges,
        sets,
        out: a.out.clone(),
        hash: hex(&parsed.checksum()),
        cost: CostInfo::of(&blob)?,
    })
}

/// Print a report as text.
pub fn print(r: &TrainReport, a: &TrainArgs, n_features: usize) {
    println!(
        "trained {} ({}) on {} in {:.2} s",
        r.family,
        r.shape,
        a.data.display(),
        r.train_seconds
    );
    println!(
        "  preprocessing: signed log1p on {}/{} columns, then standardised (fit on training rows)",
        r.log1p_columns, n_features
    );
    if r.validation_rows > 0 {
        println!(
            "  rows: {} fit, {} held out for the threshold{}",
            r.fit_rows,
            r.validation_rows,
            if a.refit { " (then refit on all)" } else { "" }
        );
    }
    println!("  threshold {:.6}: {}", r.threshold, r.threshold_rule);
    if let Some(m) = &r.cv_metrics {
        println!(
            "  out-of-fold (float, {} folds): accuracy {:.4}  f1 {:.4}  precision {:.4}  recall {:.4}  auc {}",
            r.cv_folds,
            m.accuracy,
            m.f1,
            m.precision,
            m.recall,
            crate::metrics::fmt_auc(m.auc, 0)
        );
    }
    for (i, c) in r.quantization.iter().enumerate() {
        println!(
            "  quantisation {} {:<5} {:>7} bytes; on training rows: labels agree {:.3}%, max |score diff| {:.2e}",
            if i == 0 { "chosen:" } else { "tried: " },
            c.name,
            c.bytes,
            100.0 * c.agreement.agreement,
            c.agreement.max_score_diff
        );
    }
    if !r.layer_ranges.is_empty() {
        let ranges: Vec<String> = r.layer_ranges.iter().map(|v| format!("{v:.1}")).collect();
        println!(
            "  largest |pre-activation| per layer on training rows: {} (saturation at 32768)",
            ranges.join(", ")
        );
    }
    print_sets(&r.sets);
    println!(
        "wrote {}: {} bytes, sha256 {}",
        r.out.display(),
        r.cost.model_bytes,
        r.hash
    );
    println!("  {}", r.cost.line());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_stratified_and_disjoint() {
        let y: Vec<bool> = (0..100).map(|i| i % 4 == 0).collect();
        let (f, v) = stratified_split(&y, 0.2, &mut Rng::new(1));
        assert_eq!(f.len() + v.len(), 100);
        assert_eq!(v.iter().filter(|&&i| y[i]).count(), 5);
        assert!(f.iter().all(|i| !v.contains(i)));
    }
}
