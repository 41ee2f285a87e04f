//! Golden vectors: what the NATIVE core computes for given model blobs and
//! inputs, in the JSON layout `www/README.md` documents
//! (`"format": "vigil-golden/1"`). Shared (via `#[path]`) by the fixtures
//! generator (`examples/fixtures.rs`) and the test that re-checks the
//! committed file (`tests/golden.rs`); the browser tests compare the wasm
//! against the same file.
//!
//! The project's golden vectors are host-tests' (`host-tests/golden/
//! vectors.json`, held to the native core, the wasm core and the contract
//! by `host-tests/tests/bit_exact.rs`): [`import_shared`] brings every model
//! of that file into `fixtures/golden.json` (named `host-tests/...`) with
//! the browser-only expectations added (level, caution threshold), and
//! fails if the browser engine's native build disagrees with it. Besides
//! them, golden.json holds only what is the browser package's own: its
//! demo and benchmark models, refusals with their JS error codes, and
//! malformed blobs.
#![allow(dead_code)]

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::{json, Value};
use vigil_inference_core::Model;
use vigil_web::{default_caution_bits, risk_level, Engine, ScoreError};

/// The format tag of the document.
pub const FORMAT: &str = "vigil-golden/1";

/// One model and the inputs to score with it.
pub struct GoldenModel {
    /// Short id.
    pub name: String,
    /// What it is.
    pub description: String,
    /// The blob.
    pub blob: Vec<u8>,
    /// Feature names, if any.
    pub feature_names: Option<Vec<String>>,
    /// Input vectors that score.
    pub cases: Vec<Vec<String>>,
    /// Input vectors the engine refuses.
    pub refused: Vec<Vec<String>>,
}

/// Base64 of bytes.
pub fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

/// Bytes of base64.
pub fn unb64(s: &str) -> Result<Vec<u8>, String> {
    B64.decode(s).map_err(|e| format!("bad base64: {e}"))
}

/// The expected outcome of one input vector, by the native core.
pub fn expect_case(engine: &mut Engine, threshold_bits: u32, inputs: &[String]) -> Value {
    let joined = inputs.join(",");
    match engine.score_joined(joined.as_bytes()) {
        Ok(s) => {
            let contributions: Value = if engine.explainable() {
                json!(engine.contributions())
            } else {
                Value::Null
            };
            json!({
                "inputs": inputs,
                "score_bits": s.score_bits,
                "label": s.label,
                "contributions_bits": contributions,
                "level": risk_level(s.score_bits, default_caution_bits(threshold_bits), threshold_bits),
            })
        }
        Err(e) => {
            let (code, feature, message) = match e {
                ScoreError::FeatureCount { .. } => ("FEATURE_COUNT", Value::Null, e.to_string()),
                ScoreError::BadNumber { feature, error } => {
                    ("BAD_NUMBER", json!(feature), error.to_string())
                }
            };
            json!({
                "inputs": inputs,
                "error": { "code": code, "feature": feature, "message": message },
            })
        }
    }
}

/// The golden entry of one model.
pub fn model_entry(m: &GoldenModel) -> Result<Value, String> {
    let model = Model::parse(&m.blob).map_err(|e| format!("{}: {e}", m.name))?;
    let threshold_bits = model.threshold().to_bits();
    let mut engine = Engine::load(&m.blob).map_err(|e| format!("{}: {e}", m.name))?;
    let mut cases = Vec::new();
    for inputs in &m.cases {
        let case = expect_case(&mut engine, threshold_bits, inputs);
        if case.get("error").is_some() {
            return Err(format!("{}: a scoring case is refused: {case}", m.name));
        }
        cases.push(case);
    }
    let mut refused = Vec::new();
    for inputs in &m.refused {
        let case = expect_case(&mut engine, threshold_bits, inputs);
        if case.get("error").is_none() {
            return Err(format!("{}: a refused case scores: {case}", m.name));
        }
        refused.push(case);
    }
    Ok(json!({
        "name": m.name,
        "description": m.description,
        "blob_base64": b64(&m.blob),
        "checksum": hex(&model.checksum()),
        "family": model.family().name(),
        "n_features": model.n_features(),
        "threshold_bits": threshold_bits,
        "caution_bits": default_caution_bits(threshold_bits),
        "explainable": model.explainable(),
        "feature_names": m.feature_names,
        "cases": cases,
        "refused": refused,
    }))
}

/// The golden entry of a malformed blob: the core's message.
pub fn malformed_entry(name: &str, blob: &[u8]) -> Result<Value, String> {
    match Engine::load(blob) {
        Ok(_) => Err(format!("malformed blob `{name}` loads")),
        Err(e) => Ok(json!({ "name": name, "blob_base64": b64(blob), "message": e.to_string() })),
    }
}

/// Prefix of the names of models imported from host-tests' golden vectors.
pub const SHARED_PREFIX: &str = "host-tests/";

/// Every model of host-tests' golden vectors (`doc`: the parsed
/// `host-tests/golden/vectors.json`) as a golden.json entry named
/// `host-tests/<name>`, its expectations re-derived through the browser
/// engine natively; `Err` if any score, label or contribution differs from
/// host-tests' file.
pub fn import_shared(doc: &Value) -> Result<Vec<Value>, String> {
    if doc["format"] != FORMAT {
        return Err(format!("host-tests' vectors: format {}", doc["format"]));
    }
    let mut out = Vec::new();
    for m in doc["models"]
        .as_array()
        .ok_or("host-tests' vectors: no models")?
    {
        let name = m["name"].as_str().ok_or("host-tests' vectors: no name")?;
        let cases = m["cases"].as_array().ok_or("no cases")?;
        let inputs: Vec<Vec<String>> = cases
            .iter()
            .map(|c| {
                c["inputs"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|v| v.as_str().unwrap_or_default().to_owned())
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect();
        let entry = model_entry(&GoldenModel {
            name: format!("{SHARED_PREFIX}{name}"),
            description: format!(
                "host-tests/golden/vectors.json: {}",
                m["description"].as_str().unwrap_or_default()
            ),
            blob: unb64(m["blob_base64"].as_str().ok_or("no blob")?)?,
            feature_names: None,
            cases: inputs,
            refused: vec![],
        })?;
        for (i, (mine, theirs)) in entry["cases"]
            .as_array()
            .ok_or("no cases")?
            .iter()
            .zip(cases)
            .enumerate()
        {
            for key in ["score_bits", "label", "contributions_bits"] {
                if mine[key] != theirs[key] {
                    return Err(format!(
                        "host-tests model {name} case {i}: {key} is {} in host-tests' file, \
                         the browser engine (native build) gives {}",
                        theirs[key], mine[key]
                    ));
                }
            }
        }
        out.push(entry);
    }
    Ok(out)
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Re-derive every expectation of a golden document with the native core;
/// `Err` lists the differences.
pub fn check(doc: &Value) -> Result<usize, String> {
    if doc["format"] != FORMAT {
        return Err(format!("format is {}, expected {FORMAT}", doc["format"]));
    }
    let mut problems = Vec::new();
    let mut checked = 0;
    for m in doc["models"].as_array().ok_or("no models")? {
        let name = m["name"].as_str().unwrap_or("?");
        let blob = unb64(m["blob_base64"].as_str().ok_or("no blob")?)?;
        let threshold_bits = Model::parse(&blob)
            .map_err(|e| e.to_string())?
            .threshold()
            .to_bits();
        let mut engine = Engine::load(&blob).map_err(|e| format!("{name}: {e}"))?;
        for list in ["cases", "refused"] {
            for (i, case) in m[list].as_array().ok_or("no cases")?.iter().enumerate() {
                let inputs: Vec<String> = case["inputs"]
                    .as_array()
                    .ok_or("no inputs")?
                    .iter()
                    .map(|v| v.as_str().unwrap_or_default().to_owned())
                    .collect();
                let now = expect_case(&mut engine, threshold_bits, &inputs);
                if &now != case {
                    problems.push(format!(
                        "{name} {list}[{i}]: file has {case}, the core now gives {now}"
                    ));
                }
                checked += 1;
            }
        }
    }
    for m in doc["malformed"].as_array().ok_or("no malformed")? {
        let name = m["name"].as_str().unwrap_or("?");
        let blob = unb64(m["blob_base64"].as_str().ok_or("no blob")?)?;
        let now = malformed_entry(name, &blob)?;
        if &now != m {
            problems.push(format!(
                "malformed {name}: file has {m}, the core now gives {now}"
            ));
        }
        checked += 1;
    }
    if problems.is_empty() {
        Ok(checked)
    } else {
        Err(problems.join("\n"))
    }
}

/// Re-derive every expectation of a golden document with the native core,
/// keeping its own blobs, names and inputs (for when the core's arithmetic
/// or messages change on purpose), and replace its `host-tests/` models
/// with `shared` (from [`import_shared`]).
pub fn refresh(doc: &Value, shared: Vec<Value>) -> Result<Value, String> {
    let mut models = Vec::new();
    for m in doc["models"].as_array().ok_or("no models")? {
        if m["name"]
            .as_str()
            .is_some_and(|n| n.starts_with(SHARED_PREFIX))
        {
            continue;
        }
        let inputs = |list: &str| -> Result<Vec<Vec<String>>, String> {
            Ok(m[list]
                .as_array()
                .ok_or("no cases")?
                .iter()
                .map(|c| {
                    c["inputs"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .map(|v| v.as_str().unwrap_or_default().to_owned())
                                .collect()
                        })
                        .unwrap_or_default()
                })
                .collect())
        };
        let names = m["feature_names"].as_array().map(|a| {
            a.iter()
                .map(|v| v.as_str().unwrap_or_default().to_owned())
                .collect()
        });
        models.push(model_entry(&GoldenModel {
            name: m["name"].as_str().unwrap_or_default().to_owned(),
            description: m["description"].as_str().unwrap_or_default().to_owned(),
            blob: unb64(m["blob_base64"].as_str().ok_or("no blob")?)?,
            feature_names: names,
            cases: inputs("cases")?,
            refused: inputs("refused")?,
        })?);
    }
    let mut malformed = Vec::new();
    for m in doc["malformed"].as_array().ok_or("no malformed")? {
        let blob = unb64(m["blob_base64"].as_str().ok_or("no blob")?)?;
        malformed.push(malformed_entry(m["name"].as_str().unwrap_or("?"), &blob)?);
    }
    models.extend(shared);
    let mut out = doc.clone();
    out["models"] = Value::Array(models);
    out["malformed"] = Value::Array(malformed);
    Ok(out)
}
