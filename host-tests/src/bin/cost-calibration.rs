//! Derives the cost model's per-part coefficients from wasmtime fuel
//! metering of the shim wasm (`wasm` profile, `-C target-cpu=mvp`), by
//! differencing measurements of models that differ in one part, each part
//! driven down its dearest path, and checks a sweep of models of every
//! family against the bound.
//!
//! ```sh
//! cargo run -p host-tests --bin cost-calibration
//! ```
//!
//! Everything measured is `vigil_infer_no_checksum`, the call
//! `Model::cost` bounds (structural parse plus one inference), unless a line
//! says otherwise. The parts whose cost depends on data are driven to their
//! worst: dense sums all negative (the requantisation's dearer sign) at
//! chosen shifts (below 64 and not), every feature kind over spreads of
//! every quarter decade and inputs of every decade and sign, activations
//! over a grid of pre-activations, tree steps left-only and right-only, the
//! tree families' aggregation over a grid of leaves. The fixed cost of a
//! call is measured exactly, by differencing, on the smallest models. The
//! derived coefficients are printed as an `OpCoefficients` literal;
//! `inference-core/src/cost.rs` holds the values in force, and
//! `tests/cost_bound.rs` asserts them (bound >= measured, bound <= 1.05 x
//! measured). The sweep and the random models are measured at the worst
//! of the input sets of `models::input_sets`.

use std::collections::BTreeMap;

use vigil_host_tests::fuel::{Export, Meter, Runner};
use vigil_host_tests::gas;
use vigil_host_tests::models::{
    self, act_name, blob, input_sets, Dense, Prep, Rng, HIDDEN_ACTIVATIONS,
};
use vigil_host_tests::shim::{build_shim, default_target_dir};
use vigil_inference_core::cost::{OpCoefficients, COSMWASM_UNITS, WASM_OPS};
use vigil_inference_core::float::FloatNode;
use vigil_inference_core::float::{
    FloatBody, FloatFeature, FloatLayer, FloatModel, QuantizeOptions,
};
use vigil_inference_core::format::{Activation, Family, LEAF};
use vigil_inference_core::spec::{BodySpec, LayerSpec};
use vigil_inference_core::{Body, Model, Wide};

struct Cal {
    run: Runner,
    rng: Rng,
}

impl Cal {
    /// Worst fuel of `export` on the model over the given input sets.
    fn fuel_with(&mut self, export: Export, blob: &[u8], sets: &[Vec<Wide>]) -> u64 {
        let model = Model::parse(blob).expect("valid blob");
        self.run
            .worst(export, blob, sets, model.scratch_len())
            .unwrap_or_else(|e| panic!("metering failed: {e}"))
            .0
    }

    /// Fuel of an identity MLP of widths `w` (seed 3) with every sum
    /// negative ([`negative_sums`]) and every scale's shift set to `shift`
    /// ([`with_shift`]), on [`positive_inputs`]: the dense kernel and the
    /// requantisation on their dearest paths.
    fn dense_path(&mut self, w: &[usize], o: &QuantizeOptions, shift: u8) -> f64 {
        let mut m = mlp_with(
            w,
            Prep::Plain,
            Activation::Identity,
            Activation::Identity,
            3,
        );
        negative_sums(&mut m);
        let sets = positive_inputs(&m);
        self.fuel_with(Export::InferNoChecksum, &with_shift(&m, o, shift), &sets) as f64
    }

    /// Worst fuel of a whole call over fixed input sets (seed 77): models
    /// over the same features get the same inputs, so their difference
    /// holds no preprocessing noise.
    fn fixed(&mut self, m: &FloatModel, o: &QuantizeOptions) -> u64 {
        let sets = input_sets(&mut Rng::new(77), m);
        self.fuel_with(Export::InferNoChecksum, &blob(m, o), &sets)
    }
}

/// An MLP over fixed features (seed 7) with layers from `seed`.
fn mlp_with(
    widths: &[usize],
    prep: Prep,
    hidden: Activation,
    output: Activation,
    seed: u64,
) -> FloatModel {
    let mut m = models::mlp(&mut Rng::new(seed), widths, prep, hidden, output);
    m.features = models::features(&mut Rng::new(7), widths[0], prep);
    m
}

/// Hidden layers whose pre-activations are about ±0.5..3 whatever the
/// inputs: sigmoid/tanh take their full (most expensive) path.
fn moderate_hidden(m: &mut FloatModel, rng: &mut Rng) {
    if let FloatBody::Mlp(layers) = &mut m.body {
        let n = layers.len();
        for l in layers.iter_mut().take(n - 1) {
            moderate_layer(l, rng);
        }
    }
}

fn moderate_layer(l: &mut FloatLayer, rng: &mut Rng) {
    for w in &mut l.weights {
        *w = rng.range(-1e-4, 1e-4);
    }
    for b in &mut l.biases {
        let v = rng.range(0.5, 3.0);
        *b = if rng.coin() { v } else { -v };
    }
}

/// Every dense sum negative on [`positive_inputs`], so every
/// requantisation takes `mul_shift_i128`'s dearest (negative) branch:
/// weights `-|w| / 100` (never zero), hidden biases +1 (identity outputs
/// stay positive for the next layer).
fn negative_sums(m: &mut FloatModel) {
    if let FloatBody::Mlp(layers) = &mut m.body {
        let n = layers.len();
        for (i, l) in layers.iter_mut().enumerate() {
            for w in &mut l.weights {
                *w = -w.abs() / 100.0 - 1e-6;
            }
            if i + 1 < n {
                l.biases.fill(1.0);
            }
        }
    }
}

/// The blob of `m` with every dense scale's shift set to `shift`
/// (mantissas kept): every requantisation on the path of that shift
/// (`mul_shift_i128` shifts two words into one below 64). With
/// [`negative_sums`] and shifts of 50 and up the sums requantise to almost
/// nothing, so every hidden output stays near its bias of +1.
fn with_shift(m: &FloatModel, o: &QuantizeOptions, shift: u8) -> Vec<u8> {
    let mut spec = m.quantize(o);
    let layers: &mut [LayerSpec] = match &mut spec.body {
        BodySpec::Linear(l) => std::slice::from_mut(l),
        BodySpec::Mlp(layers) => layers,
        _ => &mut [],
    };
    for l in layers {
        for s in &mut l.scales {
            s.1 = shift;
        }
    }
    spec.to_bytes().expect("valid spec")
}

/// One input set: raw values that standardise to +1 under plain features.
fn positive_inputs(m: &FloatModel) -> Vec<Vec<Wide>> {
    vec![m
        .features
        .iter()
        .map(|f| Wide::saturating_from_num(f.mean + f.std))
        .collect()]
}

fn trees_mut(m: &mut FloatModel) -> &mut Vec<Vec<FloatNode>> {
    match &mut m.body {
        FloatBody::Gbdt(e) | FloatBody::RandomForest(e) | FloatBody::IsolationForest(e) => {
            &mut e.trees
        }
        _ => panic!("not an ensemble"),
    }
}

fn dense_opts(wide: bool, per_channel: bool) -> QuantizeOptions {
    Dense { wide, per_channel }.options()
}

fn tree_opts(explain: bool) -> QuantizeOptions {
    QuantizeOptions {
        wide_weights: false,
        per_channel: false,
        explain,
    }
}

fn ceil_max(values: impl IntoIterator<Item = f64>) -> u64 {
    values.into_iter().fold(0.0f64, f64::max).ceil() as u64
}

/// Wasm operations per MAC of large layers, the headline figure, two ways
/// (same features and inputs across compared models, `Cal::fixed`):
///
/// * **per MAC**: the marginal cost of one multiply-accumulate at fan-in
///   `n`: with `S(m)` the cost of 64 more rows (one more chunk) of fan-in
///   `m`, `S(m) = fuel([m, 128, 1]) - fuel([m, 64, 1])` (64 neurons, 64m
///   MACs and 64 output inputs), `(S(2n) - S(n)) / 64n` is what 64n more
///   MACs cost: every per-row, per-block and per-chunk overhead of the
///   kernel included, per-neuron work (requantisation, bias, activation)
///   and the output layer cancelled;
/// * **all in**: everything an `n x n` ReLU hidden layer costs (its MACs
///   plus its `n` requantisations and activations) per MAC,
///   `(fuel([n, n, 1]) - fuel([n, 1])) / n^2`.
fn mac_table(c: &mut Cal) {
    println!("\n## MACs of large layers (wasm ops per MAC)\n");
    println!("| n | i8 per MAC | i8 all in | i16 per MAC | i16 all in |");
    println!("|---:|---:|---:|---:|---:|");
    for n in [64usize, 128, 256] {
        let mut row = Vec::new();
        for wide in [false, true] {
            let o = dense_opts(wide, true);
            let mut f = |w: &[usize]| {
                c.fixed(
                    &mlp_with(w, Prep::Plain, Activation::Relu, Activation::Sigmoid, 5),
                    &o,
                ) as f64
            };
            let mut s = |m: usize| f(&[m, 128, 1]) - f(&[m, 64, 1]);
            let per_mac = (s(2 * n) - s(n)) / (64 * n) as f64;
            let all_in = (f(&[n, n, 1]) - f(&[n, 1])) / (n * n) as f64;
            row.push(format!("{per_mac:.3} | {all_in:.3}"));
        }
        println!("| {n} | {} | {} |", row[0], row[1]);
    }
}

fn main() {
    // `cost-calibration [macs] [--cosmwasm] [--wasm FILE]`: `macs` prints
    // the per-MAC table only; `--cosmwasm` meters with cosmwasm-vm's
    // prices (`gas::cosmwasm_operator_cost`: branches, calls and block ends
    // cost 14) and derives `COSMWASM_UNITS` instead of `WASM_OPS`; `--wasm`
    // meters a given build instead of the shim.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cosmwasm = args.iter().any(|a| a == "--cosmwasm");
    let (in_force, in_force_name) = if cosmwasm {
        (&COSMWASM_UNITS, "COSMWASM_UNITS")
    } else {
        (&WASM_OPS, "WASM_OPS")
    };
    let wasm = match args.iter().position(|a| a == "--wasm") {
        Some(i) => std::fs::read(&args[i + 1]).expect("read --wasm file"),
        None => build_shim(&default_target_dir().join("host-tests-wasm"), &[])
            .unwrap_or_else(|e| panic!("{e}")),
    };
    println!("shim: {} bytes", wasm.len());
    let meter = if cosmwasm {
        Meter::with_operator_cost(&wasm, gas::cosmwasm_operator_cost())
    } else {
        Meter::new(&wasm)
    }
    .expect("shim compiles");
    println!(
        "metering: {}",
        if cosmwasm {
            "cosmwasm-vm's prices (units of 115 CosmWasm gas)"
        } else {
            "wasmtime's default fuel (wasm operations)"
        }
    );
    let mut c = Cal {
        run: meter.runner().expect("shim instantiates"),
        rng: Rng::new(1),
    };
    mac_table(&mut c);
    if args.iter().any(|a| a == "macs") {
        return;
    }
    let mut derived: BTreeMap<&str, u64> = BTreeMap::new();

    // --- Dense kernels and rows ------------------------------------------
    // Models [64, a, b, 1] over the same features (seed 7) and inputs, so
    // that differences hold only dense work (`core::dense`: hidden rows in
    // blocks of 64 inputs and chunks of 64 rows, the rest of each row and
    // the output layer eight inputs at a time), with per-layer scales (one
    // per layer: rows differ by their own work only), identity
    // activations, every sum negative (`negative_sums`: each row's
    // requantisation on its dearer sign) and every shift 70 (`with_shift`).
    // With a and b multiples of 8 in one chunk:
    //   d/db [64, a, b, 1] = (a / 64) block + row + dot8 / 8
    //   d/da [64, a, b, 1] = block + row + b * dot8 / 8    (a < 64)
    println!("## Dense kernels (ops)\n");
    println!("| weights | per block of 64 MACs (per MAC) | per chunk-block | per chunk | per 8 single-row MACs | per leftover MAC | per row (identity) |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut kern: BTreeMap<(bool, &str), f64> = BTreeMap::new();
    for wide in [false, true] {
        let o = dense_opts(wide, false);
        let mut g = |w: &[usize]| c.dense_path(w, &o, 70);
        let db = |g: &mut dyn FnMut(&[usize]) -> f64, a: usize| {
            (g(&[64, a, 48, 1]) - g(&[64, a, 16, 1])) / 32.0
        };
        let slope_a = (g(&[64, 48, 64, 1]) - g(&[64, 16, 64, 1])) / 32.0;
        let slope_b64 = db(&mut g, 64);
        let slope_b128 = db(&mut g, 128);
        let dot8 = 8.0 * (slope_a - slope_b64) / 63.0;
        let block = slope_b128 - slope_b64;
        let row = slope_b64 - block - dot8 / 8.0;
        // One more chunk of 64 rows (b from 64 to 128), at a = 64 and 128.
        let x =
            |g: &mut dyn FnMut(&[usize]) -> f64, a: usize| g(&[64, a, 128, 1]) - g(&[64, a, 64, 1]);
        let x64 = x(&mut g, 64);
        let x128 = x(&mut g, 128);
        let chunk_block = x128 - x64 - 64.0 * block;
        let chunk = x64 - 64.0 * (block + row + dot8 / 8.0) - chunk_block;
        // Seven leftover inputs in the output row (b from 16 to 23).
        let dot1 = (g(&[64, 64, 23, 1]) - g(&[64, 64, 16, 1])) / 7.0 - block - row;
        println!(
            "| {} | {block:.1} ({:.3}) | {chunk_block:.1} | {chunk:.1} | {dot8:.1} | {dot1:.1} | {row:.1} |",
            if wide { "i16" } else { "i8" },
            block / 64.0
        );
        for (name, v) in [
            ("block", block),
            ("chunk_block", chunk_block),
            ("chunk", chunk),
            ("dot8", dot8),
            ("dot1", dot1),
        ] {
            kern.insert((wide, name), v);
        }
    }
    // The kernels' costs are fixed by shape (no data-dependent branch), so
    // the measured values are exact; rounding up is all the headroom.
    let ceil = |v: f64| v.ceil().max(0.0) as u64;
    derived.insert("per_block_i8", ceil(kern[&(false, "block")]));
    derived.insert("per_block_i16", ceil(kern[&(true, "block")]));
    derived.insert(
        "per_chunk_block",
        ceil(kern[&(false, "chunk_block")].max(kern[&(true, "chunk_block")])),
    );
    derived.insert(
        "per_chunk",
        ceil(kern[&(false, "chunk")].max(kern[&(true, "chunk")])),
    );
    derived.insert("per_dot8_i8", ceil(kern[&(false, "dot8")]));
    derived.insert("per_dot8_i16", ceil(kern[&(true, "dot8")]));
    derived.insert(
        "per_dot1",
        ceil(kern[&(false, "dot1")].max(kern[&(true, "dot1")])),
    );

    // Rows: d/db of [64, 64, b, 1] (b from 16 to 48) less one block and
    // one output input, per configuration, sums negative as above, at
    // shifts below 64 (50, 63), at 64 and above (64, 65, 70).
    println!("\n| weights | scales | shift | per row |");
    println!("|---|---|---:|---:|");
    let shifts = [50u8, 63, 64, 65, 70];
    // row[(wide, per_channel, shift)]
    let mut row: BTreeMap<(bool, bool, u8), f64> = BTreeMap::new();
    for wide in [false, true] {
        let kb = kern[&(wide, "block")] + kern[&(wide, "dot8")] / 8.0;
        for per_channel in [true, false] {
            let o = dense_opts(wide, per_channel);
            for shift in shifts {
                let slope_b = (c.dense_path(&[64, 64, 48, 1], &o, shift)
                    - c.dense_path(&[64, 64, 16, 1], &o, shift))
                    / 32.0;
                let per_row = slope_b - kb;
                row.insert((wide, per_channel, shift), per_row);
                println!(
                    "| {} | {} | {shift} | {per_row:.1} |",
                    if wide { "i16" } else { "i8" },
                    if per_channel {
                        "per-channel"
                    } else {
                        "per-layer"
                    },
                );
            }
        }
    }
    // Per-layer scales: the rows' own cost, at shifts of 64 and more, and
    // the extra below 64; per-channel ones add a scale per row.
    let per_row = ceil_max(
        row.iter()
            .filter(|((_, pc, s), _)| !*pc && *s >= 64)
            .map(|(_, v)| *v),
    );
    derived.insert("per_row", per_row);
    let mut short_shift: Vec<f64> = row
        .iter()
        .filter(|((_, pc, s), _)| !*pc && *s < 64)
        .map(|(_, v)| v - per_row as f64)
        .collect();
    derived.insert(
        "per_scale",
        ceil_max(
            row.iter()
                .filter(|((_, pc, _), _)| *pc)
                .map(|((w, _, s), v)| v - row[&(*w, false, *s)]),
        ),
    );
    // --- Activations ----------------------------------------------------
    // Every hidden neuron gets the same pre-activation (zero weights, one
    // bias), swept over a grid; the activation's extra over identity is the
    // difference per neuron. Outputs likewise on a one-feature linear model.
    println!("\n## Activations (extra ops per evaluation over identity, worst over pre-activations -40..40)\n");
    println!("| activation | hidden | at | output | at |");
    println!("|---|---:|---:|---:|---:|");
    let mut per_activation = [0u64; 6];
    let grid: Vec<f64> = (-160..=160).map(|k| f64::from(k) * 0.25).collect();
    let hidden_at = |c: &mut Cal, act: Activation, b: f64| -> f64 {
        let mut m = mlp_with(&[1, 64, 1], Prep::Plain, act, Activation::Identity, 13);
        if let FloatBody::Mlp(layers) = &mut m.body {
            layers[0].weights.fill(0.0);
            layers[0].biases.fill(b);
        }
        let sets = vec![vec![Wide::ZERO]];
        c.fuel_with(
            Export::InferNoChecksum,
            &blob(&m, &dense_opts(false, false)),
            &sets,
        ) as f64
    };
    let output_at = |c: &mut Cal, act: Activation, b: f64| -> f64 {
        let mut m = models::linear(&mut Rng::new(14), 1, Prep::Plain, act);
        if let FloatBody::Linear(l) = &mut m.body {
            l.weights.fill(0.0);
            l.biases.fill(b);
        }
        let sets = vec![vec![Wide::ZERO]];
        c.fuel_with(
            Export::InferNoChecksum,
            &blob(&m, &dense_opts(false, false)),
            &sets,
        ) as f64
    };
    let worst_over = |c: &mut Cal, f: &dyn Fn(&mut Cal, f64) -> f64| -> (f64, f64) {
        grid.iter()
            .map(|&b| (f(c, b), b))
            .fold((f64::MIN, 0.0), |a, x| if x.0 > a.0 { x } else { a })
    };
    let hidden_identity = grid
        .iter()
        .map(|&b| hidden_at(&mut c, Activation::Identity, b))
        .fold(f64::MAX, f64::min);
    let output_identity = grid
        .iter()
        .map(|&b| output_at(&mut c, Activation::Identity, b))
        .fold(f64::MAX, f64::min);
    for act in HIDDEN_ACTIVATIONS {
        let (h, hb) = worst_over(&mut c, &|c, b| hidden_at(c, act, b));
        let h = (h - hidden_identity) / 64.0;
        let o = act.is_output().then(|| {
            let (o, ob) = worst_over(&mut c, &|c, b| output_at(c, act, b));
            (o - output_identity, ob)
        });
        per_activation[act as usize] = ceil_max([h, o.map_or(0.0, |o| o.0)]);
        println!(
            "| {} | {h:.1} | {hb} | {} | {} |",
            act_name(act),
            o.map_or("-".into(), |o| format!("{:.0}", o.0)),
            o.map_or("-".into(), |o| o.1.to_string()),
        );
    }

    // --- Layers ---------------------------------------------------------
    // One more 32x32 hidden layer (sums negative, shifts 70, as above):
    // the layer's fixed work, its scales (one, or one per row), one chunk
    // (no whole block) and 32 rows of four groups of eight. Per-channel
    // scales add a little fixed work per layer too: the dearer mode.
    let mut per_layer = Vec::new();
    for wide in [false, true] {
        for per_channel in [false, true] {
            let o = dense_opts(wide, per_channel);
            let scales = if per_channel { 32.0 } else { 1.0 };
            let k = kern[&(wide, "chunk")]
                + 32.0 * (row[&(wide, false, 70)] + 4.0 * kern[&(wide, "dot8")])
                + scales * derived["per_scale"] as f64;
            let mut prev = None;
            for depth in 1..=4usize {
                let mut w = vec![32usize; depth + 1];
                w.push(1);
                let mut m = mlp_with(
                    &w,
                    Prep::Plain,
                    Activation::Identity,
                    Activation::Identity,
                    11,
                );
                negative_sums(&mut m);
                let sets = positive_inputs(&m);
                let f = c.fuel_with(Export::InferNoChecksum, &with_shift(&m, &o, 70), &sets) as f64;
                if let Some(p) = prev {
                    per_layer.push(f - p - k);
                }
                prev = Some(f);
            }
        }
    }
    println!("\nper hidden layer: {per_layer:.0?}");
    derived.insert("per_layer", ceil_max(per_layer.iter().copied()));

    // --- Features -------------------------------------------------------
    // One feature's cost at one input: a linear model over a fixed plain
    // feature g and the feature under test f, with a zero weight on f (the
    // output's sum, and so its requantisation's path, does not depend on
    // f), less the same model over g twice at g's input:
    //   c(f, x) - c(g, y) = fuel([g, f], (y, x)) - fuel([g, g], (y, y))
    //   c(g, y) = fuel([g, g], (y, y)) - fuel([g], y) - dot1
    // over a grid of features (every kind, spreads of every decade: every
    // path of the affine step's shift) and inputs (zero, both signs of
    // every decade and of values just below powers of two, which set the
    // most fraction bits in log1p's logarithm, and the extremes).
    println!("\n## Features (ops per feature: parse + inference, over spreads and inputs)\n");
    println!("| preprocessing | min | max, shift >= 64 | at spread, input | max, shift < 64 | at spread, input |");
    println!("|---|---:|---:|---|---:|---|");
    let g = || FloatFeature {
        clip_lo: None,
        clip_hi: None,
        log1p: false,
        mean: 0.0,
        std: 1.0,
    };
    let y = Wide::ONE;
    let linear_over = |features: Vec<FloatFeature>, weights: Vec<f64>| FloatModel {
        threshold: 0.5,
        features,
        body: FloatBody::Linear(FloatLayer {
            weights,
            biases: vec![0.0],
            activation: Activation::Identity,
        }),
    };
    let lin_o = dense_opts(false, false);
    let one = |c: &mut Cal, m: &FloatModel, x: &[Wide]| -> f64 {
        c.fuel_with(Export::InferNoChecksum, &blob(m, &lin_o), &[x.to_vec()]) as f64
    };
    let fuel_g = one(&mut c, &linear_over(vec![g()], vec![-0.5]), &[y]);
    let fuel_gg = one(
        &mut c,
        &linear_over(vec![g(), g()], vec![-0.5, 0.0]),
        &[y, y],
    );
    let c_g = fuel_gg - fuel_g - kern[&(false, "dot1")];
    let mut xs = vec![Wide::ZERO, Wide::MAX, Wide::MIN];
    for sign in [1.0, -1.0] {
        for k in -6..=18 {
            xs.push(Wide::saturating_from_num(sign * 10f64.powi(k)));
        }
        for k in 1..=62 {
            xs.push(Wide::saturating_from_num(
                sign * (2f64.powi(k) - 1.0 - 2f64.powi(k - 40)),
            ));
        }
    }
    // feature_max[(kind, short)]: the dearest cost of features of the
    // kind whose affine step shifts by less than 64 (short) or not.
    let mut feature_max: BTreeMap<(&str, bool), f64> = BTreeMap::new();
    for (name, lo, hi, log1p) in [
        ("plain", false, false, false),
        ("clip lo", true, false, false),
        ("clip hi", false, true, false),
        ("clip both", true, true, false),
        ("log1p", false, false, true),
        ("clip lo + log1p", true, false, true),
        ("clip hi + log1p", false, true, true),
        ("clip both + log1p", true, true, true),
    ] {
        // Spreads in quarter decades: every shift near 64 - 48.
        let spreads = if log1p { -28..=8 } else { -32..=56 };
        let mut min = f64::MAX;
        let mut at = BTreeMap::new();
        for k in spreads {
            let std = 10f64.powf(f64::from(k) / 4.0);
            let f = FloatFeature {
                clip_lo: lo.then_some(-1e6),
                clip_hi: hi.then_some(1e6),
                log1p,
                mean: if log1p { 1.0 } else { 0.3 * std },
                std,
            };
            let m = linear_over(vec![g(), f], vec![-0.5, 0.0]);
            let shift = Model::parse(&blob(&m, &lin_o))
                .expect("valid")
                .feature_transforms()
                .nth(1)
                .expect("two features")
                .shift;
            let short = u32::from(shift) + 48 < 64;
            for &x in &xs {
                let cost = one(&mut c, &m, &[y, x]) - fuel_gg + c_g;
                min = min.min(cost);
                let e = feature_max.entry((name, short)).or_insert(f64::MIN);
                if cost > *e {
                    *e = cost;
                    at.insert(short, (std, x));
                }
            }
        }
        let max = |short| feature_max.get(&(name, short)).copied().unwrap_or(f64::NAN);
        let at = |short| {
            at.get(&short)
                .map_or("-".to_string(), |(s, x): &(f64, Wide)| {
                    format!("{s:.1e}, {:.3e}", x.to_num::<f64>())
                })
        };
        println!(
            "| {name} | {min:.0} | {:.0} | {} | {:.0} | {} |",
            max(false),
            at(false),
            max(true),
            at(true)
        );
    }
    let fm = |name: &str| feature_max[&(name, false)];
    let per_feature = fm("plain").ceil() as u64;
    let pf = per_feature as f64;
    let per_clip = ceil_max([
        fm("clip lo") - pf,
        fm("clip hi") - pf,
        (fm("clip both") - pf) / 2.0,
    ]);
    let pc = per_clip as f64;
    let per_log1p = ceil_max([
        fm("log1p") - pf,
        fm("clip lo + log1p") - pf - pc,
        fm("clip hi + log1p") - pf - pc,
        fm("clip both + log1p") - pf - 2.0 * pc,
    ]);
    short_shift.extend(
        feature_max
            .iter()
            .filter(|((_, short), _)| *short)
            .map(|((name, _), v)| v - feature_max[&(*name, false)]),
    );
    derived.insert("per_short_shift", ceil_max(short_shift.iter().copied()));
    derived.insert("per_feature", per_feature);
    derived.insert("per_clip", per_clip);
    derived.insert("per_log1p", per_log1p);

    // --- Trees ----------------------------------------------------------
    // Complete trees over 8 plain features g, at inputs standardising to 0,
    // with every threshold +1000 (every step goes left) or -1000 (right):
    // differences hold only tree work. A full binary tree of n nodes has
    // (n + 1) / 2 leaves and (n - 1) / 2 splits, so the parse cost's slope
    // in n is the mean of a leaf's and a split's validation, exactly, and
    // the rest is per tree. A walk that reaches its leaf before
    // `max_depth` steps checks the leaf once more (a tree shallower than
    // the deepest, any tree not complete): per tree, the dearer of the
    // ensembles declared as deep as their trees and one deeper.
    println!("\n## Trees (ops)\n");
    println!(
        "| family | explain | parse per node | per tree (left / right) | per step (left / right) |"
    );
    println!("|---|---|---:|---|---|");
    let mut node = Vec::new();
    let mut node_explain = Vec::new();
    let mut tree = Vec::new();
    let mut step = Vec::new();
    for family in [Family::Gbdt, Family::RandomForest, Family::IsolationForest] {
        // Per node without explanation values: the explained variant's
        // difference.
        let mut plain = 0.0;
        for explain in [false, true] {
            let o = tree_opts(explain);
            let ens_deeper = |n: usize, d: u8, threshold: f64, deeper: u8| {
                let mut m =
                    models::ensemble(&mut Rng::new(600 + d as u64), family, n, d, 8, Prep::Plain);
                m.features = vec![g(); 8];
                for n in trees_mut(&mut m).iter_mut().flatten() {
                    if n.feature != LEAF {
                        n.value = threshold;
                    }
                }
                let mut spec = m.quantize(&o);
                if let BodySpec::Gbdt(e)
                | BodySpec::RandomForest(e)
                | BodySpec::IsolationForest(e) = &mut spec.body
                {
                    e.max_depth += deeper;
                }
                spec.to_bytes().expect("valid spec")
            };
            let ens = |n: usize, d: u8, threshold: f64| ens_deeper(n, d, threshold, 0);
            let zeros = [vec![Wide::ZERO; 8]];
            let mut fuel = |export, b: &[u8]| c.fuel_with(export, b, &zeros) as f64;
            // Parse cost per node: one tree, depth 1 vs depth 8.
            let p1 = fuel(Export::Parse, &ens(1, 1, 1000.0));
            let p8 = fuel(Export::Parse, &ens(1, 8, 1000.0));
            let per_node = (p8 - p1) / (511.0 - 3.0);
            // Whole call per tree, depth d: 1 vs 11 trees; then per step
            // (depth 1 vs 6) and per tree, each side.
            let mut per_tree = [0.0; 2];
            let mut per_step = [0.0; 2];
            for (side, threshold) in [1000.0, -1000.0].into_iter().enumerate() {
                let mut at = |d: u8, deeper: u8| {
                    (fuel(
                        Export::InferNoChecksum,
                        &ens_deeper(11, d, threshold, deeper),
                    ) - fuel(
                        Export::InferNoChecksum,
                        &ens_deeper(1, d, threshold, deeper),
                    )) / 10.0
                        - per_node * ((2usize << d) - 1) as f64
                };
                let (t1, t6) = (at(1, 0), at(6, 0));
                per_step[side] = (t6 - t1) / 5.0;
                per_tree[side] = (t1 - per_step[side]).max(at(1, 1) - per_step[side]);
            }
            if explain {
                // Explanation values: extra per stored node at parse. An
                // inference walks without them: its per-tree and per-step
                // costs must not change (`Model::infer` passes no
                // contributions), as the table shows.
                node_explain.push(per_node - plain);
                tree.extend(per_tree);
                step.extend(per_step);
            } else {
                plain = per_node;
                node.push(per_node);
                tree.extend(per_tree);
                step.extend(per_step);
            }
            println!(
                "| {} | {explain} | {per_node:.1} | {:.1} / {:.1} | {:.1} / {:.1} |",
                family.name(),
                per_tree[0],
                per_tree[1],
                per_step[0],
                per_step[1],
            );
        }
    }
    derived.insert("per_node", ceil_max(node.iter().copied()));
    derived.insert("per_node_explain", ceil_max(node_explain.iter().copied()));
    derived.insert("per_tree", ceil_max(tree.iter().copied()));
    derived.insert("per_step", ceil_max(step.iter().copied()));

    // --- Fixed costs ----------------------------------------------------
    // What the smallest models cost beyond their parts: one plain feature
    // and a one-input output layer (identity, either weight type); one
    // plain feature and one single-leaf tree of each family, with and
    // without explanation values. Their worst over the input sets.
    let mut k = OpCoefficients {
        dense_call: 0,
        trees_call: [0; 3],
        per_feature: derived["per_feature"],
        per_clip: derived["per_clip"],
        per_log1p: derived["per_log1p"],
        per_layer: derived["per_layer"],
        per_scale: derived["per_scale"],
        per_chunk: derived["per_chunk"],
        per_chunk_block: derived["per_chunk_block"],
        per_row: derived["per_row"],
        per_short_shift: derived["per_short_shift"],
        per_block_i8: derived["per_block_i8"],
        per_block_i16: derived["per_block_i16"],
        per_dot8_i8: derived["per_dot8_i8"],
        per_dot8_i16: derived["per_dot8_i16"],
        per_dot1: derived["per_dot1"],
        per_activation,
        per_tree: derived["per_tree"],
        per_node: derived["per_node"],
        per_step: derived["per_step"],
        per_node_explain: derived["per_node_explain"],
    };
    // A dense call's fixed cost, exactly: a linear model over one feature
    // and over the same feature twice (same input, sums negative: the
    // output's requantisation on its dearest path) differ by one feature
    // and one leftover MAC, so
    //   fixed = 2 fuel([g], y) - fuel([g, g], (y, y))
    // less the output layer's one scale, which the bound charges apart.
    println!("\n## Fixed costs (ops beyond the parts)\n");
    println!("| model | fixed |\n|---|---:|");
    let mut dense_call: f64 = 0.0;
    for wide in [false, true] {
        for shift in [64, 70] {
            let o = dense_opts(wide, false);
            let mut one = |m: &FloatModel, x: &[Wide]| -> f64 {
                c.fuel_with(
                    Export::InferNoChecksum,
                    &with_shift(m, &o, shift),
                    &[x.to_vec()],
                ) as f64
            };
            let fixed = 2.0 * one(&linear_over(vec![g()], vec![-0.5]), &[y])
                - one(&linear_over(vec![g(), g()], vec![-0.5, -0.5]), &[y, y]);
            println!(
                "| dense, {} output, shift {shift} | {fixed:.0} |",
                if wide { "i16" } else { "i8" }
            );
            dense_call = dense_call.max(fixed - derived["per_scale"] as f64);
        }
    }
    // A tree ensemble's: one single-leaf tree over g, less g's cost at y
    // and the tree's parts, its leaf swept over the values that take the
    // family's aggregation (the GBDT sigmoid, the isolation forest's
    // exponential) down every path.
    let mut trees_call = [0u64; 3];
    for (i, family) in [Family::Gbdt, Family::RandomForest, Family::IsolationForest]
        .into_iter()
        .enumerate()
    {
        for explain in [false, true] {
            let o = tree_opts(explain);
            let mut parts = c_g + (k.per_tree + k.per_node) as f64;
            if explain {
                parts += k.per_node_explain as f64;
            }
            let (mut fixed, mut at) = (f64::MIN, 0.0);
            for &v in &grid {
                let mut m = models::ensemble(&mut Rng::new(30), family, 1, 0, 1, Prep::Plain);
                m.features = vec![g()];
                let leaf = match family {
                    Family::Gbdt => v,
                    Family::RandomForest => (v + 40.0) / 80.0,
                    _ => v.abs(),
                };
                for n in trees_mut(&mut m).iter_mut().flatten() {
                    (n.value, n.mean) = (leaf, leaf);
                }
                let fuel = c.fuel_with(Export::InferNoChecksum, &blob(&m, &o), &[vec![y]]) as f64;
                if fuel - parts > fixed {
                    (fixed, at) = (fuel - parts, leaf);
                }
            }
            println!(
                "| {} 1x0{}, leaf {at} | {fixed:.0} |",
                family.name(),
                if explain { " explain" } else { "" },
            );
            trees_call[i] = trees_call[i].max(fixed.ceil() as u64);
        }
    }
    k.dense_call = dense_call.ceil() as u64;
    k.trees_call = trees_call;

    let sweep = sweep(&mut c);
    let stress = stress(&mut c, 2000);
    let mut under: Vec<String> = Vec::new();
    for s in sweep.iter().chain(&stress) {
        let model = Model::parse(&s.blob).expect("valid");
        let bound = k.bound(&model);
        if s.fuel > bound {
            under.push(format!("{}: measured {} > bound {bound}", s.name, s.fuel));
        }
    }
    println!("\n## Derived coefficients\n");
    println!(
        "Models measured above the derived bound: {}.\n",
        if under.is_empty() {
            "none".to_string()
        } else {
            under.join("; ")
        }
    );
    println!("```rust\n{k:#?}\n```");
    report(&sweep, &k, "derived, fixed sweep");
    report(&stress, &k, "derived, random models");
    report(
        &sweep,
        in_force,
        &format!("in force (cost.rs {in_force_name}), fixed sweep"),
    );
    report(
        &stress,
        in_force,
        &format!("in force (cost.rs {in_force_name}), random models"),
    );

    // --- Checksum and parse share -----------------------------------------
    println!("\n## Parse vs inference, checksum\n");
    println!("| model | bytes | vigil_infer | no checksum | parse only | inference | checksum per payload byte |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for s in sweep.iter().filter(|s| s.headline) {
        let model = Model::parse(&s.blob).expect("valid");
        let scratch = model.scratch_len();
        let sets = std::slice::from_ref(&s.worst_inputs);
        let full = c.fuel_with(Export::Infer, &s.blob, sets);
        let parse = c.fuel_with(Export::Parse, &s.blob, sets);
        let _ = scratch;
        let payload = s.blob.len() - 52;
        println!(
            "| {} | {} | {full} | {} | {parse} ({:.0}%) | {} | {:.1} |",
            s.name,
            s.blob.len(),
            s.fuel,
            100.0 * parse as f64 / s.fuel as f64,
            s.fuel - parse,
            (full - s.fuel) as f64 / payload as f64
        );
    }

    // What bulk-memory byte charges contribute (wasmtime charges 1 fuel per
    // byte of memory.copy/memory.fill; cosmwasm-vm charges the operator).
    let mut free_copies = wasmtime::OperatorCost::new();
    free_copies.variable.memory_copy_per_byte = 0;
    free_copies.variable.memory_fill_per_byte = 0;
    let meter_free = Meter::with_operator_cost(&wasm, free_copies).expect("compiles");
    let mut run_free = meter_free.runner().expect("instantiates");
    println!("\n## Bulk-memory bytes inside the metered call\n");
    println!("| model | fuel | of which memory.copy/fill bytes |");
    println!("|---|---:|---:|");
    for s in sweep.iter().filter(|s| s.headline) {
        let model = Model::parse(&s.blob).expect("valid");
        let f = run_free
            .measure(
                Export::InferNoChecksum,
                &s.blob,
                &s.worst_inputs,
                model.scratch_len(),
            )
            .expect("metered");
        let all = c
            .run
            .measure(
                Export::InferNoChecksum,
                &s.blob,
                &s.worst_inputs,
                model.scratch_len(),
            )
            .expect("metered");
        println!("| {} | {} | {} |", s.name, all.fuel, all.fuel - f.fuel);
    }
}

struct Swept {
    name: String,
    family: Family,
    blob: Vec<u8>,
    fuel: u64,
    worst_inputs: Vec<Wide>,
    headline: bool,
}

fn sweep(c: &mut Cal) -> Vec<Swept> {
    let mut out = Vec::new();
    let mut add = |c: &mut Cal, name: String, m: FloatModel, o: QuantizeOptions, headline: bool| {
        let b = blob(&m, &o);
        let sets = input_sets(&mut c.rng, &m);
        let model = Model::parse(&b).expect("valid");
        let (fuel, i) = c
            .run
            .worst(Export::InferNoChecksum, &b, &sets, model.scratch_len())
            .expect("metered");
        out.push(Swept {
            name,
            family: m.family(),
            blob: b,
            fuel,
            worst_inputs: sets[i].clone(),
            headline,
        });
    };
    let mut rng = Rng::new(42);
    for n in [1usize, 2, 4, 8, 16, 32, 64] {
        for prep in Prep::ALL {
            for out_act in models::OUTPUT_ACTIVATIONS {
                let m = models::linear(&mut rng, n, prep, out_act);
                add(
                    c,
                    format!("linear {n} {} {}", prep.name(), act_name(out_act)),
                    m,
                    dense_opts(false, true),
                    n == 64 && prep == Prep::ClipLog1p && out_act == Activation::Sigmoid,
                );
            }
        }
    }
    let shapes: [&[usize]; 8] = [
        &[8, 8, 1],
        &[16, 16, 1],
        &[38, 32, 16, 1],
        &[64, 64, 1],
        &[32, 32, 32, 32, 1],
        &[128, 128, 64, 1],
        &[256, 256, 1],
        &[4, 256, 1],
    ];
    for w in shapes {
        for wide in [false, true] {
            for hidden in HIDDEN_ACTIVATIONS {
                for per_channel in [true, false] {
                    let big = w.iter().product::<usize>() > 100_000;
                    if big && (!per_channel || hidden == Activation::HardTanh) {
                        continue;
                    }
                    let prep = Prep::ALL[rng.below(4)];
                    let mut m = models::mlp(&mut rng, w, prep, hidden, Activation::Sigmoid);
                    if rng.coin() {
                        moderate_hidden(&mut m, &mut rng);
                    }
                    add(
                        c,
                        format!(
                            "mlp {} {} {} {}",
                            w.iter()
                                .map(|v| v.to_string())
                                .collect::<Vec<_>>()
                                .join("-"),
                            Dense { wide, per_channel }.name(),
                            act_name(hidden),
                            prep.name()
                        ),
                        m,
                        dense_opts(wide, per_channel),
                        hidden == Activation::Relu && per_channel && prep != Prep::Plain,
                    );
                }
            }
        }
    }
    for family in [Family::Gbdt, Family::RandomForest, Family::IsolationForest] {
        for (n, d) in [
            (1usize, 1u8),
            (1, 8),
            (10, 3),
            (50, 4),
            (100, 3),
            (200, 1),
            (200, 6),
            (30, 8),
        ] {
            for explain in [false, true] {
                let prep = Prep::ALL[rng.below(4)];
                let m = models::ensemble(&mut rng, family, n, d, 16, prep);
                add(
                    c,
                    format!(
                        "{} {n}x{d} {}{}",
                        family.name(),
                        prep.name(),
                        if explain { " explain" } else { "" }
                    ),
                    m,
                    tree_opts(explain),
                    n == 100 && !explain,
                );
            }
        }
    }
    out
}

/// `n` random models (`models::random_model`), each at its worst input set.
fn stress(c: &mut Cal, n: usize) -> Vec<Swept> {
    let mut rng = Rng::new(2024);
    (0..n)
        .map(|_| {
            let (name, m, o) = models::random_model(&mut rng);
            let b = blob(&m, &o);
            let sets = input_sets(&mut rng, &m);
            let model = Model::parse(&b).expect("valid");
            let (fuel, i) = c
                .run
                .worst(Export::InferNoChecksum, &b, &sets, model.scratch_len())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            Swept {
                name,
                family: m.family(),
                blob: b,
                fuel,
                worst_inputs: sets[i].clone(),
                headline: false,
            }
        })
        .collect()
}

/// Bound over measurement per family: the tightest, and the loosest with
/// every walk charged the steps it took on the measured input
/// (`models::walk_steps`; the bound itself for dense models and complete
/// trees, whose every walk reaches the deepest leaf), as `cost_bound`
/// asserts it.
fn report(sweep: &[Swept], k: &OpCoefficients, what: &str) {
    println!("\n## Bound / measured with {what}\n");
    println!(
        "| family | models | under | tightest (min) | model | loosest (max, walks as taken) | model |"
    );
    println!("|---|---:|---:|---:|---|---:|---|");
    for family in [
        Family::Linear,
        Family::Mlp,
        Family::Gbdt,
        Family::RandomForest,
        Family::IsolationForest,
    ] {
        let rows: Vec<(&Swept, f64, f64)> = sweep
            .iter()
            .filter(|s| s.family == family)
            .map(|s| {
                let model = Model::parse(&s.blob).expect("valid");
                let bound = k.bound(&model);
                let taken = match (model.body(), models::walk_steps(&model, &s.worst_inputs)) {
                    (Body::Trees(e), Some(steps)) => {
                        bound - (e.max_steps as u64 - steps) * k.per_step
                    }
                    _ => bound,
                };
                (
                    s,
                    bound as f64 / s.fuel as f64,
                    taken as f64 / s.fuel as f64,
                )
            })
            .collect();
        let under = rows.iter().filter(|(_, r, _)| *r < 1.0).count();
        let (tight, r, _) = rows
            .iter()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .expect("rows");
        let (loose, _, l) = rows
            .iter()
            .max_by(|a, b| a.2.total_cmp(&b.2))
            .expect("rows");
        println!(
            "| {} | {} | {under} | {r:.3} | {} | {l:.3} | {} |",
            family.name(),
            rows.len(),
            tight.name,
            loose.name,
        );
    }
}
