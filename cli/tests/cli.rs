//! The `vigil` binary end to end on small committed data
//! (`tests/data/tiny_*.csv`: 5 features spanning 1e-3..1e9, some negative)
//! and the committed ONNX fixtures.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cosmwasm_std::Binary;
use prost::Message;
use serde_json::Value;
use vigil_cli::onnx::proto::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    ValueInfoProto,
};
use vigil_guard::msg::TestSample;
use vigil_inference_core::Model;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// A fresh scratch directory per test.
fn scratch(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vigil-cli-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn vigil(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .output()
        .expect("run vigil")
}

fn ok(args: &[&str]) -> String {
    let out = vigil(args);
    assert!(
        out.status.success(),
        "vigil {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fails(args: &[&str]) -> String {
    let out = vigil(args);
    assert!(!out.status.success(), "vigil {args:?} should fail");
    String::from_utf8(out.stderr).unwrap()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn train(dir: &Path, family: &str, extra: &[&str]) -> (PathBuf, Value) {
    let out = dir.join(format!("{family}.vgm"));
    let train = data("tiny_train.csv");
    let test = data("tiny_test.csv");
    let mut args = vec![
        "train",
        "--data",
        p(&train),
        "--family",
        family,
        "--test",
        p(&test),
        "--out",
        p(&out),
        "--json",
    ];
    args.extend_from_slice(extra);
    let json: Value = serde_json::from_str(&ok(&args)).unwrap();
    (out, json)
}

fn test_set<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["sets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no set {name} in {report}"))
}

#[test]
fn train_every_family_and_evaluate() {
    let dir = scratch("families");
    for (family, extra, min_auc) in [
        ("logreg", &[][..], 0.8),
        (
            "mlp",
            &[
                "--hidden", "8,4", "--epochs", "100", "--batch", "32", "--cv", "3",
            ][..],
            0.8,
        ),
        ("gbdt", &["--trees", "30"][..], 0.8),
        ("rf", &["--trees", "20", "--depth", "5"][..], 0.8),
        ("iforest", &["--trees", "20", "--psi", "64"][..], 0.0),
    ] {
        let (model, report) = train(&dir, family, extra);
        let blob = std::fs::read(&model).unwrap();
        let m = Model::parse(&blob).unwrap();
        assert_eq!(m.n_features(), 5);
        let test = test_set(&report, "test");
        let fixed_auc = test["fixed"]["auc"].as_f64().unwrap();
        assert!(fixed_auc >= min_auc, "{family}: test AUC {fixed_auc}");
        assert!(
            test["agreement"]["agreement"].as_f64().unwrap() >= 0.98,
            "{family}: {test}"
        );
        assert_eq!(
            report["cost"]["model_bytes"].as_u64().unwrap(),
            blob.len() as u64
        );

        // eval --json on the same rows gives the same fixed metrics.
        let roc = dir.join(format!("{family}.svg"));
        let e: Value = serde_json::from_str(&ok(&[
            "eval",
            "--model",
            p(&model),
            "--data",
            p(&data("tiny_test.csv")),
            "--roc",
            p(&roc),
            "--json",
        ]))
        .unwrap();
        for key in ["accuracy", "f1", "precision", "recall", "auc", "agreement"] {
            assert!(e[key].is_number(), "{family}: eval --json lacks {key}: {e}");
        }
        for key in ["accuracy", "f1", "precision", "recall", "auc"] {
            assert_eq!(e[key], test["fixed"][key], "{family} {key}");
        }
        let c = &e["confusion"];
        assert_eq!(
            c["tp"].as_u64().unwrap()
                + c["fp"].as_u64().unwrap()
                + c["tn"].as_u64().unwrap()
                + c["fn"].as_u64().unwrap(),
            150
        );
        let svg = std::fs::read_to_string(&roc).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("AUC"),
            "{family}: ROC chart"
        );
    }
}

#[test]
fn train_prints_float_and_fixed_side_by_side() {
    let dir = scratch("text");
    let out = dir.join("m.vgm");
    let text = ok(&[
        "train",
        "--data",
        p(&data("tiny_train.csv")),
        "--family",
        "logreg",
        "--out",
        p(&out),
    ]);
    for needle in [
        "float",
        "fixed",
        "threshold",
        "quantisation chosen",
        "cost bound",
        "SDK gas",
        "out-of-fold",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    // Text eval and its default ROC path next to the model.
    let text = ok(&[
        "eval",
        "--model",
        p(&out),
        "--data",
        p(&data("tiny_test.csv")),
    ]);
    assert!(text.contains("confusion"), "{text}");
    assert!(dir.join("m.roc.svg").exists());
}

#[test]
fn inspect_shows_header_hash_and_cost() {
    let dir = scratch("inspect");
    let (model, report) = train(&dir, "gbdt", &["--trees", "10"]);
    let text = ok(&["inspect", p(&model)]);
    let hash = report["hash"].as_str().unwrap();
    for needle in ["gbdt", "sha256", hash, "cost bound", "SDK gas", "10 trees"] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    let j: Value = serde_json::from_str(&ok(&["inspect", p(&model), "--json"])).unwrap();
    assert_eq!(j["hash"], hash);
    assert_eq!(j["trees"], 10);
    assert_eq!(j["cost"], report["cost"]);
    let bytes = j["bytes"].as_u64().unwrap();
    assert_eq!(
        bytes,
        j["header_bytes"].as_u64().unwrap()
            + j["features_bytes"].as_u64().unwrap()
            + j["body_bytes"].as_u64().unwrap()
    );
    // Not a model.
    let junk = dir.join("junk.vgm");
    std::fs::write(&junk, b"VGLMnope").unwrap();
    let err = fails(&["inspect", p(&junk)]);
    assert!(
        err.contains("junk.vgm") && err.contains("not a valid Vigil model"),
        "{err}"
    );
}

#[test]
fn messages_parse_as_the_contract_types() {
    let dir = scratch("msg");
    let (model, _) = train(&dir, "logreg", &[]);
    let blob = std::fs::read(&model).unwrap();

    // (The contract parses its entry-point messages with its own reader;
    // the nested types, Binary and TestSample, keep serde's Deserialize.)
    let out = ok(&["msg", "propose", "--model", p(&model)]);
    let m: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(m.as_object().unwrap().len(), 1);
    let b: Binary = serde_json::from_value(m["propose_model"]["model"].clone()).unwrap();
    assert_eq!(b.as_slice(), &blob[..]);
    assert!(out.starts_with(r#"{"propose_model":{"model":""#));

    // Samples in chunks, ordered for the class-balance rule.
    let out = ok(&[
        "msg",
        "add-samples",
        "--data",
        p(&data("tiny_test.csv")),
        "--chunk",
        "40",
        "--max-class-ratio",
        "1.5",
    ]);
    let mut all: Vec<TestSample> = Vec::new();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4);
    for l in lines {
        let m: Value = serde_json::from_str(l).unwrap();
        assert_eq!(m.as_object().unwrap().len(), 1);
        let samples: Vec<TestSample> =
            serde_json::from_value(m["add_test_samples"]["samples"].clone()).unwrap();
        all.extend(samples);
    }
    assert_eq!(all.len(), 150);
    let (mut pos, mut neg) = (0u32, 0u32);
    for s in &all {
        assert_eq!(s.features.len(), 5);
        let (major, minor) = if s.label { (pos, neg) } else { (neg, pos) };
        assert!(
            f64::from(major) <= 1.5 * f64::from(minor.max(1)),
            "balance rule broken"
        );
        if s.label {
            pos += 1;
        } else {
            neg += 1;
        }
    }
    // The strings are the CSV's, untouched.
    let csv = std::fs::read_to_string(data("tiny_test.csv")).unwrap();
    assert!(csv.contains(&all[0].features.join(",")));

    let out = ok(&[
        "msg",
        "instantiate",
        "--model",
        p(&model),
        "--bond-denom",
        "ustake",
        "--reward",
        "share:0.1",
        "--samples",
        p(&data("tiny_test.csv")),
        "--limit",
        "20",
        "--pretty",
    ]);
    let m: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(m["n_features"], 5);
    assert_eq!(m["bond_denom"], "ustake");
    assert_eq!(m["reward"]["bond_share"]["share"], "0.1");
    let b: Binary = serde_json::from_value(m["initial_model"].clone()).unwrap();
    assert_eq!(b.as_slice(), &blob[..]);
    let set: Vec<TestSample> = serde_json::from_value(m["initial_test_set"].clone()).unwrap();
    assert_eq!(set.len(), 20);
    assert!(m["max_inference_ops"].as_u64().unwrap() >= Model::parse(&blob).unwrap().cost().ops);
    for key in [
        "admin",
        "min_bond",
        "margins",
        "deny_threshold",
        "paused_check",
        "max_class_ratio",
        "eval_batch",
    ] {
        assert!(m.get(key).is_some(), "instantiate lacks {key}: {m}");
    }

    // A ratio the samples cannot meet.
    let err = fails(&[
        "msg",
        "add-samples",
        "--data",
        p(&data("tiny_test.csv")),
        "--max-class-ratio",
        "1",
        "--positives",
        "0",
        "--negatives",
        "60",
    ]);
    assert!(
        err.contains("cannot be added under max_class_ratio"),
        "{err}"
    );
}

#[test]
fn csv_errors_name_file_line_and_column() {
    let dir = scratch("errors");
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "a,b,label\n1,2,0\n3,4x,1\n").unwrap();
    let out = dir.join("m.vgm");
    let err = fails(&[
        "train",
        "--data",
        p(&bad),
        "--family",
        "logreg",
        "--out",
        p(&out),
    ]);
    assert!(err.contains("bad.csv:3: column 2 (`b`)"), "{err}");
    let err = fails(&[
        "train",
        "--data",
        p(&data("tiny_train.csv")),
        "--label",
        "fraud",
        "--family",
        "logreg",
        "--out",
        p(&out),
    ]);
    assert!(err.contains("no label column `fraud`"), "{err}");
    // Eval on a CSV with the wrong number of columns.
    let (model, _) = train(&dir, "logreg", &[]);
    std::fs::write(&bad, "a,b,label\n1,2,0\n").unwrap();
    let err = fails(&["eval", "--model", p(&model), "--data", p(&bad)]);
    assert!(
        err.contains("2 feature columns") && err.contains("5 inputs"),
        "{err}"
    );
}

#[test]
fn import_cli_with_calibration() {
    let dir = scratch("import");
    let out = dir.join("mlp.vgm");
    let j: Value = serde_json::from_str(&ok(&[
        "import",
        p(&fixture("sk_mlp.onnx")),
        "--out",
        p(&out),
        "--data",
        p(&fixture("test.csv")),
        "--weights",
        "auto",
        "--json",
    ]))
    .unwrap();
    assert_eq!(j["family"], "mlp");
    assert!(j["calibration"]["agreement"]["agreement"].as_f64().unwrap() >= 0.99);
    let e: Value = serde_json::from_str(&ok(&[
        "eval",
        "--model",
        p(&out),
        "--data",
        p(&fixture("test.csv")),
        "--no-roc",
        "--json",
    ]))
    .unwrap();
    assert!(e["auc"].as_f64().unwrap() > 0.8, "{e}");
    let text = ok(&[
        "import",
        p(&fixture("sk_gbdt.onnx")),
        "--out",
        p(&dir.join("g.vgm")),
    ]);
    assert!(
        text.contains("TreeEnsembleClassifier") && text.contains("gbdt"),
        "{text}"
    );
}

fn attr_s(name: &str, s: &str) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        s: s.as_bytes().to_vec(),
        r#type: 3,
        ..Default::default()
    }
}

#[test]
fn unsupported_op_is_named_with_its_node() {
    // X[N,2] -> MatMul(W) -> Softmax -> probabilities.
    let w = TensorProto {
        dims: vec![2, 2],
        data_type: 1,
        float_data: vec![1.0, -1.0, 0.5, 0.25],
        name: "W".into(),
        ..Default::default()
    };
    let input = ValueInfoProto {
        name: "X".into(),
        r#type: None,
    };
    let model = ModelProto {
        ir_version: 8,
        producer_name: "test".into(),
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: 17,
        }],
        graph: Some(GraphProto {
            name: "g".into(),
            node: vec![
                NodeProto {
                    input: vec!["X".into(), "W".into()],
                    output: vec!["h".into()],
                    name: "dense0".into(),
                    op_type: "MatMul".into(),
                    ..Default::default()
                },
                NodeProto {
                    input: vec!["h".into()],
                    output: vec!["probabilities".into()],
                    name: "softmax_head".into(),
                    op_type: "Softmax".into(),
                    attribute: vec![attr_s("unused", "x")],
                    ..Default::default()
                },
            ],
            initializer: vec![w],
            input: vec![input],
            output: vec![ValueInfoProto {
                name: "probabilities".into(),
                r#type: None,
            }],
        }),
        ..Default::default()
    };
    let dir = scratch("unsupported");
    let path = dir.join("softmax.onnx");
    std::fs::write(&path, model.encode_to_vec()).unwrap();
    // The input has no shape: its feature count comes from the weights.
    let err = fails(&["import", p(&path), "--out", p(&dir.join("x.vgm"))]);
    assert!(
        err.contains("unsupported ONNX op `Softmax`") && err.contains("`softmax_head`"),
        "{err}"
    );
    // Not ONNX at all.
    std::fs::write(&path, b"\xff\xff\xff").unwrap();
    let err = fails(&["import", p(&path), "--out", p(&dir.join("x.vgm"))]);
    assert!(err.contains("not an ONNX model"), "{err}");
}

#[test]
fn require_fails_when_figures_are_not_met() {
    let dir = scratch("require");
    let out = dir.join("m.vgm");
    let (train, test) = (data("tiny_train.csv"), data("tiny_test.csv"));
    let base = [
        "train",
        "--data",
        p(&train),
        "--family",
        "logreg",
        "--test",
        p(&test),
        "--out",
        p(&out),
    ];
    let mut args = base.to_vec();
    args.extend([
        "--require",
        "auc=0.5,agreement=0.9",
        "--require",
        "max_score_diff=0.5",
    ]);
    ok(&args);
    let mut args = base.to_vec();
    args.extend(["--require", "f1=0.999,recall=0.999"]);
    let err = fails(&args);
    assert!(
        err.contains("requirements not met: f1 = ") && err.contains("recall = "),
        "{err}"
    );
    let err = fails(&[
        "eval",
        "--model",
        p(&out),
        "--data",
        p(&data("tiny_test.csv")),
        "--no-roc",
        "--require",
        "bogus=1",
    ]);
    assert!(err.contains("unknown metric `bogus`"), "{err}");
}
