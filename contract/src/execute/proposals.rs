//! Proof-of-Improvement proposals: propose (bond attached), continue the
//! evaluation, cancel, and the decision with its payout.
use cosmwasm_std::{
    BankMsg, Binary, Coin, DepsMut, Env, Event, MessageInfo, Response, StdError, Storage, Uint128,
};
use vigil_guard_api::msg::{Margins, ProposalLimits, ProposalStatus, RewardRule};
use vigil_guard_api::units::{score_decimal, threshold_bits};
use vigil_guard_api::Settings;
use vigil_inference_core::{Model, Score};

use super::{admin_call, ensure_no_funds, single_coin};
use crate::error::{invalid_model, ContractError};
use crate::models::{hex, install_model, validate_model};
use crate::poim;
use crate::state::active::active_version;
use crate::state::{
    load_blob, load_candidate, remove_candidate, save_candidate, Best, Config, Counts, Proposal,
    BEST, CONFIG, MODEL_BY_HASH, NEXT_PROPOSAL, OPEN_PROPOSAL, PROPOSALS, TEST_SET, VAULT,
};

/// The reward rule's amount for `bond`, before the vault's cap.
fn wanted_reward(rule: &RewardRule, bond: Uint128) -> Uint128 {
    match rule {
        RewardRule::None => Uint128::zero(),
        RewardRule::Fixed { amount } => *amount,
        // Saturating: capped by the vault anyway.
        RewardRule::BondShare { share } => bond.checked_mul_floor(*share).unwrap_or(Uint128::MAX),
    }
}

/// What an acceptance pays on top of `bond`: the rule's amount, at most the
/// vault, never a payout beyond u128.
fn reward_for(rule: &RewardRule, bond: Uint128, vault: Uint128) -> Uint128 {
    wanted_reward(rule, bond)
        .min(vault)
        .min(Uint128::MAX - bond)
}

fn limit_not_met(limit: String, accepted: impl ToString, current: impl ToString) -> ContractError {
    ContractError::LimitNotMet {
        limit,
        accepted: accepted.to_string(),
        current: current.to_string(),
    }
}

/// Refuse when `settings` are harsher than the proposer's `limits`. The
/// reward is what acceptance of `bond` would pay with the vault as it is
/// now (the vault does not shrink while a proposal is open).
fn check_limits(
    limits: &ProposalLimits,
    settings: &Settings,
    bond: Uint128,
    vault: Uint128,
) -> Result<(), ContractError> {
    if let Some(max) = &limits.max_margins {
        check_margins(max, &settings.margins)?;
    }
    if let Some(min) = limits.min_reward {
        let reward = reward_for(&settings.reward, bond, vault);
        if reward < min {
            return Err(limit_not_met("min_reward".into(), min, reward));
        }
    }
    if let Some(max) = limits.max_stall_fee {
        if settings.stall_fee > max {
            return Err(limit_not_met(
                "max_stall_fee".into(),
                max,
                settings.stall_fee,
            ));
        }
    }
    if let Some(min) = limits.min_stall_blocks {
        if settings.stall_blocks < min {
            return Err(limit_not_met(
                "min_stall_blocks".into(),
                min,
                settings.stall_blocks,
            ));
        }
    }
    Ok(())
}

/// Harsher margins: a larger `min_gain` or a smaller `tolerance`.
fn check_margins(max: &Margins, current: &Margins) -> Result<(), ContractError> {
    for ((name, m), (_, c)) in max.named().into_iter().zip(current.named()) {
        if c.min_gain > m.min_gain {
            return Err(limit_not_met(
                format!("margins.{name}.min_gain"),
                m.min_gain,
                c.min_gain,
            ));
        }
        if c.tolerance < m.tolerance {
            return Err(limit_not_met(
                format!("margins.{name}.tolerance"),
                m.tolerance,
                c.tolerance,
            ));
        }
    }
    Ok(())
}

/// `ProposeModel`: open a proposal and run its first evaluation step on
/// the blob in hand. Every rule it is judged and paid by is recorded now.
pub fn propose(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    blob: Binary,
    limits: Option<ProposalLimits>,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let settings = &config.settings;
    let bond = single_coin(&info, &settings.bond_denom)?;
    if bond.is_zero() {
        return Err(ContractError::NoBond {
            required: settings.min_bond,
            denom: settings.bond_denom.clone(),
        });
    }
    if bond < settings.min_bond {
        return Err(ContractError::BondTooSmall {
            required: settings.min_bond,
            got: bond,
        });
    }
    if let Some(id) = OPEN_PROPOSAL.may_load(deps.storage)? {
        return Err(ContractError::ProposalInProgress { id });
    }
    if let Some(limits) = &limits {
        check_limits(limits, settings, bond, VAULT.load(deps.storage)?)?;
    }
    let model = validate_model(&blob, settings)?;
    let hash = hex(&model.checksum());
    // A stored model earns nothing: refused before its bond is taken.
    if let Some(version) = MODEL_BY_HASH.may_load(deps.storage, &hash)? {
        return Err(ContractError::KnownModel { version });
    }
    let meta = TEST_SET.load(deps.storage)?;
    if meta.total() == 0 {
        return Err(ContractError::TestSetEmpty);
    }
    // With a class empty, precision, recall and F1 are 0 for every model
    // and accuracy alone would decide.
    for (count, class) in [(meta.positives, "positive"), (meta.negatives, "negative")] {
        if count == 0 {
            return Err(ContractError::ClassEmpty { class });
        }
    }
    // Judged at the threshold Check will apply to it: recorded now, so a
    // later change of the setting does not change this proposal.
    let threshold = settings
        .deny_threshold
        .map_or(model.threshold().to_bits(), threshold_bits);
    let id = NEXT_PROPOSAL.load(deps.storage)?;
    NEXT_PROPOSAL.save(deps.storage, &id.saturating_add(1))?;
    let proposal = Proposal {
        proposer: info.sender,
        bond,
        hash,
        status: ProposalStatus::Evaluating,
        test_set_version: meta.version,
        incumbent_version: active_version(deps.storage)?,
        cursor: None,
        evaluated: 0,
        total: meta.total(),
        candidate: Counts::default(),
        incumbent: Counts::default(),
        accepted_version: None,
        margins: settings.margins.clone(),
        reward: settings.reward.clone(),
        deny_threshold: settings.deny_threshold,
        threshold_bits: Some(threshold),
        stall_blocks: settings.stall_blocks,
        stall_fee: settings.stall_fee,
        last_step: env.block.height,
    };
    OPEN_PROPOSAL.save(deps.storage, &id)?;
    let hash = proposal.hash.clone();
    // The candidate is stored only when further steps will need it.
    let (step, decided) = evaluate_step(deps.storage, &config, id, proposal, &blob)?;
    if !decided {
        save_candidate(deps.storage, id, &blob);
    }
    let mut response = Response::new()
        .add_attribute("action", "propose_model")
        .add_attribute("proposal_id", id.to_string())
        .add_attribute("hash", hash);
    response.attributes.extend(step.attributes);
    Ok(response
        .add_events(step.events)
        .add_submessages(step.messages))
}

/// `ContinueEvaluation`: anyone may advance an open proposal.
pub fn continue_evaluation(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: u64,
) -> Result<Response, ContractError> {
    ensure_no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    let mut proposal = PROPOSALS
        .may_load(deps.storage, id)?
        .ok_or(ContractError::NoSuchProposal(id))?;
    if proposal.status != ProposalStatus::Evaluating {
        return Err(ContractError::NotEvaluating(id));
    }
    let blob = load_candidate(deps.storage, id)
        .ok_or_else(|| ContractError::CorruptRecord(format!("candidate blob of proposal {id}")))?;
    proposal.last_step = env.block.height;
    let (response, decided) = evaluate_step(deps.storage, &config, id, proposal, &blob)?;
    if decided {
        remove_candidate(deps.storage, id, blob.len());
    }
    Ok(response)
}

/// An open proposal, or why not.
fn open_proposal(storage: &dyn Storage, id: u64) -> Result<Proposal, ContractError> {
    let proposal = PROPOSALS
        .may_load(storage, id)?
        .ok_or(ContractError::NoSuchProposal(id))?;
    if proposal.status != ProposalStatus::Evaluating {
        return Err(ContractError::NotEvaluating(id));
    }
    Ok(proposal)
}

/// End an open proposal as `status`: saved, the guard freed, its candidate
/// blob deleted.
fn end(
    storage: &mut dyn Storage,
    id: u64,
    mut proposal: Proposal,
    status: ProposalStatus,
) -> Result<Proposal, ContractError> {
    proposal.status = status;
    PROPOSALS.save(storage, id, &proposal)?;
    OPEN_PROPOSAL.remove(storage);
    if let Some(blob) = load_candidate(storage, id) {
        remove_candidate(storage, id, blob.len());
    }
    Ok(proposal)
}

/// A bank send, or none for a zero amount.
fn send(to: &str, amount: Uint128, denom: &str) -> Option<BankMsg> {
    (!amount.is_zero()).then(|| BankMsg::Send {
        to_address: to.to_string(),
        amount: vec![Coin::new(amount, denom)],
    })
}

/// `CancelProposal` (admin): withdraw an open proposal; its bond is
/// refunded less its stall fee, which goes to the vault (cancelling a
/// griefer costs the griefer what closing it would have).
pub fn cancel(deps: DepsMut, info: MessageInfo, id: u64) -> Result<Response, ContractError> {
    let config = admin_call(deps.as_ref(), &info)?;
    let proposal = open_proposal(deps.storage, id)?;
    let proposal = end(deps.storage, id, proposal, ProposalStatus::Cancelled)?;
    let fee = proposal.stall_fee_amount();
    let vault = VAULT
        .load(deps.storage)?
        .checked_add(fee)
        .map_err(StdError::from)?;
    VAULT.save(deps.storage, &vault)?;
    let refund = proposal.bond - fee;
    let denom = &config.settings.bond_denom;
    Ok(Response::new()
        .add_attribute("action", "cancel_proposal")
        .add_attribute("proposal_id", id.to_string())
        .add_attribute("refund", refund.to_string())
        .add_attribute("fee_to_vault", fee.to_string())
        .add_messages(send(proposal.proposer.as_str(), refund, denom)))
}

/// `CloseStalled` (anyone): close a proposal without an evaluation step for
/// its `stall_blocks`; the sender receives its stall fee, the proposer the
/// rest of the bond.
pub fn close_stalled(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: u64,
) -> Result<Response, ContractError> {
    ensure_no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    let proposal = open_proposal(deps.storage, id)?;
    let closable_at = proposal.closable_at();
    if env.block.height < closable_at {
        return Err(ContractError::NotStalled {
            proposal_id: id,
            closable_at,
        });
    }
    let proposal = end(deps.storage, id, proposal, ProposalStatus::Closed)?;
    let fee = proposal.stall_fee_amount();
    let refund = proposal.bond - fee;
    let denom = &config.settings.bond_denom;
    Ok(Response::new()
        .add_attribute("action", "close_stalled")
        .add_attribute("proposal_id", id.to_string())
        .add_attribute("closer", info.sender.as_str())
        .add_attribute("fee", fee.to_string())
        .add_attribute("refund", refund.to_string())
        .add_messages(send(info.sender.as_str(), fee, denom))
        .add_messages(send(proposal.proposer.as_str(), refund, denom)))
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
    // As Check compares: the override's bits, capped at one.
    let threshold = proposal
        .deny_threshold
        .map(|d| Score::from_bits(threshold_bits(d).min(1 << 31)));
    let step = poim::evaluate(
        storage,
        &candidate,
        incumbent.as_ref(),
        threshold,
        usize::from(config.settings.n_features),
        proposal.cursor,
        config.settings.eval_batch,
        &mut proposal.candidate,
        &mut proposal.incumbent,
    )?;
    proposal.cursor = step.cursor;
    proposal.evaluated = proposal.evaluated.saturating_add(step.rows);
    let response = Response::new()
        .add_attribute("evaluated", proposal.evaluated.to_string())
        .add_attribute("total", proposal.total.to_string());
    // Done when every row is evaluated, or when the set has no row left
    // (a step that found none).
    if proposal.evaluated < proposal.total && step.rows > 0 {
        PROPOSALS.save(storage, id, &proposal)?;
        return Ok((response.add_attribute("status", "evaluating"), false));
    }
    let (response, _) = decide(storage, config, id, proposal, &candidate, response)?;
    Ok((response, true))
}

/// Judge a fully evaluated proposal (by the rules in force when it was
/// proposed, against the best metrics ever accepted on its test-set version)
/// and pay out: bond plus reward on acceptance, the bond to the vault on
/// rejection. An accepted model is enforced at the threshold it was judged
/// at: if `deny_threshold` was changed while it was open, the setting
/// returns to the value it was judged at.
fn decide(
    storage: &mut dyn Storage,
    config: &Config,
    id: u64,
    mut proposal: Proposal,
    candidate: &Model<'_>,
    mut response: Response,
) -> Result<(Response, bool), ContractError> {
    let cand = poim::metrics(&proposal.candidate);
    let inc = poim::metrics(&proposal.incumbent);
    let best = BEST
        .may_load(storage)?
        .filter(|b| b.test_set_version == proposal.test_set_version)
        .map(|b| b.metrics);
    let (accept, moves) = poim::judge(&cand, &inc, best.as_ref(), &proposal.margins);
    let mut event = Event::new("vigil_poim")
        .add_attribute("proposal_id", id.to_string())
        .add_attribute("accepted", accept.to_string())
        .add_attribute("test_set_version", proposal.test_set_version.to_string());
    if let Some(bits) = proposal.threshold_bits {
        event = event.add_attribute("threshold", score_decimal(bits).to_string());
    }
    const METRICS: [&str; 4] = ["accuracy", "f1", "precision", "recall"];
    let (c, i) = (poim::ratios(&cand), poim::ratios(&inc));
    let r = poim::reference(&i, best.as_ref());
    for (k, name) in METRICS.iter().enumerate() {
        event = event
            .add_attribute(format!("candidate_{name}"), c[k].to_string())
            .add_attribute(format!("incumbent_{name}"), i[k].to_string())
            .add_attribute(format!("best_{name}"), r[k].to_string())
            .add_attribute(format!("{name}_movement"), moves[k].as_str());
    }
    let mut vault = VAULT.load(storage)?;
    let denom = &config.settings.bond_denom;
    if accept {
        // The ratchet moves up to what this candidate reached.
        BEST.save(
            storage,
            &Best {
                test_set_version: proposal.test_set_version,
                metrics: poim::reference(&c, Some(&r)),
            },
        )?;
        // Enforced at the threshold it was judged at.
        let mut config = config.clone();
        if config.settings.deny_threshold != proposal.deny_threshold {
            config.settings.deny_threshold = proposal.deny_threshold;
            CONFIG.save(storage, &config)?;
            event = event.add_attribute("deny_threshold_restored", "true");
        }
        let config = &config;
        let version = install_model(
            storage,
            config,
            candidate,
            &proposal.proposer,
            Some((proposal.candidate, proposal.test_set_version)),
        )?;
        // At most what the vault holds, and never a payout beyond u128.
        let reward = reward_for(&proposal.reward, proposal.bond, vault);
        vault -= reward;
        let payout = proposal.bond + reward;
        proposal.status = ProposalStatus::Accepted;
        proposal.accepted_version = Some(version);
        event = event
            .add_attribute("model_version", version.to_string())
            .add_attribute("reward", reward.to_string());
        response = response.add_message(BankMsg::Send {
            to_address: proposal.proposer.to_string(),
            amount: vec![Coin::new(payout, denom.clone())],
        });
    } else {
        vault = vault.checked_add(proposal.bond).map_err(StdError::from)?;
        proposal.status = ProposalStatus::Rejected;
        event = event.add_attribute("slashed", proposal.bond.to_string());
    }
    VAULT.save(storage, &vault)?;
    PROPOSALS.save(storage, id, &proposal)?;
    OPEN_PROPOSAL.remove(storage);
    let status = if accept { "accepted" } else { "rejected" };
    Ok((
        response.add_attribute("status", status).add_event(event),
        accept,
    ))
}
