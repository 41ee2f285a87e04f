//! The guard on an embedded default: a logistic-regression transaction
//! screen built in code, compiled to a Vigil blob, validated, and asked
//! "is this transaction an attack?" for a few transactions given as decimal
//! strings, as a contract or wallet would pass them. Ends with the blob
//! sizes and cost bounds of the reference model shapes.
//!
//! ```sh
//! cargo run -p vigil-inference-core --features float --example guard
//! ```
use vigil_inference_core::float::{
    FloatBody, FloatEnsemble, FloatFeature, FloatLayer, FloatModel, FloatNode, QuantizeOptions,
};
use vigil_inference_core::format::{Activation, LEAF};
use vigil_inference_core::{decimal, Act, Model, Wide};

const FEATURES: [&str; 4] = [
    "borrowed_usd",
    "price_impact_bps",
    "caller_age_blocks",
    "gas_price_gwei",
];

/// Signed log1p then standardise: what the eth-fraud features need (no
/// clip: signed log1p takes negative balances as they are).
fn log_only(mean: f64, std: f64) -> FloatFeature {
    FloatFeature {
        clip_lo: None,
        clip_hi: None,
        log1p: true,
        mean,
        std,
    }
}

fn log_feature(mean: f64, std: f64) -> FloatFeature {
    FloatFeature {
        clip_lo: Some(0.0),
        clip_hi: Some(1e15),
        log1p: true,
        mean,
        std,
    }
}

/// The default guard: large borrows, big price impact, brand-new callers and
/// gas spikes raise the attack score.
fn default_guard() -> FloatModel {
    FloatModel {
        threshold: 0.5,
        features: vec![
            log_feature(8.0, 3.0),
            log_feature(2.0, 1.5),
            log_feature(9.0, 3.0),
            log_feature(3.0, 1.0),
        ],
        body: FloatBody::Linear(FloatLayer {
            weights: vec![1.6, 1.3, -1.4, 0.9],
            biases: vec![-2.5],
            activation: Activation::Sigmoid,
        }),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A dense MLP of the given widths (weights irrelevant to size and cost).
fn mlp_shape(widths: &[usize]) -> FloatModel {
    let layers = widths
        .windows(2)
        .enumerate()
        .map(|(k, w)| FloatLayer {
            weights: (0..w[0] * w[1])
                .map(|i| ((i % 13) as f64 - 6.0) / 10.0)
                .collect(),
            biases: vec![0.1; w[1]],
            activation: if k + 2 == widths.len() {
                Activation::Sigmoid
            } else {
                Activation::Relu
            },
        })
        .collect();
    FloatModel {
        threshold: 0.5,
        features: vec![log_only(1.0, 2.0); widths[0]],
        body: FloatBody::Mlp(layers),
    }
}

/// A GBDT of `n` complete trees of depth `d` over `n_features`.
fn gbdt_shape(n_features: usize, n: usize, d: u8) -> FloatModel {
    fn build(out: &mut Vec<FloatNode>, depth: u8, d: u8, f: &mut usize, n_features: usize) {
        let at = out.len();
        if depth == d {
            out.push(FloatNode {
                feature: LEAF,
                right: 0,
                value: 0.01 * at as f64,
                mean: 0.0,
            });
            return;
        }
        *f = (*f + 7) % n_features;
        out.push(FloatNode {
            feature: *f as u16,
            right: 0,
            value: 0.25,
            mean: 0.0,
        });
        build(out, depth + 1, d, f, n_features);
        out[at].right = out.len() as u16;
        build(out, depth + 1, d, f, n_features);
    }
    let mut f = 0;
    let trees = (0..n)
        .map(|_| {
            let mut t = Vec::new();
            build(&mut t, 0, d, &mut f, n_features);
            t
        })
        .collect();
    FloatModel {
        threshold: 0.5,
        features: vec![log_only(1.0, 2.0); n_features],
        body: FloatBody::Gbdt(FloatEnsemble { base: -1.0, trees }),
    }
}

fn main() {
    let spec = default_guard().quantize(&QuantizeOptions {
        wide_weights: true,
        ..QuantizeOptions::default()
    });
    let blob = spec.to_bytes().expect("the default guard is a valid model");
    let model = Model::parse(&blob).expect("validated blob");
    let cost = model.cost();
    println!(
        "Vigil guard (embedded default: logistic regression, {} features)",
        model.n_features()
    );
    println!(
        "  blob        {} bytes, sha256 {}",
        blob.len(),
        hex(&model.checksum())
    );
    // Operations only: what they cost in gas is the chain's price list
    // (`vigil_guard_api::gas::WasmdGas`; `vigil inspect` quotes a `Check`).
    println!(
        "  cost bound  {} wasm ops ({} at cosmwasm-vm's prices), {} blob bytes to read",
        cost.ops, cost.cosmwasm_units, cost.model_bytes
    );
    println!();

    let transactions: [(&str, [&str; 4]); 4] = [
        (
            "swap from an old wallet",
            ["1500.25", "12", "2500000", "21.5"],
        ),
        ("treasury rebalance", ["2000000", "35", "9000000", "30"]),
        ("flash-loan drain", ["250000000", "4800", "3", "950"]),
        (
            "fresh contract, price push",
            ["8000000.5", "900", "40", "120"],
        ),
    ];
    let mut scratch = vec![Act::ZERO; model.scratch_len()];
    let mut contributions = vec![Act::ZERO; model.n_features()];
    for (name, raw) in transactions {
        let inputs: Vec<Wide> = raw
            .iter()
            .map(|s| decimal::parse(s).expect("valid decimal"))
            .collect();
        let out = model
            .explain(&inputs, &mut scratch, &mut contributions)
            .expect("inputs fit the model");
        let mut reasons: Vec<(usize, Act)> = contributions.iter().copied().enumerate().collect();
        reasons.sort_by_key(|&(_, c)| core::cmp::Reverse(c));
        let top: Vec<String> = reasons
            .iter()
            .take(2)
            .map(|&(i, c)| format!("{} {:+.2}", FEATURES[i], c))
            .collect();
        println!(
            "  {:<28} score {:.4}  {}  (top reasons: {})",
            name,
            out.score,
            if out.label { "DENY " } else { "allow" },
            top.join(", ")
        );
    }
    println!();

    match decimal::parse("1e400") {
        Err(e) => println!("  bad input \"1e400\" -> error: {e}"),
        Ok(v) => println!("  unexpected: {v}"),
    }
    let mut corrupt = blob.clone();
    corrupt[60] ^= 1;
    match Model::parse(&corrupt) {
        Err(e) => println!("  corrupted blob -> error: {e}"),
        Ok(_) => println!("  unexpected: corrupted blob parsed"),
    }
    println!();

    println!(
        "Reference shapes in this format (i8 weights, per-channel scales, signed-log1p features):"
    );
    let shapes = [
        ("MLP 38-32-16-1", mlp_shape(&[38, 32, 16, 1]), false),
        ("GBDT 100 trees x depth 3", gbdt_shape(38, 100, 3), false),
        (
            "GBDT 100 trees x depth 3 + explanation values",
            gbdt_shape(38, 100, 3),
            true,
        ),
    ];
    for (name, m, explain) in shapes {
        let bytes = m
            .quantize(&QuantizeOptions {
                explain,
                ..QuantizeOptions::default()
            })
            .to_bytes()
            .expect("valid");
        let parsed = Model::parse(&bytes).expect("valid");
        let c = parsed.cost();
        println!(
            "  {:<48} {:>6} bytes  bound {:>6} ops  {:>7} cosmwasm-vm units",
            name,
            bytes.len(),
            c.ops,
            c.cosmwasm_units
        );
    }
}
