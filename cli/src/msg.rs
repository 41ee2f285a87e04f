//! `vigil msg`: the guard's message types (`vigil_guard_api::msg`, the
//! interface crate the contract itself uses), filled in and serialised, so
//! the JSON is exactly what the guard parses. The settings are checked with
//! the contract's own rules (`InstantiateMsg::validate`) and test samples
//! ordered by its class-balance rule (`vigil_guard_api::class_balance`).
//! Models travel as base64 (`Binary`), test samples as the decimal strings
//! of the CSV, checked with `decimal::Exact::parse` as the contract checks
//! them.
use std::path::Path;
use std::str::FromStr;

use anyhow::{bail, Context, Result};
use cosmwasm_std::{Binary, Decimal, HexBinary, Uint128};
use vigil_guard_api::breaker::ProtectedSettings;
use vigil_guard_api::class_balance;
use vigil_guard_api::commit::{chunk_hash, commitment, SALT_BYTES};
use vigil_guard_api::gas::DEFAULT_MAX_CHECK_GAS_FLOOR;
use vigil_guard_api::guard_msg::{GuardExecuteMsg, GuardInstantiateMsg};
use vigil_guard_api::msg::{
    ExecuteMsg, InstantiateMsg, Margin, Margins, PausedCheck, ProposalLimits, RewardRule,
    TestSample, MAX_BATCH_CHUNKS, MAX_FEATURE_CHARS,
};
use vigil_guard_api::settings::MAX_REWARD_SHARE;
use vigil_guard_api::InvalidSetting;
use vigil_inference_core::decimal::Exact;

use crate::data::{LabelMode, Table};
use crate::eval::read_model;
use crate::train::InvalidFlag;

/// A row with a value the contract refuses (`decimal::Exact::parse`), e.g.
/// `6.199999999999999e-11` (more than 19 fractional digits).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    /// The file.
    pub path: std::path::PathBuf,
    /// 1-based line number in the file.
    pub line: usize,
    /// The column of the first refused value.
    pub column: String,
    /// That value, as written.
    pub value: String,
    /// Why the contract refuses it.
    pub reason: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: column `{}`: the contract will refuse {:?}: {}",
            self.path.display(),
            self.line,
            self.column,
            self.value,
            self.reason
        )
    }
}

/// Every row of a labelled table as a test sample, checking every value the
/// way the contract will: the samples of the rows it accepts, and the rows
/// it would refuse (in order).
pub fn checked_samples(table: &Table) -> Result<(Vec<TestSample>, Vec<Refused>)> {
    let labels = table.labels()?;
    let mut ok = Vec::with_capacity(table.rows.len());
    let mut refused = Vec::new();
    for (r, label) in table.rows.iter().zip(labels) {
        let bad = r.raw.iter().enumerate().find_map(|(j, v)| {
            if v.len() > MAX_FEATURE_CHARS {
                return Some((
                    j,
                    v,
                    format!("{} characters, at most {MAX_FEATURE_CHARS}", v.len()),
                ));
            }
            Exact::parse(v).err().map(|e| (j, v, e.to_string()))
        });
        match bad {
            Some((j, v, reason)) => refused.push(Refused {
                path: table.path.clone(),
                line: r.line,
                column: table.columns[j].clone(),
                value: v.clone(),
                reason,
            }),
            None => ok.push(TestSample {
                features: r.raw.clone(),
                label,
            }),
        }
    }
    Ok((ok, refused))
}

/// Turn a labelled table into test samples, checking every value the way
/// the contract will; the first refused value is an error (which names
/// `--skip-unrepresentable`).
pub fn samples(table: &Table) -> Result<Vec<TestSample>> {
    let (ok, refused) = checked_samples(table)?;
    match refused.first() {
        None => Ok(ok),
        Some(first) => bail!(
            "{first} ({} of the {} rows have such values; pass --skip-unrepresentable to leave them out)",
            refused.len(),
            table.rows.len()
        ),
    }
}

/// Order samples so the contract's class-balance rule
/// ([`class_balance::admits`]) accepts each in turn: a sample of class c is
/// refused while c already outnumbers the other class by more than
/// `ratio × max(other, 1)`. Keeps the given order where it can; otherwise
/// takes the next sample of the other class. `start` is the test set's
/// `(positives, negatives)` before these samples. Samples that can never be
/// added are returned separately (second value), in order.
pub fn balance_order(
    samples: Vec<TestSample>,
    ratio: Decimal,
    start: (u64, u64),
) -> (Vec<TestSample>, Vec<TestSample>) {
    // The contract counts its test set in u32s.
    let count = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    let (mut pos, mut neg) = start;
    let allowed = |label: bool, pos: u64, neg: u64| {
        class_balance::admits(ratio, count(pos), count(neg), label)
    };
    let mut queue: std::collections::VecDeque<TestSample> = samples.into();
    let mut out = Vec::with_capacity(queue.len());
    while let Some(front) = queue.front() {
        if allowed(front.label, pos, neg) {
            let s = queue.pop_front().expect("front exists");
            if s.label {
                pos += 1;
            } else {
                neg += 1;
            }
            out.push(s);
            continue;
        }
        // Take the first sample of the other class, if any.
        let other = !front.label;
        match queue.iter().position(|s| s.label == other) {
            Some(k) if allowed(other, pos, neg) => {
                let s = queue.remove(k).expect("index exists");
                if s.label {
                    pos += 1;
                } else {
                    neg += 1;
                }
                out.push(s);
            }
            _ => break,
        }
    }
    (out, queue.into())
}

/// How [`load_samples`] picks and orders the rows of a CSV.
#[derive(Clone, Debug, Default)]
pub struct SampleOptions {
    /// Data rows to skip (`--offset`).
    pub offset: usize,
    /// At most this many data rows after `offset` (`--limit`).
    pub limit: Option<usize>,
    /// The guard's `max_class_ratio`: order for the class-balance rule.
    pub ratio: Option<Decimal>,
    /// The test set's `(positives, negatives)` before these samples.
    pub start: (u64, u64),
    /// Drop rows the balance rule can never accept instead of failing.
    pub drop_excess: bool,
    /// Leave out rows with a value the contract refuses instead of failing.
    pub skip_unrepresentable: bool,
    /// A model's feature names: columns are matched to them by name
    /// (reordered; a missing or extra column is refused).
    pub names: Option<Vec<String>>,
}

/// How many refused rows a warning lists.
const LIST_REFUSED: usize = 5;

/// Load the samples of a CSV: the data rows `offset..offset + limit` (only
/// those are read and checked), without the rows the contract would refuse
/// when `skip_unrepresentable` (reported on stderr), ordered for the
/// class-balance rule when `ratio` is given. Fails if some rows could not be
/// added under `ratio` unless `drop_excess`.
pub fn load_samples(path: &Path, label: &str, o: &SampleOptions) -> Result<Vec<TestSample>> {
    let (mut table, total) =
        Table::load_window(path, label, LabelMode::Required, o.offset, o.limit)?;
    if let Some(names) = &o.names {
        let before = table.columns.clone();
        if table
            .match_names(names)
            .map_err(anyhow::Error::new)
            .context("matching CSV columns to the model's feature names")?
        {
            eprintln!(
                "note: {}: columns reordered by name to the model's order ({} -> {})",
                path.display(),
                before.join(", "),
                names.join(", ")
            );
        }
    }
    if o.offset > total {
        bail!(
            "--offset {} is past the {total} rows of {}",
            o.offset,
            path.display()
        );
    }
    if table.rows.is_empty() {
        return Ok(Vec::new());
    }
    let picked = if o.skip_unrepresentable {
        let (ok, refused) = checked_samples(&table)?;
        if !refused.is_empty() {
            let mut listed: Vec<String> = refused
                .iter()
                .take(LIST_REFUSED)
                .map(|r| format!("  {r}"))
                .collect();
            if refused.len() > LIST_REFUSED {
                listed.push(format!("  ... and {} more", refused.len() - LIST_REFUSED));
            }
            eprintln!(
                "warning: left out {} of {} rows (--skip-unrepresentable): they hold values the contract refuses\n{}",
                refused.len(),
                table.rows.len(),
                listed.join("\n")
            );
        }
        ok
    } else {
        samples(&table)?
    };
    let Some(ratio) = o.ratio else {
        return Ok(picked);
    };
    let (ok, left) = balance_order(picked, ratio, o.start);
    if !left.is_empty() {
        let pos = left.iter().filter(|s| s.label).count();
        let msg = format!(
            "{} samples ({} positive, {} negative) cannot be added under max_class_ratio {ratio}: \
             the other class runs out",
            left.len(),
            pos,
            left.len() - pos
        );
        if o.drop_excess {
            eprintln!("warning: {msg}; dropped (--drop-excess)");
        } else {
            bail!("{msg}; raise the ratio, add rows of the minority class, or pass --drop-excess");
        }
    }
    Ok(ok)
}

/// A salt as 64 hex digits (32 bytes), e.g. from `openssl rand -hex 32`.
pub fn salt(hex: &str) -> Result<[u8; SALT_BYTES], InvalidFlag> {
    HexBinary::from_hex(hex.trim())
        .ok()
        .and_then(|b| <[u8; SALT_BYTES]>::try_from(b.as_slice()).ok())
        .ok_or_else(|| InvalidFlag::new("--salt", "64 hex digits (32 bytes)", hex))
}

/// `{"commit_proposal": {"commitment": "<hex>", "limits": ...}}`: the
/// commitment to `model` by `sender` with `salt`
/// (`vigil_guard_api::commit::commitment`); `limits` (the harshest rules
/// the proposer accepts) only when one is stated.
pub fn commit(
    model: &Path,
    sender: &str,
    salt: &[u8; SALT_BYTES],
    limits: ProposalLimits,
) -> Result<ExecuteMsg> {
    let limits = (limits != ProposalLimits::default()).then_some(limits);
    let c = commitment(&read_model(model)?, sender, salt);
    Ok(ExecuteMsg::CommitProposal {
        commitment: HexBinary::from(c.to_vec()),
        limits,
    })
}

/// `{"reveal_proposal": {"proposal_id": N, "model": "<base64>", "salt":
/// "<base64>"}}`.
pub fn reveal(proposal_id: u64, model: &Path, salt: &[u8; SALT_BYTES]) -> Result<ExecuteMsg> {
    Ok(ExecuteMsg::RevealProposal {
        proposal_id,
        model: Binary::from(read_model(model)?),
        salt: Binary::from(salt.to_vec()),
    })
}

/// `{"veto": {"proposal_id": N}}`: the guardian refuses a pending model.
pub fn veto(proposal_id: u64) -> ExecuteMsg {
    ExecuteMsg::Veto { proposal_id }
}

/// `{"activate": {}}`: anyone activates the pending model after its delay.
pub fn activate() -> ExecuteMsg {
    ExecuteMsg::Activate {}
}

/// The curator's batch from labelled samples: `chunks` chunks of about
/// equal size (the last may be shorter), the `CommitBatch` message
/// (`chunk_hash` of each with `salt`) and the `RevealBatch` message of each
/// chunk, in order.
pub fn batch(
    samples: Vec<TestSample>,
    chunks: usize,
    salt: &[u8; SALT_BYTES],
) -> Result<(ExecuteMsg, Vec<ExecuteMsg>), InvalidFlag> {
    if chunks == 0 || chunks > MAX_BATCH_CHUNKS || chunks > samples.len() {
        return Err(InvalidFlag::new(
            "--chunks",
            format!("1 to {MAX_BATCH_CHUNKS}, at most the samples"),
            chunks,
        ));
    }
    let size = samples.len().div_ceil(chunks);
    let parts: Vec<Vec<TestSample>> = samples.chunks(size).map(<[_]>::to_vec).collect();
    let commit = ExecuteMsg::CommitBatch {
        chunks: parts
            .iter()
            .map(|c| HexBinary::from(chunk_hash(c, salt).to_vec()))
            .collect(),
    };
    let reveals = parts
        .into_iter()
        .enumerate()
        .map(|(i, samples)| ExecuteMsg::RevealBatch {
            index: i as u32,
            samples,
            salt: Binary::from(salt.to_vec()),
        })
        .collect();
    Ok((commit, reveals))
}

/// `{"withdraw": {"proposal_id": N}}`: the proposer of a proposal waiting
/// for a void batch takes the bond back.
pub fn withdraw(proposal_id: u64) -> ExecuteMsg {
    ExecuteMsg::Withdraw { proposal_id }
}

/// An address flag (`--governor`, `--guard`): a bech32 address with a valid
/// checksum, e.g. `wasm1...`. The chain checks its prefix; a typo in the
/// rest is caught here, before a transaction names a contract that does
/// not exist.
pub fn address(flag: &'static str, addr: &str) -> Result<String, InvalidFlag> {
    match bech32::decode(addr) {
        Ok((_, data)) if !data.is_empty() && addr == addr.to_lowercase() => Ok(addr.to_owned()),
        _ => Err(InvalidFlag::new(
            flag,
            "a bech32 address, e.g. wasm1... (lower case, valid checksum)",
            format!("{addr:?}"),
        )),
    }
}

/// `{"bind_guard": {"guard": ADDR}}`: the governor's admin names the guard
/// the governor installs models on (once; the active model is sent at
/// once).
pub fn bind_guard(guard: &str) -> Result<ExecuteMsg, InvalidFlag> {
    Ok(ExecuteMsg::BindGuard {
        guard: address("--guard", guard)?,
    })
}

/// The guard's `RegisterProtected` (its admin): `contract` guarded with
/// `ProtectedSettings::with_kinds(kinds, unit)` (the defaults:
/// `docs/breaker.md`), then `tune` applied, checked as the guard checks it.
pub fn register_protected(
    contract: &str,
    kinds: &[String],
    unit: &str,
    guardian: Option<&str>,
    tune: impl FnOnce(&mut ProtectedSettings),
) -> Result<GuardExecuteMsg, InvalidFlag> {
    let mut settings = ProtectedSettings::with_kinds(kinds.to_vec(), unit);
    settings.guardian = guardian.map(|g| address("--guardian", g)).transpose()?;
    tune(&mut settings);
    settings
        .validate()
        .map_err(|e| InvalidFlag::new("--kinds/--unit/rules", "valid settings", e.to_string()))?;
    Ok(GuardExecuteMsg::RegisterProtected {
        contract: address("--contract", contract)?,
        settings,
    })
}

/// `{"apply_governance": {}}`: anyone applies the due governance changes.
pub fn apply_governance() -> ExecuteMsg {
    ExecuteMsg::ApplyGovernance {}
}

/// The proposer's limits from the `vigil msg commit` flags: margins are
/// stated for every metric alike (`--max-min-gain`, `--min-tolerance`; one
/// without the other leaves the other free).
pub fn proposal_limits(
    max_min_gain: Option<Decimal>,
    min_tolerance: Option<Decimal>,
    min_reward: Option<u128>,
    max_stall_fee: Option<Decimal>,
    min_stall_blocks: Option<u64>,
) -> ProposalLimits {
    let max_margins = (max_min_gain.is_some() || min_tolerance.is_some()).then(|| {
        uniform_margins(
            max_min_gain.unwrap_or(Decimal::MAX),
            min_tolerance.unwrap_or_default(),
        )
    });
    ProposalLimits {
        max_margins,
        min_reward: min_reward.map(Uint128::new),
        max_stall_fee,
        min_stall_blocks,
    }
}

/// `{"close_stalled": {"proposal_id": N}}`: anyone closes a proposal with
/// no evaluation step for its stall window and is paid its stall fee.
pub fn close_stalled(proposal_id: u64) -> ExecuteMsg {
    ExecuteMsg::CloseStalled { proposal_id }
}

/// `{"sweep": {}}`: anyone moves funds stranded by plain bank transfers
/// into the vault.
pub fn sweep() -> ExecuteMsg {
    ExecuteMsg::Sweep {}
}

/// `{"add_test_samples": {"samples": [...]}}`, in chunks of `chunk`
/// samples (`None`: one message). `vigil msg add-samples` refuses
/// `--chunk 0` ([`check_chunk`]); here 0 counts as 1.
pub fn add_samples(samples: Vec<TestSample>, chunk: Option<usize>) -> Vec<ExecuteMsg> {
    let size = chunk.unwrap_or(usize::MAX).max(1);
    let mut out = Vec::new();
    let mut rest = samples;
    while !rest.is_empty() {
        let tail = rest.split_off(size.min(rest.len()));
        out.push(ExecuteMsg::AddTestSamples { samples: rest });
        rest = tail;
    }
    out
}

/// The `--chunk` flag: samples per message, at least 1.
pub fn check_chunk(chunk: Option<usize>) -> Result<(), InvalidFlag> {
    match chunk {
        Some(0) => Err(InvalidFlag::new(
            "--chunk",
            "at least 1 (samples per message)",
            0,
        )),
        _ => Ok(()),
    }
}

/// `RewardRule` from `none`, `fixed:AMOUNT` or `share:DECIMAL`.
pub fn parse_reward(s: &str) -> Result<RewardRule> {
    let (kind, value) = s.split_once(':').unwrap_or((s, ""));
    Ok(match kind {
        "none" => RewardRule::None,
        "fixed" => RewardRule::Fixed {
            amount: Uint128::from_str(value)
                .with_context(|| format!("--reward fixed:AMOUNT: bad amount {value:?}"))?,
        },
        "share" => RewardRule::BondShare {
            share: Decimal::from_str(value)
                .with_context(|| format!("--reward share:DECIMAL: bad share {value:?}"))?,
        },
        _ => bail!("--reward must be none, fixed:AMOUNT or share:DECIMAL, got {s:?}"),
    })
}

/// A decimal flag (non-negative: `Decimal` has no sign).
pub fn decimal(flag: &str, s: &str) -> Result<Decimal> {
    if s.trim_start().starts_with('-') {
        bail!("{flag} must be a decimal >= 0, got {s:?}");
    }
    Decimal::from_str(s).with_context(|| format!("{flag}: not a decimal: {s:?}"))
}

/// The `--max-class-ratio` flag: a decimal the contract accepts as a
/// ratio (`class_balance::valid_ratio`, the rule `Settings::validate`
/// applies).
pub fn class_ratio(s: &str) -> Result<Decimal> {
    let r = decimal("--max-class-ratio", s)?;
    if !class_balance::valid_ratio(r) {
        bail!(InvalidFlag::new(
            "--max-class-ratio",
            ">= 1 (the largest majority:minority ratio of the test set)",
            s
        ));
    }
    Ok(r)
}

/// The settings of an instantiate message.
#[derive(Clone, Debug)]
pub struct InstantiateArgs {
    /// Governance address.
    pub admin: Option<String>,
    /// Feature count, or taken from the model.
    pub n_features: Option<u16>,
    /// Initial model blob.
    pub model: Option<std::path::PathBuf>,
    /// Bond denom.
    pub bond_denom: String,
    /// Minimum bond.
    pub min_bond: u128,
    /// Margin per metric.
    pub margins: Margins,
    /// Reward rule.
    pub reward: RewardRule,
    /// Operation budget (`None`: twice the initial model's bound, at least
    /// 1,000,000).
    pub max_inference_ops: Option<u64>,
    /// `Check` gas budget, SDK gas above setup (`None`: four times the
    /// initial model's quoted bound, at least
    /// [`DEFAULT_MAX_CHECK_GAS_FLOOR`]).
    pub max_check_gas: Option<u64>,
    /// Deny threshold override.
    pub deny_threshold: Option<Decimal>,
    /// Paused behaviour.
    pub paused_check: PausedCheck,
    /// Class ratio.
    pub max_class_ratio: Decimal,
    /// Rows per evaluation step.
    pub eval_batch: u32,
    /// Blocks without a step after which anyone may close a proposal.
    pub stall_blocks: u64,
    /// Share of the bond the closer gets (an admin cancel: the vault).
    pub stall_fee: Decimal,
    /// Data envelope margin (`None`: off).
    pub envelope_margin: Option<Decimal>,
    /// Blocks between a commitment and its reveal.
    pub reveal_delay: u64,
    /// Blocks an accepted model is pending (vetoable).
    pub activation_delay: u64,
    /// Who may veto a pending model.
    pub guardian: Option<String>,
    /// Blocks a governance change waits.
    pub governance_delay: u64,
    /// Who commits hidden test batches.
    pub curator: Option<String>,
    /// Initial test samples.
    pub test_samples: Vec<TestSample>,
}

/// Margins with the same `min_gain`/`tolerance` for every metric.
pub fn uniform_margins(min_gain: Decimal, tolerance: Decimal) -> Margins {
    let m = Margin {
        min_gain,
        tolerance,
    };
    Margins {
        accuracy: m.clone(),
        f1: m.clone(),
        precision: m.clone(),
        recall: m,
    }
}

impl InstantiateArgs {
    /// The checks the contract makes of its settings at instantiation
    /// (`vigil_guard_api::InstantiateMsg::validate`, the contract's own
    /// rules), on these flags, before any file is read: settings not given
    /// yet (`n_features` and `max_inference_ops`, taken from the model
    /// later) are checked when [`instantiate`] has them. Errors name the
    /// flag. [`instantiate`] calls it first.
    pub fn validate(&self) -> Result<(), InvalidFlag> {
        let settings = vigil_guard_api::Settings {
            n_features: self.n_features.unwrap_or(1),
            bond_denom: self.bond_denom.clone(),
            min_bond: Uint128::new(self.min_bond),
            margins: self.margins.clone(),
            reward: self.reward.clone(),
            max_inference_ops: self.max_inference_ops.unwrap_or(1),
            max_check_gas: self.max_check_gas.unwrap_or(1),
            deny_threshold: self.deny_threshold,
            paused_check: self.paused_check,
            max_class_ratio: self.max_class_ratio,
            eval_batch: self.eval_batch,
            stall_blocks: self.stall_blocks,
            stall_fee: self.stall_fee,
            envelope_margin: self.envelope_margin,
            reveal_delay: self.reveal_delay,
            activation_delay: self.activation_delay,
            guardian: self.guardian.clone(),
            governance_delay: self.governance_delay,
            curator: self.curator.clone(),
        };
        settings.validate().map_err(|e| self.flag_of(e))
    }

    /// The flag behind a setting the contract refuses, and what it accepts.
    fn flag_of(&self, e: InvalidSetting) -> InvalidFlag {
        match e {
            InvalidSetting::NoFeatures => InvalidFlag::new("--n-features", "at least 1", 0),
            InvalidSetting::EmptyDenom => {
                InvalidFlag::new("--bond-denom", "a non-empty denom, e.g. ustake", "\"\"")
            }
            InvalidSetting::ZeroBond => InvalidFlag::new("--min-bond", "at least 1", 0),
            InvalidSetting::ZeroBudget => InvalidFlag::new("--max-inference-ops", "at least 1", 0),
            InvalidSetting::ZeroCheckGas => InvalidFlag::new("--max-check-gas", "at least 1", 0),
            InvalidSetting::ZeroStallBlocks => InvalidFlag::new(
                "--stall-blocks",
                "at least 1 (blocks without a step before a proposal may be closed)",
                0,
            ),
            InvalidSetting::ZeroRevealDelay => InvalidFlag::new(
                "--reveal-delay",
                "at least 1 (blocks between a commitment and its reveal)",
                0,
            ),
            InvalidSetting::StallFeeAboveOne => InvalidFlag::new(
                "--stall-fee",
                "a share of the bond in [0, 1]",
                self.stall_fee,
            ),
            InvalidSetting::GainNotAboveTolerance { metric } => InvalidFlag::new(
                "--tolerance",
                format!("below --min-gain (the smallest gain that counts, on {metric})"),
                self.margins
                    .named()
                    .iter()
                    .find(|(n, _)| *n == metric)
                    .map_or(Decimal::zero(), |(_, m)| m.tolerance),
            ),
            InvalidSetting::ZeroBatch => InvalidFlag::new(
                "--eval-batch",
                "at least 1 (test rows per evaluation step)",
                0,
            ),
            InvalidSetting::ClassRatioBelowOne => InvalidFlag::new(
                "--max-class-ratio",
                ">= 1 (the largest majority:minority ratio of the test set)",
                self.max_class_ratio,
            ),
            InvalidSetting::ThresholdAboveOne => InvalidFlag::new(
                "--deny-threshold",
                "a score in [0, 1]",
                self.deny_threshold.unwrap_or_default(),
            ),
            InvalidSetting::RewardShareTooLarge => InvalidFlag::new(
                "--reward",
                format!(
                    "none, fixed:AMOUNT or share:DECIMAL with a share in [0, {MAX_REWARD_SHARE}]"
                ),
                match &self.reward {
                    RewardRule::BondShare { share } => format!("share:{share}"),
                    other => format!("{other:?}"),
                },
            ),
        }
    }
}

/// The default `max_check_gas` for a model whose quoted `Check` bound above
/// setup is `bound`: four times it, at least [`DEFAULT_MAX_CHECK_GAS_FLOOR`].
pub fn default_max_check_gas(bound: Option<u64>) -> u64 {
    bound.map_or(DEFAULT_MAX_CHECK_GAS_FLOOR, |g| {
        g.saturating_mul(4).max(DEFAULT_MAX_CHECK_GAS_FLOOR)
    })
}

/// Build the instantiate message.
pub fn instantiate(a: InstantiateArgs) -> Result<InstantiateMsg> {
    a.validate()?;
    // The CLI's own checks below (the model file against the flags and the
    // samples, the default budget) are about inputs the contract sees only
    // inside the message; the contract's rules are `validate` above and at
    // the end.
    let blob = a.model.as_deref().map(read_model).transpose()?;
    let parsed = blob
        .as_deref()
        .map(vigil_inference_core::Model::parse)
        .transpose()?;
    let n_features = match (a.n_features, &parsed) {
        (Some(n), Some(m)) if usize::from(n) != m.n_features() => {
            bail!(
                "--n-features {n} but the model takes {} inputs",
                m.n_features()
            )
        }
        (Some(n), _) => n,
        (None, Some(m)) => u16::try_from(m.n_features())?,
        (None, None) => bail!("give --n-features or --model"),
    };
    for (i, s) in a.test_samples.iter().enumerate() {
        if s.features.len() != usize::from(n_features) {
            bail!(
                "test sample {i} has {} features, the guard takes {n_features}",
                s.features.len()
            );
        }
    }
    let bound = parsed.as_ref().map(|m| m.cost().ops);
    let max_inference_ops = a
        .max_inference_ops
        .unwrap_or_else(|| bound.map_or(1_000_000, |b| (2 * b).max(1_000_000)));
    if let Some(b) = bound.filter(|&b| b > max_inference_ops) {
        bail!("the initial model's cost bound {b} exceeds --max-inference-ops {max_inference_ops}");
    }
    // The whole-Check bound above setup, as the contract quotes it.
    let gas = parsed
        .as_ref()
        .map(|m| vigil_guard::gas::quoted_check_gas(&m.cost(), n_features).above_setup());
    let max_check_gas = a
        .max_check_gas
        .unwrap_or_else(|| default_max_check_gas(gas));
    if let Some(g) = gas.filter(|&g| g > max_check_gas) {
        bail!("the initial model's Check bound {g} SDK gas (above setup) exceeds --max-check-gas {max_check_gas}");
    }
    let msg = InstantiateMsg {
        admin: a.admin.clone(),
        n_features,
        bond_denom: a.bond_denom.clone(),
        min_bond: Uint128::new(a.min_bond),
        margins: a.margins.clone(),
        reward: a.reward.clone(),
        max_inference_ops,
        max_check_gas,
        deny_threshold: a.deny_threshold,
        paused_check: a.paused_check,
        max_class_ratio: a.max_class_ratio,
        eval_batch: a.eval_batch,
        stall_blocks: a.stall_blocks,
        stall_fee: a.stall_fee,
        envelope_margin: a.envelope_margin,
        reveal_delay: a.reveal_delay,
        activation_delay: a.activation_delay,
        guardian: a.guardian.clone(),
        governance_delay: a.governance_delay,
        curator: a.curator.clone(),
        initial_model: blob.map(Binary::from),
        initial_test_set: a.test_samples.clone(),
    };
    // The whole message, as the contract will check it (n_features and the
    // budget are known now).
    msg.validate().map_err(|e| a.flag_of(e))?;
    Ok(msg)
}

/// The guard's instantiate message (the split, `docs/split.md`): the
/// settings [`instantiate`] builds from the same arguments, so the guard
/// applies the governor's `n_features`, budgets and `paused_check` (give
/// both the same flags), and `governor`, the only address whose installs
/// the guard accepts. No model and no test samples travel: the governor's
/// `BindGuard` sends its active model; `model` only sets `n_features` and
/// the default budgets, as for the governor.
pub fn instantiate_guard(governor: &str, a: InstantiateArgs) -> Result<GuardInstantiateMsg> {
    let governor = address("--governor", governor)?;
    let msg = instantiate(InstantiateArgs {
        test_samples: Vec::new(),
        ..a
    })?;
    Ok(GuardInstantiateMsg {
        settings: msg.settings(),
        admin: msg.admin,
        governor,
        change_delay: None,
    })
}

#[cfg(test)]
mod tests {

    #[test]
    fn register_protected_is_checked_as_the_guard_checks_it() {
        let addr = "wasm14hj2tavq8fpesdwxxcu44rty3hh90vhujrvcmstl4zr3txmfvw9s0phg4d";
        let kinds = vec!["withdraw".to_string(), "borrow".to_string()];
        let m = register_protected(addr, &kinds, "uatom", None, |_| {}).unwrap();
        let GuardExecuteMsg::RegisterProtected { contract, settings } = m else {
            panic!("not RegisterProtected");
        };
        assert_eq!(contract, addr);
        assert_eq!(
            settings,
            ProtectedSettings::with_kinds(kinds.clone(), "uatom")
        );
        // A duplicate kind, nine kinds, a bad address, a share above 1.
        let dup = vec!["withdraw".to_string(); 2];
        assert!(register_protected(addr, &dup, "uatom", None, |_| {}).is_err());
        let nine: Vec<String> = (0..9).map(|i| format!("k{i}")).collect();
        assert!(register_protected(addr, &nine, "uatom", None, |_| {}).is_err());
        assert!(register_protected("wasm1nope", &kinds, "uatom", None, |_| {}).is_err());
        let too_much = register_protected(addr, &kinds, "uatom", None, |s| {
            s.outflow_rule.as_mut().unwrap().share = Decimal::percent(150);
        });
        assert!(too_much.is_err());
    }

    use super::*;

    fn s(label: bool) -> TestSample {
        TestSample {
            features: vec!["1".into()],
            label,
        }
    }

    #[test]
    fn balance_interleaves_and_reports_leftovers() {
        let input: Vec<TestSample> = (0..8)
            .map(|_| s(false))
            .chain((0..2).map(|_| s(true)))
            .collect();
        let (ok, left) = balance_order(input, Decimal::from_str("3").unwrap(), (0, 0));
        // The contract refuses a negative while negatives > 3·max(positives, 1)
        // before adding it: four negatives, then positives unlock more.
        let labels: Vec<bool> = ok.iter().map(|s| s.label).collect();
        assert_eq!(
            labels,
            [false, false, false, false, true, true, false, false, false]
        );
        assert_eq!(left.len(), 1);
        let input: Vec<TestSample> = (0..8).map(|_| s(false)).chain([s(true)]).collect();
        let (ok, left) = balance_order(input, Decimal::from_str("2").unwrap(), (0, 0));
        assert_eq!(ok.len(), 4);
        assert_eq!(left.len(), 5);
    }

    #[test]
    fn reward_rules() {
        assert_eq!(parse_reward("none").unwrap(), RewardRule::None);
        assert_eq!(
            parse_reward("fixed:100").unwrap(),
            RewardRule::Fixed {
                amount: Uint128::new(100)
            }
        );
        assert!(parse_reward("share:x").is_err());
        assert!(parse_reward("half").is_err());
    }

    #[test]
    fn chunks() {
        let m = add_samples((0..5).map(|_| s(true)).collect(), Some(2));
        assert_eq!(m.len(), 3);
        let json = serde_json::to_string(&m[2]).unwrap();
        assert_eq!(
            json,
            r#"{"add_test_samples":{"samples":[{"features":["1"],"label":true}]}}"#
        );
        assert_eq!(check_chunk(Some(0)).unwrap_err().flag, "--chunk");
        assert!(check_chunk(Some(1)).is_ok() && check_chunk(None).is_ok());
    }

    fn args() -> InstantiateArgs {
        InstantiateArgs {
            admin: None,
            n_features: Some(3),
            model: None,
            bond_denom: "uvigil".into(),
            min_bond: 1,
            margins: Margins::default(),
            reward: RewardRule::None,
            max_inference_ops: None,
            max_check_gas: None,
            deny_threshold: None,
            paused_check: PausedCheck::Deny,
            max_class_ratio: Decimal::one(),
            eval_batch: 1,
            stall_blocks: 600,
            stall_fee: Decimal::percent(5),
            envelope_margin: vigil_guard_api::settings::default_envelope_margin(),
            reveal_delay: 10,
            activation_delay: 0,
            guardian: None,
            governance_delay: 0,
            curator: None,
            test_samples: Vec::new(),
        }
    }

    /// Every setting the contract refuses (`Settings::validate`) comes
    /// back naming its flag; what it accepts passes, and the message built
    /// is one the contract's rule accepts.
    #[test]
    fn the_contract_rules_name_the_flag() {
        type Spoil = fn(&mut InstantiateArgs);
        let cases: [(Spoil, &str); 13] = [
            (|a| a.reveal_delay = 0, "--reveal-delay"),
            (|a| a.max_check_gas = Some(0), "--max-check-gas"),
            (|a| a.stall_blocks = 0, "--stall-blocks"),
            (|a| a.stall_fee = Decimal::percent(101), "--stall-fee"),
            (
                |a| a.margins = uniform_margins(Decimal::percent(1), Decimal::percent(1)),
                "--tolerance",
            ),
            (|a| a.n_features = Some(0), "--n-features"),
            (|a| a.bond_denom.clear(), "--bond-denom"),
            (|a| a.min_bond = 0, "--min-bond"),
            (|a| a.max_inference_ops = Some(0), "--max-inference-ops"),
            (|a| a.eval_batch = 0, "--eval-batch"),
            (
                |a| a.max_class_ratio = Decimal::percent(50),
                "--max-class-ratio",
            ),
            (
                |a| a.deny_threshold = Some(Decimal::percent(101)),
                "--deny-threshold",
            ),
            (
                |a| {
                    a.reward = RewardRule::BondShare {
                        share: Decimal::percent(10_001),
                    }
                },
                "--reward",
            ),
        ];
        for (spoil, flag) in cases {
            let mut a = args();
            spoil(&mut a);
            assert_eq!(a.validate().unwrap_err().flag, flag);
            let e = instantiate(a).unwrap_err();
            assert_eq!(e.downcast_ref::<InvalidFlag>().map(|f| f.flag), Some(flag));
        }
        let msg = instantiate(args()).unwrap();
        assert!(msg.validate().is_ok());
        assert_eq!(msg.max_inference_ops, 1_000_000);
        assert_eq!(msg.max_check_gas, DEFAULT_MAX_CHECK_GAS_FLOOR);
        assert_eq!(default_max_check_gas(Some(30_000)), 120_000);
        assert_eq!(serde_json::to_string(&sweep()).unwrap(), r#"{"sweep":{}}"#);
        assert_eq!(
            serde_json::to_string(&veto(3)).unwrap(),
            r#"{"veto":{"proposal_id":3}}"#
        );
        assert_eq!(
            serde_json::to_string(&activate()).unwrap(),
            r#"{"activate":{}}"#
        );
        assert_eq!(
            serde_json::to_string(&apply_governance()).unwrap(),
            r#"{"apply_governance":{}}"#
        );
        assert_eq!(salt(&"ab".repeat(32)).unwrap(), [0xab; SALT_BYTES]);
        let five: Vec<TestSample> = (0..5).map(|i| s(i % 2 == 0)).collect();
        let (commit, reveals) = batch(five.clone(), 2, &[1; SALT_BYTES]).unwrap();
        let ExecuteMsg::CommitBatch { chunks } = commit else {
            panic!("a commit")
        };
        assert_eq!(chunks.len(), 2);
        assert_eq!(
            chunks[1].as_slice(),
            chunk_hash(&five[3..], &[1; SALT_BYTES])
        );
        assert!(commit_ok(&reveals, &five));
        for bad in [0, 6, 65] {
            assert_eq!(
                batch(five.clone(), bad, &[1; SALT_BYTES]).unwrap_err().flag,
                "--chunks"
            );
        }
        assert_eq!(
            serde_json::to_string(&withdraw(2)).unwrap(),
            r#"{"withdraw":{"proposal_id":2}}"#
        );
        for bad in ["ab", "zz", &"ab".repeat(33)] {
            assert_eq!(salt(bad).unwrap_err().flag, "--salt");
        }
        assert_eq!(
            serde_json::to_string(&close_stalled(7)).unwrap(),
            r#"{"close_stalled":{"proposal_id":7}}"#
        );
        assert_eq!(
            proposal_limits(None, None, None, None, None),
            ProposalLimits::default()
        );
        let l = proposal_limits(
            Some(Decimal::percent(2)),
            None,
            Some(500),
            Some(Decimal::percent(5)),
            Some(600),
        );
        assert_eq!(
            l.max_margins,
            Some(uniform_margins(Decimal::percent(2), Decimal::zero()))
        );
        assert_eq!(l.min_reward, Some(Uint128::new(500)));
        assert_eq!(
            serde_json::to_value(&l).unwrap()["max_stall_fee"],
            serde_json::json!("0.05")
        );
    }

    /// The reveals carry every sample once, in order, by chunk index.
    fn commit_ok(reveals: &[ExecuteMsg], all: &[TestSample]) -> bool {
        let mut got = Vec::new();
        for (i, r) in reveals.iter().enumerate() {
            match r {
                ExecuteMsg::RevealBatch { index, samples, .. } if *index as usize == i => {
                    got.extend(samples.iter().cloned())
                }
                _ => return false,
            }
        }
        got == all
    }

    #[test]
    fn balance_order_follows_the_api_rule() {
        let ratio = Decimal::percent(250);
        let input: Vec<TestSample> = (0..9)
            .map(|_| s(false))
            .chain((0..3).map(|_| s(true)))
            .collect();
        let (ok, left) = balance_order(input, ratio, (0, 0));
        let (mut pos, mut neg) = (0u32, 0u32);
        for x in &ok {
            assert!(class_balance::admits(ratio, pos, neg, x.label));
            if x.label {
                pos += 1;
            } else {
                neg += 1;
            }
        }
        // A ninth negative would need 9 <= 2.5 x 3 before the eighth: no.
        assert_eq!((pos, neg), (3, 8));
        assert_eq!(left.len(), 1);
        assert!(!class_balance::admits(ratio, pos, neg, false));
    }

    #[test]
    fn class_ratio_is_at_least_one() {
        assert_eq!(class_ratio("1").unwrap(), Decimal::one());
        let e = class_ratio("0.5").unwrap_err().to_string();
        assert!(e.contains("--max-class-ratio must be >= 1"), "{e}");
        assert!(class_ratio("-2").is_err());
    }
}
