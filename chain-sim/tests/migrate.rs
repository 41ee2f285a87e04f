//! `Chain::migrate` on the released 0.1.0 guard
//! (`host-tests/fixtures/vigil_guard-0.1.0.wasm`): instantiated, then
//! migrated to itself (0.1's `migrate` accepts the same version as a
//! no-op), proving the mechanism (a second store of code, the `migrate`
//! export called over the instance's state, later calls on the new code)
//! with the state surviving. Also: a migration the contract refuses
//! changes nothing.
use std::path::{Path, PathBuf};

use cosmwasm_std_2::{Decimal, Uint128};
use vigil_chain_sim::{artifact, Chain, WasmdGas};
use vigil_guard_api::msg::{
    InstantiateMsg, Margins, MigrateMsg, PausedCheck, QueryMsg, RewardRule,
};

const LIMIT: u64 = 100_000_000;

fn fixture() -> Vec<u8> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../host-tests/fixtures/vigil_guard-0.1.0.wasm");
    let wasm = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // The fixture is the released file: its recorded checksum.
    let recorded = std::fs::read_to_string(path.with_extension("wasm.sha256")).unwrap();
    assert_eq!(
        recorded.split_whitespace().next(),
        Some(artifact::sha256_hex(&wasm).as_str())
    );
    wasm
}

fn cache(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("chain-sim-{name}"))
}

fn init() -> InstantiateMsg {
    InstantiateMsg {
        admin: None,
        n_features: 3,
        bond_denom: "uvigil".into(),
        min_bond: Uint128::new(1_000),
        margins: Margins::default(),
        reward: RewardRule::None,
        max_inference_ops: 1_000_000,
        max_check_gas: 100_000,
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
        initial_model: None,
        initial_test_set: Vec::new(),
    }
}

#[test]
fn the_0_1_guard_migrates_to_itself_and_keeps_its_state() {
    let wasm = fixture();
    let mut chain = Chain::new(&wasm, &cache("migrate-self"), WasmdGas::DEFAULT).unwrap();
    let admin = chain.addr("admin");
    chain
        .instantiate(&admin, &[], &init(), LIMIT)
        .expect("instantiate");
    // The 0.1 answer, as JSON (it predates the settings 0.2 added, e.g.
    // max_check_gas, so it is no 0.2 ConfigResponse).
    let before: serde_json::Value = chain.query(&QueryMsg::Config {}).parse().unwrap();
    assert_eq!(before["eval_batch"], 17);
    assert_eq!(before["admin"], admin.as_str());
    let records_before = chain.storage().records().clone();
    let checksum = chain.checksum();

    let outcome = chain.migrate(&wasm, &MigrateMsg {}, LIMIT);
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
    assert_eq!(outcome.attribute("action").as_deref(), Some("migrate"));
    assert_eq!(outcome.attribute("from_version").as_deref(), Some("0.1.0"));
    assert_eq!(outcome.attribute("to_version").as_deref(), Some("0.1.0"));
    // A real call: setup charged, the cw2 record read and rewritten.
    assert_eq!(outcome.gas.setup, WasmdGas::DEFAULT.instance_cost);
    assert!(outcome.gas.kv.reads >= 1 && outcome.gas.kv.writes >= 1);
    assert!(outcome.gas.compute > 0);
    assert_eq!(chain.checksum(), checksum);

    // The state survives: the same records, the same configuration.
    assert_eq!(chain.storage().records(), &records_before);
    let after: serde_json::Value = chain.query(&QueryMsg::Config {}).parse().unwrap();
    assert_eq!(after, before);
}

#[test]
fn a_refused_migration_changes_nothing() {
    let wasm = fixture();
    let mut chain = Chain::new(&wasm, &cache("migrate-refused"), WasmdGas::DEFAULT).unwrap();
    let admin = chain.addr("admin");
    chain
        .instantiate(&admin, &[], &init(), LIMIT)
        .expect("instantiate");
    let records = chain.storage().records().clone();
    let checksum = chain.checksum();
    // Not wasm: refused when stored, before any call.
    let refused = chain.migrate(b"not wasm", &MigrateMsg {}, LIMIT);
    assert!(refused.result.unwrap_err().contains("rejects the new code"));
    // A message the contract's `migrate` cannot parse (a number, not an
    // object): refused by the contract; the state and the code stay.
    let refused = chain.migrate(&wasm, &42, LIMIT);
    assert!(refused.result.is_err(), "{:?}", refused.result);
    assert!(refused.gas.setup > 0);
    assert_eq!(chain.storage().records(), &records);
    assert_eq!(chain.checksum(), checksum);
    // Out of gas in setup.
    let starved = chain.migrate(&wasm, &MigrateMsg {}, 10);
    assert!(vigil_chain_sim::is_out_of_gas(&starved.result.unwrap_err()));
    assert_eq!(chain.storage().records(), &records);
    let config: serde_json::Value = chain.query(&QueryMsg::Config {}).parse().unwrap();
    assert_eq!(config["eval_batch"], 17);
}
