//! The binary model format, end to end: round trips of every family through
//! `ModelSpec::to_bytes` / `Model::parse` / `Model::to_spec`, one or more
//! cases reaching every [`FormatError`] variant (with a compile-time check
//! that none is forgotten), every strict prefix of every fixture, every
//! single-byte payload corruption, a fuzz-style property over mutated blobs,
//! and the [`InferError`] variants.
//!
//! The blobs are built by [`encode`], an encoder written here from the
//! documented layout without any validation, so that invalid blobs can be
//! produced; for valid specs it must agree byte for byte with
//! `ModelSpec::to_bytes`.
//!
//! Layout (all integers little-endian):
//!
//! ```text
//! header   0 magic "VGLM" | 4 version u16 | 6 family u8 | 7 flags u8
//!          8 n_features u16 | 10 reserved [0, 0] | 12 threshold u32 (U1F31)
//!         16 payload_len u32 | 20 sha256(payload) [32] | 52 payload
//! feature  flags u8 | shift u8 | scale i32 | offset i32 | [clip_lo i128] [clip_hi i128]
//! dense    count u8, then per layer: fan_out u16 | kind u8 | activation u8 |
//!          scale mode u8 | scales (i32, u8)* | biases i32* | weights
//! trees    n_trees u16 | max_depth u8 | reserved u8 | base i32 | counts u16* |
//!          nodes (feature u16 | right u16 | value i32 | [mean i32])*
//! ```
use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::sample::Index;
use vigil_inference_core::format::{
    Activation, FLAG_EXPLAIN, FLAG_METADATA, HEADER_LEN, LEAF, MAGIC, MAX_DEPTH, MAX_FEATURE_SHIFT,
    MAX_LAYERS, MAX_LAYER_SHIFT, VERSION,
};
use vigil_inference_core::metadata::{MAX_LABEL_LEN, MAX_NAME_LEN, MAX_UNIT_LEN};
use vigil_inference_core::preprocess::FeatureTransform;
use vigil_inference_core::spec::{
    BodySpec, EnsembleSpec, LayerSpec, MetadataSpec, ModelSpec, SpecError, Weights,
};
use vigil_inference_core::tree::Node;
use vigil_inference_core::{
    Act, Body, Family, FormatError, InferError, Model, Output, Score, Wide,
};

// ---------------------------------------------------------------------------
// An independent, non-validating encoder and byte-patching helpers
// ---------------------------------------------------------------------------

const ALL_ACTIVATIONS: [Activation; 6] = [
    Activation::Identity,
    Activation::Relu,
    Activation::Sigmoid,
    Activation::Tanh,
    Activation::HardSigmoid,
    Activation::HardTanh,
];

const OUTPUT_ACTIVATIONS: [Activation; 3] = [
    Activation::Identity,
    Activation::Sigmoid,
    Activation::HardSigmoid,
];

fn encode_feature(out: &mut Vec<u8>, f: &FeatureTransform) {
    let flags =
        u8::from(f.clip_lo.is_some()) | u8::from(f.clip_hi.is_some()) << 1 | u8::from(f.log1p) << 2;
    out.push(flags);
    out.push(f.shift);
    out.extend_from_slice(&f.scale.to_le_bytes());
    out.extend_from_slice(&f.offset.to_le_bytes());
    if let Some(lo) = f.clip_lo {
        out.extend_from_slice(&lo.to_bits().to_le_bytes());
    }
    if let Some(hi) = f.clip_hi {
        out.extend_from_slice(&hi.to_bits().to_le_bytes());
    }
}

fn encode_layer(out: &mut Vec<u8>, l: &LayerSpec) {
    out.extend_from_slice(&(l.biases.len() as u16).to_le_bytes());
    out.push(match l.weights {
        Weights::I8(_) => 1,
        Weights::I16(_) => 2,
    });
    out.push(l.activation as u8);
    out.push(u8::from(l.scales.len() != 1));
    for &(m, s) in &l.scales {
        out.extend_from_slice(&m.to_le_bytes());
        out.push(s);
    }
    for b in &l.biases {
        out.extend_from_slice(&b.to_le_bytes());
    }
    match &l.weights {
        Weights::I8(w) => out.extend(w.iter().map(|&v| v as u8)),
        Weights::I16(w) => w
            .iter()
            .for_each(|v| out.extend_from_slice(&v.to_le_bytes())),
    }
}

fn encode_ensemble(out: &mut Vec<u8>, e: &EnsembleSpec) {
    out.extend_from_slice(&(e.trees.len() as u16).to_le_bytes());
    out.push(e.max_depth);
    out.push(0);
    out.extend_from_slice(&e.base.to_le_bytes());
    for t in &e.trees {
        out.extend_from_slice(&(t.len() as u16).to_le_bytes());
    }
    for n in e.trees.iter().flatten() {
        out.extend_from_slice(&n.feature.to_le_bytes());
        out.extend_from_slice(&n.right.to_le_bytes());
        out.extend_from_slice(&n.value.to_le_bytes());
        if e.explain {
            out.extend_from_slice(&n.mean.to_le_bytes());
        }
    }
}

/// The blob a spec describes, without any validation.
fn encode(spec: &ModelSpec) -> Vec<u8> {
    let mut payload = Vec::new();
    for f in &spec.features {
        encode_feature(&mut payload, f);
    }
    let mut flags = 0;
    match &spec.body {
        BodySpec::Linear(l) => {
            payload.push(1);
            encode_layer(&mut payload, l);
        }
        BodySpec::Mlp(ls) => {
            payload.push(ls.len() as u8);
            ls.iter().for_each(|l| encode_layer(&mut payload, l));
        }
        BodySpec::Gbdt(e) | BodySpec::RandomForest(e) | BodySpec::IsolationForest(e) => {
            if e.explain {
                flags = FLAG_EXPLAIN;
            }
            encode_ensemble(&mut payload, e);
        }
    }
    let mut out = Vec::new();
    out.extend_from_slice(b"VGLM");
    out.extend_from_slice(&1u16.to_le_bytes());
    out.push(spec.body.family() as u8);
    out.push(flags);
    out.extend_from_slice(&(spec.features.len() as u16).to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&spec.threshold.to_bits().to_le_bytes());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&[0; 32]);
    out.extend_from_slice(&payload);
    reseal_checksum(&mut out);
    out
}

/// SHA-256 over header bytes 0..20 and the payload, computed here
/// independently of `format::checksum`.
fn sha256_of(blob: &[u8]) -> [u8; 32] {
    let mut h = sha2::Sha256::default();
    sha2::Digest::update(&mut h, &blob[..20]);
    sha2::Digest::update(&mut h, &blob[HEADER_LEN..]);
    sha2::Digest::finalize(h).into()
}

/// Rewrite the header's payload length and checksum to match the payload.
fn reseal(blob: &mut [u8]) {
    assert!(blob.len() >= HEADER_LEN);
    let len = (blob.len() - HEADER_LEN) as u32;
    blob[16..20].copy_from_slice(&len.to_le_bytes());
    reseal_checksum(blob);
}

/// Rewrite only the checksum.
fn reseal_checksum(blob: &mut [u8]) {
    let digest = sha256_of(blob);
    blob[20..52].copy_from_slice(&digest);
}

/// `encode(spec)`, patched, then resealed.
fn patched(spec: &ModelSpec, patch: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut b = encode(spec);
    patch(&mut b);
    reseal(&mut b);
    b
}

/// Offset of the family body (after the feature records).
fn body_at(spec: &ModelSpec) -> usize {
    HEADER_LEN
        + spec
            .features
            .iter()
            .map(FeatureTransform::encoded_len)
            .sum::<usize>()
}

/// Offset of each feature record.
fn feature_at(spec: &ModelSpec, feature: usize) -> usize {
    HEADER_LEN
        + spec.features[..feature]
            .iter()
            .map(FeatureTransform::encoded_len)
            .sum::<usize>()
}

/// Offset of each dense layer's header (`fan_out`).
fn layer_offsets(spec: &ModelSpec) -> Vec<usize> {
    let layers: Vec<&LayerSpec> = match &spec.body {
        BodySpec::Linear(l) => vec![l],
        BodySpec::Mlp(ls) => ls.iter().collect(),
        _ => panic!("not a dense spec"),
    };
    let mut at = body_at(spec) + 1;
    let mut out = Vec::new();
    for l in layers {
        out.push(at);
        let wsize = match &l.weights {
            Weights::I8(w) => w.len(),
            Weights::I16(w) => 2 * w.len(),
        };
        at += 5 + 5 * l.scales.len() + 4 * l.biases.len() + wsize;
    }
    out
}

/// Offset of node `node` of tree `tree`.
fn node_at(spec: &ModelSpec, tree: usize, node: usize) -> usize {
    let e = ensemble(spec);
    let stride = if e.explain { 12 } else { 8 };
    let before: usize = e.trees[..tree].iter().map(Vec::len).sum();
    body_at(spec) + 8 + 2 * e.trees.len() + stride * (before + node)
}

fn ensemble(spec: &ModelSpec) -> &EnsembleSpec {
    match &spec.body {
        BodySpec::Gbdt(e) | BodySpec::RandomForest(e) | BodySpec::IsolationForest(e) => e,
        _ => panic!("not a tree spec"),
    }
}

fn ensemble_mut(spec: &mut ModelSpec) -> &mut EnsembleSpec {
    match &mut spec.body {
        BodySpec::Gbdt(e) | BodySpec::RandomForest(e) | BodySpec::IsolationForest(e) => e,
        _ => panic!("not a tree spec"),
    }
}

fn mlp_layers_mut(spec: &mut ModelSpec) -> &mut Vec<LayerSpec> {
    match &mut spec.body {
        BodySpec::Mlp(ls) => ls,
        _ => panic!("not an MLP spec"),
    }
}

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

fn wide(v: i64) -> Wide {
    Wide::from_num(v)
}

/// Three features exercising every transform flag.
fn features3() -> Vec<FeatureTransform> {
    vec![
        FeatureTransform::IDENTITY,
        FeatureTransform {
            clip_lo: Some(wide(-5)),
            clip_hi: Some(wide(100)),
            log1p: true,
            scale: 3,
            shift: 2,
            offset: -1000,
        },
        FeatureTransform {
            clip_lo: None,
            clip_hi: Some(Wide::from_bits(-(1 << 70))),
            log1p: false,
            scale: -7,
            shift: MAX_FEATURE_SHIFT,
            offset: 1 << 16,
        },
    ]
}

fn threshold_half() -> Score {
    Score::from_bits(1 << 30)
}

fn weights(i16: bool, n: usize, seed: i32) -> Weights {
    if i16 {
        Weights::I16(
            (0..n)
                .map(|k| (k as i32 * 7919 + seed * 31 - 20000) as i16)
                .collect(),
        )
    } else {
        Weights::I8(
            (0..n)
                .map(|k| (k as i32 * 37 + seed * 11 - 100) as i8)
                .collect(),
        )
    }
}

fn layer(
    fan_in: usize,
    fan_out: usize,
    i16: bool,
    per_channel: bool,
    activation: Activation,
) -> LayerSpec {
    let n_scales = if per_channel { fan_out } else { 1 };
    LayerSpec {
        weights: weights(i16, fan_in * fan_out, fan_out as i32),
        scales: (0..n_scales)
            .map(|j| (1_000_003 * (j as i32 + 1), 10 + j as u8))
            .collect(),
        biases: (0..fan_out).map(|j| (j as i32 - 1) * 12345).collect(),
        activation,
    }
}

fn linear(i16: bool, activation: Activation) -> ModelSpec {
    ModelSpec {
        threshold: threshold_half(),
        features: features3(),
        body: BodySpec::Linear(layer(3, 1, i16, false, activation)),
    }
}

/// 3 → 4 → 2 → 1.
fn mlp(i16: bool, per_channel: bool, hidden: Activation, output: Activation) -> ModelSpec {
    ModelSpec {
        threshold: Score::from_bits(1 << 31),
        features: features3(),
        body: BodySpec::Mlp(vec![
            layer(3, 4, i16, per_channel, hidden),
            layer(4, 2, !i16, per_channel, hidden),
            layer(2, 1, i16, per_channel, output),
        ]),
    }
}

fn leaf(value: i32) -> Node {
    Node {
        feature: LEAF,
        right: 0,
        value,
        mean: value,
    }
}

fn split(feature: u16, right: u16, threshold: i32, mean: i32, explain: bool) -> Node {
    Node {
        feature,
        right,
        value: threshold,
        mean: if explain { mean } else { threshold },
    }
}

/// Two trees over three features: a stump and a depth-2 tree.
fn ensemble_spec(base: i32, explain: bool) -> EnsembleSpec {
    EnsembleSpec {
        base,
        max_depth: 2,
        explain,
        trees: vec![
            vec![
                split(0, 2, 0, 1 << 14, explain),
                leaf(1 << 16),
                leaf(-(1 << 16)),
            ],
            vec![
                split(1, 4, 5 << 16, 3 << 13, explain),
                split(2, 3, -(1 << 15), -(1 << 12), explain),
                leaf(1 << 15),
                leaf(-(1 << 14)),
                leaf(3 << 16),
            ],
        ],
    }
}

fn trees(family: Family, explain: bool) -> ModelSpec {
    let body = match family {
        Family::Gbdt => BodySpec::Gbdt(ensemble_spec(-(1 << 15), explain)),
        Family::RandomForest => BodySpec::RandomForest(ensemble_spec(0, explain)),
        Family::IsolationForest => BodySpec::IsolationForest(ensemble_spec(5 << 16, explain)),
        _ => panic!("not a tree family"),
    };
    ModelSpec {
        threshold: Score::from_bits(0),
        features: features3(),
        body,
    }
}

/// One feature, the simplest valid spec of each family shape (easy offsets).
fn one_feature(body: BodySpec) -> ModelSpec {
    ModelSpec {
        threshold: threshold_half(),
        features: vec![FeatureTransform::IDENTITY],
        body,
    }
}

/// Every valid fixture: each family, both weight types, both scale modes,
/// every activation (hidden and output), trees with and without explanation
/// values.
fn valid_specs() -> Vec<(String, ModelSpec)> {
    let mut out = Vec::new();
    for i16 in [false, true] {
        for act in OUTPUT_ACTIVATIONS {
            out.push((format!("linear i16={i16} {act:?}"), linear(i16, act)));
        }
        for per_channel in [false, true] {
            for hidden in ALL_ACTIVATIONS {
                for output in OUTPUT_ACTIVATIONS {
                    out.push((
                        format!("mlp i16={i16} per_channel={per_channel} {hidden:?}/{output:?}"),
                        mlp(i16, per_channel, hidden, output),
                    ));
                }
            }
        }
    }
    for family in [Family::Gbdt, Family::RandomForest, Family::IsolationForest] {
        for explain in [false, true] {
            out.push((
                format!("{} explain={explain}", family.name()),
                trees(family, explain),
            ));
        }
    }
    // Edge shapes: a single-leaf tree, one feature, threshold 1.0.
    out.push((
        "gbdt single leaf".into(),
        one_feature(BodySpec::Gbdt(EnsembleSpec {
            base: 0,
            max_depth: 0,
            explain: true,
            trees: vec![vec![leaf(7)]],
        })),
    ));
    out
}

/// A smaller set, one per family shape, for the quadratic tests.
fn family_fixtures() -> Vec<(String, ModelSpec)> {
    let mut out = vec![
        ("linear i8".to_string(), linear(false, Activation::Sigmoid)),
        ("linear i16".to_string(), linear(true, Activation::Identity)),
        (
            "mlp i8 per-layer".to_string(),
            mlp(false, false, Activation::Relu, Activation::Sigmoid),
        ),
        (
            "mlp i16 per-channel".to_string(),
            mlp(true, true, Activation::Tanh, Activation::HardSigmoid),
        ),
    ];
    for family in [Family::Gbdt, Family::RandomForest, Family::IsolationForest] {
        for explain in [false, true] {
            out.push((
                format!("{} explain={explain}", family.name()),
                trees(family, explain),
            ));
        }
    }
    out
}

fn inputs_for(n: usize, seed: i64) -> Vec<Wide> {
    (0..n)
        .map(|i| wide((i as i64 * 37 + seed) % 201 - 100) / 3)
        .collect()
}

/// Run `infer` (and `explain` when available) and check the invariants
/// every valid model must hold. Returns the inference output.
fn check_inference(m: &Model<'_>, inputs: &[Wide]) -> Output {
    let mut scratch = vec![Act::ZERO; m.scratch_len()];
    let out = m.infer(inputs, &mut scratch).expect("valid call");
    assert!(out.score <= Score::ONE, "score {} above 1", out.score);
    assert_eq!(out.label, out.score >= m.threshold());
    // The result does not depend on the scratch contents.
    let mut dirty = vec![Act::from_bits(0x5A5A_5A5A); m.scratch_len() + 3];
    assert_eq!(m.infer(inputs, &mut dirty), Ok(out));
    let mut contributions = vec![Act::ZERO; m.n_features()];
    match m.explain(inputs, &mut scratch, &mut contributions) {
        Ok(e) => {
            assert!(m.explainable());
            assert_eq!(e, out, "explain and infer disagree");
        }
        Err(e) => {
            assert!(!m.explainable());
            assert_eq!(e, InferError::NotExplainable);
        }
    }
    let _ = m.cost();
    out
}

/// For tree specs: the walk follows the documented rule (left when
/// `x_f <= threshold`), a random forest's score is the clamped mean leaf
/// value exactly, and each explanation is the change of the nodes' mean
/// values along the path per feature (divided by the tree count for the
/// averaging families), to within one unit of rounding. Contributions are
/// only compared when no sum can wrap or saturate.
fn check_tree_semantics(m: &Model<'_>, spec: &ModelSpec, inputs: &[Wide]) {
    let (family, e) = match &spec.body {
        BodySpec::Gbdt(e) => (Family::Gbdt, e),
        BodySpec::RandomForest(e) => (Family::RandomForest, e),
        BodySpec::IsolationForest(e) => (Family::IsolationForest, e),
        _ => return,
    };
    let n = m.n_features();
    let mut scratch = vec![Act::ZERO; m.scratch_len()];
    m.preprocess(inputs, &mut scratch).unwrap();
    let x: Vec<i32> = scratch[..n].iter().map(|v| v.to_bits()).collect();
    let mut leaf_sum: i64 = 0;
    let mut per_feature = vec![0i64; n];
    for t in &e.trees {
        let mut i = 0;
        loop {
            let node = t[i];
            if node.feature == LEAF {
                leaf_sum += i64::from(node.value);
                break;
            }
            let f = usize::from(node.feature);
            let next = if x[f] <= node.value {
                i + 1
            } else {
                usize::from(node.right)
            };
            per_feature[f] += i64::from(t[next].mean) - i64::from(node.mean);
            i = next;
        }
    }
    let n_trees = e.trees.len() as i64;
    let out = m.infer(inputs, &mut scratch).unwrap();
    if family == Family::RandomForest {
        let mean = leaf_sum.div_euclid(n_trees).clamp(0, 1 << 16);
        assert_eq!(u64::from(out.score.to_bits()), (mean as u64) << 15);
    }
    let small = |v: i32| v.unsigned_abs() < 1 << 24;
    if !e.explain
        || !e
            .trees
            .iter()
            .flatten()
            .all(|n| small(n.value) && small(n.mean))
    {
        return;
    }
    let mut c = vec![Act::ZERO; n];
    assert_eq!(m.explain(inputs, &mut scratch, &mut c), Ok(out));
    for (f, (got, want)) in c.iter().zip(&per_feature).enumerate() {
        let got = i64::from(got.to_bits());
        let ok = if family == Family::Gbdt {
            got == *want
        } else {
            // got ≈ want / n_trees, rounded either way
            (got * n_trees - want).abs() < n_trees
        };
        assert!(
            ok,
            "feature {f}: contribution {got}, path sum {want} over {n_trees} trees"
        );
    }
}

// ---------------------------------------------------------------------------
// 1. Round trips
// ---------------------------------------------------------------------------

/// `to_bytes` agrees with the independent encoder, parses, reads back to the
/// same spec and re-serialises to the same bytes.
fn assert_round_trip(spec: &ModelSpec) -> Vec<u8> {
    let bytes = spec.to_bytes().expect("valid spec serialises");
    assert_eq!(
        bytes,
        encode(spec),
        "to_bytes differs from the documented layout"
    );
    let m = Model::parse(&bytes).expect("serialised spec parses");
    assert_eq!(m.family(), spec.body.family());
    assert_eq!(m.n_features(), spec.features.len());
    assert_eq!(m.threshold(), spec.threshold);
    assert_eq!(m.bytes(), &bytes[..]);
    assert_eq!(m.checksum(), sha256_of(&bytes));
    assert_eq!(m.checksum(), vigil_inference_core::format::checksum(&bytes));
    assert_eq!(m.to_spec(), *spec, "to_spec differs from the original");
    assert_eq!(m.to_spec().to_bytes().expect("re-serialise"), bytes);
    let m2 = Model::parse_without_checksum(&bytes).expect("parses without checksum");
    assert_eq!(m2.to_spec(), *spec);
    bytes
}

#[test]
fn round_trip_every_family_and_variant() {
    let specs = valid_specs();
    assert!(specs.len() > 80);
    for (name, spec) in &specs {
        let bytes = assert_round_trip(spec);
        let m = Model::parse(&bytes).unwrap();
        // Zero inputs put feature 0 exactly on the first tree's threshold.
        let zeros = vec![Wide::ZERO; m.n_features()];
        let seeded = (0..16).map(|seed| inputs_for(m.n_features(), seed * 13));
        for x in seeded.chain([zeros]) {
            check_inference(&m, &x);
            check_tree_semantics(&m, spec, &x);
        }
        // Explainability follows the family and the flag.
        let explainable = match &spec.body {
            BodySpec::Linear(_) => true,
            BodySpec::Mlp(_) => false,
            BodySpec::Gbdt(e) | BodySpec::RandomForest(e) | BodySpec::IsolationForest(e) => {
                e.explain
            }
        };
        assert_eq!(m.explainable(), explainable, "{name}");
    }
}

#[test]
fn header_layout_is_as_documented() {
    let spec = trees(Family::RandomForest, true);
    let b = spec.to_bytes().unwrap();
    assert_eq!(&b[0..4], &MAGIC);
    assert_eq!(&b[0..4], b"VGLM");
    assert_eq!(u16::from_le_bytes([b[4], b[5]]), VERSION);
    assert_eq!(b[6], Family::RandomForest as u8);
    assert_eq!(b[7], FLAG_EXPLAIN);
    assert_eq!(u16::from_le_bytes([b[8], b[9]]), 3);
    assert_eq!(&b[10..12], &[0, 0]);
    assert_eq!(u32::from_le_bytes(b[12..16].try_into().unwrap()), 0);
    let len = u32::from_le_bytes(b[16..20].try_into().unwrap()) as usize;
    assert_eq!(len, b.len() - HEADER_LEN);
    assert_eq!(b[20..52], sha256_of(&b)[..]);
    // Sizes: 3 feature records (10 + 42 + 26), ensemble header 8, counts
    // 2 × 2, 8 nodes × 12.
    assert_eq!(len, 78 + 8 + 4 + 8 * 12);
}

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

fn decimal(s: &str) -> Wide {
    vigil_inference_core::decimal::parse(s).unwrap()
}

/// The two worked examples of FORMAT.md §8, byte for byte and number for
/// number (hex dumps copied from the document without their offsets).
#[test]
fn format_md_worked_examples() {
    let logistic = ModelSpec {
        threshold: threshold_half(),
        features: vec![
            FeatureTransform {
                clip_lo: None,
                clip_hi: Some(wide(1_000_000)),
                log1p: true,
                scale: 1,
                shift: 1,
                offset: -262_144,
            },
            FeatureTransform::IDENTITY,
        ],
        body: BodySpec::Linear(LayerSpec {
            weights: Weights::I8(vec![64, -32]),
            scales: vec![(1, 6)],
            biases: vec![-16384],
            activation: Activation::Sigmoid,
        }),
    };
    let expected = hex("56 47 4c 4d 01 00 01 00 02 00 00 00 00 00 00 40
         35 00 00 00 41 f6 68 28 03 dc 32 af 47 de 4f 02
         d7 52 f5 e0 7d 39 ab 98 5e 60 a0 3a 14 01 96 8e
         9d 20 fa 99 06 01 01 00 00 00 00 00 fc ff 00 00
         00 00 00 00 00 00 40 42 0f 00 00 00 00 00 00 00
         01 00 00 00 00 00 00 00 01 01 00 01 02 00 01 00
         00 00 06 00 c0 ff ff 40 e0");
    assert_eq!(expected.len(), 105);
    assert_eq!(assert_round_trip(&logistic), expected);
    let m = Model::parse(&expected).unwrap();
    let mut scratch = vec![Act::ZERO; m.scratch_len()];
    let mut c = vec![Act::ZERO; 2];
    for (x, features, score_bits, label) in [
        (["5000", "1.5"], [16954, 98304], 0x294e_de78u32, false),
        (["2e7", "-3"], [190_563, -196_608], 0x7e07_51ca, true),
        (["0", "0"], [-262_144, 0], 0x01cc_d642, false),
    ] {
        let x = x.map(decimal);
        m.preprocess(&x, &mut scratch).unwrap();
        assert_eq!(
            [scratch[0].to_bits(), scratch[1].to_bits()],
            features,
            "{x:?}"
        );
        let out = m.explain(&x, &mut scratch, &mut c).unwrap();
        assert_eq!(out.score.to_bits(), score_bits, "{x:?}");
        assert_eq!(out.label, label, "{x:?}");
    }
    m.explain(&[decimal("5000"), decimal("1.5")], &mut scratch, &mut c)
        .unwrap();
    assert_eq!([c[0].to_bits(), c[1].to_bits()], [16954, -49152]);
    assert_eq!(16954 - 49152 - 16384, -48582); // + bias = pre

    let gbdt = ModelSpec {
        threshold: threshold_half(),
        features: vec![FeatureTransform::IDENTITY; 2],
        body: BodySpec::Gbdt(EnsembleSpec {
            base: -(1 << 15),
            max_depth: 2,
            explain: true,
            trees: vec![vec![
                split(0, 4, 3 << 16, 0, true),
                split(1, 3, 1 << 15, -(1 << 15), true),
                leaf(-(1 << 16)),
                leaf(0),
                leaf(1 << 16),
            ]],
        }),
    };
    let expected = hex("56 47 4c 4d 01 00 03 01 02 00 00 00 00 00 00 40
         5a 00 00 00 16 f9 d5 6d 3d 5a e6 c7 04 9c 75 79
         8d 7c 19 49 36 18 3f f4 33 99 c0 d9 4c 31 a4 27
         a6 7f 7d 77 00 00 01 00 00 00 00 00 00 00 00 00
         01 00 00 00 00 00 00 00 01 00 02 00 00 80 ff ff
         05 00 00 00 04 00 00 00 03 00 00 00 00 00 01 00
         03 00 00 80 00 00 00 80 ff ff ff ff 00 00 00 00
         ff ff 00 00 ff ff ff ff 00 00 00 00 00 00 00 00
         00 00 ff ff 00 00 00 00 01 00 00 00 01 00");
    assert_eq!(expected.len(), 142);
    assert_eq!(assert_round_trip(&gbdt), expected);
    let m = Model::parse(&expected).unwrap();
    let out = m
        .explain(&[wide(1), decimal("0.25")], &mut scratch, &mut c)
        .unwrap();
    assert_eq!(out.score.to_bits(), 0x1759_b836);
    assert_eq!([c[0].to_bits(), c[1].to_bits()], [-32768, -32768]);
    let out = m
        .explain(&[wide(5), wide(0)], &mut scratch, &mut c)
        .unwrap();
    assert!((out.score.to_num::<f64>() - 0.6225).abs() < 1e-4);
    assert_eq!([c[0].to_bits(), c[1].to_bits()], [65536, 0]);

    // Section 10's example: the same GBDT with names `a` and `bc`.
    let named = gbdt
        .to_bytes_with_metadata(Some(&MetadataSpec::from_names(["a", "bc"])))
        .unwrap();
    assert_eq!(named.len(), 154);
    assert_eq!(named[7], 0x03);
    assert_eq!(named[16..20], [0x66, 0, 0, 0]);
    assert_eq!(named[..7], expected[..7]);
    assert_eq!(named[52..142], expected[52..142]);
    assert_eq!(named[0x8e..], hex("00 02 00 01 61 02 62 63 08 00 00 00"));
    let m = Model::parse(&named).unwrap();
    let out = m
        .explain(&[wide(1), decimal("0.25")], &mut scratch, &mut c)
        .unwrap();
    assert_eq!(out.score.to_bits(), 0x1759_b836);
}

#[test]
fn boundary_values_are_accepted() {
    // Threshold exactly 1.0, shifts at both ends of their ranges, equal
    // clip bounds, MAX_LAYERS layers, declared depth MAX_DEPTH with a tree of
    // exactly that depth.
    let mut spec = linear(false, Activation::Identity);
    spec.threshold = Score::ONE;
    spec.features[0].shift = MAX_FEATURE_SHIFT;
    spec.features[1].clip_lo = Some(wide(3));
    spec.features[1].clip_hi = Some(wide(3));
    if let BodySpec::Linear(l) = &mut spec.body {
        l.scales = vec![(i32::MIN, MAX_LAYER_SHIFT)];
    }
    assert_round_trip(&spec);
    if let BodySpec::Linear(l) = &mut spec.body {
        l.scales = vec![(i32::MAX, 1)];
    }
    assert_round_trip(&spec);

    let mut layers = vec![layer(1, 2, false, true, Activation::HardTanh)];
    for _ in 0..MAX_LAYERS - 2 {
        layers.push(layer(2, 2, true, false, Activation::Tanh));
    }
    layers.push(layer(2, 1, false, false, Activation::Identity));
    assert_eq!(layers.len(), MAX_LAYERS);
    assert_round_trip(&one_feature(BodySpec::Mlp(layers)));

    let chain = chain_tree(usize::from(MAX_DEPTH));
    let spec = one_feature(BodySpec::IsolationForest(EnsembleSpec {
        base: 1,
        max_depth: MAX_DEPTH,
        explain: false,
        trees: vec![chain.clone(), vec![leaf(0)]],
    }));
    let bytes = assert_round_trip(&spec);
    let m = Model::parse(&bytes).unwrap();
    for x in [-1000, -1, 0, 1, 1000] {
        check_inference(&m, &[wide(x)]);
    }
}

/// A left-leaning chain: `depth` splits on feature 0, each with a right leaf.
fn chain_tree(depth: usize) -> Vec<Node> {
    fn build(t: &mut Vec<Node>, depth: usize) {
        if depth == 0 {
            t.push(leaf(1 << 16));
            return;
        }
        let at = t.len();
        t.push(split(0, 0, depth as i32, 0, false));
        build(t, depth - 1);
        t[at].right = t.len() as u16;
        t.push(leaf(-(depth as i32)));
    }
    let mut t = Vec::new();
    build(&mut t, depth);
    t
}

#[test]
fn unexplained_trees_drop_mean_values() {
    // Without explanation values a node's `mean` is not stored: it reads
    // back equal to `value`, and the blob is the same as for a spec with
    // `mean == value`.
    let mut spec = trees(Family::Gbdt, false);
    let canonical = spec.to_bytes().unwrap();
    ensemble_mut(&mut spec).trees[1][0].mean = 12345;
    match spec.to_bytes() {
        Ok(b) => {
            assert_eq!(b, canonical);
            assert_eq!(
                Model::parse(&b).unwrap().to_spec(),
                trees(Family::Gbdt, false)
            );
        }
        Err(e) => panic!("unexpected {e:?}"),
    }
}

// ---------------------------------------------------------------------------
// Strategies for random valid specs
// ---------------------------------------------------------------------------

fn arb_wide() -> impl Strategy<Value = Wide> {
    prop_oneof![
        any::<i128>().prop_map(Wide::from_bits),
        (-100_000i64..100_000).prop_map(|v| Wide::from_bits(i128::from(v) << 56)),
    ]
}

fn arb_feature() -> impl Strategy<Value = FeatureTransform> {
    (
        proptest::option::of(arb_wide()),
        proptest::option::of(arb_wide()),
        any::<bool>(),
        any::<i32>(),
        0..=MAX_FEATURE_SHIFT,
        any::<i32>(),
    )
        .prop_map(|(lo, hi, log1p, scale, shift, offset)| {
            let (clip_lo, clip_hi) = match (lo, hi) {
                (Some(a), Some(b)) if a > b => (Some(b), Some(a)),
                other => other,
            };
            FeatureTransform {
                clip_lo,
                clip_hi,
                log1p,
                scale,
                shift,
                offset,
            }
        })
}

fn arb_scale() -> impl Strategy<Value = (i32, u8)> {
    (any::<i32>(), 1..=MAX_LAYER_SHIFT)
}

fn arb_layer(fan_in: usize, fan_out: usize, output: bool) -> BoxedStrategy<LayerSpec> {
    let n = fan_in * fan_out;
    let weights = prop_oneof![
        proptest::collection::vec(any::<i8>(), n).prop_map(Weights::I8),
        proptest::collection::vec(any::<i16>(), n).prop_map(Weights::I16),
    ];
    let scales = if fan_out == 1 {
        proptest::collection::vec(arb_scale(), 1).boxed()
    } else {
        prop_oneof![
            proptest::collection::vec(arb_scale(), 1),
            proptest::collection::vec(arb_scale(), fan_out),
        ]
        .boxed()
    };
    let activations: Vec<Activation> = if output {
        OUTPUT_ACTIVATIONS.to_vec()
    } else {
        ALL_ACTIVATIONS.to_vec()
    };
    (
        weights,
        scales,
        proptest::collection::vec(any::<i32>(), fan_out),
        proptest::sample::select(activations),
    )
        .prop_map(|(weights, scales, biases, activation)| LayerSpec {
            weights,
            scales,
            biases,
            activation,
        })
        .boxed()
}

fn arb_dense_body(n_features: usize) -> BoxedStrategy<BodySpec> {
    prop_oneof![
        arb_layer(n_features, 1, true).prop_map(BodySpec::Linear),
        proptest::collection::vec(1usize..8, 0..4).prop_flat_map(move |hidden| {
            let mut widths = vec![n_features];
            widths.extend(hidden);
            widths.push(1);
            let layers: Vec<BoxedStrategy<LayerSpec>> = widths
                .windows(2)
                .enumerate()
                .map(|(k, w)| arb_layer(w[0], w[1], k + 2 == widths.len()))
                .collect();
            layers.prop_map(BodySpec::Mlp)
        }),
    ]
    .boxed()
}

/// A random binary tree shape (depth <= 5) before it is laid out.
#[derive(Clone, Debug)]
enum Shape {
    Leaf(i32),
    Split {
        feature: u16,
        threshold: i32,
        mean: i32,
        left: Box<Shape>,
        right: Box<Shape>,
    },
}

impl Shape {
    fn depth(&self) -> u8 {
        match self {
            Shape::Leaf(_) => 0,
            Shape::Split { left, right, .. } => 1 + left.depth().max(right.depth()),
        }
    }

    /// Append the pre-order layout.
    fn lay_out(&self, n_features: usize, explain: bool, out: &mut Vec<Node>) {
        match self {
            Shape::Leaf(v) => out.push(leaf(*v)),
            Shape::Split {
                feature,
                threshold,
                mean,
                left,
                right,
            } => {
                let at = out.len();
                out.push(split(
                    feature % n_features as u16,
                    0,
                    *threshold,
                    *mean,
                    explain,
                ));
                left.lay_out(n_features, explain, out);
                out[at].right = out.len() as u16;
                right.lay_out(n_features, explain, out);
            }
        }
    }
}

fn arb_shape() -> impl Strategy<Value = Shape> {
    let leaf = prop_oneof![any::<i32>(), (-(4i32 << 16))..(4 << 16)].prop_map(Shape::Leaf);
    leaf.prop_recursive(5, 48, 2, |inner| {
        (
            any::<u16>(),
            prop_oneof![any::<i32>(), (-(4i32 << 16))..(4 << 16)],
            prop_oneof![any::<i32>(), (-(4i32 << 16))..(4 << 16)],
            inner.clone(),
            inner,
        )
            .prop_map(|(feature, threshold, mean, l, r)| Shape::Split {
                feature,
                threshold,
                mean,
                left: Box::new(l),
                right: Box::new(r),
            })
    })
}

fn arb_tree_body(n_features: usize) -> BoxedStrategy<BodySpec> {
    (
        0u8..3,
        any::<bool>(),
        proptest::collection::vec(arb_shape(), 1..5),
        0u8..3,
        any::<i32>(),
        1..=i32::MAX,
    )
        .prop_map(move |(family, explain, shapes, slack, base, c_psi)| {
            let depth = shapes.iter().map(Shape::depth).max().unwrap_or(0);
            let trees = shapes
                .iter()
                .map(|s| {
                    let mut t = Vec::new();
                    s.lay_out(n_features, explain, &mut t);
                    t
                })
                .collect();
            let mut e = EnsembleSpec {
                base,
                max_depth: (depth + slack).min(MAX_DEPTH),
                explain,
                trees,
            };
            match family {
                0 => BodySpec::Gbdt(e),
                1 => {
                    e.base = 0; // reserved for random forests
                    BodySpec::RandomForest(e)
                }
                _ => {
                    e.base = c_psi;
                    BodySpec::IsolationForest(e)
                }
            }
        })
        .boxed()
}

fn arb_spec() -> impl Strategy<Value = ModelSpec> {
    (1usize..8, any::<bool>()).prop_flat_map(|(n, dense)| {
        let body = if dense {
            arb_dense_body(n)
        } else {
            arb_tree_body(n)
        };
        (
            (0u32..=1 << 31).prop_map(Score::from_bits),
            proptest::collection::vec(arb_feature(), n),
            body,
        )
            .prop_map(|(threshold, features, body)| ModelSpec {
                threshold,
                features,
                body,
            })
    })
}

fn arb_input() -> impl Strategy<Value = Wide> {
    prop_oneof![
        any::<i128>().prop_map(Wide::from_bits),
        (-1000i64..1000).prop_map(|v| Wide::from_bits(i128::from(v) << 60)),
        Just(Wide::ZERO),
        Just(Wide::MAX),
        Just(Wide::MIN),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_specs_round_trip(spec in arb_spec(), inputs in proptest::collection::vec(arb_input(), 8)) {
        if let BodySpec::Gbdt(e) | BodySpec::RandomForest(e) | BodySpec::IsolationForest(e) = &spec.body {
            for t in &e.trees {
                prop_assert!(t.len() <= 63);
            }
        }
        let bytes = assert_round_trip(&spec);
        let m = Model::parse(&bytes).unwrap();
        check_inference(&m, &inputs[..m.n_features()]);
        check_tree_semantics(&m, &spec, &inputs[..m.n_features()]);
    }
}

// ---------------------------------------------------------------------------
// 2. Every FormatError variant
// ---------------------------------------------------------------------------

/// One rejected blob and the exact error it must give.
struct Case {
    name: String,
    blob: Vec<u8>,
    expected: FormatError,
    /// The spec the blob encodes, when the invalid model is expressible as
    /// a spec: `to_bytes` must then fail with the same error.
    spec: Option<ModelSpec>,
    /// An error inside the metadata section's text: `parse` reports it,
    /// `parse_without_checksum` (frame only) accepts the blob and
    /// `Model::metadata` reports it.
    meta_content: bool,
}

fn raw(name: &str, blob: Vec<u8>, expected: FormatError) -> Case {
    Case {
        name: name.to_string(),
        blob,
        expected,
        spec: None,
        meta_content: false,
    }
}

/// `encode(spec)` with the metadata flag set and `section` (the bytes
/// before `meta_len`) appended, then its length, resealed.
fn with_section(spec: &ModelSpec, section: &[u8]) -> Vec<u8> {
    patched(spec, |b| {
        b[7] |= FLAG_METADATA;
        b.extend_from_slice(section);
        b.extend_from_slice(&(section.len() as u32).to_le_bytes());
    })
}

/// A section body: flags, count, then the given records' bytes.
fn section(flags: u8, count: u16, records: &[&[u8]]) -> Vec<u8> {
    let mut s = vec![flags];
    s.extend_from_slice(&count.to_le_bytes());
    for r in records {
        s.push(r.len() as u8);
        s.extend_from_slice(r);
    }
    s
}

fn meta_case(name: &str, blob: Vec<u8>, expected: FormatError) -> Case {
    Case {
        meta_content: true,
        ..raw(name, blob, expected)
    }
}

fn from_spec(name: &str, spec: ModelSpec, expected: FormatError) -> Case {
    Case {
        name: name.to_string(),
        blob: encode(&spec),
        expected,
        spec: Some(spec),
        meta_content: false,
    }
}

/// Every variant of `FormatError`, by name. The match below has no wildcard:
/// adding a variant to `FormatError` does not compile until it is named
/// here, and [`every_format_error_variant_is_reached`] fails until a case in
/// [`format_error_cases`] reaches it.
const VARIANTS: [&str; 30] = [
    "Truncated",
    "BadMagic",
    "UnsupportedVersion",
    "UnknownFamily",
    "ReservedNonZero",
    "NoFeatures",
    "PayloadLength",
    "ChecksumMismatch",
    "ThresholdOutOfRange",
    "TrailingBytes",
    "ShiftOutOfRange",
    "ClipOrder",
    "LayerCount",
    "ZeroWidth",
    "UnknownWeightKind",
    "UnknownActivation",
    "BadScaleMode",
    "BadOutputLayer",
    "NoTrees",
    "MalformedTree",
    "FeatureOutOfRange",
    "MaxDepthTooLarge",
    "DepthExceeded",
    "LeafValueMismatch",
    "BadNormaliser",
    "MetadataLength",
    "MetadataCount",
    "MetadataText",
    "MetadataTextLength",
    "DuplicateFeatureName",
];

fn variant_name(e: &FormatError) -> &'static str {
    match e {
        FormatError::Truncated { .. } => "Truncated",
        FormatError::BadMagic => "BadMagic",
        FormatError::UnsupportedVersion(_) => "UnsupportedVersion",
        FormatError::UnknownFamily(_) => "UnknownFamily",
        FormatError::ReservedNonZero { .. } => "ReservedNonZero",
        FormatError::NoFeatures => "NoFeatures",
        FormatError::PayloadLength { .. } => "PayloadLength",
        FormatError::ChecksumMismatch => "ChecksumMismatch",
        FormatError::ThresholdOutOfRange => "ThresholdOutOfRange",
        FormatError::TrailingBytes { .. } => "TrailingBytes",
        FormatError::ShiftOutOfRange { .. } => "ShiftOutOfRange",
        FormatError::ClipOrder { .. } => "ClipOrder",
        FormatError::LayerCount(_) => "LayerCount",
        FormatError::ZeroWidth { .. } => "ZeroWidth",
        FormatError::UnknownWeightKind { .. } => "UnknownWeightKind",
        FormatError::UnknownActivation { .. } => "UnknownActivation",
        FormatError::BadScaleMode { .. } => "BadScaleMode",
        FormatError::BadOutputLayer => "BadOutputLayer",
        FormatError::NoTrees => "NoTrees",
        FormatError::MalformedTree { .. } => "MalformedTree",
        FormatError::FeatureOutOfRange { .. } => "FeatureOutOfRange",
        FormatError::MaxDepthTooLarge(_) => "MaxDepthTooLarge",
        FormatError::DepthExceeded { .. } => "DepthExceeded",
        FormatError::LeafValueMismatch { .. } => "LeafValueMismatch",
        FormatError::BadNormaliser => "BadNormaliser",
        FormatError::MetadataLength { .. } => "MetadataLength",
        FormatError::MetadataCount { .. } => "MetadataCount",
        FormatError::MetadataText { .. } => "MetadataText",
        FormatError::MetadataTextLength { .. } => "MetadataTextLength",
        FormatError::DuplicateFeatureName { .. } => "DuplicateFeatureName",
    }
}

fn set_u16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

fn set_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn format_error_cases() -> Vec<Case> {
    use FormatError as E;
    let mut cases = Vec::new();
    let lin = linear(false, Activation::Sigmoid);
    let lin_blob = encode(&lin);
    let gbdt = trees(Family::Gbdt, false);
    let gbdt_x = trees(Family::Gbdt, true);
    let mlp3 = mlp(true, true, Activation::Relu, Activation::Sigmoid);

    // --- Truncated -------------------------------------------------------
    cases.push(raw(
        "empty blob",
        Vec::new(),
        E::Truncated {
            offset: 0,
            needed: 4,
        },
    ));
    cases.push(raw(
        "magic only",
        b"VGLM".to_vec(),
        E::Truncated {
            offset: 4,
            needed: 2,
        },
    ));
    cases.push(raw(
        "cut inside the checksum",
        lin_blob[..30].to_vec(),
        E::Truncated {
            offset: 20,
            needed: 32,
        },
    ));
    {
        // Header alone, resealed to an empty payload: the first feature
        // record's flags byte is missing.
        let mut b = lin_blob[..HEADER_LEN].to_vec();
        reseal(&mut b);
        cases.push(raw(
            "header only",
            b,
            E::Truncated {
                offset: 52,
                needed: 1,
            },
        ));
    }
    {
        // Cut in the middle of the weights, length and checksum resealed.
        let w_at = layer_offsets(&lin)[0] + 5 + 5 + 4;
        let mut b = lin_blob[..w_at + 1].to_vec();
        reseal(&mut b);
        cases.push(raw(
            "cut inside the weights",
            b,
            E::Truncated {
                offset: w_at,
                needed: 3,
            },
        ));
    }
    {
        let at = node_at(&gbdt, 1, 2);
        let mut b = encode(&gbdt)[..at + 3].to_vec();
        reseal(&mut b);
        let nodes_at = node_at(&gbdt, 0, 0);
        cases.push(raw(
            "cut inside the nodes",
            b,
            E::Truncated {
                offset: nodes_at,
                needed: 8 * 8,
            },
        ));
    }
    {
        // A clip bound declared by the flags but absent.
        let spec = one_feature(BodySpec::Linear(layer(
            1,
            1,
            false,
            false,
            Activation::Identity,
        )));
        let mut b = encode(&spec)[..HEADER_LEN + 10].to_vec();
        b[HEADER_LEN] = 1; // CLIP_LO
        reseal(&mut b);
        cases.push(raw(
            "missing clip bound",
            b,
            E::Truncated {
                offset: 62,
                needed: 16,
            },
        ));
    }

    // --- BadMagic ----------------------------------------------------------
    for at in 0..4 {
        let mut b = lin_blob.clone();
        b[at] ^= 0x20;
        cases.push(raw(&format!("magic byte {at}"), b, E::BadMagic));
    }
    cases.push(raw(
        "short bad magic",
        b"VGL".to_vec(),
        E::Truncated {
            offset: 0,
            needed: 4,
        },
    ));
    cases.push(raw(
        "bad magic, nothing else",
        b"MLGV".to_vec(),
        E::BadMagic,
    ));

    // --- UnsupportedVersion ------------------------------------------------
    for v in [0u16, 2, 0x0100, u16::MAX] {
        let mut b = lin_blob.clone();
        set_u16(&mut b, 4, v);
        cases.push(raw(&format!("version {v}"), b, E::UnsupportedVersion(v)));
    }

    // --- UnknownFamily -----------------------------------------------------
    for code in [0u8, 6, 0x80, 0xFF] {
        let mut b = lin_blob.clone();
        b[6] = code;
        cases.push(raw(&format!("family {code}"), b, E::UnknownFamily(code)));
    }

    // --- ReservedNonZero ---------------------------------------------------
    for at in [10usize, 11] {
        let mut b = lin_blob.clone();
        b[at] = 1;
        cases.push(raw(
            &format!("header reserved byte {at}"),
            b,
            E::ReservedNonZero { offset: at },
        ));
    }
    {
        // The metadata flag without a section: its length field is missing.
        let len = encode(&gbdt_x).len();
        cases.push(raw(
            "metadata flag without a section",
            patched(&gbdt_x, |b| b[7] |= FLAG_METADATA),
            E::Truncated {
                offset: len,
                needed: 4,
            },
        ));
    }
    for bit in 2..8 {
        let mut b = encode(&gbdt_x);
        b[7] |= 1 << bit;
        cases.push(raw(
            &format!("header flag bit {bit}"),
            b,
            E::ReservedNonZero { offset: 7 },
        ));
    }
    cases.push(raw(
        "explain flag on a linear model",
        patched(&lin, |b| b[7] = FLAG_EXPLAIN),
        E::ReservedNonZero { offset: 7 },
    ));
    cases.push(raw(
        "explain flag on an MLP",
        patched(&mlp3, |b| b[7] = FLAG_EXPLAIN),
        E::ReservedNonZero { offset: 7 },
    ));
    for bit in 3..8 {
        cases.push(raw(
            &format!("feature 0 flag bit {bit}"),
            patched(&lin, |b| b[HEADER_LEN] |= 1 << bit),
            E::ReservedNonZero { offset: HEADER_LEN },
        ));
    }
    {
        let at = feature_at(&gbdt, 2);
        cases.push(raw(
            "feature 2 flag bit 7",
            patched(&gbdt, |b| b[at] |= 0x80),
            E::ReservedNonZero { offset: at },
        ));
    }
    for spec in [
        gbdt.clone(),
        gbdt_x.clone(),
        trees(Family::IsolationForest, true),
    ] {
        let at = body_at(&spec) + 3;
        cases.push(raw(
            &format!("ensemble reserved byte ({:?})", spec.body.family()),
            patched(&spec, |b| b[at] = 0x10),
            E::ReservedNonZero { offset: at },
        ));
    }

    for base in [1, -1, i32::MIN] {
        let mut spec = trees(Family::RandomForest, base < 0);
        ensemble_mut(&mut spec).base = base;
        let offset = body_at(&spec) + 4;
        cases.push(from_spec(
            &format!("random forest base {base}"),
            spec,
            E::ReservedNonZero { offset },
        ));
    }

    // --- NoFeatures --------------------------------------------------------
    cases.push(from_spec(
        "no features",
        ModelSpec {
            threshold: threshold_half(),
            features: Vec::new(),
            body: BodySpec::Linear(layer(0, 1, false, false, Activation::Identity)),
        },
        E::NoFeatures,
    ));
    cases.push(raw(
        "n_features patched to 0",
        patched(&gbdt, |b| set_u16(b, 8, 0)),
        E::NoFeatures,
    ));

    // --- PayloadLength -----------------------------------------------------
    let lin_payload = (lin_blob.len() - HEADER_LEN) as u32;
    for declared in [0, lin_payload - 1, lin_payload + 1, u32::MAX] {
        let mut b = lin_blob.clone();
        set_u32(&mut b, 16, declared);
        cases.push(raw(
            &format!("declared payload length {declared}"),
            b,
            E::PayloadLength {
                declared,
                actual: lin_payload as usize,
            },
        ));
    }
    {
        let mut b = lin_blob.clone();
        b.push(0);
        cases.push(raw(
            "byte appended, header not updated",
            b,
            E::PayloadLength {
                declared: lin_payload,
                actual: lin_payload as usize + 1,
            },
        ));
    }

    // --- ChecksumMismatch --------------------------------------------------
    {
        let mut b = lin_blob.clone();
        let last = b.len() - 1;
        b[last] ^= 1;
        cases.push(raw("last weight flipped", b, E::ChecksumMismatch));
        let mut b = lin_blob.clone();
        b[20] ^= 0x80;
        cases.push(raw("checksum byte flipped", b, E::ChecksumMismatch));
        let mut b = encode(&gbdt_x);
        b[HEADER_LEN] ^= 0x40; // feature flags: structurally wrong too
        cases.push(raw("feature flags flipped", b, E::ChecksumMismatch));
    }

    // --- ThresholdOutOfRange -----------------------------------------------
    for bits in [(1u32 << 31) + 1, u32::MAX] {
        let mut spec = lin.clone();
        spec.threshold = Score::from_bits(bits);
        cases.push(from_spec(
            &format!("threshold bits {bits:#x}"),
            spec,
            E::ThresholdOutOfRange,
        ));
    }

    // --- TrailingBytes -----------------------------------------------------
    for (name, spec) in family_fixtures() {
        let len = encode(&spec).len();
        cases.push(raw(
            &format!("trailing byte ({name})"),
            patched(&spec, |b| b.push(0)),
            E::TrailingBytes { offset: len },
        ));
    }
    {
        // A linear blob with a second layer appended: still one layer read.
        let extra = encode(&one_feature(BodySpec::Linear(layer(
            1,
            1,
            false,
            false,
            Activation::Identity,
        ))));
        let len = lin_blob.len();
        let tail = extra[body_at(&one_feature(BodySpec::Mlp(vec![]))) + 1..].to_vec();
        cases.push(raw(
            "second layer after a linear layer",
            patched(&lin, |b| b.extend_from_slice(&tail)),
            E::TrailingBytes { offset: len },
        ));
    }

    // --- ShiftOutOfRange ---------------------------------------------------
    for (feature, shift) in [(0usize, MAX_FEATURE_SHIFT + 1), (2, u8::MAX)] {
        let mut spec = lin.clone();
        spec.features[feature].shift = shift;
        let offset = feature_at(&spec, feature) + 1;
        cases.push(from_spec(
            &format!("feature {feature} shift {shift}"),
            spec,
            E::ShiftOutOfRange { offset },
        ));
    }
    for shift in [0u8, MAX_LAYER_SHIFT + 1, u8::MAX] {
        let mut spec = lin.clone();
        if let BodySpec::Linear(l) = &mut spec.body {
            l.scales[0].1 = shift;
        }
        let offset = layer_offsets(&spec)[0] + 5 + 4;
        cases.push(from_spec(
            &format!("linear layer shift {shift}"),
            spec,
            E::ShiftOutOfRange { offset },
        ));
    }
    {
        // Per-channel: the third scale of the first layer.
        let mut spec = mlp3.clone();
        mlp_layers_mut(&mut spec)[0].scales[2].1 = 0;
        let offset = layer_offsets(&spec)[0] + 5 + 2 * 5 + 4;
        cases.push(from_spec(
            "per-channel scale 2 shift 0",
            spec,
            E::ShiftOutOfRange { offset },
        ));
        let mut spec = mlp3.clone();
        mlp_layers_mut(&mut spec)[2].scales[0].1 = MAX_LAYER_SHIFT + 1;
        let offset = layer_offsets(&spec)[2] + 5 + 4;
        cases.push(from_spec(
            "output layer shift 97",
            spec,
            E::ShiftOutOfRange { offset },
        ));
    }

    // --- ClipOrder ---------------------------------------------------------
    {
        let mut spec = lin.clone();
        spec.features[1].clip_lo = Some(wide(101));
        cases.push(from_spec(
            "clip lo above hi",
            spec,
            E::ClipOrder { feature: 1 },
        ));
        let mut spec = gbdt.clone();
        spec.features[0].clip_lo = Some(Wide::from_bits(1));
        spec.features[0].clip_hi = Some(Wide::ZERO);
        cases.push(from_spec(
            "clip lo one ulp above hi",
            spec,
            E::ClipOrder { feature: 0 },
        ));
    }

    // --- LayerCount --------------------------------------------------------
    cases.push(from_spec(
        "MLP without layers",
        one_feature(BodySpec::Mlp(Vec::new())),
        E::LayerCount(0),
    ));
    {
        let mut layers = vec![layer(1, 1, false, false, Activation::Relu); MAX_LAYERS];
        layers.push(layer(1, 1, false, false, Activation::Identity));
        cases.push(from_spec(
            "MLP with 17 layers",
            one_feature(BodySpec::Mlp(layers)),
            E::LayerCount(MAX_LAYERS as u8 + 1),
        ));
    }
    {
        let count_at = body_at(&lin);
        cases.push(raw(
            "linear with count 2",
            patched(&lin, |b| b[count_at] = 2),
            E::LayerCount(2),
        ));
        cases.push(raw(
            "linear with count 0",
            patched(&lin, |b| b[count_at] = 0),
            E::LayerCount(0),
        ));
        cases.push(raw(
            "MLP with count 255",
            patched(&mlp3, |b| b[count_at] = 255),
            E::LayerCount(255),
        ));
        // A valid three-layer MLP relabelled as linear.
        cases.push(raw(
            "three-layer MLP labelled linear",
            patched(&mlp3, |b| b[6] = Family::Linear as u8),
            E::LayerCount(3),
        ));
    }

    // --- ZeroWidth ---------------------------------------------------------
    {
        let mut spec = mlp3.clone();
        let ls = mlp_layers_mut(&mut spec);
        ls[1] = LayerSpec {
            weights: Weights::I8(Vec::new()),
            scales: vec![(1, 1)],
            biases: Vec::new(),
            activation: Activation::Relu,
        };
        cases.push(from_spec(
            "hidden layer of width 0",
            spec,
            E::ZeroWidth { layer: 1 },
        ));
        let mut spec = lin.clone();
        if let BodySpec::Linear(l) = &mut spec.body {
            l.biases.clear();
            l.weights = Weights::I8(Vec::new());
        }
        cases.push(from_spec(
            "linear of width 0",
            spec,
            E::ZeroWidth { layer: 0 },
        ));
    }

    // --- UnknownWeightKind / UnknownActivation / UnknownScaleMode ---------
    let offs = layer_offsets(&mlp3);
    for (layer_i, code) in [(0usize, 0u8), (1, 3), (2, 0xFF)] {
        let at = offs[layer_i] + 2;
        cases.push(raw(
            &format!("layer {layer_i} weight kind {code}"),
            patched(&mlp3, |b| b[at] = code),
            E::UnknownWeightKind { layer: layer_i },
        ));
    }
    for (layer_i, code) in [(0usize, 6u8), (1, 0x80), (2, 0xFF)] {
        let at = offs[layer_i] + 3;
        cases.push(raw(
            &format!("layer {layer_i} activation {code}"),
            patched(&mlp3, |b| b[at] = code),
            E::UnknownActivation { layer: layer_i },
        ));
    }
    for (layer_i, code) in [(0usize, 2u8), (1, 0xFF), (2, 2)] {
        let at = offs[layer_i] + 4;
        cases.push(raw(
            &format!("layer {layer_i} scale mode {code}"),
            patched(&mlp3, |b| b[at] = code),
            E::BadScaleMode { layer: layer_i },
        ));
    }
    {
        // per-channel on a one-output layer is not canonical
        let at = offs[2] + 4;
        cases.push(raw(
            "per-channel output layer",
            patched(&mlp3, |b| b[at] = 1),
            E::BadScaleMode { layer: 2 },
        ));
    }
    {
        let at = layer_offsets(&lin)[0] + 3;
        cases.push(raw(
            "linear activation 6",
            patched(&lin, |b| b[at] = 6),
            E::UnknownActivation { layer: 0 },
        ));
    }

    // --- BadOutputLayer ----------------------------------------------------
    {
        let mut spec = mlp3.clone();
        let ls = mlp_layers_mut(&mut spec);
        ls[2] = layer(2, 2, false, false, Activation::Sigmoid);
        cases.push(from_spec("MLP output width 2", spec, E::BadOutputLayer));
        for act in [Activation::Relu, Activation::Tanh, Activation::HardTanh] {
            let mut spec = mlp3.clone();
            mlp_layers_mut(&mut spec)[2].activation = act;
            cases.push(from_spec(
                &format!("MLP output {act:?}"),
                spec,
                E::BadOutputLayer,
            ));
            let mut spec = lin.clone();
            if let BodySpec::Linear(l) = &mut spec.body {
                l.activation = act;
            }
            cases.push(from_spec(
                &format!("linear output {act:?}"),
                spec,
                E::BadOutputLayer,
            ));
        }
        let mut spec = lin.clone();
        spec.body = BodySpec::Linear(layer(3, 2, false, false, Activation::Sigmoid));
        cases.push(from_spec("linear width 2", spec, E::BadOutputLayer));
        // A single-layer MLP is fine, but not with two outputs.
        cases.push(from_spec(
            "single-layer MLP width 2",
            one_feature(BodySpec::Mlp(vec![layer(
                1,
                2,
                false,
                true,
                Activation::Identity,
            )])),
            E::BadOutputLayer,
        ));
    }

    // --- NoTrees -----------------------------------------------------------
    for family in [Family::Gbdt, Family::RandomForest, Family::IsolationForest] {
        let mut spec = trees(family, true);
        ensemble_mut(&mut spec).trees.clear();
        cases.push(from_spec(
            &format!("no trees ({})", family.name()),
            spec,
            E::NoTrees,
        ));
    }

    // --- MalformedTree -----------------------------------------------------
    for explain in [false, true] {
        let base = trees(Family::RandomForest, explain);
        let tag = if explain { " (explain)" } else { "" };
        let mut spec = base.clone();
        ensemble_mut(&mut spec).trees[0][0].right = 1;
        cases.push(from_spec(
            &format!("right child points at the left child{tag}"),
            spec,
            E::MalformedTree { tree: 0, node: 0 },
        ));
        let mut spec = base.clone();
        ensemble_mut(&mut spec).trees[1][1].right = 4;
        cases.push(from_spec(
            &format!("right child skips a node{tag}"),
            spec,
            E::MalformedTree { tree: 1, node: 1 },
        ));
        let mut spec = base.clone();
        ensemble_mut(&mut spec).trees[0][0].right = 0;
        cases.push(from_spec(
            &format!("right child points backwards{tag}"),
            spec,
            E::MalformedTree { tree: 0, node: 0 },
        ));
        let mut spec = base.clone();
        ensemble_mut(&mut spec).trees[0][0].right = u16::MAX;
        cases.push(from_spec(
            &format!("right child out of bounds{tag}"),
            spec,
            E::MalformedTree { tree: 0, node: 0 },
        ));
        let mut spec = base.clone();
        ensemble_mut(&mut spec).trees[1].push(leaf(0));
        cases.push(from_spec(
            &format!("unreachable trailing node{tag}"),
            spec,
            E::MalformedTree { tree: 1, node: 5 },
        ));
        let mut spec = base.clone();
        ensemble_mut(&mut spec).trees[0] = vec![leaf(1), leaf(2)];
        cases.push(from_spec(
            &format!("leaf root with a trailing node{tag}"),
            spec,
            E::MalformedTree { tree: 0, node: 1 },
        ));
        let mut spec = base.clone();
        ensemble_mut(&mut spec).trees[1][3].right = 4;
        cases.push(from_spec(
            &format!("leaf with a right child{tag}"),
            spec,
            E::MalformedTree { tree: 1, node: 3 },
        ));
        let mut spec = base.clone();
        ensemble_mut(&mut spec).trees[1].clear();
        cases.push(from_spec(
            &format!("zero-node tree{tag}"),
            spec,
            E::MalformedTree { tree: 1, node: 0 },
        ));
        let mut spec = base.clone();
        // A split whose subtree runs off the end of the tree.
        ensemble_mut(&mut spec).trees[0] = vec![split(0, 2, 0, 0, explain), leaf(1)];
        cases.push(from_spec(
            &format!("missing right subtree{tag}"),
            spec,
            E::MalformedTree { tree: 0, node: 2 },
        ));
    }

    // --- FeatureOutOfRange -------------------------------------------------
    for feature in [3u16, 0x7FFF, LEAF - 1] {
        let mut spec = gbdt_x.clone();
        ensemble_mut(&mut spec).trees[1][1].feature = feature;
        cases.push(from_spec(
            &format!("split on feature {feature}"),
            spec,
            E::FeatureOutOfRange { tree: 1, node: 1 },
        ));
    }

    // --- DepthExceeded -----------------------------------------------------
    {
        let mut spec = gbdt.clone();
        ensemble_mut(&mut spec).max_depth = 1;
        cases.push(from_spec(
            "tree deeper than declared",
            spec,
            E::DepthExceeded { tree: 1 },
        ));
        let mut spec = gbdt_x.clone();
        ensemble_mut(&mut spec).max_depth = 0;
        cases.push(from_spec(
            "stump with max_depth 0",
            spec,
            E::DepthExceeded { tree: 0 },
        ));
        for declared in [MAX_DEPTH + 1, u8::MAX] {
            let mut spec = gbdt.clone();
            ensemble_mut(&mut spec).max_depth = declared;
            cases.push(from_spec(
                &format!("declared depth {declared}"),
                spec,
                E::MaxDepthTooLarge(declared),
            ));
        }
        let spec = one_feature(BodySpec::RandomForest(EnsembleSpec {
            base: 0,
            max_depth: MAX_DEPTH,
            explain: false,
            trees: vec![vec![leaf(0)], chain_tree(usize::from(MAX_DEPTH) + 1)],
        }));
        cases.push(from_spec(
            "chain of depth 33 under MAX_DEPTH",
            spec,
            E::DepthExceeded { tree: 1 },
        ));
    }

    // --- LeafValueMismatch -------------------------------------------------
    for family in [Family::Gbdt, Family::RandomForest, Family::IsolationForest] {
        let mut spec = trees(family, true);
        ensemble_mut(&mut spec).trees[1][4].mean += 1;
        cases.push(from_spec(
            &format!("leaf mean differs ({})", family.name()),
            spec,
            E::LeafValueMismatch { tree: 1, node: 4 },
        ));
    }
    {
        // A single-leaf tree: the root itself.
        let spec = one_feature(BodySpec::Gbdt(EnsembleSpec {
            base: 0,
            max_depth: 0,
            explain: true,
            trees: vec![vec![Node {
                feature: LEAF,
                right: 0,
                value: 5,
                mean: 6,
            }]],
        }));
        cases.push(from_spec(
            "single leaf mean differs",
            spec,
            E::LeafValueMismatch { tree: 0, node: 0 },
        ));
    }

    // --- BadNormaliser -----------------------------------------------------
    for base in [0, -1, i32::MIN] {
        let mut spec = trees(Family::IsolationForest, false);
        ensemble_mut(&mut spec).base = base;
        cases.push(from_spec(
            &format!("isolation forest c(psi) = {base}"),
            spec,
            E::BadNormaliser,
        ));
    }

    // --- The metadata section ----------------------------------------------
    {
        let at = lin_blob.len(); // section C
        let body = at; // section flags
        let good = section(0, 3, &[b"a", b"b", b"c"]);
        let blob = with_section(&lin, &good);
        cases.push(raw(
            "metadata length one too long",
            {
                let mut b = blob.clone();
                let end = b.len() - 4;
                set_u32(&mut b, end, good.len() as u32 + 1);
                reseal_checksum(&mut b);
                b
            },
            E::MetadataLength {
                declared: good.len() as u32 + 1,
                actual: good.len(),
            },
        ));
        cases.push(raw(
            "metadata length one too short",
            {
                let mut b = blob.clone();
                let end = b.len() - 4;
                set_u32(&mut b, end, good.len() as u32 - 1);
                reseal_checksum(&mut b);
                b
            },
            E::MetadataLength {
                declared: good.len() as u32 - 1,
                actual: good.len(),
            },
        ));
        cases.push(raw(
            "metadata length cut",
            patched(&lin, |b| {
                b[7] |= FLAG_METADATA;
                b.extend_from_slice(&[3, 0]);
            }),
            E::Truncated {
                offset: at,
                needed: 4,
            },
        ));
        let m =
            |name: &str, sec: Vec<u8>, e: FormatError| meta_case(name, with_section(&lin, &sec), e);
        cases.push(m(
            "metadata reserved flag bit",
            section(4, 3, &[b"a", b"b", b"c"]),
            E::ReservedNonZero { offset: body },
        ));
        cases.push(m(
            "metadata count below n_features",
            section(0, 2, &[b"a", b"b"]),
            E::MetadataCount {
                declared: 2,
                expected: 3,
            },
        ));
        cases.push(m(
            "metadata count above n_features",
            section(0, 4, &[b"a", b"b", b"c", b"d"]),
            E::MetadataCount {
                declared: 4,
                expected: 3,
            },
        ));
        cases.push(m(
            "metadata section without count",
            vec![0, 3],
            E::Truncated {
                offset: body + 1,
                needed: 2,
            },
        ));
        cases.push(m(
            "metadata record cut",
            section(0, 3, &[b"a", b"b"]),
            E::Truncated {
                offset: body + 7,
                needed: 1,
            },
        ));
        cases.push(m(
            "metadata name longer than the section",
            {
                let mut s = section(0, 3, &[b"a", b"b"]);
                s.extend_from_slice(&[5, b'x']);
                s
            },
            E::Truncated {
                offset: body + 8,
                needed: 5,
            },
        ));
        cases.push(m(
            "metadata byte after the records",
            {
                let mut s = good.clone();
                s.push(0);
                s
            },
            E::TrailingBytes {
                offset: body + good.len(),
            },
        ));
        cases.push(m(
            "metadata name not UTF-8",
            section(0, 3, &[b"a", &[0xff, 0x41], b"c"]),
            E::MetadataText { offset: body + 5 },
        ));
        cases.push(m(
            "metadata name with a newline",
            section(0, 3, &[b"a", b"b", b"c\nd"]),
            E::MetadataText { offset: body + 7 },
        ));
        cases.push(m(
            "metadata label with a tab",
            section(1, 3, &[b"a", b"A", b"b", b"B\tx", b"c", b""]),
            E::MetadataText { offset: body + 9 },
        ));
        cases.push(m(
            "metadata unit not UTF-8",
            section(2, 3, &[b"a", b"", b"b", b"", b"c", &[0xc3]]),
            E::MetadataText { offset: body + 11 },
        ));
        cases.push(m(
            "metadata empty name",
            section(0, 3, &[b"a", b"", b"c"]),
            E::MetadataTextLength { offset: body + 5 },
        ));
        let long = |n: usize| vec![b'x'; n];
        cases.push(m(
            "metadata name of 65 bytes",
            section(0, 3, &[&long(MAX_NAME_LEN + 1), b"b", b"c"]),
            E::MetadataTextLength { offset: body + 3 },
        ));
        cases.push(m(
            "metadata label of 129 bytes",
            section(
                1,
                3,
                &[b"a", &long(MAX_LABEL_LEN + 1), b"b", b"", b"c", b""],
            ),
            E::MetadataTextLength { offset: body + 5 },
        ));
        cases.push(m(
            "metadata unit of 33 bytes",
            section(
                3,
                3,
                &[
                    b"a",
                    b"",
                    &long(MAX_UNIT_LEN + 1),
                    b"b",
                    b"",
                    b"",
                    b"c",
                    b"",
                    b"",
                ],
            ),
            E::MetadataTextLength { offset: body + 6 },
        ));
        cases.push(m(
            "metadata duplicate names",
            section(0, 3, &[b"amount", b"b", b"amount"]),
            E::DuplicateFeatureName {
                feature: 2,
                first: 0,
            },
        ));
        cases.push(m(
            "metadata duplicate names with labels",
            section(1, 3, &[b"a", b"x", b"b", b"", b"b", b"y"]),
            E::DuplicateFeatureName {
                feature: 2,
                first: 1,
            },
        ));
    }

    cases
}

#[test]
fn every_format_error_case_gives_its_exact_error() {
    for case in format_error_cases() {
        let got = Model::parse(&case.blob).map(|_| ());
        assert_eq!(got, Err(case.expected), "case {:?}", case.name);
        // The same error (or, for checksum cases, a structural outcome)
        // without the checksum check.
        let unchecked = Model::parse_without_checksum(&case.blob).map(|_| ());
        if case.meta_content {
            let m = Model::parse_without_checksum(&case.blob).unwrap();
            assert_eq!(
                m.metadata().map(|_| ()),
                Err(case.expected),
                "case {:?}",
                case.name
            );
            assert!(m.feature_names().is_none(), "case {:?}", case.name);
        } else if case.expected == FormatError::ChecksumMismatch {
            assert_ne!(
                unchecked,
                Err(FormatError::ChecksumMismatch),
                "case {:?}",
                case.name
            );
        } else {
            assert_eq!(unchecked, Err(case.expected), "case {:?}", case.name);
        }
        if let Some(spec) = &case.spec {
            assert_eq!(
                spec.to_bytes(),
                Err(SpecError::Invalid(case.expected)),
                "case {:?} via spec",
                case.name
            );
        }
        // Display never panics and is not empty.
        assert!(!case.expected.to_string().is_empty());
    }
}

#[test]
fn every_format_error_variant_is_reached() {
    let reached: BTreeSet<&str> = format_error_cases()
        .iter()
        .map(|c| variant_name(&c.expected))
        .collect();
    let all: BTreeSet<&str> = VARIANTS.iter().copied().collect();
    assert_eq!(all.len(), VARIANTS.len(), "duplicate in VARIANTS");
    let missing: Vec<_> = all.difference(&reached).collect();
    assert!(missing.is_empty(), "no test case reaches {missing:?}");
    let unknown: Vec<_> = reached.difference(&all).collect();
    assert!(unknown.is_empty(), "VARIANTS does not list {unknown:?}");
}

#[test]
fn checksum_cases_parse_structurally_without_checksum() {
    // The "last weight flipped" blob is structurally valid: accepted
    // without the checksum. The flipped feature-flags blob is not.
    let cases = format_error_cases();
    let find = |name: &str| cases.iter().find(|c| c.name == name).unwrap();
    let m = Model::parse_without_checksum(&find("last weight flipped").blob).unwrap();
    check_inference(&m, &inputs_for(3, 1));
    assert_eq!(
        Model::parse_without_checksum(&find("checksum byte flipped").blob)
            .unwrap()
            .to_spec(),
        linear(false, Activation::Sigmoid)
    );
    assert_eq!(
        Model::parse_without_checksum(&find("feature flags flipped").blob).map(|_| ()),
        Err(FormatError::ReservedNonZero { offset: HEADER_LEN })
    );
}

#[test]
fn every_strict_prefix_is_rejected() {
    for (name, spec) in valid_specs() {
        let blob = spec.to_bytes().unwrap();
        let payload = (blob.len() - HEADER_LEN) as u32;
        for cut in 0..blob.len() {
            let prefix = &blob[..cut];
            let err = Model::parse(prefix).map(|_| ()).unwrap_err();
            assert_eq!(
                Model::parse_without_checksum(prefix).map(|_| ()),
                Err(err),
                "{name} cut at {cut}"
            );
            if cut < HEADER_LEN {
                match err {
                    FormatError::Truncated { offset, needed } => {
                        assert!(
                            offset <= cut && cut < offset + needed,
                            "{name} cut at {cut}"
                        )
                    }
                    e => panic!("{name} cut at {cut}: {e:?}"),
                }
            } else {
                assert_eq!(
                    err,
                    FormatError::PayloadLength {
                        declared: payload,
                        actual: cut - HEADER_LEN
                    },
                    "{name} cut at {cut}"
                );
                // With the header resealed, the payload itself is short:
                // every reader reaches the cut and reports it.
                let mut resealed = prefix.to_vec();
                reseal(&mut resealed);
                match Model::parse(&resealed).map(|_| ()) {
                    Err(FormatError::Truncated { offset, needed }) => assert!(
                        offset <= cut && cut < offset + needed,
                        "{name} cut at {cut}: Truncated at {offset} + {needed}"
                    ),
                    other => panic!("{name} resealed cut at {cut}: {other:?}"),
                }
            }
        }
    }
}

#[test]
fn every_payload_byte_flip_is_a_checksum_mismatch() {
    for (name, spec) in family_fixtures() {
        let blob = spec.to_bytes().unwrap();
        for at in HEADER_LEN..blob.len() {
            for mask in [0x01u8, 0x80, 0xFF] {
                let mut b = blob.clone();
                b[at] ^= mask;
                assert_eq!(
                    Model::parse(&b).map(|_| ()),
                    Err(FormatError::ChecksumMismatch),
                    "{name} byte {at} ^ {mask:#x}"
                );
                match Model::parse_without_checksum(&b) {
                    Ok(m) => {
                        check_inference(&m, &inputs_for(m.n_features(), at as i64));
                    }
                    Err(e) => assert_ne!(e, FormatError::ChecksumMismatch, "{name} byte {at}"),
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// 3. Fuzz: mutated blobs never panic; accepted ones behave
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Mutation {
    Flip(Index, u8),
    Set(Index, u8),
    Truncate(Index),
    Insert(Index, u8),
    Remove(Index),
    /// Overwrite with a boundary value at a random place (lengths, counts).
    Word(Index, u16),
}

fn arb_mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<Index>(), 1u8..=255).prop_map(|(i, m)| Mutation::Flip(i, m)),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(i, v)| Mutation::Set(i, v)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(i, v)| Mutation::Insert(i, v)),
        1 => any::<Index>().prop_map(Mutation::Remove),
        1 => (
            any::<Index>(),
            prop_oneof![Just(0u16), Just(1), Just(2), Just(0x7FFF), Just(0xFFFF), Just(0xFFFE)]
        )
            .prop_map(|(i, v)| Mutation::Word(i, v)),
    ]
}

fn mutate(blob: &mut Vec<u8>, m: &Mutation) {
    if blob.is_empty() {
        if let Mutation::Insert(_, v) = m {
            blob.push(*v);
        }
        return;
    }
    match m {
        Mutation::Flip(i, mask) => {
            let at = i.index(blob.len());
            blob[at] ^= mask;
        }
        Mutation::Set(i, v) => {
            let at = i.index(blob.len());
            blob[at] = *v;
        }
        Mutation::Truncate(i) => {
            let at = i.index(blob.len());
            blob.truncate(at);
        }
        Mutation::Insert(i, v) => {
            let at = i.index(blob.len() + 1);
            blob.insert(at, *v);
        }
        Mutation::Remove(i) => {
            let at = i.index(blob.len());
            blob.remove(at);
        }
        Mutation::Word(i, v) => {
            if blob.len() >= 2 {
                let at = i.index(blob.len() - 1);
                blob[at..at + 2].copy_from_slice(&v.to_le_bytes());
            }
        }
    }
}

/// Base blobs for the fuzzer: the fixtures plus a random spec.
fn fuzz_base(fixture: Index, random: &ModelSpec, use_random: bool) -> Vec<u8> {
    if use_random {
        random.to_bytes().unwrap()
    } else {
        let f = family_fixtures();
        f[fixture.index(f.len())].1.to_bytes().unwrap()
    }
}

fn fuzz_one(blob: &[u8], inputs: &[Wide]) -> Result<(), TestCaseError> {
    let unchecked = Model::parse_without_checksum(blob);
    // The checksum is always resealed, so both parses agree.
    prop_assert_eq!(
        Model::parse(blob).map(|m| m.bytes().len()),
        unchecked.map(|m| m.bytes().len())
    );
    if let Ok(m) = unchecked {
        prop_assert_eq!(m.bytes(), blob);
        let n = m.n_features();
        prop_assert!(n >= 1);
        let x: Vec<Wide> = (0..n).map(|i| inputs[i % inputs.len()]).collect();
        let out = check_inference(&m, &x);
        // A parsed model reads back into a spec that serialises to a model
        // with the same meaning.
        let spec = m.to_spec();
        let bytes = spec.to_bytes();
        prop_assert!(
            bytes.is_ok(),
            "to_spec of a parsed model does not serialise: {:?}",
            bytes
        );
        let bytes = bytes.unwrap();
        let m2 = Model::parse(&bytes).unwrap();
        prop_assert_eq!(m2.to_spec(), spec);
        let mut scratch = vec![Act::ZERO; m2.scratch_len()];
        prop_assert_eq!(m2.infer(&x, &mut scratch), Ok(out));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn fuzz_mutated_blobs(
        fixture in any::<Index>(),
        random in arb_spec(),
        use_random in any::<bool>(),
        mutations in proptest::collection::vec(arb_mutation(), 1..6),
        reseal_length in proptest::bool::weighted(0.85),
        inputs in proptest::collection::vec(arb_input(), 1..8),
    ) {
        let mut blob = fuzz_base(fixture, &random, use_random);
        for m in &mutations {
            mutate(&mut blob, m);
        }
        if blob.len() >= HEADER_LEN {
            if reseal_length {
                reseal(&mut blob);
            } else {
                reseal_checksum(&mut blob);
            }
        }
        fuzz_one(&blob, &inputs)?;
    }
}

// ---------------------------------------------------------------------------
// 4. InferError
// ---------------------------------------------------------------------------

#[test]
fn infer_error_feature_count() {
    for (name, spec) in family_fixtures() {
        let blob = spec.to_bytes().unwrap();
        let m = Model::parse(&blob).unwrap();
        let mut scratch = vec![Act::ZERO; m.scratch_len()];
        let mut contributions = vec![Act::ZERO; 3];
        for got in [0usize, 2, 4, 100] {
            let x = vec![Wide::ONE; got];
            let want = Err(InferError::FeatureCount { expected: 3, got });
            assert_eq!(m.infer(&x, &mut scratch), want, "{name}");
            assert_eq!(m.preprocess(&x, &mut scratch), want.map(|_| ()), "{name}");
            if m.explainable() {
                assert_eq!(
                    m.explain(&x, &mut scratch, &mut contributions),
                    want,
                    "{name}"
                );
            }
        }
    }
}

#[test]
fn infer_error_scratch_too_small() {
    for (name, spec) in family_fixtures() {
        let blob = spec.to_bytes().unwrap();
        let m = Model::parse(&blob).unwrap();
        let needed = m.scratch_len();
        match &spec.body {
            // Two buffers of max(features, widest layer).
            BodySpec::Mlp(_) => assert_eq!(needed, 2 * 4, "{name}"),
            BodySpec::Linear(_) => assert_eq!(needed, 2 * 3, "{name}"),
            _ => assert_eq!(needed, 3, "{name}"),
        }
        let x = inputs_for(3, 0);
        let mut contributions = vec![Act::ZERO; 3];
        for got in [0, needed - 1] {
            let mut scratch = vec![Act::ZERO; got];
            let want = Err(InferError::ScratchTooSmall { needed, got });
            assert_eq!(m.infer(&x, &mut scratch), want, "{name}");
            assert_eq!(m.preprocess(&x, &mut scratch), want.map(|_| ()), "{name}");
            if m.explainable() {
                assert_eq!(
                    m.explain(&x, &mut scratch, &mut contributions),
                    want,
                    "{name}"
                );
            }
        }
        // Exactly enough, and more than enough, give the same output.
        let mut exact = vec![Act::ZERO; needed];
        let mut more = vec![Act::ZERO; needed + 17];
        let out = m.infer(&x, &mut exact).unwrap();
        assert_eq!(m.infer(&x, &mut more), Ok(out), "{name}");
    }
}

#[test]
fn infer_error_contributions_len() {
    for (name, spec) in family_fixtures() {
        let blob = spec.to_bytes().unwrap();
        let m = Model::parse(&blob).unwrap();
        if !m.explainable() {
            continue;
        }
        let x = inputs_for(3, 5);
        let mut scratch = vec![Act::ZERO; m.scratch_len()];
        for got in [0usize, 2, 4] {
            let mut c = vec![Act::ZERO; got];
            assert_eq!(
                m.explain(&x, &mut scratch, &mut c),
                Err(InferError::ContributionsLen { expected: 3, got }),
                "{name}"
            );
        }
        // The contributions length is checked before the inputs.
        let mut c = vec![Act::ZERO; 1];
        assert_eq!(
            m.explain(&x[..1], &mut scratch, &mut c),
            Err(InferError::ContributionsLen {
                expected: 3,
                got: 1
            }),
            "{name}"
        );
    }
}

#[test]
fn infer_error_not_explainable() {
    let mut checked = 0;
    for (name, spec) in valid_specs() {
        let blob = spec.to_bytes().unwrap();
        let m = Model::parse(&blob).unwrap();
        let unexplainable = match &spec.body {
            BodySpec::Mlp(_) => true,
            BodySpec::Gbdt(e) | BodySpec::RandomForest(e) | BodySpec::IsolationForest(e) => {
                !e.explain
            }
            BodySpec::Linear(_) => false,
        };
        assert_eq!(m.explainable(), !unexplainable, "{name}");
        if unexplainable {
            checked += 1;
            let n = m.n_features();
            let mut scratch = vec![Act::ZERO; m.scratch_len()];
            let mut c = vec![Act::ZERO; n];
            assert_eq!(
                m.explain(&inputs_for(n, 0), &mut scratch, &mut c),
                Err(InferError::NotExplainable),
                "{name}"
            );
            // Reported before any argument check.
            assert_eq!(
                m.explain(&[], &mut [], &mut []),
                Err(InferError::NotExplainable),
                "{name}"
            );
        }
    }
    assert!(checked >= 40);
    for e in [
        InferError::FeatureCount {
            expected: 1,
            got: 2,
        },
        InferError::ScratchTooSmall { needed: 1, got: 0 },
        InferError::ContributionsLen {
            expected: 1,
            got: 0,
        },
        InferError::NotExplainable,
    ] {
        assert!(!e.to_string().is_empty());
    }
}

// ---------------------------------------------------------------------------
// Spec shape checks and canonical form
// ---------------------------------------------------------------------------

/// `ModelSpec::to_bytes` checks that a layer's vector lengths agree
/// (`weights.len() == fan_in × fan_out`, `scales.len()` 1 or `fan_out`):
/// otherwise the bytes could parse as a different, valid model.
#[test]
fn inconsistent_layer_lengths_do_not_serialise() {
    let spec = |weights: Vec<i8>, scales: Vec<(i32, u8)>| ModelSpec {
        threshold: threshold_half(),
        features: vec![FeatureTransform::IDENTITY; 5],
        body: BodySpec::Linear(LayerSpec {
            weights: Weights::I8(weights),
            scales,
            biases: vec![7],
            activation: Activation::Sigmoid,
        }),
    };
    assert_eq!(
        spec(vec![10, 0, 0, 1, 0, 1, 2, 3, 4, 5], vec![]).to_bytes(),
        Err(SpecError::WeightCount {
            layer: 0,
            expected: 5,
            got: 10
        })
    );
    assert_eq!(
        spec(vec![1, 2, 3, 4, 5], vec![]).to_bytes(),
        Err(SpecError::ScaleCount { layer: 0, got: 0 })
    );
    assert!(spec(vec![1, 2, 3, 4, 5], vec![(1, 8)]).to_bytes().is_ok());
    let too_many = ModelSpec {
        threshold: threshold_half(),
        features: vec![FeatureTransform::IDENTITY; 70_000],
        body: BodySpec::Linear(LayerSpec {
            weights: Weights::I8(vec![0; 70_000]),
            scales: vec![(1, 8)],
            biases: vec![0],
            activation: Activation::Sigmoid,
        }),
    };
    assert_eq!(too_many.to_bytes(), Err(SpecError::TooLarge));
}

/// Per-channel scales on a one-output layer are rejected (they are
/// canonically per-layer), so `to_spec().to_bytes()` reproduces every valid
/// blob.
#[test]
fn per_channel_single_output_is_not_canonical() {
    let spec = linear(false, Activation::Sigmoid);
    let mode_at = layer_offsets(&spec)[0] + 4;
    let blob = patched(&spec, |b| b[mode_at] = 1);
    assert_eq!(
        Model::parse(&blob).unwrap_err(),
        FormatError::BadScaleMode { layer: 0 }
    );
}

/// `Ensemble::max_steps` sums each tree's own deepest leaf: a stump (1)
/// and a tree whose deepest leaf is at 2 (its other leaf at 1), under a
/// declared `max_depth` of 3; a single leaf adds 0.
#[test]
fn max_steps_sums_each_trees_deepest_leaf() {
    let mut spec = trees(Family::Gbdt, false);
    ensemble_mut(&mut spec).max_depth = 3;
    ensemble_mut(&mut spec).trees.push(vec![leaf(7)]);
    let blob = spec.to_bytes().unwrap();
    let model = Model::parse(&blob).unwrap();
    let Body::Trees(e) = model.body() else {
        panic!("an ensemble")
    };
    assert_eq!((e.n_trees, e.max_depth, e.max_steps), (3, 3, 1 + 2));
}
