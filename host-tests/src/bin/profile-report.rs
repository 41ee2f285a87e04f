//! The `wasm`-profile measurement behind the README: the shim wasm built
//! with `opt-level` "z", "s" and 3 (otherwise the workspace `wasm` profile,
//! `-C target-cpu=mvp`), its size, and the wasmtime fuel of one inference of
//! the reference shapes (an MLP 38-32-16-1 and a GBDT of 100 trees of depth
//! 3, as in the guard example: i8 weights, per-channel scales, signed-log1p
//! features).
//!
//! ```sh
//! cargo run -p host-tests --bin profile-report
//! ```
//!
//! Prints a markdown table. Columns: the `vigil_infer_no_checksum` call
//! (structural parse plus one inference: what `Model::cost` bounds, whose
//! coefficients are calibrated for "z"), the inference alone (that call
//! minus `vigil_parse` without checksum), and `vigil_infer` (with the
//! SHA-256 of the payload). Each build goes to its own target directory
//! under the workspace target directory (`profile-report-wasm-<level>`).

use vigil_host_tests::fuel::{Export, Meter};
use vigil_host_tests::models::{self, blob, input_sets, Dense, Prep, Rng};
use vigil_host_tests::shim::{build_shim, default_target_dir};
use vigil_inference_core::float::{FloatModel, QuantizeOptions};
use vigil_inference_core::format::{Activation, Family};
use vigil_inference_core::Model;

struct Shape {
    name: &'static str,
    blob: Vec<u8>,
    sets: Vec<Vec<vigil_inference_core::Wide>>,
}

fn shape(name: &'static str, m: &FloatModel, o: &QuantizeOptions, rng: &mut Rng) -> Shape {
    Shape {
        name,
        blob: blob(m, o),
        sets: input_sets(rng, m),
    }
}

fn main() {
    let mut rng = Rng::new(38);
    let mlp = models::mlp(
        &mut rng,
        &[38, 32, 16, 1],
        Prep::Log1p,
        Activation::Relu,
        Activation::Sigmoid,
    );
    let gbdt = models::ensemble(&mut rng, Family::Gbdt, 100, 3, 38, Prep::Log1p);
    let shapes = [
        shape(
            "MLP 38-32-16-1",
            &mlp,
            &Dense {
                wide: false,
                per_channel: true,
            }
            .options(),
            &mut rng,
        ),
        shape(
            "GBDT 100x3",
            &gbdt,
            &QuantizeOptions {
                wide_weights: false,
                per_channel: true,
                explain: false,
            },
            &mut rng,
        ),
    ];

    let mut rows = Vec::new();
    for level in ["z", "s", "3"] {
        let dir = default_target_dir().join(format!("profile-report-wasm-{level}"));
        eprintln!(
            "building the shim with opt-level {level} into {}",
            dir.display()
        );
        let wasm = build_shim(&dir, &[("CARGO_PROFILE_WASM_OPT_LEVEL", level)])
            .unwrap_or_else(|e| panic!("{e}"));
        let meter = Meter::new(&wasm).expect("the shim compiles under wasmtime");
        let mut run = meter.runner().expect("the shim instantiates");
        let mut cells = vec![format!("`{level}`"), wasm.len().to_string()];
        for s in &shapes {
            let model = Model::parse(&s.blob).expect("valid");
            let scratch = model.scratch_len();
            let (call, worst) = run
                .worst(Export::InferNoChecksum, &s.blob, &s.sets, scratch)
                .expect("metered");
            let inputs = &s.sets[worst];
            let parse = run
                .measure(Export::Parse, &s.blob, inputs, scratch)
                .expect("metered")
                .fuel;
            let full = run
                .measure(Export::Infer, &s.blob, inputs, scratch)
                .expect("metered")
                .fuel;
            let bound = model.cost().ops;
            cells.push(format!(
                "{call}{}",
                if call > bound { " (over bound!)" } else { "" }
            ));
            cells.push((call - parse).to_string());
            cells.push(full.to_string());
        }
        rows.push(cells);
    }

    println!(
        "Shim wasm (`vigil-wasm-shim`): workspace `wasm` profile with the given \
         `opt-level`, `-C target-cpu=mvp`. Wasmtime fuel of one call, worst over \
         the input sets of `models::input_sets`: *parse + infer* is \
         `vigil_infer_no_checksum` (what `Model::cost` bounds; its coefficients \
         are calibrated for `z`), *infer* that minus the parse alone, *+ SHA-256* \
         is `vigil_infer`.\n"
    );
    for s in &shapes {
        let model = Model::parse(&s.blob).expect("valid");
        println!(
            "- {}: {} bytes, bound {} ops",
            s.name,
            s.blob.len(),
            model.cost().ops
        );
    }
    println!();
    let mut header = vec!["opt-level".to_string(), "wasm bytes".to_string()];
    for s in &shapes {
        header.push(format!("{}: parse + infer", s.name));
        header.push(format!("{}: infer", s.name));
        header.push(format!("{}: + SHA-256", s.name));
    }
    println!("| {} |", header.join(" | "));
    println!(
        "|{}",
        header
            .iter()
            .enumerate()
            .map(|(i, _)| if i == 0 { "---|" } else { "---:|" })
            .collect::<String>()
    );
    for r in rows {
        println!("| {} |", r.join(" | "));
    }
}
