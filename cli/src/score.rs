//! `vigil score`: score every row of a CSV with the integer core exactly as
//! the chain does (decimal string → `decimal::parse` → `Model::infer`) and
//! print one CSV line per row: `row,score,score_bits,label`.
//!
//! - `row`: the data row's 0-based index (the header is not a row);
//! - `score`: the core's score as a decimal, exactly `score_bits / 2^31`;
//! - `score_bits`: the `U1F31` bits the chain computes;
//! - `label`: 1 when `score >= threshold` (the model's), else 0.
//!
//! The file is read and every row scored before anything is printed: a bad
//! row fails the command with a [`ScoreError`] naming the row and column,
//! and stdout stays empty.
use std::io::{BufRead, Write};
use std::path::Path;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use vigil_inference_core::{decimal, Act, Model, Wide};

/// File size from which `vigil score` shows progress on stderr.
pub const PROGRESS_BYTES: u64 = 8 << 20;

/// A row or header the scorer refuses.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ScoreError {
    /// The file has no header line.
    #[error("{file}: empty file (a header row is required)")]
    Empty {
        /// The CSV.
        file: String,
    },
    /// `--label` names a column the header does not have.
    #[error("{file}:1: no label column `{label}` (columns: {columns})")]
    NoLabelColumn {
        /// The CSV.
        file: String,
        /// The column asked for.
        label: String,
        /// The header's columns.
        columns: String,
    },
    /// The header's input columns do not match the model's inputs.
    #[error(
        "{file}:1: {got} input columns ({columns}) but the model takes {want}, in its order{hint}"
    )]
    Columns {
        /// The CSV.
        file: String,
        /// Input columns found.
        got: usize,
        /// The model's input count.
        want: usize,
        /// The input columns found.
        columns: String,
        /// A hint (a likely label column).
        hint: String,
    },
    /// The header's input columns do not match the feature names the model
    /// stores (both lists shown).
    #[error("{mismatch}{hint}")]
    Names {
        /// The two lists and what differs.
        mismatch: Box<crate::data::ColumnMismatch>,
        /// A hint (a likely label column).
        hint: String,
    },
    /// A row with the wrong number of fields.
    #[error("{file}:{line}: row {row} has {got} fields, the header {want}")]
    Fields {
        /// The CSV.
        file: String,
        /// 1-based line.
        line: usize,
        /// 0-based data row.
        row: usize,
        /// Fields found.
        got: usize,
        /// Header fields.
        want: usize,
    },
    /// A value the chain's decimal parser refuses.
    #[error(
        "{file}:{line}: row {row}, column `{column}`: {value:?} is not a decimal number ({reason})"
    )]
    Value {
        /// The CSV.
        file: String,
        /// 1-based line.
        line: usize,
        /// 0-based data row.
        row: usize,
        /// Column name.
        column: String,
        /// The value as written.
        value: String,
        /// The parser's reason.
        reason: String,
    },
    /// A label that is not 0/1.
    #[error(
        "{file}:{line}: row {row}, label column `{column}`: {value:?} is not 0/1 (or true/false)"
    )]
    Label {
        /// The CSV.
        file: String,
        /// 1-based line.
        line: usize,
        /// 0-based data row.
        row: usize,
        /// Label column name.
        column: String,
        /// The value as written.
        value: String,
    },
    /// Header only.
    #[error("{file}: no data rows")]
    NoRows {
        /// The CSV.
        file: String,
    },
}

/// One scored row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoredRow {
    /// `U1F31` bits of the score.
    pub score_bits: u32,
    /// `score >= threshold`.
    pub label: bool,
    /// The row's label, with `--label`.
    pub truth: Option<bool>,
}

impl ScoredRow {
    /// The score as a number (exact: `bits / 2^31`).
    pub fn score(&self) -> f64 {
        f64::from(self.score_bits) / 2f64.powi(31)
    }
}

/// Everything `vigil score` computed.
#[derive(Clone, Debug)]
pub struct Scores {
    /// Per data row, in file order.
    pub rows: Vec<ScoredRow>,
    /// The input column names, in the model's order.
    pub columns: Vec<String>,
    /// The input column names in the file's order, when they differ (the
    /// model's names put them in its order).
    pub reordered_from: Option<Vec<String>>,
}

impl Scores {
    /// Fraction of rows whose label equals the label column's (with
    /// `--label`).
    pub fn accuracy(&self) -> Option<f64> {
        let known: Vec<bool> = self
            .rows
            .iter()
            .filter_map(|r| r.truth.map(|t| t == r.label))
            .collect();
        if known.is_empty() {
            return None;
        }
        Some(known.iter().filter(|&&ok| ok).count() as f64 / known.len() as f64)
    }

    /// Write the CSV (`row,score,score_bits,label`).
    pub fn write_csv(&self, out: &mut impl Write) -> std::io::Result<()> {
        writeln!(out, "row,score,score_bits,label")?;
        for (i, r) in self.rows.iter().enumerate() {
            writeln!(
                out,
                "{i},{},{},{}",
                r.score(),
                r.score_bits,
                u8::from(r.label)
            )?;
        }
        Ok(())
    }
}

fn split(line: &str) -> Vec<&str> {
    line.split(',')
        .map(|f| f.trim().trim_matches('"').trim())
        .collect()
}

fn parse_label(s: &str) -> Option<bool> {
    match s {
        "1" | "1.0" | "true" | "True" | "TRUE" => Some(true),
        "0" | "0.0" | "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// Which CSV fields feed the model's inputs, in the model's order.
///
/// When the model stores feature names (its metadata section), the input
/// columns (the header's columns, the label column removed) are matched to
/// them by name: columns in another order are taken in the model's order,
/// and a missing, extra, misnamed or repeated column is refused with both
/// lists ([`ScoreError::Names`]), as `eval` and `msg` do. Models without
/// names take the columns by position, and their count must equal the
/// model's.
pub fn input_columns(
    model: &Model<'_>,
    n_inputs: usize,
    header: &[&str],
    label: Option<usize>,
    file: &str,
) -> Result<Vec<usize>, ScoreError> {
    let cols: Vec<usize> = (0..header.len()).filter(|&j| Some(j) != label).collect();
    let label_hint = |sep: &str| match header.iter().position(|h| h.eq_ignore_ascii_case("label")) {
        Some(j) if label.is_none() => format!(
            "{sep}if `{}` is the label column, pass --label {}",
            header[j], header[j]
        ),
        _ => String::new(),
    };
    if let Some(names) = model.feature_names() {
        let names: Vec<&str> = names.collect();
        let columns: Vec<&str> = cols.iter().map(|&j| header[j]).collect();
        if columns == names {
            return Ok(cols);
        }
        let missing: Vec<String> = names
            .iter()
            .filter(|n| !columns.contains(n))
            .map(|n| n.to_string())
            .collect();
        let extra: Vec<String> = columns
            .iter()
            .filter(|c| !names.contains(c))
            .map(|c| c.to_string())
            .collect();
        let repeated = columns
            .iter()
            .enumerate()
            .any(|(i, c)| columns[..i].contains(c));
        if !missing.is_empty() || !extra.is_empty() || repeated || columns.len() != names.len() {
            return Err(ScoreError::Names {
                mismatch: Box::new(crate::data::ColumnMismatch {
                    path: file.into(),
                    model: names.iter().map(|n| n.to_string()).collect(),
                    table: columns.iter().map(|c| c.to_string()).collect(),
                    missing,
                    extra,
                }),
                hint: label_hint("\n  "),
            });
        }
        return Ok(names
            .iter()
            .map(|n| cols[columns.iter().position(|c| c == n).unwrap_or(0)])
            .collect());
    }
    if cols.len() != n_inputs {
        let hint = label_hint("; ");
        return Err(ScoreError::Columns {
            file: file.into(),
            got: cols.len(),
            want: n_inputs,
            columns: cols
                .iter()
                .map(|&j| header[j])
                .collect::<Vec<_>>()
                .join(", "),
            hint,
        });
    }
    Ok(cols)
}

/// Score every row of the CSV at `path` with the model `blob`. `label`
/// names a column to leave out of the inputs (and to compare labels with).
/// `progress`: show a progress bar on stderr for large files.
pub fn score_file(blob: &[u8], path: &Path, label: Option<&str>, progress: bool) -> Result<Scores> {
    let model = Model::parse(blob).context("the model blob does not validate")?;
    let file = path.display().to_string();
    let f = std::fs::File::open(path).with_context(|| format!("cannot read {file}"))?;
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    let reader = std::io::BufReader::new(f);
    let mut lines = reader.lines();
    let header_line = loop {
        match lines.next() {
            None => return Err(ScoreError::Empty { file }.into()),
            Some(l) => {
                let l = l.with_context(|| format!("cannot read {file}"))?;
                if !l.trim().is_empty() {
                    break l;
                }
            }
        }
    };
    let header: Vec<String> = split(header_line.trim_start_matches('\u{feff}'))
        .into_iter()
        .map(String::from)
        .collect();
    let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
    let label_at =
        match label {
            None => None,
            Some(l) => Some(header.iter().position(|h| h == l).ok_or_else(|| {
                ScoreError::NoLabelColumn {
                    file: file.clone(),
                    label: l.into(),
                    columns: header.join(", "),
                }
            })?),
        };
    let n = model.n_features();
    let cols = input_columns(&model, n, &header_refs, label_at, &file)?;
    let bar = if progress && size > 0 {
        let b = ProgressBar::new(size);
        b.set_style(
            ProgressStyle::with_template("scoring {bar:30} {percent}% {pos}/{len} bytes, {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Some(b)
    } else {
        None
    };
    let mut scratch = vec![Act::ZERO; model.scratch_len()];
    let mut inputs: Vec<Wide> = vec![Wide::ZERO; n];
    let mut out = Vec::new();
    let mut read = header_line.len() as u64 + 1;
    for (k, l) in lines.enumerate() {
        let line_no = k + 2;
        let l = l.with_context(|| format!("cannot read {file}"))?;
        read += l.len() as u64 + 1;
        if l.trim().is_empty() {
            continue;
        }
        let row = out.len();
        let fields = split(&l);
        if fields.len() != header.len() {
            return Err(ScoreError::Fields {
                file,
                line: line_no,
                row,
                got: fields.len(),
                want: header.len(),
            }
            .into());
        }
        for (k, &j) in cols.iter().enumerate() {
            inputs[k] = decimal::parse(fields[j]).map_err(|e| ScoreError::Value {
                file: file.clone(),
                line: line_no,
                row,
                column: header[j].clone(),
                value: fields[j].into(),
                reason: e.to_string(),
            })?;
        }
        let truth = match label_at {
            None => None,
            Some(j) => Some(parse_label(fields[j]).ok_or_else(|| ScoreError::Label {
                file: file.clone(),
                line: line_no,
                row,
                column: header[j].clone(),
                value: fields[j].into(),
            })?),
        };
        let o = model
            .infer(&inputs, &mut scratch)
            .with_context(|| format!("{file}:{line_no}: row {row}"))?;
        out.push(ScoredRow {
            score_bits: o.score.to_bits(),
            label: o.label,
            truth,
        });
        if let Some(b) = &bar {
            if out.len() % 4096 == 0 {
                b.set_position(read);
                b.set_message(format!("{} rows", out.len()));
            }
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if out.is_empty() {
        return Err(ScoreError::NoRows { file }.into());
    }
    let columns: Vec<String> = cols.iter().map(|&j| header[j].clone()).collect();
    let in_file: Vec<String> = (0..header.len())
        .filter(|&j| Some(j) != label_at)
        .map(|j| header[j].clone())
        .collect();
    Ok(Scores {
        reordered_from: (in_file != columns).then_some(in_file),
        rows: out,
        columns,
    })
}
