//! `InstallModel`, the governor's message to the guard (the split,
//! `docs/split.md`), called on the handler directly: the single contract's
//! `execute` does not dispatch it. The attacker's tests first: an install
//! from anyone but the governor, a changed governor, a replayed install, an
//! install while paused; then every bad install refused with a typed error
//! and nothing written.
use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env, MockApi};
use cosmwasm_std::{coins, from_json, Addr, Binary, MemoryStorage, OwnedDeps, Response};
use vigil_guard::contract::{execute, instantiate, query};
use vigil_guard::execute::install::{hand_over, install};
use vigil_guard::msg::{CheckResponse, ExecuteMsg, QueryMsg};
use vigil_guard::state::install::{GOVERNOR, INSTALL_SEQUENCE};
use vigil_guard::state::{CONFIG, LATEST_VERSION, MODEL_BY_HASH};
use vigil_guard::ContractError;
use vigil_guard_api::install::{InstallModel, InvalidInstall, OWN_THRESHOLD};
use vigil_guard_api::units::{score_decimal, threshold_bits};
use vigil_inference_core::decimal::Exact;
use vigil_inference_core::envelope::pack;

use crate::common::*;

type Deps = OwnedDeps<MemoryStorage, MockApi, cosmwasm_std::testing::MockQuerier>;

/// A guard with `cut(5)` as version 1 and `governor` stored as the
/// governor (what the split's instantiate will write).
fn setup() -> (Deps, Addr) {
    let mut deps = mock_dependencies();
    let admin = deps.api.addr_make("admin");
    let mut msg = base_msg();
    msg.initial_model = Some(blob(&cut(5)).into());
    instantiate(deps.as_mut(), mock_env(), message_info(&admin, &[]), msg).unwrap();
    let governor = deps.api.addr_make("governor");
    GOVERNOR.save(deps.as_mut().storage, &governor).unwrap();
    (deps, governor)
}

fn new_model(sequence: u64, version: u32) -> InstallModel {
    InstallModel {
        sequence,
        version,
        blob: Some(blob(&perfect()).into()),
        threshold_bits: OWN_THRESHOLD,
        envelope: None,
    }
}

fn reactivate(sequence: u64, version: u32) -> InstallModel {
    InstallModel {
        blob: None,
        ..new_model(sequence, version)
    }
}

fn send(deps: &mut Deps, from: &Addr, msg: InstallModel) -> Result<Response, ContractError> {
    install(deps.as_mut(), message_info(from, &[]), msg)
}

fn check(deps: &Deps, features: [&str; 2]) -> CheckResponse {
    let msg = QueryMsg::Check {
        features: features.map(String::from).to_vec(),
    };
    from_json(query(deps.as_ref(), mock_env(), msg).unwrap()).unwrap()
}

/// What an install writes, to show a refused one wrote nothing.
fn written(deps: &Deps) -> (Option<u32>, Option<u64>, CheckResponse) {
    let s = deps.as_ref().storage;
    (
        LATEST_VERSION.may_load(s).unwrap(),
        INSTALL_SEQUENCE.may_load(s).unwrap(),
        check(deps, ["5", "-1"]),
    )
}

fn envelope(bounds: &[(&str, &str)]) -> Binary {
    let mut bytes = Vec::new();
    for (lo, hi) in bounds {
        pack(
            &Exact::parse(lo).unwrap(),
            &Exact::parse(hi).unwrap(),
            &mut bytes,
        );
    }
    bytes.into()
}

#[test]
fn the_governor_installs_a_model_its_threshold_and_its_envelope() {
    let (mut deps, governor) = setup();
    assert_eq!(check(&deps, ["5", "-1"]).model_version, 1);
    let bits = threshold_bits(dec("0.25"));
    let msg = InstallModel {
        threshold_bits: bits,
        envelope: Some(envelope(&[("0", "12"), ("-4", "4")])),
        ..new_model(1, 2)
    };
    send(&mut deps, &governor, msg).unwrap();
    // perfect() scores sigmoid(2 x1): x1 = -0.5 scores ~0.27, allowed at
    // the model's own 0.5, denied at the installed 0.25.
    let c = check(&deps, ["5", "-0.5"]);
    assert_eq!(c.model_version, 2);
    assert_eq!(c.threshold, score_decimal(bits));
    assert!(!c.allow);
    assert!(c.in_envelope());
    send(&mut deps, &governor, reactivate(2, 2)).unwrap();
    let own = check(&deps, ["5", "-0.5"]);
    assert!(own.allow);
    assert_eq!(own.threshold, dec("0.5"));
    // The second install sent no envelope: none is applied.
    assert!(check(&deps, ["5", "100"]).in_envelope());
    let with = InstallModel {
        envelope: Some(envelope(&[("0", "12"), ("-4", "4")])),
        ..reactivate(3, 2)
    };
    send(&mut deps, &governor, with).unwrap();
    assert_eq!(check(&deps, ["5", "100"]).out_of_envelope_features, vec![1]);
    assert_eq!(
        MODEL_BY_HASH
            .keys(
                deps.as_ref().storage,
                None,
                None,
                cosmwasm_std::Order::Ascending
            )
            .count(),
        2
    );
}

#[test]
fn an_install_from_anyone_but_the_governor_is_refused() {
    let (mut deps, _) = setup();
    let before = written(&deps);
    let admin = deps.api.addr_make("admin");
    let stranger = deps.api.addr_make("stranger");
    let guard = mock_env().contract.address;
    for from in [&admin, &stranger, &guard] {
        assert_eq!(
            send(&mut deps, from, new_model(1, 2)),
            Err(ContractError::NotGovernor)
        );
        assert_eq!(
            send(&mut deps, from, reactivate(1, 1)),
            Err(ContractError::NotGovernor)
        );
    }
    assert_eq!(written(&deps), before);
}

#[test]
fn without_a_governor_nobody_installs() {
    // The single contract: nothing stores a governor.
    let (mut deps, governor) = setup();
    GOVERNOR.remove(deps.as_mut().storage);
    let admin = deps.api.addr_make("admin");
    for from in [&admin, &governor] {
        assert_eq!(
            send(&mut deps, from, new_model(1, 2)),
            Err(ContractError::NotGovernor)
        );
    }
}

#[test]
fn the_admin_cannot_make_itself_the_governor() {
    let (mut deps, governor) = setup();
    let admin = deps.api.addr_make("admin");
    let accomplice = deps.api.addr_make("accomplice");
    let update = ExecuteMsg::UpdateAdmin {
        admin: accomplice.to_string(),
    };
    execute(deps.as_mut(), mock_env(), message_info(&admin, &[]), update).unwrap();
    for from in [&admin, &accomplice] {
        assert_eq!(
            send(&mut deps, from, new_model(1, 2)),
            Err(ContractError::NotGovernor)
        );
    }
    send(&mut deps, &governor, new_model(1, 2)).unwrap();
}

#[test]
fn only_the_governor_hands_over_and_the_old_one_is_left_nothing() {
    let (mut deps, old) = setup();
    send(&mut deps, &old, reactivate(1, 1)).unwrap();
    let admin = deps.api.addr_make("admin");
    let stranger = deps.api.addr_make("stranger");
    let new = deps.api.addr_make("new governor");
    for from in [&admin, &stranger, &new] {
        assert_eq!(
            hand_over(deps.as_mut(), message_info(from, &[]), from.to_string()),
            Err(ContractError::NotGovernor)
        );
    }
    assert_eq!(GOVERNOR.load(deps.as_ref().storage).unwrap(), old);
    // An invalid address is refused; the governor stays.
    assert!(hand_over(
        deps.as_mut(),
        message_info(&old, &[]),
        "not an address".into()
    )
    .is_err());
    assert_eq!(GOVERNOR.load(deps.as_ref().storage).unwrap(), old);
    hand_over(deps.as_mut(), message_info(&old, &[]), new.to_string()).unwrap();
    assert_eq!(
        send(&mut deps, &old, new_model(2, 2)),
        Err(ContractError::NotGovernor)
    );
    assert_eq!(
        hand_over(deps.as_mut(), message_info(&old, &[]), old.to_string()),
        Err(ContractError::NotGovernor)
    );
    // The sequence carries over: the new governor continues it, so no
    // install of the old one can be replayed through the new.
    assert_eq!(
        send(&mut deps, &new, new_model(1, 2)),
        Err(ContractError::InstallSequence {
            expected: 2,
            got: 1
        })
    );
    send(&mut deps, &new, new_model(2, 2)).unwrap();
}

#[test]
fn a_replayed_install_is_refused() {
    let (mut deps, governor) = setup();
    send(&mut deps, &governor, new_model(1, 2)).unwrap();
    assert_eq!(
        send(&mut deps, &governor, new_model(1, 2)),
        Err(ContractError::InstallSequence {
            expected: 2,
            got: 1
        })
    );
    // A rollback to version 1, then a third model; replaying the rollback
    // would bring version 1 back.
    send(&mut deps, &governor, reactivate(2, 1)).unwrap();
    assert_eq!(check(&deps, ["5", "-1"]).model_version, 1);
    let third = InstallModel {
        blob: Some(blob(&cut(7)).into()),
        ..new_model(3, 3)
    };
    send(&mut deps, &governor, third).unwrap();
    let before = written(&deps);
    assert_eq!(before.2.model_version, 3);
    assert_eq!(
        send(&mut deps, &governor, reactivate(2, 1)),
        Err(ContractError::InstallSequence {
            expected: 4,
            got: 2
        })
    );
    // Skipping ahead is refused as well.
    assert_eq!(
        send(&mut deps, &governor, reactivate(5, 1)),
        Err(ContractError::InstallSequence {
            expected: 4,
            got: 5
        })
    );
    assert_eq!(written(&deps), before);
}

#[test]
fn an_install_while_paused_keeps_the_pause() {
    let (mut deps, governor) = setup();
    let admin = deps.api.addr_make("admin");
    execute(
        deps.as_mut(),
        mock_env(),
        message_info(&admin, &[]),
        ExecuteMsg::Pause {},
    )
    .unwrap();
    send(&mut deps, &governor, new_model(1, 2)).unwrap();
    // paused_check is Error in base_msg: a paused Check is an error.
    let msg = QueryMsg::Check {
        features: vec!["5".into(), "-1".into()],
    };
    assert_eq!(
        query(deps.as_ref(), mock_env(), msg),
        Err(ContractError::Paused)
    );
    execute(
        deps.as_mut(),
        mock_env(),
        message_info(&admin, &[]),
        ExecuteMsg::Unpause {},
    )
    .unwrap();
    assert_eq!(check(&deps, ["5", "-1"]).model_version, 2);
}

/// Whether an error is the one a case expects.
type Refusal = fn(&ContractError) -> bool;

#[test]
fn a_bad_install_is_refused_and_writes_nothing() {
    let (mut deps, governor) = setup();
    let before = written(&deps);
    let three_features = blob(&logistic(&[1.0, 1.0, 1.0], 0.0));
    let cases: Vec<(InstallModel, Refusal)> = vec![
        (
            InstallModel {
                sequence: 0,
                ..new_model(1, 2)
            },
            |e| *e == ContractError::InvalidInstall(InvalidInstall::ZeroSequence),
        ),
        (
            InstallModel {
                threshold_bits: (1 << 31) + 1,
                ..new_model(1, 2)
            },
            |e| {
                matches!(
                    e,
                    ContractError::InvalidInstall(InvalidInstall::ThresholdBits(_))
                )
            },
        ),
        (
            InstallModel {
                blob: Some(three_features.into()),
                ..new_model(1, 2)
            },
            |e| {
                *e == ContractError::FeatureCount {
                    expected: 2,
                    got: 3,
                }
            },
        ),
        (
            InstallModel {
                blob: Some(Binary::from(b"not a model".as_slice())),
                ..new_model(1, 2)
            },
            |e| matches!(e, ContractError::InvalidModel(_)),
        ),
        (
            // Version 1's model again.
            InstallModel {
                blob: Some(blob(&cut(5)).into()),
                ..new_model(1, 2)
            },
            |e| *e == ContractError::KnownModel { version: 1 },
        ),
        // A version the guard holds (another model under it).
        (new_model(1, 1), |e| *e == ContractError::VersionStored(1)),
        (reactivate(1, 9), |e| *e == ContractError::NoSuchVersion(9)),
        (
            // One feature's bounds for a two-feature guard.
            InstallModel {
                envelope: Some(envelope(&[("0", "1")])),
                ..new_model(1, 2)
            },
            |e| matches!(e, ContractError::InvalidEnvelope(_)),
        ),
        (
            // A lower bound above the upper.
            InstallModel {
                envelope: Some(envelope(&[("2", "1"), ("0", "1")])),
                ..new_model(1, 2)
            },
            |e| matches!(e, ContractError::InvalidEnvelope(_)),
        ),
    ];
    for (i, (msg, want)) in cases.into_iter().enumerate() {
        let e = send(&mut deps, &governor, msg).unwrap_err();
        assert!(want(&e), "case {i}: {e}");
        assert_eq!(written(&deps), before, "case {i}");
    }
    // Funds: the guard holds none.
    let e = install(
        deps.as_mut(),
        message_info(&governor, &coins(1, DENOM)),
        new_model(1, 2),
    )
    .unwrap_err();
    assert_eq!(e, ContractError::UnexpectedFunds);
    // Over the guard's own read budget (attack 8 stays a guard rule).
    let mut config = CONFIG.load(deps.as_ref().storage).unwrap();
    config.settings.max_check_gas = 1;
    CONFIG.save(deps.as_mut().storage, &config).unwrap();
    assert!(matches!(
        send(&mut deps, &governor, new_model(1, 2)),
        Err(ContractError::CheckGasOverBudget { .. })
    ));
    assert_eq!(written(&deps).0, before.0);
    assert_eq!(written(&deps).1, before.1);
}

#[test]
fn reinstalling_what_is_active_leaves_checks_records_byte_for_byte() {
    // What the migration to the split does for the active model: the
    // records `Check` reads come out identical, so its answer and gas do.
    let (mut deps, governor) = setup();
    let records = |deps: &Deps| {
        let s = deps.as_ref().storage;
        (s.get(b"active").unwrap(), s.get(b"envelope").unwrap())
    };
    let before = records(&deps);
    let answer = check(&deps, ["5", "100"]);
    assert_eq!(answer.out_of_envelope_features, vec![1]);
    let msg = InstallModel {
        envelope: Some(before.1.clone().into()),
        ..reactivate(1, 1)
    };
    send(&mut deps, &governor, msg).unwrap();
    assert_eq!(records(&deps), before);
    assert_eq!(check(&deps, ["5", "100"]), answer);
}

#[test]
fn the_guards_dispatch_answers_as_the_single_contract() {
    use vigil_guard::guard;
    use vigil_guard_api::guard_msg::{GuardExecuteMsg, GuardQueryMsg};

    let (mut deps, governor) = setup();
    let admin = deps.api.addr_make("admin");
    let install = GuardExecuteMsg::InstallModel(new_model(1, 2));
    guard::execute(
        deps.as_mut(),
        mock_env(),
        message_info(&governor, &[]),
        install,
    )
    .unwrap();
    // An integrator's queries, as JSON, answered the same by both.
    for json in [
        r#"{"check":{"features":["5","-0.5"]}}"#,
        r#"{"score":{"features":["5","100"]}}"#,
        r#"{"model":{"version":null}}"#,
        r#"{"model":{"version":1}}"#,
        r#"{"model_blob":{"version":2,"chunk":0}}"#,
    ] {
        let single: QueryMsg = from_json(json).unwrap();
        let split: GuardQueryMsg = from_json(json).unwrap();
        assert_eq!(
            guard::query(deps.as_ref(), mock_env(), split).unwrap(),
            query(deps.as_ref(), mock_env(), single).unwrap(),
            "{json}"
        );
    }
    // The admin pauses through it; installs still go through the governor only.
    let pause = GuardExecuteMsg::Pause {};
    let stranger = deps.api.addr_make("stranger");
    assert_eq!(
        guard::execute(
            deps.as_mut(),
            mock_env(),
            message_info(&stranger, &[]),
            pause.clone()
        ),
        Err(ContractError::Unauthorized)
    );
    guard::execute(deps.as_mut(), mock_env(), message_info(&admin, &[]), pause).unwrap();
    let again = GuardExecuteMsg::InstallModel(reactivate(2, 1));
    assert_eq!(
        guard::execute(
            deps.as_mut(),
            mock_env(),
            message_info(&admin, &[]),
            again.clone()
        ),
        Err(ContractError::NotGovernor)
    );
    guard::execute(
        deps.as_mut(),
        mock_env(),
        message_info(&governor, &[]),
        again,
    )
    .unwrap();
    let check = GuardQueryMsg::Check {
        features: vec!["5".into(), "-1".into()],
    };
    assert_eq!(
        guard::query(deps.as_ref(), mock_env(), check),
        Err(ContractError::Paused)
    );
}
