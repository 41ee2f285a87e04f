//! Phase 2: the incumbent, better and worse models, trained with `vigil
//! train`'s code.
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;

use super::args::DemoArgs;
use super::data::write_shuffled;
use super::text::{pct, say};
use crate::data::Table;
use crate::report::{thousands, CostInfo, SetReport};
use crate::rng::Rng;
use crate::train::{self, Family, TrainArgs};

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

/// Train the incumbent, the better and the worse model with `vigil
/// train`'s code; their summaries and blobs.
pub(super) fn train_models(
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
             float, AUC {} / {}, labels agree {}",
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
            crate::metrics::fmt_auc(test.fixed.auc, 0),
            crate::metrics::fmt_auc(test.float.auc, 0),
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
