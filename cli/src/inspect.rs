//! `vigil inspect`: what a blob holds and what it costs.
use std::path::Path;

use anyhow::Result;
use serde::Serialize;
use vigil_inference_core::format::HEADER_LEN;
use vigil_inference_core::spec::{BodySpec, LayerSpec, Weights};
use vigil_inference_core::{Model, Wide};

use crate::eval::read_model;
use crate::report::{hex, thousands, CostInfo};

/// One dense layer.
#[derive(Clone, Debug, Serialize)]
pub struct LayerInfo {
    /// Inputs.
    pub fan_in: usize,
    /// Outputs.
    pub fan_out: usize,
    /// `i8` or `i16`.
    pub weights: String,
    /// Scales stored (1 per layer or one per output).
    pub scales: usize,
    /// Activation.
    pub activation: String,
}

/// One feature transform.
#[derive(Clone, Debug, Serialize)]
pub struct FeatureInfo {
    /// Lower clip bound.
    pub clip_lo: Option<String>,
    /// Upper clip bound.
    pub clip_hi: Option<String>,
    /// Signed log1p.
    pub log1p: bool,
    /// Multiplier after the log (`scale · 2^-shift`).
    pub multiplier: f64,
    /// Offset added after scaling.
    pub offset: f64,
}

/// What `vigil inspect` reports.
#[derive(Clone, Debug, Serialize)]
pub struct InspectReport {
    /// Format version.
    pub version: u16,
    /// Family name.
    pub family: String,
    /// Family code.
    pub family_code: u8,
    /// Tree nodes carry explanation values.
    pub explain: bool,
    /// Raw inputs.
    pub n_features: usize,
    /// Label threshold.
    pub threshold: f64,
    /// Threshold as stored (`U1F31` bits).
    pub threshold_bits: u32,
    /// Blob size.
    pub bytes: usize,
    /// Header bytes.
    pub header_bytes: usize,
    /// Feature-transform section bytes.
    pub features_bytes: usize,
    /// Body bytes.
    pub body_bytes: usize,
    /// Metadata section bytes (0 without one).
    pub metadata_bytes: usize,
    /// The feature names the model stores, in input order.
    pub feature_names: Option<Vec<String>>,
    /// SHA-256 checksum (the model's identity), hex.
    pub hash: String,
    /// Dense layers.
    pub layers: Vec<LayerInfo>,
    /// Trees.
    pub trees: Option<usize>,
    /// Tree nodes.
    pub nodes: Option<usize>,
    /// Declared maximum depth.
    pub max_depth: Option<u8>,
    /// GBDT initial logit / isolation-forest normaliser.
    pub base: Option<f64>,
    /// Parameters (weights + biases, or tree nodes).
    pub params: u64,
    /// Feature transforms.
    pub features: Vec<FeatureInfo>,
    /// Cost bound and gas.
    pub cost: CostInfo,
    /// `Model::scratch_len`.
    pub scratch_len: usize,
}

fn layer_info(l: &LayerSpec, fan_in: usize, out: &mut Vec<LayerInfo>) -> u64 {
    out.push(LayerInfo {
        fan_in,
        fan_out: l.biases.len(),
        weights: match l.weights {
            Weights::I8(_) => "i8",
            Weights::I16(_) => "i16",
        }
        .to_string(),
        scales: l.scales.len(),
        activation: format!("{:?}", l.activation).to_lowercase(),
    });
    (l.weights.len() + l.biases.len()) as u64
}

fn wide_str(w: Wide) -> String {
    let f: f64 = w.to_num();
    format!("{f}")
}

/// Inspect a blob.
pub fn inspect_blob(blob: &[u8]) -> Result<InspectReport> {
    let m = Model::parse(blob)?;
    let features: Vec<FeatureInfo> = m
        .feature_transforms()
        .map(|t| FeatureInfo {
            clip_lo: t.clip_lo.map(wide_str),
            clip_hi: t.clip_hi.map(wide_str),
            log1p: t.log1p,
            multiplier: f64::from(t.scale) * (-f64::from(t.shift)).exp2(),
            offset: f64::from(t.offset) / 65536.0,
        })
        .collect();
    let features_bytes: usize = m.feature_transforms().map(|t| t.encoded_len()).sum();
    let feature_names: Option<Vec<String>> =
        m.feature_names().map(|n| n.map(str::to_string).collect());
    let metadata_bytes = if m.has_metadata() {
        let plain = m.to_spec().to_bytes()?;
        blob.len() - plain.len()
    } else {
        0
    };
    let (mut layers, mut trees, mut nodes, mut max_depth, mut base, mut params) =
        (Vec::new(), None, None, None, None, 0u64);
    // (`Model::body()` returns `model::Body`, which the core does not
    // export; the owned spec carries the same information.)
    match m.to_spec().body {
        BodySpec::Linear(l) => {
            params = layer_info(&l, m.n_features(), &mut layers);
        }
        BodySpec::Mlp(ls) => {
            let mut fan_in = m.n_features();
            for l in &ls {
                params += layer_info(l, fan_in, &mut layers);
                fan_in = l.biases.len();
            }
        }
        BodySpec::Gbdt(e) | BodySpec::RandomForest(e) | BodySpec::IsolationForest(e) => {
            let n: usize = e.trees.iter().map(Vec::len).sum();
            trees = Some(e.trees.len());
            nodes = Some(n);
            max_depth = Some(e.max_depth);
            base = Some(f64::from(e.base) / 65536.0);
            params = n as u64;
        }
    }
    Ok(InspectReport {
        version: u16::from_le_bytes([blob[4], blob[5]]),
        family: m.family().name().to_string(),
        family_code: m.family() as u8,
        explain: m.explainable(),
        n_features: m.n_features(),
        threshold: m.threshold().to_num(),
        threshold_bits: m.threshold().to_bits(),
        bytes: blob.len(),
        header_bytes: HEADER_LEN,
        features_bytes,
        body_bytes: blob.len() - HEADER_LEN - features_bytes - metadata_bytes,
        metadata_bytes,
        feature_names,
        hash: hex(&m.checksum()),
        layers,
        trees,
        nodes,
        max_depth,
        base,
        params,
        features,
        cost: CostInfo::of(blob)?,
        scratch_len: m.scratch_len(),
    })
}

/// Read and inspect.
pub fn run(path: &Path) -> Result<InspectReport> {
    inspect_blob(&read_model(path)?)
}

/// Print a report as text.
pub fn print(r: &InspectReport, path: &Path) {
    println!(
        "{}: Vigil model, format version {}",
        path.display(),
        r.version
    );
    println!(
        "  family      {} (code {}){}",
        r.family,
        r.family_code,
        if r.explain { ", explainable" } else { "" }
    );
    println!("  inputs      {}", r.n_features);
    println!(
        "  threshold   {:.9} (U1F31 bits {:#010x})",
        r.threshold, r.threshold_bits
    );
    println!("  sha256      {}", r.hash);
    println!(
        "  size        {} bytes: header {}, features {}, body {}{}",
        r.bytes,
        r.header_bytes,
        r.features_bytes,
        r.body_bytes,
        if r.metadata_bytes > 0 {
            format!(", metadata {}", r.metadata_bytes)
        } else {
            String::new()
        }
    );
    match &r.feature_names {
        Some(names) => println!("  names       {}", names.join(", ")),
        None => println!("  names       none stored (columns are matched by position)"),
    }
    for (i, l) in r.layers.iter().enumerate() {
        println!(
            "  layer {i}     {} -> {}, {} weights, {} scale{}, {}",
            l.fan_in,
            l.fan_out,
            l.weights,
            l.scales,
            if l.scales == 1 { "" } else { "s" },
            l.activation
        );
    }
    if let (Some(t), Some(n), Some(d)) = (r.trees, r.nodes, r.max_depth) {
        println!(
            "  trees       {t} trees, {n} nodes, max depth {d}, base {:.6}",
            r.base.unwrap_or(0.0)
        );
    }
    println!("  parameters  {}", thousands(r.params));
    let logs = r.features.iter().filter(|f| f.log1p).count();
    let clips = r
        .features
        .iter()
        .filter(|f| f.clip_lo.is_some() || f.clip_hi.is_some())
        .count();
    println!("  features    {logs} with signed log1p, {clips} clipped, all standardised");
    println!("  scratch     {} activations", r.scratch_len);
    println!(
        "  cost bound  {} wasm ops per inference (parse without checksum + infer); {} cosmwasm-vm units",
        thousands(r.cost.ops),
        thousands(r.cost.cosmwasm_units)
    );
    let c = &r.cost.check;
    println!(
        "  Check gas   <= {} SDK gas per guarded inference on the guard: setup {} + storage {} + compute {}",
        thousands(c.total),
        thousands(c.setup),
        thousands(c.storage),
        thousands(c.compute)
    );
    println!(
        "              ({} with the code pinned; values of up to {} characters, +{} per extra character of every value)",
        thousands(c.total_pinned),
        c.chars_per_value,
        thousands(c.per_extra_char)
    );
}
