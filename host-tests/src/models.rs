//! Models and inputs for metering: every family, shapes from tiny to the
//! largest the guard plans for, built from `f64` parameters with the core's
//! `float` feature and quantised into blobs.
//!
//! Shapes are chosen to drive worst cases of the cost model: trees are
//! complete (every walk goes to `max_depth`), features can all pass through
//! clip and `log1p`, and inputs span every magnitude and sign.

use vigil_inference_core::float::{
    FloatBody, FloatEnsemble, FloatFeature, FloatLayer, FloatModel, FloatNode, QuantizeOptions,
};
use vigil_inference_core::format::{Activation, Family, LEAF};
use vigil_inference_core::{Act, Body, Model, Wide};

/// A small deterministic generator (SplitMix64): the same models on every
/// run, no extra dependency.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// Seeded generator.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A fair coin.
    pub fn coin(&mut self) -> bool {
        self.next_u64() & 1 == 1
    }
}

/// How a model's features are preprocessed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prep {
    /// Standardise only.
    Plain,
    /// Signed `log1p`, then standardise.
    Log1p,
    /// Clip both sides, then standardise.
    Clip,
    /// Clip both sides, signed `log1p`, standardise: the most expensive.
    ClipLog1p,
}

impl Prep {
    /// Every kind.
    pub const ALL: [Prep; 4] = [Prep::Plain, Prep::Log1p, Prep::Clip, Prep::ClipLog1p];

    /// Short name.
    pub fn name(self) -> &'static str {
        match self {
            Prep::Plain => "plain",
            Prep::Log1p => "log1p",
            Prep::Clip => "clip",
            Prep::ClipLog1p => "clip+log1p",
        }
    }

    fn clip(self) -> bool {
        matches!(self, Prep::Clip | Prep::ClipLog1p)
    }

    fn log1p(self) -> bool {
        matches!(self, Prep::Log1p | Prep::ClipLog1p)
    }
}

/// `n` features of kind `prep`, with means and spreads that keep the
/// standardised values moderate for [`inputs`].
pub fn features(rng: &mut Rng, n: usize, prep: Prep) -> Vec<FloatFeature> {
    (0..n)
        .map(|_| {
            // Log-uniform spreads: tiny ones (small shifts, the affine
            // step's other rounding path) to huge ones (raw inputs reach
            // 1e15).
            let std = if prep.log1p() {
                10f64.powf(rng.range(-3.0, 2.0))
            } else {
                10f64.powf(rng.range(-8.0, 14.0))
            };
            let mean = if prep.log1p() {
                rng.range(-2.0, 8.0)
            } else {
                rng.range(-1.0, 1.0) * std
            };
            FloatFeature {
                clip_lo: prep.clip().then(|| -rng.range(1e3, 1e13)),
                clip_hi: prep.clip().then(|| rng.range(1e3, 1e13)),
                log1p: prep.log1p(),
                mean,
                std,
            }
        })
        .collect()
}

/// One raw input: every magnitude from 1e-6 to 1e15, either sign, sometimes
/// zero.
pub fn raw_value(rng: &mut Rng) -> f64 {
    if rng.below(16) == 0 {
        return 0.0;
    }
    let magnitude = 10f64.powf(rng.range(-6.0, 15.0));
    if rng.coin() {
        magnitude
    } else {
        -magnitude
    }
}

/// `n` raw inputs.
pub fn inputs(rng: &mut Rng, n: usize) -> Vec<Wide> {
    (0..n)
        .map(|_| Wide::saturating_from_num(raw_value(rng)))
        .collect()
}

/// A dense layer with random weights of moderate output.
pub fn layer(rng: &mut Rng, fan_in: usize, fan_out: usize, activation: Activation) -> FloatLayer {
    let spread = 2.0 / (fan_in as f64).sqrt();
    FloatLayer {
        weights: (0..fan_in * fan_out)
            .map(|_| rng.range(-spread, spread))
            .collect(),
        biases: (0..fan_out).map(|_| rng.range(-0.5, 0.5)).collect(),
        activation,
    }
}

/// Weight storage and scale granularity of a dense model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dense {
    /// `i16` weights (else `i8`).
    pub wide: bool,
    /// One scale per output neuron (else one per layer).
    pub per_channel: bool,
}

impl Dense {
    /// The quantisation options.
    pub fn options(self) -> QuantizeOptions {
        QuantizeOptions {
            wide_weights: self.wide,
            per_channel: self.per_channel,
            explain: false,
        }
    }

    /// Short name.
    pub fn name(self) -> String {
        format!(
            "{} {}",
            if self.wide { "i16" } else { "i8" },
            if self.per_channel {
                "per-channel"
            } else {
                "per-layer"
            }
        )
    }
}

/// A logistic regression on `n` features.
pub fn linear(rng: &mut Rng, n: usize, prep: Prep, output: Activation) -> FloatModel {
    FloatModel {
        threshold: 0.5,
        features: features(rng, n, prep),
        body: FloatBody::Linear(layer(rng, n, 1, output)),
    }
}

/// An MLP with layer widths `widths` (`widths[0]` features, last `1`),
/// `hidden` on every hidden layer and `output` on the last.
pub fn mlp(
    rng: &mut Rng,
    widths: &[usize],
    prep: Prep,
    hidden: Activation,
    output: Activation,
) -> FloatModel {
    let layers = widths
        .windows(2)
        .enumerate()
        .map(|(k, w)| {
            let act = if k + 2 == widths.len() {
                output
            } else {
                hidden
            };
            layer(rng, w[0], w[1], act)
        })
        .collect();
    FloatModel {
        threshold: 0.5,
        features: features(rng, widths[0], prep),
        body: FloatBody::Mlp(layers),
    }
}

/// A complete binary tree of `depth` (every leaf at `depth`, so every walk
/// takes `depth` steps), in pre-order, splitting on random features with
/// thresholds near the standardised features' range.
pub fn complete_tree(
    rng: &mut Rng,
    depth: u8,
    n_features: usize,
    leaf: &mut impl FnMut(&mut Rng) -> f64,
) -> Vec<FloatNode> {
    fn grow(
        rng: &mut Rng,
        depth: u8,
        n_features: usize,
        leaf: &mut impl FnMut(&mut Rng) -> f64,
        out: &mut Vec<FloatNode>,
    ) -> f64 {
        if depth == 0 {
            let value = leaf(rng);
            out.push(FloatNode {
                feature: LEAF,
                right: 0,
                value,
                mean: value,
            });
            return value;
        }
        let at = out.len();
        out.push(FloatNode {
            feature: rng.below(n_features) as u16,
            right: 0,
            value: rng.range(-1.5, 1.5),
            mean: 0.0,
        });
        let left = grow(rng, depth - 1, n_features, leaf, out);
        out[at].right = out.len() as u16;
        let right = grow(rng, depth - 1, n_features, leaf, out);
        out[at].mean = (left + right) / 2.0;
        out[at].mean
    }
    let mut out = Vec::with_capacity((2usize << depth) - 1);
    grow(rng, depth, n_features, leaf, &mut out);
    out
}

/// A tree ensemble of `family` with `n_trees` complete trees of `depth`
/// over `n_features` features.
pub fn ensemble(
    rng: &mut Rng,
    family: Family,
    n_trees: usize,
    depth: u8,
    n_features: usize,
    prep: Prep,
) -> FloatModel {
    let mut leaf = |rng: &mut Rng| match family {
        Family::RandomForest => rng.unit(),
        Family::IsolationForest => rng.range(1.0, 12.0),
        _ => rng.range(-0.3, 0.3),
    };
    let trees = (0..n_trees)
        .map(|_| complete_tree(rng, depth, n_features, &mut leaf))
        .collect();
    let base = match family {
        Family::Gbdt => rng.range(-1.0, 1.0),
        Family::IsolationForest => 10.24, // c(256)
        _ => 0.0,
    };
    let e = FloatEnsemble { base, trees };
    FloatModel {
        threshold: 0.5,
        features: features(rng, n_features, prep),
        body: match family {
            Family::Gbdt => FloatBody::Gbdt(e),
            Family::RandomForest => FloatBody::RandomForest(e),
            _ => FloatBody::IsolationForest(e),
        },
    }
}

/// Multiply every dense weight by `by` (tiny factors push the
/// requantisation shifts above 64, `mul_shift_i128`'s longer path).
pub fn scale_weights(model: &mut FloatModel, by: f64) {
    match &mut model.body {
        FloatBody::Linear(l) => l.weights.iter_mut().for_each(|w| *w *= by),
        FloatBody::Mlp(layers) => layers
            .iter_mut()
            .flat_map(|l| l.weights.iter_mut())
            .for_each(|w| *w *= by),
        _ => {}
    }
}

/// Quantise and serialise.
pub fn blob(model: &FloatModel, options: &QuantizeOptions) -> Vec<u8> {
    model
        .quantize(options)
        .to_bytes()
        .expect("generated models are valid")
}

/// Short name of an activation.
pub fn act_name(a: Activation) -> &'static str {
    match a {
        Activation::Identity => "identity",
        Activation::Relu => "relu",
        Activation::Sigmoid => "sigmoid",
        Activation::Tanh => "tanh",
        Activation::HardSigmoid => "hard-sigmoid",
        Activation::HardTanh => "hard-tanh",
    }
}

/// Every hidden activation.
pub const HIDDEN_ACTIVATIONS: [Activation; 6] = [
    Activation::Identity,
    Activation::Relu,
    Activation::Sigmoid,
    Activation::Tanh,
    Activation::HardSigmoid,
    Activation::HardTanh,
];

/// Every output activation.
pub const OUTPUT_ACTIVATIONS: [Activation; 3] = [
    Activation::Identity,
    Activation::Sigmoid,
    Activation::HardSigmoid,
];

/// Raw input that standardises to about `z` under feature `f`.
fn raw_for(f: &FloatFeature, z: f64) -> f64 {
    let y = f.mean + z * f.std;
    let raw = if f.log1p {
        y.signum() * y.abs().exp_m1()
    } else {
        y
    };
    raw.clamp(
        f.clip_lo.unwrap_or(f64::NEG_INFINITY),
        f.clip_hi.unwrap_or(f64::INFINITY),
    )
}

/// Input vectors meant to drive the expensive paths of `model`: random
/// magnitudes; zeros; inputs that standardise to moderate values (so
/// sigmoid/tanh take their full path rather than saturating early, and
/// trees branch both ways), once of either sign and once negative where a
/// moderate value can be (the requantisation's dearer sign), never so large
/// that `log1p`'s input saturates [`Wide`] (at the extremes `1 + |x|` is a
/// power of two, which `log1p` skips the squarings for); negative values of
/// every magnitude (every feature's dearest path: the negative branch, and
/// `log1p`'s full 24 squarings); the extremes of [`Wide`].
pub fn input_sets(rng: &mut Rng, model: &FloatModel) -> Vec<Vec<Wide>> {
    let n = model.features.len();
    let wide =
        |v: Vec<f64>| -> Vec<Wide> { v.into_iter().map(Wide::saturating_from_num).collect() };
    let moderate = |rng: &mut Rng, negative: bool| -> Vec<f64> {
        model
            .features
            .iter()
            .map(|f| {
                // Standardised values z in [-2, 2]; with log1p, |mean + z
                // std| <= 40 (raw values below 2.4e17); the raw value is
                // negative exactly when mean + z std is.
                let (mut lo, mut hi) = (-2.0f64, 2.0f64);
                if f.log1p {
                    lo = lo.max((-40.0 - f.mean) / f.std);
                    hi = hi.min((40.0 - f.mean) / f.std);
                }
                if negative && lo < -f.mean / f.std {
                    hi = hi.min(-f.mean / f.std);
                }
                let z = if lo < hi {
                    rng.range(lo, hi)
                } else {
                    rng.range(-2.0, 2.0)
                };
                raw_for(f, z)
            })
            .collect()
    };
    let negative = |rng: &mut Rng| -> Vec<f64> {
        (0..n)
            .map(|_| -(10f64.powf(rng.range(-6.0, 15.0))))
            .collect()
    };
    vec![
        inputs(rng, n),
        vec![Wide::ZERO; n],
        wide(moderate(rng, false)),
        wide(moderate(rng, true)),
        wide(negative(rng)),
        (0..n)
            .map(|i| if i % 2 == 0 { Wide::MAX } else { Wide::MIN })
            .collect(),
    ]
}

/// The steps the walks of a tree ensemble take on `inputs`, as the core
/// walks (`tree.rs`: left when the feature is at most the threshold, to a
/// leaf or `max_depth` steps), from the features the core computes; `None`
/// for dense models or invalid inputs. `Model::cost` charges every tree's
/// walk to its deepest leaf ([`Ensemble::max_steps`]), which an input
/// reaches in every tree only when the trees are complete.
///
/// [`Ensemble::max_steps`]: vigil_inference_core::tree::Ensemble::max_steps
pub fn walk_steps(model: &Model<'_>, inputs: &[Wide]) -> Option<u64> {
    let Body::Trees(e) = model.body() else {
        return None;
    };
    let mut x = vec![Act::ZERO; model.scratch_len()];
    model.preprocess(inputs, &mut x).ok()?;
    let mut steps = 0;
    for tree in e.trees() {
        let mut i = 0;
        for _ in 0..e.max_depth {
            let node = tree.node(i);
            if node.feature == LEAF {
                break;
            }
            i = if x.get(usize::from(node.feature))?.to_bits() <= node.value {
                i + 1
            } else {
                usize::from(node.right)
            };
            steps += 1;
        }
    }
    Some(steps)
}

/// A random tree (not necessarily complete) of depth at most `max_depth`,
/// in pre-order.
pub fn random_tree(
    rng: &mut Rng,
    max_depth: u8,
    n_features: usize,
    leaf: &mut impl FnMut(&mut Rng) -> f64,
) -> Vec<FloatNode> {
    fn grow(
        rng: &mut Rng,
        depth: u8,
        n_features: usize,
        leaf: &mut impl FnMut(&mut Rng) -> f64,
        out: &mut Vec<FloatNode>,
    ) -> f64 {
        // Leaves get likelier with depth; the root splits when it may.
        if depth == 0 || (!out.is_empty() && rng.below(4) == 0) {
            let value = leaf(rng);
            out.push(FloatNode {
                feature: LEAF,
                right: 0,
                value,
                mean: value,
            });
            return value;
        }
        let at = out.len();
        out.push(FloatNode {
            feature: rng.below(n_features) as u16,
            right: 0,
            value: rng.range(-1.5, 1.5),
            mean: 0.0,
        });
        let left = grow(rng, depth - 1, n_features, leaf, out);
        out[at].right = out.len() as u16;
        let right = grow(rng, depth - 1, n_features, leaf, out);
        out[at].mean = (left + right) / 2.0;
        out[at].mean
    }
    let mut out = Vec::new();
    grow(rng, max_depth, n_features, leaf, &mut out);
    out
}

/// A random model of any family and a moderate size (at most a few
/// hundred thousand wasm operations per inference), each feature with its
/// own random preprocessing, with the options to quantise it and a name
/// that describes it.
pub fn random_model(rng: &mut Rng) -> (String, FloatModel, QuantizeOptions) {
    let mut options = QuantizeOptions {
        wide_weights: rng.coin(),
        per_channel: rng.coin(),
        explain: rng.coin(),
    };
    let pick = |rng: &mut Rng, acts: &[Activation]| acts[rng.below(acts.len())];
    let (name, mut model) = match rng.below(5) {
        0 => {
            let n = 1 + rng.below(48);
            let out = pick(rng, &OUTPUT_ACTIVATIONS);
            let m = linear(rng, n, Prep::Plain, out);
            (format!("linear {n} {}", act_name(out)), m)
        }
        1 => {
            let depth = 1 + rng.below(3);
            let mut widths = vec![1 + rng.below(40)];
            for _ in 0..depth {
                widths.push(1 + rng.below(48));
            }
            widths.push(1);
            let hidden = pick(rng, &HIDDEN_ACTIVATIONS);
            let out = pick(rng, &OUTPUT_ACTIVATIONS);
            let m = mlp(rng, &widths, Prep::Plain, hidden, out);
            let shape: Vec<String> = widths.iter().map(|w| w.to_string()).collect();
            (
                format!(
                    "mlp {} {} {}/{}",
                    shape.join("-"),
                    Dense {
                        wide: options.wide_weights,
                        per_channel: options.per_channel
                    }
                    .name(),
                    act_name(hidden),
                    act_name(out)
                ),
                m,
            )
        }
        k => {
            let family = [Family::Gbdt, Family::RandomForest, Family::IsolationForest][k - 2];
            let n_trees = 1 + rng.below(40);
            let depth = rng.below(9) as u8;
            let n_features = 1 + rng.below(24);
            let complete = rng.coin();
            let mut m = ensemble(rng, family, n_trees, depth, n_features, Prep::Plain);
            if !complete {
                let mut leaf = |rng: &mut Rng| match family {
                    Family::RandomForest => rng.unit(),
                    Family::IsolationForest => rng.range(1.0, 12.0),
                    _ => rng.range(-0.3, 0.3),
                };
                let trees = (0..n_trees)
                    .map(|_| random_tree(rng, depth, n_features, &mut leaf))
                    .collect();
                match &mut m.body {
                    FloatBody::Gbdt(e)
                    | FloatBody::RandomForest(e)
                    | FloatBody::IsolationForest(e) => e.trees = trees,
                    _ => unreachable!("an ensemble"),
                }
            }
            (
                format!(
                    "{} {n_trees}x{depth} {}{} over {n_features} features",
                    family.name(),
                    if complete { "complete" } else { "random" },
                    if options.explain { " explain" } else { "" }
                ),
                m,
            )
        }
    };
    if !model.family().is_trees() {
        options.explain = false;
    }
    // Sometimes tiny weights: requantisation shifts above 64.
    let name = if !model.family().is_trees() && rng.below(4) == 0 {
        let by = 10f64.powf(-rng.range(6.0, 12.0));
        scale_weights(&mut model, by);
        format!("{name} weights x{by:.0e}")
    } else {
        name
    };
    // Every feature its own preprocessing.
    let n = model.features.len();
    let preps: Vec<Prep> = (0..n).map(|_| Prep::ALL[rng.below(4)]).collect();
    for (f, prep) in model.features.iter_mut().zip(&preps) {
        let mut one = features(rng, 1, *prep).remove(0);
        if prep.clip() {
            // Sometimes one side only.
            match rng.below(3) {
                0 => one.clip_lo = None,
                1 => one.clip_hi = None,
                _ => {}
            }
        }
        *f = one;
    }
    let counts = |p: Prep| preps.iter().filter(|q| **q == p).count();
    let name = format!(
        "{name}; features plain/log1p/clip/clip+log1p {}/{}/{}/{}",
        counts(Prep::Plain),
        counts(Prep::Log1p),
        counts(Prep::Clip),
        counts(Prep::ClipLog1p)
    );
    (name, model, options)
}
