//! The `vigil` binary end to end on small committed data
//! (`tests/data/tiny_*.csv`: 5 features spanning 1e-3..1e9, some negative)
//! and the committed ONNX fixtures.
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cosmwasm_std::Binary;
use prost::Message;
use serde_json::Value;
use vigil_cli::onnx::proto::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    ValueInfoProto,
};
use vigil_guard_api::msg::TestSample;
use vigil_inference_core::Model;

use common::*;

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
            + j["metadata_bytes"].as_u64().unwrap()
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
    // Commit, then reveal: the commitment is the api's, for this sender
    // and salt; the reveal carries the blob and the salt.
    let sender = "cosmwasm1proposer";
    let salt = "5a".repeat(32);
    let out = ok(&[
        "msg",
        "commit",
        "--model",
        p(&model),
        "--sender",
        sender,
        "--salt",
        &salt,
    ]);
    let m: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(m.as_object().unwrap().len(), 1);
    let c: cosmwasm_std::HexBinary =
        serde_json::from_value(m["commit_proposal"]["commitment"].clone()).unwrap();
    let want = vigil_guard_api::commit::commitment(&blob, sender, &[0x5a; 32]);
    assert_eq!(c.as_slice(), &want[..]);
    let out = ok(&[
        "msg",
        "reveal",
        "--proposal-id",
        "4",
        "--model",
        p(&model),
        "--salt",
        &salt,
    ]);
    let m: Value = serde_json::from_str(&out).unwrap();
    let b: Binary = serde_json::from_value(m["reveal_proposal"]["model"].clone()).unwrap();
    assert_eq!(b.as_slice(), &blob[..]);
    let s: Binary = serde_json::from_value(m["reveal_proposal"]["salt"].clone()).unwrap();
    assert_eq!(s.as_slice(), &[0x5a; 32]);
    assert_eq!(m["reveal_proposal"]["proposal_id"], 4);

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

/// The deploy order of the split (`docs/split.md`) with the CLI's own
/// messages, on the contract's entry points: the governor from `msg
/// instantiate`, the guard from `msg instantiate-guard` with the same
/// flags (the same settings, the governor named), then the governor's
/// `msg bind-guard` from its admin, whose install the guard accepts: the
/// guard then answers `Check` as the governor's model does.
#[test]
fn guard_messages_follow_the_deploy_order() {
    use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env, MockApi};
    use cosmwasm_std::{from_json, CosmosMsg, WasmMsg};
    use vigil_guard_api::guard_msg::{GuardExecuteMsg, GuardInstantiateMsg, GuardQueryMsg};
    use vigil_guard_api::msg::{CheckResponse, ExecuteMsg, InstantiateMsg, QueryMsg};

    let dir = scratch("guard-msg");
    let (model, _) = train(&dir, "logreg", &[]);
    let api = MockApi::default();
    let (admin, governor, guard) = (
        api.addr_make("admin"),
        api.addr_make("governor"),
        api.addr_make("guard"),
    );
    let settings = [
        "--model",
        p(&model),
        "--bond-denom",
        "ustake",
        "--paused-check",
        "deny",
        "--eval-batch",
        "50",
    ];
    let with = |cmd: &[&str], extra: &[&str]| -> String {
        let mut args = vec!["msg"];
        args.extend_from_slice(cmd);
        args.extend_from_slice(&settings);
        args.extend_from_slice(extra);
        ok(&args)
    };
    let tiny = data("tiny_test.csv");
    let gov_msg: InstantiateMsg = from_json(with(
        &["instantiate"],
        &["--samples", p(&tiny), "--limit", "40"],
    ))
    .unwrap();
    let guard_json = with(&["instantiate-guard", "--governor", governor.as_str()], &[]);
    let m: Value = serde_json::from_str(&guard_json).unwrap();
    let keys: Vec<&String> = m.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["admin", "change_delay", "governor", "settings"],
        "{guard_json}"
    );
    let guard_msg: GuardInstantiateMsg = from_json(&guard_json).unwrap();
    assert_eq!(guard_msg.governor, governor.as_str());
    assert_eq!(guard_msg.admin, None);
    // The same flags give the guard the governor's settings, the default
    // budgets (from the model) included.
    assert_eq!(guard_msg.settings, gov_msg.settings());

    // The governor, then the guard naming it.
    let mut gov = mock_dependencies();
    let mut env = mock_env();
    env.contract.address = governor.clone();
    vigil_guard::contract::instantiate(
        gov.as_mut(),
        env.clone(),
        message_info(&admin, &[]),
        gov_msg,
    )
    .unwrap();
    let mut grd = mock_dependencies();
    let mut genv = mock_env();
    genv.contract.address = guard.clone();
    vigil_guard::guard::instantiate(
        grd.as_mut(),
        genv.clone(),
        message_info(&admin, &[]),
        guard_msg,
    )
    .unwrap();

    // The governor reads the guard's Config at BindGuard: its querier
    // answers with the guard's own answer.
    let answer = vigil_guard::guard::query(
        grd.as_ref(),
        genv.clone(),
        vigil_guard_api::guard_msg::GuardQueryMsg::Config {},
    )
    .unwrap();
    let guard_addr = guard.to_string();
    gov.querier.update_wasm(move |q| match q {
        cosmwasm_std::WasmQuery::Smart { contract_addr, .. } if *contract_addr == guard_addr => {
            cosmwasm_std::SystemResult::Ok(cosmwasm_std::ContractResult::Ok(answer.clone()))
        }
        _ => cosmwasm_std::SystemResult::Err(cosmwasm_std::SystemError::NoSuchContract {
            addr: format!("{q:?}"),
        }),
    });
    // BindGuard from the governor's admin: its message to the guard, which
    // the guard accepts from the governor.
    let bind: ExecuteMsg =
        from_json(ok(&["msg", "bind-guard", "--guard", guard.as_str()])).unwrap();
    assert_eq!(
        bind,
        ExecuteMsg::BindGuard {
            guard: guard.to_string()
        }
    );
    let res =
        vigil_guard::contract::execute(gov.as_mut(), env.clone(), message_info(&admin, &[]), bind)
            .unwrap();
    let [install] = &res.messages[..] else {
        panic!("one install, got {:?}", res.messages)
    };
    let CosmosMsg::Wasm(WasmMsg::Execute {
        contract_addr, msg, ..
    }) = &install.msg
    else {
        panic!("not a wasm execute: {install:?}")
    };
    assert_eq!(contract_addr, guard.as_str());
    let install: GuardExecuteMsg = from_json(msg).unwrap();
    vigil_guard::guard::execute(
        grd.as_mut(),
        genv.clone(),
        message_info(&governor, &[]),
        install,
    )
    .unwrap();
    let config = vigil_guard::guard::config(grd.as_ref()).unwrap();
    assert_eq!(
        (config.governor.as_str(), config.install_sequence),
        (governor.as_str(), 1)
    );
    assert_eq!(config.active_version, 1);
    // The guard's Check is the governor's, row for row.
    let rows = std::fs::read_to_string(&tiny).unwrap();
    for line in rows.lines().skip(1).take(10) {
        let mut features: Vec<String> = line.split(',').map(str::to_owned).collect();
        features.pop(); // the label (last column)
        let on_guard: CheckResponse = from_json(
            vigil_guard::guard::query(
                grd.as_ref(),
                genv.clone(),
                GuardQueryMsg::Check {
                    features: features.clone(),
                },
            )
            .unwrap(),
        )
        .unwrap();
        let on_governor: CheckResponse = from_json(
            vigil_guard::contract::query(gov.as_ref(), env.clone(), QueryMsg::Check { features })
                .unwrap(),
        )
        .unwrap();
        assert_eq!(on_guard, on_governor);
    }

    // Addresses are checked before anything is written.
    for (cmd, flag, bad) in [
        (
            &["bind-guard", "--guard"][..],
            "--guard",
            "wasm1notanaddress",
        ),
        (&["bind-guard", "--guard"][..], "--guard", ""),
        (
            &[
                "instantiate-guard",
                "--n-features",
                "5",
                "--bond-denom",
                "u",
                "--governor",
            ][..],
            "--governor",
            "Cosmwasm1xyz",
        ),
    ] {
        let mut args = vec!["msg"];
        args.extend_from_slice(cmd);
        args.push(bad);
        let err = fails(&args);
        assert!(
            err.contains(&format!("{flag} must be a bech32 address")),
            "{args:?}: {err}"
        );
    }
    // A corrupted checksum: the last character changed.
    let mut typo = guard.to_string();
    let last = typo.pop().unwrap();
    typo.push(if last == 'q' { 'p' } else { 'q' });
    let err = fails(&["msg", "bind-guard", "--guard", &typo]);
    assert!(err.contains("--guard must be a bech32 address"), "{err}");
    // The guard's settings are checked as the governor's.
    let err = fails(&[
        "msg",
        "instantiate-guard",
        "--governor",
        governor.as_str(),
        "--n-features",
        "5",
        "--bond-denom",
        "ustake",
        "--min-bond",
        "0",
    ]);
    assert!(
        err.contains("--min-bond must be at least 1, got 0"),
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
    // The model stores its feature names: the columns are matched by name
    // and both lists are shown.
    assert!(
        err.contains("missing: amount, count, ratio, balance, noise")
            && err.contains("not in the model: a, b"),
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
    // A failed --require writes nothing.
    let missed = dir.join("missed.vgm");
    let mut args = base.to_vec();
    args[8] = p(&missed);
    args.extend(["--require", "f1=0.999,recall=0.999"]);
    let err = fails(&args);
    assert!(
        err.contains("requirements not met: f1 = ") && err.contains("recall = "),
        "{err}"
    );
    assert!(err.contains("was not written"), "{err}");
    assert!(
        !missed.exists(),
        "a failed --require wrote {}",
        missed.display()
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

/// Run vigil, killing it after `secs` seconds (a hang is a failure).
fn vigil_within(args: &[&str], secs: u64) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run vigil");
    let start = std::time::Instant::now();
    while child.try_wait().expect("wait for vigil").is_none() {
        if start.elapsed().as_secs() >= secs {
            let _ = child.kill();
            let _ = child.wait();
            panic!("vigil {args:?} still running after {secs} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().expect("vigil output")
}

/// `vigil train` with a bad setting: a clear error naming the flag and its
/// range, exit 1 (not a panic, not a hang), before any training or writing.
#[test]
fn train_rejects_bad_settings_before_training() {
    let dir = scratch("bad-settings");
    let out = dir.join("sub").join("m.vgm");
    let (train, test) = (data("tiny_train.csv"), data("tiny_test.csv"));
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "gbdt",
            &["--lr", "inf"],
            "--lr must be a finite number in (0, 1], got inf",
        ),
        (
            "gbdt",
            &["--lr", "nan"],
            "--lr must be a finite number in (0, 1], got NaN",
        ),
        (
            "gbdt",
            &["--lr", "-1"],
            "--lr must be a finite number in (0, 1], got -1",
        ),
        (
            "gbdt",
            &["--lr=-1"],
            "--lr must be a finite number in (0, 1], got -1",
        ),
        ("mlp", &["--lr", "nan"], "--lr must be"),
        ("mlp", &["--lr", "2"], "--lr must be"),
        (
            "logreg",
            &["--threshold", "nan"],
            "--threshold must be a finite number in [0, 1]",
        ),
        ("logreg", &["--threshold", "1.5"], "--threshold must be"),
        (
            "logreg",
            &["--c", "0"],
            "--c must be a finite number > 0, got 0",
        ),
        ("logreg", &["--c", "nan"], "--c must be"),
        ("logreg", &["--c", "-2"], "--c must be"),
        (
            "mlp",
            &["--alpha", "nan"],
            "--alpha must be a finite number >= 0",
        ),
        ("mlp", &["--alpha", "-1"], "--alpha must be"),
        (
            "mlp",
            &["--ema", "1"],
            "--ema must be a finite number in [0, 1), got 1",
        ),
        (
            "mlp",
            &["--epochs", "0"],
            "--epochs must be at least 1, got 0",
        ),
        (
            "mlp",
            &["--batch", "0"],
            "--batch must be at least 1, got 0",
        ),
        ("mlp", &["--hidden", "8,0"], "--hidden must be"),
        (
            "gbdt",
            &["--trees", "0"],
            "--trees must be in 1..=65535, got 0",
        ),
        (
            "gbdt",
            &["--depth", "0"],
            "--depth must be in 1..=32, got 0",
        ),
        ("rf", &["--depth", "0"], "--depth must be in 1..=32, got 0"),
        (
            "rf",
            &["--depth", "33"],
            "--depth must be in 1..=32, got 33",
        ),
        (
            "gbdt",
            &["--min-leaf", "0"],
            "--min-leaf must be a finite number >= 1",
        ),
        (
            "iforest",
            &["--psi", "1"],
            "--psi must be at least 2, got 1",
        ),
        ("logreg", &["--cv", "1"], "--cv must be 0"),
        (
            "logreg",
            &["--val-frac", "nan", "--cv", "0"],
            "--val-frac must be a fraction in [0, 0.9)",
        ),
        (
            "logreg",
            &["--min-agreement", "1.5"],
            "--min-agreement must be a finite number in [0, 1]",
        ),
        (
            "logreg",
            &["--max-score-diff", "-0.1"],
            "--max-score-diff must be a finite number >= 0",
        ),
        // A typo in --require fails at once, not after training.
        (
            "mlp",
            &["--test", "TEST", "--require", "foo=1"],
            "unknown metric `foo`",
        ),
        (
            "mlp",
            &["--test", "TEST", "--require", "f1=nan"],
            "--require \"f1=nan\"",
        ),
    ];
    for (family, extra, needle) in cases {
        let mut args = vec![
            "train",
            "--data",
            p(&train),
            "--family",
            family,
            "--out",
            p(&out),
        ];
        args.extend(
            extra
                .iter()
                .map(|a| if *a == "TEST" { p(&test) } else { a }),
        );
        let o = vigil_within(&args, 60);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: want {needle:?} in: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    }
    // More folds than rows of the smaller class: said in terms of folds.
    let o = vigil_within(
        &[
            "train",
            "--data",
            p(&train),
            "--family",
            "logreg",
            "--cv",
            "1000",
            "--out",
            p(&out),
        ],
        60,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--cv must be in 2..=")
            && err.contains("1000 folds need 1000 rows of each class"),
        "{err}"
    );
    assert!(!out.exists());
    // A negative count is named as such by the argument parser.
    let err = fails(&[
        "train",
        "--data",
        p(&train),
        "--family",
        "mlp",
        "--epochs",
        "-3",
        "--out",
        p(&out),
    ]);
    assert!(
        err.contains("--epochs") && err.contains("must not be negative"),
        "{err}"
    );
    // iforest does not use --depth: it is not refused there.
    ok(&[
        "train",
        "--data",
        p(&train),
        "--family",
        "iforest",
        "--trees",
        "5",
        "--depth",
        "0",
        "--out",
        p(&out),
    ]);
}

/// The same checks from the library: a typed error naming the flag.
#[test]
fn train_args_validate_is_typed() {
    use vigil_cli::train::{Family, InvalidFlag, TrainArgs};
    let mut a = TrainArgs::new(
        data("tiny_train.csv"),
        Family::Gbdt,
        PathBuf::from("unused.vgm"),
    );
    assert_eq!(a.validate(), Ok(()));
    a.lr = Some(f64::INFINITY);
    let e = a.validate().unwrap_err();
    assert_eq!(e.flag, "--lr");
    a.lr = None;
    a.trees = Some(0);
    let e = vigil_cli::train::run(&a).unwrap_err();
    let typed = e.downcast_ref::<InvalidFlag>().expect("an InvalidFlag");
    assert_eq!(typed.flag, "--trees");
}

/// A CSV of `n` rows (`a,b,label`, alternating labels) with a value the
/// contract refuses on the data rows listed in `bad` (0-based).
fn samples_csv(path: &Path, n: usize, bad: &[usize]) {
    let mut text = String::from("a,b,label\n");
    for i in 0..n {
        let a = if bad.contains(&i) {
            "6.199999999999999e-11".to_string()
        } else {
            format!("{i}.5")
        };
        text.push_str(&format!("{a},-{i},{}\n", i % 2));
    }
    std::fs::write(path, text).unwrap();
}

fn all_samples(stdout: &str) -> Vec<TestSample> {
    let mut all = Vec::new();
    for l in stdout.lines() {
        let m: Value = serde_json::from_str(l).unwrap();
        let s: Vec<TestSample> =
            serde_json::from_value(m["add_test_samples"]["samples"].clone()).unwrap();
        all.extend(s);
    }
    all
}

#[test]
fn msg_samples_window_and_skip_unrepresentable() {
    let dir = scratch("msg-skip");
    let csv = dir.join("s.csv");
    // Data rows 2 and 7 (file lines 4 and 9) hold a value with more than 19
    // fractional digits.
    samples_csv(&csv, 10, &[2, 7]);
    // --offset/--limit first: only the selected rows are checked.
    let all = all_samples(&ok(&[
        "msg",
        "add-samples",
        "--data",
        p(&csv),
        "--limit",
        "2",
    ]));
    assert_eq!(all.len(), 2);
    let all = all_samples(&ok(&[
        "msg",
        "add-samples",
        "--data",
        p(&csv),
        "--offset",
        "3",
        "--limit",
        "4",
    ]));
    assert_eq!(all[0].features, ["3.5", "-3"]);
    assert_eq!(all.len(), 4);
    // Without the flag: the error, and a hint naming it.
    let err = fails(&["msg", "add-samples", "--data", p(&csv)]);
    assert!(
        err.contains("s.csv:4: column `a`: the contract will refuse")
            && err.contains("2 of the 10 rows")
            && err.contains("--skip-unrepresentable"),
        "{err}"
    );
    // With it: left out, reported on stderr with their lines.
    let out = vigil(&[
        "msg",
        "add-samples",
        "--data",
        p(&csv),
        "--skip-unrepresentable",
        "--max-class-ratio",
        "1",
        "--chunk",
        "3",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("left out 2 of 10 rows")
            && err.contains("s.csv:4:")
            && err.contains("s.csv:9:"),
        "{err}"
    );
    let all = all_samples(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(all.len(), 8);
    assert!(all.iter().all(|s| !s.features[0].contains('e')));
    // Rows 2 and 7 were both negatives: 5 positives, 3 negatives left; the
    // balance rule (ratio 1) still orders what is left.
    let (mut pos, mut neg) = (0u32, 0u32);
    for s in &all {
        let (major, minor) = if s.label { (pos, neg) } else { (neg, pos) };
        assert!(major <= minor.max(1), "balance rule broken: {all:?}");
        if s.label {
            pos += 1;
        } else {
            neg += 1;
        }
    }
    // instantiate --samples takes the same flag.
    let base = [
        "msg",
        "instantiate",
        "--n-features",
        "2",
        "--bond-denom",
        "ustake",
        "--samples",
        p(&csv),
    ];
    let err = fails(&base);
    assert!(err.contains("--skip-unrepresentable"), "{err}");
    let mut args = base.to_vec();
    args.push("--skip-unrepresentable");
    let m: Value = serde_json::from_str(&ok(&args)).unwrap();
    assert_eq!(m["initial_test_set"].as_array().unwrap().len(), 8);
    let mut args = base.to_vec();
    args.extend(["--limit", "2"]);
    let m: Value = serde_json::from_str(&ok(&args)).unwrap();
    assert_eq!(m["initial_test_set"].as_array().unwrap().len(), 2);
}

#[test]
fn msg_refuses_settings_the_contract_rejects() {
    let base = [
        "msg",
        "instantiate",
        "--n-features",
        "5",
        "--bond-denom",
        "ustake",
    ];
    ok(&base);
    for (extra, needle) in [
        (
            &["--n-features", "0"][..],
            "--n-features must be at least 1, got 0",
        ),
        (
            &["--bond-denom", ""][..],
            "--bond-denom must be a non-empty denom",
        ),
        (
            &["--min-bond", "0"][..],
            "--min-bond must be at least 1, got 0",
        ),
        (
            &["--eval-batch", "0"][..],
            "--eval-batch must be at least 1",
        ),
        (
            &["--deny-threshold", "1.5"][..],
            "--deny-threshold must be a score in [0, 1], got 1.5",
        ),
        (
            &["--max-class-ratio", "0.5"][..],
            "--max-class-ratio must be >= 1",
        ),
        (&["--reward", "share:101"][..], "--reward must be"),
        (
            &["--min-gain", "-1"][..],
            "--min-gain must be a decimal >= 0",
        ),
        (
            &["--max-inference-ops", "0"][..],
            "--max-inference-ops must be at least 1",
        ),
    ] {
        // The flag given last wins over base's where both set it: build the
        // arguments without base's copy.
        let mut args: Vec<&str> = Vec::new();
        let mut i = 0;
        while i < base.len() {
            if base[i] == extra[0] {
                i += 2;
                continue;
            }
            args.push(base[i]);
            i += 1;
        }
        args.extend_from_slice(extra);
        let err = fails(&args);
        assert!(err.contains(needle), "{args:?}: want {needle:?} in: {err}");
    }
    let tiny = data("tiny_test.csv");
    let err = fails(&[
        "msg",
        "add-samples",
        "--data",
        p(&tiny),
        "--max-class-ratio",
        "0.5",
    ]);
    assert!(err.contains("--max-class-ratio must be >= 1"), "{err}");
    let err = fails(&["msg", "add-samples", "--data", p(&tiny), "--chunk", "0"]);
    assert!(err.contains("--chunk must be at least 1"), "{err}");
}

#[test]
fn import_names_a_missing_label_column() {
    let dir = scratch("import-label");
    let err = fails(&[
        "import",
        p(&fixture("sk_mlp.onnx")),
        "--out",
        p(&dir.join("m.vgm")),
        "--data",
        p(&fixture("test.csv")),
        "--label",
        "nope",
    ]);
    assert!(
        err.contains("no label column `nope` in the header")
            && err.contains("name it with --label"),
        "{err}"
    );
    let err = fails(&[
        "import",
        p(&fixture("sk_mlp.onnx")),
        "--out",
        p(&dir.join("m.vgm")),
        "--threshold",
        "nan",
    ]);
    assert!(err.contains("--threshold must be"), "{err}");
}

#[test]
fn train_names_the_family_and_eval_creates_the_roc_directory() {
    let dir = scratch("family-roc");
    let model = dir.join("m.vgm");
    let text = ok(&[
        "train",
        "--data",
        p(&data("tiny_train.csv")),
        "--family",
        "gbdt",
        "--trees",
        "5",
        "--out",
        p(&model),
    ]);
    assert!(text.starts_with("trained gbdt (5 trees"), "{text}");
    let roc = dir.join("not").join("yet").join("roc.svg");
    ok(&[
        "eval",
        "--model",
        p(&model),
        "--data",
        p(&data("tiny_test.csv")),
        "--roc",
        p(&roc),
    ]);
    assert!(std::fs::read_to_string(&roc).unwrap().starts_with("<svg"));
}

/// `vigil demo` finds its artifact at run time: outside a checkout, with
/// no `--artifact` and no `$VIGIL_GUARD_WASM`, it stops at once (before any
/// training) and says how to get one; a named file that is not there is
/// an error naming where the name came from.
#[test]
fn demo_outside_a_checkout_says_how_to_get_an_artifact() {
    let out = scratch("demo-no-artifact");
    let run = |extra: &[&str], env: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_vigil"));
        c.arg("demo")
            .arg("--out")
            .arg(&out)
            .args(extra)
            // The filesystem root holds no checkout.
            .current_dir("/")
            .env_remove("VIGIL_GUARD_WASM");
        if let Some(v) = env {
            c.env("VIGIL_GUARD_WASM", v);
        }
        let o = c.output().expect("run vigil");
        assert!(!o.status.success());
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let e = run(&[], None);
    for needle in [
        "--artifact PATH",
        "VIGIL_GUARD_WASM",
        "scripts/build-contract.sh",
    ] {
        assert!(e.contains(needle), "{e}");
    }
    assert!(!out.join("incumbent.vgm").exists(), "nothing was trained");
    let e = run(&["--artifact", "/nonexistent/guard.wasm"], None);
    assert!(
        e.contains("/nonexistent/guard.wasm (from --artifact) is not a file"),
        "{e}"
    );
    let e = run(&[], Some("/nonexistent/env.wasm"));
    assert!(
        e.contains("/nonexistent/env.wasm (from $VIGIL_GUARD_WASM) is not a file"),
        "{e}"
    );
}

/// `vigil score` prints, per row, the core's own score bits (what
/// `Model::infer` returns on the decimal strings, as the chain computes),
/// labels at the model's threshold, and the accuracy `vigil eval` reports.
#[test]
fn score_prints_the_cores_scores_per_row() {
    let dir = scratch("score");
    let model = dir.join("xgb.vgm");
    let test = fixture("test.csv");
    ok(&[
        "import",
        p(&fixture("xgb_gbm.onnx")),
        "--data",
        p(&test),
        "--out",
        p(&model),
    ]);
    let out = vigil(&[
        "score",
        "--model",
        p(&model),
        "--data",
        p(&test),
        "--label",
        "label",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some("row,score,score_bits,label"));
    let printed: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();

    // The core, directly, on the same decimal strings.
    let blob = std::fs::read(&model).unwrap();
    let core = Model::parse(&blob).unwrap();
    let mut scratch = vec![vigil_inference_core::Act::ZERO; core.scratch_len()];
    let table =
        vigil_cli::data::Table::load(&test, "label", vigil_cli::data::LabelMode::Required).unwrap();
    assert_eq!(printed.len(), table.rows.len());
    let mut correct = 0;
    for (i, (row, line)) in table.rows.iter().zip(&printed).enumerate() {
        let wide: Vec<_> = row
            .raw
            .iter()
            .map(|s| vigil_inference_core::decimal::parse(s).unwrap())
            .collect();
        let o = core.infer(&wide, &mut scratch).unwrap();
        assert_eq!(line[0], i.to_string());
        assert_eq!(line[2], o.score.to_bits().to_string(), "row {i}");
        assert_eq!(
            line[1].parse::<f64>().unwrap(),
            o.score.to_num::<f64>(),
            "row {i}"
        );
        assert_eq!(line[3], if o.label { "1" } else { "0" }, "row {i}");
        correct += usize::from(Some(o.label) == row.label);
    }
    // Same scores as the library's scorer `vigil eval` uses.
    let fixed = vigil_cli::quant::fixed_scores(&blob, &table.rows).unwrap();
    for (s, line) in fixed.score.iter().zip(&printed) {
        assert_eq!(line[1].parse::<f64>().unwrap(), *s);
    }
    let accuracy = correct as f64 / table.rows.len() as f64;
    assert!(
        stderr.contains(&format!("accuracy against `label`: {accuracy:.4}")),
        "{stderr}"
    );
    let eval: Value = serde_json::from_str(&ok(&[
        "eval",
        "--model",
        p(&model),
        "--data",
        p(&test),
        "--no-roc",
        "--json",
    ]))
    .unwrap();
    assert_eq!(eval["accuracy"].as_f64().unwrap(), accuracy);

    // Without --label on a table that has one: refused, with the fix named.
    let err = fails(&["score", "--model", p(&model), "--data", p(&test)]);
    assert!(err.contains("pass --label label"), "{err}");
}

#[test]
fn score_refuses_bad_rows_naming_row_and_column() {
    let dir = scratch("score-bad");
    let model = dir.join("xgb.vgm");
    ok(&[
        "import",
        p(&fixture("xgb_gbm.onnx")),
        "--data",
        p(&fixture("test.csv")),
        "--out",
        p(&model),
    ]);
    let header = "f0,f1,f2,f3,f4,f5,label\n";
    let good = "1,2,3,0.004,5,6,1\n";
    for (name, body, label, want) in [
        (
            "value",
            format!("{header}{good}1,2,3e,4,5,6,0\n"),
            "label",
            "row 1, column `f2`: \"3e\"",
        ),
        (
            "nan",
            format!("{header}{good}{good}1,2,3,nan,5,6,0\n"),
            "label",
            "row 2, column `f3`",
        ),
        (
            "empty",
            format!("{header}1,,3,4,5,6,0\n"),
            "label",
            "row 0, column `f1`",
        ),
        (
            "fields",
            format!("{header}{good}1,2,3,4,5,0\n"),
            "label",
            ":3: row 1 has 6 fields, the header 7",
        ),
        (
            "label",
            format!("{header}1,2,3,4,5,6,yes\n"),
            "label",
            "row 0, label column `label`: \"yes\"",
        ),
        (
            "no-label",
            format!("{header}{good}"),
            "target",
            "no label column `target`",
        ),
        (
            "columns",
            "f0,f1,label\n1,2,0\n".to_string(),
            "label",
            "missing: f2, f3, f4, f5\n  model features: f0, f1, f2, f3, f4, f5\n  file columns:   f0, f1",
        ),
        ("no-rows", header.to_string(), "label", "no data rows"),
    ] {
        let csv = dir.join(format!("{name}.csv"));
        std::fs::write(&csv, body).unwrap();
        let out = vigil(&[
            "score",
            "--model",
            p(&model),
            "--data",
            p(&csv),
            "--label",
            label,
        ]);
        assert!(!out.status.success(), "{name}: should fail");
        assert!(
            out.stdout.is_empty(),
            "{name}: printed {:?}",
            String::from_utf8_lossy(&out.stdout)
        );
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(want), "{name}: {err}");
    }
    // The typed error, through the library.
    let blob = std::fs::read(&model).unwrap();
    let csv = dir.join("value.csv");
    let e = vigil_cli::score::score_file(&blob, &csv, Some("label"), false).unwrap_err();
    match e.downcast_ref::<vigil_cli::score::ScoreError>() {
        Some(vigil_cli::score::ScoreError::Value { row, column, .. }) => {
            assert_eq!((*row, column.as_str()), (1, "f2"));
        }
        other => panic!("{other:?}"),
    }
}

/// A test set with one class: AUC is undefined, reported as such in text
/// and as `null` in JSON (not 0.5, not NaN), by `eval` and `train --test`;
/// `--require auc=...` fails saying so.
#[test]
fn auc_is_undefined_on_one_class() {
    let dir = scratch("one-class");
    let text = std::fs::read_to_string(data("tiny_test.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let label_at = header.split(',').position(|c| c == "label").unwrap();
    let ones: Vec<&str> = lines
        .filter(|l| l.split(',').nth(label_at).unwrap().trim() == "1")
        .collect();
    assert!(ones.len() >= 5);
    let csv = dir.join("ones.csv");
    std::fs::write(&csv, format!("{header}\n{}\n", ones.join("\n"))).unwrap();
    let (model, _) = train(&dir, "logreg", &[]);

    let e: Value = serde_json::from_str(&ok(&[
        "eval",
        "--model",
        p(&model),
        "--data",
        p(&csv),
        "--no-roc",
        "--json",
    ]))
    .unwrap();
    assert!(e["auc"].is_null(), "{e}");
    assert!(e["float"]["auc"].is_null(), "{e}");
    assert!(e["accuracy"].is_number(), "{e}");
    let text = ok(&["eval", "--model", p(&model), "--data", p(&csv), "--no-roc"]);
    let auc_line = text
        .lines()
        .find(|l| l.trim_start().starts_with("auc"))
        .unwrap();
    assert!(auc_line.contains("undefined"), "{text}");
    assert!(!text.contains("NaN"), "{text}");
    let err = fails(&[
        "eval",
        "--model",
        p(&model),
        "--data",
        p(&csv),
        "--no-roc",
        "--require",
        "auc=0.5",
    ]);
    assert!(
        err.contains("auc is undefined (the data has one class)"),
        "{err}"
    );

    // train --test on the one-class file.
    let out = dir.join("t.vgm");
    let train_json: Value = serde_json::from_str(&ok(&[
        "train",
        "--data",
        p(&data("tiny_train.csv")),
        "--family",
        "logreg",
        "--test",
        p(&csv),
        "--out",
        p(&out),
        "--json",
    ]))
    .unwrap();
    let test = test_set(&train_json, "test");
    assert!(test["fixed"]["auc"].is_null(), "{test}");
    assert!(test["float"]["auc"].is_null(), "{test}");
    let text = ok(&[
        "train",
        "--data",
        p(&data("tiny_train.csv")),
        "--family",
        "logreg",
        "--test",
        p(&csv),
        "--out",
        p(&out),
    ]);
    // The last AUC line is the test set's (the training set's comes first).
    let auc_line = text
        .lines()
        .rfind(|l| l.trim_start().starts_with("auc"))
        .unwrap();
    assert!(auc_line.contains("undefined"), "{text}");
}

#[test]
fn breaker_log_and_features_from_a_scenario_file() {
    let dir = scratch("breaker-features");
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/breaker.json");
    let log = dir.join("log.csv");
    let features = dir.join("features.csv");
    ok(&[
        "breaker-log",
        "--config",
        p(&config),
        "--scenario",
        "reentrancy-burst-vault",
        "--out",
        p(&log),
    ]);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.starts_with("height,contract,kind,value,total_value,price,caller,label\n"));
    let attacks = text.lines().filter(|l| l.ends_with(",1")).count();
    assert_eq!(attacks, 60, "the burst's 60 calls");
    ok(&["breaker-features", "--log", p(&log), "--out", p(&features)]);
    let f = std::fs::read_to_string(&features).unwrap();
    let mut lines = f.lines();
    assert_eq!(
        lines.next().unwrap(),
        "value_z,window_outflow_share,outflow_ratio,call_rate_ratio,caller_ratio,price_deviation,recent_outflow_ratio,label"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), text.lines().count() - 1);
    // Every value an exact Q16 decimal; the burst's last call sees a window
    // outflow share far above any normal action's.
    let share = |l: &str| -> f64 { l.split(',').nth(1).unwrap().parse().unwrap() };
    for l in &rows {
        for v in l.split(',').take(6) {
            assert!(
                vigil_cli::scenario::features::decimal_q16_exact(v).is_some(),
                "{v}"
            );
        }
    }
    // Normal actions before the burst (those beside it see its outflow in
    // their window).
    let heights: Vec<u64> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    let attack_max = rows
        .iter()
        .filter(|l| l.ends_with(",1"))
        .map(|l| share(l))
        .fold(0.0, f64::max);
    let normal_max = rows
        .iter()
        .zip(&heights)
        .filter(|(l, &h)| l.ends_with(",0") && h < 3_500)
        .map(|(l, _)| share(l))
        .fold(0.0, f64::max);
    assert!(
        attack_max > 0.2 && attack_max > 4.0 * normal_max,
        "{attack_max} vs {normal_max}"
    );
    // Typed errors.
    let e = fails(&[
        "breaker-log",
        "--config",
        p(&config),
        "--scenario",
        "nope",
        "--out",
        p(&log),
    ]);
    assert!(
        e.contains("no attack \"nope\"") && e.contains("flash-drain-vault"),
        "{e}"
    );
    std::fs::write(&log, "height,contract\n1,v\n").unwrap();
    let e = fails(&["breaker-features", "--log", p(&log), "--out", p(&features)]);
    assert!(e.contains("no column \"kind\""), "{e}");
}
