//! `vigil demo` end to end on a small seeded synthetic dataset: trains the
//! three models, runs the shipped contract artifact in cosmwasm-vm (built
//! first by `scripts/build-contract.sh` if missing or stale), guards the
//! stream and runs the Proof-of-Improvement round, then checks what
//! happened.
use std::path::Path;

use vigil_cli::demo::{self, DemoArgs, Role, BOND};

#[test]
fn demo_end_to_end_on_a_small_seeded_dataset() {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let mut a = DemoArgs::new(tmp.join("demo-test"));
    // Shared with host-tests' contract tests: one artifact build.
    a.contract_target_dir = Some(tmp.join("contract-wasm"));
    a.train_rows = 1_500;
    a.test_rows = 400;
    a.trees = 40;
    a.cv = 3;
    // 400 test rows in steps of 150: RevealProposal + 2 ContinueEvaluation.
    a.eval_batch = 150;
    a.progress = false;
    let mut text = Vec::new();
    let r = demo::run(&a, &mut text).unwrap_or_else(|e| panic!("demo failed: {e:#}"));
    let text = String::from_utf8(text).unwrap();
    eprintln!("{text}");

    // Models: fixed point agrees with float; the better one is better.
    let model = |role| r.models.iter().find(|m| m.role == role).unwrap();
    for role in [Role::Incumbent, Role::Better] {
        let m = model(role);
        assert!(
            m.test.agreement.agreement >= 0.99,
            "{role:?}: fixed/float agreement {}",
            m.test.agreement.agreement
        );
    }
    assert!(model(Role::Better).test.fixed.f1 > model(Role::Incumbent).test.fixed.f1);
    // Shuffled labels carry no signal: its F1-maximising threshold ends up
    // flagging (nearly) everything.
    assert!(model(Role::Worse).test.fixed.f1 < model(Role::Incumbent).test.fixed.f1 - 0.3);

    // The better model is accepted: bond back plus reward.
    let better = r.proposal(Role::Better).expect("better proposed");
    assert!(better.accepted, "better model rejected: {better:?}");
    assert!(better.steps >= 3, "evaluation was chunked: {better:?}");
    assert_eq!(better.rows as usize, r.chain_samples);
    assert!(better.counts_match_native, "{better:?}");
    let [before, during, after] = better.proposer_balance;
    assert_eq!(during, before - BOND, "the bond is held while evaluated");
    assert_eq!(after, before + better.reward);
    assert!(better.reward > 0);
    assert_eq!(better.vault[1], better.vault[0] - better.reward);
    assert_eq!(r.active_version, 2);

    // The worse model is rejected and its bond slashed into the vault.
    let worse = r.proposal(Role::Worse).expect("worse proposed");
    assert!(!worse.accepted, "worse model accepted: {worse:?}");
    assert!(worse.counts_match_native, "{worse:?}");
    assert_eq!(worse.proposer_balance[2], worse.proposer_balance[0] - BOND);
    assert_eq!(worse.vault[1], worse.vault[0] + BOND);
    assert!(worse.movements.iter().any(|m| m == "worsened"));

    // The guard denies most attacks of the stream and allows most normal
    // transactions, with the incumbent and after the round.
    let attacks = r.stream.iter().filter(|g| g.attack).count();
    let normal = r.stream.len() - attacks;
    assert!(attacks >= 5);
    let denied = r.stream.iter().filter(|g| g.attack && !g.allow).count();
    let allowed = r.stream.iter().filter(|g| !g.attack && g.allow).count();
    assert!(denied * 4 >= attacks * 3, "denied {denied} of {attacks}");
    assert!(allowed * 4 >= normal * 3, "allowed {allowed} of {normal}");
    let denied_after = r
        .stream
        .iter()
        .filter(|g| g.attack && !g.allow_after)
        .count();
    assert!(denied_after * 4 >= attacks * 3);
    for g in &r.stream {
        assert!(!g.reasons.is_empty(), "{g:?}: Score gives reasons");
    }

    // Gas: every call kind measured, the parts add up, Check is cheap.
    for kind in [
        "instantiate (governor)",
        "instantiate (guard)",
        "bind_guard",
        "add_test_samples (100 per call)",
        "check (v1 logreg)",
        "score (v1)",
        "commit_proposal",
        "reveal_proposal (first step)",
        "continue_evaluation",
        "check (v2 gbdt)",
    ] {
        let g = r
            .gas_of(kind)
            .unwrap_or_else(|| panic!("no gas row {kind}: {:?}", r.gas));
        assert_eq!(g.setup, 60_000, "{kind}");
        assert!(g.storage > 0 && g.compute > 0, "{kind}: {g:?}");
        assert!(g.total >= g.setup + g.storage + g.compute - 2, "{kind}");
        assert!(text.contains(kind), "the report names {kind}");
    }
    let check = r.gas_of("check (v1 logreg)").unwrap();
    assert!(check.total < 100_000, "{check:?}");
    // The quoted Check bound (values of up to 20 characters; the synthetic
    // stream's are shorter) covers every Check the stream made, with the
    // incumbent and with the accepted candidate, and is no more than 10%
    // above the dearest one (above setup).
    let longest = r
        .stream
        .iter()
        .flat_map(|g| g.features.iter().map(String::len))
        .max()
        .unwrap();
    assert!(longest <= 20, "{longest}");
    for (model, kind) in [(0, "check (v1 logreg)"), (1, "check (v2 gbdt)")] {
        let bound = r.models[model].cost.check;
        let measured = r.gas_of(kind).unwrap();
        assert!(
            bound.total >= measured.max,
            "{kind}: {bound:?} < {measured:?}"
        );
        assert!(
            (bound.total - bound.setup) * 10 <= (measured.max - measured.setup) * 11,
            "{kind}: {bound:?} loose against {measured:?}"
        );
    }
    // BindGuard and each envelope change installed on the guard: a
    // contract call of its own, in the total.
    for kind in ["bind_guard", "add_test_samples (100 per call)"] {
        let g = r.gas_of(kind).unwrap();
        assert!(g.guard_call > 60_000, "{kind}: {g:?}");
        // Means, each rounded down: within one per part of the total.
        let parts = g.setup + g.storage + g.compute + g.guard_call;
        assert!(g.total >= parts && g.total <= parts + 4, "{kind}: {g:?}");
    }
    // Both artifacts named, the governor's beside the guard's.
    assert_eq!(
        r.governor_artifact,
        r.artifact.with_file_name("vigil_governor.wasm")
    );
    assert!(text.contains("guard ") && text.contains("governor "));
    assert!(text.contains("Report: SDK gas per call"));
    assert!(text.contains("ACCEPTED") && text.contains("REJECTED"));
}
