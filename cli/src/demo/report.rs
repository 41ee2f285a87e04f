//! Phase 6: the closing report (gas per call kind, models, accuracy) and
//! [`DemoReport`], what `vigil demo` returns.
use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use serde::Serialize;
use vigil_chain_sim::{Gas, WasmdGas};
use vigil_guard::gas::{check_gas, check_message_bytes};

use super::data::StreamTx;
use super::guard::{GasLog, GasRow};
use super::models::{ModelSummary, Role};
use super::poim::ProposalOutcome;
use super::stream::{Guarded, CHECK_V1};
use super::text::{pct, say};
use crate::report::thousands;

/// What `vigil demo` did and measured.
#[derive(Clone, Debug, Serialize)]
pub struct DemoReport {
    /// Where the data came from.
    pub dataset: String,
    /// Feature names.
    pub features: Vec<String>,
    /// Training rows.
    pub train_rows: usize,
    /// Test rows.
    pub test_rows: usize,
    /// Test rows stored on chain.
    pub chain_samples: usize,
    /// The guard artifact's size.
    pub artifact_bytes: usize,
    /// The guard artifact run.
    pub artifact: PathBuf,
    /// Its SHA-256 (hex).
    pub artifact_sha256: String,
    /// The governor artifact's size.
    pub governor_bytes: usize,
    /// The governor artifact run.
    pub governor_artifact: PathBuf,
    /// Its SHA-256 (hex).
    pub governor_sha256: String,
    /// Incumbent, better, worse.
    pub models: Vec<ModelSummary>,
    /// The guarded stream.
    pub stream: Vec<Guarded>,
    /// Better, then worse.
    pub proposals: Vec<ProposalOutcome>,
    /// Active model version at the end.
    pub active_version: u32,
    /// Gas per call kind, in the order first made.
    pub gas: Vec<GasRow>,
    /// Wall time.
    pub seconds: f64,
}

impl DemoReport {
    /// The gas row of a call kind.
    pub fn gas_of(&self, kind: &str) -> Option<&GasRow> {
        self.gas.iter().find(|g| g.kind == kind)
    }

    /// The proposal of a role.
    pub fn proposal(&self, role: Role) -> Option<&ProposalOutcome> {
        self.proposals.iter().find(|p| p.role == role)
    }
}

/// The closing report: gas per call kind, models, accuracy. Returns the
/// gas rows.
#[allow(clippy::too_many_arguments)]
pub(super) fn print_report(
    o: &mut dyn Write,
    log: &GasLog,
    models: &[ModelSummary],
    proposals: &[ProposalOutcome],
    active: usize,
    check_after: &str,
    active_version: u32,
    test_rows: usize,
    stream: &[StreamTx],
    envelope_bytes: usize,
) -> Result<Vec<GasRow>> {
    let gas = log.rows();
    say!(o);
    say!(
        o,
        "Report: SDK gas per call (wasmd: setup {} per call, {} if the code is pinned; KV storage; compute = VM gas / {}; \
         guard call: the governor's InstallModel on the guard in the same transaction, in the total)",
        thousands(WasmdGas::DEFAULT.instance_cost),
        thousands(WasmdGas::DEFAULT.instance_cost_pinned),
        thousands(WasmdGas::DEFAULT.multiplier)
    );
    say!(
        o,
        "  {:<32} {:>5} {:>11} {:>8} {:>10} {:>9} {:>11} {:>11}",
        "call",
        "calls",
        "mean total",
        "setup",
        "storage",
        "compute",
        "guard call",
        "max total"
    );
    for r in &gas {
        say!(
            o,
            "  {:<32} {:>5} {:>11} {:>8} {:>10} {:>9} {:>11} {:>11}",
            r.kind,
            r.calls,
            thousands(r.total),
            thousands(r.setup),
            thousands(r.storage),
            thousands(r.compute),
            thousands(r.guard_call),
            thousands(r.max)
        );
    }
    let eval_rows: u64 = proposals.iter().map(|p| u64::from(p.rows)).sum();
    let eval_gas: u64 = log
        .calls
        .iter()
        .filter(|(k, _)| k.starts_with("reveal_proposal") || k.starts_with("continue_evaluation"))
        .flat_map(|(_, v)| v.iter().map(Gas::above_setup))
        .sum();
    if let Some(per_row) = eval_gas.checked_div(eval_rows) {
        say!(
            o,
            "  PoIm evaluation: {} SDK gas per test row above setup (both models scored, sample read)",
            thousands(per_row)
        );
    }
    say!(o);
    say!(
        o,
        "Models (cost bound: wasm operations of parse + one inference; Check bound: the SDK gas \
         vigil_guard::gas bounds for the stream's longest message, setup included; measured: \
         the stream's dearest Check)"
    );
    // The stream's longest Check message: the input the bound is quoted for.
    let message_bytes = stream
        .iter()
        .map(|t| check_message_bytes(&t.features))
        .max()
        .unwrap_or(0);
    let n_features = stream.first().map_or(0, |t| t.features.len());
    say!(
        o,
        "  {:<10} {:<48} {:>7} {:>10} {:>11} {:>14}",
        "model",
        "what",
        "bytes",
        "bound ops",
        "Check bound",
        "Check measured"
    );
    for (i, m) in models.iter().enumerate() {
        let bound = check_gas(
            &m.cost.cost(),
            n_features,
            message_bytes,
            envelope_bytes,
            false,
        )
        .total();
        // Measured: the dearest Check while the model was active.
        let measured = match i {
            0 => gas.iter().find(|r| r.kind == CHECK_V1),
            _ if i == active => gas.iter().find(|r| r.kind == check_after),
            _ => None,
        }
        .map_or("-".to_string(), |r| thousands(r.max));
        say!(
            o,
            "  {:<10} {:<48} {:>7} {:>10} {:>11} {:>14}",
            m.role.name(),
            m.description,
            thousands(m.cost.model_bytes),
            thousands(m.cost.ops),
            thousands(bound),
            measured
        );
    }
    let pinned = |kind: &str| {
        gas.iter().find(|r| r.kind == kind).map_or(0, |r| {
            r.total - r.setup + WasmdGas::DEFAULT.instance_cost_pinned
        })
    };
    say!(
        o,
        "  with the code pinned, a Check costs {} SDK gas with model v1 and {} with model v{}",
        thousands(pinned(CHECK_V1)),
        thousands(pinned(check_after)),
        active_version
    );
    say!(o);
    say!(
        o,
        "Accuracy on the test set ({} rows; fixed = the integer core the chain runs, float = the f64 reference)",
        thousands(test_rows as u64)
    );
    say!(
        o,
        "  {:<10} {:>8} {:>7} {:>9} {:>7} {:>7}   {:>8} {:>7}   {:>13} {:>10}",
        "model",
        "accuracy",
        "f1",
        "precision",
        "recall",
        "auc",
        "float f1",
        "auc",
        "fixed = float",
        "max |diff|"
    );
    for m in models {
        let (x, f) = (&m.test.fixed, &m.test.float);
        say!(
            o,
            "  {:<10} {:>8.4} {:>7.4} {:>9.4} {:>7.4} {:>7}   {:>8.4} {:>7}   {:>13} {:>10.2e}",
            m.role.name(),
            x.accuracy,
            x.f1,
            x.precision,
            x.recall,
            crate::metrics::fmt_auc(x.auc, 7),
            f.f1,
            crate::metrics::fmt_auc(f.auc, 7),
            pct(m.test.agreement.agreement),
            m.test.agreement.max_score_diff
        );
    }
    Ok(gas)
}
