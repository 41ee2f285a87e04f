//! The breaker's model: logistic regression (`vigil train`'s code) on the
//! six derived features of a training file's log, its threshold chosen for
//! a low false-positive rate on that log's normal actions.
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use serde::Serialize;
use vigil_guard_api::breaker::ProtectedSettings;

use super::config::ScenarioConfig;
use super::features::{derive_log, params, write_features};
use super::full_log;
use crate::data::{LabelMode, Table};
use crate::quant::fixed_scores;
use crate::train::{self, Family, TrainArgs};

/// The share of the training file's normal actions the model may deny.
pub const TRAINING_FPR: f64 = 1e-4;

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
    /// Training rows: normal and attack actions.
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
/// [`TRAINING_FPR`] of the normal rows (fixed-point scores).
pub fn train_breaker(
    cfg: &ScenarioConfig,
    settings: &ProtectedSettings,
    dir: &Path,
    family: Family,
    seed: u64,
) -> Result<BreakerModel> {
    std::fs::create_dir_all(dir)?;
    let log = full_log(cfg);
    super::write_log(&dir.join("breaker-train-log.csv"), &log)?;
    let features = derive_log(params(settings), &log);
    let csv = dir.join("breaker-train-features.csv");
    write_features(&csv, &features, log.iter().map(|r| r.label))?;
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
    let mut normal: Vec<f64> = log
        .iter()
        .zip(&scores.score)
        .filter(|(r, _)| !r.label)
        .map(|(_, &s)| s)
        .collect();
    if normal.is_empty() {
        bail!("the training file has no normal actions");
    }
    normal.sort_by(|a, b| b.total_cmp(a));
    let allowed = (TRAINING_FPR * normal.len() as f64).floor() as usize;
    // Just above the (allowed + 1)-th highest normal score (2^-20: a few
    // steps of the score's 31 fractional bits).
    let threshold = (normal[allowed.min(normal.len() - 1)] + (1.0 / (1u64 << 20) as f64)).min(1.0);
    let blob = fit(threshold)?;
    let scores = fixed_scores(&blob, &table.rows)?;
    let share = |attack: bool| {
        let (n, d) = log
            .iter()
            .zip(&scores.label)
            .filter(|(r, _)| r.label == attack)
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
