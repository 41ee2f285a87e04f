//! One action of a protected contract judged (`docs/breaker.md`): its
//! kind's baseline rolled to the block, the seven derived features, the model
//! on the caller's features and those, and the breaker's verdict. The
//! `Verdict` query answers with [`judge`]; `Observe` judges the same way
//! and stores what follows from the outcome (`execute::protected`).
use cosmwasm_std::{Addr, Decimal, Deps};
use vigil_guard_api::breaker::{
    Action, BreakerResponse as Response, BreakerRule, BreakerState, BreakerStatus, DenyReason,
    ProtectedSettings, Verdict as WireVerdict, VerdictResponse,
};
use vigil_guard_api::msg::PausedCheck;
use vigil_guard_api::units::{score_decimal, threshold_bits};
use vigil_inference_core::baseline::{self, Baseline, DERIVED_FEATURES};
use vigil_inference_core::breaker::{
    self as core, Breaker, Judged, Judgement, Rule, Rules, Status, Verdict,
};
use vigil_inference_core::{Act, Model, Score};

use crate::envelope;
use crate::error::{inference_failed, invalid_model, ContractError};
use crate::state::active::{load_active, ActiveHeader, MODEL_THRESHOLD};
use crate::state::protected::{load_baseline, load_breaker, Protected, PROTECTED};
use crate::units::{parse_features, q16_decimal};

/// A share (`[0, 1]`) in the core's parts per billion (digits past the
/// ninth decimal are dropped).
fn ppb(d: Decimal) -> u32 {
    (d.atomics().u128().min(1_000_000_000_000_000_000) / 1_000_000_000) as u32
}

/// A rate (`(0, 1]`) in `Q16`, at least one unit.
fn q16(d: Decimal) -> u32 {
    ((d.atomics().u128().min(1_000_000_000_000_000_000) << 16) / 1_000_000_000_000_000_000).max(1)
        as u32
}

fn response(r: Response) -> core::Response {
    match r {
        Response::Cap => core::Response::Cap,
        Response::Delay => core::Response::Delay,
        Response::Deny => core::Response::Deny,
    }
}

/// The core's baseline parameters of `s`, checked.
pub fn params(s: &ProtectedSettings) -> Result<baseline::Params, ContractError> {
    let p = baseline::Params {
        window_blocks: s.window_blocks,
        alpha_shift: s.alpha_shift,
        max_rise: q16(s.max_rise),
        warmup_windows: s.warmup_windows,
    };
    p.validate().map_err(ContractError::InvalidBaseline)?;
    Ok(p)
}

/// The core's breaker rules of `s`.
pub fn rules(s: &ProtectedSettings) -> Rules {
    Rules {
        outflow_share: s
            .outflow_rule
            .as_ref()
            .map(|r| (ppb(r.share), response(r.response))),
        denials: s
            .denial_rule
            .as_ref()
            .map(|r| (r.count, response(r.response))),
        mean_score: s
            .score_rule
            .as_ref()
            .map(|r| (threshold_bits(r.level), r.min_actions, response(r.response))),
        cooldown_blocks: s.cooldown_blocks,
        half_open_blocks: s.half_open_blocks,
        half_open_cap: ppb(s.half_open_cap),
        delay_blocks: s.delay_blocks,
    }
}

/// A protected contract's record, its pending change applied when due at
/// `height` (the caller stores it when `applied`).
pub fn protected(
    deps: Deps,
    contract: &Addr,
    height: u64,
) -> Result<(Protected, bool), ContractError> {
    let mut p = PROTECTED
        .may_load(deps.storage, contract)?
        .ok_or_else(|| ContractError::NotProtected(contract.to_string()))?;
    let due = p.pending.as_ref().is_some_and(|c| height >= c.effective_at);
    if due {
        match p.pending.take().and_then(|c| c.settings) {
            Some(s) => p.settings = s,
            // Removed: from this height the contract is not protected.
            None => return Err(ContractError::NotProtected(contract.to_string())),
        }
    }
    Ok((p, due))
}

/// What judging an action produced.
pub struct Judging {
    /// The kind's baseline, rolled to the block (before the action).
    pub baseline: Baseline,
    /// The core's inputs.
    pub action: baseline::Action,
    /// The breaker's view of it.
    pub judged: Judged,
    /// The verdict and the breaker's next state.
    pub judgement: Judgement,
    /// The derived features (`Q16`).
    pub derived: [i64; DERIVED_FEATURES],
    /// The model's version (0: none ran, the guard is paused).
    pub model_version: u32,
}

/// The kind's baseline rolled to `height` and the core's view of
/// `action` (the kind checked, the caller validated and hashed).
pub fn rolled(
    deps: Deps,
    contract: &Addr,
    s: &ProtectedSettings,
    height: u64,
    action: &Action,
) -> Result<(baseline::Params, Baseline, baseline::Action), ContractError> {
    if !s.kinds.contains(&action.kind) {
        return Err(ContractError::UnknownKind {
            contract: contract.to_string(),
            kind: action.kind.clone(),
        });
    }
    let caller = deps.api.addr_validate(&action.caller)?;
    let p = params(s)?;
    let mut b = load_baseline(deps.storage, contract, &action.kind)?;
    b.roll(&p, height);
    let a = baseline::Action {
        height,
        value: action.value.u128(),
        total_value: action.total_value.u128(),
        price: action.price.map_or(0, |p| p.u128()),
        caller: baseline::caller_hash(caller.as_bytes()),
    };
    Ok((p, b, a))
}

/// Judges `action` of `contract` (settings `s`) at `height`.
pub fn judge(
    deps: Deps,
    contract: &Addr,
    s: &ProtectedSettings,
    height: u64,
    action: &Action,
) -> Result<Judging, ContractError> {
    let (p, b, a) = rolled(deps, contract, s, height, action)?;
    let derived = b.derive(&p, &a);
    let (score, model_denies, model_version) = score(deps, &action.features, &derived)?;
    let judged = Judged {
        height,
        window: p.window_of(height),
        value: a.value,
        total_value: a.total_value,
        score,
        model_denies,
    };
    let judgement = load_breaker(deps.storage, contract)?.judge(&rules(s), &judged);
    Ok(Judging {
        baseline: b,
        action: a,
        judged,
        judgement,
        derived,
        model_version,
    })
}

/// The model's score bits, whether it denies, and its version, on the
/// caller's features followed by the derived ones (when the model takes
/// them). Paused: no model runs; `allow` lets the breaker's rules alone
/// decide, `deny` counts as a model denial, `error` fails.
fn score(
    deps: Deps,
    features: &[String],
    derived: &[i64; DERIVED_FEATURES],
) -> Result<(u32, bool, u32), ContractError> {
    let record = load_active(deps.storage).ok_or(ContractError::NoModel)?;
    let (header, blob) = ActiveHeader::decode(&record).ok_or(ContractError::NoModel)?;
    if header.paused {
        return match header.paused_check {
            PausedCheck::Error => Err(ContractError::Paused),
            behaviour => Ok((0, behaviour == PausedCheck::Deny, 0)),
        };
    }
    let model = Model::parse_without_checksum(blob).map_err(invalid_model)?;
    let n = model.n_features();
    let with_derived = n == features.len() + DERIVED_FEATURES;
    if !with_derived && n != features.len() {
        return Err(ContractError::ObservedFeatureCount {
            model: n,
            got: features.len(),
            derived: DERIVED_FEATURES,
        });
    }
    let mut inputs = parse_features(features, features.len())?;
    if with_derived {
        inputs.extend_from_slice(&baseline::to_inputs(derived));
    }
    envelope::clamp(deps.storage, &mut inputs)?;
    let mut scratch = vec![Act::ZERO; model.scratch_len()];
    let out = model
        .infer(&inputs, &mut scratch)
        .map_err(inference_failed)?;
    let threshold = if header.threshold_bits == MODEL_THRESHOLD {
        model.threshold()
    } else {
        Score::from_bits(header.threshold_bits.min(1 << 31))
    };
    Ok((out.score.to_bits(), out.score >= threshold, header.version))
}

/// The wire form of a verdict.
pub fn wire_verdict(v: &Verdict) -> WireVerdict {
    match *v {
        Verdict::Allow => WireVerdict::Allow,
        Verdict::Delay { release_at } => WireVerdict::Delay { release_at },
        Verdict::Deny(r) => WireVerdict::Deny {
            reason: match r {
                core::DenyReason::Model => DenyReason::Model,
                core::DenyReason::Open => DenyReason::Open,
                core::DenyReason::Cap => DenyReason::Cap,
                core::DenyReason::Trip(rule) => DenyReason::Trip(wire_rule(rule)),
            },
        },
    }
}

/// The wire form of a rule.
pub fn wire_rule(r: Rule) -> BreakerRule {
    match r {
        Rule::OutflowShare => BreakerRule::OutflowShare,
        Rule::Denials => BreakerRule::Denials,
        Rule::MeanScore => BreakerRule::MeanScore,
    }
}

/// The wire form of a response.
pub fn wire_response(r: core::Response) -> Response {
    match r {
        core::Response::Cap => Response::Cap,
        core::Response::Delay => Response::Delay,
        core::Response::Deny => Response::Deny,
    }
}

/// The wire form of a status.
pub fn wire_status(s: &Status) -> BreakerStatus {
    match *s {
        Status::Closed => BreakerStatus::Closed,
        Status::Open {
            until,
            rule,
            response,
        } => BreakerStatus::Open {
            until,
            rule: wire_rule(rule),
            response: wire_response(response),
        },
        Status::HalfOpen { until } => BreakerStatus::HalfOpen { until },
    }
}

/// The wire form of a breaker.
pub fn wire_breaker(b: &Breaker) -> BreakerState {
    BreakerState {
        status: wire_status(&b.status),
        window: b.window,
        outflow: b.outflow.into(),
        actions: b.actions,
        denials: b.denials,
        trips: b.trips,
    }
}

impl Judging {
    /// The answer to `Verdict` (and the data of `Observe`).
    pub fn response(&self) -> VerdictResponse {
        VerdictResponse {
            verdict: wire_verdict(&self.judgement.verdict),
            score: score_decimal(self.judged.score),
            model_version: self.model_version,
            derived: self
                .derived
                .iter()
                .map(|&v| q16_decimal(v).to_string())
                .collect(),
            breaker: wire_status(&self.judgement.next.status),
        }
    }
}
