//! The breaker's model: logistic regression (`vigil train`'s code) on the
//! seven derived features of a training file's log, its threshold chosen for
//! a low false-positive rate on that log's normal actions.
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use serde::Serialize;
use vigil_guard_api::breaker::ProtectedSettings;

use super::config::ScenarioConfig;
use super::features::{derive_log, derive_log_with, params, write_features};
use super::full_log;
use crate::data::{LabelMode, Table};
use crate::quant::fixed_scores;
use crate::train::{self, Family, TrainArgs};

/// The default share of the training file's normal actions the model may
/// deny (chosen on the training file alone: `breaker_model_sweep` in
/// `scenario::evaluate`).
pub const TRAINING_FPR: f64 = 3e-5;

/// A trained breaker model.
#[derive(Clone, Debug, Serialize)]
pub struct BreakerModel {
    /// The blob (`.vgm`).
    pub path: PathBuf,
    /// Its bytes.
    #[serde(skip)]
    pub blob: Vec<u8>,
    /// The stored threshold.
    pub threshold: f64,
    /// Training rows: normal and attack actions (each attack action twice:
    /// as an unguarded protocol and as a refusing guard see it).
    pub normal_rows: usize,
    /// See `normal_rows`.
    pub attack_rows: usize,
    /// Share of the training normal actions at or above the threshold
    /// (fixed point), and of the attack actions.
    pub normal_denied: f64,
    /// See `normal_denied`.
    pub attack_denied: f64,
}

/// Derives the training file's features (its log written to
/// `dir/breaker-train-log.csv`, the features to
/// `dir/breaker-train-features.csv`), fits logistic regression with
/// `vigil train`'s code, and stores the threshold that denies at most
/// `fpr` of the normal rows (fixed-point scores; e.g. [`TRAINING_FPR`]).
pub fn train_breaker(
    cfg: &ScenarioConfig,
    settings: &ProtectedSettings,
    dir: &Path,
    family: Family,
    fpr: f64,
    seed: u64,
) -> Result<BreakerModel> {
    std::fs::create_dir_all(dir)?;
    let log = full_log(cfg);
    super::write_log(&dir.join("breaker-train-log.csv"), &log)?;
    // Every action paid (what an unguarded protocol's baselines see), and
    // the attacks' actions again as a guard that refuses them sees them
    // (its baselines never learn them: each looks like the first of its
    // window).
    let p = params(settings)?;
    let mut features = derive_log(p, &log);
    let refused = derive_log_with(p, &log, |r| !r.label);
    let mut labels: Vec<bool> = log.iter().map(|r| r.label).collect();
    for (r, f) in log.iter().zip(refused) {
        if r.label {
            features.push(f);
            labels.push(true);
        }
    }
    let csv = dir.join("breaker-train-features.csv");
    write_features(&csv, &features, labels.iter().copied())?;
    let out = dir.join("breaker.vgm");
    let fit = |threshold: f64| -> Result<Vec<u8>> {
        let mut t = TrainArgs::new(csv.clone(), family, out.clone());
        t.seed = seed;
        t.cv = 0;
        t.val_frac = 0.0;
        t.threshold = Some(threshold);
        let r = train::run(&t)?;
        Ok(std::fs::read(&r.out)?)
    };
    let blob = fit(0.5)?;
    let table = Table::load(&csv, "label", LabelMode::Required)?;
    let scores = fixed_scores(&blob, &table.rows)?;
    let mut normal: Vec<f64> = labels
        .iter()
        .zip(&scores.score)
        .filter(|(&l, _)| !l)
        .map(|(_, &s)| s)
        .collect();
    if normal.is_empty() {
        bail!("the training file has no normal actions");
    }
    normal.sort_by(|a, b| b.total_cmp(a));
    let allowed = (fpr * normal.len() as f64).floor() as usize;
    // Just above the (allowed + 1)-th highest normal score (2^-20: a few
    // steps of the score's 31 fractional bits).
    let threshold = (normal[allowed.min(normal.len() - 1)] + (1.0 / (1u64 << 20) as f64)).min(1.0);
    let blob = fit(threshold)?;
    let scores = fixed_scores(&blob, &table.rows)?;
    let share = |attack: bool| {
        let (n, d) = labels
            .iter()
            .zip(&scores.label)
            .filter(|(&l, _)| l == attack)
            .fold((0usize, 0usize), |(n, d), (_, &l)| (n + 1, d + l as usize));
        (n, d as f64 / n.max(1) as f64)
    };
    let (normal_rows, normal_denied) = share(false);
    let (attack_rows, attack_denied) = share(true);
    let stored = vigil_inference_core::Model::parse(&blob)?
        .threshold()
        .to_num::<f64>();
    Ok(BreakerModel {
        path: out,
        blob,
        threshold: stored,
        normal_rows,
        attack_rows,
        normal_denied,
        attack_denied,
    })
}
