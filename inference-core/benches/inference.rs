//! Single-sample inference time of the core, natively: an eth-fraud-shaped
//! MLP (38 log1p-standardised features, 38-32-16-1, ReLU, sigmoid output)
//! and a GBDT of 100 complete trees of depth 3 over the same features.
//!
//! ```sh
//! cargo bench -p vigil-inference-core                  # release profile (native speed)
//! cargo bench -p vigil-inference-core --profile wasm   # the size profile every shipped wasm uses
//! ```
//!
//! For each model: `infer` (a parsed model, one [`Model::infer`]) and
//! `parse + infer` (what a contract does per query:
//! [`Model::parse_without_checksum`] then one inference). A plain harness
//! (no dependency): a round runs about 2 ms of calls and gives its mean
//! time per call; over 201 rounds each figure is the fastest round and the
//! median (on a shared machine the fastest is the least disturbed; the
//! median shows the spread). Benchmarks measure, they assert nothing.
//! `cargo bench -p vigil-inference-core -- --quick` runs 5 short rounds (a
//! smoke run).
use std::hint::black_box;
use std::time::{Duration, Instant};

use vigil_inference_core::float::{
    FloatBody, FloatEnsemble, FloatFeature, FloatLayer, FloatModel, FloatNode, QuantizeOptions,
};
use vigil_inference_core::format::{Activation, LEAF};
use vigil_inference_core::{Act, Model, Wide};

const FEATURES: usize = 38;

/// SplitMix64: the same models and inputs on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next() >> 11) as f64 / (1u64 << 53) as f64)
    }
}

/// Signed `log1p` then standardisation, as the eth-fraud features are.
fn features(r: &mut Rng) -> Vec<FloatFeature> {
    (0..FEATURES)
        .map(|_| FloatFeature {
            clip_lo: None,
            clip_hi: None,
            log1p: true,
            mean: r.range(0.0, 8.0),
            std: r.range(0.5, 4.0),
        })
        .collect()
}

fn layer(r: &mut Rng, fan_in: usize, fan_out: usize, activation: Activation) -> FloatLayer {
    let spread = 2.0 / (fan_in as f64).sqrt();
    FloatLayer {
        weights: (0..fan_in * fan_out)
            .map(|_| r.range(-spread, spread))
            .collect(),
        biases: (0..fan_out).map(|_| r.range(-0.5, 0.5)).collect(),
        activation,
    }
}

fn mlp(r: &mut Rng) -> Vec<u8> {
    FloatModel {
        threshold: 0.5,
        features: features(r),
        body: FloatBody::Mlp(vec![
            layer(r, FEATURES, 32, Activation::Relu),
            layer(r, 32, 16, Activation::Relu),
            layer(r, 16, 1, Activation::Sigmoid),
        ]),
    }
    .quantize(&QuantizeOptions::default())
    .to_bytes()
    .expect("valid MLP")
}

fn complete_tree(r: &mut Rng, depth: u8, out: &mut Vec<FloatNode>) {
    if depth == 0 {
        let value = r.range(-0.3, 0.3);
        out.push(FloatNode {
            feature: LEAF,
            right: 0,
            value,
            mean: value,
        });
        return;
    }
    let at = out.len();
    out.push(FloatNode {
        feature: (r.next() % FEATURES as u64) as u16,
        right: 0,
        value: r.range(-1.5, 1.5),
        mean: 0.0,
    });
    complete_tree(r, depth - 1, out);
    out[at].right = out.len() as u16;
    complete_tree(r, depth - 1, out);
}

fn gbdt(r: &mut Rng) -> Vec<u8> {
    let trees = (0..100)
        .map(|_| {
            let mut t = Vec::new();
            complete_tree(r, 3, &mut t);
            t
        })
        .collect();
    FloatModel {
        threshold: 0.5,
        features: features(r),
        body: FloatBody::Gbdt(FloatEnsemble { base: -0.4, trees }),
    }
    .quantize(&QuantizeOptions {
        explain: false,
        ..QuantizeOptions::default()
    })
    .to_bytes()
    .expect("valid GBDT")
}

/// Raw inputs of the kind the features see: 0 to 1e12, either sign.
fn inputs(r: &mut Rng, n: usize) -> Vec<Vec<Wide>> {
    (0..n)
        .map(|_| {
            (0..FEATURES)
                .map(|_| {
                    let v = 10f64.powf(r.range(-2.0, 12.0));
                    Wide::from_num(if r.next() & 1 == 0 { v } else { -v })
                })
                .collect()
        })
        .collect()
}

/// Fastest and median over `rounds` of the mean time per call of `f` (the
/// input index cycles through the sample set), after calibration (which
/// also warms up).
fn measure(rounds: usize, round: Duration, mut f: impl FnMut(usize)) -> (Duration, Duration) {
    // Calibrate: how many calls fill a round.
    let mut calls = 1u64;
    loop {
        let t = Instant::now();
        for i in 0..calls {
            f(i as usize);
        }
        if t.elapsed() >= round / 4 || calls >= 1 << 30 {
            calls = (calls * 4).max(1);
            break;
        }
        calls *= 2;
    }
    let mut per_call: Vec<Duration> = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            for i in 0..calls {
                f(i as usize);
            }
            t.elapsed() / calls as u32
        })
        .collect();
    per_call.sort();
    (per_call[0], per_call[per_call.len() / 2])
}

fn main() {
    // `cargo bench` passes `--bench`; libtest-style filters are not
    // supported (two models, four figures).
    let quick = std::env::args().any(|a| a == "--quick");
    let (rounds, round) = if quick {
        (5, Duration::from_millis(1))
    } else {
        (201, Duration::from_millis(2))
    };
    let profile = if cfg!(debug_assertions) {
        "a debug profile (not a measurement)"
    } else {
        "an optimised profile"
    };
    println!("vigil-inference-core single-sample inference, {profile}; fastest / median of {rounds} rounds, µs per call");
    let mut r = Rng(0x005E_ED0F_F1A7);
    let samples = inputs(&mut r, 64);
    for (name, blob) in [
        ("MLP 38-32-16-1", mlp(&mut r)),
        ("GBDT 100 trees, depth 3", gbdt(&mut r)),
    ] {
        let model = Model::parse(&blob).expect("valid");
        let mut scratch = vec![Act::ZERO; model.scratch_len()];
        let n = samples.len();
        let infer = measure(rounds, round, |i| {
            let out = model
                .infer(black_box(&samples[i % n]), &mut scratch)
                .expect("fits");
            black_box(out);
        });
        let parse_infer = measure(rounds, round, |i| {
            let m = Model::parse_without_checksum(black_box(&blob)).expect("valid");
            let out = m
                .infer(black_box(&samples[i % n]), &mut scratch)
                .expect("fits");
            black_box(out);
        });
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        println!(
            "{name:<24} ({:>5} bytes)  infer {:>6.2} / {:>6.2}   parse + infer {:>6.2} / {:>6.2}",
            blob.len(),
            us(infer.0),
            us(infer.1),
            us(parse_infer.0),
            us(parse_infer.1),
        );
    }
}
