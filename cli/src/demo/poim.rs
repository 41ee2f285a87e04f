//! Phase 5: the Proof-of-Improvement round: a proposal evaluated by the
//! contract step by step, its outcome checked against the native core.
use std::io::Write;

use anyhow::{Context, Result};
use serde::Serialize;
use vigil_chain_sim::Gas;
use vigil_guard_api::msg::{
    Metrics as ChainMetrics, ProposalResponse, ProposalsResponse, QueryMsg, TestSample,
};
use vigil_inference_core::{decimal, Act, Model};

use super::args::{DemoArgs, BOND, DENOM, PROPOSER_FUNDS};
use super::guard::Guard;
use super::models::{ModelSummary, Role};
use super::text::{bar, dec, money, say};
use crate::metrics::Confusion;
use crate::report::thousands;

/// One Proof-of-Improvement proposal.
#[derive(Clone, Debug, Serialize)]
pub struct ProposalOutcome {
    /// Which model was proposed.
    pub role: Role,
    /// Proposal id.
    pub id: u64,
    /// Accepted (else rejected).
    pub accepted: bool,
    /// Transactions it took (RevealProposal + ContinueEvaluation; the
    /// CommitProposal before them not counted).
    pub steps: usize,
    /// Test rows the contract evaluated.
    pub rows: u32,
    /// The bond attached.
    pub bond: u128,
    /// Reward paid (accepted).
    pub reward: u128,
    /// Proposer balance before, while evaluated (after the first step) and
    /// after.
    pub proposer_balance: [u128; 3],
    /// Vault before and after.
    pub vault: [u128; 2],
    /// The contract's metrics of the candidate.
    pub candidate: ChainMetrics,
    /// The contract's metrics of the incumbent on the same rows.
    pub incumbent: ChainMetrics,
    /// Per metric (accuracy, f1, precision, recall): improved / worsened /
    /// unchanged, as the contract decided.
    pub movements: Vec<String>,
    /// The contract's confusion counts equal the native core's on the
    /// same samples, for both models.
    pub counts_match_native: bool,
}

/// Confusion counts of a model on test samples, computed natively.
pub(super) fn native_confusion(blob: &[u8], samples: &[TestSample]) -> Result<Confusion> {
    let model = Model::parse(blob)?;
    let mut scratch = vec![Act::ZERO; model.scratch_len()];
    let mut pred = Vec::with_capacity(samples.len());
    let mut truth = Vec::with_capacity(samples.len());
    for s in samples {
        let inputs = s
            .features
            .iter()
            .map(|v| decimal::parse(v))
            .collect::<Result<Vec<_>, _>>()?;
        pred.push(model.infer(&inputs, &mut scratch)?.label);
        truth.push(s.label);
    }
    Ok(Confusion::of(&pred, &truth))
}

pub(super) fn same_counts(chain: &ChainMetrics, native: &Confusion) -> bool {
    (
        u64::from(chain.tp),
        u64::from(chain.fp),
        u64::from(chain.tn),
        u64::from(chain.fn_),
    ) == (native.tp, native.fp, native.tn, native.fn_)
}

/// One proposal from `who`: `CommitProposal`, `RevealProposal` after the
/// reveal delay (the first evaluation step), then `ContinueEvaluation`
/// until decided, with balances before and after.
#[allow(clippy::too_many_arguments)]
pub(super) fn propose(
    g: &mut Guard,
    a: &DemoArgs,
    who: &str,
    model: &ModelSummary,
    blob: &[u8],
    incumbent_blob: &[u8],
    samples: &[TestSample],
    o: &mut dyn Write,
) -> Result<ProposalOutcome> {
    let test_rows = samples.len() as u64;
    let role = model.role;
    let proposer = g.chain().addr(who);
    g.chain_mut().mint(&proposer, DENOM, PROPOSER_FUNDS);
    let before = g.chain().balance(&proposer, DENOM);
    let vault_before = g.config()?.vault.u128();
    say!(
        o,
        "  {who} proposes the {} model ({}), bond {} {DENOM}",
        role.name(),
        model.description,
        money(BOND)
    );
    let b = bar(a.progress, test_rows, "evaluating");
    const SALT: [u8; 32] = [0x5a; 32];
    let (id, commit_gas) = g
        .sim
        .commit(&proposer, &[(DENOM, BOND)], blob, &SALT)
        .map_err(|e| g.failed("commit_proposal", e))?;
    g.gas.add("commit_proposal", commit_gas);
    let delay = g.config()?.reveal_delay;
    g.chain_mut().advance(delay.saturating_sub(1));
    let mut last = g.step("reveal_proposal (first step)", |s| {
        s.reveal(&proposer, id, blob, &SALT)
    })?;
    let id = last.proposal_id;
    let during = g.chain().balance(&proposer, DENOM);
    let mut steps = 1;
    while last.is_evaluating() {
        b.set_position(last.evaluated.map_or(0, u64::from));
        last = g.step("continue_evaluation", |s| {
            s.continue_evaluation(&proposer, id)
        })?;
        steps += 1;
    }
    b.finish_and_clear();
    let status = last.status.clone();
    let last = last.outcome;
    let (list, _): (ProposalsResponse, Gas) = g.query(
        None,
        &QueryMsg::Proposals {
            start_after: id.checked_sub(1),
            limit: Some(1),
        },
    )?;
    let p: ProposalResponse = list
        .proposals
        .into_iter()
        .find(|p| p.id == id)
        .context("the proposal is listed")?;
    let accepted = status == "accepted";
    let after = g.chain().balance(&proposer, DENOM);
    let vault_after = g.config()?.vault.u128();
    let reward: u128 = last
        .attribute("reward")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let movements: Vec<String> = ["accuracy", "f1", "precision", "recall"]
        .iter()
        .map(|m| {
            last.attribute(&format!("{m}_movement"))
                .unwrap_or_else(|| "?".into())
        })
        .collect();
    let counts_match_native = same_counts(&p.candidate, &native_confusion(blob, samples)?)
        && same_counts(&p.incumbent, &native_confusion(incumbent_blob, samples)?);
    let line = |m: &ChainMetrics| {
        format!(
            "accuracy {:.4}  f1 {:.4}  precision {:.4}  recall {:.4}",
            dec(m.accuracy),
            dec(m.f1),
            dec(m.precision),
            dec(m.recall)
        )
    };
    say!(
        o,
        "    evaluated {} rows in {steps} transactions (RevealProposal + {} ContinueEvaluation)",
        thousands(p.evaluated.into()),
        steps - 1
    );
    say!(o, "    candidate  {}", line(&p.candidate));
    say!(o, "    incumbent  {}", line(&p.incumbent));
    say!(
        o,
        "    movements: accuracy {}, f1 {}, precision {}, recall {}; contract counts {} the native core's",
        movements[0],
        movements[1],
        movements[2],
        movements[3],
        if counts_match_native {
            "equal"
        } else {
            "DIFFER FROM"
        }
    );
    if accepted {
        say!(
            o,
            "    ACCEPTED: model v{} active; {who}: {} -> {} while evaluated -> {} {DENOM} \
             (bond back + reward {}); vault {} -> {}",
            p.accepted_version.unwrap_or(0),
            money(before),
            money(during),
            money(after),
            money(reward),
            money(vault_before),
            money(vault_after)
        );
    } else {
        say!(
            o,
            "    REJECTED: bond slashed to the vault; {who}: {} -> {} {DENOM}; vault {} -> {}",
            money(before),
            money(after),
            money(vault_before),
            money(vault_after)
        );
    }
    Ok(ProposalOutcome {
        role,
        id,
        accepted,
        steps,
        rows: p.evaluated,
        bond: BOND,
        reward,
        proposer_balance: [before, during, after],
        vault: [vault_before, vault_after],
        candidate: p.candidate,
        incumbent: p.incumbent,
        movements,
        counts_match_native,
    })
}
