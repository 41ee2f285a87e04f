//! The cost model's bound holds against real metering: for models of every
//! family and size, the wasmtime fuel of one `vigil_infer_no_checksum` call
//! on the shipped wasm build (structural parse plus one inference, nothing
//! subtracted) never exceeds `Model::cost().ops`, and for large models the
//! bound stays within [`MAX_LOOSENESS`] of it.
//!
//! Fuel is wasmtime's count of executed wasm operators (see
//! `vigil_host_tests::fuel`); each model is measured on several input sets
//! meant to drive its expensive paths (`models::input_sets`), each twice to
//! check that metering is deterministic, and the wasm's answer is checked
//! bit for bit against the core called natively.
//!
//! When this fails after a change to the core, re-derive the coefficients
//! with `cargo run -p host-tests --bin cost-calibration` and update
//! `inference-core/src/cost.rs`.

use std::sync::OnceLock;

use proptest::prelude::*;
use vigil_host_tests::fuel::{Export, Meter, Runner};
use vigil_host_tests::models::{
    self, act_name, blob, input_sets, Dense, Prep, Rng, HIDDEN_ACTIVATIONS,
};
use vigil_host_tests::shim::{build_shim, nested_target_dir};
use vigil_inference_core::float::{FloatModel, QuantizeOptions};
use vigil_inference_core::format::{Activation, Family};
use vigil_inference_core::{Act, Model};

/// For models whose call costs more than [`LARGE`] operations (and whose
/// trees are complete, so some input walks every tree to `max_depth`), the
/// bound may exceed the measurement by at most this factor: a looser bound
/// means the coefficients need re-deriving.
const MAX_LOOSENESS: f64 = 1.10;
const LARGE: u64 = 200_000;

/// The shim built as shipped (release profile, `-C target-cpu=mvp`), in the
/// same nested target directory as the instruction scan, compiled once.
fn meter() -> &'static Meter {
    static METER: OnceLock<Meter> = OnceLock::new();
    METER.get_or_init(|| {
        let dir = nested_target_dir(env!("CARGO_TARGET_TMPDIR"), "host-tests-wasm");
        let wasm = build_shim(&dir, &[]).unwrap_or_else(|e| panic!("{e}"));
        Meter::new(&wasm).expect("the shim compiles under wasmtime")
    })
}

struct Checked {
    fuel: u64,
    bound: u64,
}

/// Meter `model` on its input sets and check the bound; `Err` names the
/// model and what went wrong.
fn check(
    run: &mut Runner,
    rng: &mut Rng,
    name: &str,
    m: &FloatModel,
    o: &QuantizeOptions,
) -> Result<Checked, String> {
    let bytes = blob(m, o);
    let model = Model::parse(&bytes).map_err(|e| format!("{name}: {e:?}"))?;
    let bound = model.cost().ops;
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
    Ok(Checked { fuel, bound })
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
    let mut run = meter().runner().expect("the shim instantiates");
    let mut rng = Rng::new(1);
    let mut failures = Vec::new();
    let mut worst: Vec<(Family, f64, String)> = Vec::new();
    eprintln!(
        "{:<58} {:>10} {:>10} {:>7}",
        "model", "measured", "bound", "ratio"
    );
    for (name, m, o) in fixed_models() {
        match check(&mut run, &mut rng, &name, &m, &o) {
            Ok(Checked { fuel, bound }) => {
                let ratio = bound as f64 / fuel as f64;
                eprintln!("{name:<58} {fuel:>10} {bound:>10} {ratio:>7.3}");
                if fuel > LARGE && ratio > MAX_LOOSENESS {
                    failures.push(format!(
                        "{name}: bound {bound} is {ratio:.3} x measured {fuel} (> {MAX_LOOSENESS}): re-derive the coefficients"
                    ));
                }
                if fuel > LARGE {
                    match worst.iter_mut().find(|w| w.0 == m.family()) {
                        Some(w) if w.1 < ratio => *w = (m.family(), ratio, name),
                        Some(_) => {}
                        None => worst.push((m.family(), ratio, name)),
                    }
                }
            }
            Err(e) => failures.push(e),
        }
    }
    for (family, ratio, name) in &worst {
        eprintln!(
            "loosest {} above {LARGE} ops: {ratio:.3} ({name})",
            family.name()
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
            static RUN: std::cell::RefCell<Option<Runner>> = const { std::cell::RefCell::new(None) };
        }
        let mut rng = Rng::new(seed);
        let (name, m, o) = models::random_model(&mut rng);
        let result = RUN.with(|cell| {
            let mut cell = cell.borrow_mut();
            let run = cell.get_or_insert_with(|| meter().runner().expect("the shim instantiates"));
            check(run, &mut rng, &name, &m, &o)
        });
        match result {
            Ok(Checked { fuel, bound }) => {
                eprintln!("{name}: measured {fuel}, bound {bound}, ratio {:.3}", bound as f64 / fuel as f64);
            }
            Err(e) => prop_assert!(false, "seed {seed}: {e}"),
        }
    }
}
