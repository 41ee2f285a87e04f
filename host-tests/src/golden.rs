//! Golden vectors: model blobs, inputs as decimal strings, and the score
//! bits, label and contributions the native core gives them. Every engine
//! that runs Vigil must reproduce them bit for bit:
//!
//! * `tests/bit_exact.rs` runs them on the native core, on the core compiled
//!   to wasm under wasmtime and on the shipped contract under cosmwasm-vm,
//!   and fails when the committed file differs from what [`document`]
//!   builds today;
//! * the browser package's fixtures generator (`cargo run -p vigil-web
//!   --example fixtures`) imports every model of the file into
//!   `www/fixtures/golden.json`, which the headless-Chromium and Node tests
//!   hold the browser engine to (`www/tests/golden.rs` fails when the import
//!   is stale).
//!
//! The committed file is [`PATH`] (`host-tests/golden/vectors.json`),
//! written by
//!
//! ```sh
//! cargo run -p host-tests --bin golden-vectors
//! ```
//!
//! Its models are generated here, with a fixed seed, from nothing outside
//! the repository: every family (linear, MLP, GBDT, random forest,
//! isolation forest), every activation, `i8`/`i16` weights with per-layer
//! and per-channel scales, tree models with and without explanation values,
//! every kind of preprocessing. Their parameters use only IEEE-exact `f64`
//! operations (no `powf`/`exp`/`ln`, whose last bit may differ between
//! platforms' libms), and inputs are built as strings from integers, so the
//! file is the same on every machine.
//!
//! Format (`"format": "vigil-golden/1"`, the layout the browser package
//! uses): `models[]` with `name`, `description`, `blob_base64`, `checksum`
//! (SHA-256 hex), `family`, `n_features`, `threshold_bits`, `explainable`,
//! `feature_names` (null) and `cases[]` of `inputs` (decimal strings),
//! `score_bits` (`U1F31` bits: score = bits / 2^31), `label` and
//! `contributions_bits` (`I16F16` bits per feature, or null for models
//! without explanations). Keys are written sorted, arrays of scalars on one
//! line.

use std::path::PathBuf;

use serde_json::{json, Value};
use vigil_inference_core::float::{
    FloatBody, FloatFeature, FloatLayer, FloatModel, QuantizeOptions,
};
use vigil_inference_core::format::{Activation, Family};
use vigil_inference_core::{decimal, Act, Model};

use crate::models::{self, Dense, Prep, Rng};
use crate::shim::workspace_root;
use vigil_chain_sim::base64;

/// The committed file, relative to the workspace root.
pub const PATH: &str = "host-tests/golden/vectors.json";

/// The command that rewrites [`PATH`].
pub const REGENERATE: &str = "cargo run -p host-tests --bin golden-vectors";

/// The format tag, shared with `www/fixtures/golden.json`.
pub const FORMAT: &str = "vigil-golden/1";

/// The committed file's absolute path.
pub fn path() -> PathBuf {
    workspace_root().join(PATH)
}

/// One golden model: its blob and the inputs to score with it.
#[derive(Clone, Debug)]
pub struct GoldenModel {
    /// Short unique id.
    pub name: String,
    /// What it is.
    pub description: String,
    /// The serialised model.
    pub blob: Vec<u8>,
    /// Input vectors, one decimal string per feature.
    pub cases: Vec<Vec<String>>,
}

/// What the native core gives one input vector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    /// `U1F31` bits of the score.
    pub score_bits: u32,
    /// `score >= threshold`.
    pub label: bool,
    /// `I16F16` bits of each feature's contribution (explainable models).
    pub contributions_bits: Option<Vec<i32>>,
}

/// Parses decimal strings with the core's parser.
pub fn parse_inputs(inputs: &[String]) -> Result<Vec<vigil_inference_core::Wide>, String> {
    inputs
        .iter()
        .enumerate()
        .map(|(i, s)| decimal::parse(s).map_err(|e| format!("input {i} {s:?}: {e}")))
        .collect()
}

/// The native core's answer: `infer`, and for explainable models `explain`
/// too (which must give the same score).
pub fn expect(model: &Model<'_>, inputs: &[String]) -> Result<Expected, String> {
    let wide = parse_inputs(inputs)?;
    let mut scratch = vec![Act::ZERO; model.scratch_len()];
    let out = model
        .infer(&wide, &mut scratch)
        .map_err(|e| format!("infer: {e:?}"))?;
    let contributions_bits = if model.explainable() {
        let mut contributions = vec![Act::ZERO; model.n_features()];
        let explained = model
            .explain(&wide, &mut scratch, &mut contributions)
            .map_err(|e| format!("explain: {e:?}"))?;
        if explained.score != out.score || explained.label != out.label {
            return Err(format!(
                "explain gives {:?}/{}, infer {:?}/{}",
                explained.score.to_bits(),
                explained.label,
                out.score.to_bits(),
                out.label
            ));
        }
        Some(contributions.iter().map(|c| c.to_bits()).collect())
    } else {
        None
    };
    Ok(Expected {
        score_bits: out.score.to_bits(),
        label: out.label,
        contributions_bits,
    })
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The document entry of one model.
pub fn model_entry(m: &GoldenModel) -> Result<Value, String> {
    let model = Model::parse(&m.blob).map_err(|e| format!("{}: {e}", m.name))?;
    let mut cases = Vec::new();
    for inputs in &m.cases {
        let e = expect(&model, inputs).map_err(|e| format!("{}: {e}", m.name))?;
        cases.push(json!({
            "inputs": inputs,
            "score_bits": e.score_bits,
            "label": e.label,
            "contributions_bits": e.contributions_bits,
        }));
    }
    Ok(json!({
        "name": m.name,
        "description": m.description,
        "blob_base64": base64(&m.blob),
        "checksum": hex(&model.checksum()),
        "family": model.family().name(),
        "n_features": model.n_features(),
        "threshold_bits": model.threshold().to_bits(),
        "explainable": model.explainable(),
        "feature_names": null,
        "cases": cases,
    }))
}

/// The whole document, from [`models`].
pub fn document() -> Result<Value, String> {
    let models = models()
        .iter()
        .map(model_entry)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json!({
        "format": FORMAT,
        "about": format!(
            "Golden vectors: what the native vigil-inference-core computes for these blobs and \
             decimal-string inputs. Generated by `{REGENERATE}` (host-tests/src/golden.rs); \
             `cargo test -p host-tests --test bit_exact` fails when this file is stale and \
             holds the wasm core (wasmtime) and the shipped contract (cosmwasm-vm) to it; \
             `cargo run -p vigil-web --example fixtures` imports it for the browser tests."
        ),
        "models": models,
    }))
}

/// The document as written to [`PATH`]: keys sorted, two-space indent,
/// arrays of scalars and objects without nested containers on one line.
pub fn render(doc: &Value) -> String {
    fn flat(v: &Value) -> bool {
        match v {
            Value::Array(a) => a.iter().all(|x| !x.is_array() && !x.is_object()),
            Value::Object(o) => o.values().all(|x| !x.is_array() && !x.is_object()),
            _ => true,
        }
    }
    fn scalar(v: &Value) -> String {
        match v {
            Value::Array(a) => {
                let items: Vec<String> = a.iter().map(scalar).collect();
                format!("[{}]", items.join(", "))
            }
            Value::Object(o) => {
                let mut keys: Vec<&String> = o.keys().collect();
                keys.sort();
                let items: Vec<String> = keys
                    .iter()
                    .map(|k| format!("{}: {}", Value::String((*k).clone()), scalar(&o[*k])))
                    .collect();
                format!("{{{}}}", items.join(", "))
            }
            other => other.to_string(),
        }
    }
    fn out(v: &Value, indent: usize, s: &mut String) {
        let pad = "  ".repeat(indent + 1);
        let close = "  ".repeat(indent);
        match v {
            Value::Array(a) if !flat(v) => {
                s.push_str("[\n");
                for (i, x) in a.iter().enumerate() {
                    s.push_str(&pad);
                    out(x, indent + 1, s);
                    s.push_str(if i + 1 < a.len() { ",\n" } else { "\n" });
                }
                s.push_str(&close);
                s.push(']');
            }
            Value::Object(o) if !flat(v) => {
                let mut keys: Vec<&String> = o.keys().collect();
                keys.sort();
                s.push_str("{\n");
                for (i, k) in keys.iter().enumerate() {
                    s.push_str(&pad);
                    s.push_str(&Value::String((*k).clone()).to_string());
                    s.push_str(": ");
                    out(&o[*k], indent + 1, s);
                    s.push_str(if i + 1 < keys.len() { ",\n" } else { "\n" });
                }
                s.push_str(&close);
                s.push('}');
            }
            _ => s.push_str(&scalar(v)),
        }
    }
    let mut s = String::new();
    out(doc, 0, &mut s);
    s.push('\n');
    s
}

/// Reads and parses the committed file.
pub fn load() -> Result<Value, String> {
    let path = path();
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// A decimal string of `mantissa * 10^exponent`, written out in full.
pub fn place(negative: bool, mantissa: u64, exponent: i32) -> String {
    let digits = mantissa.to_string();
    let body = if mantissa == 0 {
        "0".to_owned()
    } else if exponent >= 0 {
        format!("{digits}{}", "0".repeat(exponent as usize))
    } else {
        let point = exponent.unsigned_abs() as usize;
        let padded = format!("{digits:0>width$}", width = point + 1);
        let (int, frac) = padded.split_at(padded.len() - point);
        let frac = frac.trim_end_matches('0');
        if frac.is_empty() {
            int.to_owned()
        } else {
            format!("{int}.{frac}")
        }
    };
    if negative && mantissa != 0 {
        format!("-{body}")
    } else {
        body
    }
}

/// A random raw input as a decimal string: 1 to 12 significant digits,
/// magnitudes from 1e-7 to 1e15, either sign, sometimes zero, sometimes in
/// exponent notation (`12e-3`) or with a leading `+` or `.`.
pub fn random_decimal(rng: &mut Rng) -> String {
    if rng.below(12) == 0 {
        return "0".into();
    }
    let digits = 1 + rng.below(12) as u32;
    let mantissa = 10u64.pow(digits - 1) + rng.next_u64() % (9 * 10u64.pow(digits - 1));
    // Magnitude of the leading digit: 10^-7 ..= 10^15.
    let lead = rng.below(23) as i32 - 7;
    let exponent = lead - (digits as i32 - 1);
    let negative = rng.coin();
    match rng.below(10) {
        0 => format!("{}{mantissa}e{exponent}", if negative { "-" } else { "" }),
        1 if !negative => format!("+{}", place(false, mantissa, exponent)),
        2 if lead < 0 => place(negative, mantissa, exponent).replacen("0.", ".", 1),
        _ => place(negative, mantissa, exponent),
    }
}

/// Edge inputs every model sees (each repeated over all features).
pub const EDGES: [&str; 6] = [
    "0",
    "-15605352.04",
    "0.000001",
    "9223372036854775807",
    "-9223372036854775808",
    "1e12",
];

/// A raw input near where feature `f` standardises to `z` (plain
/// features: `mean + z * std`; log1p features: a power of ten of about the
/// right magnitude), so activations and tree splits see both sides.
fn moderate(f: &FloatFeature, z: f64) -> String {
    let y = f.mean + z * f.std;
    if f.log1p {
        // log1p(10^k) ~ k ln 10.
        let k = (y.abs() / std::f64::consts::LN_10).round() as i32;
        return place(y < 0.0, 1, k.clamp(-6, 15));
    }
    let y = y.clamp(-9.0e18, 9.0e18);
    format!("{y}")
}

/// The inputs of one golden model: edges, values that standardise to
/// moderate values, random decimals.
fn cases(rng: &mut Rng, m: &FloatModel, random: usize) -> Vec<Vec<String>> {
    let n = m.features.len();
    let mut out: Vec<Vec<String>> = EDGES.iter().map(|e| vec![(*e).to_owned(); n]).collect();
    for _ in 0..4 {
        out.push(
            m.features
                .iter()
                .map(|f| moderate(f, rng.range(-2.0, 2.0)))
                .collect(),
        );
    }
    for _ in 0..random {
        out.push((0..n).map(|_| random_decimal(rng)).collect());
    }
    out
}

/// Features built with IEEE-exact operations only (see the module docs):
/// spreads from a table of powers of ten times a random factor.
fn features(rng: &mut Rng, preps: &[Prep]) -> Vec<FloatFeature> {
    const SPREADS: [f64; 9] = [1e-6, 1e-3, 0.1, 1.0, 10.0, 1e3, 1e6, 1e9, 1e12];
    preps
        .iter()
        .map(|&prep| {
            let log1p = matches!(prep, Prep::Log1p | Prep::ClipLog1p);
            let clip = matches!(prep, Prep::Clip | Prep::ClipLog1p);
            let std = if log1p {
                rng.range(0.2, 4.0)
            } else {
                SPREADS[rng.below(SPREADS.len())] * rng.range(1.0, 9.0)
            };
            let mean = if log1p {
                rng.range(-2.0, 8.0)
            } else {
                rng.range(-1.0, 1.0) * std
            };
            FloatFeature {
                clip_lo: clip.then(|| -rng.range(1e3, 1e13)),
                clip_hi: clip.then(|| rng.range(1e3, 1e13)),
                log1p,
                mean,
                std,
            }
        })
        .collect()
}

/// `n` preprocessing kinds, cycling through all four from a random start.
fn preps(rng: &mut Rng, n: usize) -> Vec<Prep> {
    let start = rng.below(4);
    (0..n).map(|i| Prep::ALL[(start + i) % 4]).collect()
}

/// The default guard of `inference-core/examples/guard.rs` (large borrows,
/// big price impact, brand-new callers and gas spikes raise the score).
pub fn default_guard() -> FloatModel {
    let log_feature = |mean, std| FloatFeature {
        clip_lo: Some(0.0),
        clip_hi: Some(1e15),
        log1p: true,
        mean,
        std,
    };
    FloatModel {
        threshold: 0.5,
        features: vec![
            log_feature(8.0, 3.0),
            log_feature(2.0, 1.5),
            log_feature(9.0, 3.0),
            log_feature(3.0, 1.0),
        ],
        body: FloatBody::Linear(FloatLayer {
            weights: vec![1.6, 1.3, -1.4, 0.9],
            biases: vec![-2.5],
            activation: Activation::Sigmoid,
        }),
    }
}

/// The golden models, in file order.
pub fn models() -> Vec<GoldenModel> {
    let mut rng = Rng::new(0x601D_E2E5);
    let mut out = Vec::new();
    let mut add = |rng: &mut Rng,
                   name: &str,
                   description: String,
                   mut m: FloatModel,
                   options: QuantizeOptions,
                   extra: &[&[&str]]| {
        let n = m.features.len();
        let p = preps(rng, n);
        if name != "default-guard" {
            m.features = features(rng, &p);
        }
        let mut cases = cases(rng, &m, 6);
        cases.extend(
            extra
                .iter()
                .map(|c| c.iter().map(|s| (*s).to_owned()).collect()),
        );
        out.push(GoldenModel {
            name: name.to_owned(),
            description,
            blob: models::blob(&m, &options),
            cases,
        });
    };
    let dense = |wide, per_channel| Dense { wide, per_channel }.options();

    add(
        &mut rng,
        "default-guard",
        "the default guard of inference-core/examples/guard.rs: logistic regression over four \
         clipped signed-log1p features"
            .into(),
        default_guard(),
        QuantizeOptions::default(),
        &[
            &["250.00", "3", "1500000", "12.5"],
            &["15605352.04", "2400", "2", "300"],
        ],
    );
    let specs: [(&str, usize, Activation, bool, bool); 3] = [
        ("linear-sigmoid", 9, Activation::Sigmoid, false, false),
        ("linear-identity", 5, Activation::Identity, true, false),
        (
            "linear-hard-sigmoid",
            12,
            Activation::HardSigmoid,
            true,
            true,
        ),
    ];
    for (name, n, act, wide, per_channel) in specs {
        let m = models::linear(&mut rng, n, Prep::Plain, act);
        let o = dense(wide, per_channel);
        let d = format!(
            "linear over {n} mixed-preprocessing features, {} output, {}",
            models::act_name(act),
            Dense { wide, per_channel }.name()
        );
        add(&mut rng, name, d, m, o, &[]);
    }
    /// Name, widths, hidden and output activations, `i16` weights,
    /// per-channel scales.
    type MlpSpec<'a> = (&'a str, &'a [usize], Activation, Activation, bool, bool);
    let mlps: [MlpSpec<'_>; 4] = [
        (
            "mlp-relu",
            &[6, 8, 1],
            Activation::Relu,
            Activation::Sigmoid,
            false,
            true,
        ),
        (
            "mlp-tanh",
            &[5, 7, 4, 1],
            Activation::Tanh,
            Activation::HardSigmoid,
            true,
            false,
        ),
        (
            "mlp-sigmoid",
            &[4, 6, 6, 1],
            Activation::Sigmoid,
            Activation::Identity,
            true,
            true,
        ),
        (
            "mlp-hard",
            &[7, 5, 1],
            Activation::HardTanh,
            Activation::Sigmoid,
            false,
            false,
        ),
    ];
    for (name, widths, hidden, output, wide, per_channel) in mlps {
        let m = models::mlp(&mut rng, widths, Prep::Plain, hidden, output);
        let shape: Vec<String> = widths.iter().map(|w| w.to_string()).collect();
        let d = format!(
            "MLP {}, {}/{}, {}",
            shape.join("-"),
            models::act_name(hidden),
            models::act_name(output),
            Dense { wide, per_channel }.name()
        );
        add(&mut rng, name, d, m, dense(wide, per_channel), &[]);
    }
    // Tiny weights: requantisation shifts above 64 (the long path).
    let mut m = models::mlp(
        &mut rng,
        &[5, 6, 1],
        Prep::Plain,
        Activation::HardSigmoid,
        Activation::Sigmoid,
    );
    models::scale_weights(&mut m, 1e-9);
    add(
        &mut rng,
        "mlp-tiny-weights",
        "MLP 5-6-1 with weights x1e-9 (requantisation shifts above 64), i16 per-channel".into(),
        m,
        dense(true, true),
        &[],
    );
    let trees: [(&str, Family, usize, u8, usize, bool, bool); 6] = [
        ("gbdt-explained", Family::Gbdt, 8, 3, 6, true, true),
        ("gbdt-random", Family::Gbdt, 5, 5, 9, false, false),
        (
            "random-forest-explained",
            Family::RandomForest,
            6,
            3,
            5,
            true,
            true,
        ),
        (
            "random-forest-random",
            Family::RandomForest,
            7,
            4,
            8,
            false,
            false,
        ),
        (
            "isolation-forest-explained",
            Family::IsolationForest,
            8,
            4,
            4,
            true,
            true,
        ),
        (
            "isolation-forest-random",
            Family::IsolationForest,
            6,
            6,
            7,
            false,
            false,
        ),
    ];
    for (name, family, n_trees, depth, n_features, complete, explain) in trees {
        let mut m = models::ensemble(&mut rng, family, n_trees, depth, n_features, Prep::Plain);
        if !complete {
            let mut leaf = |rng: &mut Rng| match family {
                Family::RandomForest => rng.unit(),
                Family::IsolationForest => rng.range(1.0, 12.0),
                _ => rng.range(-0.3, 0.3),
            };
            let random: Vec<_> = (0..n_trees)
                .map(|_| models::random_tree(&mut rng, depth, n_features, &mut leaf))
                .collect();
            if let FloatBody::Gbdt(e) | FloatBody::RandomForest(e) | FloatBody::IsolationForest(e) =
                &mut m.body
            {
                e.trees = random;
            }
        }
        let d = format!(
            "{} of {n_trees} {} trees of depth {depth} over {n_features} features{}",
            family.name(),
            if complete { "complete" } else { "random" },
            if explain {
                ", with explanation values"
            } else {
                ""
            }
        );
        let o = QuantizeOptions {
            explain,
            ..QuantizeOptions::default()
        };
        add(&mut rng, name, d, m, o, &[]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn place_writes_plain_decimals() {
        assert_eq!(place(false, 0, -3), "0");
        assert_eq!(place(true, 0, 5), "0");
        assert_eq!(place(false, 123, 2), "12300");
        assert_eq!(place(true, 123, -2), "-1.23");
        assert_eq!(place(false, 123, -5), "0.00123");
        assert_eq!(place(false, 1200, -2), "12");
        assert_eq!(place(false, 1, -7), "0.0000001");
    }

    #[test]
    fn random_decimals_parse() {
        let mut rng = Rng::new(7);
        for _ in 0..10_000 {
            let s = random_decimal(&mut rng);
            assert!(decimal::parse(&s).is_ok(), "{s}");
        }
    }

    #[test]
    fn every_family_is_covered() {
        let models = models();
        let mut families: Vec<&str> = models
            .iter()
            .map(|m| Model::parse(&m.blob).expect("parses").family().name())
            .collect();
        families.sort_unstable();
        families.dedup();
        assert_eq!(
            families,
            ["gbdt", "isolation-forest", "linear", "mlp", "random-forest"]
        );
    }
}
