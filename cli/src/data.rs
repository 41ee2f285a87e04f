//! CSV tables: a header row, numeric feature columns and an optional 0/1
//! label column.
//!
//! Every feature value is kept three ways: the decimal string exactly as
//! written (what test-sample messages carry), the `Wide` that
//! [`vigil_inference_core::decimal::parse`] makes of it (what the chain's
//! model sees), and an `f64` (float training and the float reference only).
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use vigil_inference_core::{decimal, Wide};

/// Whether a table must, may or must not have a label column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelMode {
    /// The label column must be present.
    Required,
    /// Read it when present.
    Optional,
}

/// One data row.
#[derive(Clone, Debug)]
pub struct Row {
    /// 1-based line number in the file.
    pub line: usize,
    /// The feature values as written.
    pub raw: Vec<String>,
    /// `decimal::parse` of each value.
    pub wide: Vec<Wide>,
    /// `f64` of each value.
    pub x: Vec<f64>,
    /// The label, if the table has a label column.
    pub label: Option<bool>,
}

/// A loaded CSV table.
#[derive(Clone, Debug)]
pub struct Table {
    /// Where it was read from.
    pub path: PathBuf,
    /// Feature column names, in order (the label column removed).
    pub columns: Vec<String>,
    /// Name of the label column, if present.
    pub label_column: Option<String>,
    /// Rows.
    pub rows: Vec<Row>,
}

fn parse_label(s: &str) -> Option<bool> {
    match s {
        "1" | "1.0" | "true" | "True" | "TRUE" => Some(true),
        "0" | "0.0" | "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn split_line(line: &str) -> Vec<&str> {
    line.split(',')
        .map(|f| f.trim().trim_matches('"').trim())
        .collect()
}

impl Table {
    /// Read a CSV file. `label` names the label column.
    pub fn load(path: &Path, label: &str, mode: LabelMode) -> Result<Table> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Table::parse(&text, path, label, mode)
    }

    /// Read only the data rows `offset..offset + limit` of a CSV file (the
    /// others are not parsed, so their errors do not count); also returns
    /// how many data rows the file has. The table may have no rows.
    pub fn load_window(
        path: &Path,
        label: &str,
        mode: LabelMode,
        offset: usize,
        limit: Option<usize>,
    ) -> Result<(Table, usize)> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Table::parse_window(&text, path, label, mode, Some((offset, limit)))
    }

    /// Parse CSV text; `path` is used in error messages only.
    pub fn parse(text: &str, path: &Path, label: &str, mode: LabelMode) -> Result<Table> {
        Ok(Table::parse_window(text, path, label, mode, None)?.0)
    }

    /// Parse CSV text, only the data rows of `window` (`(offset, limit)`)
    /// when given; returns the table and the number of data rows.
    fn parse_window(
        text: &str,
        path: &Path,
        label: &str,
        mode: LabelMode,
        window: Option<(usize, Option<usize>)>,
    ) -> Result<(Table, usize)> {
        let where_ = path.display();
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((_, header)) = lines.next() else {
            bail!("{where_}: empty file (a header row is required)");
        };
        let names: Vec<String> = split_line(header).into_iter().map(String::from).collect();
        let label_at = names.iter().position(|n| n == label);
        if label_at.is_none() && mode == LabelMode::Required {
            bail!(
                "{where_}:1: no label column `{label}` in the header (columns: {}); name it with --label",
                names.join(", ")
            );
        }
        for (i, n) in names.iter().enumerate() {
            if n.is_empty() {
                bail!("{where_}:1: column {} has an empty name", i + 1);
            }
            if names[..i].contains(n) {
                bail!("{where_}:1: column name `{n}` appears twice");
            }
        }
        let columns: Vec<String> = names
            .iter()
            .enumerate()
            .filter(|&(i, _)| Some(i) != label_at)
            .map(|(_, n)| n.clone())
            .collect();
        if columns.is_empty() {
            bail!("{where_}:1: no feature columns");
        }
        let mut rows = Vec::new();
        let mut total = 0usize;
        for (line, text) in lines {
            let index = total;
            total += 1;
            if let Some((offset, limit)) = window {
                if index < offset || limit.is_some_and(|l| index - offset >= l) {
                    continue;
                }
            }
            let fields = split_line(text);
            if fields.len() != names.len() {
                bail!(
                    "{where_}:{line}: {} fields, the header has {}",
                    fields.len(),
                    names.len()
                );
            }
            let mut raw = Vec::with_capacity(columns.len());
            let mut wide = Vec::with_capacity(columns.len());
            let mut x = Vec::with_capacity(columns.len());
            let mut row_label = None;
            for (col, field) in fields.iter().enumerate() {
                if Some(col) == label_at {
                    row_label = Some(parse_label(field).with_context(|| {
                        format!(
                            "{where_}:{line}: column {} (`{}`): label must be 0 or 1, got {field:?}",
                            col + 1,
                            names[col]
                        )
                    })?);
                    continue;
                }
                let w = decimal::parse(field).map_err(|e| {
                    anyhow::anyhow!(
                        "{where_}:{line}: column {} (`{}`): {e}: {field:?}",
                        col + 1,
                        names[col]
                    )
                })?;
                let f: f64 = field.parse().with_context(|| {
                    format!(
                        "{where_}:{line}: column {} (`{}`): not a number: {field:?}",
                        col + 1,
                        names[col]
                    )
                })?;
                raw.push((*field).to_string());
                wide.push(w);
                x.push(f);
            }
            rows.push(Row {
                line,
                raw,
                wide,
                x,
                label: row_label,
            });
        }
        if total == 0 || (rows.is_empty() && window.is_none()) {
            bail!("{where_}: no data rows");
        }
        let table = Table {
            path: path.to_path_buf(),
            columns,
            label_column: label_at.map(|i| names[i].clone()),
            rows,
        };
        Ok((table, total))
    }

    /// Number of feature columns.
    pub fn n_features(&self) -> usize {
        self.columns.len()
    }

    /// The labels, or an error naming the file when it has none.
    pub fn labels(&self) -> Result<Vec<bool>> {
        self.rows
            .iter()
            .map(|r| r.label)
            .collect::<Option<Vec<bool>>>()
            .with_context(|| format!("{}: the table has no label column", self.path.display()))
    }

    /// A table of some of the rows.
    pub fn subset(&self, idx: &[usize]) -> Table {
        Table {
            path: self.path.clone(),
            columns: self.columns.clone(),
            label_column: self.label_column.clone(),
            rows: idx.iter().map(|&i| self.rows[i].clone()).collect(),
        }
    }

    /// Fail unless the table has `n` feature columns (a model's inputs).
    pub fn check_features(&self, n: usize) -> Result<()> {
        if self.n_features() != n {
            bail!(
                "{}: {} feature columns ({}), the model takes {n} inputs",
                self.path.display(),
                self.n_features(),
                if let Some(l) = &self.label_column {
                    format!("label column `{l}` excluded")
                } else {
                    "no label column found".to_string()
                }
            );
        }
        Ok(())
    }

    /// [`Table::check_features`] for a table read with an optional label
    /// column named `label`: when that column is missing, the error names
    /// it and the header's columns, as a required label column's does.
    pub fn check_inputs(&self, n: usize, label: &str) -> Result<()> {
        if self.n_features() == n {
            return Ok(());
        }
        if self.label_column.is_none() && self.n_features() == n + 1 {
            // One column too many: most likely the label under another name.
            bail!(
                "{}:1: no label column `{label}` in the header (columns: {}); name it with --label \
                 ({} columns, the model takes {n} inputs)",
                self.path.display(),
                self.columns.join(", "),
                self.n_features()
            );
        }
        if self.label_column.is_none() {
            bail!(
                "{}: {} feature columns (no label column `{label}`), the model takes {n} inputs",
                self.path.display(),
                self.n_features()
            );
        }
        self.check_features(n)
    }
}

/// Write a labelled CSV: a header of `columns` and `label`, then one line
/// per row of values as written and a 0/1 label (what [`Table::load`]
/// reads back, value for value).
pub fn write_csv<'a>(
    path: &Path,
    columns: &[&str],
    label: &str,
    rows: impl IntoIterator<Item = (&'a [String], bool)>,
) -> Result<()> {
    let mut out = columns.join(",");
    out.push(',');
    out.push_str(label);
    out.push('\n');
    for (values, y) in rows {
        for v in values {
            out.push_str(v);
            out.push(',');
        }
        out.push_str(if y { "1\n" } else { "0\n" });
    }
    std::fs::write(path, out).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str, mode: LabelMode) -> Result<Table> {
        Table::parse(text, Path::new("t.csv"), "label", mode)
    }

    #[test]
    fn reads_values_three_ways() {
        let t = p("a,label,b\n1.5,1,-2e3\n0.000004,0,7\n", LabelMode::Required).unwrap();
        assert_eq!(t.columns, ["a", "b"]);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].raw, ["1.5", "-2e3"]);
        assert_eq!(t.rows[0].x, [1.5, -2000.0]);
        assert_eq!(t.rows[0].wide[1], Wide::from_num(-2000));
        assert_eq!(t.labels().unwrap(), [true, false]);
        assert_eq!(t.rows[1].line, 3);
    }

    #[test]
    fn write_then_load_round_trips() {
        let dir = std::env::temp_dir().join(format!("vigil-data-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.csv");
        let rows = [
            (vec!["1.50".to_string(), "0".into()], true),
            (vec!["-2".to_string(), "7e3".into()], false),
        ];
        write_csv(
            &path,
            &["a", "b"],
            "label",
            rows.iter().map(|(v, y)| (v.as_slice(), *y)),
        )
        .unwrap();
        let t = Table::load(&path, "label", LabelMode::Required).unwrap();
        assert_eq!(t.columns, ["a", "b"]);
        assert_eq!(t.rows[0].raw, rows[0].0);
        assert_eq!(t.labels().unwrap(), [true, false]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn window_parses_only_its_rows() {
        let text = "a,label\n1,1\nbad,0\n3,0\n4,1\n";
        let w = |o, l| {
            Table::parse_window(
                text,
                Path::new("t.csv"),
                "label",
                LabelMode::Required,
                Some((o, l)),
            )
        };
        let (t, total) = w(2, Some(5)).unwrap();
        assert_eq!(total, 4);
        assert_eq!(t.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [4, 5]);
        let (t, _) = w(0, Some(1)).unwrap();
        assert_eq!(t.rows.len(), 1);
        assert!(w(1, Some(1)).unwrap_err().to_string().contains("t.csv:3"));
        let (t, total) = w(9, None).unwrap();
        assert!(t.rows.is_empty() && total == 4);
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let e = p("a,label\n1,1\n12a,0\n", LabelMode::Required).unwrap_err();
        let s = e.to_string();
        assert!(s.contains("t.csv:3: column 1 (`a`)"), "{s}");
        let e = p("a,label\n1,2\n", LabelMode::Required).unwrap_err();
        assert!(e.to_string().contains("t.csv:2: column 2 (`label`)"), "{e}");
        let e = p("a,b\n1,2\n", LabelMode::Required).unwrap_err();
        assert!(e.to_string().contains("no label column `label`"), "{e}");
        let e = p("a,label\n1\n", LabelMode::Required).unwrap_err();
        assert!(e.to_string().contains("t.csv:2: 1 fields"), "{e}");
        let e = p("a,label\nnan,1\n", LabelMode::Required).unwrap_err();
        assert!(e.to_string().contains("not a finite number"), "{e}");
        assert!(p("a,b\n1,2\n", LabelMode::Optional)
            .unwrap()
            .labels()
            .is_err());
    }
}

/// The columns of a table do not match the names a model stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMismatch {
    /// The file.
    pub path: PathBuf,
    /// The model's feature names, in input order.
    pub model: Vec<String>,
    /// The table's feature columns, in file order.
    pub table: Vec<String>,
    /// Model features with no column.
    pub missing: Vec<String>,
    /// Columns the model does not name.
    pub extra: Vec<String>,
}

impl std::fmt::Display for ColumnMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: the columns do not match the model's feature names",
            self.path.display()
        )?;
        if !self.missing.is_empty() {
            write!(f, "; missing: {}", self.missing.join(", "))?;
        }
        if !self.extra.is_empty() {
            write!(f, "; not in the model: {}", self.extra.join(", "))?;
        }
        write!(
            f,
            "\n  model features: {}\n  file columns:   {}",
            self.model.join(", "),
            self.table.join(", ")
        )
    }
}

impl std::error::Error for ColumnMismatch {}

impl Table {
    /// Put the feature columns in the order of a model's feature `names`:
    /// columns in another order are reordered (every row with them); a
    /// missing, extra or misnamed column is a [`ColumnMismatch`] listing
    /// both. Returns whether the columns were reordered.
    pub fn match_names(&mut self, names: &[String]) -> std::result::Result<bool, ColumnMismatch> {
        if self.columns == names {
            return Ok(false);
        }
        let missing: Vec<String> = names
            .iter()
            .filter(|n| !self.columns.contains(n))
            .cloned()
            .collect();
        let extra: Vec<String> = self
            .columns
            .iter()
            .filter(|c| !names.contains(c))
            .cloned()
            .collect();
        let dup = self.columns.len() != names.len();
        if !missing.is_empty() || !extra.is_empty() || dup {
            return Err(ColumnMismatch {
                path: self.path.clone(),
                model: names.to_vec(),
                table: self.columns.clone(),
                missing,
                extra,
            });
        }
        let order: Vec<usize> = names
            .iter()
            .map(|n| self.columns.iter().position(|c| c == n).unwrap_or(0))
            .collect();
        for row in &mut self.rows {
            row.raw = order.iter().map(|&i| row.raw[i].clone()).collect();
            row.wide = order.iter().map(|&i| row.wide[i]).collect();
            row.x = order.iter().map(|&i| row.x[i]).collect();
        }
        self.columns = names.to_vec();
        Ok(true)
    }
}
