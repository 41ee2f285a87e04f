//! Phase 3's chain client: the guard and its governor on the simulated
//! chain (`vigil_chain_sim::SimGuard`), every call's gas logged by kind
//! for the report, and the two contract artifacts the chain runs.
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
    /// Mean SDK gas of the contract calls the call's messages made (the
    /// governor's `InstallModel` on the guard), in the total.
    pub guard_call: u64,
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
                    guard_call: mean(|g| g.sub.total()),
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

/// The contract artifacts a run uses.
pub(super) struct Artifact {
    /// Where the guard's came from.
    pub source: Source,
    /// The guard's bytes.
    pub wasm: Vec<u8>,
    /// Their SHA-256 (hex), the code's checksum on a chain.
    pub sha256: String,
    /// The governor's.
    pub governor: GovernorArtifact,
}

/// The governor artifact a run uses.
pub(super) struct GovernorArtifact {
    /// Where it came from.
    pub source: GovernorSource,
    /// Its bytes.
    pub wasm: Vec<u8>,
    /// Their SHA-256 (hex).
    pub sha256: String,
}

/// Where the governor artifact comes from ([`locate_artifact`]).
#[derive(Clone, Debug)]
pub(super) struct GovernorSource {
    /// Its path.
    pub path: PathBuf,
    /// Where the choice came from, for messages.
    pub origin: &'static str,
    /// The checkout whose artifact it is (built when missing or stale);
    /// `None`: a named file, used as it is.
    pub checkout: Option<PathBuf>,
}

/// Where the artifacts come from, decided at run time: the guard's
/// ([`artifact::locate`]: `--artifact`, else `$VIGIL_GUARD_WASM`, else the
/// checkout the current directory is in), the governor's
/// (`--governor-artifact`, else `vigil_governor.wasm` beside the guard's:
/// in a checkout, its `artifacts/vigil_governor.wasm`). A named file must
/// exist. Called first, so a run without an artifact stops before any
/// training.
pub(super) fn locate_artifact(a: &DemoArgs) -> Result<(Source, GovernorSource)> {
    let cwd = std::env::current_dir()?;
    let env = std::env::var_os(artifact::ENV_VAR);
    let source = artifact::locate(a.artifact.as_deref(), env.as_deref(), &cwd)
        .map_err(DemoError::NoArtifact)?;
    if let Source::Flag(path) | Source::Env(path) = &source {
        must_be_file(path, source.origin())?;
    }
    let governor = match (&a.governor_artifact, &source) {
        (Some(path), _) => GovernorSource {
            path: cwd.join(path),
            origin: "--governor-artifact",
            checkout: None,
        },
        (None, Source::Checkout { root }) => GovernorSource {
            path: artifact::governor_path(root),
            origin: "the repository checkout",
            checkout: Some(root.clone()),
        },
        (None, Source::Flag(path) | Source::Env(path)) => GovernorSource {
            path: artifact::governor_beside(path),
            origin: "beside the guard artifact",
            checkout: None,
        },
    };
    if governor.checkout.is_none() {
        must_be_file(&governor.path, governor.origin)?;
    }
    Ok((source, governor))
}

fn must_be_file(path: &Path, origin: &str) -> Result<()> {
    if path.is_file() {
        Ok(())
    } else {
        Err(DemoError::Artifact(format!("{} (from {origin}) is not a file", path.display())).into())
    }
}

/// The artifacts' bytes: a named file as it is, a checkout's built first
/// if missing or stale.
pub(super) fn load_artifact(
    (source, governor): (Source, GovernorSource),
    a: &DemoArgs,
    o: &mut dyn Write,
) -> Result<Artifact> {
    let read = |path: &Path, origin: &str| {
        std::fs::read(path).map_err(|e| {
            DemoError::Artifact(format!("read {} (from {origin}): {e}", path.display()))
        })
    };
    let wasm = match &source {
        Source::Flag(path) | Source::Env(path) => read(path, source.origin())?,
        Source::Checkout { root } => {
            load_from_checkout(root, Which::Guard, a.contract_target_dir.clone(), o)?
        }
    };
    let governor_wasm = match &governor.checkout {
        None => read(&governor.path, governor.origin)?,
        Some(root) => load_from_checkout(root, Which::Governor, a.contract_target_dir.clone(), o)?,
    };
    Ok(Artifact {
        sha256: artifact::sha256_hex(&wasm),
        source,
        wasm,
        governor: GovernorArtifact {
            sha256: artifact::sha256_hex(&governor_wasm),
            source: governor,
            wasm: governor_wasm,
        },
    })
}

/// Which of a checkout's artifacts.
#[derive(Clone, Copy)]
enum Which {
    Guard,
    Governor,
}

/// A checkout's artifact, built first (into `target_dir`, or the
/// checkout's default) if missing or stale.
fn load_from_checkout(
    root: &Path,
    which: Which,
    target_dir: Option<PathBuf>,
    o: &mut dyn Write,
) -> Result<Vec<u8>> {
    let (stale, path) = match which {
        Which::Guard => (artifact::staleness(root), artifact::path(root)),
        Which::Governor => (
            artifact::governor_staleness(root),
            artifact::governor_path(root),
        ),
    };
    if let Some(reason) = stale {
        let wasm_opt = artifact::wasm_opt(root);
        if !wasm_opt.exists() {
            return Err(DemoError::NoWasmOpt {
                artifact: path,
                reason,
                wasm_opt,
            }
            .into());
        }
        // artifact::load says why it builds (stderr).
        o.flush()?;
    }
    let target_dir = target_dir.unwrap_or_else(|| artifact::default_build_dir(root));
    let loaded = match which {
        Which::Guard => artifact::load(root, &target_dir),
        Which::Governor => artifact::load_governor(root, &target_dir),
    };
    Ok(loaded.map_err(DemoError::Artifact)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_governor_artifact_is_named_or_found_beside_the_guards() {
        let d = std::env::temp_dir().join(format!("vigil-demo-locate-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("vigil_guard.wasm"), b"guard").unwrap();
        std::fs::write(d.join("other.wasm"), b"governor").unwrap();
        let mut a = DemoArgs::new(d.clone());
        a.artifact = Some(d.join("vigil_guard.wasm"));
        // None beside the guard's: an error naming the file and why it was
        // looked for there.
        let e = locate_artifact(&a).unwrap_err().to_string();
        assert!(
            e.contains("vigil_governor.wasm") && e.contains("beside the guard artifact"),
            "{e}"
        );
        std::fs::write(d.join(artifact::GOVERNOR_FILE), b"governor").unwrap();
        let (guard, governor) = locate_artifact(&a).unwrap();
        assert_eq!(guard, Source::Flag(d.join("vigil_guard.wasm")));
        assert_eq!(governor.path, d.join("vigil_governor.wasm"));
        assert_eq!(governor.origin, "beside the guard artifact");
        assert!(governor.checkout.is_none(), "a named file is never built");
        // A flag names another file.
        a.governor_artifact = Some(d.join("other.wasm"));
        let (_, governor) = locate_artifact(&a).unwrap();
        assert_eq!(
            (governor.path, governor.origin),
            (d.join("other.wasm"), "--governor-artifact")
        );
        a.governor_artifact = Some(d.join("missing.wasm"));
        let e = locate_artifact(&a).unwrap_err().to_string();
        assert!(
            e.contains("missing.wasm") && e.contains("--governor-artifact"),
            "{e}"
        );
        std::fs::remove_dir_all(&d).unwrap();
    }
}
