//! The guard protecting another contract: the example vault
//! (`examples/vault`, the crate the localnet suite uploads as wasm) asks
//! `Check` before every withdrawal, through the api's typed helper,
//! `GuardContract`.
use cosmwasm_std::{coins, Addr, Uint128};
use cw_multi_test::{ContractWrapper, Executor};
use vigil_example_vault::contract::{execute, instantiate, query};
use vigil_example_vault::msg::{
    ConfigResponse, ExecuteMsg as VaultExec, InstantiateMsg, QueryMsg as VaultQuery,
};
use vigil_guard::msg::{ConfigUpdate, ExecuteMsg, PausedCheck};

use crate::common::*;

const VAULT_FUNDS: u128 = 50_000;

fn setup() -> (Suite, Addr) {
    setup_with(false)
}

fn setup_with(deny_out_of_envelope: bool) -> (Suite, Addr) {
    let mut s = Suite::with_model(&cut(7), 0);
    let code = s
        .app
        .store_code(Box::new(ContractWrapper::new(execute, instantiate, query)));
    let admin = s.admin.clone();
    let vault = s
        .app
        .instantiate_contract(
            code,
            admin,
            &InstantiateMsg {
                guard: Some(s.guard.to_string()),
                denom: DENOM.to_string(),
                deny_out_of_envelope,
                observe: false,
            },
            &coins(VAULT_FUNDS, DENOM),
            "vault",
            None,
        )
        .unwrap();
    (s, vault)
}

fn withdraw(s: &mut Suite, vault: &Addr, amount: u128, features: &[&str]) -> Result<(), String> {
    let alice = s.alice.clone();
    s.app
        .execute_contract(
            alice,
            vault.clone(),
            &VaultExec::Withdraw {
                amount: Uint128::new(amount),
                features: strings(features),
            },
            &[],
        )
        .map(|_| ())
        .map_err(|e| format!("{e:#}"))
}

#[test]
fn vault_asks_the_guard() {
    let (mut s, vault) = setup();
    let alice = s.alice.clone();
    // a normal withdrawal passes
    withdraw(&mut s, &vault, 1_000, &["3", "-1"]).unwrap();
    assert_eq!(s.balance(&alice), START + 1_000);
    assert_eq!(s.balance(&vault), VAULT_FUNDS - 1_000);
    // one the model flags is refused, and nothing moves
    let err = withdraw(&mut s, &vault, 1_000, &["9", "1"]).unwrap_err();
    assert!(err.contains("withdrawal refused by the guard"), "{err}");
    assert_eq!(s.balance(&alice), START + 1_000);
    assert_eq!(s.balance(&vault), VAULT_FUNDS - 1_000);
    // bad input to the guard fails the withdrawal
    let err = withdraw(&mut s, &vault, 1_000, &["nan", "1"]).unwrap_err();
    assert!(err.contains("not a finite number"), "{err}");
    assert_eq!(s.balance(&vault), VAULT_FUNDS - 1_000);
}

#[test]
fn vault_with_a_paused_guard() {
    let (mut s, vault) = setup();
    let alice = s.alice.clone();
    let normal = ["3", "-1"];
    let flagged = ["9", "1"];
    let mut paid = 0;
    s.admin_exec(&ExecuteMsg::Pause {});

    // fail open: everything passes, even what the model would flag
    s.admin_exec(&ExecuteMsg::UpdateConfig(ConfigUpdate {
        paused_check: Some(PausedCheck::Allow),
        ..Default::default()
    }));
    withdraw(&mut s, &vault, 100, &normal).unwrap();
    withdraw(&mut s, &vault, 100, &flagged).unwrap();
    paid += 200;
    assert_eq!(s.balance(&alice), START + paid);

    // fail closed: everything is refused
    s.admin_exec(&ExecuteMsg::UpdateConfig(ConfigUpdate {
        paused_check: Some(PausedCheck::Deny),
        ..Default::default()
    }));
    for tx in [&normal, &flagged] {
        let err = withdraw(&mut s, &vault, 100, tx).unwrap_err();
        assert!(err.contains("withdrawal refused by the guard"), "{err}");
    }
    assert_eq!(s.balance(&alice), START + paid);

    // error: the query fails, so the withdrawal fails
    s.admin_exec(&ExecuteMsg::UpdateConfig(ConfigUpdate {
        paused_check: Some(PausedCheck::Error),
        ..Default::default()
    }));
    for tx in [&normal, &flagged] {
        let err = withdraw(&mut s, &vault, 100, tx).unwrap_err();
        assert!(err.contains("the guard is paused"), "{err}");
    }
    assert_eq!(s.balance(&alice), START + paid);

    // unpaused: the model decides again
    s.admin_exec(&ExecuteMsg::Unpause {});
    withdraw(&mut s, &vault, 100, &normal).unwrap();
    paid += 100;
    assert!(withdraw(&mut s, &vault, 100, &flagged).is_err());
    assert_eq!(s.balance(&alice), START + paid);
    assert_eq!(s.balance(&vault), VAULT_FUNDS - paid);
}

#[test]
fn vault_follows_model_upgrades() {
    let (mut s, vault) = setup();
    let bob = s.bob.clone();
    // cut(7) flags x0 = 8 even with a benign x1; the perfect model does not
    assert!(withdraw(&mut s, &vault, 10, &["8", "-1"]).is_err());
    s.propose_and_decide(&bob, &blob(&perfect()), 1_000);
    withdraw(&mut s, &vault, 10, &["8", "-1"]).unwrap();
    assert!(withdraw(&mut s, &vault, 10, &["1", "2"]).is_err());
    // rollback restores the old behaviour
    s.admin_exec(&ExecuteMsg::Rollback { version: 1 });
    assert!(withdraw(&mut s, &vault, 10, &["8", "-1"]).is_err());
    withdraw(&mut s, &vault, 10, &["1", "2"]).unwrap();
}

fn set_guard(
    s: &mut Suite,
    sender: &Addr,
    vault: &Addr,
    guard: Option<String>,
) -> Result<(), String> {
    s.app
        .execute_contract(
            sender.clone(),
            vault.clone(),
            &VaultExec::SetGuard { guard },
            &[],
        )
        .map(|_| ())
        .map_err(|e| format!("{e:#}"))
}

#[test]
fn only_the_owner_can_switch_the_guard_off() {
    let (mut s, vault) = setup();
    let alice = s.alice.clone();
    let admin = s.admin.clone();
    // the attacker: switching the guard off, then withdrawing what it flags
    let err = set_guard(&mut s, &alice, &vault, None).unwrap_err();
    assert!(err.contains("unauthorized"), "{err}");
    let err = withdraw(&mut s, &vault, 1_000, &["9", "1"]).unwrap_err();
    assert!(err.contains("withdrawal refused by the guard"), "{err}");
    assert_eq!(s.balance(&alice), START);
    // the owner (the instantiating account) can, and then nothing is asked
    set_guard(&mut s, &admin, &vault, None).unwrap();
    let config: ConfigResponse = s
        .app
        .wrap()
        .query_wasm_smart(&vault, &VaultQuery::Config {})
        .unwrap();
    assert_eq!(config.guard, None);
    assert_eq!(config.owner, admin);
    withdraw(&mut s, &vault, 1_000, &["9", "1"]).unwrap();
    assert_eq!(s.balance(&alice), START + 1_000);
    // and on again
    let guard = s.guard.to_string();
    set_guard(&mut s, &admin, &vault, Some(guard)).unwrap();
    assert!(withdraw(&mut s, &vault, 1_000, &["9", "1"]).is_err());
    // a zero withdrawal is a typed error, even unguarded
    let err = withdraw(&mut s, &vault, 0, &["3", "-1"]).unwrap_err();
    assert!(err.contains("nothing to withdraw"), "{err}");
}

#[test]
fn a_strict_vault_denies_inputs_outside_the_data_envelope() {
    // x0 = -50 is far below the test set's x0 (1..=12): the guard clamps it
    // to the envelope's 0.45, where cut(7) allows.
    let outside = ["-50", "-1"];
    let (mut lenient, vault) = setup_with(false);
    withdraw(&mut lenient, &vault, 10, &outside).unwrap();
    let check = lenient.check(&outside);
    assert!(check.allow && !check.in_envelope());
    assert_eq!(check.out_of_envelope_features, vec![0]);
    // A strict vault refuses it, and names the feature.
    let (mut strict, vault) = setup_with(true);
    let err = withdraw(&mut strict, &vault, 10, &outside).unwrap_err();
    assert!(
        err.contains("outside the guard's data envelope (features [0])"),
        "{err}"
    );
    assert_eq!(strict.balance(&vault), VAULT_FUNDS);
    // Inside the envelope it pays as usual.
    withdraw(&mut strict, &vault, 10, &["3", "-1"]).unwrap();
    assert_eq!(strict.balance(&vault), VAULT_FUNDS - 10);
}
