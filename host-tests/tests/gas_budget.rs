//! Gas budgets of the shipped contracts, asserted (gas counts are
//! deterministic, so these are exact checks, not timings). Run on the exact
//! artifacts (`artifacts/vigil_guard.wasm` answering `Check`, its model
//! installed by `artifacts/vigil_governor.wasm`; built if missing or
//! stale) in cosmwasm-vm with wasmd's gas (`vigil_chain_sim`). The figures
//! are reported by `cargo run --release -p host-tests --bin gas-report`.
//!
//! * a guarded inference (`Check`) of the eth-fraud-shaped MLP, and of the
//!   eth-fraud-shaped GBDT (100 trees of depth 3), behind a data envelope,
//!   costs at most 1.10 x its floor above setup (one read of the model, one
//!   of the envelope, and the core's own compute): message parsing, the
//!   clamp and the answer add little;
//! * an MLP of 500,000 parameters or more runs in one smart query
//!   (3,000,000 SDK gas); its blob is larger than one storage record may
//!   be, so this also proves the chunked storage on the real VM;
//! * evaluating a candidate against the incumbent on a 1,857-row test set
//!   (eth-fraud's public test set size) fits one transaction under
//!   30,000,000 SDK gas.

use std::path::Path;
use std::sync::OnceLock;

use vigil_chain_sim::split::GUARD;
use vigil_chain_sim::{Chain, WasmdGas};
use vigil_guard_api::msg::{ModelBlobResponse, QueryMsg};
use vigil_host_tests::fuel::{Meter, Runner};
use vigil_host_tests::gas::{self, Family};
use vigil_host_tests::models;
use vigil_host_tests::shim::{build_shim, nested_target_dir};
use vigil_host_tests::Artifacts;
use vigil_inference_core::cost::Cost;
use vigil_inference_core::Model;

fn artifacts() -> &'static Artifacts {
    static WASM: OnceLock<Artifacts> = OnceLock::new();
    WASM.get_or_init(|| {
        let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("contract-wasm");
        Artifacts::load(&target_dir).unwrap_or_else(|e| panic!("{e}"))
    })
}

fn chain(name: &str) -> Chain {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("gas-budget-{name}"));
    artifacts().chain(&dir).expect("the chain stores the codes")
}

/// Runners of the shim: wasmtime's default fuel, and cosmwasm-vm's prices.
fn runners() -> (Runner, Runner) {
    static SHIM: OnceLock<Vec<u8>> = OnceLock::new();
    let wasm = SHIM.get_or_init(|| {
        let dir = nested_target_dir(env!("CARGO_TARGET_TMPDIR"), "host-tests-wasm");
        build_shim(&dir, &[]).unwrap_or_else(|e| panic!("{e}"))
    });
    let plain = Meter::new(wasm).expect("wasmtime compiles the shim");
    let priced = Meter::with_operator_cost(wasm, gas::cosmwasm_operator_cost())
        .expect("wasmtime compiles the shim");
    (
        plain.runner().expect("instantiate the shim"),
        priced.runner().expect("instantiate the shim"),
    )
}

#[test]
fn eth_fraud_checks_are_within_ten_percent_of_their_floor() {
    let mut chain = chain("floor");
    let (mut plain, mut priced) = runners();
    let mlp = gas::guarded_inference(&mut plain, &mut priced, &mut chain)
        .unwrap_or_else(|e| panic!("{e}"));
    let (model, options) = gas::eth_fraud_gbdt(1);
    let gbdt = gas::guarded_inference_of(&mut plain, &mut priced, &mut chain, &model, &options)
        .unwrap_or_else(|e| panic!("{e}"));
    for (name, g) in [("MLP 38-32-16-1", mlp), ("GBDT 100x3", gbdt)] {
        eprintln!(
            "{name} ({} blob bytes, envelope {} bytes): Check {:?}; above setup {} vs floor {} ({:.3}x)",
            g.blob_bytes,
            g.envelope_bytes,
            g.check,
            g.above_setup(),
            g.floor,
            g.over_floor()
        );
        assert_eq!(
            g.check.kv.reads, 2,
            "{name}: Check reads two records, the model and the data envelope"
        );
        assert_eq!(
            gas::ENVELOPE_KEY,
            vigil_guard::state::envelope::ENVELOPE_KEY
        );
        assert!(
            g.above_setup() * 100 <= g.floor * 110,
            "{name}: Check costs {} SDK gas above setup, over 1.10 x the floor {}",
            g.above_setup(),
            g.floor
        );
    }
}

/// A metadata section (feature names, labels, units) adds to `Check` only
/// the read of its bytes (3 SDK gas per byte) and the frame check
/// (`metadata::FRAME_COST`): `parse_without_checksum` never reads its text.
#[test]
fn eth_fraud_check_with_metadata_pays_only_its_bytes() {
    use vigil_inference_core::spec::{FeatureMeta, MetadataSpec};
    let mut chain = chain("metadata");
    let (mut plain, mut priced) = runners();
    let (mlp, mlp_options) = gas::eth_fraud_mlp(1);
    let (gbdt, gbdt_options) = gas::eth_fraud_gbdt(1);
    for (name, model, options) in [
        ("MLP 38-32-16-1", &mlp, &mlp_options),
        ("GBDT 100x3", &gbdt, &gbdt_options),
    ] {
        let meta = MetadataSpec {
            features: (0..model.features.len())
                .map(|i| FeatureMeta {
                    name: format!("erc20_feature_number_{i:02}"),
                    label: Some(format!("ERC-20 feature number {i}")),
                    unit: Some("ETH".into()),
                })
                .collect(),
        };
        let spec = model.quantize(options);
        let without = spec.to_bytes().unwrap();
        let with = spec.to_bytes_with_metadata(Some(&meta)).unwrap();
        let extra = (with.len() - without.len()) as u64;
        let g0 =
            gas::guarded_inference_of_blob(&mut plain, &mut priced, &mut chain, model, without)
                .unwrap_or_else(|e| panic!("{e}"));
        let g1 = gas::guarded_inference_of_blob(&mut plain, &mut priced, &mut chain, model, with)
            .unwrap_or_else(|e| panic!("{e}"));
        let (c0, c1) = (g0.check.total(), g1.check.total());
        eprintln!(
            "{name}: Check without metadata {c0} SDK gas ({} bytes), with {c1} ({} bytes, +{extra}): \
             +{} gas = {:.2} per added byte; storage +{}, compute +{}",
            g0.blob_bytes,
            g1.blob_bytes,
            c1 - c0,
            (c1 - c0) as f64 / extra as f64,
            g1.check.storage - g0.check.storage,
            g1.check.compute as i64 - g0.check.compute as i64,
        );
        assert_eq!(g1.check.storage - g0.check.storage, 3 * extra, "{name}");
        // Beyond the read: the frame check and copying the bytes into the
        // contract's memory, under 1% of the Check.
        let beyond = (c1 - c0) - 3 * extra;
        assert!(
            beyond * 100 <= c0,
            "{name}: {beyond} SDK gas beyond the bytes' read cost (Check {c0})"
        );
    }
}

#[test]
fn an_mlp_of_half_a_million_parameters_runs_in_one_query() {
    let mut chain = chain("large");
    let width = 700;
    let (model, _) = Family::Mlp.model(width);
    let params = gas::parameters(&model);
    assert!(
        params >= 500_000,
        "64-{width}-{width}-1 has {params} parameters"
    );
    let g = gas::fits_query(&mut chain, Family::Mlp, width)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("MLP 64-{width}-{width}-1 ({params} params) runs out of gas"));
    eprintln!("MLP 64-{width}-{width}-1 ({params} params): Check {g:?}");
    assert!(g.total() <= WasmdGas::DEFAULT.query_limit);
    assert!(
        g.kv.reads >= 2,
        "a blob above 128 KiB is stored in several records ({} read)",
        g.kv.reads
    );
    // A client fetches that blob through the guard's API, chunk by
    // chunk, each a smart query within wasmd's limit reading one record.
    let first: ModelBlobResponse = chain
        .query_on(
            GUARD,
            &QueryMsg::ModelBlob {
                version: None,
                chunk: None,
            },
        )
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(first.chunks >= 2, "{} chunks", first.chunks);
    let mut blob = Vec::with_capacity(first.size as usize);
    for chunk in 0..first.chunks {
        let outcome = chain.query_on(
            GUARD,
            &QueryMsg::ModelBlob {
                version: Some(first.version),
                chunk: Some(chunk),
            },
        );
        let gas = outcome.gas;
        let part: ModelBlobResponse = outcome.parse().unwrap_or_else(|e| panic!("{e}"));
        eprintln!(
            "ModelBlob chunk {chunk} of {}: {} bytes, {gas:?}",
            part.chunks,
            part.data.len()
        );
        // One record of the blob, plus the version and the model's info.
        assert!(
            gas.kv.reads <= 3 && (gas.kv.read_bytes as usize) < part.data.len() + 1_024,
            "a chunk reads one record of the blob: {:?}",
            gas.kv
        );
        assert!(gas.total() <= WasmdGas::DEFAULT.query_limit);
        assert_eq!((part.chunk, &part.hash), (chunk, &first.hash));
        blob.extend_from_slice(part.data.as_slice());
    }
    assert_eq!(blob.len(), first.size as usize);
    let model = Model::parse(&blob).expect("the reassembled blob parses, checksum verified");
    let checksum: String = model
        .checksum()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(checksum, first.hash);
}

#[test]
fn evaluating_a_candidate_on_1857_rows_fits_one_transaction() {
    let mut chain = chain("eval");
    let round = gas::poim_round(&mut chain, 1_857, 1_857).unwrap_or_else(|e| panic!("{e}"));
    // Accepted, then pending for the activation delay; its Activate sends
    // the guard the new model (one sub-call) within one transaction too.
    for (e, expected) in [(&round.accepted, "pending"), (&round.rejected, "rejected")] {
        eprintln!(
            "PoIm on 1,857 rows, one shot, {}: {:?} ({} transactions)",
            e.status,
            e.steps[0],
            e.steps.len(),
        );
        assert_eq!(e.status, expected);
        assert_eq!(
            e.steps.len(),
            1,
            "eval_batch 1,857 decides in one transaction"
        );
        assert_eq!(e.steps[0].kv.steps, 1_857, "every row is read once");
        assert!(
            e.max_step() < 30_000_000,
            "the evaluation costs {} SDK gas",
            e.max_step()
        );
    }
    let activate = round.activate;
    eprintln!("Activate: {activate:?}");
    assert_eq!(activate.sub.calls, 1, "Activate installs on the guard");
    assert!(activate.sub.kv.writes >= 4 && activate.total() < 30_000_000);
    assert_eq!(round.deployment.bind.sub.calls, 1);
}

#[test]
fn a_round_with_the_curators_hidden_batch_fits_the_transaction_budget() {
    let mut chain = chain("curated");
    let round = gas::curated_round(&mut chain, 1_857, 1_857).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("{round:?}");
    // Judged on the public rows plus the batch, accepted, then activated.
    assert_eq!(round.public_rows, 1_857 - gas::HIDDEN_ROWS);
    assert_eq!(round.status, "pending");
    assert_eq!(round.reveal_batch.len(), 2);
    assert_eq!(round.steps.len(), 1, "eval_batch 1,857 decides in one step");
    assert_eq!(
        round.steps[0].kv.steps, 1_857,
        "the batch's rows are judged too"
    );
    // The merge moves the data envelope: the guard is told in that
    // transaction; the activation installs the model.
    assert_eq!(round.reveal_batch[1].sub.calls, 1);
    assert_eq!(round.activate.sub.calls, 1);
    for g in [
        &round.commit_batch,
        &round.commit,
        &round.reveal,
        &round.activate,
    ]
    .into_iter()
    .chain(&round.reveal_batch)
    .chain(&round.steps)
    {
        assert!(g.total() < 30_000_000, "{g:?}");
    }
}

/// The core's `Cost::cosmwasm_units` in SDK gas (`WasmdGas`) is an upper
/// bound on what cosmwasm-vm charges for the core's parse and inference:
/// the core priced as cosmwasm-vm
/// prices it (wasmtime fuel with `gas::cosmwasm_operator_cost`), worst
/// input, never exceeds it, for every family at several sizes and the
/// eth-fraud-shaped MLP.
#[test]
fn the_compute_estimate_covers_cosmwasm_pricing() {
    let (_, mut priced) = runners();
    let mut cases: Vec<(String, _)> = Vec::new();
    for family in Family::ALL {
        for &size in &family.sizes()[..3] {
            cases.push((format!("{} {size}", family.name()), family.model(size)));
        }
    }
    cases.push(("eth-fraud MLP".into(), gas::eth_fraud_mlp(1)));
    for (name, (model, options)) in cases {
        let blob = models::blob(&model, &options);
        let cost = Cost::of(&Model::parse(&blob).expect("valid blob"));
        let units = gas::measure_ops(&mut priced, &model, &blob).unwrap_or_else(|e| panic!("{e}"));
        let g = WasmdGas::DEFAULT;
        let sdk = |units: u64| g.sdk_gas_ceil(u128::from(units) * u128::from(g.vm_gas_per_op));
        let (charged, estimate) = (sdk(units), sdk(cost.cosmwasm_units));
        eprintln!("{name}: cosmwasm-priced {units} units = {charged} SDK gas; estimate {estimate}");
        assert!(
            charged <= estimate,
            "{name}: cosmwasm-vm would charge {charged} SDK gas of compute, over the estimate {estimate}"
        );
    }
}

/// An observed action (`Observe` from a protected contract: its kind's
/// baseline and its breaker read and written, the derived features, the
/// verdict) against a plain `Check` of the same model and features: what
/// it adds is three reads and two writes of small records and their
/// arithmetic, within the bound `vigil_guard::gas::observe_gas` quotes
/// before the call.
#[test]
fn an_observed_action_costs_a_check_and_its_records_within_its_bound() {
    let mut chain = chain("observe");
    let (model, options) = gas::eth_fraud_mlp(1);
    let blob = models::blob(&model, &options);
    let o = gas::observed_action(&mut chain, &model, &blob).unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "Check {:?}\nVerdict {:?}\nObserve {:?}\nObserve (trip) {:?}\nObserve above setup {} = Check {} + {}",
        o.check,
        o.verdict,
        o.observe,
        o.observe_trip,
        o.observe.above_setup(),
        o.check.above_setup(),
        o.observe_over_check()
    );
    assert_eq!(o.check.kv.reads, 2, "Check: the model and the envelope");
    assert_eq!(
        o.observe.kv.reads, 5,
        "Observe: Check's two, the protected contract's settings, its kind's baseline, its breaker"
    );
    assert_eq!(
        o.observe.kv.writes, 2,
        "Observe: the baseline and the breaker"
    );
    // The bound the guard quotes (its `Protected` answer) is the
    // contract's function of the stored model.
    let bound = vigil_guard::gas::observe_gas_bound(
        &Model::parse(&blob).unwrap().cost(),
        model.features.len(),
    );
    assert_eq!(o.quoted, bound);
    for (name, g) in [("Observe", &o.observe), ("Observe (trip)", &o.observe_trip)] {
        eprintln!(
            "{name}: {} above setup, bound {}",
            g.above_setup(),
            bound.above_setup()
        );
        assert!(
            g.above_setup() <= bound.above_setup(),
            "{name}: {} SDK gas above setup, over its bound {}",
            g.above_setup(),
            bound.above_setup()
        );
    }
}
