//! `vigil demo --breaker`: the guard's baselines and circuit breaker on
//! attacks that were not used to design it.
//!
//! 1. The breaker's model: `vigil train`'s code on the seven derived features
//!    of the training file's log (`cli/scenarios/breaker-train.json`: other
//!    seeds, other attacks), its threshold at a low false-positive rate on
//!    that file's normal traffic ([`crate::scenario::train`]).
//! 2. Each attack of the evaluation file (`cli/scenarios/breaker.json`) on
//!    its copy of the normal traffic, three ways: unguarded, an
//!    ERC-7265-style fixed rate limit alone (native), and guarded: the
//!    shipped guard artifact in cosmwasm-vm, the governor instantiated with
//!    the model, `BindGuard`, the vault and the pool registered
//!    (`RegisterProtected`, the guard's default `ProtectedSettings`); for
//!    each action the protected contract queries `Verdict`, then sends
//!    `Observe` with what it did (paid, parked or refused). Parked attack
//!    actions count as stopped (the guardian cancels them); parked normal
//!    actions are false delays. The same run natively
//!    ([`crate::scenario::play::NativeGuard`]) is shown beside it.
//! 3. Normal traffic alone through the guard: false trips and delays per
//!    100,000 normal actions.
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use cosmwasm_std::{from_json, Binary, Decimal, Uint128};
use serde::Serialize;
use vigil_chain_sim::{split, Chain, Gas, SimGuard, WasmdGas};
use vigil_guard_api::breaker::{Action, Outcome, ProtectedSettings, Verdict, VerdictResponse};
use vigil_guard_api::guard_msg::{GuardExecuteMsg, GuardQueryMsg};
use vigil_guard_api::msg::{CheckResponse, PausedCheck, RewardRule};

use super::args::{DemoArgs, DemoError, DENOM, TX_GAS_LIMIT};
use super::guard::{load_artifact, locate_artifact, Artifact};
use super::text::say;
use crate::msg::{self, InstantiateArgs};
use crate::report::thousands;
use crate::scenario::evaluate::{run_normal, run_scenarios, NormalResult, ScenarioResult};
use crate::scenario::features::q16_decimal;
use crate::scenario::play::{Decision, NativeGuard, Policy, Step};
use crate::scenario::train::{train_breaker, BreakerModel};
use crate::scenario::{LogRow, ScenarioConfig};

/// The evaluation scenarios shipped with the CLI (`--scenarios` names
/// another file).
pub const EVAL_SCENARIOS: &str = include_str!("../../scenarios/breaker.json");
/// The training scenarios shipped with the CLI (`--train-scenarios`).
pub const TRAIN_SCENARIOS: &str = include_str!("../../scenarios/breaker-train.json");
/// Normal actions of the normal-only run by default: the issue's
/// denominator (under two minutes in a release build).
pub const DEFAULT_NORMAL_ACTIONS: usize = 100_000;
/// The declared unit of the protected contracts.
pub const UNIT: &str = "uusd";

/// One scenario of the report (the keys, then more).
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioRow {
    /// Its name.
    pub name: String,
    /// Attackers' paid outflow over the target's initial total value: the
    /// shipped guard in cosmwasm-vm.
    pub loss_share_guarded: f64,
    /// With an ERC-7265-style fixed rate limit alone.
    pub loss_share_rate_limit_only: f64,
    /// With no guard.
    pub loss_share_unguarded: f64,
    /// The guard's first trip from the attack's start.
    pub tripped_at_block: Option<u64>,
    /// The same guard natively (the core's baseline and breaker).
    pub loss_share_guarded_native: f64,
    /// Its first trip.
    pub tripped_at_block_native: Option<u64>,
    /// Everything measured in the VM run.
    pub detail: ScenarioResult,
}

/// What `vigil demo --breaker` reports.
#[derive(Clone, Debug, Serialize)]
pub struct BreakerReport {
    /// Per attack.
    pub scenarios: Vec<ScenarioRow>,
    /// Breaker trips per 100,000 normal actions (the VM).
    pub false_trips_per_100k: f64,
    /// Normal actions parked per 100,000 (the VM).
    pub false_delays_per_100k: f64,
    /// The normal-only run in the VM.
    pub normal: NormalResult,
    /// The same natively.
    pub normal_native: NormalResult,
    /// The model.
    pub model: BreakerModel,
    /// The settings every protected contract was registered with.
    pub settings: ProtectedSettings,
    /// SDK gas of the calls.
    pub gas: BreakerGas,
    /// The guard artifact and its SHA-256.
    pub artifact: PathBuf,
    /// See `artifact`.
    pub artifact_sha256: String,
    /// The derived features the contract returned equal the native
    /// derivation's, every action (count compared).
    pub derived_compared: u64,
    /// Seconds.
    pub seconds: f64,
}

/// SDK gas of the breaker's calls.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BreakerGas {
    /// `Observe` (mean and largest total).
    pub observe_mean: u64,
    /// See `observe_mean`.
    pub observe_max: u64,
    /// `Verdict` query (mean total).
    pub verdict_mean: u64,
    /// A plain `Check` of the same seven features (mean total).
    pub check_mean: u64,
    /// `observe_mean - check_mean`.
    pub observe_above_check: i64,
    /// Calls measured.
    pub observes: u64,
}

/// Gas of each `Observe`, `Verdict` and `Check` of one or more runs.
#[derive(Clone, Debug, Default)]
pub struct GasSink {
    /// `Observe`.
    pub observe: Vec<Gas>,
    /// `Verdict`.
    pub verdict: Vec<Gas>,
    /// `Check`.
    pub check: Vec<Gas>,
}

/// The guard in cosmwasm-vm as a [`Policy`]: the protected contracts
/// registered under the addresses of their names.
pub struct VmGuard {
    sim: SimGuard,
    addresses: BTreeMap<String, String>,
    /// Gas of the calls (shared by the runs of a report).
    pub gas: Rc<RefCell<GasSink>>,
    /// Ask a plain `Check` of the derived features every this many actions
    /// (0: never).
    pub check_every: u64,
    /// The derived features of each action as the contract returned them
    /// and what was done with it, when `keep_derived`.
    pub derived: Vec<(Vec<String>, Decision)>,
    /// See `derived`.
    pub keep_derived: bool,
    steps: u64,
}

/// The governor's instantiate message with the breaker model.
fn instantiate_msg(model: &BreakerModel) -> Result<vigil_guard_api::msg::InstantiateMsg> {
    let m = vigil_inference_core::Model::parse(&model.blob)?;
    let n = u16::try_from(m.n_features())?;
    let check = vigil_guard::gas::quoted_check_gas(&m.cost(), n).above_setup();
    msg::instantiate(InstantiateArgs {
        admin: None,
        n_features: None,
        model: Some(model.path.clone()),
        bond_denom: DENOM.into(),
        min_bond: super::args::BOND,
        margins: msg::uniform_margins(
            msg::decimal("min_gain", super::args::MIN_GAIN)?,
            msg::decimal("tolerance", super::args::TOLERANCE)?,
        ),
        reward: RewardRule::BondShare {
            share: msg::decimal("share", super::args::REWARD_SHARE)?,
        },
        max_inference_ops: Some((2 * m.cost().ops).max(1_000_000)),
        max_check_gas: Some(msg::default_max_check_gas(Some(check))),
        deny_threshold: None,
        paused_check: PausedCheck::Deny,
        max_class_ratio: Decimal::from_ratio(9u64, 1u64),
        eval_batch: 250,
        stall_blocks: vigil_guard_api::settings::DEFAULT_STALL_BLOCKS,
        stall_fee: vigil_guard_api::settings::DEFAULT_STALL_FEE,
        envelope_margin: vigil_guard_api::settings::default_envelope_margin(),
        reveal_delay: vigil_guard_api::settings::DEFAULT_REVEAL_DELAY,
        activation_delay: 0,
        guardian: None,
        governance_delay: 0,
        curator: None,
        test_samples: Vec::new(),
    })
}

/// Each contract's settings: the guard's defaults for its kinds.
pub fn settings_for(cfg: &ScenarioConfig, contract: &str) -> ProtectedSettings {
    let kinds = cfg
        .contract(contract)
        .map(|c| c.kinds.iter().map(|k| k.name.clone()).collect())
        .unwrap_or_default();
    ProtectedSettings::with_kinds(kinds, UNIT)
}

impl VmGuard {
    /// A fresh chain with the guard and governor of `artifact`, the model
    /// installed and every contract of `cfg` registered from the admin.
    pub fn deploy(
        guard_wasm: &[u8],
        governor_wasm: &[u8],
        cache: &std::path::Path,
        cfg: &ScenarioConfig,
        model: &BreakerModel,
    ) -> Result<VmGuard> {
        let chain = split::chain(governor_wasm, guard_wasm, cache, WasmdGas::DEFAULT)
            .map_err(DemoError::Artifact)?;
        let admin = chain.addr("admin");
        let init = instantiate_msg(model)?;
        let (mut sim, _) =
            SimGuard::deploy(chain, &admin, &[], &init, TX_GAS_LIMIT).map_err(|e| {
                DemoError::Chain {
                    call: e.call,
                    error: e.error,
                }
            })?;
        let mut addresses = BTreeMap::new();
        for c in &cfg.contracts {
            let address = sim.chain().addr(&c.name);
            let msg = GuardExecuteMsg::RegisterProtected {
                contract: address.clone(),
                settings: settings_for(cfg, &c.name),
            };
            let o = sim
                .chain_mut()
                .execute_on(split::GUARD, &admin, &[], &msg, TX_GAS_LIMIT);
            if let Err(error) = o.result {
                bail!(DemoError::Chain {
                    call: format!("RegisterProtected {}", c.name),
                    error,
                });
            }
            addresses.insert(c.name.clone(), address);
        }
        Ok(VmGuard {
            sim,
            addresses,
            gas: Rc::default(),
            check_every: 0,
            derived: Vec::new(),
            keep_derived: false,
            steps: 0,
        })
    }

    /// The chain.
    pub fn chain(&mut self) -> &mut Chain {
        self.sim.chain_mut()
    }
}

/// A log row as the action a protected contract reports.
pub fn wire_action(r: &LogRow) -> Action {
    Action {
        kind: r.kind.clone(),
        value: Uint128::new(r.value),
        total_value: Uint128::new(r.total_value),
        price: (r.price > 0).then(|| Uint128::new(r.price)),
        caller: r.caller.clone(),
        features: Vec::new(),
    }
}

impl Policy for VmGuard {
    fn step(&mut self, r: &LogRow) -> Result<Step> {
        let Some(contract) = self.addresses.get(&r.contract).cloned() else {
            bail!("{} is not registered", r.contract);
        };
        let action = wire_action(r);
        let chain = self.sim.chain_mut();
        chain.set_height(r.height);
        let q = chain.query_on(
            split::GUARD,
            &GuardQueryMsg::Verdict {
                contract: contract.clone(),
                action: action.clone(),
            },
        );
        self.gas.borrow_mut().verdict.push(q.gas);
        let v: VerdictResponse = q.parse().map_err(|error| DemoError::Chain {
            call: "Verdict".into(),
            error,
        })?;
        let (decision, outcome) = match v.verdict {
            Verdict::Allow => (Decision::Pay, Outcome::Paid),
            Verdict::Delay { .. } => (Decision::Park, Outcome::Parked),
            Verdict::Deny { .. } => (Decision::Refuse, Outcome::Refused),
        };
        self.steps += 1;
        if self.check_every > 0 && self.steps.is_multiple_of(self.check_every) {
            let c = chain.query_on(
                split::GUARD,
                &GuardQueryMsg::Check {
                    features: v.derived.clone(),
                },
            );
            c.parse::<CheckResponse>()
                .map_err(|error| DemoError::Chain {
                    call: "Check".into(),
                    error,
                })?;
            self.gas.borrow_mut().check.push(c.gas);
        }
        chain.set_height(r.height);
        let o = chain.execute_on(
            split::GUARD,
            &contract,
            &[],
            &GuardExecuteMsg::Observe { action, outcome },
            TX_GAS_LIMIT,
        );
        self.gas.borrow_mut().observe.push(o.gas);
        let response = o.result.as_ref().map_err(|error| DemoError::Chain {
            call: format!("Observe ({outcome:?}) at height {}", r.height),
            error: error.clone(),
        })?;
        let data: Binary = serde_json::from_value(response["data"].clone())
            .context("Observe returns its VerdictResponse as data")?;
        let observed: VerdictResponse = from_json(&data)?;
        if observed.verdict != v.verdict || observed.derived != v.derived {
            bail!(
                "Observe judged {:?} {:?}, the Verdict query {:?} {:?} (height {})",
                observed.verdict,
                observed.derived,
                v.verdict,
                v.derived,
                r.height
            );
        }
        if self.keep_derived {
            self.derived.push((observed.derived, decision));
        }
        let tripped = o.attribute("transition").as_deref() == Some("tripped");
        Ok(Step { decision, tripped })
    }
}

/// Checks the derived features the contract returned for `rows` (with what
/// was done with each) against [`crate::scenario::features::Deriver`]'s;
/// the count compared.
pub fn compare_derived(
    settings: &ProtectedSettings,
    rows: &[LogRow],
    contract: &[(Vec<String>, Decision)],
) -> Result<u64> {
    if contract.len() != rows.len() {
        bail!(
            "{} derived answers for {} actions",
            contract.len(),
            rows.len()
        );
    }
    let mut d =
        crate::scenario::features::Deriver::new(crate::scenario::features::params(settings)?);
    for (i, (r, (c, decision))) in rows.iter().zip(contract).enumerate() {
        let native: Vec<String> = d.derive(r).iter().map(|&v| q16_decimal(v)).collect();
        let same = c.len() == native.len()
            && c.iter().zip(&native).all(|(c, n)| {
                crate::scenario::features::decimal_q16_exact(c)
                    == crate::scenario::features::decimal_q16_exact(n)
            });
        if !same {
            bail!("action {i} ({r:?}): the contract derived {c:?}, the CLI {native:?}");
        }
        if *decision == Decision::Pay {
            d.record(r);
        }
    }
    Ok(rows.len() as u64)
}

/// Means of gas totals.
fn mean(g: &[Gas]) -> u64 {
    g.iter().map(Gas::total).sum::<u64>() / g.len().max(1) as u64
}

/// What `run_breaker` needs besides the artifact.
#[derive(Clone, Debug)]
pub struct BreakerArgs {
    /// The evaluation file (`None`: [`EVAL_SCENARIOS`]).
    pub scenarios: Option<PathBuf>,
    /// The training file (`None`: [`TRAIN_SCENARIOS`]).
    pub train_scenarios: Option<PathBuf>,
    /// Normal actions of the normal-only run.
    pub normal_actions: usize,
    /// The model family.
    pub family: crate::train::Family,
    /// The threshold's share of the training normal actions denied.
    pub fpr: f64,
}

impl Default for BreakerArgs {
    fn default() -> Self {
        BreakerArgs {
            scenarios: None,
            train_scenarios: None,
            normal_actions: DEFAULT_NORMAL_ACTIONS,
            family: crate::train::Family::Gbdt,
            fpr: crate::scenario::train::TRAINING_FPR,
        }
    }
}

fn load_config(path: &Option<PathBuf>, shipped: &str, what: &str) -> Result<ScenarioConfig> {
    match path {
        Some(p) => ScenarioConfig::load(p),
        None => {
            let c: ScenarioConfig = serde_json::from_str(shipped)
                .with_context(|| format!("the shipped {what} file"))?;
            c.validate()?;
            Ok(c)
        }
    }
}

/// Runs `vigil demo --breaker`, writing its text to `o`.
pub fn run_breaker(a: &DemoArgs, b: &BreakerArgs, o: &mut dyn Write) -> Result<BreakerReport> {
    let start = Instant::now();
    let source = locate_artifact(a)?;
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("cannot create {}", a.out.display()))?;
    let eval = load_config(&b.scenarios, EVAL_SCENARIOS, "evaluation")?;
    let train = load_config(&b.train_scenarios, TRAIN_SCENARIOS, "training")?;
    let names = |c: &ScenarioConfig| -> Vec<String> {
        c.contracts.iter().map(|c| c.name.clone()).collect()
    };
    if names(&eval) != names(&train) {
        bail!("the training and evaluation files must describe the same contracts");
    }
    // One settings for the derivation: the guard's defaults (the same
    // window and baseline parameters for every contract).
    let settings = ProtectedSettings::with_kinds(
        eval.contracts
            .iter()
            .flat_map(|c| c.kinds.iter().map(|k| k.name.clone()))
            .collect(),
        UNIT,
    );
    say!(
        o,
        "vigil demo --breaker: the guard's baselines and circuit breaker"
    );
    say!(o);
    say!(
        o,
        "[1/3] model: {} on the seven derived features of the training file (seed {}, {} attacks)",
        b.family,
        train.seed,
        train.attacks.len()
    );
    let model = train_breaker(&train, &settings, &a.out, b.family, b.fpr, a.seed)?;
    say!(
        o,
        "  {} normal and {} attack rows; threshold {:.4} denies {:.4}% of the training normal \
         actions and {:.1}% of the attack actions",
        thousands(model.normal_rows as u64),
        thousands(model.attack_rows as u64),
        model.threshold,
        100.0 * model.normal_denied,
        100.0 * model.attack_denied
    );

    let artifact: Artifact = load_artifact(source, a, o)?;
    let cache = a.out.join("cosmwasm-cache");
    let deploy = || {
        VmGuard::deploy(
            &artifact.wasm,
            &artifact.governor.wasm,
            &cache,
            &eval,
            &model,
        )
    };
    say!(o);
    say!(
        o,
        "[2/3] attacks (seed {}): each on its own copy of the normal traffic, after the guard's \
         warm-up ({} windows of {} blocks)",
        eval.seed,
        settings.warmup_windows,
        settings.window_blocks
    );
    say!(
        o,
        "  guard {} ({} bytes, sha256 {}) in cosmwasm-vm; parked attack actions count as \
         stopped (the guardian cancels them)",
        artifact.source.path().display(),
        thousands(artifact.wasm.len() as u64),
        artifact.sha256
    );
    let sink: Rc<RefCell<GasSink>> = Rc::default();
    let vm = run_scenarios(&eval, &settings, &mut |_| {
        let mut g = deploy()?;
        g.check_every = 50;
        g.gas = sink.clone();
        Ok(Box::new(g))
    })?;
    let native = run_scenarios(&eval, &settings, &mut |_| {
        Ok(Box::new(NativeGuard::new(&model.blob, &settings)?))
    })?;
    say!(
        o,
        "  {:<24} {:>9} {:>11} {:>10} {:>10} {:>9}",
        "scenario",
        "guarded",
        "rate limit",
        "unguarded",
        "tripped",
        "native"
    );
    let mut scenarios = Vec::new();
    for (v, n) in vm.into_iter().zip(native) {
        say!(
            o,
            "  {:<24} {:>8.2}% {:>10.2}% {:>9.2}% {:>10} {:>8.2}%",
            v.name,
            100.0 * v.loss_share_guarded,
            100.0 * v.loss_share_rate_limit_only,
            100.0 * v.loss_share_unguarded,
            v.tripped_at_block
                .map_or("never".to_string(), |h| h.to_string()),
            100.0 * n.loss_share_guarded
        );
        scenarios.push(ScenarioRow {
            name: v.name.clone(),
            loss_share_guarded: v.loss_share_guarded,
            loss_share_rate_limit_only: v.loss_share_rate_limit_only,
            loss_share_unguarded: v.loss_share_unguarded,
            tripped_at_block: v.tripped_at_block,
            loss_share_guarded_native: n.loss_share_guarded,
            tripped_at_block_native: n.tripped_at_block,
            detail: v,
        });
    }
    say!(o);
    say!(
        o,
        "[3/3] normal traffic alone: {} normal actions through the guard",
        thousands(b.normal_actions as u64)
    );
    let mut g = deploy()?;
    g.keep_derived = true;
    g.gas = sink.clone();
    let normal = run_normal(&eval, b.normal_actions, &mut g)?;
    // The contract's derived features against the CLI's own derivation of
    // the same log (the actions the guard let through recorded).
    let rows = crate::scenario::normal_log(&eval, Some(b.normal_actions));
    let compared = compare_derived(&settings, &rows, &g.derived)?;
    let normal_native = run_normal(
        &eval,
        b.normal_actions,
        &mut NativeGuard::new(&model.blob, &settings)?,
    )?;
    say!(
        o,
        "  {} false trips ({:.2} per 100,000), {} false delays ({:.1} per 100,000), {} refused \
         ({:.1} per 100,000); natively {} / {} / {}",
        normal.trips,
        normal.trips_per_100k,
        normal.delays,
        normal.delays_per_100k,
        normal.denials,
        normal.denials_per_100k,
        normal_native.trips,
        normal_native.delays,
        normal_native.denials
    );
    if compared > 0 {
        say!(
            o,
            "  the contract's derived features equal the CLI's derivation on all {} actions",
            thousands(compared)
        );
    }
    let gas = {
        let s = sink.borrow();
        let observe_mean = mean(&s.observe);
        let check_mean = mean(&s.check);
        BreakerGas {
            observes: s.observe.len() as u64,
            observe_mean,
            observe_max: s.observe.iter().map(Gas::total).max().unwrap_or(0),
            verdict_mean: mean(&s.verdict),
            check_mean,
            observe_above_check: observe_mean as i64 - check_mean as i64,
        }
    };
    say!(o);
    say!(
        o,
        "gas: Observe {} SDK gas on average (largest {}), Verdict query {}, a plain Check of the \
         same seven features {}: an observed action costs {} above a Check",
        thousands(gas.observe_mean),
        thousands(gas.observe_max),
        thousands(gas.verdict_mean),
        thousands(gas.check_mean),
        thousands(gas.observe_above_check.max(0) as u64)
    );
    let seconds = start.elapsed().as_secs_f64();
    say!(o, "done in {seconds:.1} s");
    Ok(BreakerReport {
        false_trips_per_100k: normal.trips_per_100k,
        false_delays_per_100k: normal.delays_per_100k,
        scenarios,
        normal,
        normal_native,
        model,
        settings,
        gas,
        artifact: artifact.source.path(),
        artifact_sha256: artifact.sha256.clone(),
        derived_compared: compared,
        seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::features::{derive_log, params};
    use crate::scenario::tests::sample_config;
    use crate::scenario::{scenario_log, PricePaths};

    #[test]
    fn the_derived_features_are_compared_exactly() {
        let cfg = sample_config();
        let prices = PricePaths::new(&cfg, 4_000);
        let rows = scenario_log(&cfg, &prices, 0);
        let settings = settings_for(&cfg, "vault");
        let native = derive_log(params(&settings).unwrap(), &rows);
        let mut answers: Vec<(Vec<String>, Decision)> = native
            .iter()
            .map(|f| (f.iter().map(|&v| q16_decimal(v)).collect(), Decision::Pay))
            .collect();
        assert_eq!(
            compare_derived(&settings, &rows, &answers).unwrap(),
            rows.len() as u64
        );
        // Another spelling of the same value is the same value.
        answers[0].0[2] = format!("{}.000", answers[0].0[2].split('.').next().unwrap());
        if native[0][2] % (1 << 16) == 0 {
            compare_derived(&settings, &rows, &answers).unwrap();
        }
        // One bit off, anywhere: refused, naming the action.
        let i = rows.len() / 2;
        answers[i].0[0] = q16_decimal(native[i][0] + 1);
        let e = compare_derived(&settings, &rows, &answers).unwrap_err();
        assert!(e.to_string().contains(&format!("action {i} ")), "{e}");
        // A missing answer: refused.
        assert!(compare_derived(&settings, &rows[..3], &answers[..2]).is_err());
    }

    #[test]
    fn the_shipped_files_parse_and_describe_the_same_contracts() {
        let a = load_config(&None, EVAL_SCENARIOS, "evaluation").unwrap();
        let b = load_config(&None, TRAIN_SCENARIOS, "training").unwrap();
        let names = |c: &ScenarioConfig| {
            c.contracts
                .iter()
                .map(|c| c.name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&a), names(&b));
        assert_ne!(a.seed, b.seed);
        // No attack of the evaluation file is in the training file.
        for x in &a.attacks {
            assert!(b.attacks.iter().all(|y| y.attack != x.attack), "{}", x.name);
        }
        let r = wire_action(&LogRow {
            height: 5,
            contract: "vault".into(),
            kind: "withdraw".into(),
            value: 7,
            total_value: 100,
            price: 0,
            caller: "c".into(),
            label: true,
        });
        assert_eq!((r.value.u128(), r.price, r.features.len()), (7, None, 0));
    }
}
