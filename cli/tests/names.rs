//! Feature names in the model (issue 13): `train` stores the CSV header,
//! `--feature-names` overrides it, `eval` and `msg` match columns by name
//! (reordered when swapped, refused when missing or extra), `inspect`
//! prints them.
mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;

use common::*;

/// `src` with its columns rewritten: `f` maps the header's fields to the
/// new order (by index) and names.
fn rewrite(src: &Path, dst: &Path, order: &[usize], rename: &[(&str, &str)]) {
    let text = std::fs::read_to_string(src).unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split(',').collect();
        let mut row: Vec<String> = order.iter().map(|&j| fields[j].to_string()).collect();
        if i == 0 {
            for f in &mut row {
                if let Some((_, to)) = rename.iter().find(|(from, _)| f == from) {
                    *f = to.to_string();
                }
            }
        }
        out.push_str(&row.join(","));
        out.push('\n');
    }
    std::fs::write(dst, out).unwrap();
}

fn train(dir: &Path, extra: &[&str]) -> PathBuf {
    let out = dir.join("model.vgm");
    let mut args = vec![
        "train",
        "--data",
        p(&data("tiny_train.csv")).to_string().leak(),
        "--family",
        "logreg",
        "--out",
        p(&out).to_string().leak(),
        "--json",
    ];
    args.extend_from_slice(extra);
    ok(&args);
    out
}

fn eval_json(model: &Path, csv: &Path) -> Value {
    serde_json::from_str(&ok(&[
        "eval",
        "--model",
        p(model),
        "--data",
        p(csv),
        "--no-roc",
        "--json",
    ]))
    .unwrap()
}

#[test]
fn train_stores_the_header_and_inspect_prints_it() {
    let dir = scratch("inspect");
    let model = train(&dir, &[]);
    let json: Value = serde_json::from_str(&ok(&["inspect", p(&model), "--json"])).unwrap();
    assert_eq!(
        json["feature_names"],
        serde_json::json!(["amount", "count", "ratio", "balance", "noise"])
    );
    let text = ok(&["inspect", p(&model)]);
    assert!(
        text.contains("names       amount, count, ratio, balance, noise"),
        "{text}"
    );
    // --feature-names overrides the header.
    let renamed = train(&dir, &["--feature-names", "a,b,c,d,e"]);
    let json: Value = serde_json::from_str(&ok(&["inspect", p(&renamed), "--json"])).unwrap();
    assert_eq!(
        json["feature_names"],
        serde_json::json!(["a", "b", "c", "d", "e"])
    );
    // Wrong count: refused before training.
    let err = fails(&[
        "train",
        "--data",
        p(&data("tiny_train.csv")),
        "--family",
        "logreg",
        "--out",
        p(&dir.join("x.vgm")),
        "--feature-names",
        "a,b",
    ]);
    assert!(err.contains("--feature-names gives 2 names"), "{err}");
    assert!(!dir.join("x.vgm").exists());
}

#[test]
fn eval_reorders_swapped_columns_and_gives_the_same_metrics() {
    let dir = scratch("swap");
    let model = train(&dir, &[]);
    let test = data("tiny_test.csv");
    let swapped = dir.join("swapped.csv");
    // amount and balance swapped (columns 0 and 3).
    rewrite(&test, &swapped, &[3, 1, 2, 0, 4, 5], &[]);
    let a = eval_json(&model, &test);
    let b = eval_json(&model, &swapped);
    for k in ["accuracy", "f1", "auc", "agreement", "max_score_diff"] {
        assert_eq!(a[k], b[k], "{k}");
    }
    let out = vigil(&[
        "eval",
        "--model",
        p(&model),
        "--data",
        p(&swapped),
        "--no-roc",
    ]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("columns reordered by name"), "{err}");
}

#[test]
fn eval_refuses_a_missing_or_misnamed_column_naming_both_lists() {
    let dir = scratch("missing");
    let model = train(&dir, &[]);
    let test = data("tiny_test.csv");
    let missing = dir.join("missing.csv");
    rewrite(&test, &missing, &[0, 1, 2, 4, 5], &[]);
    let err = fails(&[
        "eval",
        "--model",
        p(&model),
        "--data",
        p(&missing),
        "--no-roc",
    ]);
    assert!(err.contains("missing: balance"), "{err}");
    assert!(
        err.contains("model features: amount, count, ratio, balance, noise"),
        "{err}"
    );
    assert!(
        err.contains("file columns:   amount, count, ratio, noise"),
        "{err}"
    );
    let misnamed = dir.join("misnamed.csv");
    rewrite(&test, &misnamed, &[0, 1, 2, 3, 4, 5], &[("noise", "noize")]);
    let err = fails(&[
        "eval",
        "--model",
        p(&model),
        "--data",
        p(&misnamed),
        "--no-roc",
    ]);
    assert!(err.contains("missing: noise"), "{err}");
    assert!(err.contains("not in the model: noize"), "{err}");
}

#[test]
fn msg_matches_columns_by_the_model_names() {
    let dir = scratch("msg");
    let model = train(&dir, &[]);
    let test = data("tiny_test.csv");
    let swapped = dir.join("swapped.csv");
    rewrite(&test, &swapped, &[3, 1, 2, 0, 4, 5], &[]);
    let args = |csv: &Path| -> Vec<String> {
        ["msg", "add-samples", "--data", p(csv), "--model", p(&model)]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    let run = |csv: &Path| {
        let a = args(csv);
        ok(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    assert_eq!(run(&test), run(&swapped));
    let missing = dir.join("missing.csv");
    rewrite(&test, &missing, &[0, 1, 2, 4, 5], &[]);
    let a = args(&missing);
    let err = fails(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(err.contains("missing: balance"), "{err}");
    // Without --model, columns are taken by position as before.
    ok(&["msg", "add-samples", "--data", p(&swapped)]);
}

#[test]
fn a_model_without_names_matches_by_position() {
    let dir = scratch("old");
    let model = train(&dir, &[]);
    // Strip the section: the old format, as every pre-names model.
    let blob = std::fs::read(&model).unwrap();
    let m = vigil_inference_core::Model::parse(&blob).unwrap();
    let old = m.to_spec().to_bytes().unwrap();
    let old_path = dir.join("old.vgm");
    std::fs::write(&old_path, &old).unwrap();
    let text = ok(&["inspect", p(&old_path)]);
    assert!(text.contains("none stored"), "{text}");
    let a = eval_json(&model, &data("tiny_test.csv"));
    let b = eval_json(&old_path, &data("tiny_test.csv"));
    assert_eq!(a["f1"], b["f1"]);
}

fn names_of(model: &Path) -> Value {
    let json: Value = serde_json::from_str(&ok(&["inspect", p(model), "--json"])).unwrap();
    json["feature_names"].clone()
}

#[test]
fn import_stores_names_from_the_flag_or_the_data_header() {
    let dir = scratch("import");
    let header: Vec<String> = std::fs::read_to_string(fixture("test.csv"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .split(',')
        .filter(|c| *c != "label")
        .map(str::to_string)
        .collect();
    let n = header.len();
    // No --data, no flag: no names (the graph's one input tensor is not
    // per feature).
    let plain = dir.join("plain.vgm");
    ok(&["import", p(&fixture("sk_gbdt.onnx")), "--out", p(&plain)]);
    assert_eq!(names_of(&plain), Value::Null);
    // --feature-names.
    let flagged = dir.join("flagged.vgm");
    let list: Vec<String> = (0..n).map(|i| format!("f{i}")).collect();
    ok(&[
        "import",
        p(&fixture("sk_gbdt.onnx")),
        "--out",
        p(&flagged),
        "--feature-names",
        &list.join(","),
    ]);
    assert_eq!(names_of(&flagged), serde_json::json!(list));
    // Wrong count: refused, nothing written.
    let err = fails(&[
        "import",
        p(&fixture("sk_gbdt.onnx")),
        "--out",
        p(&dir.join("bad.vgm")),
        "--feature-names",
        "a,b",
    ]);
    assert!(err.contains("--feature-names gives 2 names"), "{err}");
    assert!(!dir.join("bad.vgm").exists());
    // --data: its header.
    let from_data = dir.join("data.vgm");
    ok(&[
        "import",
        p(&fixture("sk_gbdt.onnx")),
        "--out",
        p(&from_data),
        "--data",
        p(&fixture("test.csv")),
    ]);
    assert_eq!(names_of(&from_data), serde_json::json!(header));
}

/// `vigil score` matches columns by name too: swapped columns give the
/// same scores (with a note), a renamed column is refused with both lists
/// and nothing is printed; a model without names takes columns by
/// position.
#[test]
fn score_matches_columns_by_name() {
    let dir = scratch("score-names");
    let model = train(&dir, &[]);
    let test = data("tiny_test.csv");
    let score = |csv: &Path| {
        vigil(&[
            "score",
            "--model",
            p(&model),
            "--data",
            p(csv),
            "--label",
            "label",
        ])
    };
    let plain = score(&test);
    assert!(plain.status.success());
    let swapped = dir.join("swapped.csv");
    rewrite(&test, &swapped, &[3, 1, 2, 0, 5, 4], &[]);
    let o = score(&swapped);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        o.stdout, plain.stdout,
        "same scores whatever the column order"
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("columns reordered by name"), "{err}");
    assert!(
        err.contains(
            "balance, count, ratio, amount, noise -> amount, count, ratio, balance, noise"
        ),
        "{err}"
    );
    // A renamed column: refused, both lists shown, nothing on stdout.
    let renamed = dir.join("renamed.csv");
    rewrite(
        &test,
        &renamed,
        &[0, 1, 2, 3, 4, 5],
        &[("balance", "balance_usd")],
    );
    let o = score(&renamed);
    assert!(!o.status.success());
    assert!(o.stdout.is_empty());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("missing: balance"), "{err}");
    assert!(err.contains("not in the model: balance_usd"), "{err}");
    assert!(
        err.contains("model features: amount, count, ratio, balance, noise"),
        "{err}"
    );
    assert!(
        err.contains("file columns:   amount, count, ratio, balance_usd, noise"),
        "{err}"
    );
    // A repeated column is refused too.
    let repeated = dir.join("repeated.csv");
    rewrite(&test, &repeated, &[0, 1, 2, 0, 4, 5], &[]);
    let o = score(&repeated);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("missing: balance"), "{err}");
    // Without names: by position, so the swapped file scores differently.
    let unnamed = dir.join("unnamed.vgm");
    let blob = std::fs::read(&model).unwrap();
    let spec = vigil_inference_core::Model::parse(&blob).unwrap().to_spec();
    std::fs::write(&unnamed, spec.to_bytes().unwrap()).unwrap();
    let o = vigil(&[
        "score",
        "--model",
        p(&unnamed),
        "--data",
        p(&swapped),
        "--label",
        "label",
    ]);
    assert!(o.status.success());
    assert_ne!(o.stdout, plain.stdout);
}
