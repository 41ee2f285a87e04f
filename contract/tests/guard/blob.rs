//! `ModelBlob`: a stored model read back chunk by chunk (one storage value
//! a chunk), and typed errors for what does not exist; and messages that
//! do not parse.
use cosmwasm_std::{from_json, Binary, StdError, Uint128, WasmMsg};
use cw_multi_test::Executor;
use vigil_guard::gas::{check_gas, check_message_bytes_for};
use vigil_guard::msg::{
    ExecuteMsg, InstantiateMsg, ModelBlobResponse, ModelResponse, QueryMsg, MODEL_BLOB_CHUNK_BYTES,
};
use vigil_guard::ContractError;
use vigil_guard_api::gas::QUOTE_VALUE_CHARS;
use vigil_inference_core::float::{FloatBody, FloatFeature, FloatLayer, FloatModel};
use vigil_inference_core::format::{self, Activation};
use vigil_inference_core::Model;

use crate::common::*;

/// A 2-input MLP with two hidden layers of `h`: its blob is over 128 KiB
/// from `h` = 370 on (a byte a weight).
fn wide_mlp(h: usize) -> FloatModel {
    let layer = |fan_in: usize, fan_out: usize, activation| FloatLayer {
        weights: (0..fan_in * fan_out)
            .map(|i| ((i * 7919) % 201) as f64 / 1000.0 - 0.1)
            .collect(),
        biases: vec![0.01; fan_out],
        activation,
    };
    FloatModel {
        threshold: 0.5,
        features: vec![FloatFeature::IDENTITY; 2],
        body: FloatBody::Mlp(vec![
            layer(2, h, Activation::Relu),
            layer(h, h, Activation::Relu),
            layer(h, 1, Activation::Sigmoid),
        ]),
    }
}

/// The query fails with `want` (as cw-multi-test wraps a contract error).
#[track_caller]
fn assert_q_err(s: &Suite, msg: &QueryMsg, want: ContractError) {
    let got = s.q_err(msg);
    assert!(got.ends_with(&want.to_string()), "{got} is not {want}");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every chunk of a version, in order, checked as they come.
fn read_chunks(s: &Suite, version: Option<u32>) -> (Vec<ModelBlobResponse>, Vec<u8>) {
    let first: ModelBlobResponse = s.q(&QueryMsg::ModelBlob {
        version,
        chunk: None,
    });
    let mut chunks = vec![first.clone()];
    for i in 1..first.chunks {
        chunks.push(s.q(&QueryMsg::ModelBlob {
            version,
            chunk: Some(i),
        }));
    }
    let mut blob = Vec::new();
    for (i, c) in chunks.iter().enumerate() {
        assert_eq!(c.chunk, i as u32);
        assert_eq!(
            (c.version, c.size, c.chunks),
            (first.version, first.size, first.chunks)
        );
        assert_eq!(c.hash, first.hash);
        // Every chunk but the last is full.
        if i + 1 < chunks.len() {
            assert_eq!(c.data.len(), MODEL_BLOB_CHUNK_BYTES as usize);
        } else {
            assert!(!c.data.is_empty() && c.data.len() <= MODEL_BLOB_CHUNK_BYTES as usize);
        }
        blob.extend_from_slice(&c.data);
    }
    (chunks, blob)
}

#[test]
fn model_blob_single_chunk() {
    let s = Suite::with_model(&cut(7), 0);
    let want = blob(&cut(7));
    let (chunks, got) = read_chunks(&s, None);
    assert_eq!(chunks.len(), 1);
    assert_eq!(got, want);
    let c = &chunks[0];
    assert_eq!((c.version, c.size), (1, want.len() as u32));
    // The reassembled blob hashes to the model's hash.
    assert_eq!(c.hash, hex(&format::checksum(&got)));
    assert_eq!(c.hash, s.model(None).hash);
    // Typed errors.
    assert_q_err(
        &s,
        &QueryMsg::ModelBlob {
            version: None,
            chunk: Some(1),
        },
        ContractError::NoSuchChunk {
            version: 1,
            chunk: 1,
            chunks: 1,
        },
    );
    assert_q_err(
        &s,
        &QueryMsg::ModelBlob {
            version: None,
            chunk: Some(u32::MAX),
        },
        ContractError::NoSuchChunk {
            version: 1,
            chunk: u32::MAX,
            chunks: 1,
        },
    );
    assert_q_err(
        &s,
        &QueryMsg::ModelBlob {
            version: Some(2),
            chunk: None,
        },
        ContractError::NoSuchVersion(2),
    );
    let empty = Suite::new(base_msg(), 0);
    assert_q_err(
        &empty,
        &QueryMsg::ModelBlob {
            version: None,
            chunk: None,
        },
        ContractError::NoModel,
    );
}

#[test]
fn model_blob_multi_chunk() {
    let big = wide_mlp(400);
    let want = blob(&big);
    assert!(
        want.len() > MODEL_BLOB_CHUNK_BYTES as usize,
        "{}",
        want.len()
    );
    let ops = Model::parse(&want).unwrap().cost().ops;
    let s = Suite::new(
        InstantiateMsg {
            max_inference_ops: ops,
            max_check_gas: u64::MAX,
            initial_model: Some(want.clone().into()),
            ..base_msg()
        },
        0,
    );
    let (chunks, got) = read_chunks(&s, None);
    assert_eq!(
        chunks.len(),
        want.len().div_ceil(MODEL_BLOB_CHUNK_BYTES as usize)
    );
    assert!(chunks.len() >= 2);
    assert_eq!(got, want);
    // The reassembled blob hashes to the model's hash.
    assert_eq!(chunks[0].hash, hex(&format::checksum(&got)));
    assert_eq!(chunks[0].hash, s.model(Some(1)).hash);
    let n = chunks.len() as u32;
    assert_q_err(
        &s,
        &QueryMsg::ModelBlob {
            version: Some(1),
            chunk: Some(n),
        },
        ContractError::NoSuchChunk {
            version: 1,
            chunk: n,
            chunks: n,
        },
    );
    // The multi-record model answers Check, and its quoted bound counts
    // its reads.
    s.check(&["3", "0"]);
    let m: ModelResponse = s.model(Some(1));
    let cost = Model::parse(&want).unwrap().cost();
    assert_eq!(m.cosmwasm_units, cost.cosmwasm_units);
    assert_eq!(
        m.check_gas,
        check_gas(
            &cost,
            2,
            check_message_bytes_for(2, QUOTE_VALUE_CHARS),
            vigil_guard::gas::envelope_bytes_bound(2),
            false
        )
    );
}

#[test]
fn model_blob_of_an_older_version() {
    let mut s = Suite::with_model(&cut(7), 0);
    let alice = s.alice.clone();
    s.propose_and_decide(&alice, &blob(&perfect()), MIN_BOND);
    assert_eq!(s.model(None).version, 2);
    assert_eq!(read_chunks(&s, None).1, blob(&perfect()));
    // Version 1 is still readable, one chunk.
    let (chunks, got) = read_chunks(&s, Some(1));
    assert_eq!(chunks.len(), 1);
    assert_eq!(got, blob(&cut(7)));
}

#[test]
fn bad_messages_are_typed_parse_errors() {
    let mut s = Suite::with_model(&cut(7), 0);
    let before = s.config();
    let admin = s.admin.clone();
    for json in [
        r#"{"no_such_message":{}}"#,
        r#"{"propose_model":{"model":"not base64!"}}"#,
        r#"{"propose_model":{}}"#,
        r#"{"continue_evaluation":{"proposal_id":"1"}}"#,
        r#"{"continue_evaluation":{"proposal_id":-1}}"#,
        r#"{"rollback":{"version":4294967296}}"#,
        r#"{"update_config":{"min_bnd":"5"}}"#,
        r#"{"update_config":{"min_bond":5}}"#,
        r#"{"update_config":{"paused_check":"maybe"}}"#,
        r#"{"add_test_samples":{"samples":[{"features":[1,2],"label":true}]}}"#,
        r#"{"pause":{}"#,
        "",
        "null",
        "[]",
    ] {
        let err = s
            .app
            .execute(
                admin.clone(),
                WasmMsg::Execute {
                    contract_addr: s.guard.to_string(),
                    msg: Binary::new(json.as_bytes().to_vec()),
                    funds: vec![],
                }
                .into(),
            )
            .expect_err(json);
        let std = err
            .downcast_ref::<StdError>()
            .unwrap_or_else(|| panic!("{json}: not a StdError: {err:?}"));
        assert!(matches!(std, StdError::ParseErr { .. }), "{json}: {std:?}");
    }
    for json in [
        r#"{"check":{"features":[1,2]}}"#,
        r#"{"check":{}}"#,
        r#"{"model_blob":{"chunk":-1}}"#,
        r#"{"model":{"version":"1"}}"#,
    ] {
        let err = s
            .app
            .wrap()
            .query_wasm_smart::<cosmwasm_std::Empty>(
                s.guard.clone(),
                &from_json::<serde_json::Value>(json).unwrap(),
            )
            .unwrap_err();
        assert!(err.to_string().contains("Error parsing"), "{json}: {err}");
    }
    // Nothing changed, and the guard still answers.
    assert_eq!(s.config(), before);
    assert!(s.check(&["3", "0"]).allow);
    // A well-formed message with out-of-range values: typed contract errors.
    assert_eq!(
        s.exec_err(&admin, &ExecuteMsg::Rollback { version: 9 }, &[]),
        ContractError::NoSuchVersion(9)
    );
    assert_eq!(
        s.exec_err(
            &admin,
            &ExecuteMsg::UpdateConfig(vigil_guard::msg::ConfigUpdate {
                min_bond: Some(Uint128::zero()),
                ..Default::default()
            }),
            &[]
        ),
        ContractError::InvalidConfig(vigil_guard_api::InvalidSetting::ZeroBond)
    );
}
