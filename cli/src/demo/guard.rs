//! Phase 3's chain client: the guard on the simulated chain
//! (`vigil_chain_sim::SimGuard`), every call's gas logged by kind for the
//! report, and the contract artifact the chain runs.
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::de::DeserializeOwned;
use serde::Serialize;
use vigil_chain_sim::artifact::{self, Source};
use vigil_chain_sim::{CallError, Chain, Gas, Outcome, SimGuard, Step};
use vigil_guard_api::msg::{ConfigResponse, ExecuteMsg, QueryMsg};

use super::args::{DemoArgs, DemoError};

/// SDK gas of one kind of call.
#[derive(Clone, Debug, Serialize)]
pub struct GasRow {
    /// The call.
    pub kind: String,
    /// How many were made.
    pub calls: usize,
    /// Mean setup.
    pub setup: u64,
    /// Mean storage.
    pub storage: u64,
    /// Mean compute.
    pub compute: u64,
    /// Mean total.
    pub total: u64,
    /// Largest total.
    pub max: u64,
}

/// Every call made, by kind, for the report.
#[derive(Default)]
pub(super) struct GasLog {
    pub order: Vec<String>,
    pub calls: BTreeMap<String, Vec<Gas>>,
}

impl GasLog {
    pub fn add(&mut self, kind: &str, gas: Gas) {
        if !self.calls.contains_key(kind) {
            self.order.push(kind.to_string());
        }
        self.calls.entry(kind.to_string()).or_default().push(gas);
    }

    pub fn rows(&self) -> Vec<GasRow> {
        self.order
            .iter()
            .map(|kind| {
                let g = &self.calls[kind];
                let n = g.len() as u64;
                let mean = |f: fn(&Gas) -> u64| g.iter().map(f).sum::<u64>() / n;
                GasRow {
                    kind: kind.clone(),
                    calls: g.len(),
                    setup: mean(|g| g.setup),
                    storage: mean(|g| g.storage),
                    compute: mean(|g| g.compute),
                    total: mean(Gas::total),
                    max: g.iter().map(Gas::total).max().unwrap_or(0),
                }
            })
            .collect()
    }
}

/// The guard on the chain, with every call's gas logged by kind.
pub(super) struct Guard {
    /// The typed client.
    pub sim: SimGuard,
    /// Gas per call kind.
    pub gas: GasLog,
}

impl Guard {
    /// The chain (balances, addresses).
    pub fn chain(&self) -> &Chain {
        self.sim.chain()
    }

    /// The chain, to mint funds.
    pub fn chain_mut(&mut self) -> &mut Chain {
        self.sim.chain_mut()
    }

    /// The error of a failed call of `kind`, its gas logged.
    pub fn failed(&mut self, kind: &str, e: CallError) -> anyhow::Error {
        self.gas.add(kind, *e.gas);
        DemoError::Chain {
            call: kind.to_string(),
            error: e.error,
        }
        .into()
    }

    /// An execute; `kind` records its gas.
    pub fn execute(
        &mut self,
        kind: &str,
        sender: &str,
        funds: &[(&str, u128)],
        msg: &ExecuteMsg,
    ) -> Result<Outcome> {
        match self.sim.execute(sender, funds, msg) {
            Ok(outcome) => {
                self.gas.add(kind, outcome.gas);
                Ok(outcome)
            }
            Err(e) => Err(self.failed(kind, e)),
        }
    }

    /// `RevealProposal` (`reveal`) or `ContinueEvaluation` as one
    /// evaluation step; `kind` records its gas.
    pub fn step(
        &mut self,
        kind: &str,
        call: impl FnOnce(&mut SimGuard) -> Result<Step, CallError>,
    ) -> Result<Step> {
        match call(&mut self.sim) {
            Ok(step) => {
                self.gas.add(kind, step.gas());
                Ok(step)
            }
            Err(e) => Err(self.failed(kind, e)),
        }
    }

    /// A query; `kind` records its gas (None: not reported).
    pub fn query<T: DeserializeOwned>(
        &mut self,
        kind: Option<&str>,
        msg: &QueryMsg,
    ) -> Result<(T, Gas)> {
        match self.sim.query(msg) {
            Ok((answer, gas)) => {
                if let Some(kind) = kind {
                    self.gas.add(kind, gas);
                }
                Ok((answer, gas))
            }
            Err(e) => {
                if let Some(kind) = kind {
                    self.gas.add(kind, *e.gas);
                }
                Err(DemoError::Chain {
                    call: format!("{msg:?}"),
                    error: e.error,
                }
                .into())
            }
        }
    }

    /// The guard's configuration (gas not reported).
    pub fn config(&mut self) -> Result<ConfigResponse> {
        Ok(self.query(None, &QueryMsg::Config {})?.0)
    }
}

/// The contract artifact a run uses.
pub(super) struct Artifact {
    /// Where it came from.
    pub source: Source,
    /// Its bytes.
    pub wasm: Vec<u8>,
    /// Their SHA-256 (hex), the code's checksum on a chain.
    pub sha256: String,
}

/// Where the artifact comes from, decided at run time
/// ([`artifact::locate`]): `--artifact`, else `$VIGIL_GUARD_WASM`, else the
/// checkout the current directory is in. A named file must exist. Called
/// first, so a run without an artifact stops before any training.
pub(super) fn locate_artifact(a: &DemoArgs) -> Result<Source> {
    let cwd = std::env::current_dir()?;
    let env = std::env::var_os(artifact::ENV_VAR);
    let source = artifact::locate(a.artifact.as_deref(), env.as_deref(), &cwd)
        .map_err(DemoError::NoArtifact)?;
    if let Source::Flag(path) | Source::Env(path) = &source {
        if !path.is_file() {
            return Err(DemoError::Artifact(format!(
                "{} (from {}) is not a file",
                path.display(),
                source.origin()
            ))
            .into());
        }
    }
    Ok(source)
}

/// The artifact's bytes: a named file as it is, a checkout's built first
/// if missing or stale.
pub(super) fn load_artifact(source: Source, a: &DemoArgs, o: &mut dyn Write) -> Result<Artifact> {
    let wasm = match &source {
        Source::Flag(path) | Source::Env(path) => std::fs::read(path).map_err(|e| {
            DemoError::Artifact(format!(
                "read {} (from {}): {e}",
                path.display(),
                source.origin()
            ))
        })?,
        Source::Checkout { root } => load_from_checkout(root, a.contract_target_dir.clone(), o)?,
    };
    let sha256 = artifact::sha256_hex(&wasm);
    Ok(Artifact {
        source,
        wasm,
        sha256,
    })
}

/// A checkout's artifact, built first (into `target_dir`, or the
/// checkout's default) if missing or stale.
fn load_from_checkout(
    root: &Path,
    target_dir: Option<PathBuf>,
    o: &mut dyn Write,
) -> Result<Vec<u8>> {
    if let Some(reason) = artifact::staleness(root) {
        let wasm_opt = artifact::wasm_opt(root);
        if !wasm_opt.exists() {
            return Err(DemoError::NoWasmOpt {
                artifact: artifact::path(root),
                reason,
                wasm_opt,
            }
            .into());
        }
        // artifact::load says why it builds (stderr).
        o.flush()?;
    }
    let target_dir = target_dir.unwrap_or_else(|| artifact::default_build_dir(root));
    Ok(artifact::load(root, &target_dir).map_err(DemoError::Artifact)?)
}
