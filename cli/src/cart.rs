//! Greedy binary regression/classification trees on the core's `I16F16`
//! feature bits, grown level by level over presorted columns.
//!
//! One criterion serves gradient boosting and random forests: a split
//! maximises `Σ_children (Σ w·t)² / Σ w` (weighted variance reduction of the
//! targets `t`; on 0/1 targets this is exactly Gini impurity reduction, and
//! on gradients it is scikit-learn's `friedman_mse` improvement).
//! Thresholds are integers halfway between two adjacent distinct training
//! values, so `x <= threshold` holds for one and not the other both in the
//! core and in the `f64` reference (threshold bits / 2^16 is exact in f64).
use anyhow::{bail, Result};
use vigil_inference_core::float::FloatNode;
use vigil_inference_core::format::LEAF;

use crate::prep::Prepared;
use crate::rng::Rng;

/// Presorted columns of a [`Prepared`] matrix.
pub struct Columns<'a> {
    /// The features.
    pub data: &'a Prepared,
    /// Row indices sorted by each feature's bits.
    pub order: Vec<Vec<u32>>,
}

impl<'a> Columns<'a> {
    /// Sort every column once.
    pub fn new(data: &'a Prepared) -> Self {
        let order = data
            .bits
            .iter()
            .map(|col| {
                let mut o: Vec<u32> = (0..data.n as u32).collect();
                o.sort_by_key(|&i| col[i as usize]);
                o
            })
            .collect();
        Columns { data, order }
    }
}

/// Growth limits.
#[derive(Clone, Copy, Debug)]
pub struct Grow {
    /// Deepest leaf (edges from the root).
    pub max_depth: usize,
    /// Smallest weight a leaf may hold.
    pub min_leaf: f64,
    /// Features tried per node (`None`: all).
    pub max_features: Option<usize>,
    /// Smallest gap (in `I16F16` bits) between the two training values a
    /// threshold separates. The core's preprocessing differs from the f64
    /// reference by a few bits (see the core's stated bounds), so a split
    /// between values closer than that would send rows different ways in
    /// the two; [`MIN_GAP`] keeps every threshold at least 8 bits from the
    /// training values it separates.
    pub min_gap: i32,
}

/// Default [`Grow::min_gap`]: 16 bits, 2.4e-4 in standardised units.
pub const MIN_GAP: i32 = 16;

/// A grown tree (arena; node 0 is the root).
#[derive(Clone, Debug)]
pub enum GNode {
    /// `x[feature] <= threshold` goes to `left`.
    Split {
        /// Feature.
        feature: u16,
        /// Threshold bits.
        threshold: i32,
        /// Left child.
        left: usize,
        /// Right child.
        right: usize,
    },
    /// A leaf and the rows (with positive weight) that reach it.
    Leaf {
        /// Row indices.
        rows: Vec<u32>,
    },
}

const NONE: u32 = u32::MAX;

struct Frontier {
    node: usize,
    w: f64,
    s: f64,
    rows: Vec<u32>,
    features: Option<Vec<bool>>,
    best: Option<(f64, u16, i32)>,
}

/// Grow one tree on rows with `weights[i] > 0`, targets `t`.
pub fn grow(cols: &Columns<'_>, weights: &[f64], t: &[f64], g: &Grow, rng: &mut Rng) -> Vec<GNode> {
    let d = cols.data.d;
    let n = cols.data.n;
    let mut nodes = vec![GNode::Leaf { rows: Vec::new() }];
    let mut slot = vec![NONE; n]; // frontier index of each active row
    let root_rows: Vec<u32> = (0..n as u32)
        .filter(|&i| weights[i as usize] > 0.0)
        .collect();
    let mut frontier = vec![Frontier {
        node: 0,
        w: root_rows.iter().map(|&i| weights[i as usize]).sum(),
        s: root_rows
            .iter()
            .map(|&i| weights[i as usize] * t[i as usize])
            .sum(),
        rows: root_rows,
        features: None,
        best: None,
    }];
    for depth in 0..=g.max_depth {
        // Which frontier nodes may split.
        let splittable: Vec<bool> = frontier
            .iter()
            .map(|f| {
                depth < g.max_depth && f.w >= 2.0 * g.min_leaf && f.rows.len() >= 2 && {
                    let t0 = t[f.rows[0] as usize];
                    f.rows.iter().any(|&i| t[i as usize] != t0)
                }
            })
            .collect();
        if !splittable.iter().any(|&s| s) {
            for f in frontier.drain(..) {
                nodes[f.node] = GNode::Leaf { rows: f.rows };
            }
            break;
        }
        for (k, f) in frontier.iter_mut().enumerate() {
            for &i in &f.rows {
                slot[i as usize] = if splittable[k] { k as u32 } else { NONE };
            }
            if let Some(m) = g.max_features.filter(|&m| m < d) {
                let mut mask = vec![false; d];
                for j in rng.sample(d, m) {
                    mask[j] = true;
                }
                f.features = Some(mask);
            }
        }
        // One pass per feature over the presorted rows, all nodes at once.
        let mut run_w = vec![0.0; frontier.len()];
        let mut run_s = vec![0.0; frontier.len()];
        let mut last = vec![None::<i32>; frontier.len()];
        for (j, order) in cols.order.iter().enumerate() {
            let col = &cols.data.bits[j];
            run_w.iter_mut().for_each(|v| *v = 0.0);
            run_s.iter_mut().for_each(|v| *v = 0.0);
            last.iter_mut().for_each(|v| *v = None);
            for &i in order {
                let k = slot[i as usize];
                if k == NONE {
                    continue;
                }
                let k = k as usize;
                let f = &mut frontier[k];
                if f.features.as_ref().is_some_and(|m| !m[j]) {
                    continue;
                }
                let x = col[i as usize];
                if let Some(prev) = last[k] {
                    let (wl, sl) = (run_w[k], run_s[k]);
                    let (wr, sr) = (f.w - wl, f.s - sl);
                    if i64::from(x) - i64::from(prev) >= i64::from(g.min_gap)
                        && wl >= g.min_leaf
                        && wr >= g.min_leaf
                    {
                        let gain = sl * sl / wl + sr * sr / wr - f.s * f.s / f.w;
                        if f.best.is_none_or(|(b, _, _)| gain > b) {
                            let thr =
                                (i64::from(prev) + (i64::from(x) - i64::from(prev)) / 2) as i32;
                            f.best = Some((gain, j as u16, thr));
                        }
                    }
                }
                let wi = weights[i as usize];
                run_w[k] += wi;
                run_s[k] += wi * t[i as usize];
                last[k] = Some(x);
            }
        }
        let mut next = Vec::new();
        for (k, f) in frontier.drain(..).enumerate() {
            match f
                .best
                .filter(|&(gain, _, _)| splittable[k] && gain > 1e-12 * f.w.max(1.0))
            {
                Some((_, feature, threshold)) => {
                    let col = &cols.data.bits[usize::from(feature)];
                    let (l, r): (Vec<u32>, Vec<u32>) =
                        f.rows.iter().partition(|&&i| col[i as usize] <= threshold);
                    let left = nodes.len();
                    nodes.push(GNode::Leaf { rows: Vec::new() });
                    nodes.push(GNode::Leaf { rows: Vec::new() });
                    nodes[f.node] = GNode::Split {
                        feature,
                        threshold,
                        left,
                        right: left + 1,
                    };
                    for (node, rows) in [(left, l), (left + 1, r)] {
                        next.push(Frontier {
                            node,
                            w: rows.iter().map(|&i| weights[i as usize]).sum(),
                            s: rows
                                .iter()
                                .map(|&i| weights[i as usize] * t[i as usize])
                                .sum(),
                            rows,
                            features: None,
                            best: None,
                        });
                    }
                }
                None => nodes[f.node] = GNode::Leaf { rows: f.rows },
            }
        }
        for s in slot.iter_mut() {
            *s = NONE;
        }
        frontier = next;
        if frontier.is_empty() {
            break;
        }
    }
    nodes
}

/// Lay a grown tree out in the core's pre-order form. `leaf_value(rows)`
/// gives each leaf's output; every node's `mean` is the weighted mean leaf
/// output of the training rows below it (Saabas explanations).
pub fn to_preorder(
    nodes: &[GNode],
    weights: &[f64],
    leaf_value: &mut dyn FnMut(&[u32]) -> f64,
) -> Result<Vec<FloatNode>> {
    fn emit(
        nodes: &[GNode],
        id: usize,
        weights: &[f64],
        leaf_value: &mut dyn FnMut(&[u32]) -> f64,
        out: &mut Vec<FloatNode>,
    ) -> (f64, f64) {
        match &nodes[id] {
            GNode::Leaf { rows } => {
                let v = leaf_value(rows);
                out.push(FloatNode {
                    feature: LEAF,
                    right: 0,
                    value: v,
                    mean: v,
                });
                (v, rows.iter().map(|&i| weights[i as usize]).sum())
            }
            GNode::Split {
                feature,
                threshold,
                left,
                right,
            } => {
                let at = out.len();
                out.push(FloatNode {
                    feature: *feature,
                    right: 0,
                    value: f64::from(*threshold) / 65536.0,
                    mean: 0.0,
                });
                let (ml, wl) = emit(nodes, *left, weights, leaf_value, out);
                let r = out.len();
                let (mr, wr) = emit(nodes, *right, weights, leaf_value, out);
                let w = wl + wr;
                let mean = if w > 0.0 {
                    (ml * wl + mr * wr) / w
                } else {
                    (ml + mr) / 2.0
                };
                out[at].right = r as u16;
                out[at].mean = mean;
                (mean, w)
            }
        }
    }
    let mut out = Vec::new();
    emit(nodes, 0, weights, leaf_value, &mut out);
    if out.len() > usize::from(u16::MAX) {
        bail!(
            "a tree has {} nodes; the format allows 65535: lower --depth",
            out.len()
        );
    }
    Ok(out)
}

/// The leaf reached by row `i` (arena index).
pub fn leaf_of(nodes: &[GNode], data: &Prepared, i: usize) -> usize {
    let mut id = 0;
    while let GNode::Split {
        feature,
        threshold,
        left,
        right,
    } = &nodes[id]
    {
        id = if data.bits[usize::from(*feature)][i] <= *threshold {
            *left
        } else {
            *right
        };
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prepared(cols: Vec<Vec<i32>>) -> Prepared {
        let d = cols.len();
        let n = cols[0].len();
        let mut z = vec![0.0; n * d];
        for (j, c) in cols.iter().enumerate() {
            for (i, &b) in c.iter().enumerate() {
                z[i * d + j] = f64::from(b) / 65536.0;
            }
        }
        Prepared {
            n,
            d,
            bits: cols,
            z,
        }
    }

    #[test]
    fn finds_the_separating_split_at_a_midpoint() {
        // Feature 1 separates the classes between bits 10 and 20.
        let p = prepared(vec![vec![5, 1, 4, 2, 3, 0], vec![0, 10, 20, 30, 10, 40]]);
        let t = [0.0, 0.0, 1.0, 1.0, 0.0, 1.0];
        let cols = Columns::new(&p);
        let g = Grow {
            max_depth: 3,
            min_leaf: 1.0,
            max_features: None,
            min_gap: 1,
        };
        let nodes = grow(&cols, &[1.0; 6], &t, &g, &mut Rng::new(1));
        let GNode::Split {
            feature, threshold, ..
        } = nodes[0]
        else {
            panic!("no split");
        };
        assert_eq!((feature, threshold), (1, 15));
        let pre = to_preorder(&nodes, &[1.0; 6], &mut |rows| {
            rows.iter().map(|&i| t[i as usize]).sum::<f64>() / rows.len() as f64
        })
        .unwrap();
        assert_eq!(pre.len(), 3);
        assert_eq!(pre[0].right, 2);
        assert!((pre[0].mean - 0.5).abs() < 1e-12);
        assert_eq!((pre[1].value, pre[2].value), (0.0, 1.0));
        for i in 0..6 {
            let leaf = leaf_of(&nodes, &p, i);
            let GNode::Leaf { rows } = &nodes[leaf] else {
                panic!()
            };
            assert!(rows.contains(&(i as u32)));
        }
    }
}
