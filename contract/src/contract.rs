//! Entry points and handlers.
#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    Addr, Attribute, BankMsg, Binary, Coin, Decimal, Deps, DepsMut, Env, Event, MessageInfo,
    Response, SignedDecimal, StdError, StdResult, Storage, Uint128,
};
use vigil_inference_core::decimal::{self, Exact};
use vigil_inference_core::{Act, DecimalError, FormatError, InferError, Model, Score, Wide};

use crate::error::ContractError;
use crate::json::{cw2_parse, cw2_record, ToJson, CW2_KEY};
use crate::msg::{
    CheckResponse, ConfigResponse, ConfigUpdate, Contribution, CostResponse, ExecuteMsg,
    InstantiateMsg, MigrateMsg, ModelResponse, PausedCheck, ProposalResponse, ProposalStatus,
    ProposalsResponse, QueryMsg, RewardRule, ScoreResponse, StoredSample, TestSample,
    TestSetResponse,
};
use crate::poim::{self, decode_sample, encode_sample};
use crate::state::{
    active_version, for_each_sample, load_active, load_blob, load_candidate, load_sample,
    remove_candidate, remove_sample, save_active, save_blob, save_candidate, save_sample,
    update_active_header, ActiveHeader, Config, Counts, ModelInfo, Proposal, TestSetMeta, CONFIG,
    LATEST_VERSION, MODEL_INFO, MODEL_THRESHOLD, NEXT_PROPOSAL, OPEN_PROPOSAL, PROPOSALS, TEST_SET,
    VAULT,
};

/// cw2 contract name.
pub const CONTRACT_NAME: &str = "crates.io:vigil-guard";
/// cw2 contract version.
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

const DEFAULT_LIMIT: u32 = 30;
const MAX_LIMIT: u32 = 100;
const TOP_CONTRIBUTIONS: usize = 3;

// ---------------------------------------------------------------- helpers

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 * bytes.len());
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// A response with its `action` attribute.
fn action(name: &str) -> Response {
    let mut response = Response::new();
    attr(&mut response.attributes, "action", name);
    response
}

/// Append an attribute. These helpers are not generic (unlike
/// `add_attribute`), so their code exists once, not once per call site.
#[inline(never)]
fn attr(attributes: &mut Vec<Attribute>, key: &str, value: &str) {
    attr_string(attributes, key, value.to_string());
}

/// Append an attribute with an owned value.
#[inline(never)]
fn attr_string(attributes: &mut Vec<Attribute>, key: &str, value: String) {
    attributes.push(Attribute {
        key: key.to_string(),
        value,
    });
}

/// Append a number attribute.
#[inline(never)]
fn attr_num(attributes: &mut Vec<Attribute>, key: &str, value: u64) {
    attr_string(attributes, key, value.to_string());
}

/// The error of a model that does not parse.
#[inline(never)]
fn invalid_model(e: FormatError) -> ContractError {
    ContractError::InvalidModel(e.to_string())
}

/// The error of an inference that fails (a stored model, so not the
/// caller's fault).
#[inline(never)]
pub(crate) fn inference_failed(e: InferError) -> StdError {
    StdError::generic_err(e.to_string())
}

/// `Decimal`'s fixed-point unit: atomics per 1.
pub(crate) const UNIT: u128 = 1_000_000_000_000_000_000;

/// `a · d` rounded down, saturating at `Uint128::MAX`: what
/// `a.checked_mul_floor(d).unwrap_or(Uint128::MAX)` computes, in u128
/// pieces instead of 256-bit arithmetic. With `d = dq + dr/UNIT` and
/// `a = q·UNIT + r`: `a·d = a·dq + q·dr + r·dr/UNIT`, the last term below
/// `UNIT` (`r, dr < UNIT`), the only one to round.
pub fn mul_floor(a: Uint128, d: Decimal) -> Uint128 {
    let (a, d) = (a.u128(), d.atomics().u128());
    let (dq, dr) = (d / UNIT, d % UNIT);
    let (q, r) = (a / UNIT, a % UNIT);
    a.checked_mul(dq)
        .and_then(|x| x.checked_add(q * dr))
        .and_then(|x| x.checked_add(r * dr / UNIT))
        .map_or(Uint128::MAX, Uint128::new)
}

/// A score's exact bits as a `Decimal` (rounded down to 18 decimals).
pub fn score_decimal(bits: u32) -> Decimal {
    // bits ≤ 2^31: bits · 10^18 < 2^92.
    Decimal::raw((u128::from(bits) * UNIT) >> 31)
}

/// The smallest score bits at or above a decimal threshold.
pub fn threshold_bits(d: Decimal) -> u32 {
    let atomics = d.atomics().u128().min(1_000_000_000_000_000_000);
    let num = atomics << 31;
    num.div_ceil(1_000_000_000_000_000_000) as u32
}

fn act_decimal(a: Act) -> SignedDecimal {
    // 10^18 / 2^16 = 15_258_789_062_500 exactly.
    SignedDecimal::raw(i128::from(a.to_bits()) * 15_258_789_062_500)
}

/// The [`TOP_CONTRIBUTIONS`] largest contributions, largest first, the
/// lower feature index first among equals (a selection: no sort code).
fn top_contributions(c: &[Act]) -> Vec<Contribution> {
    let mut top: Vec<(usize, Act)> = Vec::with_capacity(TOP_CONTRIBUTIONS);
    while top.len() < TOP_CONTRIBUTIONS.min(c.len()) {
        let mut best: Option<(usize, Act)> = None;
        for (i, &v) in c.iter().enumerate() {
            let taken = top.iter().any(|&(t, _)| t == i);
            if !taken && best.is_none_or(|(_, b)| v > b) {
                best = Some((i, v));
            }
        }
        top.extend(best);
    }
    let mut out = Vec::with_capacity(top.len());
    for (i, v) in top {
        out.push(Contribution {
            feature: i as u16,
            value: act_decimal(v),
        });
    }
    out
}

/// Parse one decimal string per feature (`n` of them) with `parse`.
fn features<T>(
    features: &[String],
    n: usize,
    parse: fn(&str) -> Result<T, DecimalError>,
) -> Result<Vec<T>, ContractError> {
    if features.len() != n {
        return Err(ContractError::FeatureCount {
            expected: n,
            got: features.len(),
        });
    }
    let mut out = Vec::with_capacity(n);
    for (index, s) in features.iter().enumerate() {
        match parse(s) {
            Ok(v) => out.push(v),
            Err(e) => {
                return Err(ContractError::BadNumber {
                    index,
                    reason: e.to_string(),
                })
            }
        }
    }
    Ok(out)
}

fn parse_features(f: &[String], n: usize) -> Result<Vec<Wide>, ContractError> {
    features(f, n, decimal::parse)
}

fn exact_features(f: &[String], n: usize) -> Result<Vec<Exact>, ContractError> {
    features(f, n, Exact::parse)
}

/// Validate a blob completely and against the guard's settings.
fn validate_model<'a>(blob: &'a [u8], config: &Config) -> Result<Model<'a>, ContractError> {
    let model = Model::parse(blob).map_err(invalid_model)?;
    if model.n_features() != usize::from(config.n_features) {
        return Err(ContractError::FeatureCount {
            expected: usize::from(config.n_features),
            got: model.n_features(),
        });
    }
    let cost = model.cost();
    if cost.ops > config.max_inference_ops {
        return Err(ContractError::CostOverBudget {
            bound: cost.ops,
            budget: config.max_inference_ops,
        });
    }
    Ok(model)
}

fn ensure_admin(config: &Config, sender: &Addr) -> Result<(), ContractError> {
    if *sender != config.admin {
        return Err(ContractError::Unauthorized);
    }
    Ok(())
}

fn ensure_no_funds(info: &MessageInfo) -> Result<(), ContractError> {
    if !info.funds.is_empty() {
        return Err(ContractError::UnexpectedFunds);
    }
    Ok(())
}

/// The single coin of `denom` attached, or an error.
fn single_coin(info: &MessageInfo, denom: &str) -> Result<Uint128, ContractError> {
    match info.funds.as_slice() {
        [] => Ok(Uint128::zero()),
        [Coin { denom: d, amount }] if d == denom => Ok(*amount),
        _ => Err(ContractError::WrongFunds {
            denom: denom.to_string(),
        }),
    }
}

fn header_for(config: &Config, version: u32) -> ActiveHeader {
    ActiveHeader {
        version,
        paused: config.paused,
        paused_check: config.paused_check,
        threshold_bits: config
            .deny_threshold
            .map_or(MODEL_THRESHOLD, threshold_bits),
    }
}

fn validate_config(config: &Config) -> Result<(), ContractError> {
    if config.n_features == 0 {
        return Err(ContractError::InvalidConfig(
            "n_features must be positive".into(),
        ));
    }
    if config.bond_denom.is_empty() {
        return Err(ContractError::InvalidConfig("bond_denom is empty".into()));
    }
    if config.min_bond.is_zero() {
        return Err(ContractError::InvalidConfig(
            "min_bond must be positive".into(),
        ));
    }
    if config.eval_batch == 0 {
        return Err(ContractError::InvalidConfig(
            "eval_batch must be positive".into(),
        ));
    }
    if config.max_class_ratio < Decimal::one() {
        return Err(ContractError::InvalidConfig(
            "max_class_ratio must be at least 1".into(),
        ));
    }
    if config.deny_threshold.is_some_and(|t| t > Decimal::one()) {
        return Err(ContractError::InvalidConfig(
            "deny_threshold must be at most 1".into(),
        ));
    }
    if let RewardRule::BondShare { share } = config.reward {
        if share > Decimal::percent(10_000) {
            return Err(ContractError::InvalidConfig(
                "reward share above 100x".into(),
            ));
        }
    }
    Ok(())
}

/// Store a model as a new version and make it active.
fn install_model(
    storage: &mut dyn Storage,
    config: &Config,
    model: &Model<'_>,
    proposer: &Addr,
    accepted: Option<(Counts, u32)>,
) -> StdResult<u32> {
    let version = LATEST_VERSION.may_load(storage)?.unwrap_or(0) + 1;
    let cost = model.cost();
    let info = ModelInfo {
        version,
        hash: hex(&model.checksum()),
        family: model.family().name().to_string(),
        proposer: proposer.clone(),
        size: model.bytes().len() as u32,
        cost_ops: cost.ops,
        inference_sdk_gas: cost.sdk_gas(),
        counts: accepted.map(|a| a.0),
        test_set_version: accepted.map(|a| a.1),
    };
    MODEL_INFO.save(storage, u64::from(version), &info);
    LATEST_VERSION.save(storage, &version);
    save_blob(storage, version, model.bytes());
    save_active(storage, &header_for(config, version), model.bytes());
    Ok(version)
}

// ---------------------------------------------------------------- instantiate

/// Instantiate.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    let admin = match msg.admin {
        Some(a) => deps.api.addr_validate(&a)?,
        None => info.sender.clone(),
    };
    let config = Config {
        admin,
        n_features: msg.n_features,
        bond_denom: msg.bond_denom,
        min_bond: msg.min_bond,
        margins: msg.margins,
        reward: msg.reward,
        max_inference_ops: msg.max_inference_ops,
        deny_threshold: msg.deny_threshold,
        paused_check: msg.paused_check,
        max_class_ratio: msg.max_class_ratio,
        eval_batch: msg.eval_batch,
        paused: false,
    };
    validate_config(&config)?;
    // Funds sent with instantiate start the vault.
    let vault = single_coin(&info, &config.bond_denom)?;
    set_contract_version(deps.storage);
    CONFIG.save(deps.storage, &config);
    VAULT.save(deps.storage, &vault);
    NEXT_PROPOSAL.save(deps.storage, &1);
    TEST_SET.save(deps.storage, &TestSetMeta::default());
    let mut response = action("instantiate");
    attr(&mut response.attributes, "admin", config.admin.as_str());
    if !msg.initial_test_set.is_empty() {
        let added = add_samples(deps.storage, &config, &msg.initial_test_set)?;
        attr_num(&mut response.attributes, "test_samples", added.into());
    }
    if let Some(blob) = msg.initial_model {
        let model = validate_model(&blob, &config)?;
        let version = install_model(deps.storage, &config, &model, &config.admin, None)?;
        attr_num(&mut response.attributes, "model_version", version.into());
    }
    Ok(response)
}

// ---------------------------------------------------------------- execute

/// Execute.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::ProposeModel { model } => propose(deps, info, model),
        ExecuteMsg::ContinueEvaluation { proposal_id } => {
            ensure_no_funds(&info)?;
            continue_evaluation(deps, proposal_id)
        }
        ExecuteMsg::CancelProposal { proposal_id } => cancel(deps, info, proposal_id),
        ExecuteMsg::AddTestSamples { samples } => {
            let config = admin_call(deps.as_ref(), &info)?;
            ensure_unlocked(deps.storage)?;
            let added = add_samples(deps.storage, &config, &samples)?;
            let meta = TEST_SET.load(deps.storage)?;
            let mut response = action("add_test_samples");
            attr_num(&mut response.attributes, "added", added.into());
            attr_num(
                &mut response.attributes,
                "test_set_version",
                meta.version.into(),
            );
            Ok(response)
        }
        ExecuteMsg::RemoveTestSamples { ids } => {
            admin_call(deps.as_ref(), &info)?;
            ensure_unlocked(deps.storage)?;
            remove_samples(deps.storage, &ids)
        }
        ExecuteMsg::Rollback { version } => {
            let config = admin_call(deps.as_ref(), &info)?;
            if let Some(id) = OPEN_PROPOSAL.may_load(deps.storage)? {
                // The incumbent is pinned while a proposal is judged.
                return Err(ContractError::ProposalInProgress { id });
            }
            let blob =
                load_blob(deps.storage, version).ok_or(ContractError::NoSuchVersion(version))?;
            save_active(deps.storage, &header_for(&config, version), &blob);
            let mut response = action("rollback");
            attr_num(&mut response.attributes, "model_version", version.into());
            Ok(response)
        }
        ExecuteMsg::Pause {} => set_paused(deps, &info, true),
        ExecuteMsg::Unpause {} => set_paused(deps, &info, false),
        ExecuteMsg::UpdateConfig(update) => update_config(deps, &info, update),
        ExecuteMsg::UpdateAdmin { admin } => {
            let mut config = admin_call(deps.as_ref(), &info)?;
            config.admin = deps.api.addr_validate(&admin)?;
            CONFIG.save(deps.storage, &config);
            let mut response = action("update_admin");
            attr_string(&mut response.attributes, "admin", admin);
            Ok(response)
        }
        ExecuteMsg::Fund {} => {
            let config = CONFIG.load(deps.storage)?;
            let amount = single_coin(&info, &config.bond_denom)?;
            if amount.is_zero() {
                return Err(ContractError::WrongFunds {
                    denom: config.bond_denom,
                });
            }
            let vault = VAULT
                .load(deps.storage)?
                .checked_add(amount)
                .map_err(StdError::from)?;
            VAULT.save(deps.storage, &vault);
            let mut response = action("fund");
            attr_string(&mut response.attributes, "amount", amount.to_string());
            attr_string(&mut response.attributes, "vault", vault.to_string());
            Ok(response)
        }
    }
}

fn admin_call(deps: Deps, info: &MessageInfo) -> Result<Config, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    ensure_admin(&config, &info.sender)?;
    ensure_no_funds(info)?;
    Ok(config)
}

fn ensure_unlocked(storage: &dyn Storage) -> Result<(), ContractError> {
    match OPEN_PROPOSAL.may_load(storage)? {
        Some(id) => Err(ContractError::TestSetLocked { id }),
        None => Ok(()),
    }
}

fn add_samples(
    storage: &mut dyn Storage,
    config: &Config,
    samples: &[TestSample],
) -> Result<u32, ContractError> {
    let mut meta = TEST_SET.may_load(storage)?.unwrap_or_default();
    let ratio = config.max_class_ratio;
    for (index, sample) in samples.iter().enumerate() {
        let features = exact_features(&sample.features, usize::from(config.n_features))?;
        // Class balance: while the majority exceeds ratio × max(minority, 1),
        // only the minority may be added.
        let (pos, neg) = (meta.positives, meta.negatives);
        if sample.label && beyond(ratio, pos, neg) {
            return Err(ContractError::ClassImbalance {
                index,
                majority: "positive",
                minority: "negative",
            });
        }
        if !sample.label && beyond(ratio, neg, pos) {
            return Err(ContractError::ClassImbalance {
                index,
                majority: "negative",
                minority: "positive",
            });
        }
        save_sample(
            storage,
            meta.next_id,
            &encode_sample(sample.label, &features),
        );
        meta.next_id += 1;
        if sample.label {
            meta.positives += 1;
        } else {
            meta.negatives += 1;
        }
    }
    if !samples.is_empty() {
        meta.version += 1;
    }
    TEST_SET.save(storage, &meta);
    Ok(samples.len() as u32)
}

/// Whether `major > ratio × max(minor, 1)`: what
/// `ratio.checked_mul(minor).is_ok_and(|limit| major > limit)` decides in
/// `Decimal`s (a bound beyond `Decimal::MAX` bounds nothing), in u128
/// atomics instead of 256-bit arithmetic.
fn beyond(ratio: Decimal, major: u32, minor: u32) -> bool {
    ratio
        .atomics()
        .u128()
        .checked_mul(u128::from(minor.max(1)))
        .is_some_and(|limit| u128::from(major) * UNIT > limit)
}

fn remove_samples(storage: &mut dyn Storage, ids: &[u32]) -> Result<Response, ContractError> {
    let mut meta = TEST_SET.load(storage)?;
    for &id in ids {
        let record = load_sample(storage, id).ok_or(ContractError::NoSuchSample(id))?;
        if record.first().copied().unwrap_or(0) != 0 {
            meta.positives = meta.positives.saturating_sub(1);
        } else {
            meta.negatives = meta.negatives.saturating_sub(1);
        }
        remove_sample(storage, id);
    }
    if !ids.is_empty() {
        meta.version += 1;
    }
    TEST_SET.save(storage, &meta);
    let mut response = action("remove_test_samples");
    attr_num(&mut response.attributes, "removed", ids.len() as u64);
    attr_num(
        &mut response.attributes,
        "test_set_version",
        meta.version.into(),
    );
    Ok(response)
}

fn set_paused(deps: DepsMut, info: &MessageInfo, paused: bool) -> Result<Response, ContractError> {
    let mut config = admin_call(deps.as_ref(), info)?;
    config.paused = paused;
    CONFIG.save(deps.storage, &config);
    update_active_header(deps.storage, |h| h.paused = paused);
    Ok(action(if paused { "pause" } else { "unpause" }))
}

fn update_config(
    deps: DepsMut,
    info: &MessageInfo,
    u: ConfigUpdate,
) -> Result<Response, ContractError> {
    let mut config = admin_call(deps.as_ref(), info)?;
    if let Some(v) = u.min_bond {
        config.min_bond = v;
    }
    if let Some(v) = u.margins {
        config.margins = v;
    }
    if let Some(v) = u.reward {
        config.reward = v;
    }
    if let Some(v) = u.max_inference_ops {
        config.max_inference_ops = v;
    }
    if let Some(v) = u.deny_threshold {
        config.deny_threshold = v;
    }
    if let Some(v) = u.paused_check {
        config.paused_check = v;
    }
    if let Some(v) = u.max_class_ratio {
        config.max_class_ratio = v;
    }
    if let Some(v) = u.eval_batch {
        config.eval_batch = v;
    }
    validate_config(&config)?;
    CONFIG.save(deps.storage, &config);
    let header = header_for(&config, 0);
    update_active_header(deps.storage, |h| {
        h.paused_check = header.paused_check;
        h.threshold_bits = header.threshold_bits;
    });
    Ok(action("update_config"))
}

fn propose(deps: DepsMut, info: MessageInfo, blob: Binary) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let bond = single_coin(&info, &config.bond_denom)?;
    if bond.is_zero() {
        return Err(ContractError::NoBond {
            required: config.min_bond,
            denom: config.bond_denom,
        });
    }
    if bond < config.min_bond {
        return Err(ContractError::BondTooSmall {
            required: config.min_bond,
            got: bond,
        });
    }
    if let Some(id) = OPEN_PROPOSAL.may_load(deps.storage)? {
        return Err(ContractError::ProposalInProgress { id });
    }
    let model = validate_model(&blob, &config)?;
    let meta = TEST_SET.load(deps.storage)?;
    if meta.total() == 0 {
        return Err(ContractError::TestSetEmpty);
    }
    let id = NEXT_PROPOSAL.load(deps.storage)?;
    NEXT_PROPOSAL.save(deps.storage, &(id + 1));
    let proposal = Proposal {
        proposer: info.sender,
        bond,
        hash: hex(&model.checksum()),
        status: ProposalStatus::Evaluating,
        test_set_version: meta.version,
        incumbent_version: active_version(deps.storage),
        cursor: None,
        evaluated: 0,
        total: meta.total(),
        candidate: Counts::default(),
        incumbent: Counts::default(),
        accepted_version: None,
        margins: config.margins.clone(),
        reward: config.reward.clone(),
    };
    OPEN_PROPOSAL.save(deps.storage, &id);
    let mut response = action("propose_model");
    attr_num(&mut response.attributes, "proposal_id", id);
    attr_string(&mut response.attributes, "hash", proposal.hash.clone());
    // The first step runs on the blob in hand; it is stored only when
    // further steps will need it.
    let (mut step, decided) = evaluate_step(deps.storage, &config, id, proposal, &blob)?;
    if !decided {
        save_candidate(deps.storage, id, &blob);
    }
    response.attributes.append(&mut step.attributes);
    response.events = step.events;
    response.messages = step.messages;
    Ok(response)
}

fn continue_evaluation(deps: DepsMut, id: u64) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let proposal = PROPOSALS
        .may_load(deps.storage, id)?
        .ok_or(ContractError::NoSuchProposal(id))?;
    if proposal.status != ProposalStatus::Evaluating {
        return Err(ContractError::NotEvaluating(id));
    }
    let candidate_blob = load_candidate(deps.storage, id)
        .ok_or_else(|| StdError::generic_err("candidate blob missing"))?;
    let (response, decided) = evaluate_step(deps.storage, &config, id, proposal, &candidate_blob)?;
    if decided {
        remove_candidate(deps.storage, id, candidate_blob.len());
    }
    Ok(response)
}

/// Evaluate the next batch of an open proposal and, after the last one,
/// decide it. Saves the proposal; returns whether it was decided.
fn evaluate_step(
    storage: &mut dyn Storage,
    config: &Config,
    id: u64,
    mut proposal: Proposal,
    candidate_blob: &[u8],
) -> Result<(Response, bool), ContractError> {
    // Validated with its checksum at proposal time.
    let candidate = Model::parse_without_checksum(candidate_blob).map_err(invalid_model)?;
    let incumbent_blob = match proposal.incumbent_version {
        0 => None,
        v => Some(load_blob(storage, v).ok_or(ContractError::NoSuchVersion(v))?),
    };
    let incumbent = match &incumbent_blob {
        Some(b) => Some(Model::parse_without_checksum(b).map_err(invalid_model)?),
        None => None,
    };
    let step = poim::evaluate(
        storage,
        &candidate,
        incumbent.as_ref(),
        usize::from(config.n_features),
        proposal.cursor,
        config.eval_batch,
        &mut proposal.candidate,
        &mut proposal.incumbent,
    )?;
    proposal.cursor = step.cursor;
    proposal.evaluated += step.rows;
    let mut response = Response::new();
    let attrs = &mut response.attributes;
    attr_num(attrs, "evaluated", proposal.evaluated.into());
    attr_num(attrs, "total", proposal.total.into());
    if proposal.evaluated < proposal.total {
        PROPOSALS.save(storage, id, &proposal);
        attr(attrs, "status", "evaluating");
        return Ok((response, false));
    }

    // Decide.
    let cand = poim::metrics(&proposal.candidate);
    let inc = poim::metrics(&proposal.incumbent);
    // Judged by the rules in force when it was proposed.
    let (accept, moves) = poim::judge(&cand, &inc, &proposal.margins);
    let mut event = Event::new("vigil_poim");
    let ev = &mut event.attributes;
    attr_num(ev, "proposal_id", id);
    attr(ev, "accepted", if accept { "true" } else { "false" });
    attr_num(ev, "test_set_version", proposal.test_set_version.into());
    // Per metric (accuracy, f1, precision, recall): candidate, incumbent,
    // movement.
    const KEYS: [[&str; 3]; 4] = [
        [
            "candidate_accuracy",
            "incumbent_accuracy",
            "accuracy_movement",
        ],
        ["candidate_f1", "incumbent_f1", "f1_movement"],
        [
            "candidate_precision",
            "incumbent_precision",
            "precision_movement",
        ],
        ["candidate_recall", "incumbent_recall", "recall_movement"],
    ];
    let (c, i) = (poim::ratios(&cand), poim::ratios(&inc));
    for (k, keys) in KEYS.iter().enumerate() {
        attr_string(ev, keys[0], c[k].to_string());
        attr_string(ev, keys[1], i[k].to_string());
        attr(ev, keys[2], moves[k].as_str());
    }
    let mut vault = VAULT.load(storage)?;
    if accept {
        let version = install_model(
            storage,
            config,
            &candidate,
            &proposal.proposer,
            Some((proposal.candidate, proposal.test_set_version)),
        )?;
        let wanted = match &proposal.reward {
            RewardRule::None => Uint128::zero(),
            RewardRule::Fixed { amount } => *amount,
            // (Saturating: capped by the vault below anyway.)
            RewardRule::BondShare { share } => mul_floor(proposal.bond, *share),
        };
        // At most what the vault holds, and never a payout beyond u128.
        let reward = wanted.min(vault).min(Uint128::MAX - proposal.bond);
        vault -= reward;
        let payout = proposal.bond + reward;
        proposal.status = ProposalStatus::Accepted;
        proposal.accepted_version = Some(version);
        attr_num(ev, "model_version", version.into());
        attr_string(ev, "reward", reward.to_string());
        response = response.add_message(BankMsg::Send {
            to_address: proposal.proposer.to_string(),
            amount: vec![Coin::new(payout, config.bond_denom.clone())],
        });
    } else {
        vault = vault.checked_add(proposal.bond).map_err(StdError::from)?;
        proposal.status = ProposalStatus::Rejected;
        attr_string(ev, "slashed", proposal.bond.to_string());
    }
    VAULT.save(storage, &vault);
    PROPOSALS.save(storage, id, &proposal);
    OPEN_PROPOSAL.remove(storage);
    attr(
        &mut response.attributes,
        "status",
        if accept { "accepted" } else { "rejected" },
    );
    response.events.push(event);
    Ok((response, true))
}

fn cancel(deps: DepsMut, info: MessageInfo, id: u64) -> Result<Response, ContractError> {
    let config = admin_call(deps.as_ref(), &info)?;
    let mut proposal = PROPOSALS
        .may_load(deps.storage, id)?
        .ok_or(ContractError::NoSuchProposal(id))?;
    if proposal.status != ProposalStatus::Evaluating {
        return Err(ContractError::NotEvaluating(id));
    }
    proposal.status = ProposalStatus::Cancelled;
    PROPOSALS.save(deps.storage, id, &proposal);
    OPEN_PROPOSAL.remove(deps.storage);
    // An open proposal's candidate is stored; its length tells which
    // records to remove.
    if let Some(blob) = load_candidate(deps.storage, id) {
        remove_candidate(deps.storage, id, blob.len());
    }
    let mut response = action("cancel_proposal");
    attr_num(&mut response.attributes, "proposal_id", id);
    Ok(response.add_message(BankMsg::Send {
        to_address: proposal.proposer.to_string(),
        amount: vec![Coin::new(proposal.bond, config.bond_denom)],
    }))
}

// ---------------------------------------------------------------- query

/// Query.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    // Responses are written by `ToJson` (the same JSON as their derived
    // `Serialize`, with less code).
    let json = match msg {
        QueryMsg::Score { features } => score(deps, &features)?.to_json(),
        QueryMsg::Check { features } => check(deps, &features)?.to_json(),
        QueryMsg::Model { version } => model_info(deps, version)?.to_json(),
        QueryMsg::Config {} => config_info(deps)?.to_json(),
        QueryMsg::TestSet { start_after, limit } => test_set(deps, start_after, limit)?.to_json(),
        QueryMsg::Proposals { start_after, limit } => {
            proposals(deps, start_after, limit)?.to_json()
        }
        QueryMsg::Cost { model } => cost(deps, &model)?.to_json(),
    };
    Ok(Binary::from(json))
}

/// The hot-path record (read once per inference): its header, and the
/// model parsed in place (structure only: its checksum was verified when it
/// was stored).
fn active_model(record: &[u8]) -> Result<(ActiveHeader, Model<'_>), ContractError> {
    let (header, blob) = ActiveHeader::decode(record).ok_or(ContractError::NoModel)?;
    let model = Model::parse_without_checksum(blob).map_err(invalid_model)?;
    Ok((header, model))
}

fn score(deps: Deps, features: &[String]) -> Result<ScoreResponse, ContractError> {
    let record = load_active(deps.storage).ok_or(ContractError::NoModel)?;
    let (header, model) = active_model(&record)?;
    let inputs = parse_features(features, model.n_features())?;
    let mut scratch = vec![Act::ZERO; model.scratch_len()];
    let (out, contributions) = if model.explainable() {
        let mut c = vec![Act::ZERO; model.n_features()];
        let out = model
            .explain(&inputs, &mut scratch, &mut c)
            .map_err(inference_failed)?;
        (out, top_contributions(&c))
    } else {
        let out = model
            .infer(&inputs, &mut scratch)
            .map_err(inference_failed)?;
        (out, Vec::new())
    };
    Ok(ScoreResponse {
        score: score_decimal(out.score.to_bits()),
        score_bits: out.score.to_bits(),
        label: out.label,
        model_version: header.version,
        contributions,
    })
}

fn check(deps: Deps, features: &[String]) -> Result<CheckResponse, ContractError> {
    let record = load_active(deps.storage).ok_or(ContractError::NoModel)?;
    let (header, blob) = ActiveHeader::decode(&record).ok_or(ContractError::NoModel)?;
    // Paused: answer from the header alone, without touching the model.
    if header.paused {
        return match header.paused_check {
            PausedCheck::Error => Err(ContractError::Paused),
            behaviour => Ok(CheckResponse {
                allow: behaviour == PausedCheck::Allow,
                score: Decimal::zero(),
                threshold: Decimal::zero(),
                model_version: 0,
                paused: true,
            }),
        };
    }
    let model = Model::parse_without_checksum(blob).map_err(invalid_model)?;
    let inputs = parse_features(features, model.n_features())?;
    let mut scratch = vec![Act::ZERO; model.scratch_len()];
    let out = model
        .infer(&inputs, &mut scratch)
        .map_err(inference_failed)?;
    let threshold = if header.threshold_bits == MODEL_THRESHOLD {
        model.threshold()
    } else {
        Score::from_bits(header.threshold_bits.min(1 << 31))
    };
    Ok(CheckResponse {
        allow: out.score < threshold,
        score: score_decimal(out.score.to_bits()),
        threshold: score_decimal(threshold.to_bits()),
        model_version: header.version,
        paused: false,
    })
}

fn model_info(deps: Deps, version: Option<u32>) -> Result<ModelResponse, ContractError> {
    let active = active_version(deps.storage);
    let version = match version {
        Some(v) => v,
        None if active == 0 => return Err(ContractError::NoModel),
        None => active,
    };
    let info = MODEL_INFO
        .may_load(deps.storage, u64::from(version))?
        .ok_or(ContractError::NoSuchVersion(version))?;
    Ok(ModelResponse {
        version,
        active: version == active,
        hash: info.hash,
        family: info.family,
        proposer: info.proposer.to_string(),
        size: info.size,
        cost_ops: info.cost_ops,
        inference_sdk_gas: info.inference_sdk_gas,
        metrics: info.counts.as_ref().map(poim::metrics),
        test_set_version: info.test_set_version,
    })
}

fn config_info(deps: Deps) -> StdResult<ConfigResponse> {
    let c = CONFIG.load(deps.storage)?;
    let meta = TEST_SET.load(deps.storage)?;
    Ok(ConfigResponse {
        admin: c.admin.to_string(),
        n_features: c.n_features,
        bond_denom: c.bond_denom,
        min_bond: c.min_bond,
        margins: c.margins,
        reward: c.reward,
        max_inference_ops: c.max_inference_ops,
        deny_threshold: c.deny_threshold,
        paused_check: c.paused_check,
        max_class_ratio: c.max_class_ratio,
        eval_batch: c.eval_batch,
        paused: c.paused,
        vault: VAULT.load(deps.storage)?,
        active_version: active_version(deps.storage),
        test_set_version: meta.version,
        positives: meta.positives,
        negatives: meta.negatives,
    })
}

fn test_set(
    deps: Deps,
    start_after: Option<u32>,
    limit: Option<u32>,
) -> StdResult<TestSetResponse> {
    let config = CONFIG.load(deps.storage)?;
    let meta = TEST_SET.load(deps.storage)?;
    let limit = limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT) as usize;
    let mut samples = Vec::new();
    let mut inputs = vec![Wide::ZERO; usize::from(config.n_features)];
    for_each_sample(deps.storage, start_after, limit, &mut |id, record| {
        let label = decode_sample(record, &mut inputs)?;
        // Re-read as exact decimals for display.
        let mut features = Vec::with_capacity(inputs.len());
        let mut rest = record.get(1..).unwrap_or(&[]);
        while let Ok((e, used)) = Exact::unpack(rest) {
            features.push(e.to_string());
            rest = rest.get(used..).unwrap_or(&[]);
        }
        samples.push(StoredSample {
            id,
            features,
            label,
        });
        Ok(())
    })?;
    Ok(TestSetResponse {
        version: meta.version,
        samples,
    })
}

fn proposal_response(id: u64, p: Proposal) -> ProposalResponse {
    ProposalResponse {
        id,
        proposer: p.proposer.to_string(),
        bond: p.bond,
        hash: p.hash,
        status: p.status,
        test_set_version: p.test_set_version,
        evaluated: p.evaluated,
        total: p.total,
        candidate: poim::metrics(&p.candidate),
        incumbent: poim::metrics(&p.incumbent),
        accepted_version: p.accepted_version,
    }
}

fn proposals(
    deps: Deps,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> StdResult<ProposalsResponse> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT) as usize;
    let mut proposals = Vec::new();
    PROPOSALS.for_each(deps.storage, start_after, limit, &mut |id, p| {
        proposals.push(proposal_response(id, p));
        Ok(())
    })?;
    Ok(ProposalsResponse { proposals })
}

fn cost(deps: Deps, blob: &Binary) -> Result<CostResponse, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let model = Model::parse(blob).map_err(invalid_model)?;
    let c = model.cost();
    Ok(CostResponse {
        ops: c.ops,
        model_bytes: c.model_bytes,
        compute_sdk_gas: c.compute_sdk_gas(),
        read_sdk_gas: c.read_sdk_gas(),
        within_budget: c.ops <= config.max_inference_ops,
    })
}

// ---------------------------------------------------------------- migrate

/// Record this contract's name and version the cw2 way (the record cw2
/// readers, e.g. a raw `contract_info` query, expect).
fn set_contract_version(storage: &mut dyn Storage) {
    storage.set(CW2_KEY, &cw2_record(CONTRACT_NAME, CONTRACT_VERSION));
}

/// A `MAJOR.MINOR.PATCH` version (what cw2 stores for this contract: its
/// crate version) as numbers, compared in that order.
fn parse_version(v: &str) -> StdResult<[u64; 3]> {
    let mut out = [0u64; 3];
    let mut parts = v.split('.');
    for slot in &mut out {
        *slot = parts
            .next()
            .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| unparsable_version(v))?;
    }
    if parts.next().is_some() {
        return Err(unparsable_version(v));
    }
    Ok(out)
}

fn unparsable_version(v: &str) -> StdError {
    let mut msg = String::from("unparsable contract version: ");
    msg.push_str(v);
    StdError::generic_err(msg)
}

/// Migrate: same contract, same or newer version.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    let record = deps
        .storage
        .get(CW2_KEY)
        .ok_or_else(|| StdError::not_found("cw2::ContractVersion"))?;
    let (contract, version) = cw2_parse(&record)?;
    if contract != CONTRACT_NAME {
        return Err(ContractError::WrongContract(contract));
    }
    if parse_version(&version)? > parse_version(CONTRACT_VERSION)? {
        return Err(ContractError::CannotDowngrade {
            from: version,
            to: CONTRACT_VERSION.to_string(),
        });
    }
    set_contract_version(deps.storage);
    let mut response = action("migrate");
    attr_string(&mut response.attributes, "from_version", version);
    attr(&mut response.attributes, "to_version", CONTRACT_VERSION);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mul_floor_is_checked_mul_floor_saturated() {
        let amounts = [
            0,
            1,
            999,
            UNIT - 1,
            UNIT,
            UNIT + 1,
            12_345_678_901_234_567_890_123,
            u128::MAX / 100,
            u128::MAX / 2,
            u128::MAX - 10,
            u128::MAX,
        ];
        let shares = [
            Decimal::zero(),
            Decimal::raw(1),
            Decimal::percent(10),
            Decimal::percent(33),
            Decimal::one(),
            Decimal::raw(UNIT + 1),
            Decimal::percent(250),
            Decimal::percent(10_000),
            Decimal::raw(u128::MAX / 3),
            Decimal::MAX,
        ];
        for a in amounts {
            for d in shares {
                let a = Uint128::new(a);
                assert_eq!(
                    mul_floor(a, d),
                    a.checked_mul_floor(d).unwrap_or(Uint128::MAX),
                    "{a} · {d}"
                );
            }
        }
    }

    #[test]
    fn beyond_is_the_decimal_rule() {
        let ratios = [
            Decimal::one(),
            Decimal::percent(150),
            Decimal::percent(200),
            Decimal::raw(UNIT + 1),
            Decimal::raw(u128::MAX / 7),
            Decimal::MAX,
        ];
        let counts = [0, 1, 2, 3, 4, 5, 1_000, u32::MAX / 2, u32::MAX];
        for ratio in ratios {
            for major in counts {
                for minor in counts {
                    let want = ratio
                        .checked_mul(Decimal::from_ratio(minor.max(1), 1u128))
                        .is_ok_and(|limit| Decimal::from_ratio(major, 1u128) > limit);
                    assert_eq!(beyond(ratio, major, minor), want, "{ratio} {major} {minor}");
                }
            }
        }
    }

    #[test]
    fn top_contributions_are_a_stable_sort() {
        let act = |bits: i32| Act::from_bits(bits);
        for values in [
            vec![],
            vec![5],
            vec![1, 2],
            vec![3, 3, 3, 3],
            vec![-1, 7, 7, -8, 7, 0],
            vec![i32::MIN, i32::MAX, 0, i32::MAX, i32::MIN],
        ] {
            let c: Vec<Act> = values.iter().map(|&v| act(v)).collect();
            let mut ranked: Vec<(usize, Act)> = c.iter().copied().enumerate().collect();
            ranked.sort_by_key(|&(_, v)| core::cmp::Reverse(v));
            let want: Vec<(u16, SignedDecimal)> = ranked
                .into_iter()
                .take(TOP_CONTRIBUTIONS)
                .map(|(i, v)| (i as u16, act_decimal(v)))
                .collect();
            let got: Vec<(u16, SignedDecimal)> = top_contributions(&c)
                .into_iter()
                .map(|c| (c.feature, c.value))
                .collect();
            assert_eq!(got, want, "{values:?}");
        }
    }
}
