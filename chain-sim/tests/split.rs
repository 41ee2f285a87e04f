//! The guard and its governor on one simulated chain, from the shipped
//! artifacts (`artifacts/vigil_guard.wasm`, `artifacts/vigil_governor.wasm`,
//! built if missing or stale): deployed as a chain deploys them, the
//! governor's `InstallModel` run on the guard in the same transaction with
//! the governor as sender and its gas reported apart and in the total; a
//! guard refusing the install reverts the governor's writes too.
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use cosmwasm_std_2::{Decimal, Uint128};
use vigil_chain_sim::split::{self, GOVERNOR, GUARD};
use vigil_chain_sim::{artifact, Chain, SimGuard, WasmdGas, SUB_CALL_LOOKUP_BYTES};
use vigil_guard_api::guard_msg::{GuardConfigResponse, GuardQueryMsg};
use vigil_guard_api::msg::{
    CheckResponse, ConfigResponse, ExecuteMsg, InstantiateMsg, Margins, PausedCheck, QueryMsg,
    RewardRule, TestSample,
};
use vigil_inference_core::float::QuantizeOptions;
use vigil_inference_core::float::{FloatBody, FloatFeature, FloatLayer, FloatModel};
use vigil_inference_core::format::Activation;

const LIMIT: u64 = 100_000_000;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("chain-sim lives in the workspace")
        .to_path_buf()
}

/// (governor, guard) artifacts, built first if missing or stale.
fn artifacts() -> &'static (Vec<u8>, Vec<u8>) {
    static WASM: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    WASM.get_or_init(|| {
        let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("contract-wasm");
        let guard = artifact::load(&root(), &target_dir).unwrap_or_else(|e| panic!("{e}"));
        let governor =
            artifact::load_governor(&root(), &target_dir).unwrap_or_else(|e| panic!("{e}"));
        (governor, guard)
    })
}

fn chain(name: &str) -> Chain {
    let (governor, guard) = artifacts();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("chain-sim-split-{name}"));
    split::chain(governor, guard, &dir, WasmdGas::DEFAULT).expect("the chain stores both codes")
}

fn blob(weights: &[f64], bias: f64) -> Vec<u8> {
    FloatModel {
        threshold: 0.5,
        features: vec![FloatFeature::IDENTITY; weights.len()],
        body: FloatBody::Linear(FloatLayer {
            weights: weights.to_vec(),
            biases: vec![bias],
            activation: Activation::Sigmoid,
        }),
    }
    .quantize(&QuantizeOptions::default())
    .to_bytes()
    .unwrap()
}

fn init(model: Option<Vec<u8>>) -> InstantiateMsg {
    InstantiateMsg {
        admin: None,
        n_features: 2,
        bond_denom: "uvigil".into(),
        min_bond: Uint128::new(1_000),
        margins: Margins::default(),
        reward: RewardRule::None,
        max_inference_ops: 1_000_000,
        max_check_gas: 200_000,
        deny_threshold: Some(Decimal::percent(70)),
        paused_check: PausedCheck::Deny,
        max_class_ratio: Decimal::percent(300),
        eval_batch: 17,
        stall_blocks: vigil_guard_api::settings::DEFAULT_STALL_BLOCKS,
        stall_fee: vigil_guard_api::settings::DEFAULT_STALL_FEE,
        envelope_margin: vigil_guard_api::settings::default_envelope_margin(),
        reveal_delay: vigil_guard_api::settings::DEFAULT_REVEAL_DELAY,
        activation_delay: 0,
        guardian: None,
        governance_delay: 0,
        curator: None,
        initial_model: model.map(Into::into),
        initial_test_set: Vec::new(),
    }
}

#[test]
fn deploy_binds_and_installs_the_active_model_on_the_guard() {
    let mut chain = chain("deploy");
    let admin = chain.addr("admin");
    let deployed = split::deploy(
        &mut chain,
        &admin,
        &[],
        &init(Some(blob(&[2.0, 0.0], -14.0))),
        LIMIT,
    )
    .expect("deploy");
    // BindGuard sent one InstallModel, charged as a node charges an
    // execute: lookup of the guard, its setup, storage and compute.
    let g = deployed.bind;
    eprintln!("BindGuard: {g:?}");
    assert_eq!(g.sub.calls, 1);
    let wasmd = WasmdGas::DEFAULT;
    assert_eq!(
        g.sub.lookup,
        wasmd.contract_lookup(SUB_CALL_LOOKUP_BYTES.0, SUB_CALL_LOOKUP_BYTES.1)
    );
    assert_eq!(g.sub.setup, wasmd.instance_cost);
    assert!(g.sub.storage > 0 && g.sub.compute > 0 && g.sub.kv.writes >= 4);
    assert_eq!(g.total(), g.own_total() + g.sub.total());
    // The transaction's own call is not looked up (no sizes set).
    assert_eq!(g.lookup, 0);
    assert_eq!(
        (deployed.governor.sub.calls, deployed.guard.sub.calls),
        (0, 0)
    );

    // The guard names the governor and answers Check with the model;
    // the governor refuses Check (it is the guard's).
    let config: GuardConfigResponse = split::query_guard(&mut chain, &GuardQueryMsg::Config {})
        .parse()
        .unwrap();
    assert_eq!(config.governor, chain.address(GOVERNOR));
    assert_eq!((config.install_sequence, config.active_version), (1, 1));
    let check = QueryMsg::Check {
        features: vec!["9".into(), "0".into()],
    };
    let answer: CheckResponse = split::query_guard(&mut chain, &check).parse().unwrap();
    assert!(!answer.allow, "x0 = 9 is over the cut at 7: {answer:?}");
    let refused = chain.query_on(GOVERNOR, &check).result.unwrap_err();
    assert!(refused.contains("guard"), "{refused}");
    let governor: ConfigResponse = chain
        .query_on(GOVERNOR, &QueryMsg::Config {})
        .parse()
        .unwrap();
    assert_eq!(governor.guard.as_deref(), Some(chain.address(GUARD)));
}

#[test]
fn a_refused_bind_or_a_guard_call_out_of_gas_writes_nothing() {
    let mut chain = chain("refused");
    let admin = chain.addr("admin");
    let msg = init(Some(blob(&[2.0, 0.0], -14.0)));
    chain
        .instantiate_on(GOVERNOR, &admin, &[], &msg, LIMIT)
        .expect("governor");
    // A guard whose Check budget the model is over: the governor reads its
    // Config at BindGuard (the simulator answers that query) and refuses
    // to bind it, before any write and without calling it.
    let mut guard_msg = split::guard_instantiate_msg(&msg, chain.address(GOVERNOR));
    guard_msg.settings.max_check_gas = 1;
    chain
        .instantiate_on(GUARD, &admin, &[], &guard_msg, LIMIT)
        .expect("guard");
    let governor = chain.storage_of(GOVERNOR).records().clone();
    let guard = chain.storage_of(GUARD).records().clone();
    let height = chain.height();

    let outcome = split::bind(&mut chain, &admin, LIMIT);
    let error = outcome.result.unwrap_err();
    eprintln!("BindGuard refused: {error}; {:?}", outcome.gas);
    assert!(error.contains("cannot be bound: max_check_gas"), "{error}");
    assert_eq!(chain.storage_of(GOVERNOR).records(), &governor);
    assert_eq!(chain.storage_of(GUARD).records(), &guard);
    assert_eq!(outcome.gas.sub.calls, 0);
    assert_eq!(chain.height(), height + 1);
    let config: ConfigResponse = chain
        .query_on(GOVERNOR, &QueryMsg::Config {})
        .parse()
        .unwrap();
    assert_eq!(config.guard, None);

    // Out of gas inside the guard's call (the transaction's limit covers
    // the governor's own part, not the guard's setup): the transaction's
    // error, nothing written.
    let deploy = |chain: &mut Chain| {
        chain.reset();
        chain
            .instantiate_on(GOVERNOR, &admin, &[], &msg, LIMIT)
            .expect("governor");
        let guard_msg = split::guard_instantiate_msg(&msg, chain.address(GOVERNOR));
        chain
            .instantiate_on(GUARD, &admin, &[], &guard_msg, LIMIT)
            .expect("guard");
    };
    // What the governor's own part of a binding costs.
    deploy(&mut chain);
    let bound = split::bind(&mut chain, &admin, LIMIT);
    let own = bound.gas.own_total();
    bound.expect("bind");
    deploy(&mut chain);
    let governor = chain.storage_of(GOVERNOR).records().clone();
    let starved = split::bind(&mut chain, &admin, own + 10_000);
    let error = starved.result.unwrap_err();
    assert!(vigil_chain_sim::is_out_of_gas(&error), "{error}");
    assert_eq!(starved.gas.sub.calls, 1);
    assert_eq!(chain.storage_of(GOVERNOR).records(), &governor);
    // With enough gas the same binding succeeds.
    split::bind(&mut chain, &admin, LIMIT).expect("bind");
}

#[test]
fn sim_guard_routes_checks_to_the_guard_and_governance_to_the_governor() {
    let chain = chain("sim");
    let admin = chain.addr("admin");
    let (mut sim, deployed) = SimGuard::deploy(
        chain,
        &admin,
        &[],
        &init(Some(blob(&[2.0, 0.0], -14.0))),
        LIMIT,
    )
    .expect("deploy");
    assert_eq!(deployed.bind.sub.calls, 1);
    let (check, gas) = sim.check(&["1".into(), "0".into()]).unwrap();
    assert!(check.allow);
    assert_eq!(gas.kv.reads, 2, "the guard's Check reads its two records");
    assert_eq!(sim.config().unwrap().0.active_version, 1);
    let (guard, _) = sim.guard_config().unwrap();
    assert_eq!(guard.governor, sim.governor_address());
    assert_ne!(sim.guard_address(), sim.governor_address());
    // A test-set change moves the data envelope (no governance delay:
    // applied at once): the governor sends the guard an install.
    let samples = [("1", "-1", false), ("2", "1", true)]
        .map(|(x0, x1, label)| TestSample {
            features: vec![x0.into(), x1.into()],
            label,
        })
        .to_vec();
    let outcome = sim
        .execute(&admin, &[], &ExecuteMsg::AddTestSamples { samples })
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("AddTestSamples: {:?}", outcome.gas);
    assert_eq!(outcome.gas.sub.calls, 1, "the envelope moved: one install");
    let (guard, _) = sim.guard_config().unwrap();
    assert_eq!((guard.install_sequence, guard.active_version), (2, 1));
    // The guard now clamps into the envelope (x0 in 1..=2).
    let (check, _) = sim.check(&["9".into(), "0".into()]).unwrap();
    assert_eq!(check.out_of_envelope, 1, "{check:?}");
}

/// A replay puts the contracts at a node's addresses: a message to the
/// guard's new address reaches it; a refused address is reported.
#[test]
fn contracts_can_be_put_at_given_addresses() {
    let mut chain = chain("addresses");
    let governor = chain.addr("node-governor");
    let guard = chain.addr("node-guard");
    chain.set_addresses("cosmwasm", &governor);
    chain.set_address(GUARD, &guard).unwrap();
    assert_eq!(chain.address(GOVERNOR), governor);
    assert_eq!(chain.contract_at(&guard), Some(GUARD));
    assert!(chain.set_address(GUARD, &governor).is_err());
    let admin = chain.addr("admin");
    let deployed = split::deploy(
        &mut chain,
        &admin,
        &[],
        &init(Some(blob(&[2.0, 0.0], -14.0))),
        LIMIT,
    )
    .expect("deploy");
    assert_eq!(deployed.bind.sub.calls, 1);
    let config: GuardConfigResponse = split::query_guard(&mut chain, &GuardQueryMsg::Config {})
        .parse()
        .unwrap();
    assert_eq!(
        (config.governor, config.install_sequence),
        (governor.clone(), 1)
    );
    // The explicit address survives a change of prefix spelling.
    chain.set_addresses("cosmwasm", &governor);
    assert_eq!(chain.address(GUARD), guard);
}
