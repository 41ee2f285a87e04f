//! Phase 1: the data (synthetic or `--data DIR`), checked, and what the
//! contract receives of it: test samples and the guarded stream.
use std::path::Path;

use anyhow::Result;
use vigil_guard_api::msg::TestSample;
use vigil_inference_core::decimal::Exact;

use super::args::DemoError;
use crate::data::{self, LabelMode, Table};
use crate::rng::Rng;

/// A transaction to guard.
pub(super) struct StreamTx {
    pub name: String,
    pub attack: bool,
    pub features: Vec<String>,
}

/// A labelled table, with typed errors for a missing file or label.
pub(super) fn load_labelled(path: &Path, label: &str) -> Result<Table> {
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

/// A stream from test rows: positives and negatives alternating.
pub(super) fn stream_from_table(t: &Table, n: usize) -> Result<Vec<StreamTx>> {
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

pub(super) fn write_shuffled(t: &Table, label: &str, path: &Path, rng: &mut Rng) -> Result<()> {
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
pub(super) fn chain_samples(t: &Table) -> Result<(Vec<TestSample>, Vec<usize>)> {
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
pub(super) fn class_ratio(samples: &[TestSample]) -> u64 {
    let pos = samples.iter().filter(|s| s.label).count() as u64;
    let neg = samples.len() as u64 - pos;
    let (major, minor) = (pos.max(neg), pos.min(neg).max(1));
    major.div_ceil(minor).max(5)
}
