//! The float reference of an imported model: the ONNX graph itself,
//! evaluated in `f64` from the file's own parameters (never from the
//! quantised ones), with the semantics onnxruntime gives each op.
//!
//! Inputs are rounded to `f32` first, as onnxruntime reads a float tensor;
//! everything after is `f64`. Only the nodes the chosen output depends on
//! are evaluated. The ops are those `vigil import` recognises plus the
//! arithmetic around them (skl2onnx's isolation forest, signed log1p,
//! clipping), so the reference covers every graph import accepts.
use std::collections::{HashMap, HashSet};

use anyhow::{anyhow, bail, Context, Result};

use super::proto::{
    attr, attr_f, attr_floats, attr_i, attr_ints, attr_s, attr_strings, dtype, GraphProto,
    NodeProto, TensorProto,
};

/// A dense tensor of `f64` (integers and booleans are held as `f64` too).
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    /// Dimensions.
    pub shape: Vec<usize>,
    /// Row-major values.
    pub data: Vec<f64>,
}

impl Tensor {
    fn new(shape: Vec<usize>, data: Vec<f64>) -> Self {
        Tensor { shape, data }
    }

    fn scalar(v: f64) -> Self {
        Tensor::new(vec![], vec![v])
    }

    fn from_proto(t: &TensorProto) -> Result<Self> {
        let data = t.values()?;
        let mut shape: Vec<usize> = t.dims.iter().map(|&d| d.max(0) as usize).collect();
        if shape.iter().product::<usize>() != data.len() {
            if shape.is_empty() && data.len() == 1 {
                shape = vec![];
            } else {
                bail!(
                    "tensor `{}`: dims {:?} for {} values",
                    t.name,
                    t.dims,
                    data.len()
                );
            }
        }
        Ok(Tensor::new(shape, data))
    }

    /// Rows and columns of a rank-1 or rank-2 tensor.
    fn rows_cols(&self) -> (usize, usize) {
        match self.shape.as_slice() {
            [] => (1, 1),
            [c] => (1, *c),
            [r, c] => (*r, *c),
            s => (s[..s.len() - 1].iter().product(), s[s.len() - 1]),
        }
    }

    /// Column `j` of a `[N, C]` tensor (`[N]` is one column).
    pub fn column(&self, j: usize) -> Result<Vec<f64>> {
        let (r, c) = match self.shape.as_slice() {
            [n] => (*n, 1),
            _ => self.rows_cols(),
        };
        if j >= c {
            bail!("the output has {c} columns; column {j} was asked for");
        }
        Ok((0..r).map(|i| self.data[i * c + j]).collect())
    }
}

fn broadcast_shape(a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for k in 0..n {
        let da = if k + a.len() >= n {
            a[k + a.len() - n]
        } else {
            1
        };
        let db = if k + b.len() >= n {
            b[k + b.len() - n]
        } else {
            1
        };
        out[k] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => bail!("shapes {a:?} and {b:?} do not broadcast"),
        };
    }
    Ok(out)
}

/// Index into `t` (of shape `s`) for the multi-index `idx` of the broadcast
/// shape `out`.
fn bindex(s: &[usize], out: &[usize], idx: &[usize]) -> usize {
    let off = out.len() - s.len();
    let mut k = 0;
    for (d, &dim) in s.iter().enumerate() {
        let i = if dim == 1 { 0 } else { idx[off + d] };
        k = k * dim + i;
    }
    k
}

fn zip_with(a: &Tensor, b: &Tensor, f: impl Fn(f64, f64) -> f64) -> Result<Tensor> {
    if a.shape == b.shape {
        let data = a.data.iter().zip(&b.data).map(|(&x, &y)| f(x, y)).collect();
        return Ok(Tensor::new(a.shape.clone(), data));
    }
    let shape = broadcast_shape(&a.shape, &b.shape)?;
    let total: usize = shape.iter().product();
    let mut idx = vec![0usize; shape.len()];
    let mut data = Vec::with_capacity(total);
    for _ in 0..total {
        data.push(f(
            a.data[bindex(&a.shape, &shape, &idx)],
            b.data[bindex(&b.shape, &shape, &idx)],
        ));
        for d in (0..shape.len()).rev() {
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    Ok(Tensor::new(shape, data))
}

fn map(t: &Tensor, f: impl Fn(f64) -> f64) -> Tensor {
    Tensor::new(t.shape.clone(), t.data.iter().map(|&v| f(v)).collect())
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Evaluate `output` of `g` on the rows `x` (each of the model's feature
/// count), the graph's one non-constant input fed as an `[N, F]` float
/// tensor.
pub fn evaluate(g: &GraphProto, output: &str, x: &[Vec<f64>]) -> Result<Tensor> {
    let mut vals: HashMap<String, Tensor> = HashMap::new();
    for t in &g.initializer {
        vals.insert(t.name.clone(), Tensor::from_proto(t)?);
    }
    let inputs: Vec<&str> = g
        .input
        .iter()
        .map(|i| i.name.as_str())
        .filter(|n| !vals.contains_key(*n))
        .collect();
    let [input] = inputs.as_slice() else {
        bail!(
            "the graph has {} inputs; the reference reads one",
            inputs.len()
        );
    };
    let f = x.first().map_or(0, Vec::len);
    let data: Vec<f64> = x
        .iter()
        .flat_map(|r| r.iter().map(|&v| f64::from(v as f32)))
        .collect();
    vals.insert((*input).to_string(), Tensor::new(vec![x.len(), f], data));
    // The nodes `output` depends on, in graph order.
    let mut producer = HashMap::new();
    for (i, n) in g.node.iter().enumerate() {
        for o in &n.output {
            producer.insert(o.as_str(), i);
        }
    }
    let mut need = HashSet::new();
    let mut stack = vec![output];
    while let Some(t) = stack.pop() {
        if let Some(&i) = producer.get(t) {
            if need.insert(i) {
                stack.extend(g.node[i].input.iter().map(String::as_str));
            }
        }
    }
    let mut order: Vec<usize> = need.into_iter().collect();
    order.sort_unstable();
    for i in order {
        let n = &g.node[i];
        let ins: Vec<Option<&Tensor>> = n
            .input
            .iter()
            .map(|s| if s.is_empty() { None } else { vals.get(s) })
            .collect();
        let outs = op(n, &ins).with_context(|| {
            format!(
                "float reference: ONNX node `{}` ({})",
                if n.name.is_empty() {
                    n.output.first().map_or("", String::as_str)
                } else {
                    &n.name
                },
                n.op_type
            )
        })?;
        for (name, t) in n.output.iter().zip(outs) {
            if let Some(t) = t {
                vals.insert(name.clone(), t);
            }
        }
    }
    vals.remove(output)
        .ok_or_else(|| anyhow!("float reference: output `{output}` was not computed"))
}

fn need<'a>(ins: &[Option<&'a Tensor>], k: usize) -> Result<&'a Tensor> {
    ins.get(k)
        .copied()
        .flatten()
        .ok_or_else(|| anyhow!("input {k} is missing or not computable"))
}

fn axis_of(a: i64, rank: usize) -> usize {
    if a < 0 {
        (rank as i64 + a).max(0) as usize
    } else {
        a as usize
    }
}

fn op(n: &NodeProto, ins: &[Option<&Tensor>]) -> Result<Vec<Option<Tensor>>> {
    let one = |t: Tensor| Ok(vec![Some(t)]);
    let x = || need(ins, 0);
    match n.op_type.as_str() {
        "Identity" => one(x()?.clone()),
        "Cast" => {
            let to = attr_i(n, "to", 1) as i32;
            let t = x()?;
            one(match to {
                dtype::FLOAT => map(t, |v| f64::from(v as f32)),
                dtype::DOUBLE => t.clone(),
                dtype::INT32 | dtype::INT64 => map(t, f64::trunc),
                dtype::BOOL => map(t, |v| f64::from(u8::from(v != 0.0))),
                other => bail!("Cast to type {other}"),
            })
        }
        "Constant" => {
            if let Some(t) = attr(n, "value").and_then(|a| a.t.as_ref()) {
                one(Tensor::from_proto(t)?)
            } else if let Some(a) = attr(n, "value_float") {
                one(Tensor::scalar(f64::from(a.f)))
            } else if let Some(a) = attr(n, "value_int") {
                one(Tensor::scalar(a.i as f64))
            } else if attr(n, "value_floats").is_some() {
                let d = attr_floats(n, "value_floats");
                one(Tensor::new(vec![d.len()], d))
            } else if let Some(a) = attr(n, "value_ints") {
                one(Tensor::new(
                    vec![a.ints.len()],
                    a.ints.iter().map(|&v| v as f64).collect(),
                ))
            } else {
                bail!("a Constant without a numeric value")
            }
        }
        "Add" => one(zip_with(x()?, need(ins, 1)?, |a, b| a + b)?),
        "Sub" => one(zip_with(x()?, need(ins, 1)?, |a, b| a - b)?),
        "Mul" => one(zip_with(x()?, need(ins, 1)?, |a, b| a * b)?),
        "Div" => one(zip_with(x()?, need(ins, 1)?, |a, b| a / b)?),
        "Pow" => one(zip_with(x()?, need(ins, 1)?, f64::powf)?),
        "Less" => one(zip_with(x()?, need(ins, 1)?, |a, b| {
            f64::from(u8::from(a < b))
        })?),
        "LessOrEqual" => one(zip_with(x()?, need(ins, 1)?, |a, b| {
            f64::from(u8::from(a <= b))
        })?),
        "Greater" => one(zip_with(x()?, need(ins, 1)?, |a, b| {
            f64::from(u8::from(a > b))
        })?),
        "GreaterOrEqual" => one(zip_with(x()?, need(ins, 1)?, |a, b| {
            f64::from(u8::from(a >= b))
        })?),
        "Equal" => one(zip_with(x()?, need(ins, 1)?, |a, b| {
            f64::from(u8::from(a == b))
        })?),
        "Not" => one(map(x()?, |v| f64::from(u8::from(v == 0.0)))),
        "Where" => {
            let c = x()?;
            let picked = zip_with(c, need(ins, 1)?, |c, a| if c != 0.0 { a } else { f64::NAN })?;
            one(zip_with(&picked, need(ins, 2)?, |p, b| {
                if p.is_nan() {
                    b
                } else {
                    p
                }
            })?)
        }
        "Sum" | "Max" | "Min" | "Mean" => {
            let mut acc = x()?.clone();
            let k = ins.len();
            for i in 1..k {
                let b = need(ins, i)?;
                acc = match n.op_type.as_str() {
                    "Max" => zip_with(&acc, b, f64::max)?,
                    "Min" => zip_with(&acc, b, f64::min)?,
                    _ => zip_with(&acc, b, |a, b| a + b)?,
                };
            }
            if n.op_type == "Mean" {
                acc = map(&acc, |v| v / k as f64);
            }
            one(acc)
        }
        "Neg" => one(map(x()?, |v| -v)),
        "Abs" => one(map(x()?, f64::abs)),
        "Sign" => one(map(x()?, |v| {
            if v > 0.0 {
                1.0
            } else if v < 0.0 {
                -1.0
            } else {
                0.0
            }
        })),
        "Exp" => one(map(x()?, f64::exp)),
        "Log" => one(map(x()?, f64::ln)),
        "Sqrt" => one(map(x()?, f64::sqrt)),
        "Reciprocal" => one(map(x()?, |v| 1.0 / v)),
        "Floor" => one(map(x()?, f64::floor)),
        "Relu" => one(map(x()?, |v| v.max(0.0))),
        "Sigmoid" => one(map(x()?, sigmoid)),
        "Tanh" => one(map(x()?, f64::tanh)),
        "HardSigmoid" => {
            let (a, b) = (attr_f(n, "alpha", 0.2), attr_f(n, "beta", 0.5));
            one(map(x()?, |v| (a * v + b).clamp(0.0, 1.0)))
        }
        "Clip" => {
            let lo = ins.get(1).copied().flatten().map_or(
                attr(n, "min").map_or(f64::NEG_INFINITY, |a| f64::from(a.f)),
                |t| t.data[0],
            );
            let hi = ins.get(2).copied().flatten().map_or(
                attr(n, "max").map_or(f64::INFINITY, |a| f64::from(a.f)),
                |t| t.data[0],
            );
            one(map(x()?, |v| v.max(lo).min(hi)))
        }
        "MatMul" => {
            let (a, b) = (x()?, need(ins, 1)?);
            let (r, k) = a.rows_cols();
            let (k2, c) = b.rows_cols();
            if k != k2 || b.shape.len() > 2 {
                bail!("MatMul of {:?} and {:?}", a.shape, b.shape);
            }
            one(Tensor::new(
                vec![r, c],
                matmul(&a.data, &b.data, r, k, c, false),
            ))
        }
        "Gemm" => {
            let (a, b) = (x()?, need(ins, 1)?);
            if attr_i(n, "transA", 0) != 0 {
                bail!("Gemm with transA");
            }
            let tb = attr_i(n, "transB", 0) != 0;
            let (alpha, beta) = (attr_f(n, "alpha", 1.0), attr_f(n, "beta", 1.0));
            let (r, k) = a.rows_cols();
            let (br, bc) = b.rows_cols();
            let c = if tb { br } else { bc };
            if (if tb { bc } else { br }) != k {
                bail!("Gemm of {:?} and {:?}", a.shape, b.shape);
            }
            let mut out = Tensor::new(vec![r, c], matmul(&a.data, &b.data, r, k, c, tb));
            out = map(&out, |v| alpha * v);
            if let Some(bias) = ins.get(2).copied().flatten() {
                out = zip_with(&out, &map(bias, |v| beta * v), |a, b| a + b)?;
            }
            one(out)
        }
        "Concat" => {
            let parts: Vec<&Tensor> = (0..ins.len())
                .map(|i| need(ins, i))
                .collect::<Result<_>>()?;
            let rank = parts[0].shape.len();
            let axis = axis_of(attr_i(n, "axis", 1), rank);
            let outer: usize = parts[0].shape[..axis].iter().product();
            let mut shape = parts[0].shape.clone();
            shape[axis] = parts.iter().map(|p| p.shape[axis]).sum();
            let mut data = Vec::new();
            for o in 0..outer {
                for p in &parts {
                    let inner: usize = p.shape[axis..].iter().product();
                    data.extend_from_slice(&p.data[o * inner..(o + 1) * inner]);
                }
            }
            one(Tensor::new(shape, data))
        }
        "Gather" => {
            let (d, idx) = (x()?, need(ins, 1)?);
            let axis = axis_of(attr_i(n, "axis", 0), d.shape.len());
            let outer: usize = d.shape[..axis].iter().product();
            let dim = d.shape[axis];
            let inner: usize = d.shape[axis + 1..].iter().product();
            let mut data = Vec::new();
            for o in 0..outer {
                for &i in &idx.data {
                    let i = if i < 0.0 {
                        dim as i64 + i as i64
                    } else {
                        i as i64
                    } as usize;
                    let at = (o * dim + i) * inner;
                    data.extend_from_slice(&d.data[at..at + inner]);
                }
            }
            let mut shape = d.shape[..axis].to_vec();
            shape.extend(&idx.shape);
            shape.extend(&d.shape[axis + 1..]);
            one(Tensor::new(shape, data))
        }
        "Reshape" => {
            let (d, s) = (x()?, need(ins, 1)?);
            let total = d.data.len();
            let mut shape: Vec<i64> = s.data.iter().map(|&v| v as i64).collect();
            for (k, v) in shape.iter_mut().enumerate() {
                if *v == 0 {
                    *v = d.shape.get(k).copied().unwrap_or(1) as i64;
                }
            }
            let known: i64 = shape.iter().filter(|&&v| v > 0).product();
            let shape: Vec<usize> = shape
                .iter()
                .map(|&v| {
                    if v < 0 {
                        total / known.max(1) as usize
                    } else {
                        v as usize
                    }
                })
                .collect();
            one(Tensor::new(shape, d.data.clone()))
        }
        "Flatten" => {
            let d = x()?;
            let axis = axis_of(attr_i(n, "axis", 1), d.shape.len());
            let a: usize = d.shape[..axis].iter().product();
            one(Tensor::new(
                vec![a, d.data.len() / a.max(1)],
                d.data.clone(),
            ))
        }
        "Squeeze" | "Unsqueeze" => {
            let d = x()?;
            let mut axes = attr_ints(n, "axes");
            if let Some(t) = ins.get(1).copied().flatten() {
                axes = t.data.iter().map(|&v| v as i64).collect();
            }
            let mut shape = d.shape.clone();
            if n.op_type == "Squeeze" {
                if axes.is_empty() {
                    shape.retain(|&s| s != 1);
                } else {
                    let rank = shape.len();
                    let mut ax: Vec<usize> = axes.iter().map(|&a| axis_of(a, rank)).collect();
                    ax.sort_unstable();
                    for a in ax.into_iter().rev() {
                        shape.remove(a);
                    }
                }
            } else {
                let rank = shape.len() + axes.len();
                let mut ax: Vec<usize> = axes.iter().map(|&a| axis_of(a, rank)).collect();
                ax.sort_unstable();
                for a in ax {
                    shape.insert(a, 1);
                }
            }
            one(Tensor::new(shape, d.data.clone()))
        }
        "Scaler" => {
            let d = x()?;
            let off = attr_floats(n, "offset");
            let sc = attr_floats(n, "scale");
            let c = d.rows_cols().1;
            let get = |v: &[f64], j: usize, dflt: f64| match v.len() {
                0 => dflt,
                1 => v[0],
                _ => v[j % v.len()],
            };
            let data = d
                .data
                .iter()
                .enumerate()
                .map(|(k, &v)| (v - get(&off, k % c, 0.0)) * get(&sc, k % c, 1.0))
                .collect();
            one(Tensor::new(d.shape.clone(), data))
        }
        // A sequence of `{class label: probability}` maps, one per row: the
        // same numbers as its `[N, C]` input, columns in `classlabels_*`
        // order, which is how the reference keeps them.
        "ZipMap" => {
            let d = x()?;
            let labels = attr_ints(n, "classlabels_int64s")
                .len()
                .max(attr(n, "classlabels_strings").map_or(0, |a| a.strings.len()));
            let (_, c) = d.rows_cols();
            if labels != c {
                bail!("ZipMap with {labels} class labels on {c} columns");
            }
            one(d.clone())
        }
        "Normalizer" => {
            let d = x()?;
            let norm = attr_s(n, "norm").unwrap_or_else(|| "MAX".into());
            let (r, c) = d.rows_cols();
            let mut data = d.data.clone();
            for row in data.chunks_mut(c.max(1)).take(r) {
                let z = match norm.as_str() {
                    "L1" => row.iter().map(|v| v.abs()).sum::<f64>(),
                    "L2" => row.iter().map(|v| v * v).sum::<f64>().sqrt(),
                    _ => row.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v)),
                };
                if z != 0.0 {
                    row.iter_mut().for_each(|v| *v /= z);
                }
            }
            one(Tensor::new(d.shape.clone(), data))
        }
        "LinearClassifier" => linear_classifier(n, x()?),
        "LinearRegressor" => {
            let d = x()?;
            let (r, f) = d.rows_cols();
            let coef = attr_floats(n, "coefficients");
            let icpt = attr_floats(n, "intercepts");
            let t = attr_i(n, "targets", 1) as usize;
            if coef.len() != t * f {
                bail!(
                    "{} coefficients for {t} targets of {f} features",
                    coef.len()
                );
            }
            let mut out = matmul(&d.data, &coef, r, f, t, true);
            for (k, v) in out.iter_mut().enumerate() {
                *v += icpt.get(k % t).copied().unwrap_or(0.0);
            }
            let post = attr_s(n, "post_transform").unwrap_or_else(|| "NONE".into());
            let out = post_transform(&post, out, t)?;
            one(Tensor::new(vec![r, t], out))
        }
        "TreeEnsembleClassifier" | "TreeEnsembleRegressor" => tree_ensemble(n, x()?),
        "LabelEncoder" => {
            let d = x()?;
            let keys: Vec<f64> = if attr(n, "keys_int64s").is_some() {
                attr_ints(n, "keys_int64s")
                    .iter()
                    .map(|&v| v as f64)
                    .collect()
            } else {
                attr_floats(n, "keys_floats")
            };
            let values: Vec<f64> = if attr(n, "values_floats").is_some() {
                attr_floats(n, "values_floats")
            } else {
                attr_ints(n, "values_int64s")
                    .iter()
                    .map(|&v| v as f64)
                    .collect()
            };
            if keys.len() != values.len() || keys.is_empty() {
                bail!("a LabelEncoder on other than numeric keys and values");
            }
            let dflt = if attr(n, "values_floats").is_some() {
                attr_f(n, "default_float", -0.0)
            } else {
                attr_i(n, "default_int64", -1) as f64
            };
            let table: HashMap<u64, f64> = keys
                .iter()
                .zip(&values)
                .map(|(k, v)| (k.to_bits(), *v))
                .collect();
            one(map(d, |v| *table.get(&v.to_bits()).unwrap_or(&dflt)))
        }
        "ArgMax" => {
            let d = x()?;
            let (r, c) = d.rows_cols();
            let data = (0..r)
                .map(|i| {
                    let row = &d.data[i * c..(i + 1) * c];
                    let mut best = 0;
                    for (j, &v) in row.iter().enumerate() {
                        if v > row[best] {
                            best = j;
                        }
                    }
                    best as f64
                })
                .collect();
            let keep = attr_i(n, "keepdims", 1) != 0;
            one(Tensor::new(if keep { vec![r, 1] } else { vec![r] }, data))
        }
        other => bail!(
            "op `{other}` (domain `{}`) has no float reference in vigil",
            if n.domain.is_empty() {
                "ai.onnx"
            } else {
                &n.domain
            }
        ),
    }
}

/// `a [r×k] · b`, `b` being `[k×c]`, or `[c×k]` when `tb`.
fn matmul(a: &[f64], b: &[f64], r: usize, k: usize, c: usize, tb: bool) -> Vec<f64> {
    let mut out = vec![0.0; r * c];
    for i in 0..r {
        for j in 0..c {
            let mut s = 0.0;
            for t in 0..k {
                let w = if tb { b[j * k + t] } else { b[t * c + j] };
                s += a[i * k + t] * w;
            }
            out[i * c + j] = s;
        }
    }
    out
}

fn post_transform(post: &str, mut v: Vec<f64>, c: usize) -> Result<Vec<f64>> {
    match post {
        "NONE" => {}
        "LOGISTIC" => v.iter_mut().for_each(|x| *x = sigmoid(*x)),
        "SOFTMAX" | "SOFTMAX_ZERO" => {
            for row in v.chunks_mut(c.max(1)) {
                let m = row.iter().fold(f64::NEG_INFINITY, |m, &x| m.max(x));
                let mut z = 0.0;
                for x in row.iter_mut() {
                    if post == "SOFTMAX_ZERO" && *x == 0.0 {
                        continue;
                    }
                    *x = (*x - m).exp();
                    z += *x;
                }
                row.iter_mut().for_each(|x| *x /= z);
            }
        }
        other => bail!("post_transform {other}"),
    }
    Ok(v)
}

fn class_count(n: &NodeProto) -> usize {
    attr_ints(n, "classlabels_int64s")
        .len()
        .max(attr(n, "classlabels_strings").map_or(0, |a| a.strings.len()))
}

/// onnxruntime's binary case: one score column `v` for two labels becomes
/// `[1 - v, v]` when every weight is positive, else `[-v, v]` (with the
/// logistic, `[σ(-v), σ(v)]`).
fn binary_pair(post: &str, all_positive: bool, v: f64) -> [f64; 2] {
    if post == "PROBIT" {
        return [v, v];
    }
    if all_positive {
        [1.0 - v, v]
    } else if post == "LOGISTIC" {
        [sigmoid(-v), sigmoid(v)]
    } else {
        [-v, v]
    }
}

fn linear_classifier(n: &NodeProto, d: &Tensor) -> Result<Vec<Option<Tensor>>> {
    let (r, f) = d.rows_cols();
    let coef = attr_floats(n, "coefficients");
    let icpt = attr_floats(n, "intercepts");
    let post = attr_s(n, "post_transform").unwrap_or_else(|| "NONE".into());
    let k = coef.len() / f.max(1);
    if k * f != coef.len() {
        bail!("{} coefficients for {f} features", coef.len());
    }
    let mut s = matmul(&d.data, &coef, r, f, k, true);
    for (i, v) in s.iter_mut().enumerate() {
        *v += icpt.get(i % k).copied().unwrap_or(0.0);
    }
    let classes = class_count(n);
    let probs = if k == 1 && classes == 2 {
        s.iter()
            .flat_map(|&v| binary_pair(&post, false, v))
            .collect::<Vec<f64>>()
    } else {
        post_transform(&post, s, k)?
    };
    let c = probs.len() / r.max(1);
    Ok(vec![None, Some(Tensor::new(vec![r, c], probs))])
}

struct Node {
    feature: usize,
    mode: String,
    value: f64,
    t: usize,
    f: usize,
}

fn tree_ensemble(n: &NodeProto, d: &Tensor) -> Result<Vec<Option<Tensor>>> {
    let classifier = n.op_type == "TreeEnsembleClassifier";
    let post = attr_s(n, "post_transform").unwrap_or_else(|| "NONE".into());
    let tree_ids = attr_ints(n, "nodes_treeids");
    let node_ids = attr_ints(n, "nodes_nodeids");
    let feats = attr_ints(n, "nodes_featureids");
    let modes = attr_strings(n, "nodes_modes");
    let mut values = attr_floats(n, "nodes_values");
    if values.is_empty() {
        values = attr_floats(n, "nodes_values_as_tensor");
    }
    let trues = attr_ints(n, "nodes_truenodeids");
    let falses = attr_ints(n, "nodes_falsenodeids");
    let len = tree_ids.len();
    if [
        node_ids.len(),
        feats.len(),
        modes.len(),
        values.len(),
        trues.len(),
        falses.len(),
    ]
    .iter()
    .any(|&l| l != len)
    {
        bail!("node attribute arrays of different lengths");
    }
    let mut index: HashMap<(i64, i64), usize> = HashMap::new();
    for k in 0..len {
        index.insert((tree_ids[k], node_ids[k]), k);
    }
    let mut nodes = Vec::with_capacity(len);
    for k in 0..len {
        let child = |id: i64| -> Result<usize> {
            if modes[k] == "LEAF" {
                return Ok(0);
            }
            index.get(&(tree_ids[k], id)).copied().with_context(|| {
                format!("tree {} node {}: no child {id}", tree_ids[k], node_ids[k])
            })
        };
        nodes.push(Node {
            feature: feats[k].max(0) as usize,
            mode: modes[k].clone(),
            value: values[k],
            t: child(trues[k])?,
            f: child(falses[k])?,
        });
    }
    // Roots: the first node of each tree id, in order of appearance.
    let mut roots: Vec<(i64, usize)> = Vec::new();
    let referenced: HashSet<usize> = nodes
        .iter()
        .filter(|x| x.mode != "LEAF")
        .flat_map(|x| [x.t, x.f])
        .collect();
    for (k, &tree) in tree_ids.iter().enumerate() {
        if !referenced.contains(&k) && !roots.iter().any(|(t, _)| *t == tree) {
            roots.push((tree, k));
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
    let mut leaf_w: HashMap<usize, Vec<(usize, f64)>> = HashMap::new();
    for k in 0..w_val.len() {
        let at = *index
            .get(&(w_tree[k], w_node[k]))
            .with_context(|| format!("a weight for missing node {}/{}", w_tree[k], w_node[k]))?;
        leaf_w
            .entry(at)
            .or_default()
            .push((w_id[k].max(0) as usize, w_val[k]));
    }
    let cols = if classifier {
        w_id.iter().copied().max().map_or(1, |m| m as usize + 1)
    } else {
        attr_i(n, "n_targets", 1) as usize
    };
    let base = attr_floats(n, "base_values");
    let aggregate = attr_s(n, "aggregate_function").unwrap_or_else(|| "SUM".into());
    let (r, f) = d.rows_cols();
    let mut out = Vec::with_capacity(r * cols);
    for i in 0..r {
        let x = &d.data[i * f..(i + 1) * f];
        let mut acc = vec![0.0f64; cols];
        let mut first = true;
        for &(_, root) in &roots {
            let mut k = root;
            for _ in 0..=len {
                let nd = &nodes[k];
                if nd.mode == "LEAF" {
                    break;
                }
                let v = x.get(nd.feature).copied().unwrap_or(f64::NAN);
                let go = match nd.mode.as_str() {
                    "BRANCH_LEQ" => v <= nd.value,
                    "BRANCH_LT" => v < nd.value,
                    "BRANCH_GTE" => v >= nd.value,
                    "BRANCH_GT" => v > nd.value,
                    "BRANCH_EQ" => v == nd.value,
                    "BRANCH_NEQ" => v != nd.value,
                    m => bail!("split mode {m}"),
                };
                k = if go { nd.t } else { nd.f };
            }
            let mut contrib = vec![0.0f64; cols];
            for &(c, w) in leaf_w.get(&k).map_or(&[][..], Vec::as_slice) {
                if c < cols {
                    contrib[c] += w;
                }
            }
            for c in 0..cols {
                acc[c] = match aggregate.as_str() {
                    "MIN" if !first => acc[c].min(contrib[c]),
                    "MAX" if !first => acc[c].max(contrib[c]),
                    _ if first => contrib[c],
                    _ => acc[c] + contrib[c],
                };
            }
            first = false;
        }
        if aggregate == "AVERAGE" && !roots.is_empty() {
            acc.iter_mut().for_each(|v| *v /= roots.len() as f64);
        }
        for (c, v) in acc.iter_mut().enumerate() {
            *v += base.get(c).copied().unwrap_or(0.0);
        }
        out.extend(acc);
    }
    if classifier {
        let classes = class_count(n);
        let probs = if cols == 1 && classes == 2 {
            let all_positive = w_val.iter().all(|&w| w >= 0.0);
            out.iter()
                .flat_map(|&v| binary_pair(&post, all_positive, v))
                .collect::<Vec<f64>>()
        } else {
            post_transform(&post, out, cols)?
        };
        let c = probs.len() / r.max(1);
        Ok(vec![None, Some(Tensor::new(vec![r, c], probs))])
    } else {
        let out = post_transform(&post, out, cols)?;
        Ok(vec![Some(Tensor::new(vec![r, cols], out))])
    }
}
