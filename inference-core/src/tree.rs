//! Tree ensembles: gradient-boosted sums, random-forest averages and
//! isolation-forest anomaly scores.
//!
//! Each tree is stored in pre-order: node `i`'s left child is `i + 1`, its
//! right child is the stored index `r > i + 1`. A split on feature `f`
//! with threshold `t` goes left when `x_f <= t` (scikit-learn's rule), with
//! `x` the preprocessed `I16F16` features. Validation proves every tree is a
//! complete pre-order binary tree within the declared depth, so a walk takes
//! at most `max_depth + 1` steps and every index is in bounds.
//!
//! Aggregation of the leaf values `v_k` (`I16F16` bits) over `n` trees:
//!
//! | family | raw value | score |
//! |---|---|---|
//! | GBDT | `base + Σ v_k` (logit) | `sigmoid(raw)` |
//! | random forest | `Σ v_k / n` (probability) | `clamp(raw, 0, 1)` |
//! | isolation forest | `Σ v_k / n` (mean path length `h`) | `2^(-h / base)`, `base = c(psi)` |
//!
//! With explanation values (header flag), every node also stores the mean
//! output of its subtree; the contribution of a split's feature is the
//! change of that value along the path (Saabas' method), summed over trees
//! (divided by `n` for the averaging families).
use crate::cost::OpCoefficients;
use crate::format::{le_i32, Family, Reader, LEAF, MAX_DEPTH};
use crate::math::{exp2_neg_q30, sat_i32, sigmoid_q30, ONE_Q16};
use crate::{Act, FormatError};

/// Node size without explanation values.
pub const NODE_LEN: usize = 8;
/// Node size with explanation values.
pub const NODE_LEN_EXPLAIN: usize = 12;
/// Bytes of the ensemble header before the node counts.
pub const ENSEMBLE_HEADER_LEN: usize = 8;

/// A validated, zero-copy view of a tree ensemble.
#[derive(Clone, Copy, Debug)]
pub struct Ensemble<'a> {
    /// Number of trees.
    pub n_trees: usize,
    /// Deepest path allowed (and bounding every walk).
    pub max_depth: u8,
    /// GBDT: initial logit. Isolation forest: `c(psi)`. Random forest: 0.
    pub base: i32,
    /// Nodes carry explanation values.
    pub explain: bool,
    /// The most steps one inference's walks can take: the sum over trees
    /// of the depth of each tree's deepest leaf (at most `n_trees ·
    /// max_depth`, equal for complete trees of `max_depth`).
    pub max_steps: usize,
    counts: &'a [u8],
    nodes: &'a [u8],
}

/// One decoded node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Node {
    /// Split feature, or [`LEAF`].
    pub feature: u16,
    /// Right child index (0 for leaves).
    pub right: u16,
    /// Threshold (internal) or output value (leaf), `I16F16` bits.
    pub value: i32,
    /// Mean output of the subtree (explanation value), `I16F16` bits.
    pub mean: i32,
}

impl<'a> Ensemble<'a> {
    fn stride(&self) -> usize {
        if self.explain {
            NODE_LEN_EXPLAIN
        } else {
            NODE_LEN
        }
    }

    /// Total nodes over all trees.
    pub fn total_nodes(&self) -> usize {
        self.nodes.len() / self.stride()
    }

    /// The ensemble's part of the bound on a parse and one inference, with
    /// coefficients `k` ([`OpCoefficients`]), for a model of `family`: the
    /// fixed cost of a call on that family (its aggregation of the leaves,
    /// in `run`, on its dearest path), and per tree, per stored node (its
    /// validation at parse, the explanation value's too when stored) and
    /// per step of a walk, every tree walked to its own deepest leaf
    /// ([`max_steps`](Self::max_steps)) on the dearer branch.
    pub fn cost(&self, family: Family, k: &OpCoefficients) -> u64 {
        let (trees, nodes, steps) = (
            self.n_trees as u64,
            self.total_nodes() as u64,
            self.max_steps as u64,
        );
        let call = match family {
            Family::RandomForest => k.trees_call[1],
            Family::IsolationForest => k.trees_call[2],
            _ => k.trees_call[0],
        };
        let mut ops = call + trees * k.per_tree + nodes * k.per_node + steps * k.per_step;
        if self.explain {
            ops += nodes * k.per_node_explain;
        }
        ops
    }

    /// Iterate the trees as node slices.
    pub fn trees(&self) -> impl Iterator<Item = Tree<'a>> + '_ {
        let stride = self.stride();
        let mut start = 0usize;
        self.counts.as_chunks::<2>().0.iter().map(move |c| {
            let n = usize::from(u16::from_le_bytes(*c));
            let end = start + n * stride;
            let nodes = self.nodes.get(start..end).unwrap_or(&[]);
            start = end;
            Tree { nodes, stride }
        })
    }
}

/// A validated tree.
#[derive(Clone, Copy, Debug)]
pub struct Tree<'a> {
    nodes: &'a [u8],
    stride: usize,
}

impl Tree<'_> {
    /// Node count.
    pub fn len(&self) -> usize {
        self.nodes.len() / self.stride
    }

    /// Never true for a validated tree.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Decode node `i`.
    pub fn node(&self, i: usize) -> Node {
        let (feature, right, value) = self.split(i);
        Node {
            feature,
            right,
            value,
            mean: self.mean(i, value),
        }
    }

    /// Feature, right child and value of node `i`, from one 8-byte read.
    #[inline(always)]
    fn split(&self, i: usize) -> (u16, u16, i32) {
        match self
            .nodes
            .get(i * self.stride..)
            .and_then(|s| s.first_chunk::<NODE_LEN>())
        {
            Some(b) => (
                u16::from_le_bytes([b[0], b[1]]),
                u16::from_le_bytes([b[2], b[3]]),
                i32::from_le_bytes([b[4], b[5], b[6], b[7]]),
            ),
            // Unreachable after validation; a leaf of value 0.
            None => (LEAF, 0, 0),
        }
    }

    /// Explanation value of node `i` (its value when none are stored).
    #[inline(always)]
    fn mean(&self, i: usize, value: i32) -> i32 {
        if self.stride == NODE_LEN_EXPLAIN {
            le_i32(self.nodes, i * self.stride + NODE_LEN)
        } else {
            value
        }
    }

    /// Walk to a leaf and return its value.
    #[inline]
    fn walk(&self, x: &[Act], max_depth: u8) -> i32 {
        let (mut feature, mut right, mut value) = self.split(0);
        let mut i = 0usize;
        for _ in 0..max_depth {
            if feature == LEAF {
                break;
            }
            let xf = x.get(usize::from(feature)).map_or(0, |v| v.to_bits());
            i = if xf <= value {
                i + 1
            } else {
                usize::from(right)
            };
            (feature, right, value) = self.split(i);
        }
        value
    }

    /// [`walk`](Self::walk), calling `on_split(feature, delta)` for every
    /// split taken with the change of explanation value.
    fn walk_explained(
        &self,
        x: &[Act],
        max_depth: u8,
        mut on_split: impl FnMut(usize, i32),
    ) -> i32 {
        let mut i = 0usize;
        let mut node = self.node(0);
        for _ in 0..max_depth {
            if node.feature == LEAF {
                break;
            }
            let xf = x.get(usize::from(node.feature)).map_or(0, |v| v.to_bits());
            let next = if xf <= node.value {
                i + 1
            } else {
                usize::from(node.right)
            };
            let child = self.node(next);
            on_split(
                usize::from(node.feature),
                child.mean.saturating_sub(node.mean),
            );
            i = next;
            node = child;
        }
        node.value
    }
}

/// Internal nodes whose left subtree is being checked: `index << 32 |
/// right child << 8 | depth of the right child`. One per ensemble, reused
/// for every tree.
type Pending = [u64; MAX_DEPTH as usize + 1];

/// Check that `tree` is a complete pre-order binary tree of its node count
/// within `max_depth`: one pass over the nodes in order, with a stack of the
/// internal nodes whose left subtree is in progress (at most
/// `MAX_DEPTH + 1` deep, on the stack: no allocation, no recursion).
/// Returns the depth of its deepest leaf.
fn check_tree(
    tree: &Tree<'_>,
    t: usize,
    max_depth: u8,
    n_features: usize,
    explain: bool,
    pending: &mut Pending,
) -> Result<u8, FormatError> {
    let malformed = |node| FormatError::MalformedTree { tree: t, node };
    let len = tree.len();
    let mut top = 0usize;
    let (mut i, mut depth, mut deepest) = (0usize, 0u8, 0u8);
    loop {
        if depth > max_depth {
            return Err(FormatError::DepthExceeded { tree: t });
        }
        if i >= len {
            return Err(malformed(i));
        }
        let node = tree.node(i);
        if node.feature != LEAF {
            if usize::from(node.feature) >= n_features {
                return Err(FormatError::FeatureOutOfRange { tree: t, node: i });
            }
            // depth <= max_depth <= MAX_DEPTH, so top <= depth < pending.len()
            let Some(slot) = pending.get_mut(top) else {
                return Err(FormatError::DepthExceeded { tree: t });
            };
            // i, right < 2^16 (node counts are u16), depth + 1 <= 33
            *slot = (i as u64) << 32 | u64::from(node.right) << 8 | u64::from(depth + 1);
            top += 1;
            i += 1;
            depth += 1;
            continue;
        }
        if node.right != 0 {
            return Err(malformed(i));
        }
        if explain && node.mean != node.value {
            return Err(FormatError::LeafValueMismatch { tree: t, node: i });
        }
        deepest = deepest.max(depth);
        // The subtree ending at this leaf is the left subtree of the
        // innermost pending node: its right child must come next.
        let end = i + 1;
        if top == 0 {
            return if end == len {
                Ok(deepest)
            } else {
                Err(malformed(end))
            };
        }
        top -= 1;
        let entry = pending.get(top).copied().unwrap_or(0);
        let (parent, right, right_depth) =
            ((entry >> 32) as usize, (entry >> 8) as u16, entry as u8);
        if usize::from(right) != end {
            return Err(malformed(parent));
        }
        i = end;
        depth = right_depth;
    }
}

/// Validate an ensemble body.
pub(crate) fn validate<'a>(
    r: &mut Reader<'a>,
    family: Family,
    n_features: usize,
    explain: bool,
) -> Result<Ensemble<'a>, FormatError> {
    let n_trees = usize::from(r.u16()?);
    if n_trees == 0 {
        return Err(FormatError::NoTrees);
    }
    let max_depth = r.u8()?;
    if max_depth > MAX_DEPTH {
        return Err(FormatError::MaxDepthTooLarge(max_depth));
    }
    r.reserved()?;
    let base_at = r.pos();
    let base = r.i32()?;
    if family == Family::IsolationForest && base <= 0 {
        return Err(FormatError::BadNormaliser);
    }
    if family == Family::RandomForest && base != 0 {
        return Err(FormatError::ReservedNonZero { offset: base_at });
    }
    let counts = r.take(2 * n_trees)?;
    let stride = if explain { NODE_LEN_EXPLAIN } else { NODE_LEN };
    let mut total = 0usize;
    for (t, c) in counts.as_chunks::<2>().0.iter().enumerate() {
        let n = usize::from(u16::from_le_bytes(*c));
        if n == 0 {
            return Err(FormatError::MalformedTree { tree: t, node: 0 });
        }
        total += n; // < 2^32 nodes: fits usize on 32-bit targets
    }
    let too_big = FormatError::Truncated {
        offset: r.pos(),
        needed: usize::MAX,
    };
    let nodes = r.take(total.checked_mul(stride).ok_or(too_big)?)?;
    let mut ensemble = Ensemble {
        n_trees,
        max_depth,
        base,
        explain,
        max_steps: 0,
        counts,
        nodes,
    };
    let mut pending: Pending = [0; MAX_DEPTH as usize + 1];
    let mut steps = 0;
    for (t, tree) in ensemble.trees().enumerate() {
        steps += usize::from(check_tree(
            &tree,
            t,
            max_depth,
            n_features,
            explain,
            &mut pending,
        )?);
    }
    ensemble.max_steps = steps;
    Ok(ensemble)
}

/// Score bits (`U1F31`) of the ensemble on features `x`; with
/// `contributions`, also the per-feature explanation (same length as `x`).
pub(crate) fn run(
    e: &Ensemble<'_>,
    family: Family,
    x: &[Act],
    mut contributions: Option<&mut [Act]>,
) -> u32 {
    if let Some(c) = contributions.as_deref_mut() {
        c.fill(Act::ZERO);
    }
    let mut sum: i64 = 0;
    for tree in e.trees() {
        let leaf = match contributions.as_deref_mut() {
            Some(c) => tree.walk_explained(x, e.max_depth, |f, d| {
                if let Some(v) = c.get_mut(f) {
                    *v = Act::from_bits(v.to_bits().saturating_add(d));
                }
            }),
            None => tree.walk(x, e.max_depth),
        };
        // at most 65,535 leaves of |v| <= 2^31: |sum| < 2^47
        sum += i64::from(leaf);
    }
    let n = e.n_trees.max(1) as i64;
    if family != Family::Gbdt {
        if let Some(c) = contributions {
            for v in c.iter_mut() {
                *v = Act::from_bits(i64::from(v.to_bits()).div_euclid(n) as i32);
            }
        }
    }
    match family {
        Family::Gbdt => {
            let logit = sat_i32(sum + i64::from(e.base));
            (sigmoid_q30(logit) << 1) as u32
        }
        Family::IsolationForest => {
            let mean = sum.div_euclid(n).max(0); // path length, Q16, < 2^31
            let t_q30 = ((mean << 30) / i64::from(e.base.max(1))) as u64;
            (exp2_neg_q30(t_q30) << 1) as u32
        }
        // Random forest
        _ => {
            let mean = sum.div_euclid(n).clamp(0, i64::from(ONE_Q16));
            (mean as u32) << 15
        }
    }
}

/// Depth of the deepest leaf actually present (for reports).
pub fn deepest(e: &Ensemble<'_>) -> u8 {
    fn depth(tree: &Tree<'_>, i: usize, d: u8) -> u8 {
        let n = tree.node(i);
        if n.feature == LEAF || d >= MAX_DEPTH {
            return d;
        }
        depth(tree, i + 1, d + 1).max(depth(tree, usize::from(n.right), d + 1))
    }
    e.trees().map(|t| depth(&t, 0, 0)).max().unwrap_or(0)
}
