//! The cost model's bounds hold against real metering, and are tight: for
//! models of every family and size, fixed and generated, the wasmtime fuel
//! of one `vigil_infer_no_checksum` call on the shipped wasm build
//! (structural parse plus one inference, nothing subtracted) never exceeds
//! `Model::cost().ops`, and the bound is at most [`MAX_LOOSENESS`] times
//! it; the same call metered at cosmwasm-vm's prices
//! (`gas::cosmwasm_operator_cost`) is likewise bounded by
//! `Model::cost().cosmwasm_units`. A failure names the model and the
//! metering.
//!
//! Fuel is wasmtime's count of executed wasm operators (see
//! `vigil_host_tests::fuel`); each model is measured on several input sets
//! meant to drive its expensive paths (`models::input_sets`), each twice to
//! check that metering is deterministic, and the wasm's answer is checked
//! bit for bit against the core called natively.
//!
//! When this fails after a change to the core, re-derive the coefficients
//! with `cargo run -p host-tests --bin cost-calibration [-- --cosmwasm]`
//! and update `inference-core/src/cost.rs`.

use std::sync::OnceLock;

use proptest::prelude::*;
use vigil_host_tests::fuel::{Export, Meter, Runner};
use vigil_host_tests::gas;
use vigil_host_tests::models::{
    self, act_name, blob, input_sets, Dense, Prep, Rng, HIDDEN_ACTIVATIONS,
};
use vigil_host_tests::shim::{build_shim, nested_target_dir};
use vigil_inference_core::cost::{OpCoefficients, COSMWASM_UNITS, WASM_OPS};
use vigil_inference_core::float::{FloatModel, QuantizeOptions};
use vigil_inference_core::format::{Activation, Family};
use vigil_inference_core::{Act, Body, Model};

/// The bound may exceed the measurement by at most this factor, for every
/// model, small or large: a looser bound means the coefficients need
/// re-deriving (or the cost model misses a part).
///
/// One part of the bound is charged at a worst case no input may reach:
/// every tree walked to its deepest leaf. In a complete tree every leaf is
/// that deep, so every input does; in a tree that is not complete (the
/// generated "random" ones) the leaf an input reaches may be shallower, and
/// no input need reach the deepest leaf of every tree at once. For tree
/// ensembles the looseness is therefore taken against the bound with each
/// tree's walk charged the steps the measured input actually took (the same
/// bound for complete trees), computed natively from the same features.
const MAX_LOOSENESS: f64 = 1.05;

/// The two meterings the cost model bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Metering {
    /// wasmtime's default fuel: wasm operations ([`WASM_OPS`]).
    Ops,
    /// cosmwasm-vm's prices ([`COSMWASM_UNITS`]).
    CosmwasmUnits,
}

impl Metering {
    const BOTH: [Metering; 2] = [Metering::Ops, Metering::CosmwasmUnits];

    fn coefficients(self) -> &'static OpCoefficients {
        match self {
            Metering::Ops => &WASM_OPS,
            Metering::CosmwasmUnits => &COSMWASM_UNITS,
        }
    }

    /// The shim built as shipped (`wasm` profile, `-C target-cpu=mvp`), in
    /// the same nested target directory as the instruction scan, compiled
    /// once per metering.
    fn meter(self) -> &'static Meter {
        static WASM: OnceLock<Vec<u8>> = OnceLock::new();
        static METERS: [OnceLock<Meter>; 2] = [OnceLock::new(), OnceLock::new()];
        METERS[self as usize].get_or_init(|| {
            let wasm = WASM.get_or_init(|| {
                let dir = nested_target_dir(env!("CARGO_TARGET_TMPDIR"), "host-tests-wasm");
                build_shim(&dir, &[]).unwrap_or_else(|e| panic!("{e}"))
            });
            match self {
                Metering::Ops => Meter::new(wasm),
                Metering::CosmwasmUnits => {
                    Meter::with_operator_cost(wasm, gas::cosmwasm_operator_cost())
                }
            }
            .expect("the shim compiles under wasmtime")
        })
    }
}

struct Checked {
    fuel: u64,
    bound: u64,
    /// The bound with every walk charged the steps it took rather than its
    /// tree's deepest leaf ([`MAX_LOOSENESS`]); `bound` for dense models
    /// and complete trees.
    taken: u64,
}

impl Checked {
    fn ratio(&self) -> f64 {
        self.bound as f64 / self.fuel as f64
    }

    /// Bound over measurement, walks charged the steps they took.
    fn looseness(&self) -> f64 {
        self.taken as f64 / self.fuel as f64
    }
}

/// Meter `model` on its input sets and check the bound; `Err` names the
/// model and what went wrong.
fn check(
    run: &mut Runner,
    metering: Metering,
    rng: &mut Rng,
    name: &str,
    m: &FloatModel,
    o: &QuantizeOptions,
) -> Result<Checked, String> {
    let name = &format!("{name} [{metering:?}]");
    let k = metering.coefficients();
    let bytes = blob(m, o);
    let model = Model::parse(&bytes).map_err(|e| format!("{name}: {e:?}"))?;
    let cost = model.cost();
    let bound = match metering {
        Metering::Ops => cost.ops,
        Metering::CosmwasmUnits => cost.cosmwasm_units,
    };
    debug_assert_eq!(bound, k.bound(&model));
    let sets = input_sets(rng, m);
    let (fuel, worst) = run
        .worst(Export::InferNoChecksum, &bytes, &sets, model.scratch_len())
        .map_err(|e| format!("{name}: {e}"))?;
    // The metered call computes what the core computes natively.
    let inputs = &sets[worst];
    let mut scratch = vec![Act::ZERO; model.scratch_len()];
    let native = model
        .infer(inputs, &mut scratch)
        .map_err(|e| format!("{name}: native inference failed: {e:?}"))?;
    let expected = u64::from(native.score.to_bits()) | (u64::from(native.label) << 32);
    let got = run
        .measure(Export::InferNoChecksum, &bytes, inputs, model.scratch_len())
        .map_err(|e| format!("{name}: {e}"))?
        .result;
    if got != expected {
        return Err(format!(
            "{name}: wasm returned {got:#x}, the native core {expected:#x}"
        ));
    }
    if fuel > bound {
        return Err(format!(
            "{name}: measured {fuel} wasm ops > bound {bound} (ratio {:.4}, input set {worst})",
            bound as f64 / fuel as f64
        ));
    }
    // Walks charged the steps they took rather than each tree's deepest
    // leaf (`per_step` a step).
    let taken = match (model.body(), models::walk_steps(&model, inputs)) {
        (Body::Trees(e), Some(steps)) => bound - (e.max_steps as u64 - steps) * k.per_step,
        _ => bound,
    };
    let checked = Checked { fuel, bound, taken };
    if checked.looseness() > MAX_LOOSENESS {
        return Err(format!(
            "{name}: bound {bound} is {:.4} x measured {fuel} (> {MAX_LOOSENESS}{}, input set {worst}): re-derive the coefficients",
            checked.looseness(),
            if taken == bound {
                String::new()
            } else {
                format!("; walks charged the steps taken: {taken}")
            },
        ));
    }
    Ok(checked)
}

fn dense(wide: bool, per_channel: bool) -> QuantizeOptions {
    Dense { wide, per_channel }.options()
}

fn trees(explain: bool) -> QuantizeOptions {
    QuantizeOptions {
        wide_weights: false,
        per_channel: false,
        explain,
    }
}

/// The fixed list: every family, sizes from one feature to 256x256.
fn fixed_models() -> Vec<(String, FloatModel, QuantizeOptions)> {
    let mut rng = Rng::new(0xC057);
    let mut out = Vec::new();
    for n in [1usize, 4, 16, 64] {
        for prep in Prep::ALL {
            let act = models::OUTPUT_ACTIVATIONS[n % 3];
            out.push((
                format!("linear {n} {} {}", prep.name(), act_name(act)),
                models::linear(&mut rng, n, prep, act),
                dense(false, true),
            ));
        }
    }
    let shapes: [&[usize]; 5] = [
        &[8, 8, 1],
        &[16, 16, 1],
        &[38, 32, 16, 1],
        &[64, 64, 1],
        &[16, 32, 32, 32, 1],
    ];
    for (i, w) in shapes.iter().enumerate() {
        for wide in [false, true] {
            for (j, hidden) in HIDDEN_ACTIVATIONS.into_iter().enumerate() {
                let prep = Prep::ALL[(i + j) % 4];
                let output = models::OUTPUT_ACTIVATIONS[j % 3];
                let per_channel = (i + j) % 2 == 0;
                out.push((
                    format!(
                        "mlp {w:?} {} {}/{} {}",
                        Dense { wide, per_channel }.name(),
                        act_name(hidden),
                        act_name(output),
                        prep.name()
                    ),
                    models::mlp(&mut rng, w, prep, hidden, output),
                    dense(wide, per_channel),
                ));
            }
        }
    }
    for (w, hidden) in [
        (&[128usize, 128, 64, 1][..], Activation::Relu),
        (&[256, 256, 1], Activation::Tanh),
    ] {
        for wide in [false, true] {
            out.push((
                format!(
                    "mlp {w:?} {} {} clip+log1p",
                    if wide { "i16" } else { "i8" },
                    act_name(hidden)
                ),
                models::mlp(&mut rng, w, Prep::ClipLog1p, hidden, Activation::Sigmoid),
                dense(wide, true),
            ));
        }
    }
    // Tiny weights: requantisation shifts above 64 (the longer path).
    for (w, wide) in [(&[4usize, 256, 1][..], true), (&[64, 64, 1], false)] {
        let mut m = models::mlp(
            &mut rng,
            w,
            Prep::Plain,
            Activation::Tanh,
            Activation::Sigmoid,
        );
        models::scale_weights(&mut m, 1e-10);
        out.push((
            format!(
                "mlp {w:?} {} tanh, weights x1e-10",
                if wide { "i16" } else { "i8" }
            ),
            m,
            dense(wide, false),
        ));
    }
    for family in [Family::Gbdt, Family::RandomForest, Family::IsolationForest] {
        for (n, d) in [
            (1usize, 0u8),
            (1, 1),
            (3, 2),
            (10, 3),
            (100, 3),
            (200, 1),
            (20, 6),
            (8, 8),
        ] {
            for explain in [false, true] {
                let prep = Prep::ALL[(n + usize::from(d)) % 4];
                out.push((
                    format!(
                        "{} {n}x{d} {}{}",
                        family.name(),
                        prep.name(),
                        if explain { " explain" } else { "" }
                    ),
                    models::ensemble(&mut rng, family, n, d, 12, prep),
                    trees(explain),
                ));
            }
        }
    }
    out
}

#[test]
fn fixed_models_stay_within_the_bound() {
    fixed_models_within(Metering::Ops);
}

#[test]
fn fixed_models_stay_within_the_cosmwasm_bound() {
    fixed_models_within(Metering::CosmwasmUnits);
}

fn fixed_models_within(metering: Metering) {
    let mut run = metering.meter().runner().expect("the shim instantiates");
    let mut rng = Rng::new(1);
    let mut failures = Vec::new();
    // Per family: the loosest model below and above SMALL operations.
    const SMALL: u64 = 50_000;
    let mut worst: Vec<(Family, bool, f64, String)> = Vec::new();
    eprintln!(
        "{:<58} {:>10} {:>10} {:>7}",
        "model", "measured", "bound", "ratio"
    );
    for (name, m, o) in fixed_models() {
        match check(&mut run, metering, &mut rng, &name, &m, &o) {
            Ok(c) => {
                let ratio = c.ratio();
                eprintln!("{name:<58} {:>10} {:>10} {ratio:>7.3}", c.fuel, c.bound);
                let key = (m.family(), c.fuel > SMALL);
                match worst.iter_mut().find(|w| (w.0, w.1) == key) {
                    Some(w) if w.2 < ratio => *w = (key.0, key.1, ratio, name),
                    Some(_) => {}
                    None => worst.push((key.0, key.1, ratio, name)),
                }
            }
            Err(e) => failures.push(e),
        }
    }
    for (family, large, ratio, name) in &worst {
        eprintln!(
            "loosest {} {} {SMALL} ops: {ratio:.3} ({name})",
            family.name(),
            if *large { "above" } else { "below" },
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

proptest! {
    // Few cases: each is a model build plus a dozen metered calls.
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn random_models_stay_within_the_bound(seed in any::<u64>()) {
        thread_local! {
            static RUN: std::cell::RefCell<[Option<Runner>; 2]> = const { std::cell::RefCell::new([None, None]) };
        }
        let mut rng = Rng::new(seed);
        let (name, m, o) = models::random_model(&mut rng);
        for metering in Metering::BOTH {
            // The same input sets for both meterings.
            let mut inputs_rng = rng.clone();
            let result = RUN.with(|cell| {
                let mut cell = cell.borrow_mut();
                let run = cell[metering as usize].get_or_insert_with(|| {
                    metering.meter().runner().expect("the shim instantiates")
                });
                check(run, metering, &mut inputs_rng, &name, &m, &o)
            });
            match result {
                Ok(c) => {
                    eprintln!(
                        "{name} [{metering:?}]: measured {}, bound {}, ratio {:.3}, walks as taken {:.3}",
                        c.fuel,
                        c.bound,
                        c.ratio(),
                        c.looseness()
                    );
                }
                Err(e) => prop_assert!(false, "seed {seed}: {e}"),
            }
        }
    }
}

/// A metadata section (names, labels, units) costs the per-query parse
/// only its frame check: measured, the model with the section costs at
/// most `metadata::FRAME_COST` more than the same model without it, in
/// both meterings, and stays within its bound (which adds exactly that).
#[test]
fn metadata_section_costs_at_most_its_frame() {
    use vigil_inference_core::metadata::FRAME_COST;
    use vigil_inference_core::spec::{FeatureMeta, MetadataSpec};
    for (i, metering) in [Metering::Ops, Metering::CosmwasmUnits]
        .into_iter()
        .enumerate()
    {
        let mut run = metering.meter().runner().expect("the shim instantiates");
        for (name, m, o) in fixed_models().into_iter().step_by(7).take(8) {
            let plain = blob(&m, &o);
            let meta = MetadataSpec {
                features: (0..m.features.len())
                    .map(|j| FeatureMeta {
                        name: format!("feature_number_{j}"),
                        label: Some(format!("Feature number {j}")),
                        unit: Some("ETH".into()),
                    })
                    .collect(),
            };
            let with = m.quantize(&o).to_bytes_with_metadata(Some(&meta)).unwrap();
            let model = Model::parse(&with).unwrap();
            let sets = input_sets(&mut Rng::new(3), &m);
            let measure = |run: &mut Runner, b: &[u8]| {
                run.worst(Export::InferNoChecksum, b, &sets, model.scratch_len())
                    .unwrap()
                    .0
            };
            let f0 = measure(&mut run, &plain);
            let f1 = measure(&mut run, &with);
            let bound = match metering {
                Metering::Ops => model.cost().ops,
                Metering::CosmwasmUnits => model.cost().cosmwasm_units,
            };
            eprintln!(
                "{name} [{metering:?}]: {f0} without, {f1} with the section (+{}), frame cost {}",
                f1 as i64 - f0 as i64,
                FRAME_COST[i]
            );
            assert!(
                f1 <= f0 + FRAME_COST[i],
                "{name}: {f1} > {f0} + {}",
                FRAME_COST[i]
            );
            assert!(f1 <= bound, "{name}: {f1} > bound {bound}");
        }
    }
}
