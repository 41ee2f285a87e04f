//! `vigil import`: ONNX models from scikit-learn (skl2onnx) and PyTorch
//! (`torch.onnx.export`) into Vigil models.
//!
//! The graph is read symbolically, not executed: starting from the output
//! that carries the positive-class score, only the nodes that output depends
//! on are visited (a label branch using ops Vigil has no use for, such as
//! ArgMax, is never looked at), and each value is tracked as what it means:
//!
//! - the raw input after per-feature affine steps (`Scaler`, `Sub`, `Div`,
//!   `Mul`, `Add` with constants) → folded into the model's feature
//!   transforms;
//! - dense layers (`MatMul` + `Add`, `Gemm`, then `Relu`, `Sigmoid`, `Tanh`)
//!   → an MLP (or a logistic regression), and `LinearClassifier`;
//! - tree ensembles (`TreeEnsembleClassifier`, `TreeEnsembleRegressor`;
//!   scikit-learn, XGBoost and LightGBM exports, base values, `LOGISTIC`) →
//!   gradient boosting (logistic post-transform) or a random forest
//!   (averaged probabilities);
//! - the two-column probability tensor `[1 - p, p]` (`Sub`, `Concat`,
//!   `Normalizer`, `ZipMap`) → the score `p`.
//!
//! skl2onnx's isolation forest, a large graph of arithmetic around
//! per-tree `TreeEnsembleRegressor`s that output leaf ids, is recognised as
//! a whole. Any other op on the path is an error naming the op
//! and the node.
pub mod check;
pub mod proto;
pub mod reference;

use std::collections::{HashMap, HashSet};

use anyhow::{anyhow, bail, Context, Result};
use prost::Message;
use vigil_inference_core::float::{
    FloatBody, FloatEnsemble, FloatFeature, FloatLayer, FloatModel, FloatNode, QuantizeOptions,
};
use vigil_inference_core::format::{Activation, LEAF};
use vigil_inference_core::preprocess::FeatureTransform;
use vigil_inference_core::Wide;

use crate::train::trees::avg_path_length;
use proto::{
    attr, attr_f, attr_floats, attr_i, attr_ints, attr_s, attr_strings, GraphProto, ModelProto,
    NodeProto,
};

/// Ops `vigil import` understands (for error messages).
pub const SUPPORTED_OPS: &str = "Identity, Cast, Scaler, Add, Sub, Mul, Div, Clip, Min, Max, \
Sign, Abs, Log (a signed log1p of the input, or log(x + 1) of an input clipped at 0), MatMul, \
Gemm, Relu, Sigmoid, Tanh, HardSigmoid, LinearClassifier, Normalizer, Concat, ZipMap, TreeEnsembleClassifier, TreeEnsembleRegressor, \
Constant; and skl2onnx's IsolationForest graph";

/// A model read from ONNX.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The real-valued model (threshold included).
    pub model: FloatModel,
    /// What was recognised, in words.
    pub description: String,
    /// The graph output whose score the model reproduces.
    pub output: String,
    /// Producer recorded in the file.
    pub producer: String,
    /// The graph itself, for the float reference ([`Imported::reference_scores`]).
    pub graph: GraphProto,
    /// How the reference's output tensor becomes Vigil's score.
    pub score_map: ScoreMap,
    /// The ONNX node of each dense layer, in order (for messages).
    pub layer_nodes: Vec<String>,
    /// Per feature: the tree splits on it (raw threshold, bits stored).
    pub splits: Vec<Vec<Split>>,
}

/// How the graph output maps to Vigil's score in `[0, 1]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ScoreMap {
    /// The probability of class 1: column 1 of two, or the only column.
    Probability,
    /// skl2onnx's isolation forest: score = `k - output` (`k = -offset_`).
    Anomaly {
        /// The constant added in the graph.
        k: f64,
    },
}

/// One tree split as imported: the ONNX threshold in input units and how
/// the core compares.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Split {
    /// Threshold as in the file (input units).
    pub threshold: f64,
    /// The core's threshold on the preprocessed feature (`I16F16` bits).
    pub bits: i32,
    /// Left (the core's `<=` side) when `x < threshold` rather than `<=`.
    pub strict: bool,
}

impl Imported {
    /// The float reference: the ONNX graph evaluated on `x` (one row per
    /// input row, the model's feature order), mapped to Vigil's score.
    pub fn reference_scores(&self, x: &[Vec<f64>]) -> Result<Vec<f64>> {
        if x.is_empty() {
            return Ok(Vec::new());
        }
        let t = reference::evaluate(&self.graph, &self.output, x)?;
        let cols = match t.shape.as_slice() {
            [_] => 1,
            [_, c] => *c,
            s => bail!("float reference: output of shape {s:?}"),
        };
        let col = match cols {
            1 => 0,
            2 => 1,
            c => bail!("float reference: the output has {c} columns; a binary score has 1 or 2"),
        };
        let v = t.column(col)?;
        Ok(match self.score_map {
            ScoreMap::Probability => v,
            ScoreMap::Anomaly { k } => v.into_iter().map(|s| k - s).collect(),
        })
    }
}

/// Options.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// The graph output to reproduce (default: the probabilities, or the
    /// only non-label output).
    pub output: Option<String>,
    /// Override the label threshold.
    pub threshold: Option<f64>,
}

/// A tensor constant.
#[derive(Clone, Debug)]
struct Tensor {
    dims: Vec<i64>,
    data: Vec<f64>,
}

/// Per-feature preprocessing of the raw inputs, in the core's order:
/// clip (raw units), then signed `log1p` where set, then the affine map
/// `v_j = scale_j · g_j + offset_j` (`g_j` the clipped, maybe logged input).
#[derive(Clone, Debug, PartialEq)]
struct Prep {
    scale: Vec<f64>,
    offset: Vec<f64>,
    /// Lower clip bound on the raw input.
    clip_lo: Vec<Option<f64>>,
    /// Upper clip bound on the raw input.
    clip_hi: Vec<Option<f64>>,
    /// Signed `log1p` after clipping.
    log1p: Vec<bool>,
}

/// `sign(y) · (e^|y| - 1)`, the inverse of the signed `log1p`.
fn sexpm1(y: f64) -> f64 {
    y.signum() * y.abs().exp_m1()
}

impl Prep {
    fn identity(d: usize) -> Self {
        Prep {
            scale: vec![1.0; d],
            offset: vec![0.0; d],
            clip_lo: vec![None; d],
            clip_hi: vec![None; d],
            log1p: vec![false; d],
        }
    }

    fn len(&self) -> usize {
        self.scale.len()
    }

    /// No affine step yet (a signed `log1p` may still be applied).
    fn before_affine(&self) -> bool {
        self.scale.iter().all(|&s| s == 1.0) && self.offset.iter().all(|&o| o == 0.0)
    }

    /// Column `j` is the raw input itself.
    fn is_identity(&self, j: usize) -> bool {
        self.scale[j] == 1.0
            && self.offset[j] == 0.0
            && !self.log1p[j]
            && self.clip_lo[j].is_none()
            && self.clip_hi[j].is_none()
    }

    /// The raw input of column `j` whose preprocessed value is `v` (the
    /// scale must be non-zero): the affine map, then the `log1p` undone.
    fn raw_of(&self, j: usize, v: f64) -> f64 {
        let y = (v - self.offset[j]) / self.scale[j];
        if self.log1p[j] {
            sexpm1(y)
        } else {
            y
        }
    }

    /// Clip column `j`'s preprocessed value to `[lo, hi]` (either may be
    /// infinite): the same as clipping the raw input to the preimages,
    /// because the steps before are monotone (decreasing when the scale is
    /// negative, which swaps the bounds).
    fn clip(&mut self, j: usize, lo: f64, hi: f64) {
        let s = self.scale[j];
        if s == 0.0 {
            self.offset[j] = self.offset[j].max(lo).min(hi);
            return;
        }
        let (a, b) = (self.raw_of(j, lo), self.raw_of(j, hi));
        let (lo, hi) = if s > 0.0 { (a, b) } else { (b, a) };
        let (old_lo, old_hi) = (
            self.clip_lo[j].unwrap_or(f64::NEG_INFINITY),
            self.clip_hi[j].unwrap_or(f64::INFINITY),
        );
        // clip(clip(x, a, b), c, d): disjoint ranges give a constant.
        let (mut new_lo, mut new_hi) = (old_lo.max(lo), old_hi.min(hi));
        if new_lo > new_hi {
            let c = if lo > old_hi { lo } else { hi };
            (new_lo, new_hi) = (c, c);
        }
        self.clip_lo[j] = Some(new_lo).filter(|v| v.is_finite());
        self.clip_hi[j] = Some(new_hi).filter(|v| v.is_finite());
    }

    /// The clip bounds and `log1p` of column `j` as a core feature (the
    /// affine part set by the caller).
    fn feature(&self, j: usize, mean: f64, std: f64) -> FloatFeature {
        FloatFeature {
            clip_lo: self.clip_lo[j],
            clip_hi: self.clip_hi[j],
            log1p: self.log1p[j],
            mean,
            std,
        }
    }
}

#[derive(Clone, Debug)]
struct Dense {
    input: Prep,
    /// ONNX node name of each layer.
    names: Vec<String>,
    layers: Vec<FloatLayer>,
    /// The last layer has no activation applied yet (bias/scale may still
    /// be added).
    open: bool,
}

/// One tree as ONNX stores it, leaf weights resolved.
#[derive(Clone, Debug, Default)]
struct RawTree {
    /// node id → (feature, mode, threshold, true id, false id, leaf value)
    nodes: HashMap<i64, RawNode>,
}

#[derive(Clone, Debug)]
struct RawNode {
    feature: usize,
    mode: String,
    threshold: f64,
    true_id: i64,
    false_id: i64,
    leaf: f64,
    /// Leaf weight for explanation means (samples, when known).
    weight: f64,
}

#[derive(Clone, Debug)]
struct Trees {
    input: Prep,
    /// GBDT (logistic) or random forest (mean, clamped).
    gbdt: bool,
    base: f64,
    trees: Vec<RawTree>,
    what: String,
}

#[derive(Clone, Debug)]
enum Val {
    Const(Tensor),
    Input(Prep),
    Dense(Dense),
    Trees(Trees),
    /// `1 - score`.
    Complement(Box<Val>),
    /// `[1 - p, p]`: the probabilities of a binary classifier.
    Pair(Box<Val>),
    /// A step of a signed `log1p`, `Sign(x) · Log(Abs(x) + 1)`, on the
    /// (clipped) input.
    Log1pPart(Log1pPart, Prep),
}

/// The parts of a signed `log1p` as the graph builds it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Log1pPart {
    /// `Sign(x)`.
    Sign,
    /// `Abs(x)`.
    Abs,
    /// `Abs(x) + 1`.
    AbsPlusOne,
    /// `Log(Abs(x) + 1)`.
    Log1pAbs,
}

impl Val {
    fn kind(&self) -> &'static str {
        match self {
            Val::Const(_) => "a constant",
            Val::Input(_) => "the (scaled) input",
            Val::Dense(_) => "a dense layer output",
            Val::Trees(_) => "a tree ensemble score",
            Val::Complement(_) => "a complement 1 - p",
            Val::Pair(_) => "class probabilities",
            Val::Log1pPart(..) => "part of a signed log1p",
        }
    }
}

fn node_name(n: &NodeProto) -> String {
    if n.name.is_empty() {
        format!(
            "(unnamed, output `{}`)",
            n.output.first().map_or("", String::as_str)
        )
    } else {
        n.name.clone()
    }
}

fn err_at(n: &NodeProto, msg: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("ONNX node `{}` ({}): {msg}", node_name(n), n.op_type)
}

/// A constant broadcast to length `len` (scalar, `[len]` or `[1, len]`).
fn broadcast(n: &NodeProto, t: &Tensor, len: usize) -> Result<Vec<f64>> {
    match t.data.len() {
        1 => Ok(vec![t.data[0]; len]),
        l if l == len => Ok(t.data.clone()),
        l => Err(err_at(
            n,
            format!("a constant of {l} values where 1 or {len} are needed"),
        )),
    }
}

struct Graph<'a> {
    g: &'a GraphProto,
    consts: HashMap<String, Tensor>,
    producer: HashMap<&'a str, usize>,
    input: String,
    n_features: Option<usize>,
}

impl<'a> Graph<'a> {
    fn new(g: &'a GraphProto) -> Result<Self> {
        let mut consts = HashMap::new();
        for t in &g.initializer {
            consts.insert(
                t.name.clone(),
                Tensor {
                    dims: t.dims.clone(),
                    data: t.values()?,
                },
            );
        }
        let mut producer = HashMap::new();
        for (i, n) in g.node.iter().enumerate() {
            for o in &n.output {
                producer.insert(o.as_str(), i);
            }
        }
        let inputs: Vec<&proto::ValueInfoProto> = g
            .input
            .iter()
            .filter(|i| !consts.contains_key(&i.name))
            .collect();
        let [input] = inputs.as_slice() else {
            bail!(
                "the graph has {} inputs ({}); vigil import reads models with one input tensor [N, features]",
                inputs.len(),
                inputs.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(", ")
            );
        };
        let n_features = input
            .r#type
            .as_ref()
            .and_then(|t| t.tensor_type.as_ref())
            .and_then(|t| t.shape.as_ref())
            .and_then(|s| s.dim.get(1))
            .and_then(|d| d.dim_value)
            .and_then(|v| usize::try_from(v).ok())
            .filter(|&v| v > 0);
        let mut graph = Graph {
            g,
            consts,
            producer,
            input: input.name.clone(),
            n_features,
        };
        if graph.n_features.is_none() {
            graph.n_features = graph.infer_n_features();
        }
        Ok(graph)
    }

    /// The feature count from the first node reading the input, when the
    /// input's shape does not say.
    fn infer_n_features(&self) -> Option<usize> {
        let n = self
            .g
            .node
            .iter()
            .find(|n| n.input.first() == Some(&self.input))?;
        let second = n.input.get(1).and_then(|s| self.consts.get(s));
        let d = match n.op_type.as_str() {
            "MatMul" => *second?.dims.first()?,
            "Gemm" if attr_i(n, "transB", 0) != 0 => *second?.dims.get(1)?,
            "Gemm" => *second?.dims.first()?,
            "Sub" | "Div" | "Add" | "Mul" => second?.data.len() as i64,
            "Scaler" => attr_floats(n, "scale")
                .len()
                .max(attr_floats(n, "offset").len()) as i64,
            "LinearClassifier" => {
                let rows = attr_floats(n, "intercepts").len().max(1);
                (attr_floats(n, "coefficients").len() / rows) as i64
            }
            _ => return None,
        };
        usize::try_from(d).ok().filter(|&d| d > 1)
    }

    fn node(&self, tensor: &str) -> Option<&'a NodeProto> {
        self.producer.get(tensor).map(|&i| &self.g.node[i])
    }

    /// Nodes `output` depends on, in graph order.
    fn slice(&self, output: &str) -> Vec<usize> {
        let mut need = HashSet::new();
        let mut stack = vec![output.to_string()];
        while let Some(t) = stack.pop() {
            if let Some(&i) = self.producer.get(t.as_str()) {
                if need.insert(i) {
                    stack.extend(
                        self.g.node[i]
                            .input
                            .iter()
                            .filter(|s| !s.is_empty())
                            .cloned(),
                    );
                }
            }
        }
        let mut v: Vec<usize> = need.into_iter().collect();
        v.sort_unstable();
        v
    }

    fn constant(&self, name: &str) -> Option<&Tensor> {
        self.consts.get(name)
    }
}

/// Pick the output to reproduce.
fn choose_output(g: &GraphProto, wanted: Option<&str>) -> Result<String> {
    let names: Vec<&str> = g.output.iter().map(|o| o.name.as_str()).collect();
    if let Some(w) = wanted {
        if !names.contains(&w) {
            bail!("no graph output `{w}` (outputs: {})", names.join(", "));
        }
        return Ok(w.to_string());
    }
    if let Some(p) = names.iter().find(|n| n.to_lowercase().contains("prob")) {
        return Ok((*p).to_string());
    }
    let is_float = |o: &proto::ValueInfoProto| {
        o.r#type
            .as_ref()
            .and_then(|t| t.tensor_type.as_ref())
            .is_none_or(|t| {
                t.elem_type == proto::dtype::FLOAT || t.elem_type == proto::dtype::DOUBLE
            })
    };
    let candidates: Vec<&str> = g
        .output
        .iter()
        .filter(|o| is_float(o) && o.name != "label")
        .map(|o| o.name.as_str())
        .collect();
    match candidates.as_slice() {
        [one] => Ok((*one).to_string()),
        [] => bail!(
            "no float output to reproduce (outputs: {})",
            names.join(", ")
        ),
        many => bail!(
            "several outputs could be the score ({}); choose one with --output",
            many.join(", ")
        ),
    }
}

/// Parse and convert an ONNX model.
pub fn import(bytes: &[u8], opts: &ImportOptions) -> Result<Imported> {
    let m = ModelProto::decode(bytes).context("not an ONNX model (protobuf decoding failed)")?;
    let g = m.graph.as_ref().context("the ONNX model has no graph")?;
    let graph = Graph::new(g)?;
    let producer = format!("{} {}", m.producer_name, m.producer_version)
        .trim()
        .to_string();
    let output = choose_output(g, opts.output.as_deref())?;
    let slice = graph.slice(&output);

    let is_iforest = slice.iter().any(|&i| {
        let n = &g.node[i];
        n.op_type == "TreeEnsembleRegressor" && iforest::leaf_id_trick(n)
    });
    let c = if is_iforest {
        iforest::convert(&graph, &slice, &output)?
    } else {
        let val = evaluate(&graph, &slice, &output)?;
        to_model(val, &graph)?
    };
    let mut model = c.model;
    if let Some(t) = opts.threshold {
        if !(0.0..=1.0).contains(&t) {
            bail!("--threshold must be in [0, 1]");
        }
        model.threshold = t;
    }
    Ok(Imported {
        model,
        description: c.description,
        output,
        producer,
        graph: g.clone(),
        score_map: c.score_map,
        layer_nodes: c.layer_nodes,
        splits: c.splits,
    })
}

fn evaluate(graph: &Graph<'_>, slice: &[usize], output: &str) -> Result<Val> {
    let mut vals: HashMap<String, Val> = HashMap::new();
    let identity = Prep::identity;
    let get = |vals: &HashMap<String, Val>, name: &str, n: &NodeProto| -> Result<Val> {
        if let Some(v) = vals.get(name) {
            return Ok(v.clone());
        }
        if let Some(t) = graph.constant(name) {
            return Ok(Val::Const(t.clone()));
        }
        if name == graph.input {
            let d = graph.n_features.ok_or_else(|| {
                err_at(
                    n,
                    "the input's feature count is not in the graph (shape [N, ?])",
                )
            })?;
            return Ok(Val::Input(identity(d)));
        }
        Err(err_at(n, format!("input `{name}` is not available")))
    };
    for &i in slice {
        let n = &graph.g.node[i];
        let ins: Vec<Val> = n
            .input
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| get(&vals, s, n))
            .collect::<Result<_>>()?;
        let outs = apply(n, ins, graph)?;
        for (name, v) in n.output.iter().zip(outs) {
            if let Some(v) = v {
                vals.insert(name.clone(), v);
            }
        }
    }
    vals.remove(output)
        .ok_or_else(|| anyhow!("output `{output}` was not produced by a supported path"))
}

fn open_layer(d: &mut Dense) -> Option<&mut FloatLayer> {
    if d.open {
        d.layers.last_mut()
    } else {
        None
    }
}

/// One node: its output values (`None` for outputs nothing reads).
fn apply(n: &NodeProto, ins: Vec<Val>, graph: &Graph<'_>) -> Result<Vec<Option<Val>>> {
    let op = n.op_type.as_str();
    let one = |v: Val| Ok(vec![Some(v)]);
    let unsupported = |what: &str| -> Result<Vec<Option<Val>>> {
        Err(err_at(n, format!("unsupported here: {what}")))
    };
    match op {
        "Identity" | "Cast" => {
            let v = ins.into_iter().next().ok_or_else(|| err_at(n, "no input"))?;
            if op == "Cast" {
                let to = attr_i(n, "to", 1);
                if to != i64::from(proto::dtype::FLOAT) && to != i64::from(proto::dtype::DOUBLE) {
                    return unsupported("a cast to a non-float type");
                }
            }
            one(v)
        }
        "Constant" => {
            let t = if let Some(t) = attr(n, "value").and_then(|a| a.t.as_ref()) {
                Tensor {
                    dims: t.dims.clone(),
                    data: t.values()?,
                }
            } else if let Some(a) = attr(n, "value_float") {
                Tensor {
                    dims: vec![],
                    data: vec![f64::from(a.f)],
                }
            } else if attr(n, "value_floats").is_some() {
                let d = attr_floats(n, "value_floats");
                Tensor {
                    dims: vec![d.len() as i64],
                    data: d,
                }
            } else {
                return unsupported("a Constant without a float value");
            };
            one(Val::Const(t))
        }
        "Scaler" => match ins.into_iter().next() {
            Some(Val::Input(mut a)) => {
                let d = a.scale.len();
                let off = attr_floats(n, "offset");
                let sc = attr_floats(n, "scale");
                let off = broadcast(n, &Tensor { dims: vec![], data: if off.is_empty() { vec![0.0] } else { off } }, d)?;
                let sc = broadcast(n, &Tensor { dims: vec![], data: if sc.is_empty() { vec![1.0] } else { sc } }, d)?;
                for j in 0..d {
                    a.offset[j] = (a.offset[j] - off[j]) * sc[j];
                    a.scale[j] *= sc[j];
                }
                one(Val::Input(a))
            }
            Some(v) => unsupported(&format!("Scaler on {}", v.kind())),
            None => Err(err_at(n, "no input")),
        },
        "Abs" | "Sign" => match ins.into_iter().next() {
            Some(Val::Input(a)) => {
                if a.log1p.iter().any(|&l| l) || !a.before_affine() {
                    return unsupported(&format!(
                        "{op} of an input already scaled or logged: the core's signed log1p comes after clipping and before the affine step (standardise after the log1p)"
                    ));
                }
                let part = if op == "Abs" { Log1pPart::Abs } else { Log1pPart::Sign };
                one(Val::Log1pPart(part, a))
            }
            Some(v) => unsupported(&format!("{op} of {} (only a signed log1p of the input is supported)", v.kind())),
            None => Err(err_at(n, "no input")),
        },
        "Log" => match ins.into_iter().next() {
            Some(Val::Log1pPart(Log1pPart::AbsPlusOne, a)) => one(Val::Log1pPart(Log1pPart::Log1pAbs, a)),
            // log(x + 1) of an input clipped at 0 or above (e.g.
            // `torch.log1p(torch.clamp(x, min=0))`): there it is the signed
            // log1p.
            Some(Val::Input(mut a))
                if (0..a.len()).all(|j| {
                    a.scale[j] == 1.0 && a.offset[j] == 1.0 && !a.log1p[j] && a.clip_lo[j].is_some_and(|lo| lo >= 0.0)
                }) =>
            {
                a.offset.iter_mut().for_each(|o| *o = 0.0);
                a.log1p.iter_mut().for_each(|l| *l = true);
                one(Val::Input(a))
            }
            Some(v) => unsupported(&format!("Log of {} (only Log(Abs(x) + 1) of a signed log1p)", v.kind())),
            None => Err(err_at(n, "no input")),
        },
        "Clip" | "Min" | "Max" => {
            // Clip's min and max are optional inputs 1 and 2 (opset >= 11)
            // or attributes (before); Min/Max take any number of inputs.
            let named: Vec<&String> = n.input.iter().filter(|s| !s.is_empty()).collect();
            let mut x = None;
            let mut lo = vec![f64::NEG_INFINITY];
            let mut hi = vec![f64::INFINITY];
            if op == "Clip" {
                if let Some(a) = attr(n, "min") {
                    lo = vec![f64::from(a.f)];
                }
                if let Some(a) = attr(n, "max") {
                    hi = vec![f64::from(a.f)];
                }
            }
            for (name, v) in named.into_iter().zip(ins) {
                let pos = n.input.iter().position(|s| s == name).unwrap_or(0);
                match v {
                    Val::Const(c) if op == "Clip" && pos == 1 => lo = c.data,
                    Val::Const(c) if op == "Clip" && pos == 2 => hi = c.data,
                    Val::Const(c) if op == "Max" => {
                        lo = c.data;
                    }
                    Val::Const(c) if op == "Min" => {
                        hi = c.data;
                    }
                    Val::Input(a) if x.is_none() => x = Some(a),
                    other => return unsupported(&format!("{op} of {} (a per-feature clip of the input by constants)", other.kind())),
                }
            }
            let Some(mut a) = x else {
                return unsupported(&format!("{op} of constants only"));
            };
            let d = a.len();
            let lo = broadcast(n, &Tensor { dims: vec![], data: lo }, d)?;
            let hi = broadcast(n, &Tensor { dims: vec![], data: hi }, d)?;
            for j in 0..d {
                if lo[j] > hi[j] {
                    return Err(err_at(n, format!("clip bounds {} > {} on input column {j}", lo[j], hi[j])));
                }
                a.clip(j, lo[j], hi[j]);
            }
            one(Val::Input(a))
        }
        "Add" | "Sub" | "Mul" | "Div" => {
            let mut it = ins.into_iter();
            let (a, b) = (
                it.next().ok_or_else(|| err_at(n, "two inputs expected"))?,
                it.next().ok_or_else(|| err_at(n, "two inputs expected"))?,
            );
            elementwise(n, op, a, b)
        }
        "MatMul" | "Gemm" => {
            let mut it = ins.into_iter();
            let x = it.next().ok_or_else(|| err_at(n, "no input"))?;
            let Some(Val::Const(w)) = it.next() else {
                return unsupported("weights that are not a constant");
            };
            let bias = match it.next() {
                Some(Val::Const(c)) => Some(c),
                Some(v) => return unsupported(&format!("a bias that is {}", v.kind())),
                None => None,
            };
            if w.dims.len() != 2 {
                return unsupported("weights that are not a matrix");
            }
            let (r, c) = (w.dims[0] as usize, w.dims[1] as usize);
            let trans_b = op == "Gemm" && attr_i(n, "transB", 0) != 0;
            if op == "Gemm" && attr_i(n, "transA", 0) != 0 {
                return unsupported("Gemm with transA");
            }
            let alpha = if op == "Gemm" { attr_f(n, "alpha", 1.0) } else { 1.0 };
            let beta = if op == "Gemm" { attr_f(n, "beta", 1.0) } else { 1.0 };
            // Output-major weights: fan_out × fan_in.
            let (fan_in, fan_out) = if trans_b { (c, r) } else { (r, c) };
            let mut weights = vec![0.0; fan_in * fan_out];
            for o in 0..fan_out {
                for i in 0..fan_in {
                    let v = if trans_b { w.data[o * c + i] } else { w.data[i * c + o] };
                    weights[o * fan_in + i] = alpha * v;
                }
            }
            let biases = match bias {
                Some(b) => broadcast(n, &b, fan_out)?.into_iter().map(|v| beta * v).collect(),
                None => vec![0.0; fan_out],
            };
            let layer = FloatLayer {
                weights,
                biases,
                activation: Activation::Identity,
            };
            match x {
                Val::Input(a) => {
                    if a.scale.len() != fan_in {
                        return Err(err_at(n, format!("weights for {fan_in} inputs, the model has {}", a.scale.len())));
                    }
                    one(Val::Dense(Dense {
                        input: a,
                        names: vec![node_name(n)],
                        layers: vec![layer],
                        open: true,
                    }))
                }
                Val::Dense(mut d) if !d.open => {
                    let prev = d.layers.last().map_or(0, |l| l.biases.len());
                    if prev != fan_in {
                        return Err(err_at(n, format!("weights for {fan_in} inputs after a layer of {prev}")));
                    }
                    d.layers.push(layer);
                    d.names.push(node_name(n));
                    d.open = true;
                    one(Val::Dense(d))
                }
                Val::Dense(_) => unsupported("two linear layers without an activation between them"),
                v => unsupported(&format!("{op} on {}", v.kind())),
            }
        }
        "Relu" | "Sigmoid" | "Tanh" | "HardSigmoid" => {
            let act = match op {
                "Relu" => Activation::Relu,
                "Sigmoid" => Activation::Sigmoid,
                "Tanh" => Activation::Tanh,
                _ => {
                    let (alpha, beta) = (attr_f(n, "alpha", 0.2), attr_f(n, "beta", 0.5));
                    if (alpha - 1.0 / 6.0).abs() > 1e-6 || (beta - 0.5).abs() > 1e-6 {
                        return unsupported("HardSigmoid other than alpha = 1/6, beta = 1/2");
                    }
                    Activation::HardSigmoid
                }
            };
            match ins.into_iter().next() {
                Some(Val::Dense(mut d)) if d.open => {
                    if let Some(l) = d.layers.last_mut() {
                        l.activation = act;
                    }
                    d.open = false;
                    one(Val::Dense(d))
                }
                Some(v) => unsupported(&format!("{op} on {} (it must follow a linear layer)", v.kind())),
                None => Err(err_at(n, "no input")),
            }
        }
        "LinearClassifier" => {
            let Some(Val::Input(a)) = ins.into_iter().next() else {
                return unsupported("LinearClassifier on something other than the (scaled) input");
            };
            let d = a.scale.len();
            let coef = attr_floats(n, "coefficients");
            let icpt = attr_floats(n, "intercepts");
            let post = attr_s(n, "post_transform").unwrap_or_else(|| "NONE".into());
            let rows = coef.len() / d.max(1);
            if rows * d != coef.len() || icpt.len() != rows {
                return Err(err_at(n, format!("{} coefficients and {} intercepts for {d} features", coef.len(), icpt.len())));
            }
            let (w, b) = match (rows, post.as_str()) {
                (1, "LOGISTIC") => (coef.clone(), icpt[0]),
                (2, "LOGISTIC") => {
                    // skl2onnx writes [-w, w]: class 1's logistic is p.
                    let mirrored = coef[..d].iter().zip(&coef[d..]).all(|(x, y)| (x + y).abs() <= 1e-6 * (1.0 + y.abs()))
                        && (icpt[0] + icpt[1]).abs() <= 1e-6 * (1.0 + icpt[1].abs());
                    if !mirrored {
                        return unsupported("a two-row LOGISTIC LinearClassifier whose rows are not opposite");
                    }
                    (coef[d..].to_vec(), icpt[1])
                }
                (2, "SOFTMAX") => (
                    coef[d..].iter().zip(&coef[..d]).map(|(x, y)| x - y).collect(),
                    icpt[1] - icpt[0],
                ),
                _ => {
                    return unsupported(&format!(
                        "LinearClassifier with {rows} classes and post_transform {post} (binary LOGISTIC or SOFTMAX only)"
                    ))
                }
            };
            let dense = Val::Dense(Dense {
                input: a,
                names: vec![node_name(n)],
                layers: vec![FloatLayer {
                    weights: w,
                    biases: vec![b],
                    activation: Activation::Sigmoid,
                }],
                open: false,
            });
            Ok(vec![None, Some(Val::Pair(Box::new(dense)))])
        }
        "Normalizer" | "ZipMap" => match ins.into_iter().next() {
            Some(Val::Pair(p)) => one(Val::Pair(p)),
            Some(v) => unsupported(&format!("{op} on {}", v.kind())),
            None => Err(err_at(n, "no input")),
        },
        "Concat" => {
            let axis = attr_i(n, "axis", 1);
            match (axis, ins.as_slice()) {
                (1 | -1, [Val::Complement(a), b]) => {
                    let (Val::Dense(_) | Val::Trees(_)) = b else {
                        return unsupported("Concat of [1 - p, q] with q not a score");
                    };
                    one(Val::Pair(a.clone()))
                }
                _ => unsupported("Concat other than [1 - p, p] along axis 1"),
            }
        }
        "TreeEnsembleClassifier" | "TreeEnsembleRegressor" => {
            let Some(Val::Input(a)) = ins.into_iter().next() else {
                return unsupported("a tree ensemble on something other than the (scaled) input");
            };
            let t = tree_ensemble(n, a)?;
            if op == "TreeEnsembleClassifier" {
                Ok(vec![None, Some(Val::Pair(Box::new(Val::Trees(t))))])
            } else {
                one(Val::Trees(t))
            }
        }
        _ => Err(anyhow!(
            "unsupported ONNX op `{}` (domain `{}`) at node `{}`, on the path to the score; vigil import supports {SUPPORTED_OPS}",
            n.op_type,
            if n.domain.is_empty() { "ai.onnx" } else { &n.domain },
            node_name(n)
        ))
        .context(format!("graph `{}`", graph.g.name)),
    }
}

fn elementwise(n: &NodeProto, op: &str, a: Val, b: Val) -> Result<Vec<Option<Val>>> {
    let bad = |a: &Val, b: &Val| err_at(n, format!("{op} of {} and {}", a.kind(), b.kind()));
    let out = match (op, a, b) {
        // Per-feature affine steps on the input.
        ("Add" | "Sub" | "Mul" | "Div", Val::Input(mut x), Val::Const(c)) => {
            let d = x.scale.len();
            let c = broadcast(n, &c, d)?;
            for ((scale, offset), cj) in x.scale.iter_mut().zip(x.offset.iter_mut()).zip(c) {
                match op {
                    "Add" => *offset += cj,
                    "Sub" => *offset -= cj,
                    "Mul" => {
                        *scale *= cj;
                        *offset *= cj;
                    }
                    _ => {
                        if cj == 0.0 {
                            return Err(err_at(n, "division by zero"));
                        }
                        *scale /= cj;
                        *offset /= cj;
                    }
                }
            }
            Val::Input(x)
        }
        ("Add" | "Mul", Val::Const(c), Val::Input(x)) => {
            return elementwise(n, op, Val::Input(x), Val::Const(c));
        }
        // Signed log1p: Abs(x) + 1, then Sign(x) · Log(Abs(x) + 1).
        ("Add", Val::Log1pPart(Log1pPart::Abs, x), Val::Const(c))
        | ("Add", Val::Const(c), Val::Log1pPart(Log1pPart::Abs, x)) => {
            if !c.data.iter().all(|&v| v == 1.0) {
                return Err(err_at(
                    n,
                    "Abs(x) + c with c other than 1 (the core's log1p is log(1 + |x|))",
                ));
            }
            Val::Log1pPart(Log1pPart::AbsPlusOne, x)
        }
        ("Mul", Val::Log1pPart(Log1pPart::Sign, a), Val::Log1pPart(Log1pPart::Log1pAbs, b))
        | ("Mul", Val::Log1pPart(Log1pPart::Log1pAbs, b), Val::Log1pPart(Log1pPart::Sign, a)) => {
            if a != b {
                return Err(err_at(
                    n,
                    "Sign and Log(Abs + 1) of differently preprocessed inputs",
                ));
            }
            let mut x = a;
            x.log1p.iter_mut().for_each(|l| *l = true);
            Val::Input(x)
        }
        // Bias and scale of an open dense layer.
        ("Add" | "Sub" | "Mul" | "Div", Val::Dense(mut d), Val::Const(c)) if d.open => {
            let l = open_layer(&mut d).ok_or_else(|| err_at(n, "no open layer"))?;
            let width = l.biases.len();
            let c = broadcast(n, &c, width)?;
            let fan_in = l.weights.len() / width;
            for ((bias, row), cj) in l.biases.iter_mut().zip(l.weights.chunks_mut(fan_in)).zip(c) {
                match op {
                    "Add" => *bias += cj,
                    "Sub" => *bias -= cj,
                    _ => {
                        let k = if op == "Mul" { cj } else { 1.0 / cj };
                        *bias *= k;
                        row.iter_mut().for_each(|w| *w *= k);
                    }
                }
            }
            Val::Dense(d)
        }
        ("Add" | "Mul", Val::Const(c), Val::Dense(d)) if d.open => {
            return elementwise(n, op, Val::Dense(d), Val::Const(c));
        }
        // 1 - p.
        ("Sub", Val::Const(c), p @ (Val::Dense(_) | Val::Trees(_)))
            if c.data.len() == 1 && c.data[0] == 1.0 =>
        {
            Val::Complement(Box::new(p))
        }
        (_, a, b) => return Err(bad(&a, &b)),
    };
    Ok(vec![Some(out)])
}

/// Read a `TreeEnsembleClassifier`/`Regressor` into raw trees.
fn tree_ensemble(n: &NodeProto, input: Prep) -> Result<Trees> {
    let classifier = n.op_type == "TreeEnsembleClassifier";
    let post = attr_s(n, "post_transform").unwrap_or_else(|| "NONE".into());
    let tree_ids = attr_ints(n, "nodes_treeids");
    let node_ids = attr_ints(n, "nodes_nodeids");
    let features = attr_ints(n, "nodes_featureids");
    let modes = attr_strings(n, "nodes_modes");
    let mut values = attr_floats(n, "nodes_values");
    if values.is_empty() {
        values = attr_floats(n, "nodes_values_as_tensor");
    }
    let trues = attr_ints(n, "nodes_truenodeids");
    let falses = attr_ints(n, "nodes_falsenodeids");
    let len = tree_ids.len();
    for (name, l) in [
        ("nodes_nodeids", node_ids.len()),
        ("nodes_featureids", features.len()),
        ("nodes_modes", modes.len()),
        ("nodes_values", values.len()),
        ("nodes_truenodeids", trues.len()),
        ("nodes_falsenodeids", falses.len()),
    ] {
        if l != len {
            return Err(err_at(
                n,
                format!("{name} has {l} entries, nodes_treeids {len}"),
            ));
        }
    }
    let prefix = if classifier { "class" } else { "target" };
    let w_tree = attr_ints(n, &format!("{prefix}_treeids"));
    let w_node = attr_ints(n, &format!("{prefix}_nodeids"));
    let w_id = attr_ints(n, &format!("{prefix}_ids"));
    let mut w_val = attr_floats(n, &format!("{prefix}_weights"));
    if w_val.is_empty() {
        w_val = attr_floats(n, &format!("{prefix}_weights_as_tensor"));
    }
    if w_tree.len() != w_val.len() || w_node.len() != w_val.len() || w_id.len() != w_val.len() {
        return Err(err_at(n, "leaf weight arrays of different lengths"));
    }
    let ids: HashSet<i64> = w_id.iter().copied().collect();
    // The positive class's column: class id 1, or in scikit-learn's binary
    // case (one weight column for two labels) column 0, which onnxruntime
    // reports as the probability of class 1.
    let positive = if classifier {
        let labels = attr_ints(n, "classlabels_int64s")
            .len()
            .max(attr_strings(n, "classlabels_strings").len());
        if labels != 2 {
            return Err(err_at(
                n,
                format!("{labels} class labels; vigil models are binary"),
            ));
        }
        if ids.contains(&1) {
            1
        } else {
            0
        }
    } else {
        if attr_i(n, "n_targets", 1) != 1 {
            return Err(err_at(n, "more than one regression target"));
        }
        0
    };
    let base_values = attr_floats(n, "base_values");
    let base = base_values
        .get(if base_values.len() > 1 {
            positive as usize
        } else {
            0
        })
        .copied()
        .unwrap_or(0.0);
    let gbdt = match (classifier, post.as_str()) {
        (true, "LOGISTIC") => {
            if ids.len() > 1 {
                return Err(err_at(
                    n,
                    "a logistic ensemble with weights for both classes",
                ));
            }
            true
        }
        (_, "NONE") => false,
        _ => {
            return Err(err_at(
                n,
                format!("post_transform {post} (LOGISTIC for boosting, NONE for forests)"),
            ))
        }
    };
    let aggregate = attr_s(n, "aggregate_function").unwrap_or_else(|| "SUM".into());
    if aggregate != "SUM" && aggregate != "AVERAGE" {
        return Err(err_at(n, format!("aggregate_function {aggregate}")));
    }
    let mut trees: std::collections::BTreeMap<i64, RawTree> = Default::default();
    for k in 0..len {
        let f = usize::try_from(features[k]).map_err(|_| err_at(n, "negative feature id"))?;
        if modes[k] != "LEAF" && f >= input.scale.len() {
            return Err(err_at(
                n,
                format!("feature {f} of a model with {} inputs", input.scale.len()),
            ));
        }
        trees.entry(tree_ids[k]).or_default().nodes.insert(
            node_ids[k],
            RawNode {
                feature: f,
                mode: modes[k].clone(),
                threshold: values[k],
                true_id: trues[k],
                false_id: falses[k],
                leaf: 0.0,
                weight: 1.0,
            },
        );
    }
    for k in 0..w_val.len() {
        if w_id[k] != positive {
            continue;
        }
        let node = trees
            .get_mut(&w_tree[k])
            .and_then(|t| t.nodes.get_mut(&w_node[k]))
            .ok_or_else(|| {
                err_at(
                    n,
                    format!("a leaf weight for missing node {}/{}", w_tree[k], w_node[k]),
                )
            })?;
        node.leaf += w_val[k];
    }
    let n_trees = trees.len() as f64;
    let trees: Vec<RawTree> = trees.into_values().collect();
    // Forests: the core averages leaves, so a sum becomes n · leaf; the base
    // is spread over the trees.
    let trees = if gbdt {
        trees
    } else {
        let k = if aggregate == "AVERAGE" { 1.0 } else { n_trees };
        trees
            .into_iter()
            .map(|mut t| {
                for nd in t.nodes.values_mut() {
                    nd.leaf = nd.leaf * k + base;
                }
                t
            })
            .collect()
    };
    Ok(Trees {
        input,
        gbdt,
        base: if gbdt { base } else { 0.0 },
        what: format!(
            "{} ({} trees, {})",
            n.op_type,
            n_trees,
            if gbdt {
                "logistic: gradient boosting"
            } else {
                "averaged: random forest"
            }
        ),
        trees,
    })
}

/// The core's stored transform for a real one (what quantisation writes).
fn core_feature(f: &FloatFeature) -> FeatureTransform {
    let probe = FloatModel {
        threshold: 0.5,
        features: vec![f.clone()],
        body: FloatBody::Linear(FloatLayer {
            weights: vec![0.0],
            biases: vec![0.0],
            activation: Activation::Identity,
        }),
    };
    probe.quantize(&QuantizeOptions::default()).features[0]
}

/// The decision boundary in exact input units that reproduces
/// onnxruntime's comparison of the `f32`-rounded input with an `f32`
/// threshold: `f32(x) <= t` ⇔ `x <=` the midpoint to the next `f32` up;
/// `f32(x) < t` ⇔ `x <` the midpoint to the next `f32` down.
fn f32_boundary(t: f64, strict: bool) -> f64 {
    let f = t as f32;
    if f64::from(f) != t || !f.is_finite() {
        return t;
    }
    let bits = f.to_bits();
    let step = |up: bool| {
        // The neighbouring f32 in the direction `up` (sign-magnitude bits).
        let b = match (f >= 0.0, up) {
            (true, true) => bits + 1,
            (true, false) if f == 0.0 => 0x8000_0001,
            (true, false) => bits - 1,
            (false, true) if bits == 0x8000_0000 => 1,
            (false, true) => bits - 1,
            (false, false) => bits + 1,
        };
        f64::from(f32::from_bits(b))
    };
    let other = step(!strict);
    if !other.is_finite() {
        return t;
    }
    (t + other) / 2.0
}

/// Signed `log1p`, as the core's preprocessing computes it.
fn slog1p(x: f64) -> f64 {
    x.signum() * x.abs().ln_1p()
}

/// `z = (y - c) · m` with `y`'s thresholds within ±16384 of the centre and
/// the offset `-c·m` inside the `I16F16` range: comparisons with every
/// threshold survive saturation of far-away inputs.
fn centre_and_multiplier(lo: f64, hi: f64) -> (f64, f64) {
    let c = (lo + hi) / 2.0;
    let h = (hi - lo) / 2.0;
    // As fine as the thresholds allow: onnxruntime decides on the input
    // rounded to f32, whose rounding boundaries the core must resolve.
    let mut m = 2f64.powi(30);
    if h > 0.0 {
        m = m.min(16384.0 / h);
    }
    if c != 0.0 {
        m = m.min(16384.0 / c.abs());
    }
    (c, m.log2().floor().exp2())
}

/// Choose per-feature transforms for trees from the thresholds (in raw
/// input units) each feature is compared with, and lay the trees out.
///
/// Each feature is mapped linearly, `z = (x - c)·m`, or, when its
/// thresholds span orders of magnitude that a linear map into `I16F16`
/// cannot resolve, through the core's signed `log1p` first (monotone, so
/// every comparison keeps its direction). Each stored threshold is then the
/// core's own transform of the threshold (the boundary onnxruntime's `f32`
/// comparison draws), so the core's decision differs from the graph's only
/// for inputs within the transform's resolution of a threshold.
fn trees_to_ensemble(
    t: &Trees,
    n_features: usize,
) -> Result<(Vec<FloatFeature>, FloatEnsemble, Vec<Vec<Split>>)> {
    // Raw thresholds per feature: v = s·x + o, so v <= t ⇔ x <= (t - o)/s.
    let mut raw: Vec<Vec<f64>> = vec![Vec::new(); n_features];
    for tree in &t.trees {
        for nd in tree.nodes.values() {
            if nd.mode == "LEAF" {
                continue;
            }
            let s = t.input.scale[nd.feature];
            if s <= 0.0 {
                bail!(
                    "feature {} is scaled by {s} before the trees; only positive scales are supported",
                    nd.feature
                );
            }
            raw[nd.feature].push(t.input.raw_of(nd.feature, nd.threshold));
        }
    }
    let mut features = Vec::with_capacity(n_features);
    for (j, r) in raw.iter().enumerate() {
        // The graph's clip bounds stay (in raw units); its log1p and
        // affine step are folded into the thresholds.
        let (clip_lo, clip_hi) = if j < t.input.len() {
            (t.input.clip_lo[j], t.input.clip_hi[j])
        } else {
            (None, None)
        };
        if r.is_empty() {
            features.push(FloatFeature {
                clip_lo,
                clip_hi,
                ..FloatFeature::IDENTITY
            });
            continue;
        }
        let lo = r.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = r.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (c, m) = centre_and_multiplier(lo, hi);
        let (cl, ml) = centre_and_multiplier(slog1p(lo), slog1p(hi));
        // Resolution at each threshold, in input units, against the f32
        // spacing the graph itself has there.
        let tol = |x: f64| x.abs().max(1e-3) * f64::EPSILON * 2f64.powi(29);
        let worst =
            |band: &dyn Fn(f64) -> f64| r.iter().map(|&x| band(x) / tol(x)).fold(0.0f64, f64::max);
        let lin = worst(&|_| 2f64.powi(-16) / m);
        let log = worst(&|x: f64| (1.0 + x.abs()) * (2f64.powi(-16) / ml + 6e-8));
        let use_log = lin > 1.0 && log * 4.0 < lin;
        let (c, m) = if use_log { (cl, ml) } else { (c, m) };
        // A centre on the 2^-16 grid of z keeps the stored offset exact.
        let c = (c * m * 65536.0).round() / (m * 65536.0);
        features.push(FloatFeature {
            clip_lo,
            clip_hi,
            log1p: use_log,
            mean: c,
            std: 1.0 / m,
        });
    }
    let cores: Vec<FeatureTransform> = features.iter().map(core_feature).collect();
    let mut splits: Vec<Vec<Split>> = vec![Vec::new(); n_features];
    let mut trees = Vec::with_capacity(t.trees.len());
    for (k, tree) in t.trees.iter().enumerate() {
        let root = tree
            .nodes
            .keys()
            .copied()
            .find(|id| {
                !tree
                    .nodes
                    .values()
                    .any(|n| n.mode != "LEAF" && (n.true_id == *id || n.false_id == *id))
            })
            .with_context(|| format!("tree {k} has no root"))?;
        let mut out = Vec::new();
        let mut ctx = Emit {
            tree,
            input: &t.input,
            cores: &cores,
            out: &mut out,
            splits: &mut splits,
        };
        ctx.emit(root, 0).with_context(|| format!("tree {k}"))?;
        if out.len() > usize::from(u16::MAX) {
            bail!("tree {k} has {} nodes; the format allows 65535", out.len());
        }
        trees.push(out);
    }
    Ok((
        features,
        FloatEnsemble {
            base: t.base,
            trees,
        },
        splits,
    ))
}

struct Emit<'a> {
    tree: &'a RawTree,
    input: &'a Prep,
    cores: &'a [FeatureTransform],
    out: &'a mut Vec<FloatNode>,
    splits: &'a mut Vec<Vec<Split>>,
}

impl Emit<'_> {
    /// Emit a subtree in pre-order; returns (mean leaf value, weight).
    fn emit(&mut self, id: i64, depth: usize) -> Result<(f64, f64)> {
        if depth > 32 {
            bail!("deeper than 32 levels (the format's limit)");
        }
        let nd = self
            .tree
            .nodes
            .get(&id)
            .with_context(|| format!("missing node {id}"))?;
        if nd.mode == "LEAF" {
            self.out.push(FloatNode {
                feature: LEAF,
                right: 0,
                value: nd.leaf,
                mean: nd.leaf,
            });
            return Ok((nd.leaf, nd.weight));
        }
        // The core sends x left when its I16F16 bits are <= the threshold bits.
        let (strict, left, right) = match nd.mode.as_str() {
            "BRANCH_LEQ" => (false, nd.true_id, nd.false_id),
            "BRANCH_LT" => (true, nd.true_id, nd.false_id),
            "BRANCH_GT" => (false, nd.false_id, nd.true_id),
            "BRANCH_GTE" => (true, nd.false_id, nd.true_id),
            other => bail!("node {id}: split mode {other} is not supported (LEQ, LT, GT, GTE)"),
        };
        let raw = self.input.raw_of(nd.feature, nd.threshold);
        let identity = self.input.is_identity(nd.feature);
        let boundary = if identity {
            f32_boundary(raw, strict)
        } else {
            raw
        };
        let ft = &self.cores[nd.feature];
        let bits = if ft.clip_lo.is_none() && ft.clip_hi.is_none() {
            // The boundary's real image `q = offset + y(b)·S` in `I16F16`
            // bits (`y` the signed log1p or the identity, `S =
            // scale·2^(16-shift)`), not the image of `b` rounded to the
            // input grid first: a LightGBM threshold of -1e-35 (its "zero"
            // split) must send an input of exactly 0 right. The core rounds
            // to the nearest bit, so the bits `k <= q` (`k < q` when strict)
            // are those whose inputs lie mostly on the left, and inputs that
            // land exactly on a bit (0 among them) are decided exactly.
            let y = if ft.log1p { slog1p(boundary) } else { boundary };
            let p = y * f64::from(ft.scale) * 2f64.powi(16 - i32::from(ft.shift));
            let k = if strict { p.ceil() - 1.0 } else { p.floor() };
            let k = if k.is_finite() {
                k.clamp(-(2f64.powi(40)), 2f64.powi(40)) as i64
            } else {
                0
            };
            (i64::from(ft.offset) + k).clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
        } else {
            let core = ft.apply(Wide::saturating_from_num(boundary)).to_bits();
            let below_clip = ft
                .clip_lo
                .is_some_and(|lo| Wide::saturating_from_num(boundary) < lo);
            // x <= b ⇒ core(x) <= core(b) (the transform is monotone); for a
            // strict boundary, b itself goes right; below the lower clip
            // bound every input goes right, the bound's own image too.
            if strict || below_clip {
                core.saturating_sub(1)
            } else {
                core
            }
        };
        self.splits[nd.feature].push(Split {
            threshold: raw,
            bits,
            strict,
        });
        let at = self.out.len();
        self.out.push(FloatNode {
            feature: nd.feature as u16,
            right: 0,
            value: f64::from(bits) / 65536.0,
            mean: 0.0,
        });
        let (ml, wl) = self.emit(left, depth + 1)?;
        self.out[at].right = self.out.len() as u16;
        let (mr, wr) = self.emit(right, depth + 1)?;
        let w = wl + wr;
        self.out[at].mean = (ml * wl + mr * wr) / w;
        Ok((self.out[at].mean, w))
    }
}

/// Feature transforms of a dense model from the input affine map, folding
/// signs and zero scales into the first layer.
///
/// Each input column is then scaled by its largest first-layer weight: the
/// column's scale moves into the feature's standardisation and the column's
/// weights become at most 1 in magnitude. A standardisation folded into the
/// first layer (`W · diag(1/σ)`, weights spanning many orders of magnitude)
/// is thereby undone, and the per-row `i16` weights keep their resolution
/// for every input.
fn dense_model(mut d: Dense) -> Result<(Vec<FloatFeature>, Vec<FloatLayer>)> {
    let n = d.input.scale.len();
    let first = d.layers.first_mut().context("no layer")?;
    let fan_out = first.biases.len();
    let mut features = Vec::with_capacity(n);
    for j in 0..n {
        let (s, o) = (d.input.scale[j], d.input.offset[j]);
        if s == 0.0 {
            // A constant input: its contribution moves into the biases.
            for k in 0..fan_out {
                first.biases[k] += first.weights[k * n + j] * o;
                first.weights[k * n + j] = 0.0;
            }
            features.push(FloatFeature::IDENTITY);
        } else {
            // v = s·x + o = sign(s) · (x - mean) / std with std = 1/|s|.
            if s < 0.0 {
                for k in 0..fan_out {
                    first.weights[k * n + j] = -first.weights[k * n + j];
                }
            }
            // Column scale: v' = c·v with c the column's largest weight.
            let c = (0..fan_out)
                .map(|k| first.weights[k * n + j].abs())
                .fold(0.0f64, f64::max);
            let c = if c > 0.0 && c.is_finite() { c } else { 1.0 };
            for k in 0..fan_out {
                first.weights[k * n + j] /= c;
            }
            features.push(d.input.feature(j, -o / s, 1.0 / (s.abs() * c)));
        }
    }
    Ok((features, d.layers))
}

/// The graph's clipping and signed `log1p`, in words ("" when none).
fn prep_words(a: &Prep) -> String {
    let mut s = String::new();
    let clipped = a
        .clip_lo
        .iter()
        .zip(&a.clip_hi)
        .filter(|(l, h)| l.is_some() || h.is_some())
        .count();
    if clipped > 0 {
        s.push_str(&format!("clip ({clipped} inputs) + "));
    }
    let logged = a.log1p.iter().filter(|&&l| l).count();
    if logged > 0 {
        s.push_str(&format!("signed log1p ({logged} inputs) + "));
    }
    s
}

/// A converted model and what import needs to check it.
struct Converted {
    model: FloatModel,
    description: String,
    layer_nodes: Vec<String>,
    splits: Vec<Vec<Split>>,
    score_map: ScoreMap,
}

fn to_model(v: Val, graph: &Graph<'_>) -> Result<Converted> {
    let v = match v {
        Val::Pair(p) => *p,
        other => other,
    };
    match v {
        Val::Dense(d) => {
            let last = d.layers.last().context("no layer")?;
            if last.biases.len() != 1 {
                bail!(
                    "the score has {} columns; a binary model ends in one output (a sigmoid) or two-class probabilities",
                    last.biases.len()
                );
            }
            let act = last.activation;
            if !matches!(
                act,
                Activation::Sigmoid | Activation::HardSigmoid | Activation::Identity
            ) {
                bail!(
                    "the output layer ends in {act:?}; a score needs sigmoid, hard sigmoid or none"
                );
            }
            let shape: Vec<String> = std::iter::once(d.input.scale.len())
                .chain(d.layers.iter().map(|l| l.biases.len()))
                .map(|w| w.to_string())
                .collect();
            let scaled =
                d.input.scale.iter().any(|&s| s != 1.0) || d.input.offset.iter().any(|&o| o != 0.0);
            let prep = prep_words(&d.input);
            let layer_nodes = d.names.clone();
            let (features, layers) = dense_model(d)?;
            let (body, what) = if layers.len() == 1 {
                (
                    FloatBody::Linear(layers.into_iter().next().context("no layer")?),
                    "logistic regression",
                )
            } else {
                (FloatBody::Mlp(layers), "MLP")
            };
            Ok(Converted {
                model: FloatModel {
                    threshold: 0.5,
                    features,
                    body,
                },
                description: format!(
                    "{prep}{}{what} {}",
                    if scaled { "input scaling + " } else { "" },
                    shape.join("-")
                ),
                layer_nodes,
                splits: Vec::new(),
                score_map: ScoreMap::Probability,
            })
        }
        Val::Trees(t) => {
            let n = graph.n_features.unwrap_or(t.input.scale.len());
            let (features, e, splits) = trees_to_ensemble(&t, n)?;
            let body = if t.gbdt {
                FloatBody::Gbdt(e)
            } else {
                FloatBody::RandomForest(e)
            };
            Ok(Converted {
                model: FloatModel {
                    // scikit-learn labels class 1 when p1 > p0, i.e. p > 1/2
                    // strictly: the threshold is one U1F31 step above 1/2.
                    threshold: 0.5 + 2f64.powi(-31),
                    features,
                    body,
                },
                description: t.what,
                layer_nodes: Vec::new(),
                splits,
                score_map: ScoreMap::Probability,
            })
        }
        other => bail!("the output is {}, not a score", other.kind()),
    }
}

/// scikit-learn's `IsolationForest` as skl2onnx writes it.
mod iforest {
    use super::*;

    /// A `TreeEnsembleRegressor` whose leaves output their own node ids
    /// (skl2onnx's way of getting leaf ids for the isolation forest).
    pub(super) fn leaf_id_trick(n: &NodeProto) -> bool {
        let ids = attr_ints(n, "target_nodeids");
        let w = attr_floats(n, "target_weights");
        !ids.is_empty() && ids.len() == w.len() && ids.iter().zip(&w).all(|(&i, &v)| i as f64 == v)
    }

    fn depths(tree: &RawTree, root: i64) -> HashMap<i64, usize> {
        let mut out = HashMap::new();
        let mut stack = vec![(root, 0usize)];
        while let Some((id, d)) = stack.pop() {
            if let Some(nd) = tree.nodes.get(&id) {
                if nd.mode == "LEAF" {
                    out.insert(id, d);
                } else if d < 64 {
                    stack.push((nd.true_id, d + 1));
                    stack.push((nd.false_id, d + 1));
                }
            }
        }
        out
    }

    /// Convert: leaves hold `depth + c(samples)`, the normaliser is the
    /// graph's divisor over the number of trees, the threshold the graph's
    /// offset (`-offset_`).
    pub(super) fn convert(graph: &Graph<'_>, slice: &[usize], output: &str) -> Result<Converted> {
        let g = graph.g;
        let consumers = |t: &str| -> Vec<&NodeProto> {
            slice
                .iter()
                .map(|&i| &g.node[i])
                .filter(|n| n.input.iter().any(|x| x == t))
                .collect()
        };
        let n_features = graph
            .n_features
            .context("the isolation forest's input has no feature count in the graph")?;
        let mut trees = Vec::new();
        for &i in slice {
            let n = &g.node[i];
            if n.op_type != "TreeEnsembleRegressor" {
                continue;
            }
            if !leaf_id_trick(n) {
                return Err(err_at(
                    n,
                    "an isolation forest tree whose leaves do not output their ids",
                ));
            }
            // Feature subset: Gather(X, indices, axis=1), or X itself.
            let src = n.input.first().map(String::as_str).unwrap_or("");
            let map: Vec<usize> = if src == graph.input {
                (0..n_features).collect()
            } else {
                let gather = graph
                    .node(src)
                    .filter(|p| p.op_type == "Gather")
                    .ok_or_else(|| {
                        err_at(n, "input is neither the model input nor a Gather of it")
                    })?;
                if gather.input.first().map(String::as_str) != Some(graph.input.as_str())
                    || attr_i(gather, "axis", 0) != 1
                {
                    return Err(err_at(
                        gather,
                        "a Gather that is not a column selection of the input",
                    ));
                }
                let idx = gather
                    .input
                    .get(1)
                    .and_then(|s| graph.constant(s))
                    .ok_or_else(|| err_at(gather, "indices are not a constant"))?;
                idx.data.iter().map(|&v| v as usize).collect()
            };
            let identity = Prep::identity(map.len());
            let mut t = tree_ensemble(n, identity)?;
            let [tree] = t.trees.as_mut_slice() else {
                return Err(err_at(n, "expected one tree per regressor"));
            };
            // The two LabelEncoders reading the leaf id (through a Cast):
            // one maps leaves to depth + 1, the other to sample counts.
            let out_name = n.output.first().cloned().unwrap_or_default();
            let mut encoders = Vec::new();
            for cast in consumers(&out_name) {
                for enc in consumers(cast.output.first().map_or("", String::as_str)) {
                    if enc.op_type == "LabelEncoder" {
                        encoders.push(enc);
                    }
                }
            }
            let root = tree
                .nodes
                .keys()
                .copied()
                .find(|id| {
                    !tree
                        .nodes
                        .values()
                        .any(|x| x.mode != "LEAF" && (x.true_id == *id || x.false_id == *id))
                })
                .ok_or_else(|| err_at(n, "no root"))?;
            let depth = depths(tree, root);
            let table = |enc: &NodeProto| -> HashMap<i64, f64> {
                attr_ints(enc, "keys_int64s")
                    .into_iter()
                    .zip(attr_floats(enc, "values_floats"))
                    .collect()
            };
            let is_depth = |m: &HashMap<i64, f64>| {
                !m.is_empty()
                    && depth
                        .iter()
                        .all(|(id, &d)| m.get(id) == Some(&(d as f64 + 1.0)))
            };
            let tables: Vec<HashMap<i64, f64>> = encoders.iter().map(|e| table(e)).collect();
            let samples = match tables.as_slice() {
                [a, b] if is_depth(a) && !is_depth(b) => b,
                [a, b] if is_depth(b) && !is_depth(a) => a,
                [a, b] if is_depth(a) && is_depth(b) => a, // depth == samples - 1 everywhere: either
                _ => {
                    return Err(err_at(
                        n,
                        "cannot find the leaf depth and sample-count encoders",
                    ))
                }
            };
            for (id, nd) in tree.nodes.iter_mut() {
                if nd.mode == "LEAF" {
                    let s = *samples
                        .get(id)
                        .ok_or_else(|| err_at(n, format!("no sample count for leaf {id}")))?;
                    let d = depth.get(id).copied().unwrap_or(0);
                    nd.leaf = d as f64 + avg_path_length(s.max(0.0) as usize);
                    nd.weight = s.max(1e-9);
                } else {
                    nd.feature = *map
                        .get(nd.feature)
                        .ok_or_else(|| err_at(n, "feature index beyond the Gather"))?;
                }
            }
            trees.push(t.trees.pop().expect("one tree"));
        }
        let n_trees = trees.len();
        if n_trees == 0 {
            bail!("no trees found");
        }
        // Normaliser: the constant divisor applied to the sum of path lengths.
        let sum = slice
            .iter()
            .map(|&i| &g.node[i])
            .find(|n| n.op_type == "Sum" && n.input.len() == n_trees)
            .context("cannot find the isolation forest's sum over trees")?;
        let div = consumers(sum.output.first().map_or("", String::as_str))
            .into_iter()
            .find(|n| n.op_type == "Div")
            .context("cannot find the isolation forest's normalising division")?;
        let divisor = div
            .input
            .get(1)
            .and_then(|s| graph.constant(s))
            .and_then(|t| t.data.first().copied())
            .ok_or_else(|| err_at(div, "the divisor is not a constant"))?;
        let base = divisor / n_trees as f64;
        // Threshold: skl2onnx's `scores` = -2^(-h/c) + k with k = -offset_,
        // and the label is an outlier when scores < 0, i.e. 2^(-h/c) > k.
        let threshold = graph
            .node(output)
            .filter(|n| n.op_type == "Add")
            .and_then(|n| n.input.iter().find_map(|s| graph.constant(s)))
            .and_then(|t| t.data.first().copied())
            .unwrap_or(0.5);
        let identity = Prep::identity(n_features);
        let t = Trees {
            input: identity,
            gbdt: false,
            base,
            trees,
            what: String::new(),
        };
        let (features, mut e, splits) = trees_to_ensemble(&t, n_features)?;
        e.base = base;
        Ok(Converted {
            model: FloatModel {
                threshold,
                features,
                body: FloatBody::IsolationForest(e),
            },
            description: format!("isolation forest ({n_trees} trees, c(psi) = {base:.6}); score = 2^(-E[h]/c) = -score_samples"),
            layer_nodes: Vec::new(),
            splits,
            score_map: ScoreMap::Anomaly { k: threshold },
        })
    }
}

/// Read an ONNX file and quantise it: `i16` dense weights unless `wide` is
/// false; tree models keep explanation values.
pub fn import_file(path: &std::path::Path, opts: &ImportOptions) -> Result<Imported> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    import(&bytes, opts).with_context(|| format!("{}", path.display()))
}
