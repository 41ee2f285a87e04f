//! Proof-of-Improvement proposals: commit (bond attached), reveal, continue
//! the evaluation, the decision, activation or veto, cancel and close.
//!
//! One proposal is judged at a time (`OPEN_PROPOSAL`: evaluating, or
//! accepted and pending activation); any number may be committed, and a
//! reveal while another is open queues (commitment order).
use cosmwasm_std::{
    Addr, BankMsg, Binary, DepsMut, Env, Event, HexBinary, MessageInfo, Response, StdError,
    StdResult, Storage, Uint128,
};
use sha2::{Digest, Sha256};
use vigil_guard_api::commit::commitment;
use vigil_guard_api::msg::{Margins, ProposalLimits, ProposalStatus, RewardRule};
use vigil_guard_api::units::{score_decimal, threshold_bits};
use vigil_guard_api::Settings;
use vigil_inference_core::{Model, Score};

use super::queue::{check_judgeable, next_in_queue, send, start};
use super::{admin_call, ensure_no_funds, single_coin};
use crate::error::{invalid_model, ContractError};
use crate::models::{hex, install_model, validate_model};
use crate::poim;
use crate::state::{
    batch_holds, chunked, load_blob, load_candidate, prediction_bits_key, remove_candidate,
    save_candidate, Best, Config, Counts, Proposal, BEST, CONFIG, DISAGREEMENT_IDS, MODEL_BY_HASH,
    NEXT_PROPOSAL, OPEN_PROPOSAL, PREDICTIONS, PROPOSALS, QUEUE, REVEALED, UNDECIDED, VAULT,
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
/// now.
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

/// `CommitProposal`: take the bond and record the commitment with every
/// rule the proposal will be judged and paid by.
pub fn commit(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    commitment: HexBinary,
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
    if let Some(limits) = &limits {
        check_limits(limits, settings, bond, VAULT.load(deps.storage)?)?;
    }
    check_judgeable(deps.storage)?;
    let height = env.block.height;
    let id = NEXT_PROPOSAL.load(deps.storage)?;
    NEXT_PROPOSAL.save(deps.storage, &id.saturating_add(1))?;
    let proposal = Proposal {
        proposer: info.sender,
        bond,
        hash: String::new(),
        status: ProposalStatus::Committed,
        test_set_version: 0,
        incumbent_version: 0,
        cursor: None,
        evaluated: 0,
        total: 0,
        candidate: Counts::default(),
        incumbent: Counts::default(),
        accepted_version: None,
        margins: settings.margins.clone(),
        reward: settings.reward.clone(),
        deny_threshold: settings.deny_threshold,
        threshold_bits: None,
        stall_blocks: settings.stall_blocks,
        stall_fee: settings.stall_fee,
        last_step: height,
        commitment: Some(commitment),
        committed_at: height,
        reveal_delay: settings.reveal_delay,
        activation_delay: settings.activation_delay,
        // Validated when set.
        guardian: settings.guardian.clone().map(Addr::unchecked),
        max_inference_ops: settings.max_inference_ops,
        max_check_gas: settings.max_check_gas,
        activate_at: None,
        same_predictions_as: None,
        disagreements: 0,
        disagreement_ids: Vec::new(),
        predictions: None,
    };
    PROPOSALS.save(deps.storage, id, &proposal)?;
    UNDECIDED.save(deps.storage, id, &bond)?;
    Ok(Response::new()
        .add_attribute("action", "commit_proposal")
        .add_attribute("proposal_id", id.to_string())
        .add_attribute("reveal_from", proposal.reveal_from().to_string())
        .add_attribute("reveal_deadline", proposal.reveal_deadline().to_string()))
}

/// A proposal in `status`, or why not.
fn proposal_in(
    storage: &dyn Storage,
    id: u64,
    status: ProposalStatus,
) -> Result<Proposal, ContractError> {
    let proposal = PROPOSALS
        .may_load(storage, id)?
        .ok_or(ContractError::NoSuchProposal(id))?;
    if proposal.status != status {
        return Err(ContractError::WrongStatus {
            proposal_id: id,
            status: proposal.status,
        });
    }
    Ok(proposal)
}

/// `RevealProposal`: the committer's model, checked against the commitment
/// and the budgets recorded with it; evaluated at once when the guard is
/// free, else queued.
pub fn reveal(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: u64,
    blob: Binary,
    salt: Binary,
) -> Result<Response, ContractError> {
    ensure_no_funds(&info)?;
    let mut proposal = proposal_in(deps.storage, id, ProposalStatus::Committed)?;
    if info.sender != proposal.proposer {
        return Err(ContractError::Unauthorized);
    }
    let height = env.block.height;
    if height < proposal.reveal_from() {
        return Err(ContractError::TooEarly {
            proposal_id: id,
            from: proposal.reveal_from(),
        });
    }
    if height >= proposal.reveal_deadline() {
        return Err(ContractError::TooLate {
            proposal_id: id,
            deadline: proposal.reveal_deadline(),
        });
    }
    let expected = commitment(&blob, info.sender.as_str(), &salt);
    if proposal.commitment.as_ref().map(|c| c.as_slice()) != Some(&expected[..]) {
        return Err(ContractError::CommitmentMismatch);
    }
    let config = CONFIG.load(deps.storage)?;
    // The budgets in force at the commitment.
    let settings = Settings {
        max_inference_ops: proposal.max_inference_ops,
        max_check_gas: proposal.max_check_gas,
        ..config.settings.clone()
    };
    let model = validate_model(&blob, &settings)?;
    super::bound_guard::fits_guard(deps.as_ref(), &model)?;
    let hash = hex(&model.checksum());
    // A known model earns nothing: refused (the commitment then expires).
    if let Some(version) = MODEL_BY_HASH.may_load(deps.storage, &hash)? {
        return Err(ContractError::KnownModel { version });
    }
    // Revealed before: public, so only its proposer may bring it back, and
    // only once that proposal ended undecided (cancelled or closed).
    if let Some(proposal_id) = REVEALED.may_load(deps.storage, &hash)? {
        let earlier = PROPOSALS.load(deps.storage, proposal_id)?;
        if earlier.proposer != info.sender
            || !matches!(
                earlier.status,
                ProposalStatus::Cancelled | ProposalStatus::Closed
            )
        {
            return Err(ContractError::RevealedModel { proposal_id });
        }
    }
    REVEALED.save(deps.storage, &hash, &id)?;
    // Judged at the threshold Check will apply to it, fixed at the
    // commitment.
    proposal.threshold_bits = Some(
        proposal
            .deny_threshold
            .map_or(model.threshold().to_bits(), threshold_bits),
    );
    proposal.hash = hash.clone();
    let response = Response::new()
        .add_attribute("action", "reveal_proposal")
        .add_attribute("proposal_id", id.to_string())
        .add_attribute("hash", hash);
    let open = OPEN_PROPOSAL.may_load(deps.storage)?;
    if open.is_some() || batch_holds(deps.storage, id, height) {
        proposal.status = ProposalStatus::Queued;
        PROPOSALS.save(deps.storage, id, &proposal)?;
        QUEUE.save(deps.storage, id, &())?;
        save_candidate(deps.storage, id, &blob);
        return Ok(response.add_attribute("status", "queued"));
    }
    let denom = &config.settings.bond_denom;
    let Some(proposal) = start(deps.storage, height, id, proposal)? else {
        let p = PROPOSALS.load(deps.storage, id)?;
        return Ok(response
            .add_attribute("status", "closed")
            .add_messages(send(p.proposer.as_str(), p.bond, denom)));
    };
    let (step, status) = evaluate_step(deps.storage, &config, height, id, proposal, &blob)?;
    // The candidate is stored only when later steps need it.
    if matches!(status, ProposalStatus::Evaluating | ProposalStatus::Pending) {
        save_candidate(deps.storage, id, &blob);
    }
    let mut response = response;
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
    let height = env.block.height;
    proposal.last_step = height;
    let (response, _) = evaluate_step(deps.storage, &config, height, id, proposal, &blob)?;
    Ok(response)
}

/// End an undecided proposal as `status`: saved, its bond no longer held,
/// its candidate blob and prediction bits deleted; if it held the guard,
/// the next queued proposal opens. Returns the refunds of queued proposals
/// closed on the way (see [`start`]).
pub fn end(
    storage: &mut dyn Storage,
    height: u64,
    denom: &str,
    id: u64,
    mut proposal: Proposal,
    status: ProposalStatus,
) -> Result<(Proposal, Vec<BankMsg>), ContractError> {
    proposal.status = status;
    proposal.activate_at = None;
    PROPOSALS.save(storage, id, &proposal)?;
    UNDECIDED.remove(storage, id);
    QUEUE.remove(storage, id);
    if let Some(blob) = load_candidate(storage, id) {
        remove_candidate(storage, id, blob.len());
    }
    let bits = prediction_bits_key(id);
    if let Some(b) = chunked::load(storage, &bits) {
        chunked::remove(storage, &bits, b.len());
    }
    if OPEN_PROPOSAL.may_load(storage)? == Some(id) {
        OPEN_PROPOSAL.remove(storage);
    }
    // The guard may be free. (A revealed batch this proposal held back
    // joins the test set by `ApplyGovernance`, which pays for the merge.)
    Ok((proposal, next_in_queue(storage, height, denom)?))
}

/// Add to the vault.
fn to_vault(storage: &mut dyn Storage, amount: Uint128) -> Result<Uint128, ContractError> {
    let vault = VAULT
        .load(storage)?
        .checked_add(amount)
        .map_err(StdError::from)?;
    VAULT.save(storage, &vault)?;
    Ok(vault)
}

/// `CancelProposal` (admin): withdraw a proposal not yet decided
/// (committed, queued or being evaluated); its bond is refunded less its
/// stall fee, which goes to the vault (cancelling a griefer costs the
/// griefer what closing it would have). A pending model is the guardian's
/// to veto, not the admin's to cancel.
pub fn cancel(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: u64,
) -> Result<Response, ContractError> {
    let config = admin_call(deps.as_ref(), &info)?;
    let proposal = PROPOSALS
        .may_load(deps.storage, id)?
        .ok_or(ContractError::NoSuchProposal(id))?;
    if !proposal.undecided() || proposal.status == ProposalStatus::Pending {
        return Err(ContractError::NotEvaluating(id));
    }
    let denom = &config.settings.bond_denom;
    let height = env.block.height;
    let (proposal, refunds) = end(
        deps.storage,
        height,
        denom,
        id,
        proposal,
        ProposalStatus::Cancelled,
    )?;
    let fee = proposal.stall_fee_amount();
    to_vault(deps.storage, fee)?;
    let refund = proposal.bond - fee;
    Ok(Response::new()
        .add_attribute("action", "cancel_proposal")
        .add_attribute("proposal_id", id.to_string())
        .add_attribute("refund", refund.to_string())
        .add_attribute("fee_to_vault", fee.to_string())
        .add_messages(send(proposal.proposer.as_str(), refund, denom))
        .add_messages(refunds))
}

/// `CloseStalled` (anyone): close a proposal without an evaluation step for
/// its `stall_blocks`, or a commitment past its reveal deadline; the sender
/// receives its stall fee, the proposer the rest of the bond.
pub fn close_stalled(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: u64,
) -> Result<Response, ContractError> {
    ensure_no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    let proposal = PROPOSALS
        .may_load(deps.storage, id)?
        .ok_or(ContractError::NoSuchProposal(id))?;
    let closable_at = proposal
        .closable_at()
        .ok_or(ContractError::NotEvaluating(id))?;
    let height = env.block.height;
    if height < closable_at {
        return Err(ContractError::NotStalled {
            proposal_id: id,
            closable_at,
        });
    }
    let denom = &config.settings.bond_denom;
    let (proposal, refunds) = end(
        deps.storage,
        height,
        denom,
        id,
        proposal,
        ProposalStatus::Closed,
    )?;
    let fee = proposal.stall_fee_amount();
    let refund = proposal.bond - fee;
    Ok(Response::new()
        .add_attribute("action", "close_stalled")
        .add_attribute("proposal_id", id.to_string())
        .add_attribute("closer", info.sender.as_str())
        .add_attribute("fee", fee.to_string())
        .add_attribute("refund", refund.to_string())
        .add_messages(send(info.sender.as_str(), fee, denom))
        .add_messages(send(proposal.proposer.as_str(), refund, denom))
        .add_messages(refunds))
}

/// Evaluate the next batch of an open proposal and, after the last one,
/// decide it. Saves the proposal; returns its status after the step.
fn evaluate_step(
    storage: &mut dyn Storage,
    config: &Config,
    height: u64,
    id: u64,
    mut proposal: Proposal,
    candidate_blob: &[u8],
) -> Result<(Response, ProposalStatus), ContractError> {
    // Validated with its checksum at the reveal.
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
    let bits_key = prediction_bits_key(id);
    let mut bits = chunked::load(storage, &bits_key).unwrap_or_default();
    let mut row = proposal.evaluated;
    let p = &mut proposal;
    let step = poim::evaluate(
        storage,
        &candidate,
        incumbent.as_ref(),
        threshold,
        usize::from(config.settings.n_features),
        p.cursor,
        config.settings.eval_batch,
        &mut |(sample, label, cand, inc)| {
            p.candidate.add(cand, label);
            p.incumbent.add(inc, label);
            if cand != inc {
                p.disagreements = p.disagreements.saturating_add(1);
                if p.disagreement_ids.len() < DISAGREEMENT_IDS {
                    p.disagreement_ids.push(sample);
                }
            }
            let (byte, bit) = ((row / 8) as usize, row % 8);
            if bits.len() <= byte {
                bits.resize(byte + 1, 0);
            }
            bits[byte] |= u8::from(cand) << bit;
            row = row.saturating_add(1);
        },
    )?;
    proposal.cursor = step.cursor;
    proposal.evaluated = proposal.evaluated.saturating_add(step.rows);
    let response = Response::new()
        .add_attribute("evaluated", proposal.evaluated.to_string())
        .add_attribute("total", proposal.total.to_string());
    // Done when every row is evaluated, or when the set has no row left
    // (a step that found none).
    if proposal.evaluated < proposal.total && step.rows > 0 {
        chunked::save(storage, &bits_key, &bits);
        PROPOSALS.save(storage, id, &proposal)?;
        return Ok((
            response.add_attribute("status", "evaluating"),
            ProposalStatus::Evaluating,
        ));
    }
    decide(
        storage, config, height, id, proposal, &candidate, &bits, response,
    )
}

/// Record a decided proposal's predictions (rejected, or accepted and
/// activated; a vetoed one is not recorded) unless an earlier one has them.
fn record_predictions(storage: &mut dyn Storage, id: u64, p: &Proposal) -> StdResult<()> {
    if let Some(key) = &p.predictions {
        if !PREDICTIONS.has(storage, key) {
            PREDICTIONS.save(storage, key, &id)?;
        }
    }
    Ok(())
}

/// Judge a fully evaluated proposal (by the rules recorded at its
/// commitment, against the best metrics ever accepted on its test-set
/// version). Rejected: the bond goes to the vault. Accepted: pending for
/// its `activation_delay` (active at once when it is 0). Accepted with the
/// predictions of an earlier decided proposal: no reward.
#[allow(clippy::too_many_arguments)]
fn decide(
    storage: &mut dyn Storage,
    config: &Config,
    height: u64,
    id: u64,
    mut proposal: Proposal,
    candidate: &Model<'_>,
    bits: &[u8],
    response: Response,
) -> Result<(Response, ProposalStatus), ContractError> {
    let cand = poim::metrics(&proposal.candidate);
    let inc = poim::metrics(&proposal.incumbent);
    let best = BEST
        .may_load(storage)?
        .filter(|b| b.test_set_version == proposal.test_set_version)
        .map(|b| b.metrics);
    let (accept, moves) = poim::judge(&cand, &inc, best.as_ref(), &proposal.margins);
    // The fingerprint of its predictions: test-set version (u32 BE) and the
    // SHA-256 of its label bits.
    let mut key = proposal.test_set_version.to_be_bytes().to_vec();
    key.extend_from_slice(&Sha256::digest(bits));
    proposal.same_predictions_as = PREDICTIONS.may_load(storage, &key)?;
    proposal.predictions = Some(key.into());
    let ids: Vec<String> = proposal
        .disagreement_ids
        .iter()
        .map(u32::to_string)
        .collect();
    let mut event = Event::new("vigil_poim")
        .add_attribute("proposal_id", id.to_string())
        .add_attribute("accepted", accept.to_string())
        .add_attribute("test_set_version", proposal.test_set_version.to_string())
        .add_attribute("disagreements", proposal.disagreements.to_string())
        .add_attribute("disagreement_ids", ids.join(","));
    if let Some(earlier) = proposal.same_predictions_as {
        event = event.add_attribute("same_predictions_as", earlier.to_string());
    }
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
    let denom = &config.settings.bond_denom;
    if !accept {
        record_predictions(storage, id, &proposal)?;
        to_vault(storage, proposal.bond)?;
        event = event.add_attribute("slashed", proposal.bond.to_string());
        let (_, refunds) = end(
            storage,
            height,
            denom,
            id,
            proposal,
            ProposalStatus::Rejected,
        )?;
        let response = response
            .add_attribute("status", "rejected")
            .add_event(event)
            .add_messages(refunds);
        return Ok((response, ProposalStatus::Rejected));
    }
    if proposal.activation_delay == 0 {
        let response = activate_now(
            storage, config, height, id, proposal, candidate, response, event,
        )?;
        return Ok((response, ProposalStatus::Accepted));
    }
    let at = height.saturating_add(proposal.activation_delay);
    proposal.status = ProposalStatus::Pending;
    proposal.activate_at = Some(at);
    PROPOSALS.save(storage, id, &proposal)?;
    event = event.add_attribute("activate_at", at.to_string());
    Ok((
        response.add_attribute("status", "pending").add_event(event),
        ProposalStatus::Pending,
    ))
}

/// Make an accepted proposal's model active and pay its proposer: the
/// ratchet moves up to what it reached, the threshold it was judged at
/// becomes the setting, and the proposer receives the bond plus the reward
/// (none when its predictions were an earlier proposal's). `event` gets
/// the version and reward.
#[allow(clippy::too_many_arguments)]
fn activate_now(
    storage: &mut dyn Storage,
    config: &Config,
    height: u64,
    id: u64,
    mut proposal: Proposal,
    candidate: &Model<'_>,
    response: Response,
    mut event: Event,
) -> Result<Response, ContractError> {
    let best = BEST
        .may_load(storage)?
        .filter(|b| b.test_set_version == proposal.test_set_version)
        .map(|b| b.metrics);
    let c = poim::ratios(&poim::metrics(&proposal.candidate));
    let i = poim::ratios(&poim::metrics(&proposal.incumbent));
    BEST.save(
        storage,
        &Best {
            test_set_version: proposal.test_set_version,
            metrics: poim::reference(&c, Some(&poim::reference(&i, best.as_ref()))),
        },
    )?;
    // Enforced at the threshold it was judged at.
    let mut config = config.clone();
    if config.settings.deny_threshold != proposal.deny_threshold {
        config.settings.deny_threshold = proposal.deny_threshold;
        CONFIG.save(storage, &config)?;
        event = event.add_attribute("deny_threshold_restored", "true");
    }
    let version = install_model(
        storage,
        &config,
        candidate,
        &proposal.proposer,
        Some((proposal.candidate, proposal.test_set_version)),
    )?;
    record_predictions(storage, id, &proposal)?;
    let vault = VAULT.load(storage)?;
    let reward = match proposal.same_predictions_as {
        Some(_) => Uint128::zero(),
        // At most what the vault holds, and never a payout beyond u128.
        None => reward_for(&proposal.reward, proposal.bond, vault),
    };
    VAULT.save(storage, &(vault - reward))?;
    let payout = proposal.bond + reward;
    proposal.accepted_version = Some(version);
    let denom = &config.settings.bond_denom;
    let (proposal, refunds) = end(
        storage,
        height,
        denom,
        id,
        proposal,
        ProposalStatus::Accepted,
    )?;
    event = event
        .add_attribute("model_version", version.to_string())
        .add_attribute("reward", reward.to_string());
    Ok(response
        .add_attribute("status", "accepted")
        .add_event(event)
        .add_messages(send(proposal.proposer.as_str(), payout, denom))
        .add_messages(refunds))
}

/// The pending proposal, or why not.
fn pending(storage: &dyn Storage, id: Option<u64>) -> Result<(u64, Proposal), ContractError> {
    let id = match id {
        Some(id) => id,
        None => OPEN_PROPOSAL
            .may_load(storage)?
            .ok_or(ContractError::NoSuchProposal(0))?,
    };
    Ok((id, proposal_in(storage, id, ProposalStatus::Pending)?))
}

/// `Activate` (anyone): the pending model, once its delay has passed.
pub fn activate(deps: DepsMut, env: Env, info: MessageInfo) -> Result<Response, ContractError> {
    ensure_no_funds(&info)?;
    let (id, proposal) = pending(deps.storage, None)?;
    let at = proposal.activate_at.unwrap_or(0);
    let height = env.block.height;
    if height < at {
        return Err(ContractError::TooEarly {
            proposal_id: id,
            from: at,
        });
    }
    let config = CONFIG.load(deps.storage)?;
    let blob = load_candidate(deps.storage, id)
        .ok_or_else(|| ContractError::CorruptRecord(format!("candidate blob of proposal {id}")))?;
    let candidate = Model::parse_without_checksum(&blob).map_err(invalid_model)?;
    let response = Response::new().add_attribute("action", "activate");
    let event = Event::new("vigil_activate").add_attribute("proposal_id", id.to_string());
    activate_now(
        deps.storage,
        &config,
        height,
        id,
        proposal,
        &candidate,
        response,
        event,
    )
}

/// `Veto` (the proposal's guardian): refuse a pending model before its
/// activation; the bond goes to the vault, no reward is paid.
pub fn veto(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: u64,
) -> Result<Response, ContractError> {
    ensure_no_funds(&info)?;
    let (id, proposal) = pending(deps.storage, Some(id))?;
    if proposal.guardian.as_ref() != Some(&info.sender) {
        return Err(ContractError::Unauthorized);
    }
    let at = proposal.activate_at.unwrap_or(0);
    let height = env.block.height;
    if height >= at {
        return Err(ContractError::TooLate {
            proposal_id: id,
            deadline: at,
        });
    }
    let config = CONFIG.load(deps.storage)?;
    let vault = to_vault(deps.storage, proposal.bond)?;
    let denom = &config.settings.bond_denom;
    let (proposal, refunds) = end(
        deps.storage,
        height,
        denom,
        id,
        proposal,
        ProposalStatus::Vetoed,
    )?;
    Ok(Response::new()
        .add_attribute("action", "veto")
        .add_attribute("proposal_id", id.to_string())
        .add_attribute("slashed", proposal.bond.to_string())
        .add_attribute("vault", vault.to_string())
        .add_messages(refunds))
}

/// `Withdraw` (the proposer): a committed or queued proposal waiting for a
/// void batch, refunded in full.
pub fn withdraw(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: u64,
) -> Result<Response, ContractError> {
    ensure_no_funds(&info)?;
    let proposal = PROPOSALS
        .may_load(deps.storage, id)?
        .ok_or(ContractError::NoSuchProposal(id))?;
    if info.sender != proposal.proposer {
        return Err(ContractError::Unauthorized);
    }
    let height = env.block.height;
    let void = crate::state::batch::may_load(deps.storage)?
        .filter(|b| id >= b.first_proposal && b.void(height));
    if void.is_none()
        || !matches!(
            proposal.status,
            ProposalStatus::Committed | ProposalStatus::Queued
        )
    {
        return Err(ContractError::WrongStatus {
            proposal_id: id,
            status: proposal.status,
        });
    }
    let denom = CONFIG.load(deps.storage)?.settings.bond_denom;
    let (proposal, refunds) = end(
        deps.storage,
        height,
        &denom,
        id,
        proposal,
        ProposalStatus::Withdrawn,
    )?;
    Ok(Response::new()
        .add_attribute("action", "withdraw")
        .add_attribute("proposal_id", id.to_string())
        .add_attribute("refund", proposal.bond.to_string())
        .add_messages(send(proposal.proposer.as_str(), proposal.bond, &denom))
        .add_messages(refunds))
}
