//! Tree ensembles: gradient boosting (binary log loss, Newton leaf values),
//! random forests (Gini trees on bootstrap samples, leaf = positive
//! fraction) and isolation forests (random splits on subsamples of 256,
//! leaf = depth + c(size)).
use anyhow::Result;
use indicatif::ProgressBar;
use vigil_inference_core::float::{FloatEnsemble, FloatNode};
use vigil_inference_core::format::LEAF;

use super::sigmoid;
use crate::cart::{self, Columns, GNode, Grow};
use crate::prep::Prepared;
use crate::rng::Rng;

/// Ensemble settings.
#[derive(Clone, Copy, Debug)]
pub struct TreeParams {
    /// Trees.
    pub trees: usize,
    /// Deepest leaf.
    pub depth: usize,
    /// Boosting learning rate.
    pub lr: f64,
    /// Smallest leaf (rows, or bootstrap weight).
    pub min_leaf: f64,
    /// Isolation forest subsample size.
    pub psi: usize,
}

/// Gradient boosting for binary log loss, as scikit-learn's
/// `GradientBoostingClassifier`: the initial logit is the prior log-odds;
/// each tree fits the residuals `y - p` (variance reduction), and each leaf
/// takes one Newton step `lr · Σ(y - p) / Σ p(1 - p)`.
pub fn gbdt(
    data: &Prepared,
    y: &[bool],
    p: &TreeParams,
    bar: &ProgressBar,
) -> Result<FloatEnsemble> {
    let n = data.n;
    let cols = Columns::new(data);
    let yf: Vec<f64> = y.iter().map(|&b| f64::from(u8::from(b))).collect();
    let prior = (yf.iter().sum::<f64>() / n as f64).clamp(1e-6, 1.0 - 1e-6);
    let base = (prior / (1.0 - prior)).ln();
    let mut f = vec![base; n];
    let weights = vec![1.0; n];
    let g = Grow {
        max_depth: p.depth,
        min_leaf: p.min_leaf,
        max_features: None,
        min_gap: cart::MIN_GAP,
    };
    let mut rng = Rng::new(0);
    let mut trees = Vec::with_capacity(p.trees);
    bar.set_length(p.trees as u64);
    for _ in 0..p.trees {
        let prob: Vec<f64> = f.iter().map(|&v| sigmoid(v)).collect();
        let resid: Vec<f64> = yf.iter().zip(&prob).map(|(y, p)| y - p).collect();
        let nodes = cart::grow(&cols, &weights, &resid, &g, &mut rng);
        let mut leaf_values = vec![0.0; nodes.len()];
        for (id, node) in nodes.iter().enumerate() {
            if let GNode::Leaf { rows } = node {
                let num: f64 = rows.iter().map(|&i| resid[i as usize]).sum();
                let den: f64 = rows
                    .iter()
                    .map(|&i| prob[i as usize] * (1.0 - prob[i as usize]))
                    .sum();
                leaf_values[id] = if den.abs() < 1e-150 {
                    0.0
                } else {
                    p.lr * num / den
                };
                for &i in rows {
                    f[i as usize] += leaf_values[id];
                }
            }
        }
        let tree = cart::to_preorder(&nodes, &weights, &mut |rows| {
            let num: f64 = rows.iter().map(|&i| resid[i as usize]).sum();
            let den: f64 = rows
                .iter()
                .map(|&i| prob[i as usize] * (1.0 - prob[i as usize]))
                .sum();
            if den.abs() < 1e-150 {
                0.0
            } else {
                p.lr * num / den
            }
        })?;
        trees.push(tree);
        bar.inc(1);
    }
    Ok(FloatEnsemble { base, trees })
}

/// A random forest of Gini trees: each tree on a bootstrap sample, `√d`
/// features tried per split, leaves holding the (bootstrap-weighted)
/// fraction of positive rows.
pub fn random_forest(
    data: &Prepared,
    y: &[bool],
    p: &TreeParams,
    rng: &mut Rng,
    bar: &ProgressBar,
) -> Result<FloatEnsemble> {
    let n = data.n;
    let cols = Columns::new(data);
    let yf: Vec<f64> = y.iter().map(|&b| f64::from(u8::from(b))).collect();
    let g = Grow {
        max_depth: p.depth,
        min_leaf: p.min_leaf,
        max_features: Some(((data.d as f64).sqrt() as usize).max(1)),
        min_gap: cart::MIN_GAP,
    };
    let mut trees = Vec::with_capacity(p.trees);
    bar.set_length(p.trees as u64);
    for _ in 0..p.trees {
        let mut w = vec![0.0; n];
        for _ in 0..n {
            w[rng.below(n as u64) as usize] += 1.0;
        }
        let nodes = cart::grow(&cols, &w, &yf, &g, rng);
        let tree = cart::to_preorder(&nodes, &w, &mut |rows| {
            let (mut s, mut t) = (0.0, 0.0);
            for &i in rows {
                s += w[i as usize] * yf[i as usize];
                t += w[i as usize];
            }
            if t > 0.0 {
                s / t
            } else {
                0.0
            }
        })?;
        trees.push(tree);
        bar.inc(1);
    }
    Ok(FloatEnsemble { base: 0.0, trees })
}

/// `c(n)`: the average path length of an unsuccessful search in a binary
/// search tree of `n` points (the isolation forest normaliser).
pub fn avg_path_length(n: usize) -> f64 {
    match n {
        0 | 1 => 0.0,
        2 => 1.0,
        _ => {
            let n = n as f64;
            2.0 * ((n - 1.0).ln() + std::f64::consts::EULER_GAMMA) - 2.0 * (n - 1.0) / n
        }
    }
}

/// An isolation forest (Liu, Ting, Zhou 2008; scikit-learn's
/// `IsolationForest`): each tree isolates a subsample of `psi` rows with
/// random features and uniformly random thresholds up to depth
/// `ceil(log2 psi)`; a leaf holds its depth plus `c(rows left in it)`; the
/// normaliser is `c(psi)`. Labels are not used.
pub fn isolation_forest(
    data: &Prepared,
    p: &TreeParams,
    rng: &mut Rng,
    bar: &ProgressBar,
) -> Result<FloatEnsemble> {
    let psi = p.psi.min(data.n).max(2);
    let limit = (psi as f64).log2().ceil() as usize;
    let mut trees = Vec::with_capacity(p.trees);
    bar.set_length(p.trees as u64);
    for _ in 0..p.trees {
        let rows = rng.sample(data.n, psi);
        let mut out = Vec::new();
        itree(data, rows, 0, limit, rng, &mut out);
        trees.push(out);
        bar.inc(1);
    }
    Ok(FloatEnsemble {
        base: avg_path_length(psi),
        trees,
    })
}

/// Grow one isolation tree in pre-order; returns (mean leaf value, rows).
fn itree(
    data: &Prepared,
    rows: Vec<usize>,
    depth: usize,
    limit: usize,
    rng: &mut Rng,
    out: &mut Vec<FloatNode>,
) -> (f64, f64) {
    let leaf = |out: &mut Vec<FloatNode>, rows: &[usize]| {
        let v = depth as f64 + avg_path_length(rows.len());
        out.push(FloatNode {
            feature: LEAF,
            right: 0,
            value: v,
            mean: v,
        });
        (v, rows.len() as f64)
    };
    if depth >= limit || rows.len() <= 1 {
        return leaf(out, &rows);
    }
    let ranges: Vec<(usize, i32, i32)> = (0..data.d)
        .filter_map(|j| {
            let col = &data.bits[j];
            let lo = rows.iter().map(|&i| col[i]).min()?;
            let hi = rows.iter().map(|&i| col[i]).max()?;
            (lo < hi).then_some((j, lo, hi))
        })
        .collect();
    if ranges.is_empty() {
        return leaf(out, &rows);
    }
    let (j, lo, hi) = ranges[rng.below(ranges.len() as u64) as usize];
    // Uniform threshold in [lo, hi): x <= t keeps lo left and hi right.
    let t = (i64::from(lo) + rng.below((i64::from(hi) - i64::from(lo)) as u64) as i64) as i32;
    // Only the gap between two adjacent training values that t falls in
    // decides the partition; its midpoint gives the same partition and
    // keeps the threshold as far as possible from those values, so the
    // f64 reference's slightly different preprocessing branches alike.
    let below = rows
        .iter()
        .map(|&i| data.bits[j][i])
        .filter(|&v| v <= t)
        .max()
        .unwrap_or(lo);
    let above = rows
        .iter()
        .map(|&i| data.bits[j][i])
        .filter(|&v| v > t)
        .min()
        .unwrap_or(hi);
    let t = (i64::from(below) + (i64::from(above) - i64::from(below)) / 2) as i32;
    let (l, r): (Vec<usize>, Vec<usize>) = rows.iter().partition(|&&i| data.bits[j][i] <= t);
    let at = out.len();
    out.push(FloatNode {
        feature: j as u16,
        right: 0,
        value: f64::from(t) / 65536.0,
        mean: 0.0,
    });
    let (ml, wl) = itree(data, l, depth + 1, limit, rng, out);
    out[at].right = out.len() as u16;
    let (mr, wr) = itree(data, r, depth + 1, limit, rng, out);
    let mean = (ml * wl + mr * wr) / (wl + wr);
    out[at].mean = mean;
    (mean, wl + wr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_length_normaliser() {
        assert_eq!(avg_path_length(1), 0.0);
        assert_eq!(avg_path_length(2), 1.0);
        // scikit-learn: _average_path_length([256]) = 10.244770920116851
        assert!((avg_path_length(256) - 10.244_770_920_116_851).abs() < 1e-9);
    }
}
