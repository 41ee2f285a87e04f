//! `Model::cost` pinned, model by model: the bound of every model of a
//! broad deterministic set (every family, many shapes: widths around the
//! kernel's 64-row chunks and 64-input blocks, both weight types, both
//! scale modes, shifts on either side of 64, every activation, clips,
//! `log1p`, feature shifts on either side of 16, trees of many depths,
//! with and without explanation values) must equal
//! `tests/data/cost_golden.txt`, which was written by the cost model as it
//! stood before its parts moved beside the kernels (commit "cost: golden
//! bounds"), so any change to a computed bound fails here.
//!
//! Regenerate (only for an intended change of the cost model, e.g. new
//! coefficients, and say so in the commit):
//!
//! ```sh
//! VIGIL_BLESS_COST_GOLDEN=1 cargo test -p vigil-inference-core --test cost_golden
//! ```
use std::fmt::Write as _;

use vigil_inference_core::format::Activation;
use vigil_inference_core::preprocess::FeatureTransform;
use vigil_inference_core::spec::{BodySpec, EnsembleSpec, LayerSpec, ModelSpec, Weights};
use vigil_inference_core::tree::Node;
use vigil_inference_core::{Cost, Model, Score, Wide};

const GOLDEN: &str = "tests/data/cost_golden.txt";

/// xorshift64*: deterministic, seeded per model.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
}

fn feature(r: &mut Rng) -> FeatureTransform {
    let clip_lo = r.coin().then(|| Wide::from_num(-(r.below(1000) as i64)));
    let clip_hi = r.coin().then(|| Wide::from_num(1 + r.below(1000) as i64));
    FeatureTransform {
        clip_lo,
        clip_hi,
        log1p: r.coin(),
        scale: 1 + r.below(1 << 20) as i32,
        // Both sides of the affine step's short-shift class (shift < 16).
        shift: r.below(64) as u8,
        offset: r.below(1 << 16) as i32 - (1 << 15),
    }
}

fn features(r: &mut Rng, n: usize) -> Vec<FeatureTransform> {
    (0..n).map(|_| feature(r)).collect()
}

const HIDDEN: [Activation; 6] = [
    Activation::Identity,
    Activation::Relu,
    Activation::Sigmoid,
    Activation::Tanh,
    Activation::HardSigmoid,
    Activation::HardTanh,
];
const OUTPUT: [Activation; 3] = [
    Activation::Identity,
    Activation::Sigmoid,
    Activation::HardSigmoid,
];

fn layer(r: &mut Rng, fan_in: usize, fan_out: usize, activation: Activation) -> LayerSpec {
    let n = fan_in * fan_out;
    let weights = if r.coin() {
        Weights::I8((0..n).map(|_| r.next() as i8).collect())
    } else {
        Weights::I16((0..n).map(|_| r.next() as i16).collect())
    };
    let per_channel = fan_out > 1 && r.coin();
    let n_scales = if per_channel { fan_out } else { 1 };
    // Shifts 1..=96, either side of 64; some layers all on one side.
    let side = r.below(3);
    let scales = (0..n_scales)
        .map(|_| {
            let shift = match side {
                0 => 1 + r.below(63),
                1 => 64 + r.below(33),
                _ => 1 + r.below(96),
            } as u8;
            (1 + r.below(1 << 30) as i32, shift)
        })
        .collect();
    let biases = (0..fan_out).map(|_| r.next() as i32 >> 8).collect();
    LayerSpec {
        weights,
        scales,
        biases,
        activation,
    }
}

/// Widths around the kernel's 8-wide groups, 64-input blocks and 64-row
/// chunks, and a few arbitrary ones.
const WIDTHS: [usize; 22] = [
    1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 38, 63, 64, 65, 100, 127, 128, 129, 130, 191, 192, 200,
];

fn width(r: &mut Rng) -> usize {
    if r.below(4) == 0 {
        1 + r.below(260) as usize
    } else {
        r.pick(&WIDTHS)
    }
}

fn dense(r: &mut Rng, linear: bool) -> ModelSpec {
    let n = width(r);
    let out = r.pick(&OUTPUT);
    let body = if linear {
        BodySpec::Linear(layer(r, n, 1, out))
    } else {
        let hidden = 1 + r.below(4) as usize;
        let mut layers = Vec::new();
        let mut fan_in = n;
        for _ in 0..hidden {
            let w = width(r);
            let act = r.pick(&HIDDEN);
            layers.push(layer(r, fan_in, w, act));
            fan_in = w;
        }
        layers.push(layer(r, fan_in, 1, out));
        BodySpec::Mlp(layers)
    };
    ModelSpec {
        threshold: Score::from_bits(r.below(1 << 31) as u32),
        features: features(r, n),
        body,
    }
}

/// One tree in pre-order: splits until `depth` reaches `max` (or earlier,
/// by chance, unless `full`).
fn grow(r: &mut Rng, n_features: usize, depth: u8, max: u8, full: bool, out: &mut Vec<Node>) {
    let split = depth < max && (full || r.below(4) != 0);
    let i = out.len();
    if !split {
        let value = r.next() as i32 >> 12;
        out.push(Node {
            feature: vigil_inference_core::format::LEAF,
            right: 0,
            value,
            mean: value,
        });
        return;
    }
    out.push(Node {
        feature: r.below(n_features as u64) as u16,
        right: 0,
        value: r.next() as i32 >> 12,
        mean: r.next() as i32 >> 12,
    });
    grow(r, n_features, depth + 1, max, full, out);
    out[i].right = out.len() as u16;
    grow(r, n_features, depth + 1, max, full, out);
}

fn trees(r: &mut Rng, family: u64) -> ModelSpec {
    let n = 1 + r.below(40) as usize;
    let max_depth = r.below(9) as u8;
    let full = r.coin();
    let n_trees = r.pick(&[1usize, 2, 3, 10, 37, 100, 150]);
    let trees = (0..n_trees)
        .map(|_| {
            let mut nodes = Vec::new();
            let d = if full {
                max_depth
            } else {
                r.below(u64::from(max_depth) + 1) as u8
            };
            grow(r, n, 0, d, full, &mut nodes);
            nodes
        })
        .collect();
    let explain = family != 2 && r.coin();
    let base = match family {
        1 => 0,
        2 => 1 + r.below(1 << 20) as i32,
        _ => r.next() as i32 >> 12,
    };
    let e = EnsembleSpec {
        base,
        // Declared depth at or above the deepest tree.
        max_depth: max_depth + r.below(3) as u8,
        explain,
        trees,
    };
    ModelSpec {
        threshold: Score::from_bits(r.below(1 << 31) as u32),
        features: features(r, n),
        body: match family {
            0 => BodySpec::Gbdt(e),
            1 => BodySpec::RandomForest(e),
            _ => BodySpec::IsolationForest(e),
        },
    }
}

/// The model set: `(name, blob)`.
fn models() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let kinds = ["linear", "mlp", "gbdt", "random-forest", "isolation-forest"];
    for (k, kind) in kinds.iter().enumerate() {
        for seed in 0..120u64 {
            let mut r = Rng::new(seed * 5 + k as u64 + 1);
            let spec = match k {
                0 => dense(&mut r, true),
                1 => dense(&mut r, false),
                f => trees(&mut r, f as u64 - 2),
            };
            let bytes = spec
                .to_bytes()
                .unwrap_or_else(|e| panic!("{kind} {seed}: {e}"));
            out.push((format!("{kind}-{seed}"), bytes));
        }
    }
    // Fixed shapes the rest of the project measures: the eth-fraud MLP and
    // a 100-tree depth-3 GBDT (complete trees).
    let mut r = Rng::new(0xE7);
    let mlp = ModelSpec {
        threshold: Score::from_bits(1 << 30),
        features: features(&mut r, 38),
        body: BodySpec::Mlp(vec![
            layer(&mut r, 38, 32, Activation::Relu),
            layer(&mut r, 32, 16, Activation::Relu),
            layer(&mut r, 16, 1, Activation::Sigmoid),
        ]),
    };
    out.push(("mlp-38-32-16-1".into(), mlp.to_bytes().expect("mlp")));
    let gbdt = ModelSpec {
        threshold: Score::from_bits(1 << 30),
        features: features(&mut r, 38),
        body: BodySpec::Gbdt(EnsembleSpec {
            base: 0,
            max_depth: 3,
            explain: false,
            trees: (0..100)
                .map(|_| {
                    let mut nodes = Vec::new();
                    grow(&mut r, 38, 0, 3, true, &mut nodes);
                    nodes
                })
                .collect(),
        }),
    };
    out.push(("gbdt-100x3".into(), gbdt.to_bytes().expect("gbdt")));
    out
}

fn render() -> String {
    let mut s = String::from("# model ops cosmwasm_units model_bytes\n");
    for (name, bytes) in models() {
        let m = Model::parse(&bytes).expect("valid");
        let c = m.cost();
        assert_eq!(c, Cost::of(&m), "{name}: Model::cost and Cost::of agree");
        writeln!(s, "{name} {} {} {}", c.ops, c.cosmwasm_units, c.model_bytes).unwrap();
    }
    s
}

#[test]
fn cost_matches_golden() {
    let got = render();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(GOLDEN);
    if std::env::var_os("VIGIL_BLESS_COST_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let (mut lines, mut diffs) = (0, Vec::new());
    for (g, w) in got.lines().zip(want.lines()) {
        lines += 1;
        if g != w {
            diffs.push(format!("got  {g}\nwant {w}"));
        }
    }
    assert_eq!(got.lines().count(), want.lines().count(), "model count");
    assert!(lines > 600, "the set covers {lines} models");
    assert!(
        diffs.is_empty(),
        "{} bounds differ:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

/// The set really spans what the bound distinguishes (a guard against a
/// generator that silently collapses to one shape).
#[test]
fn set_is_broad() {
    let ms = models();
    let parsed: Vec<_> = ms.iter().map(|(_, b)| Model::parse(b).unwrap()).collect();
    let mut families = std::collections::BTreeSet::new();
    let (mut explain, mut short_feature, mut log1p, mut wide, mut deep) = (0, 0, 0, 0, 0);
    for m in &parsed {
        families.insert(m.family() as u8);
        for t in m.feature_transforms() {
            short_feature += usize::from(t.shift < 16);
            log1p += usize::from(t.log1p);
        }
        match m.body() {
            vigil_inference_core::Body::Dense(l) => {
                wide += usize::from(l.iter().any(|l| l.fan_in > 64 && l.fan_out > 64));
            }
            vigil_inference_core::Body::Trees(e) => {
                explain += usize::from(e.explain);
                deep += usize::from(e.max_steps > 5 * e.n_trees);
            }
        }
    }
    assert_eq!(families.len(), 5);
    for (what, n) in [
        ("explain", explain),
        ("short feature shift", short_feature),
        ("log1p", log1p),
        ("layer wider than a block and a chunk", wide),
        ("deep trees", deep),
    ] {
        assert!(n >= 10, "{what}: {n}");
    }
}
