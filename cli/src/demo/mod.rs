//! `vigil demo`: the whole of Vigil in one command, with nothing from
//! outside the repository.
//!
//! 1. **Data** (`data`): a seeded synthetic DeFi transaction dataset
//!    ([`crate::synthetic`]), or `--data DIR` with `DIR/train.csv` and
//!    `DIR/test.csv` (the CSV format `vigil train` reads).
//! 2. **Models** (`models`), all trained with `vigil train`'s code
//!    ([`crate::train`]): the *incumbent* (the default guard: L2 logistic
//!    regression), a *better* candidate (gradient-boosted trees) and a
//!    *worse* one (the same logistic regression trained on shuffled labels:
//!    no signal), each quantised and measured in float and fixed point on
//!    the test set.
//! 3. **Chain** (`guard`): the two contract artifacts, located at run
//!    time: the guard's `--artifact PATH`, else `$VIGIL_GUARD_WASM`, else
//!    `artifacts/vigil_guard.wasm` of the repository checkout the current
//!    directory is in; the governor's `--governor-artifact PATH`, else
//!    `vigil_governor.wasm` beside the guard's (a checkout's are built by
//!    `scripts/build-contract.sh`, `--governor`, when missing or stale);
//!    their paths and sha256 are printed. Stored and run in cosmwasm-vm
//!    3.0 with wasmd's gas model through [`vigil_chain_sim::SimGuard`]:
//!    the governor instantiated with the incumbent, the guard naming it,
//!    `BindGuard` (the incumbent installed on the guard), the vault
//!    funded, the test set given as the public Proof-of-Improvement set
//!    (`AddTestSamples` in batches). Governance goes to the governor,
//!    `Check` and `Score` to the guard.
//! 4. **Guard** (`stream`): a stream of transactions, each asked with
//!    `Check` (allow / deny, gas) and `Score` (the top contributions: the
//!    reasons).
//! 5. **Proof-of-Improvement** (`poim`): `CommitProposal`, then `RevealProposal`, with the better
//!    model (evaluated by the contract in `eval_batch`-row steps,
//!    `ContinueEvaluation` until decided: accepted, bond back plus reward)
//!    and with the worse one (rejected, bond to the vault); the contract's
//!    confusion counts are checked against the native core's.
//! 6. **Report** (`report`): SDK gas per call kind (setup, storage,
//!    compute), model sizes and cost bounds, accuracy/F1/precision/recall/AUC
//!    and fixed-vs-float agreement.
//!
//! [`run`] writes text to a writer and returns a [`DemoReport`] (what the
//! tests assert on).
//!
//! Modules, each using only those before it: `args`, `text`, `data`,
//! `models`, `guard`, `stream`, `poim`, `report`; this one runs
//! them in order.
use std::io::Write;
use std::time::Instant;

use anyhow::{Context, Result};
use cosmwasm_std::Decimal;
use vigil_chain_sim::{split, Gas, SimGuard, WasmdGas};
use vigil_guard_api::msg::{CheckResponse, ExecuteMsg, PausedCheck, QueryMsg, RewardRule};

use crate::msg::{self, InstantiateArgs};
use crate::report::thousands;
use crate::synthetic;

mod args;
pub mod breaker;
mod data;
mod guard;
mod models;
mod poim;
mod report;
mod stream;
mod text;

pub use args::{
    DemoArgs, DemoError, BOND, DENOM, MIN_GAIN, PROPOSER_FUNDS, REWARD_SHARE, TOLERANCE,
    TX_GAS_LIMIT, VAULT_FUNDING,
};
pub use data::load_data;
pub use guard::GasRow;
pub use models::{ModelSummary, Role};
pub use poim::ProposalOutcome;
pub use report::DemoReport;
pub use stream::Guarded;

use data::{chain_samples, class_ratio, stream_from_table, StreamTx};
use guard::{load_artifact, locate_artifact, GasLog, Guard};
use models::train_models;
use poim::propose;
use report::print_report;
use stream::{guard_stream, stream_summary};
use text::{bar, money, say};

/// Run the demo, writing its text to `o`.
pub fn run(a: &DemoArgs, o: &mut dyn Write) -> Result<DemoReport> {
    let start = Instant::now();
    let artifact_source = locate_artifact(a)?;
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("cannot create {}", a.out.display()))?;

    // ------------------------------------------------------------ 1. data
    let (train_path, test_path, dataset, synthetic_stream) = match &a.data {
        None => {
            let (train, test) =
                synthetic::dataset(a.seed, a.train_rows, a.test_rows, a.attack_share);
            let (tp, sp) = (a.out.join("train.csv"), a.out.join("test.csv"));
            synthetic::write_csv(&tp, &train)?;
            synthetic::write_csv(&sp, &test)?;
            let stream = synthetic::stream(a.seed, a.stream)
                .into_iter()
                .map(|t| StreamTx {
                    name: t.kind.name().to_string(),
                    attack: t.label(),
                    features: t.features,
                })
                .collect::<Vec<_>>();
            (
                tp,
                sp,
                format!(
                    "synthetic DeFi transactions (seed {}, {:.0}% attacks)",
                    a.seed,
                    100.0 * a.attack_share
                ),
                Some(stream),
            )
        }
        Some(dir) => (
            dir.join("train.csv"),
            dir.join("test.csv"),
            format!("{}", dir.display()),
            None,
        ),
    };
    let (train_table, test_table) = load_data(&train_path, &test_path, &a.label)?;
    let features = train_table.columns.clone();
    let test_y = test_table.labels()?;
    let train_pos = train_table.labels()?.iter().filter(|&&v| v).count();
    let test_pos = test_y.iter().filter(|&&v| v).count();
    say!(o, "vigil demo: {dataset}");
    say!(o);
    say!(o, "[1/5] data");
    say!(
        o,
        "  {} training rows ({} positive), {} test rows ({} positive), {} features: {}",
        thousands(train_table.rows.len() as u64),
        thousands(train_pos as u64),
        thousands(test_table.rows.len() as u64),
        thousands(test_pos as u64),
        features.len(),
        if features.len() <= 10 {
            features.join(", ")
        } else {
            format!("{}, ...", features[..6].join(", "))
        }
    );
    if a.data.is_none() {
        say!(
            o,
            "  written to {} and {} (the format `vigil train` reads)",
            train_path.display(),
            test_path.display()
        );
    }
    let stream = match synthetic_stream {
        Some(s) => s,
        None => stream_from_table(&test_table, a.stream)?,
    };

    let (mut models, blobs) = train_models(a, &train_table, &train_path, &test_path, o)?;

    // ----------------------------------------------------------- 3. chain
    say!(o);
    say!(
        o,
        "[3/5] chain: the shipped contract in cosmwasm-vm 3.0 with wasmd's gas"
    );
    let artifact = load_artifact(artifact_source, a, o)?;
    let wasm = &artifact.wasm;
    let governor = &artifact.governor;
    let t0 = Instant::now();
    let chain = split::chain(
        &governor.wasm,
        wasm,
        &a.out.join("cosmwasm-cache"),
        WasmdGas::DEFAULT,
    )
    .map_err(DemoError::Artifact)?;
    say!(
        o,
        "  guard {} (from {}): {} bytes, sha256 {}",
        artifact.source.path().display(),
        artifact.source.origin(),
        thousands(wasm.len() as u64),
        artifact.sha256,
    );
    say!(
        o,
        "  governor {} (from {}): {} bytes, sha256 {}",
        governor.source.path.display(),
        governor.source.origin,
        thousands(governor.wasm.len() as u64),
        governor.sha256,
    );
    say!(
        o,
        "  both stored with wasmd's upload checks and compiled in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let admin = chain.addr("admin");

    let (mut samples, refused) = chain_samples(&test_table)?;
    samples.truncate(a.max_chain_samples);
    let ratio = class_ratio(&samples);
    let (samples, left) = msg::balance_order(samples, Decimal::from_ratio(ratio, 1u64), (0, 0));
    // The guard's data envelope comes from this test set: the Check bounds
    // are quoted for its size (the contract's arithmetic), not the largest.
    let rows = samples
        .iter()
        .map(|s| {
            s.features
                .iter()
                .map(|f| vigil_inference_core::decimal::Exact::parse(f))
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("a test sample does not parse: {e}"))?;
    let envelope_bytes = vigil_guard::envelope::range_of(&rows).map_or(0, |r| {
        vigil_guard::envelope::envelope_of(&r, vigil_guard_api::settings::DEFAULT_ENVELOPE_MARGIN)
            .len()
    });
    let n_features = rows.first().map_or(0, Vec::len);
    for m in &mut models {
        m.cost.check = crate::report::CheckGasInfo::with_envelope(
            &m.cost.cost(),
            n_features,
            crate::report::QUOTED_CHARS_PER_VALUE,
            envelope_bytes,
        );
    }
    let budget = models.iter().map(|m| m.cost.ops).max().unwrap_or(0);
    let mut check_budget = 0;
    for b in &blobs {
        let m = vigil_inference_core::Model::parse(b)?;
        let n = u16::try_from(m.n_features())?;
        check_budget =
            check_budget.max(vigil_guard::gas::quoted_check_gas(&m.cost(), n).above_setup());
    }
    let init = msg::instantiate(InstantiateArgs {
        admin: None,
        n_features: None,
        model: Some(models[0].path.clone()),
        bond_denom: DENOM.into(),
        min_bond: BOND,
        margins: msg::uniform_margins(
            msg::decimal("min_gain", MIN_GAIN)?,
            msg::decimal("tolerance", TOLERANCE)?,
        ),
        reward: RewardRule::BondShare {
            share: msg::decimal("share", REWARD_SHARE)?,
        },
        max_inference_ops: Some((2 * budget).max(1_000_000)),
        // Four times the costliest Check of the models it will see.
        max_check_gas: Some(msg::default_max_check_gas(Some(check_budget))),
        deny_threshold: None,
        paused_check: PausedCheck::Deny,
        max_class_ratio: Decimal::from_ratio(ratio, 1u64),
        eval_batch: a.eval_batch,
        stall_blocks: vigil_guard_api::settings::DEFAULT_STALL_BLOCKS,
        stall_fee: vigil_guard_api::settings::DEFAULT_STALL_FEE,
        envelope_margin: vigil_guard_api::settings::default_envelope_margin(),
        reveal_delay: vigil_guard_api::settings::DEFAULT_REVEAL_DELAY,
        activation_delay: 0,
        guardian: None,
        governance_delay: 0,
        curator: None,
        test_samples: Vec::new(),
    })?;
    let (sim, deployed) =
        SimGuard::deploy(chain, &admin, &[], &init, TX_GAS_LIMIT).map_err(|e| {
            DemoError::Chain {
                call: e.call,
                error: e.error,
            }
        })?;
    let mut g = Guard {
        sim,
        gas: GasLog::default(),
    };
    g.gas.add("instantiate (governor)", deployed.governor);
    g.gas.add("instantiate (guard)", deployed.guard);
    g.gas.add("bind_guard", deployed.bind);
    say!(
        o,
        "  governor {} instantiated with the incumbent as model v1 ({} SDK gas); guard {} \
         instantiated naming it ({} SDK gas); BindGuard installed v1 on the guard ({} SDK gas, \
         of which the guard's InstallModel {})",
        g.sim.governor_address(),
        thousands(deployed.governor.total()),
        g.sim.guard_address(),
        thousands(deployed.guard.total()),
        thousands(deployed.bind.total()),
        thousands(deployed.bind.sub.total()),
    );
    say!(
        o,
        "  margins: gain >= {MIN_GAIN} on some metric, loss <= {TOLERANCE} on every metric; \
         reward {REWARD_SHARE} of the bond"
    );
    g.chain_mut().mint(&admin, DENOM, VAULT_FUNDING);
    g.execute(
        "fund",
        &admin,
        &[(DENOM, VAULT_FUNDING)],
        &ExecuteMsg::Fund {},
    )?;
    say!(
        o,
        "  admin funded the reward vault with {} {DENOM}",
        money(VAULT_FUNDING)
    );
    let batches = msg::add_samples(samples.clone(), Some(a.sample_batch.max(1)));
    let b = bar(a.progress, batches.len() as u64, "AddTestSamples");
    let kind = format!("add_test_samples ({} per call)", a.sample_batch);
    for m in &batches {
        g.execute(&kind, &admin, &[], m)?;
        b.inc(1);
    }
    b.finish_and_clear();
    let cfg = g.config()?;
    say!(
        o,
        "  public test set: {} samples ({} positive, {} negative) in {} AddTestSamples calls \
         (max class ratio {ratio}){}",
        thousands(u64::from(cfg.positives + cfg.negatives)),
        thousands(cfg.positives.into()),
        thousands(cfg.negatives.into()),
        batches.len(),
        if left.is_empty() {
            String::new()
        } else {
            format!("; {} rows left out by the class-balance rule", left.len())
        }
    );
    if !refused.is_empty() {
        say!(
            o,
            "  left out {} test rows with a value the contract refuses as a sample \
             (more than 19 fractional digits; first: {} line {})",
            refused.len(),
            test_path.display(),
            refused[0]
        );
    }

    let mut guarded = guard_stream(&mut g, &stream, &features, o)?;
    say!(o, "  model v1: {}", stream_summary(&guarded, false));

    // ------------------------------------------------------------ 5. PoIm
    say!(o);
    say!(
        o,
        "[5/5] Proof-of-Improvement: the contract judges each candidate on its test set \
         ({} rows per step)",
        a.eval_batch
    );
    let mut proposals = Vec::new();
    let mut active = 0usize; // index into blobs
    for (idx, who) in [(1usize, "alice"), (2, "mallory")] {
        let p = propose(
            &mut g,
            a,
            who,
            &models[idx],
            &blobs[idx],
            &blobs[active],
            &samples,
            o,
        )?;
        if p.accepted {
            active = idx;
        }
        proposals.push(p);
    }
    let cfg = g.config()?;
    let check_after = format!(
        "check (v{} {})",
        cfg.active_version,
        if active == 1 { "gbdt" } else { "logreg" }
    );
    for (tx, r) in stream.iter().zip(guarded.iter_mut()) {
        let (check, _): (CheckResponse, Gas) = g.query(
            Some(&check_after),
            &QueryMsg::Check {
                features: tx.features.clone(),
            },
        )?;
        r.allow_after = check.allow;
    }
    say!(
        o,
        "  the same stream with model v{}: {}",
        cfg.active_version,
        stream_summary(&guarded, true)
    );

    let gas = print_report(
        o,
        &g.gas,
        &models,
        &proposals,
        active,
        &check_after,
        cfg.active_version,
        test_table.rows.len(),
        &stream,
        envelope_bytes,
    )?;
    let seconds = start.elapsed().as_secs_f64();
    say!(o);
    say!(
        o,
        "done in {seconds:.1} s; data, models (.vgm) and the VM cache are in {}",
        a.out.display()
    );
    Ok(DemoReport {
        dataset,
        features,
        train_rows: train_table.rows.len(),
        test_rows: test_table.rows.len(),
        chain_samples: samples.len(),
        artifact_bytes: wasm.len(),
        artifact: artifact.source.path(),
        artifact_sha256: artifact.sha256.clone(),
        governor_bytes: governor.wasm.len(),
        governor_artifact: governor.source.path.clone(),
        governor_sha256: governor.sha256.clone(),
        models,
        stream: guarded,
        proposals,
        active_version: cfg.active_version,
        gas,
        seconds,
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use cosmwasm_std::Decimal;
    use vigil_guard_api::msg::TestSample;

    use super::data::{class_ratio, load_data};
    use super::*;
    use crate::msg;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("vigil-demo-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn missing_files_are_typed_errors() {
        let d = tmp("missing");
        let e = load_data(&d.join("train.csv"), &d.join("test.csv"), "label").unwrap_err();
        assert!(
            matches!(e.downcast_ref::<DemoError>(), Some(DemoError::MissingFile { path }) if path.ends_with("train.csv")),
            "{e:#}"
        );
        assert!(e.to_string().contains("DIR/train.csv"), "{e}");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn wrong_columns_are_typed_errors() {
        let d = tmp("columns");
        std::fs::write(d.join("train.csv"), "a,b,label\n1,2,0\n3,4,1\n").unwrap();
        std::fs::write(d.join("test.csv"), "a,c,label\n1,2,0\n3,4,1\n").unwrap();
        let e = load_data(&d.join("train.csv"), &d.join("test.csv"), "label").unwrap_err();
        assert!(
            matches!(
                e.downcast_ref::<DemoError>(),
                Some(DemoError::Columns { .. })
            ),
            "{e:#}"
        );
        assert!(e.to_string().contains("[a, b] vs [a, c]"), "{e}");
        std::fs::write(d.join("test.csv"), "a,b,y\n1,2,0\n").unwrap();
        let e = load_data(&d.join("train.csv"), &d.join("test.csv"), "label").unwrap_err();
        assert!(
            matches!(
                e.downcast_ref::<DemoError>(),
                Some(DemoError::NoLabel { .. })
            ),
            "{e:#}"
        );
        std::fs::write(d.join("test.csv"), "a,b,label\n1,2,0\n").unwrap();
        let e = load_data(&d.join("train.csv"), &d.join("test.csv"), "label").unwrap_err();
        assert!(
            matches!(
                e.downcast_ref::<DemoError>(),
                Some(DemoError::OneClass { .. })
            ),
            "{e:#}"
        );
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn missing_wasm_opt_names_the_fix() {
        let e = DemoError::NoWasmOpt {
            artifact: PathBuf::from("/repo/artifacts/vigil_guard.wasm"),
            reason: "missing",
            wasm_opt: PathBuf::from("/repo/node_modules/.bin/wasm-opt"),
        };
        let s = e.to_string();
        assert!(
            s.contains("./scripts/setup.sh") && s.contains("npm ci"),
            "{s}"
        );
        assert!(s.contains("vigil_guard.wasm is missing"), "{s}");
        assert!(s.contains("--artifact PATH"), "{s}");
    }

    #[test]
    fn class_ratio_admits_the_whole_set() {
        let s = |label| TestSample {
            features: vec!["1".into()],
            label,
        };
        let mut v: Vec<TestSample> = (0..90).map(|_| s(false)).collect();
        v.extend((0..10).map(|_| s(true)));
        assert_eq!(class_ratio(&v), 9);
        let (ok, left) = msg::balance_order(v, Decimal::from_ratio(9u64, 1u64), (0, 0));
        assert_eq!((ok.len(), left.len()), (100, 0));
    }
}
