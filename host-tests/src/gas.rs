//! Gas measurements behind `cargo run -p host-tests --bin gas-report`
//! and the gas budgets asserted by `tests/gas_budget.rs`.
//!
//! Two engines, each counting what it is the authority on:
//!
//! * **wasm operations** of the core (parse without checksum + one
//!   inference, the work [`Cost`] bounds): wasmtime fuel on the shim
//!   ([`crate::fuel`]), worst over [`models::input_sets`];
//! * **SDK gas** of the shipped contracts: [`Chain`] (cosmwasm-vm with
//!   wasmd's KV gas), split into setup, storage and compute; the chain
//!   holds the governor and the guard (`vigil_chain_sim::split`):
//!   governance goes to the governor, `Check` and `Score` to the guard.
//!
//! Every figure is measured; nothing here is typed in except the model
//! shapes and the wasmd parameters ([`vigil_chain_sim::WasmdGas`]).

use cosmwasm_std::{Decimal, Uint128};
use vigil_chain_sim::split::{self, Deployment, GUARD};
use vigil_chain_sim::{is_out_of_gas, Chain, Gas, Outcome};
use vigil_guard_api::breaker::{
    Action, Outcome as BreakerOutcome, ProtectedResponse, ProtectedSettings, VerdictResponse,
};
use vigil_guard_api::guard_msg::{GuardExecuteMsg, GuardQueryMsg};
use vigil_guard_api::msg::{
    CheckGas, CheckResponse, ExecuteMsg, InstantiateMsg, Margins, PausedCheck, QueryMsg,
    RewardRule, TestSample,
};
use vigil_inference_core::cost::Cost;
use vigil_inference_core::float::{FloatModel, QuantizeOptions};
use vigil_inference_core::format::{Activation, Family as TreeFamily};
use vigil_inference_core::{decimal, Act, Model, Output, Wide};

use crate::fuel::{Export, Runner};
use crate::models::{self, Dense, Prep, Rng};

/// The bond denom of every guard instantiated here.
pub const DENOM: &str = "uvigil";
/// The minimum bond of every guard instantiated here.
pub const MIN_BOND: u128 = 1_000_000;
/// Gas limit of the transactions here (SDK gas): far above any block's, so
/// the figures are what a call costs, not whether a chain admits it.
pub const TX_LIMIT: u64 = 10_000_000_000;

/// A model family, sized by one number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Logistic regression on `size` features (signed log1p features).
    Linear,
    /// MLP `64-size-size-1`, ReLU, sigmoid output, i8 per-channel weights.
    Mlp,
    /// Gradient-boosted trees: `size` complete trees of depth 4, 32 features.
    Gbdt,
    /// Random forest: `size` complete trees of depth 6, 32 features.
    RandomForest,
    /// Isolation forest: `size` complete trees of depth 8, 32 features.
    IsolationForest,
}

impl Family {
    /// Every family, in report order.
    pub const ALL: [Family; 5] = [
        Family::Linear,
        Family::Mlp,
        Family::Gbdt,
        Family::RandomForest,
        Family::IsolationForest,
    ];

    /// Short name.
    pub fn name(self) -> &'static str {
        match self {
            Family::Linear => "logistic",
            Family::Mlp => "mlp",
            Family::Gbdt => "gbdt",
            Family::RandomForest => "random-forest",
            Family::IsolationForest => "isolation-forest",
        }
    }

    /// What `size` means.
    pub fn size_unit(self) -> &'static str {
        match self {
            Family::Linear => "features",
            Family::Mlp => "hidden width (64-w-w-1)",
            _ => "trees",
        }
    }

    /// The sizes of the report's table.
    pub fn sizes(self) -> &'static [usize] {
        match self {
            Family::Linear => &[4, 16, 64, 256, 1024],
            Family::Mlp => &[16, 32, 64, 128, 256],
            Family::Gbdt => &[10, 30, 100, 300, 1000],
            Family::RandomForest => &[10, 30, 100, 300],
            Family::IsolationForest => &[10, 30, 100, 200],
        }
    }

    /// The largest size the format can express (u16 counts).
    pub fn format_limit(self) -> usize {
        match self {
            Family::Linear => 65_535,
            Family::Mlp => 4_096,
            _ => 65_535,
        }
    }

    /// The model of `size` (seeded by the size, so reruns agree).
    pub fn model(self, size: usize) -> (FloatModel, QuantizeOptions) {
        let mut rng = Rng::new(0x5eed_0000 + size as u64);
        let dense = Dense {
            wide: false,
            per_channel: true,
        }
        .options();
        match self {
            Family::Linear => (
                models::linear(&mut rng, size, Prep::Log1p, Activation::Sigmoid),
                dense,
            ),
            Family::Mlp => (
                models::mlp(
                    &mut rng,
                    &[64, size, size, 1],
                    Prep::Log1p,
                    Activation::Relu,
                    Activation::Sigmoid,
                ),
                dense,
            ),
            Family::Gbdt | Family::RandomForest | Family::IsolationForest => {
                let (family, depth) = match self {
                    Family::Gbdt => (TreeFamily::Gbdt, 4),
                    Family::RandomForest => (TreeFamily::RandomForest, 6),
                    _ => (TreeFamily::IsolationForest, 8),
                };
                (
                    models::ensemble(&mut rng, family, size, depth, 32, Prep::Log1p),
                    QuantizeOptions::default(),
                )
            }
        }
    }
}

/// wasmtime operator costs that mirror cosmwasm-vm's metering, in units of
/// one ordinary operation (115 CosmWasm gas): every operator costs 1, and
/// the "accounting" operators, where cosmwasm-vm's metering middleware
/// injects its checks (branch sources and targets: `loop`, `end`, `if`,
/// `else`, `br`, `br_if`, `br_table`, `call`, `call_indirect`, `return`),
/// cost 14 (cosmwasm-vm `engine.rs::cost`). wasmtime adds 1 per function
/// entry, which cosmwasm-vm does not: the result is a slight overestimate.
pub fn cosmwasm_operator_cost() -> wasmtime::OperatorCost {
    let mut cost = wasmtime::OperatorCost::new();
    // Free in wasmtime's default table, 1 in cosmwasm-vm.
    cost.Nop = 1;
    cost.Drop = 1;
    cost.Block = 1;
    cost.Unreachable = 1;
    for accounting in [
        &mut cost.Loop,
        &mut cost.End,
        &mut cost.If,
        &mut cost.Else,
        &mut cost.Br,
        &mut cost.BrIf,
        &mut cost.BrTable,
        &mut cost.Call,
        &mut cost.CallIndirect,
        &mut cost.Return,
    ] {
        *accounting = 14;
    }
    cost
}

/// The eth-fraud-shaped guard: MLP 38-32-16-1, ReLU, sigmoid output, i8
/// per-channel weights, signed-log1p features (the shape `vigil train`
/// gives the eth-fraud table). Weights come from `seed`; the feature
/// transforms are the same for every seed, as for models trained on the
/// same data.
pub fn eth_fraud_mlp(seed: u64) -> (FloatModel, QuantizeOptions) {
    let mut rng = Rng::new(seed);
    let mut model = models::mlp(
        &mut rng,
        &[38, 32, 16, 1],
        Prep::Log1p,
        Activation::Relu,
        Activation::Sigmoid,
    );
    model.features = models::features(&mut Rng::new(0xfea7), 38, Prep::Log1p);
    (
        model,
        Dense {
            wide: false,
            per_channel: true,
        }
        .options(),
    )
}

/// A decimal string as a client writes one: at most 6 decimals, no
/// exponent, no trailing zeros (`0.004005`, `3054.87`, `99`).
pub fn decimal_string(x: f64) -> String {
    format!("{}", (x * 1e6).round() / 1e6)
}

/// `n` rows for `model`: each raw input standardises to a value in
/// [-2, 2] under its feature's transform (so the model does not saturate),
/// limited to |x| <= 1e15, written by [`decimal_string`].
pub fn rows_for(model: &FloatModel, n: usize, seed: u64) -> Vec<Vec<String>> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            model
                .features
                .iter()
                .map(|f| {
                    let y = f.mean + rng.range(-2.0, 2.0) * f.std;
                    let raw = if f.log1p {
                        y.signum() * y.abs().exp_m1()
                    } else {
                        y
                    };
                    decimal_string(raw.clamp(-1e15, 1e15))
                })
                .collect()
        })
        .collect()
}

/// Learned parameters: weights and biases, or tree nodes.
pub fn parameters(model: &FloatModel) -> u64 {
    use vigil_inference_core::float::FloatBody;
    match &model.body {
        FloatBody::Linear(l) => (l.weights.len() + l.biases.len()) as u64,
        FloatBody::Mlp(layers) => layers
            .iter()
            .map(|l| (l.weights.len() + l.biases.len()) as u64)
            .sum(),
        FloatBody::Gbdt(e) | FloatBody::RandomForest(e) | FloatBody::IsolationForest(e) => {
            e.trees.iter().map(|t| t.len() as u64).sum()
        }
    }
}

/// A transaction's raw features as decimal strings, the way a caller sends
/// them: non-negative amounts from 1e-6 to 1e15, sometimes zero.
pub fn decimal_inputs(rng: &mut Rng, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| decimal_string(models::raw_value(rng).abs()))
        .collect()
}

/// The instantiate message of a guard for `n_features` inputs.
pub fn instantiate_msg(n_features: usize, model: Option<&[u8]>, eval_batch: u32) -> InstantiateMsg {
    InstantiateMsg {
        admin: None,
        n_features: u16::try_from(n_features).expect("a guard takes at most 65,535 features"),
        bond_denom: DENOM.into(),
        min_bond: Uint128::new(MIN_BOND),
        margins: Margins::default(),
        reward: RewardRule::None,
        max_inference_ops: u64::MAX / 2,
        max_check_gas: u64::MAX / 2,
        deny_threshold: None,
        paused_check: PausedCheck::Deny,
        max_class_ratio: Decimal::from_ratio(10u32, 1u32),
        eval_batch,
        stall_blocks: vigil_guard_api::settings::DEFAULT_STALL_BLOCKS,
        stall_fee: vigil_guard_api::settings::DEFAULT_STALL_FEE,
        envelope_margin: vigil_guard_api::settings::default_envelope_margin(),
        reveal_delay: vigil_guard_api::settings::DEFAULT_REVEAL_DELAY,
        activation_delay: 0,
        guardian: None,
        governance_delay: 0,
        curator: None,
        initial_model: model.map(|m| m.to_vec().into()),
        initial_test_set: Vec::new(),
    }
}

/// One model measured on both engines.
#[derive(Clone, Debug)]
pub struct Point {
    /// Family.
    pub family: Family,
    /// Its size (see [`Family::size_unit`]).
    pub size: usize,
    /// Learned parameters.
    pub params: u64,
    /// Blob bytes.
    pub blob_bytes: u64,
    /// Worst wasm operations measured (wasmtime fuel).
    pub ops: u64,
    /// The core's bound ([`Cost`]).
    pub bound: u64,
    /// The same worst call priced as cosmwasm-vm prices it, in units of 115
    /// CosmWasm gas ([`cosmwasm_operator_cost`]).
    pub cosmwasm_units: u64,
    /// The core's bound on those units ([`Cost::cosmwasm_units`]).
    pub units_bound: u64,
    /// A `Check` query on the contract; `None` if it ran out of the smart
    /// query's gas.
    pub check: Option<Gas>,
}

impl Point {
    /// bound / measured.
    pub fn looseness(&self) -> f64 {
        self.bound as f64 / self.ops as f64
    }

    /// bound / measured, in cosmwasm-vm's units.
    pub fn units_looseness(&self) -> f64 {
        self.units_bound as f64 / self.cosmwasm_units as f64
    }
}

/// Worst fuel of parse-without-checksum + one inference of `blob`.
pub fn measure_ops(runner: &mut Runner, model: &FloatModel, blob: &[u8]) -> Result<u64, String> {
    let parsed = Model::parse(blob).map_err(|e| format!("{e:?}"))?;
    let mut rng = Rng::new(0x0f0e1);
    let sets = models::input_sets(&mut rng, model);
    runner
        .worst(Export::InferNoChecksum, blob, &sets, parsed.scratch_len())
        .map(|(fuel, _)| fuel)
        .map_err(|e| e.to_string())
}

/// Deploys a fresh governor and guard holding `blob` (state reset first):
/// the governor instantiated with it, the guard, `BindGuard` (which
/// installs it on the guard).
pub fn install(chain: &mut Chain, n_features: usize, blob: &[u8]) -> Result<Deployment, String> {
    deploy(chain, &instantiate_msg(n_features, Some(blob), 100))
}

/// Deploys the pair with `msg` from `admin` after a reset.
fn deploy(chain: &mut Chain, msg: &InstantiateMsg) -> Result<Deployment, String> {
    chain.reset();
    let admin = chain.addr("admin");
    split::deploy(chain, &admin, &[], msg, TX_LIMIT)
}

/// [`install`] with `rows` as the guard's initial test set (labels
/// alternating, so the class-balance rule admits them): the guard derives
/// its data envelope from them, at the default margin
/// ([`envelope_bytes`] is its size).
pub fn install_with_test_set(
    chain: &mut Chain,
    n_features: usize,
    blob: &[u8],
    rows: &[Vec<String>],
) -> Result<Deployment, String> {
    let msg = InstantiateMsg {
        initial_test_set: rows
            .iter()
            .enumerate()
            .map(|(i, r)| TestSample {
                features: r.clone(),
                label: i % 2 == 1,
            })
            .collect(),
        ..instantiate_msg(n_features, Some(blob), 100)
    };
    deploy(chain, &msg)
}

/// Bytes of the data envelope a guard with the default margin derives from
/// the test set `rows` (the contract's record, rebuilt with the core's
/// arithmetic).
pub fn envelope_bytes(rows: &[Vec<String>]) -> usize {
    use vigil_inference_core::decimal::Exact;
    use vigil_inference_core::envelope;
    let Some(first) = rows.first() else {
        return 0;
    };
    let margin = vigil_guard_api::settings::DEFAULT_ENVELOPE_MARGIN
        .atomics()
        .u128();
    let parse = |r: &Vec<String>| -> Vec<Exact> {
        r.iter()
            .map(|v| Exact::parse(v).expect("a stored value"))
            .collect()
    };
    let mut range: Vec<(Exact, Exact)> = parse(first).into_iter().map(|v| (v, v)).collect();
    for r in rows {
        envelope::cover(&mut range, &parse(r));
    }
    let mut bytes = Vec::new();
    envelope::pack_widened(&range, margin, &mut bytes);
    bytes.len()
}

/// The contract's key of its data envelope
/// (`vigil_guard::state::envelope::ENVELOPE_KEY`, which `gas_budget`
/// holds this to).
pub const ENVELOPE_KEY: &[u8] = b"envelope";

/// A `Check` query of the guard with `features`, within `limit` SDK gas.
pub fn check(chain: &mut Chain, features: &[String], limit: u64) -> Outcome {
    chain.query_on_with_limit(
        GUARD,
        &QueryMsg::Check {
            features: features.to_vec(),
        },
        limit,
    )
}

/// Measures `family` at `size` on both engines.
/// `cosmwasm_priced` runs the shim with [`cosmwasm_operator_cost`].
pub fn point(
    runner: &mut Runner,
    cosmwasm_priced: &mut Runner,
    chain: &mut Chain,
    family: Family,
    size: usize,
) -> Result<Point, String> {
    let (model, options) = family.model(size);
    let blob = models::blob(&model, &options);
    let parsed = Model::parse(&blob).map_err(|e| format!("{e:?}"))?;
    let cost = Cost::of(&parsed);
    let ops = measure_ops(runner, &model, &blob)?;
    let cosmwasm_units = measure_ops(cosmwasm_priced, &model, &blob)?;
    install(chain, model.features.len(), &blob)?;
    let features = decimal_inputs(&mut Rng::new(7), model.features.len());
    let outcome = check(chain, &features, chain.gas().query_limit);
    let check = match outcome.result {
        Ok(_) => Some(outcome.gas),
        Err(e) if is_out_of_gas(&e) => None,
        Err(e) => return Err(format!("{} {size}: Check: {e}", family.name())),
    };
    Ok(Point {
        family,
        size,
        params: parameters(&model),
        blob_bytes: blob.len() as u64,
        ops,
        bound: cost.ops,
        cosmwasm_units,
        units_bound: cost.cosmwasm_units,
        check,
    })
}

/// Does a `Check` on `family` at `size` fit one smart query (3,000,000)?
/// Returns the query's gas when it does.
pub fn fits_query(chain: &mut Chain, family: Family, size: usize) -> Result<Option<Gas>, String> {
    let (model, options) = family.model(size);
    let blob = models::blob(&model, &options);
    install(chain, model.features.len(), &blob)?;
    let features = decimal_inputs(&mut Rng::new(7), model.features.len());
    let limit = chain.gas().query_limit;
    let outcome = check(chain, &features, limit);
    match outcome.result {
        Ok(_) => Ok(Some(outcome.gas)),
        Err(e) if is_out_of_gas(&e) => Ok(None),
        Err(e) => Err(format!("{} {size}: Check: {e}", family.name())),
    }
}

/// The largest size of `family` whose `Check` fits one smart query, by
/// doubling then bisection from `start` (which must fit), with its gas and
/// parameter count. Capped at [`Family::format_limit`].
pub fn largest_in_query(
    chain: &mut Chain,
    family: Family,
    start: usize,
    mut progress: impl FnMut(usize, bool),
) -> Result<(usize, u64, Gas), String> {
    let mut fit = |chain: &mut Chain, size: usize| -> Result<Option<Gas>, String> {
        let r = fits_query(chain, family, size)?;
        progress(size, r.is_some());
        Ok(r)
    };
    let limit = family.format_limit();
    let mut lo = start;
    let mut lo_gas = fit(chain, lo)?.ok_or_else(|| {
        format!(
            "{} at size {start} does not fit one query; start smaller",
            family.name()
        )
    })?;
    let mut hi = None;
    while hi.is_none() && lo < limit {
        let next = (lo * 2).min(limit);
        match fit(chain, next)? {
            Some(gas) => {
                lo = next;
                lo_gas = gas;
            }
            None => hi = Some(next),
        }
    }
    if let Some(mut hi) = hi {
        while hi - lo > 1.max(lo / 64) {
            let mid = lo + (hi - lo) / 2;
            match fit(chain, mid)? {
                Some(gas) => {
                    lo = mid;
                    lo_gas = gas;
                }
                None => hi = mid,
            }
        }
    }
    let (model, _) = family.model(lo);
    Ok((lo, parameters(&model), lo_gas))
}

/// What evaluating a candidate against the incumbent on a test set cost.
#[derive(Clone, Debug)]
pub struct EvalCost {
    /// Rows in the test set.
    pub rows: usize,
    /// Rows per transaction (`eval_batch`).
    pub batch: u32,
    /// The `CommitProposal` before the evaluation.
    pub commit: Gas,
    /// `RevealProposal` (the first evaluation step) and then each
    /// `ContinueEvaluation`, in order.
    pub steps: Vec<Gas>,
    /// The proposal's final status (`accepted` / `rejected`).
    pub status: String,
}

impl EvalCost {
    /// Total SDK gas over every step.
    pub fn total(&self) -> u64 {
        self.steps.iter().map(Gas::total).sum()
    }

    /// The most expensive single transaction.
    pub fn max_step(&self) -> u64 {
        self.steps.iter().map(Gas::total).max().unwrap_or(0)
    }
}

/// A row of decimal strings as the core's inputs.
fn parse_row(row: &[String]) -> Result<Vec<Wide>, String> {
    row.iter()
        .map(|f| decimal::parse(f).map_err(|e| format!("{f}: {e:?}")))
        .collect()
}

/// What the native core answers for each of `rows`.
fn native_outputs(blob: &[u8], rows: &[Vec<String>]) -> Result<Vec<Output>, String> {
    let parsed = Model::parse(blob).map_err(|e| format!("{e:?}"))?;
    let mut scratch = vec![Act::ZERO; parsed.scratch_len()];
    rows.iter()
        .map(|row| {
            parsed
                .infer(&parse_row(row)?, &mut scratch)
                .map_err(|e| format!("{e:?}"))
        })
        .collect()
}

/// The teacher of the generated test sets: the eth-fraud-shaped MLP of
/// seed 2 with its threshold moved to the median of its scores on `rows`,
/// so its labels split the rows about evenly. Returns its blob and the
/// labels it gives.
pub fn teacher(rows: &[Vec<String>]) -> Result<(Vec<u8>, Vec<bool>), String> {
    let (mut model, options) = eth_fraud_mlp(2);
    let mut bits: Vec<u32> = native_outputs(&models::blob(&model, &options), rows)?
        .into_iter()
        .map(|out| out.score.to_bits())
        .collect();
    bits.sort_unstable();
    // The score at which about 30% of the rows are at or above (scores
    // repeat where the model saturates: pick among the distinct values).
    let mut distinct = bits.clone();
    distinct.dedup();
    let share = |t: u32| bits.iter().filter(|&&b| b >= t).count() as f64 / bits.len() as f64;
    let t = distinct
        .iter()
        .copied()
        .min_by(|&a, &b| (share(a) - 0.3).abs().total_cmp(&(share(b) - 0.3).abs()))
        .ok_or("no rows")?;
    model.threshold = f64::from(t) / f64::from(1u32 << 31);
    let blob = models::blob(&model, &options);
    let labels = native_outputs(&blob, rows)?
        .into_iter()
        .map(|out| out.label)
        .collect();
    Ok((blob, labels))
}

/// A funded proposer commits to `blob` (bond attached), waits the reveal
/// delay and reveals it: the commit's gas, the reveal's outcome and the
/// proposal's id.
fn commit_and_reveal(chain: &mut Chain, blob: &[u8]) -> Result<(Gas, Outcome, u64), String> {
    let proposer = chain.addr("proposer");
    chain.mint(&proposer, DENOM, MIN_BOND);
    let salt = [7u8; vigil_guard_api::commit::SALT_BYTES];
    let c = vigil_guard_api::commit::commitment(blob, &proposer, &salt);
    let commit = chain.execute(
        &proposer,
        &[(DENOM, MIN_BOND)],
        &ExecuteMsg::CommitProposal {
            commitment: c.to_vec().into(),
            limits: None,
        },
        TX_LIMIT,
    );
    let id: u64 = commit
        .attribute("proposal_id")
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| match &commit.result {
            Err(e) => format!("commit_proposal: {e}"),
            Ok(r) => format!("commit_proposal: no proposal_id attribute in {r}"),
        })?;
    // The commit moved the chain one block on.
    chain.advance(vigil_guard_api::settings::DEFAULT_REVEAL_DELAY - 1);
    let reveal = chain.execute(
        &proposer,
        &[],
        &ExecuteMsg::RevealProposal {
            proposal_id: id,
            model: blob.to_vec().into(),
            salt: salt.to_vec().into(),
        },
        TX_LIMIT,
    );
    if let Err(e) = &reveal.result {
        return Err(format!("reveal_proposal: {e}"));
    }
    Ok((commit.gas, reveal, id))
}

/// Proposes `blob` from a funded proposer (commit, the reveal delay, reveal)
/// and continues its evaluation to the end; every transaction's gas is
/// returned.
pub fn propose(
    chain: &mut Chain,
    blob: &[u8],
    batch: u32,
    rows: usize,
) -> Result<EvalCost, String> {
    let admin = chain.addr("admin");
    let (commit_gas, reveal, id) = commit_and_reveal(chain, blob)?;
    let mut steps = vec![reveal.gas];
    let mut status = reveal.attribute("status");
    while status.as_deref() == Some("evaluating") {
        let outcome = chain.execute(
            &admin,
            &[],
            &ExecuteMsg::ContinueEvaluation { proposal_id: id },
            TX_LIMIT,
        );
        steps.push(outcome.gas);
        status = outcome.attribute("status");
        outcome
            .result
            .map_err(|e| format!("continue_evaluation: {e}"))?;
        if steps.len() > rows + 2 {
            return Err("evaluation does not finish".into());
        }
    }
    Ok(EvalCost {
        rows,
        batch,
        commit: commit_gas,
        steps,
        status: status.unwrap_or_else(|| "unknown".into()),
    })
}

/// Blocks an accepted model is pending in [`poim_round`] before its
/// `Activate` (so the activation, with the guard's install, is a call of
/// its own).
pub const ACTIVATION_DELAY: u64 = 1;

/// One Proof-of-Improvement round on the eth-fraud-shaped guard and its
/// governor, every call measured.
#[derive(Clone, Debug)]
pub struct Round {
    /// The deployment: the governor instantiated with the incumbent (no
    /// test set), the guard, `BindGuard` (the incumbent installed on the
    /// guard: [`Gas::sub`]).
    pub deployment: Deployment,
    /// `AddTestSamples`, 250 rows per message (each moves the data
    /// envelope: the guard's install in [`Gas::sub`]).
    pub loading: Vec<Gas>,
    /// The teacher proposed: it labelled the test set, so it is accepted
    /// (pending for [`ACTIVATION_DELAY`] blocks).
    pub accepted: EvalCost,
    /// `Activate` of the accepted model: the governor's part, and the
    /// guard's `InstallModel` of the new blob in [`Gas::sub`].
    pub activate: Gas,
    /// A third model proposed against the (perfect) teacher: rejected.
    pub rejected: EvalCost,
    /// A `Score` query of the guard on the new incumbent.
    pub score: Gas,
    /// A `Check` query of the guard on the new incumbent.
    pub check: Gas,
}

/// Runs a [`Round`] on `rows` generated rows labelled by [`teacher`],
/// evaluating `batch` rows per transaction. The incumbent is the
/// eth-fraud-shaped MLP of seed 1, the rejected candidate that of seed 3.
pub fn poim_round(chain: &mut Chain, n_rows: usize, batch: u32) -> Result<Round, String> {
    let (incumbent, options) = eth_fraud_mlp(1);
    let (loser, _) = eth_fraud_mlp(3);
    let n = incumbent.features.len();
    let data = rows_for(&incumbent, n_rows, 0x7e57);
    let (teacher_blob, labels) = teacher(&data)?;
    let admin = chain.addr("admin");
    let deployment = deploy(
        chain,
        &InstantiateMsg {
            activation_delay: ACTIVATION_DELAY,
            ..instantiate_msg(n, Some(&models::blob(&incumbent, &options)), batch)
        },
    )?;
    let samples = interleaved(&data, &labels);
    let mut loading = Vec::new();
    for chunk in samples.chunks(250) {
        let outcome = chain.execute(
            &admin,
            &[],
            &ExecuteMsg::AddTestSamples {
                samples: chunk.to_vec(),
            },
            TX_LIMIT,
        );
        loading.push(outcome.gas);
        outcome
            .result
            .map_err(|e| format!("add_test_samples: {e}"))?;
    }
    let accepted = propose(chain, &teacher_blob, batch, n_rows)?;
    // The reveal's transaction moved the chain one block on.
    chain.advance(ACTIVATION_DELAY.saturating_sub(1));
    let activate = chain.execute(&admin, &[], &ExecuteMsg::Activate {}, TX_LIMIT);
    activate
        .result
        .as_ref()
        .map_err(|e| format!("activate: {e}"))?;
    let rejected = propose(chain, &models::blob(&loser, &options), batch, n_rows)?;
    let score = chain.query_on(
        GUARD,
        &QueryMsg::Score {
            features: data[0].clone(),
        },
    );
    score.result.clone().map_err(|e| format!("score: {e}"))?;
    let check = check(chain, &data[0], chain.gas().query_limit);
    check.result.clone().map_err(|e| format!("check: {e}"))?;
    Ok(Round {
        deployment,
        loading,
        accepted,
        activate: activate.gas,
        rejected,
        score: score.gas,
        check: check.gas,
    })
}

/// Rows of the curator's hidden batch in [`curated_round`] (revealed in two
/// chunks), held back from the public test set.
pub const HIDDEN_ROWS: usize = 250;

/// A Proof-of-Improvement round with the curator's hidden batch, every
/// call measured: the curator commits the batch before the proposal, the
/// proposal's reveal waits (queued) for it, the curator's last chunk merges
/// it into the test set, the evaluation runs on public set plus batch, and
/// the accepted model is activated (the guard's install in [`Gas::sub`]).
#[derive(Clone, Debug)]
pub struct CuratedRound {
    /// Rows of the public test set before the batch joins.
    pub public_rows: usize,
    /// `CommitBatch` (one hash per chunk).
    pub commit_batch: Gas,
    /// The proposer's `CommitProposal`.
    pub commit: Gas,
    /// Its `RevealProposal`, queued behind the batch.
    pub reveal: Gas,
    /// `RevealBatch`, one per chunk; the last merges the batch into the
    /// test set (the data envelope moves: the guard's install in
    /// [`Gas::sub`]) and starts the queued proposal.
    pub reveal_batch: Vec<Gas>,
    /// `ContinueEvaluation` until the decision.
    pub steps: Vec<Gas>,
    /// The decision (`pending`, then activated).
    pub status: String,
    /// `Activate`.
    pub activate: Gas,
}

impl CuratedRound {
    /// Every call's SDK gas, summed (the guard's installs included).
    pub fn total(&self) -> u64 {
        [
            &self.commit_batch,
            &self.commit,
            &self.reveal,
            &self.activate,
        ]
        .into_iter()
        .chain(&self.reveal_batch)
        .chain(&self.steps)
        .map(Gas::total)
        .sum()
    }
}

/// Runs a [`CuratedRound`] on `n_rows` generated rows labelled by
/// [`teacher`] (the last [`HIDDEN_ROWS`] of them the curator's batch),
/// evaluating `batch` rows per transaction.
pub fn curated_round(chain: &mut Chain, n_rows: usize, batch: u32) -> Result<CuratedRound, String> {
    let (incumbent, options) = eth_fraud_mlp(1);
    let n = incumbent.features.len();
    let data = rows_for(&incumbent, n_rows, 0x7e57);
    let (teacher_blob, labels) = teacher(&data)?;
    let admin = chain.addr("admin");
    let curator = chain.addr("curator");
    deploy(
        chain,
        &InstantiateMsg {
            activation_delay: ACTIVATION_DELAY,
            curator: Some(curator.clone()),
            ..instantiate_msg(n, Some(&models::blob(&incumbent, &options)), batch)
        },
    )?;
    let samples = interleaved(&data, &labels);
    let (public, hidden) = samples.split_at(samples.len().saturating_sub(HIDDEN_ROWS));
    for chunk in public.chunks(250) {
        let outcome = chain.execute(
            &admin,
            &[],
            &ExecuteMsg::AddTestSamples {
                samples: chunk.to_vec(),
            },
            TX_LIMIT,
        );
        outcome
            .result
            .map_err(|e| format!("add_test_samples: {e}"))?;
    }
    let chunks: Vec<Vec<TestSample>> = hidden
        .chunks(HIDDEN_ROWS.div_ceil(2))
        .map(<[TestSample]>::to_vec)
        .collect();
    let batch_salt = [9u8; vigil_guard_api::commit::SALT_BYTES];
    let commit_batch = chain.execute(
        &curator,
        &[],
        &ExecuteMsg::CommitBatch {
            chunks: chunks
                .iter()
                .map(|c| {
                    vigil_guard_api::commit::chunk_hash(c, &batch_salt)
                        .to_vec()
                        .into()
                })
                .collect(),
        },
        TX_LIMIT,
    );
    commit_batch
        .result
        .as_ref()
        .map_err(|e| format!("commit_batch: {e}"))?;
    // The proposal, committed after the batch: its reveal is queued.
    let (commit_gas, reveal, id) = commit_and_reveal(chain, &teacher_blob)?;
    if reveal.attribute("status").as_deref() != Some("queued") {
        return Err(format!(
            "reveal_proposal: {:?}, not queued behind the batch",
            reveal.attribute("status")
        ));
    }
    let mut reveal_batch = Vec::new();
    for (index, samples) in chunks.iter().enumerate() {
        let outcome = chain.execute(
            &curator,
            &[],
            &ExecuteMsg::RevealBatch {
                index: u32::try_from(index).map_err(|e| e.to_string())?,
                samples: samples.clone(),
                salt: batch_salt.to_vec().into(),
            },
            TX_LIMIT,
        );
        outcome
            .result
            .as_ref()
            .map_err(|e| format!("reveal_batch {index}: {e}"))?;
        reveal_batch.push(outcome.gas);
    }
    let mut steps = Vec::new();
    let mut status = Some("evaluating".to_string());
    while status.as_deref() == Some("evaluating") {
        let outcome = chain.execute(
            &admin,
            &[],
            &ExecuteMsg::ContinueEvaluation { proposal_id: id },
            TX_LIMIT,
        );
        status = outcome.attribute("status");
        outcome
            .result
            .as_ref()
            .map_err(|e| format!("continue_evaluation: {e}"))?;
        steps.push(outcome.gas);
        if steps.len() > n_rows + 2 {
            return Err("evaluation does not finish".into());
        }
    }
    chain.advance(ACTIVATION_DELAY.saturating_sub(1));
    let activate = chain.execute(&admin, &[], &ExecuteMsg::Activate {}, TX_LIMIT);
    activate
        .result
        .as_ref()
        .map_err(|e| format!("activate: {e}"))?;
    Ok(CuratedRound {
        public_rows: public.len(),
        commit_batch: commit_batch.gas,
        commit: commit_gas,
        reveal: reveal.gas,
        reveal_batch,
        steps,
        status: status.unwrap_or_else(|| "unknown".into()),
        activate: activate.gas,
    })
}

/// `data` labelled by `labels` as test samples, the classes interleaved so
/// the class-balance rule (at most 10 of one class per sample of the other)
/// holds at every step of a loading.
fn interleaved(data: &[Vec<String>], labels: &[bool]) -> Vec<TestSample> {
    let (mut pos, mut neg): (Vec<_>, Vec<_>) = data.iter().zip(labels).partition(|(_, &l)| l);
    pos.reverse();
    neg.reverse();
    let mut samples: Vec<TestSample> = Vec::with_capacity(data.len());
    while let Some((features, &label)) = if samples.len().is_multiple_of(2) {
        pos.pop().or_else(|| neg.pop())
    } else {
        neg.pop().or_else(|| pos.pop())
    } {
        samples.push(TestSample {
            features: features.clone(),
            label,
        });
    }
    samples
}

/// A guarded inference (the eth-fraud-shaped MLP or GBDT) against its floor.
#[derive(Clone, Debug)]
pub struct GuardedInference {
    /// Blob bytes.
    pub blob_bytes: u64,
    /// The `Check` query's gas.
    pub check: Gas,
    /// Wasm operations of the core's parse + inference (fuel, worst input).
    pub core_ops: u64,
    /// The same call priced as cosmwasm-vm prices it, in units of 115
    /// CosmWasm gas ([`cosmwasm_operator_cost`]), on the query's input.
    pub core_cosmwasm_units: u64,
    /// Bytes of the guard's data envelope (from its test set).
    pub envelope_bytes: u64,
    /// The floor: what any contract running this model behind a data
    /// envelope must pay above setup: one read of the model under a
    /// one-byte key (1,000 + 3 per byte of wasmd's key prefix, the key and
    /// the blob), one read of the envelope (under the contract's key), plus
    /// the core's own parse + inference as cosmwasm-vm meters it and
    /// wasmvm's deserialisation of the answer returned (1 SDK gas a byte).
    pub floor: u64,
}

impl GuardedInference {
    /// SDK gas above setup.
    pub fn above_setup(&self) -> u64 {
        self.check.above_setup()
    }

    /// above setup / floor.
    pub fn over_floor(&self) -> f64 {
        self.above_setup() as f64 / self.floor as f64
    }
}

/// Measures [`GuardedInference`] for the eth-fraud-shaped MLP.
/// `cosmwasm_priced` is a runner of the shim compiled with
/// [`cosmwasm_operator_cost`].
pub fn guarded_inference(
    runner: &mut Runner,
    cosmwasm_priced: &mut Runner,
    chain: &mut Chain,
) -> Result<GuardedInference, String> {
    let (model, options) = eth_fraud_mlp(1);
    guarded_inference_of(runner, cosmwasm_priced, chain, &model, &options)
}

/// The eth-fraud-shaped GBDT: 100 trees of depth 3 on the same 38
/// signed-log1p features (the shape `vigil train --family gbdt` gives the
/// eth-fraud table), with explanation values as `vigil train` stores them.
pub fn eth_fraud_gbdt(seed: u64) -> (FloatModel, QuantizeOptions) {
    let mut model = models::ensemble(
        &mut Rng::new(seed),
        TreeFamily::Gbdt,
        100,
        3,
        38,
        Prep::Log1p,
    );
    model.features = models::features(&mut Rng::new(0xfea7), 38, Prep::Log1p);
    (model, QuantizeOptions::default())
}

/// [`GuardedInference`] of any model: installed as the guard's, asked
/// `Check` on one generated row, against its floor.
pub fn guarded_inference_of(
    runner: &mut Runner,
    cosmwasm_priced: &mut Runner,
    chain: &mut Chain,
    model: &FloatModel,
    options: &QuantizeOptions,
) -> Result<GuardedInference, String> {
    let blob = models::blob(model, options);
    guarded_inference_of_blob(runner, cosmwasm_priced, chain, model, blob)
}

/// [`guarded_inference_of`] with the blob given (e.g. `model` quantised
/// with a metadata section).
pub fn guarded_inference_of_blob(
    runner: &mut Runner,
    cosmwasm_priced: &mut Runner,
    chain: &mut Chain,
    model: &FloatModel,
    blob: Vec<u8>,
) -> Result<GuardedInference, String> {
    let core_ops = measure_ops(runner, model, &blob)?;
    // A guard with a test set, so it has a data envelope (its bounds come
    // from the set's values; 20 rows of the model's own input shape).
    let test_set = rows_for(model, 20, 3);
    install_with_test_set(chain, model.features.len(), &blob, &test_set)?;
    let envelope_bytes = envelope_bytes(&test_set) as u64;
    let features = rows_for(model, 1, 7).remove(0);
    // The native answer, to be sure the query did the inference.
    let native = native_outputs(&blob, std::slice::from_ref(&features))?.remove(0);
    let inputs = parse_row(&features)?;
    let parsed = Model::parse(&blob).map_err(|e| format!("{e:?}"))?;
    let outcome = check(chain, &features, chain.gas().query_limit);
    let answer: CheckResponse = outcome.parse()?;
    if answer.out_of_envelope == 0 && answer.allow != !native.label {
        return Err(format!(
            "Check answered {answer:?}, the core says {native:?}"
        ));
    }
    let core_cosmwasm_units = cosmwasm_priced
        .measure(
            Export::InferNoChecksum,
            &blob,
            &inputs,
            parsed.scratch_len(),
        )
        .map_err(|e| e.to_string())?
        .fuel;
    let gas = chain.gas();
    // wasmvm's deserialisation of the answer: any guard answers, and this
    // is what this answer costs (1 SDK gas per byte of its raw result).
    let answer = gas.deserialization_vm_gas(outcome.gas.result_bytes as usize);
    let compute = gas.sdk_gas_ceil(
        u128::from(core_cosmwasm_units) * u128::from(gas.vm_gas_per_op) + u128::from(answer),
    );
    let envelope_key = ENVELOPE_KEY.len();
    Ok(GuardedInference {
        blob_bytes: blob.len() as u64,
        envelope_bytes,
        check: outcome.gas,
        core_ops,
        core_cosmwasm_units,
        floor: gas.read(1, blob.len()) + gas.read(envelope_key, envelope_bytes as usize) + compute,
    })
}

/// Wasm operations per multiply-accumulate of large dense layers: the
/// per-MAC slope with per-neuron costs separated out. Growing the first
/// hidden layer of `[n, a, n, 1]` from `a = n` to `2n` adds `n` neurons and
/// `2n` MACs per neuron; growing the second of `[n, n, b, 1]` likewise adds
/// `n` neurons and `n + 1` MACs per neuron: the difference of the two
/// slopes is `n - 1` MACs. Every layer involved has at least `n` inputs
/// and outputs, so at `n >= 64` all of them take the core's blocked kernel
/// (64 inputs per block, 64 rows per chunk).
pub fn ops_per_mac(runner: &mut Runner, n: usize, wide: bool) -> Result<f64, String> {
    let options = Dense {
        wide,
        per_channel: true,
    }
    .options();
    let mut fuel = |widths: &[usize]| -> Result<f64, String> {
        let mut rng = Rng::new(0x3ac);
        let model = models::mlp(
            &mut rng,
            widths,
            Prep::Plain,
            Activation::Relu,
            Activation::Sigmoid,
        );
        let blob = models::blob(&model, &options);
        Ok(measure_ops(runner, &model, &blob)? as f64)
    };
    let base = fuel(&[n, n, n, 1])?;
    let slope_a = (fuel(&[n, 2 * n, n, 1])? - base) / n as f64;
    let slope_b = (fuel(&[n, n, 2 * n, 1])? - base) / n as f64;
    Ok((slope_a - slope_b) / (n - 1) as f64)
}

/// Wasm operations per tree node visited: the inference alone (parse
/// subtracted: `InferNoChecksum` minus `Parse` on the same blob) of
/// `n_trees` complete GBDT trees at depth 8 minus depth 4, over the
/// `4 * n_trees` extra nodes each inference visits.
pub fn ops_per_tree_step(runner: &mut Runner, n_trees: usize) -> Result<f64, String> {
    let mut inference = |depth: u8| -> Result<f64, String> {
        let mut rng = Rng::new(0x7ee);
        let model = models::ensemble(&mut rng, TreeFamily::Gbdt, n_trees, depth, 16, Prep::Plain);
        let blob = models::blob(&model, &QuantizeOptions::default());
        let parsed = Model::parse(&blob).map_err(|e| format!("{e:?}"))?;
        let total = measure_ops(runner, &model, &blob)?;
        let parse = runner
            .measure(Export::Parse, &blob, &[], parsed.scratch_len())
            .map_err(|e| e.to_string())?
            .fuel;
        Ok(total as f64 - parse as f64)
    };
    Ok((inference(8)? - inference(4)?) / (4 * n_trees) as f64)
}

/// One observed action against a plain `Check` of the same model and
/// features ([`observed_action`]).
#[derive(Clone, Debug)]
pub struct ObservedAction {
    /// `Check` (a query).
    pub check: Gas,
    /// `Observe` of an allowed action reported paid, on a warm baseline
    /// (an execute from the protected contract).
    pub observe: Gas,
    /// `Observe` of the action that trips the outflow rule (its event).
    pub observe_trip: Gas,
    /// `Verdict` (a query) of the same action as `observe`.
    pub verdict: Gas,
    /// Bytes of the two records every observation reads and writes (the
    /// kind's baseline and the contract's breaker).
    pub record_bytes: usize,
    /// The bound the guard quotes before the call (`Protected`'s
    /// `observe_gas`).
    pub quoted: CheckGas,
}

impl ObservedAction {
    /// SDK gas of `Observe` above a plain `Check`'s, both above setup.
    pub fn observe_over_check(&self) -> u64 {
        self.observe
            .above_setup()
            .saturating_sub(self.check.above_setup())
    }
}

/// The action [`observed_action`] reports.
pub fn observation(chain: &Chain, features: &[String], value: u128) -> Action {
    Action {
        kind: "withdraw".into(),
        value: Uint128::new(value),
        total_value: Uint128::new(1_000_000_000),
        price: Some(Uint128::new(1_000_000)),
        caller: chain.addr("user"),
        features: features.to_vec(),
    }
}

/// Measures [`ObservedAction`] for `model` (its blob `blob`): the guard
/// with a 20-row test set (a data envelope, as [`guarded_inference_of`]),
/// a protected contract registered with the default settings, 30 windows
/// of traffic, then `Check`, `Verdict` and `Observe` of one action on the
/// model's own features (no derived features: the same inference as
/// `Check`), and the `Observe` that trips the breaker.
pub fn observed_action(
    chain: &mut Chain,
    model: &FloatModel,
    blob: &[u8],
) -> Result<ObservedAction, String> {
    let test_set = rows_for(model, 20, 3);
    install_with_test_set(chain, model.features.len(), blob, &test_set)?;
    let admin = chain.addr("admin");
    let vault = chain.addr("vault");
    let register = chain.execute_on(
        GUARD,
        &admin,
        &[],
        &GuardExecuteMsg::RegisterProtected {
            contract: vault.clone(),
            settings: ProtectedSettings::with_kinds(vec!["withdraw".into()], "uatom"),
        },
        TX_LIMIT,
    );
    register
        .result
        .map_err(|e| format!("RegisterProtected: {e}"))?;
    let features = rows_for(model, 1, 7).remove(0);
    let observe = |chain: &mut Chain, value: u128| -> Result<Gas, String> {
        let a = observation(chain, &features, value);
        let v: VerdictResponse = chain
            .query_on(
                GUARD,
                &GuardQueryMsg::Verdict {
                    contract: vault.clone(),
                    action: a.clone(),
                },
            )
            .parse()?;
        let outcome = if v.verdict.allows() {
            BreakerOutcome::Paid
        } else {
            BreakerOutcome::Refused
        };
        let o = chain.execute_on(
            GUARD,
            &vault,
            &[],
            &GuardExecuteMsg::Observe { action: a, outcome },
            TX_LIMIT,
        );
        o.result.map_err(|e| format!("Observe: {e}"))?;
        Ok(o.gas)
    };
    for _ in 0..30 {
        for _ in 0..3 {
            observe(chain, 1_000_000)?;
        }
        chain.advance(10);
    }
    let check = check(chain, &features, chain.gas().query_limit);
    check.result.as_ref().map_err(|e| format!("Check: {e}"))?;
    let a = observation(chain, &features, 1_000_000);
    let verdict = chain.query_on(
        GUARD,
        &GuardQueryMsg::Verdict {
            contract: vault.clone(),
            action: a,
        },
    );
    verdict
        .result
        .as_ref()
        .map_err(|e| format!("Verdict: {e}"))?;
    let protected: ProtectedResponse = chain
        .query_on(
            GUARD,
            &GuardQueryMsg::Protected {
                contract: vault.clone(),
            },
        )
        .parse()?;
    let quoted = protected
        .observe_gas
        .ok_or("Protected quotes no Observe bound")?;
    let observe_paid = observe(chain, 1_000_000)?;
    // 10% of total value in one window trips the default outflow rule.
    let observe_trip = observe(chain, 200_000_000)?;
    Ok(ObservedAction {
        check: check.gas,
        observe: observe_paid,
        observe_trip,
        verdict: verdict.gas,
        record_bytes: vigil_inference_core::baseline::Baseline::ENCODED_LEN
            + vigil_inference_core::breaker::Breaker::ENCODED_LEN,
        quoted,
    })
}
