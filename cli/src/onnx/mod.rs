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
//! - tree ensembles (`TreeEnsembleClassifier`, `TreeEnsembleRegressor`) →
//!   gradient boosting (logistic post-transform) or a random forest
//!   (averaged probabilities);
//! - the two-column probability tensor `[1 - p, p]` (`Sub`, `Concat`,
//!   `Normalizer`, `ZipMap`) → the score `p`.
//!
//! skl2onnx's isolation forest, a large graph of arithmetic around
//! per-tree `TreeEnsembleRegressor`s that output leaf ids, is recognised as
//! a whole. Any other op on the path is an error naming the op
//! and the node.
pub mod proto;

use std::collections::{HashMap, HashSet};

use anyhow::{anyhow, bail, Context, Result};
use prost::Message;
use vigil_inference_core::float::{
    FloatBody, FloatEnsemble, FloatFeature, FloatLayer, FloatModel, FloatNode,
};
use vigil_inference_core::format::{Activation, LEAF};

use crate::train::trees::avg_path_length;
use proto::{AttributeProto, GraphProto, ModelProto, NodeProto};

/// Ops `vigil import` understands (for error messages).
pub const SUPPORTED_OPS: &str = "Identity, Cast, Scaler, Add, Sub, Mul, Div, MatMul, Gemm, Relu, \
Sigmoid, Tanh, LinearClassifier, Normalizer, Concat, ZipMap, TreeEnsembleClassifier, \
TreeEnsembleRegressor, Constant; and skl2onnx's IsolationForest graph";

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

/// Per-feature affine map of the raw inputs: `v_j = scale_j · x_j + offset_j`.
#[derive(Clone, Debug)]
struct Affine {
    scale: Vec<f64>,
    offset: Vec<f64>,
}

#[derive(Clone, Debug)]
struct Dense {
    input: Affine,
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
    input: Affine,
    /// GBDT (logistic) or random forest (mean, clamped).
    gbdt: bool,
    base: f64,
    trees: Vec<RawTree>,
    what: String,
}

#[derive(Clone, Debug)]
enum Val {
    Const(Tensor),
    Input(Affine),
    Dense(Dense),
    Trees(Trees),
    /// `1 - score`.
    Complement(Box<Val>),
    /// `[1 - p, p]`: the probabilities of a binary classifier.
    Pair(Box<Val>),
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
        }
    }
}

fn attr<'a>(n: &'a NodeProto, name: &str) -> Option<&'a AttributeProto> {
    n.attribute.iter().find(|a| a.name == name)
}

fn attr_s(n: &NodeProto, name: &str) -> Option<String> {
    attr(n, name).map(|a| String::from_utf8_lossy(&a.s).into_owned())
}

fn attr_f(n: &NodeProto, name: &str, default: f64) -> f64 {
    attr(n, name).map_or(default, |a| f64::from(a.f))
}

fn attr_i(n: &NodeProto, name: &str, default: i64) -> i64 {
    attr(n, name).map_or(default, |a| a.i)
}

fn attr_floats(n: &NodeProto, name: &str) -> Vec<f64> {
    attr(n, name).map_or_else(Vec::new, |a| {
        if a.floats.is_empty() {
            a.t.as_ref()
                .and_then(|t| t.values().ok())
                .unwrap_or_default()
        } else {
            a.floats.iter().map(|&v| f64::from(v)).collect()
        }
    })
}

fn attr_ints(n: &NodeProto, name: &str) -> Vec<i64> {
    attr(n, name).map_or_else(Vec::new, |a| a.ints.clone())
}

fn attr_strings(n: &NodeProto, name: &str) -> Vec<String> {
    attr(n, name).map_or_else(Vec::new, |a| {
        a.strings
            .iter()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect()
    })
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
    let (mut model, description) = if is_iforest {
        iforest::convert(&graph, &slice, &output)?
    } else {
        let val = evaluate(&graph, &slice, &output)?;
        to_model(val, &graph)?
    };
    if let Some(t) = opts.threshold {
        if !(0.0..=1.0).contains(&t) {
            bail!("--threshold must be in [0, 1]");
        }
        model.threshold = t;
    }
    Ok(Imported {
        model,
        description,
        output,
        producer,
    })
}

fn evaluate(graph: &Graph<'_>, slice: &[usize], output: &str) -> Result<Val> {
    let mut vals: HashMap<String, Val> = HashMap::new();
    let identity = |d: usize| Affine {
        scale: vec![1.0; d],
        offset: vec![0.0; d],
    };
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
fn tree_ensemble(n: &NodeProto, input: Affine) -> Result<Trees> {
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

/// Choose per-feature transforms for trees from the thresholds (in raw
/// input units) each feature is compared with, and lay the trees out.
fn trees_to_ensemble(t: &Trees, n_features: usize) -> Result<(Vec<FloatFeature>, FloatEnsemble)> {
    // Raw thresholds per feature: v = s·x + o, so v <= t ⇔ x <= (t - o)/s.
    let mut raw: Vec<Vec<f64>> = vec![Vec::new(); n_features];
    for tree in &t.trees {
        for nd in tree.nodes.values() {
            if nd.mode == "LEAF" {
                continue;
            }
            let (s, o) = (t.input.scale[nd.feature], t.input.offset[nd.feature]);
            if s <= 0.0 {
                bail!(
                    "feature {} is scaled by {s} before the trees; only positive scales are supported",
                    nd.feature
                );
            }
            raw[nd.feature].push((nd.threshold - o) / s);
        }
    }
    // z = (x - c) · m with thresholds inside ±16384 and the offset -c·m
    // inside the I16F16 range: comparisons with every threshold survive
    // saturation of far-away inputs.
    let mut features = Vec::with_capacity(n_features);
    let mut maps = Vec::with_capacity(n_features);
    for r in &raw {
        if r.is_empty() {
            features.push(FloatFeature::IDENTITY);
            maps.push((0.0, 1.0));
            continue;
        }
        let lo = r.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = r.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let c = (lo + hi) / 2.0;
        let h = (hi - lo) / 2.0;
        let mut m = 65536.0f64;
        if h > 0.0 {
            m = m.min(16384.0 / h);
        }
        if c != 0.0 {
            m = m.min(16384.0 / c.abs());
        }
        // A power of two keeps the multiplier exact, and a centre on the
        // 2^-16 grid of z keeps the stored offset exact.
        let m = m.log2().floor().exp2();
        let c = (c * m * 65536.0).round() / (m * 65536.0);
        features.push(FloatFeature {
            clip_lo: None,
            clip_hi: None,
            log1p: false,
            mean: c,
            std: 1.0 / m,
        });
        maps.push((c, m));
    }
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
        emit(tree, root, &t.input, &maps, &mut out, 0).with_context(|| format!("tree {k}"))?;
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
    ))
}

/// Emit a subtree in pre-order; returns (mean leaf value, weight).
fn emit(
    tree: &RawTree,
    id: i64,
    input: &Affine,
    maps: &[(f64, f64)],
    out: &mut Vec<FloatNode>,
    depth: usize,
) -> Result<(f64, f64)> {
    if depth > 32 {
        bail!("deeper than 32 levels (the format's limit)");
    }
    let nd = tree
        .nodes
        .get(&id)
        .with_context(|| format!("missing node {id}"))?;
    if nd.mode == "LEAF" {
        out.push(FloatNode {
            feature: LEAF,
            right: 0,
            value: nd.leaf,
            mean: nd.leaf,
        });
        return Ok((nd.leaf, nd.weight));
    }
    let (s, o) = (input.scale[nd.feature], input.offset[nd.feature]);
    let (c, m) = maps[nd.feature];
    let z = ((nd.threshold - o) / s - c) * m * 65536.0;
    // The core sends x left when its I16F16 bits are <= the threshold bits.
    let (bits, left, right) = match nd.mode.as_str() {
        "BRANCH_LEQ" => (z.floor(), nd.true_id, nd.false_id),
        "BRANCH_LT" => (z.ceil() - 1.0, nd.true_id, nd.false_id),
        "BRANCH_GT" => (z.floor(), nd.false_id, nd.true_id),
        "BRANCH_GTE" => (z.ceil() - 1.0, nd.false_id, nd.true_id),
        other => bail!("node {id}: split mode {other} is not supported (LEQ, LT, GT, GTE)"),
    };
    let bits = bits.clamp(-2_147_483_648.0, 2_147_483_647.0);
    let at = out.len();
    out.push(FloatNode {
        feature: nd.feature as u16,
        right: 0,
        value: bits / 65536.0,
        mean: 0.0,
    });
    let (ml, wl) = emit(tree, left, input, maps, out, depth + 1)?;
    out[at].right = out.len() as u16;
    let (mr, wr) = emit(tree, right, input, maps, out, depth + 1)?;
    let w = wl + wr;
    out[at].mean = (ml * wl + mr * wr) / w;
    Ok((out[at].mean, w))
}

/// Feature transforms of a dense model from the input affine map, folding
/// signs and zero scales into the first layer.
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
            features.push(FloatFeature {
                clip_lo: None,
                clip_hi: None,
                log1p: false,
                mean: -o / s,
                std: 1.0 / s.abs(),
            });
        }
    }
    Ok((features, d.layers))
}

fn to_model(v: Val, graph: &Graph<'_>) -> Result<(FloatModel, String)> {
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
            let (features, layers) = dense_model(d)?;
            let (body, what) = if layers.len() == 1 {
                (
                    FloatBody::Linear(layers.into_iter().next().context("no layer")?),
                    "logistic regression",
                )
            } else {
                (FloatBody::Mlp(layers), "MLP")
            };
            Ok((
                FloatModel {
                    threshold: 0.5,
                    features,
                    body,
                },
                format!(
                    "{}{what} {}",
                    if scaled { "input scaling + " } else { "" },
                    shape.join("-")
                ),
            ))
        }
        Val::Trees(t) => {
            let n = graph.n_features.unwrap_or(t.input.scale.len());
            let (features, e) = trees_to_ensemble(&t, n)?;
            let body = if t.gbdt {
                FloatBody::Gbdt(e)
            } else {
                FloatBody::RandomForest(e)
            };
            Ok((
                FloatModel {
                    // scikit-learn labels class 1 when p1 > p0, i.e. p > 1/2
                    // strictly: the threshold is one U1F31 step above 1/2.
                    threshold: 0.5 + 2f64.powi(-31),
                    features,
                    body,
                },
                t.what,
            ))
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
    pub(super) fn convert(
        graph: &Graph<'_>,
        slice: &[usize],
        output: &str,
    ) -> Result<(FloatModel, String)> {
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
            let identity = Affine {
                scale: vec![1.0; map.len()],
                offset: vec![0.0; map.len()],
            };
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
        let identity = Affine {
            scale: vec![1.0; n_features],
            offset: vec![0.0; n_features],
        };
        let t = Trees {
            input: identity,
            gbdt: false,
            base,
            trees,
            what: String::new(),
        };
        let (features, mut e) = trees_to_ensemble(&t, n_features)?;
        e.base = base;
        Ok((
            FloatModel {
                threshold,
                features,
                body: FloatBody::IsolationForest(e),
            },
            format!("isolation forest ({n_trees} trees, c(psi) = {base:.6}); score = 2^(-E[h]/c) = -score_samples"),
        ))
    }
}

/// Read an ONNX file and quantise it: `i16` dense weights unless `wide` is
/// false; tree models keep explanation values.
pub fn import_file(path: &std::path::Path, opts: &ImportOptions) -> Result<Imported> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    import(&bytes, opts).with_context(|| format!("{}", path.display()))
}
