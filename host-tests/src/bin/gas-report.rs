//! The gas report: what Vigil costs on a chain, measured.
//!
//! ```text
//! cargo run --release -p host-tests --bin gas-report -- --json target/gas-report/gas.json
//! ```
//!
//! Prints a markdown report (the figures the README quotes) and writes an
//! SVG chart (`--svg PATH`, default beside the JSON, or
//! `target/gas-report/gas.svg`) and, with `--json PATH`, a JSON object with
//! the headline figures (`ops_per_mac`, `bound_over_measured_max`,
//! `largest_mlp_params_in_query`, `poim_eval_1857_sdk_gas`,
//! `mlp_inference_sdk_gas_above_setup`, `mlp_floor_sdk_gas`, and more).
//!
//! Engines: wasm operations are wasmtime fuel on the core compiled to wasm
//! (the shim, built by this tool with the `wasm` profile); SDK gas is the
//! shipped contracts (`artifacts/vigil_guard.wasm`, which answers `Check`
//! and `Score`, and `artifacts/vigil_governor.wasm`, which governs and
//! installs models on it; built first if missing or stale) in cosmwasm-vm
//! with wasmd's gas (`vigil_chain_sim`).
//! Gas counts are deterministic: the same tree gives the same report.
//! Progress goes to stderr, the report to stdout.
// The report's JSON is one `json!` literal, deeper than the default limit.
#![recursion_limit = "256"]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use plotters::prelude::*;
use serde_json::json;
use vigil_chain_sim::{Gas, SubCalls};
use vigil_host_tests::fuel::Meter;
use vigil_host_tests::gas::{self, Family, Point};
use vigil_host_tests::shim::{build_shim, default_target_dir};
use vigil_host_tests::Artifacts;

/// Rows of the public test set the PoIm figure is about (eth-fraud's).
const EVAL_ROWS: usize = 1_857;
/// wasmd's usual per-transaction ceiling the evaluation must fit under.
const EVAL_BUDGET: u64 = 30_000_000;

struct Args {
    json: Option<PathBuf>,
    svg: PathBuf,
    /// Fewer sizes and searches (the JSON keys are all still measured):
    /// for the smoke test.
    quick: bool,
}

fn args() -> Result<Args, String> {
    let mut json = None;
    let mut svg = None;
    let mut quick = false;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--json" => json = Some(PathBuf::from(it.next().ok_or("--json needs a path")?)),
            "--svg" => svg = Some(PathBuf::from(it.next().ok_or("--svg needs a path")?)),
            "--quick" => quick = true,
            "-h" | "--help" => {
                println!(
                    "usage: gas-report [--json PATH] [--svg PATH] [--quick]\n\n\
                     Measures wasm operations (wasmtime fuel) and SDK gas (the shipped \
                     contract in cosmwasm-vm with wasmd's gas) and prints a markdown report."
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    let svg = svg.unwrap_or_else(|| match &json {
        Some(j) => j.with_extension("svg"),
        None => default_target_dir().join("gas-report/gas.svg"),
    });
    Ok(Args { json, svg, quick })
}

fn step(what: &str) {
    eprintln!("[gas-report] {what}");
}

fn maybe_breakdown(g: Option<&Gas>) -> String {
    g.map_or_else(|| "- | - | - | out of gas".to_owned(), breakdown)
}

fn breakdown(g: &Gas) -> String {
    format!(
        "{} | {} | {} | {}",
        g.setup,
        g.storage,
        g.compute,
        g.total()
    )
}

/// A row of the round's table: lookup | setup | storage | compute | SDK
/// gas (the call's own; with its sub-calls' in the total).
fn round_row(g: &Gas) -> String {
    format!("{} | {}", g.lookup, breakdown(g))
}

/// The sub-calls' row (the guard's `InstallModel`).
fn sub_row(s: &SubCalls) -> String {
    format!(
        "{} | {} | {} | {} | {}",
        s.lookup,
        s.setup,
        s.storage,
        s.compute,
        s.total()
    )
}

fn main() {
    if let Err(e) = run() {
        eprintln!("gas-report: error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let args = args()?;
    let started = Instant::now();
    let target = default_target_dir();

    step("building the core's wasm shim (wasm profile)");
    let shim = build_shim(&target.join("host-tests-wasm"), &[])?;
    let meter = Meter::new(&shim).map_err(|e| e.to_string())?;
    let mut runner = meter.runner().map_err(|e| e.to_string())?;
    let cosmwasm_meter = Meter::with_operator_cost(&shim, gas::cosmwasm_operator_cost())
        .map_err(|e| e.to_string())?;
    let mut cosmwasm_priced = cosmwasm_meter.runner().map_err(|e| e.to_string())?;

    step(
        "loading artifacts/vigil_guard.wasm and artifacts/vigil_governor.wasm \
         (building them if missing or stale)",
    );
    let artifacts = Artifacts::load(&target.join("tmp/contract-wasm"))?;
    let mut chain = artifacts.chain(&target.join("tmp/gas-report-cache"))?;
    let wasmd = chain.gas();

    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "# Vigil gas report\n");
    let _ = writeln!(
        w,
        "Contracts: the guard `artifacts/vigil_guard.wasm`, {} bytes (answers `Check` and \
         `Score`); its governor `artifacts/vigil_governor.wasm`, {} bytes (Proof-of-Improvement \
         governance; installs each model on the guard). Every model below is installed the way \
         a chain does it: the governor instantiated with it, the guard naming the governor, \
         `BindGuard`. SDK gas as wasmd charges it: \
         setup {} ({} pinned) + storage (KV: read 1,000 + 3/byte, write 2,000 + 30/byte, \
         iterator 30/step + 3/byte) + compute (cosmwasm-vm gas / {}). Wasm operations: \
         wasmtime fuel of the core's parse (no checksum) + one inference, worst input.\n",
        artifacts.guard.len(),
        artifacts.governor.len(),
        wasmd.instance_cost,
        wasmd.instance_cost_pinned,
        wasmd.multiplier
    );

    // --- Per inference vs size ------------------------------------------
    let _ = writeln!(
        w,
        "## One guarded inference (`Check` query) by model size\n"
    );
    let _ = writeln!(
        w,
        "| family | size | params | blob bytes | wasm ops | bound | bound/ops | cosmwasm units | units bound/units | setup | storage | compute | SDK gas |"
    );
    let _ = writeln!(
        w,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    let mut points: Vec<Point> = Vec::new();
    for family in Family::ALL {
        let sizes = family.sizes();
        let sizes = if args.quick { &sizes[..2] } else { sizes };
        for &size in sizes {
            step(&format!("measuring {} {size}", family.name()));
            let p = gas::point(&mut runner, &mut cosmwasm_priced, &mut chain, family, size)?;
            let _ = writeln!(
                w,
                "| {} | {} {} | {} | {} | {} | {} | {:.3} | {} | {:.3} | {} |",
                family.name(),
                size,
                family.size_unit(),
                p.params,
                p.blob_bytes,
                p.ops,
                p.bound,
                p.looseness(),
                p.cosmwasm_units,
                p.units_looseness(),
                maybe_breakdown(p.check.as_ref())
            );
            points.push(p);
        }
    }
    // Every model, small or large (the sweep's trees are complete, so the
    // worst input walks every tree to its deepest leaf).
    let looseness_max = points.iter().map(Point::looseness).fold(0.0, f64::max);
    let looseness_min = points.iter().map(Point::looseness).fold(f64::MAX, f64::min);
    let units_max = points
        .iter()
        .map(Point::units_looseness)
        .fold(0.0, f64::max);
    let units_min = points
        .iter()
        .map(Point::units_looseness)
        .fold(f64::MAX, f64::min);
    let _ = writeln!(
        w,
        "\nbound / measured: min {looseness_min:.4}, max {looseness_max:.4} over every \
         model (the bound must never be below 1, nor above 1.05: `cost_bound` holds both \
         for every family and size).\n\n\
         cosmwasm units: the core's worst call metered as cosmwasm-vm meters it (units of \
         115 CosmWasm gas: 1 per operation, 14 for branches, calls and block ends). \
         `Cost::cosmwasm_units` bounds it with its own coefficients (`COSMWASM_UNITS`); \
         units bound / units: min {units_min:.4}, max {units_max:.4} (`cost_bound` holds \
         the same two limits).\n"
    );

    // --- Ops per MAC and per tree step ------------------------------------
    let _ = writeln!(
        w,
        "## Dense layers: wasm operations per multiply-accumulate\n"
    );
    let _ = writeln!(w, "| layer | i8 weights | i16 weights |");
    let _ = writeln!(w, "|---|---:|---:|");
    let mut ops_per_mac_i8 = Vec::new();
    let mut ops_per_mac_i16 = Vec::new();
    let layers: &[usize] = if args.quick { &[64] } else { &[64, 128, 256] };
    for &n in layers {
        step(&format!("ops per MAC at {n}x{n}"));
        let i8 = gas::ops_per_mac(&mut runner, n, false)?;
        let i16 = gas::ops_per_mac(&mut runner, n, true)?;
        let _ = writeln!(w, "| {n}x{n} | {i8:.2} | {i16:.2} |");
        ops_per_mac_i8.push(i8);
        ops_per_mac_i16.push(i16);
    }
    let ops_per_mac = ops_per_mac_i8.iter().copied().fold(0.0, f64::max);
    let ops_per_mac_i16_max = ops_per_mac_i16.iter().copied().fold(0.0, f64::max);
    let _ = writeln!(
        w,
        "\n(slope of wasmtime fuel in MACs with per-neuron costs separated: \
         `gas::ops_per_mac`). Worst: i8 {ops_per_mac:.2}, i16 {ops_per_mac_i16_max:.2}.\n"
    );

    step("ops per tree node visited");
    let ops_per_tree_step = gas::ops_per_tree_step(&mut runner, 100)?;
    let _ = writeln!(
        w,
        "Tree ensembles: {ops_per_tree_step:.2} wasm operations per node visited \
         (inference alone, GBDT 100 trees, depth 8 vs 4: `gas::ops_per_tree_step`).\n"
    );

    // --- eth-fraud MLP against its floor ------------------------------------
    step("eth-fraud-shaped MLP 38-32-16-1 and GBDT 100x3: Check against its floor");
    let guarded = gas::guarded_inference(&mut runner, &mut cosmwasm_priced, &mut chain)?;
    let (gbdt_model, gbdt_options) = gas::eth_fraud_gbdt(1);
    let guarded_gbdt = gas::guarded_inference_of(
        &mut runner,
        &mut cosmwasm_priced,
        &mut chain,
        &gbdt_model,
        &gbdt_options,
    )?;
    let _ = writeln!(
        w,
        "## Guarded inference against its floor, eth-fraud-shaped models (38 features)\n"
    );
    let _ = writeln!(
        w,
        "| model | blob bytes | core wasm ops | core, cosmwasm-priced | setup | storage | compute | SDK gas above setup | floor | above setup / floor |"
    );
    let _ = writeln!(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (name, g) in [
        ("MLP 38-32-16-1 (i8)", &guarded),
        ("GBDT 100 trees x depth 3", &guarded_gbdt),
    ] {
        let _ = writeln!(
            w,
            "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {:.3} |",
            g.blob_bytes,
            g.core_ops,
            g.core_cosmwasm_units,
            g.check.setup,
            g.check.storage,
            g.check.compute,
            g.above_setup(),
            g.floor,
            g.over_floor()
        );
    }
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "The guard has a test set of 20 rows, so a data envelope ({} bytes): Check clamps the inputs into it. \
         Floor: one read of the model under a one-byte key (1,000 + 3 x (33-byte wasmd prefix + key + blob bytes)) + one read of the envelope + the core's own parse and \
         inference priced as cosmwasm-vm prices them (115 CosmWasm gas per operation, 14 \
         times that for branches, calls and block ends: `gas::cosmwasm_operator_cost`; \
         wasmtime fuel with that table) / 140,000. Above it: reading the query, decimal \
         parsing, the clamp, the answer. Pinned, the setup is {} instead of {}: \
         {} SDK gas per guarded inference of the MLP in all.\n",
        guarded.envelope_bytes,
        wasmd.instance_cost_pinned,
        wasmd.instance_cost,
        wasmd.instance_cost_pinned + guarded.above_setup()
    );

    // --- An observed action (baselines + breaker) ---------------------------
    step("an observed action (Observe) against a plain Check");
    let (obs_model, obs_options) = gas::eth_fraud_mlp(1);
    let obs_blob = vigil_host_tests::models::blob(&obs_model, &obs_options);
    let observed = gas::observed_action(&mut chain, &obs_model, &obs_blob)?;
    let observe_bound = vigil_guard::gas::observe_gas_bound(
        &vigil_inference_core::Model::parse(&obs_blob)
            .map_err(|e| format!("{e:?}"))?
            .cost(),
        obs_model.features.len(),
    );
    let _ = writeln!(
        w,
        "## An observed action (`Observe`), MLP 38-32-16-1\n\n\
         | call | reads | writes | storage | compute | SDK gas above setup |\n|---|---:|---:|---:|---:|---:|"
    );
    for (name, g) in [
        ("`Check` (query)", &observed.check),
        ("`Verdict` (query)", &observed.verdict),
        ("`Observe`, paid", &observed.observe),
        ("`Observe` that trips the breaker", &observed.observe_trip),
    ] {
        let _ = writeln!(
            w,
            "| {name} | {} | {} | {} | {} | {} |",
            g.kv.reads,
            g.kv.writes,
            g.storage,
            g.compute,
            g.above_setup()
        );
    }
    let _ = writeln!(
        w,
        "\n`Observe` costs {} SDK gas above setup: the `Check` it contains ({}) plus {} for the \
         protected contract's settings, its kind's baseline and its breaker (three reads, two \
         writes of {} bytes in all) and their arithmetic. Quoted before the call \
         (`vigil_guard::gas::observe_gas_bound`): {} above setup.\n",
        observed.observe.above_setup(),
        observed.check.above_setup(),
        observed.observe_over_check(),
        observed.record_bytes,
        observe_bound.above_setup()
    );

    // --- Largest model per family in one query -----------------------------
    let _ = writeln!(
        w,
        "## Largest model one smart query ({} SDK gas) can run\n",
        wasmd.query_limit
    );
    let _ = writeln!(
        w,
        "| family | largest size | params | setup | storage | compute | SDK gas |"
    );
    let _ = writeln!(w, "|---|---:|---:|---:|---:|---:|---:|");
    let mut largest = Vec::new();
    let families: &[Family] = if args.quick {
        &[Family::Mlp]
    } else {
        &Family::ALL
    };
    for &family in families {
        step(&format!("largest {} in one query", family.name()));
        let start = family.sizes()[0];
        let (size, params, g) = gas::largest_in_query(&mut chain, family, start, |s, ok| {
            eprintln!(
                "[gas-report]   {} {s}: {}",
                family.name(),
                if ok { "fits" } else { "out of gas" }
            )
        })?;
        let capped = if size >= family.format_limit() {
            " (format limit)"
        } else {
            ""
        };
        let _ = writeln!(
            w,
            "| {} | {size} {}{capped} | {params} | {} |",
            family.name(),
            family.size_unit(),
            breakdown(&g)
        );
        largest.push((family, size, params, g));
    }
    let largest_mlp_params = largest
        .iter()
        .find(|l| l.0 == Family::Mlp)
        .map(|l| l.2)
        .unwrap_or(0);
    let _ = writeln!(w);

    // --- PoIm round: every call kind ------------------------------------------
    let mut rounds = Vec::new();
    let batches: &[u32] = if args.quick {
        &[EVAL_ROWS as u32]
    } else {
        &[EVAL_ROWS as u32, 200]
    };
    for &batch in batches {
        step(&format!(
            "Proof-of-Improvement round on {EVAL_ROWS} rows, eval_batch {batch}"
        ));
        rounds.push(gas::poim_round(&mut chain, EVAL_ROWS, batch)?);
    }
    let round = &rounds[0];
    let _ = writeln!(
        w,
        "## Every call of a Proof-of-Improvement round (eth-fraud-shaped guard)\n"
    );
    let _ = writeln!(
        w,
        "Incumbent, candidates: MLP 38-32-16-1 (i8, {} bytes each). Test set: {EVAL_ROWS} \
         generated rows of 38 features (eth-fraud's public test set size and width), \
         labelled by the accepted candidate, so it wins; the rejected one cannot beat it. \
         `eval_batch` = {EVAL_ROWS}: each proposal is decided in its own transaction.\n",
        guarded.blob_bytes
    );
    let _ = writeln!(w, "| call | lookup | setup | storage | compute | SDK gas |");
    let _ = writeln!(w, "|---|---:|---:|---:|---:|---:|");
    let load_total: u64 = round.loading.iter().map(Gas::total).sum();
    let deployment = &round.deployment;
    let rows_table: Vec<(String, String, u64)> = vec![
        (
            "instantiate the governor (with the model)".into(),
            round_row(&deployment.governor),
            deployment.governor.total(),
        ),
        (
            "instantiate the guard (naming the governor)".into(),
            round_row(&deployment.guard),
            deployment.guard.total(),
        ),
        (
            "BindGuard, the governor's part".into(),
            round_row(&Gas {
                sub: SubCalls::default(),
                ..deployment.bind
            }),
            deployment.bind.own_total(),
        ),
        (
            "BindGuard: the guard's InstallModel (the incumbent's blob)".into(),
            sub_row(&deployment.bind.sub),
            deployment.bind.sub.total(),
        ),
        (
            "BindGuard in all".into(),
            format!("- | - | - | - | {}", deployment.bind.total()),
            deployment.bind.total(),
        ),
        (
            format!(
                "AddTestSamples (250 rows, an envelope install on the guard; {} messages, {load_total} in all)",
                round.loading.len()
            ),
            round_row(&round.loading[0]),
            round.loading[0].total(),
        ),
        (
            "CommitProposal (bond, rules recorded)".into(),
            round_row(&round.accepted.commit),
            round.accepted.commit.total(),
        ),
        (
            format!("RevealProposal, accepted: pending ({EVAL_ROWS} rows x 2 models)"),
            round_row(&round.accepted.steps[0]),
            round.accepted.steps[0].total(),
        ),
        (
            "Activate, the governor's part".into(),
            round_row(&Gas {
                sub: SubCalls::default(),
                ..round.activate
            }),
            round.activate.own_total(),
        ),
        (
            "Activate: the guard's InstallModel (the new blob)".into(),
            sub_row(&round.activate.sub),
            round.activate.sub.total(),
        ),
        (
            "Activate in all".into(),
            format!("- | - | - | - | {}", round.activate.total()),
            round.activate.total(),
        ),
        (
            format!("RevealProposal, rejected ({EVAL_ROWS} rows x 2 models)"),
            round_row(&round.rejected.steps[0]),
            round.rejected.steps[0].total(),
        ),
        (
            "Score (query of the guard)".into(),
            round_row(&round.score),
            round.score.total(),
        ),
        (
            "Check (query of the guard)".into(),
            round_row(&round.check),
            round.check.total(),
        ),
    ];
    for (name, row, _) in &rows_table {
        let _ = writeln!(w, "| {name} | {row} |");
    }
    let _ = writeln!(
        w,
        "\nA guard install is a contract call inside the governor's transaction, charged as \
         wasmd charges an execute: the guard's lookup (its contract and code records, taken \
         at the sizes the `Check` bound assumes), its setup ({} unpinned; {} if the guard's \
         code is pinned), its storage and compute (the message's blob and envelope \
         deserialised, the writes).",
        wasmd.instance_cost, wasmd.instance_cost_pinned
    );
    let _ = writeln!(
        w,
        "\nStatuses: {} then {}. Evaluation: {} SDK gas in one transaction ({} iterator \
         steps); budget {EVAL_BUDGET}: {}.\n",
        round.accepted.status,
        round.rejected.status,
        round.accepted.max_step(),
        round.accepted.steps[0].kv.steps,
        if round.accepted.max_step() < EVAL_BUDGET {
            "met"
        } else {
            "MISSED"
        }
    );
    let chunked = rounds.get(1).map(|r| &r.accepted);
    if let Some(chunked) = chunked {
        let _ = writeln!(
            w,
            "Chunked, `eval_batch` = {}: {} transactions (RevealProposal + ContinueEvaluation, after a CommitProposal), \
             the largest {} SDK gas, {} in all ({}).\n",
            chunked.batch,
            chunked.steps.len(),
            chunked.max_step(),
            chunked.total(),
            chunked.status
        );
    }

    // --- PoIm round with the curator's hidden batch -------------------------
    step(&format!(
        "Proof-of-Improvement round with a hidden batch of {} rows",
        gas::HIDDEN_ROWS
    ));
    let curated = gas::curated_round(&mut chain, EVAL_ROWS, EVAL_ROWS as u32)?;
    let _ = writeln!(
        w,
        "## A round with the curator's hidden batch\n\n\
         The same {EVAL_ROWS} rows, the last {} held back as the curator's batch (two \
         chunks): the curator commits it, the proposal committed after it waits (queued) \
         until the last chunk's reveal merges it into the test set, then is evaluated on \
         all {EVAL_ROWS} rows and activated after its delay.\n",
        gas::HIDDEN_ROWS
    );
    let _ = writeln!(w, "| call | lookup | setup | storage | compute | SDK gas |");
    let _ = writeln!(w, "|---|---:|---:|---:|---:|---:|");
    let mut curated_rows: Vec<(String, &Gas)> = vec![
        (
            "CommitBatch (the curator: one hash per chunk)".into(),
            &curated.commit_batch,
        ),
        ("CommitProposal".into(), &curated.commit),
        (
            "RevealProposal (queued behind the batch)".into(),
            &curated.reveal,
        ),
    ];
    for (i, g) in curated.reveal_batch.iter().enumerate() {
        let last = i + 1 == curated.reveal_batch.len();
        curated_rows.push((
            format!(
                "RevealBatch, chunk {i}{}",
                if last {
                    " (merges the batch; the envelope moves: the guard's install included)"
                } else {
                    ""
                }
            ),
            g,
        ));
    }
    for (i, g) in curated.steps.iter().enumerate() {
        curated_rows.push((
            format!("ContinueEvaluation {} ({} rows)", i + 1, EVAL_ROWS),
            g,
        ));
    }
    curated_rows.push((
        "Activate (the guard's install included)".into(),
        &curated.activate,
    ));
    for (name, g) in &curated_rows {
        let _ = writeln!(w, "| {name} | {} |", round_row(g));
    }
    let _ = writeln!(
        w,
        "
Public rows before the batch: {}; decision: {}; the round in all: {} SDK gas.\n",
        curated.public_rows,
        curated.status,
        curated.total()
    );

    // --- Chart ---------------------------------------------------------------
    chart(&args.svg, &points)?;
    let _ = writeln!(w, "Chart: `{}`.", args.svg.display());
    print!("{out}");

    // --- JSON -----------------------------------------------------------------
    if let Some(path) = &args.json {
        let curated_json = json!({
            "hidden_rows": gas::HIDDEN_ROWS,
            "commit_batch_sdk_gas": curated.commit_batch.total(),
            "reveal_batch_sdk_gas": curated.reveal_batch.iter().map(Gas::total).collect::<Vec<_>>(),
            "evaluation_sdk_gas": curated.steps.iter().map(Gas::total).collect::<Vec<_>>(),
            "activate_sdk_gas": curated.activate.total(),
            "total_sdk_gas": curated.total(),
            "status": curated.status,
        });
        let value = json!({
            "ops_per_mac": ops_per_mac,
            "ops_per_mac_i16": ops_per_mac_i16_max,
            "ops_per_tree_step": ops_per_tree_step,
            "bound_over_measured_max": looseness_max,
            "bound_over_measured_min": looseness_min,
            "cosmwasm_units_bound_over_measured_max": units_max,
            "cosmwasm_units_bound_over_measured_min": units_min,
            "largest_mlp_params_in_query": largest_mlp_params,
            "largest_in_query": largest.iter().map(|(f, size, params, g)| json!({
                "family": f.name(), "size": size, "params": params, "sdk_gas": g.total(),
            })).collect::<Vec<_>>(),
            "poim_eval_1857_sdk_gas": round.accepted.max_step(),
            "poim_eval_1857_rejected_sdk_gas": round.rejected.max_step(),
            "poim_eval_1857_chunked": chunked.map(|c| json!({
                "eval_batch": c.batch,
                "transactions": c.steps.len(),
                "largest_transaction_sdk_gas": c.max_step(),
                "total_sdk_gas": c.total(),
            })),
            "calls": rows_table.iter().map(|(name, _, total)| json!({
                "call": name, "sdk_gas": total,
            })).collect::<Vec<_>>(),
            "curated_round": curated_json,
            "bind_guard_sdk_gas": round.deployment.bind.total(),
            "bind_guard_install_sdk_gas": round.deployment.bind.sub.total(),
            "activate_sdk_gas": round.activate.total(),
            "activate_governor_sdk_gas": round.activate.own_total(),
            "activate_guard_install_sdk_gas": round.activate.sub.total(),
            "mlp_inference_sdk_gas_above_setup": guarded.above_setup(),
            "observe_sdk_gas_above_setup": observed.observe.above_setup(),
            "observe_over_check_sdk_gas": observed.observe_over_check(),
            "observe_trip_sdk_gas_above_setup": observed.observe_trip.above_setup(),
            "observe_bound_sdk_gas_above_setup": observe_bound.above_setup(),
            "mlp_floor_sdk_gas": guarded.floor,
            "mlp_above_setup_over_floor": guarded.over_floor(),
            "mlp_inference_sdk_gas": guarded.check.total(),
            "gbdt_inference_sdk_gas_above_setup": guarded_gbdt.above_setup(),
            "gbdt_floor_sdk_gas": guarded_gbdt.floor,
            "gbdt_above_setup_over_floor": guarded_gbdt.over_floor(),
            "contract_bytes": artifacts.guard.len(),
            "guard_bytes": artifacts.guard.len(),
            "governor_bytes": artifacts.governor.len(),
            "per_inference": points.iter().map(|p| json!({
                "family": p.family.name(), "size": p.size, "params": p.params,
                "blob_bytes": p.blob_bytes, "wasm_ops": p.ops, "bound": p.bound,
                "cosmwasm_priced_units": p.cosmwasm_units,
                "setup": p.check.map(|g| g.setup), "storage": p.check.map(|g| g.storage),
                "compute": p.check.map(|g| g.compute), "sdk_gas": p.check.map(|g| g.total()),
            })).collect::<Vec<_>>(),
        });
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let text = serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
        step(&format!("wrote {}", path.display()));
    }
    step(&format!("done in {:.0}s", started.elapsed().as_secs_f64()));
    Ok(())
}

/// SDK gas above setup per `Check` against learned parameters, one line per
/// family, log-log.
fn chart(path: &Path, points: &[Point]) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let err = |e: &dyn std::fmt::Display| format!("chart {}: {e}", path.display());
    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let x_max = points.iter().map(|p| p.params).max().unwrap_or(10) as f64 * 1.5;
    let y_max = points
        .iter()
        .filter_map(|p| p.check.as_ref().map(Gas::above_setup))
        .max()
        .unwrap_or(10) as f64
        * 1.5;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Guarded inference (Check): SDK gas above setup vs parameters",
            ("sans-serif", 20),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d((4f64..x_max).log_scale(), (500f64..y_max).log_scale())
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("learned parameters (weights + biases, or tree nodes)")
        .y_desc("SDK gas above setup")
        .draw()
        .map_err(|e| err(&e))?;
    for (i, family) in Family::ALL.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let series: Vec<(f64, f64)> = points
            .iter()
            .filter(|p| p.family == *family)
            .filter_map(|p| Some((p.params as f64, p.check.as_ref()?.above_setup() as f64)))
            .collect();
        chart
            .draw_series(LineSeries::new(series.clone(), color.stroke_width(2)))
            .map_err(|e| err(&e))?
            .label(family.name())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color.stroke_width(2)));
        chart
            .draw_series(
                series
                    .into_iter()
                    .map(|p| Circle::new(p, 3, color.filled())),
            )
            .map_err(|e| err(&e))?;
    }
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.9))
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}
