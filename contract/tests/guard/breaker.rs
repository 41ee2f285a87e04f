//! The guard's baselines and circuit breaker (`docs/breaker.md`): who may
//! observe, register, change and reset (the attacker's tests first), then
//! the breaker tripping inside the transaction that crosses a line.
use cosmwasm_std::{from_json, Addr, Decimal, Empty, Uint128};
use cw_multi_test::error::AnyResult;
use cw_multi_test::{App, AppResponse, Executor};
use vigil_guard::ContractError;
use vigil_guard_api::breaker::{
    Action, BreakerResponse, BreakerRule, BreakerStatus, DenialRule, DenyReason, Outcome,
    OutflowRule, ProtectedResponse, ProtectedSettings, Verdict, VerdictResponse,
};
use vigil_guard_api::guard_msg::{GuardExecuteMsg, GuardInstantiateMsg, GuardQueryMsg};
use vigil_guard_api::install::{InstallModel, OWN_THRESHOLD};
use vigil_guard_api::msg::PausedCheck;
use vigil_guard_api::Settings;
use vigil_inference_core::baseline::DERIVED_FEATURES;

use crate::common::*;

const CHANGE_DELAY: u64 = 50;
const TOTAL: u128 = 1_000_000;

struct Fx {
    app: App,
    guard: Addr,
    admin: Addr,
    vault: Addr,
    guardian: Addr,
    mallory: Addr,
}

/// Denies when the one base feature is at least 1 (derived features off).
fn base_model() -> Vec<u8> {
    blob(&logistic(&[8.0], -4.0))
}

/// Denies when the window's outflow share (derived feature 1) is at least
/// 5%: one base feature (weight 0) and the seven derived ones.
fn derived_model() -> Vec<u8> {
    let mut w = vec![0.0; 1 + DERIVED_FEATURES];
    w[2] = 100.0;
    blob(&logistic(&w, -5.0))
}

fn settings(guardian: &Addr) -> ProtectedSettings {
    ProtectedSettings {
        warmup_windows: 2,
        outflow_rule: Some(OutflowRule {
            share: Decimal::percent(10),
            response: BreakerResponse::Deny,
        }),
        denial_rule: Some(DenialRule {
            count: 3,
            response: BreakerResponse::Delay,
        }),
        score_rule: None,
        guardian: Some(guardian.to_string()),
        ..ProtectedSettings::with_kinds(vec!["withdraw".into(), "borrow".into()], "uatom")
    }
}

fn fixture(model: Vec<u8>, n_features: u16) -> Fx {
    fixture_with(model, n_features, PausedCheck::Error)
}

fn fixture_with(model: Vec<u8>, n_features: u16, paused_check: PausedCheck) -> Fx {
    let (mut app, admin, _alice, _bob) = new_app();
    let governor = app.api().addr_make("governor");
    let vault = app.api().addr_make("vault");
    let guardian = app.api().addr_make("guardian");
    let mallory = app.api().addr_make("mallory");
    let code = app.store_code(split_guard_contract());
    let mut s: Settings = base_msg().settings();
    s.n_features = n_features;
    s.paused_check = paused_check;
    let guard = app
        .instantiate_contract(
            code,
            admin.clone(),
            &GuardInstantiateMsg {
                admin: None,
                governor: governor.to_string(),
                settings: s,
                change_delay: Some(CHANGE_DELAY),
            },
            &[],
            "guard",
            None,
        )
        .unwrap();
    app.execute_contract(
        governor,
        guard.clone(),
        &GuardExecuteMsg::InstallModel(InstallModel {
            sequence: 1,
            version: 1,
            blob: Some(model.into()),
            threshold_bits: OWN_THRESHOLD,
            envelope: None,
        }),
        &[],
    )
    .unwrap();
    app.execute_contract(
        admin.clone(),
        guard.clone(),
        &GuardExecuteMsg::RegisterProtected {
            contract: vault.to_string(),
            settings: settings(&guardian),
        },
        &[],
    )
    .unwrap();
    Fx {
        app,
        guard,
        admin,
        vault,
        guardian,
        mallory,
    }
}

fn action(fx: &Fx, value: u128, features: &[&str]) -> Action {
    Action {
        kind: "withdraw".into(),
        value: Uint128::new(value),
        total_value: Uint128::new(TOTAL),
        price: None,
        caller: fx.app.api().addr_make("user").to_string(),
        features: strings(features),
    }
}

fn err(r: AnyResult<AppResponse>) -> ContractError {
    r.unwrap_err().downcast().unwrap()
}

impl Fx {
    fn exec(&mut self, sender: &Addr, msg: &GuardExecuteMsg) -> AnyResult<AppResponse> {
        self.app
            .execute_contract(sender.clone(), self.guard.clone(), msg, &[])
    }

    fn verdict(&self, a: &Action) -> VerdictResponse {
        self.app
            .wrap()
            .query_wasm_smart(
                &self.guard,
                &GuardQueryMsg::Verdict {
                    contract: self.vault.to_string(),
                    action: a.clone(),
                },
            )
            .unwrap()
    }

    fn protected(&self) -> ProtectedResponse {
        self.app
            .wrap()
            .query_wasm_smart(
                &self.guard,
                &GuardQueryMsg::Protected {
                    contract: self.vault.to_string(),
                },
            )
            .unwrap()
    }

    /// The vault's honest flow: ask, then do what the verdict says and
    /// report it. The verdict.
    fn act(&mut self, a: &Action) -> (Verdict, AppResponse) {
        let v = self.verdict(a).verdict;
        let outcome = match v {
            Verdict::Allow => Outcome::Paid,
            Verdict::Delay { .. } => Outcome::Parked,
            Verdict::Deny { .. } => Outcome::Refused,
        };
        let vault = self.vault.clone();
        let r = self
            .exec(
                &vault,
                &GuardExecuteMsg::Observe {
                    action: a.clone(),
                    outcome,
                },
            )
            .unwrap();
        let data: VerdictResponse = from_json(r.data.as_ref().unwrap()).unwrap();
        assert_eq!(data.verdict, v, "Observe judges as Verdict did");
        (v, r)
    }

    fn next_block(&mut self) {
        self.app.update_block(|b| b.height += 1);
    }
}

fn breaker_events(r: &AppResponse) -> Vec<(String, String)> {
    r.events
        .iter()
        .filter(|e| e.ty == "wasm-vigil_breaker")
        .map(|e| {
            (
                attr(e, "transition").to_string(),
                e.attributes
                    .iter()
                    .find(|a| a.key == "rule")
                    .map_or(String::new(), |a| a.value.clone()),
            )
        })
        .collect()
}

// ------------------------------------------------------- attacker first

#[test]
fn nobody_but_the_protected_contract_can_report_its_actions() {
    let mut fx = fixture(base_model(), 1);
    let a = action(&fx, 1_000, &["0"]);
    let mallory = fx.mallory.clone();
    // Mallory reports "refused" actions to trip the vault's breaker, and
    // "paid" ones to poison its baseline: she is not the vault.
    for outcome in [Outcome::Refused, Outcome::Paid] {
        let e = err(fx.exec(
            &mallory,
            &GuardExecuteMsg::Observe {
                action: a.clone(),
                outcome,
            },
        ));
        assert_eq!(e, ContractError::NotProtected(mallory.to_string()));
    }
    let p = fx.protected();
    assert_eq!(p.breaker.actions, 0);
    assert_eq!(p.breaker.status, BreakerStatus::Closed);
}

#[test]
fn only_the_admin_protects_a_contract_or_changes_its_settings() {
    let mut fx = fixture(base_model(), 1);
    let mallory = fx.mallory.clone();
    let own = fx.app.api().addr_make("mallorys_contract");
    let s = settings(&mallory);
    for msg in [
        GuardExecuteMsg::RegisterProtected {
            contract: own.to_string(),
            settings: s.clone(),
        },
        GuardExecuteMsg::UpdateProtected {
            contract: fx.vault.to_string(),
            settings: None,
        },
        GuardExecuteMsg::UpdateProtected {
            contract: fx.vault.to_string(),
            settings: Some(s.clone()),
        },
    ] {
        assert_eq!(err(fx.exec(&mallory, &msg)), ContractError::Unauthorized);
    }
    // Registering twice would reset the vault's baselines and breaker.
    let admin = fx.admin.clone();
    let e = err(fx.exec(
        &admin,
        &GuardExecuteMsg::RegisterProtected {
            contract: fx.vault.to_string(),
            settings: s,
        },
    ));
    assert_eq!(e, ContractError::AlreadyProtected(fx.vault.to_string()));
}

#[test]
fn a_loosening_change_takes_effect_only_after_the_delay() {
    let mut fx = fixture(base_model(), 1);
    // The admin (or whoever holds its key) switches the outflow rule off
    // just before a drain.
    let mut loose = settings(&fx.guardian);
    loose.outflow_rule = None;
    let admin = fx.admin.clone();
    let r = fx
        .exec(
            &admin,
            &GuardExecuteMsg::UpdateProtected {
                contract: fx.vault.to_string(),
                settings: Some(loose),
            },
        )
        .unwrap();
    let due = fx.app.block_info().height + CHANGE_DELAY;
    assert_eq!(attr_of(&r, "effective_at"), due.to_string());
    fx.next_block();
    // The drain in the next block still meets the rule in force.
    let mut verdicts = vec![];
    for _ in 0..12 {
        verdicts.push(fx.act(&action(&fx, 10_000, &["0"])).0);
    }
    assert_eq!(verdicts[..10], [Verdict::Allow; 10]);
    assert_eq!(
        verdicts[10],
        Verdict::Deny {
            reason: DenyReason::Trip(BreakerRule::OutflowShare)
        }
    );
    assert!(fx.protected().pending.is_some());
    // Nobody can apply it early.
    let mallory = fx.mallory.clone();
    let e = err(fx.exec(
        &mallory,
        &GuardExecuteMsg::ApplyProtected {
            contract: fx.vault.to_string(),
        },
    ));
    assert!(matches!(e, ContractError::NoChangeDue { .. }), "{e:?}");
    // From its height it applies (here by anyone).
    fx.app.update_block(|b| b.height = due);
    fx.exec(
        &mallory,
        &GuardExecuteMsg::ApplyProtected {
            contract: fx.vault.to_string(),
        },
    )
    .unwrap();
    let p = fx.protected();
    assert!(p.pending.is_none());
    assert!(p.settings.outflow_rule.is_none());
}

#[test]
fn only_the_guardian_resets_the_breaker() {
    let mut fx = fixture(base_model(), 1);
    for _ in 0..11 {
        fx.act(&action(&fx, 10_000, &["0"]));
    }
    assert!(matches!(
        fx.protected().breaker.status,
        BreakerStatus::Open { .. }
    ));
    let (admin, mallory, guardian) = (fx.admin.clone(), fx.mallory.clone(), fx.guardian.clone());
    for who in [&mallory, &admin] {
        let e = err(fx.exec(
            who,
            &GuardExecuteMsg::ResetBreaker {
                contract: fx.vault.to_string(),
            },
        ));
        assert_eq!(e, ContractError::NotGuardian);
    }
    let r = fx
        .exec(
            &guardian,
            &GuardExecuteMsg::ResetBreaker {
                contract: fx.vault.to_string(),
            },
        )
        .unwrap();
    assert_eq!(breaker_events(&r), vec![("reset".into(), String::new())]);
    assert_eq!(fx.protected().breaker.status, BreakerStatus::Closed);
}

#[test]
fn paying_against_the_verdict_reverts_and_changes_nothing() {
    let mut fx = fixture(base_model(), 1);
    let bad = action(&fx, 1_000, &["1"]);
    assert_eq!(
        fx.verdict(&bad).verdict,
        Verdict::Deny {
            reason: DenyReason::Model
        }
    );
    let before = fx.protected();
    let vault = fx.vault.clone();
    for outcome in [Outcome::Paid, Outcome::Parked] {
        let e = err(fx.exec(
            &vault,
            &GuardExecuteMsg::Observe {
                action: bad.clone(),
                outcome,
            },
        ));
        assert!(matches!(e, ContractError::OutcomeRefused { .. }), "{e:?}");
    }
    assert_eq!(fx.protected(), before);
}

#[test]
fn a_report_that_does_not_fit_the_model_or_the_kinds_is_refused() {
    let mut fx = fixture(base_model(), 1);
    let vault = fx.vault.clone();
    let mut a = action(&fx, 1, &["0", "1"]);
    let e = err(fx.exec(
        &vault,
        &GuardExecuteMsg::Observe {
            action: a.clone(),
            outcome: Outcome::Refused,
        },
    ));
    assert_eq!(
        e,
        ContractError::ObservedFeatureCount {
            model: 1,
            got: 2,
            derived: DERIVED_FEATURES
        }
    );
    a.features = strings(&["0"]);
    a.kind = "swap".into();
    let e = err(fx.exec(
        &vault,
        &GuardExecuteMsg::Observe {
            action: a,
            outcome: Outcome::Refused,
        },
    ));
    assert!(matches!(e, ContractError::UnknownKind { .. }), "{e:?}");
}

#[test]
fn pausing_the_guard_never_lifts_the_outflow_line() {
    // Paused with `error`: every observation fails, so a protected contract
    // that propagates the error fails closed.
    let mut fx = fixture(base_model(), 1);
    let admin = fx.admin.clone();
    fx.exec(&admin, &GuardExecuteMsg::Pause {}).unwrap();
    let vault = fx.vault.clone();
    let e = err(fx.exec(
        &vault,
        &GuardExecuteMsg::Observe {
            action: action(&fx, 10_000, &["0"]),
            outcome: Outcome::Paid,
        },
    ));
    assert_eq!(e, ContractError::Paused);
    // Paused with `allow`: no model runs, but the breaker's rules still
    // hold: the drain stops at the same line.
    let mut fx = fixture_with(base_model(), 1, PausedCheck::Allow);
    let admin = fx.admin.clone();
    fx.exec(&admin, &GuardExecuteMsg::Pause {}).unwrap();
    let mut paid = 0;
    for _ in 0..20 {
        // A feature the model would deny: no model runs while paused.
        let (v, _) = fx.act(&action(&fx, 10_000, &["1"]));
        if v == Verdict::Allow {
            paid += 10_000;
        }
    }
    assert_eq!(paid, 100_000);
    assert!(matches!(
        fx.protected().breaker.status,
        BreakerStatus::Open {
            rule: BreakerRule::OutflowShare,
            ..
        }
    ));
}

// ------------------------------------------------------------ the breaker

#[test]
fn a_split_drain_is_stopped_by_the_withdrawal_that_crosses_the_line() {
    let mut fx = fixture(base_model(), 1);
    // Ten sub-threshold withdrawals of 1% each pass; the eleventh would
    // take the window past 10% of total value.
    let mut paid = 0u128;
    let mut tripped = None;
    for i in 0..20 {
        let (v, r) = fx.act(&action(&fx, 10_000, &["0"]));
        match v {
            Verdict::Allow => paid += 10_000,
            _ => {
                if tripped.is_none() {
                    tripped = Some((i, v, breaker_events(&r)));
                }
            }
        }
    }
    assert_eq!(paid, 100_000, "10% and not a unit more");
    let (i, v, events) = tripped.unwrap();
    assert_eq!(i, 10);
    assert_eq!(
        v,
        Verdict::Deny {
            reason: DenyReason::Trip(BreakerRule::OutflowShare)
        }
    );
    assert_eq!(
        events,
        vec![("tripped".to_string(), "\"outflow_share\"".to_string())]
    );
    // Open: even a small withdrawal in a later window is refused.
    fx.app.update_block(|b| b.height += 20);
    assert_eq!(
        fx.act(&action(&fx, 1, &["0"])).0,
        Verdict::Deny {
            reason: DenyReason::Open
        }
    );
    let p = fx.protected();
    assert_eq!(p.breaker.trips, 1);
    // The cooldown ends: half-open with a 2% cap per window, then closed.
    let s = settings(&fx.guardian);
    fx.app.update_block(|b| b.height += s.cooldown_blocks);
    let (v, r) = fx.act(&action(&fx, 20_000, &["0"]));
    assert_eq!(v, Verdict::Allow);
    assert_eq!(
        breaker_events(&r),
        vec![("half_open".into(), String::new())]
    );
    assert_eq!(
        fx.act(&action(&fx, 1, &["0"])).0,
        Verdict::Deny {
            reason: DenyReason::Cap
        }
    );
    fx.app.update_block(|b| b.height += s.half_open_blocks);
    let (v, r) = fx.act(&action(&fx, 50_000, &["0"]));
    assert_eq!(v, Verdict::Allow);
    assert_eq!(breaker_events(&r), vec![("closed".into(), String::new())]);
}

#[test]
fn refused_denials_are_recorded_and_trip_a_delay() {
    let mut fx = fixture(base_model(), 1);
    for _ in 0..2 {
        let (v, r) = fx.act(&action(&fx, 5, &["1"]));
        assert_eq!(
            v,
            Verdict::Deny {
                reason: DenyReason::Model
            }
        );
        assert!(breaker_events(&r).is_empty());
    }
    let (_, r) = fx.act(&action(&fx, 5, &["1"]));
    assert_eq!(
        breaker_events(&r),
        vec![("tripped".into(), "\"denials\"".into())]
    );
    // Now an ordinary withdrawal is parked.
    let (v, r) = fx.act(&action(&fx, 5, &["0"]));
    let s = settings(&fx.guardian);
    let h = fx.app.block_info().height;
    assert_eq!(
        v,
        Verdict::Delay {
            release_at: h + s.delay_blocks
        }
    );
    let e = r
        .events
        .iter()
        .find(|e| e.ty == "wasm-vigil_delay")
        .expect("a delay event");
    assert_eq!(attr(e, "release_at"), (h + s.delay_blocks).to_string());
    assert!(matches!(
        fx.protected().breaker.status,
        BreakerStatus::Open {
            rule: BreakerRule::Denials,
            response: BreakerResponse::Delay,
            ..
        }
    ));
}

#[test]
fn the_model_sees_the_derived_features() {
    let mut fx = fixture(derived_model(), 1 + DERIVED_FEATURES as u16);
    // 4% of total value in the window: allowed; the next 2% makes 6%: the
    // model (not a rule: the outflow rule is at 10%) denies it.
    let (v, _) = fx.act(&action(&fx, 40_000, &["0"]));
    assert_eq!(v, Verdict::Allow);
    let r = fx.verdict(&action(&fx, 20_000, &["0"]));
    assert_eq!(r.derived.len(), DERIVED_FEATURES);
    // 6% in Q16 (the model's input resolution), rounded down.
    assert_eq!(r.derived[1], "0.05999755859375");
    assert_eq!(
        r.verdict,
        Verdict::Deny {
            reason: DenyReason::Model
        }
    );
    // Cold baselines read neutral.
    assert_eq!(r.derived[0], "0");
    assert_eq!(r.derived[2], "1");
    // A new window: the share starts again.
    fx.app.update_block(|b| b.height += 10);
    assert_eq!(
        fx.verdict(&action(&fx, 20_000, &["0"])).verdict,
        Verdict::Allow
    );
}

#[test]
fn a_removal_waits_for_the_delay_then_clears_the_records() {
    let mut fx = fixture(base_model(), 1);
    fx.act(&action(&fx, 1_000, &["0"]));
    let admin = fx.admin.clone();
    fx.exec(
        &admin,
        &GuardExecuteMsg::UpdateProtected {
            contract: fx.vault.to_string(),
            settings: None,
        },
    )
    .unwrap();
    fx.next_block();
    assert_eq!(fx.act(&action(&fx, 1_000, &["0"])).0, Verdict::Allow);
    fx.app.update_block(|b| b.height += CHANGE_DELAY);
    let vault = fx.vault.clone();
    let e = err(fx.exec(
        &vault,
        &GuardExecuteMsg::Observe {
            action: action(&fx, 1, &["0"]),
            outcome: Outcome::Refused,
        },
    ));
    assert_eq!(e, ContractError::NotProtected(vault.to_string()));
    let mallory = fx.mallory.clone();
    fx.exec(
        &mallory,
        &GuardExecuteMsg::ApplyProtected {
            contract: vault.to_string(),
        },
    )
    .unwrap();
    let q: Result<ProtectedResponse, _> = fx.app.wrap().query_wasm_smart(
        &fx.guard,
        &GuardQueryMsg::Protected {
            contract: vault.to_string(),
        },
    );
    assert!(q.is_err());
    let _ = Empty {};
}

// ------------------------------------------------- the example vault

mod vault {
    use super::*;
    use cosmwasm_std::coins;
    use cw_multi_test::ContractWrapper;
    use vigil_example_vault::contract::{execute, instantiate, query};
    use vigil_example_vault::msg::{ExecuteMsg as VaultExec, InstantiateMsg as VaultInit};

    const FUNDS: u128 = 1_000_000;

    /// The guard of [`fixture`], the example vault (observing) funded with
    /// [`FUNDS`] and registered in place of the fixture's address.
    fn with_vault(model: Vec<u8>) -> Fx {
        let mut fx = fixture(model, 1);
        let code = fx
            .app
            .store_code(Box::new(ContractWrapper::new(execute, instantiate, query)));
        let admin = fx.admin.clone();
        fx.app
            .init_modules(|router, _, storage| {
                router
                    .bank
                    .init_balance(storage, &admin, coins(FUNDS * 2, DENOM))
            })
            .unwrap();
        let vault = fx
            .app
            .instantiate_contract(
                code,
                admin.clone(),
                &VaultInit {
                    guard: Some(fx.guard.to_string()),
                    denom: DENOM.to_string(),
                    deny_out_of_envelope: false,
                    observe: true,
                },
                &coins(FUNDS, DENOM),
                "vault",
                None,
            )
            .unwrap();
        fx.exec(
            &admin,
            &GuardExecuteMsg::RegisterProtected {
                contract: vault.to_string(),
                settings: settings(&fx.guardian),
            },
        )
        .unwrap();
        fx.vault = vault;
        fx
    }

    fn withdraw(fx: &mut Fx, who: &Addr, amount: u128, feature: &str) -> AppResponse {
        fx.app
            .execute_contract(
                who.clone(),
                fx.vault.clone(),
                &VaultExec::Withdraw {
                    amount: Uint128::new(amount),
                    features: strings(&[feature]),
                },
                &[],
            )
            .unwrap()
    }

    fn balance(fx: &Fx, who: &Addr) -> u128 {
        fx.app
            .wrap()
            .query_balance(who, DENOM)
            .unwrap()
            .amount
            .u128()
    }

    #[test]
    fn a_drain_through_the_vault_stops_at_the_line_and_the_trip_is_recorded() {
        let mut fx = with_vault(base_model());
        let mallory = fx.mallory.clone();
        let start = balance(&fx, &mallory);
        let mut outcomes = vec![];
        for _ in 0..15 {
            let r = withdraw(&mut fx, &mallory, 10_000, "0");
            outcomes.push(attr_of(&r, "outcome"));
        }
        // The line is 10% of the vault's balance at each withdrawal: the
        // k-th passes while 10,000 k <= (1,000,000 - 10,000 (k - 1)) / 10,
        // so nine are paid and the rest refused, in transactions that
        // succeed (so the guard's record of the trip stands).
        assert_eq!(balance(&fx, &mallory) - start, 90_000);
        assert_eq!(outcomes.iter().filter(|o| *o == "paid").count(), 9);
        assert_eq!(outcomes[9], "refused");
        assert!(matches!(
            fx.protected().breaker.status,
            BreakerStatus::Open {
                rule: BreakerRule::OutflowShare,
                ..
            }
        ));
    }

    #[test]
    fn a_parked_withdrawal_is_paid_after_its_delay_unless_the_guardian_cancels_it() {
        let mut fx = with_vault(base_model());
        let mallory = fx.mallory.clone();
        // Three model denials trip the denial rule (response: delay).
        for _ in 0..3 {
            let r = withdraw(&mut fx, &mallory, 5, "1");
            assert_eq!(attr_of(&r, "outcome"), "refused");
        }
        let alice = fx.app.api().addr_make("alice_user");
        let r = withdraw(&mut fx, &alice, 1_000, "0");
        assert_eq!(attr_of(&r, "outcome"), "parked");
        let id: u64 = attr_of(&r, "parked_id").parse().unwrap();
        let release_at: u64 = attr_of(&r, "release_at").parse().unwrap();
        let r2 = withdraw(&mut fx, &alice, 2_000, "0");
        let id2: u64 = attr_of(&r2, "parked_id").parse().unwrap();
        assert_eq!(balance(&fx, &alice), 0);
        // Too early, for anyone.
        let early = fx
            .app
            .execute_contract(
                mallory.clone(),
                fx.vault.clone(),
                &VaultExec::Release { id },
                &[],
            )
            .unwrap_err();
        assert!(
            format!("{early:#}").contains("may be released from height"),
            "{early:#}"
        );
        // Mallory cannot cancel; the guardian can.
        let e = fx
            .app
            .execute_contract(
                mallory.clone(),
                fx.vault.clone(),
                &VaultExec::Cancel { id: id2 },
                &[],
            )
            .unwrap_err();
        assert!(format!("{e:#}").contains("guardian"), "{e:#}");
        let guardian = fx.guardian.clone();
        fx.app
            .execute_contract(
                guardian,
                fx.vault.clone(),
                &VaultExec::Cancel { id: id2 },
                &[],
            )
            .unwrap();
        // Due: anyone releases it, and it pays the one who asked.
        fx.app.update_block(|b| b.height = release_at);
        let r = fx
            .app
            .execute_contract(
                mallory.clone(),
                fx.vault.clone(),
                &VaultExec::Release { id },
                &[],
            )
            .unwrap();
        assert_eq!(balance(&fx, &alice), 1_000);
        assert_eq!(attr_of(&r, "action"), "release");
        // Once.
        assert!(fx
            .app
            .execute_contract(
                mallory.clone(),
                fx.vault.clone(),
                &VaultExec::Release { id },
                &[]
            )
            .is_err());
        assert!(fx
            .app
            .execute_contract(
                mallory,
                fx.vault.clone(),
                &VaultExec::Release { id: id2 },
                &[]
            )
            .is_err());
        // The release counted in the window's outflow.
        assert_eq!(fx.protected().breaker.outflow.u128(), 1_000);
    }
}

#[test]
fn the_baseline_query_shows_what_the_guard_learned() {
    use vigil_guard_api::breaker::BaselineResponse;
    let mut fx = fixture(base_model(), 1);
    // Three withdrawals of 1,000 per 10-block window, for 4 windows (the
    // fixture's warm-up is 2).
    for _ in 0..4 {
        for _ in 0..3 {
            fx.act(&action(&fx, 1_000, &["0"]));
        }
        fx.app.update_block(|b| b.height += 10);
    }
    fx.act(&action(&fx, 1_000, &["0"]));
    let b: BaselineResponse = fx
        .app
        .wrap()
        .query_wasm_smart(
            &fx.guard,
            &GuardQueryMsg::Baseline {
                contract: fx.vault.to_string(),
                kind: "withdraw".into(),
            },
        )
        .unwrap();
    assert!(b.warm);
    assert_eq!(b.windows, 4);
    assert_eq!(b.window_calls, 1);
    assert_eq!(b.calls_per_window, Decimal::from_ratio(3u128, 1u128));
    assert_eq!(b.outflow_per_window, Uint128::new(3_000));
    // log2(1001) = 9.967...
    assert!(
        b.mean_log_value.abs_diff(Decimal::percent(997)) < Decimal::permille(5),
        "{}",
        b.mean_log_value
    );
    // An unknown kind is a typed error.
    let e: Result<BaselineResponse, _> = fx.app.wrap().query_wasm_smart(
        &fx.guard,
        &GuardQueryMsg::Baseline {
            contract: fx.vault.to_string(),
            kind: "swap".into(),
        },
    );
    assert!(e.unwrap_err().to_string().contains("not one of"));
}
