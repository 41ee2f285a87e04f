//! The guard's baselines and circuit breaker on the wire (`docs/breaker.md`):
//! what a protected contract reports ([`Action`], [`Outcome`]), the verdict
//! it is given ([`Verdict`]), the governed settings of each protected
//! contract ([`ProtectedSettings`]) and the answers of the breaker's
//! queries.
//!
//! The arithmetic (baselines, derived features, the breaker's state machine)
//! is `vigil-inference-core`'s `baseline` and `breaker` modules; this crate
//! only carries their inputs and outputs.
use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Decimal, Uint128};

/// Action kinds a protected contract may declare.
pub const MAX_KINDS: usize = 8;
/// The longest action-kind name.
pub const MAX_KIND_LEN: usize = 32;
/// The longest unit name.
pub const MAX_UNIT_LEN: usize = 32;
/// The default delay before a change to a protected contract's settings
/// takes effect (blocks: about an hour at 6 s).
pub const DEFAULT_CHANGE_DELAY: u64 = 600;

/// One guarded action, as the protected contract reports it.
#[cw_serde]
pub struct Action {
    /// One of the kinds the contract declared (`withdraw`, `borrow`, ...).
    pub kind: String,
    /// Value at risk: what leaves the protocol if the action goes through,
    /// in the contract's declared unit.
    pub value: Uint128,
    /// The protocol's total value, in the same unit.
    pub total_value: Uint128,
    /// The price the action used, in the contract's declared price unit
    /// (`None`: no price).
    #[serde(default)]
    pub price: Option<Uint128>,
    /// The address that asked for the action.
    pub caller: String,
    /// The caller's transaction features (decimal strings), before the seven
    /// the guard derives from its baselines (`derived` in
    /// [`VerdictResponse`]). The model scores these followed by the derived
    /// ones when it was trained with them (`n_features` = these + 7), or
    /// these alone.
    #[serde(default)]
    pub features: Vec<String>,
}

/// What the protected contract did with an action it asked about.
#[cw_serde]
#[derive(Copy, Eq)]
pub enum Outcome {
    /// Carried out (its value left). Only when the verdict is `allow`.
    Paid,
    /// Parked, to be released after a delay. When the verdict is `allow`
    /// or `delay`.
    Parked,
    /// Refused. Always possible, and the way a denial is recorded: a
    /// protected contract that refuses returns success and reports the
    /// refusal, so the denial counts toward the breaker's rules.
    Refused,
    /// A parked action released: its value leaves now. Not judged again
    /// (it was judged when parked); counted in the window's outflow.
    Released,
}

/// A response of a tripped rule.
#[cw_serde]
#[derive(Copy, Eq)]
pub enum BreakerResponse {
    /// Outflow capped at `half_open_cap` of total value per window.
    Cap,
    /// Every action parked for `delay_blocks`.
    Delay,
    /// Every action refused.
    Deny,
}

/// A breaker rule.
#[cw_serde]
#[derive(Copy, Eq)]
pub enum BreakerRule {
    /// The window's outflow above a share of total value.
    OutflowShare,
    /// The model's denials in the window.
    Denials,
    /// The window's mean model score.
    MeanScore,
}

/// Trip on the window's outflow.
#[cw_serde]
pub struct OutflowRule {
    /// Share of total value, in (0, 1].
    pub share: Decimal,
    /// What the breaker does.
    pub response: BreakerResponse,
}

/// Trip on the model's denials.
#[cw_serde]
pub struct DenialRule {
    /// Denials in one window (at least 1).
    pub count: u32,
    /// What the breaker does.
    pub response: BreakerResponse,
}

/// Trip on the window's mean score.
#[cw_serde]
pub struct ScoreRule {
    /// Mean score level, in (0, 1].
    pub level: Decimal,
    /// Actions in the window before the rule applies (at least 1).
    pub min_actions: u32,
    /// What the breaker does.
    pub response: BreakerResponse,
}

/// The governed settings of one protected contract.
#[cw_serde]
pub struct ProtectedSettings {
    /// Its action kinds (1 to [`MAX_KINDS`], distinct, each 1 to
    /// [`MAX_KIND_LEN`] characters).
    pub kinds: Vec<String>,
    /// The unit values are declared in (for people; not interpreted).
    pub unit: String,
    /// Blocks per window.
    pub window_blocks: u64,
    /// Baseline adaptation: `alpha = 2^-alpha_shift` per window (1 to 16).
    pub alpha_shift: u8,
    /// The most a baseline may rise per window after the warm-up (a share
    /// of a rate; `log2` units of the mean value), in (0, 1].
    pub max_rise: Decimal,
    /// Windows before the baselines are trusted.
    pub warmup_windows: u32,
    /// Trip on outflow (`None`: off).
    pub outflow_rule: Option<OutflowRule>,
    /// Trip on denials (`None`: off).
    pub denial_rule: Option<DenialRule>,
    /// Trip on the mean score (`None`: off).
    pub score_rule: Option<ScoreRule>,
    /// Blocks the breaker stays open.
    pub cooldown_blocks: u64,
    /// Blocks half-open after that.
    pub half_open_blocks: u64,
    /// The outflow cap (share of total value per window) half-open, and
    /// open under [`BreakerResponse::Cap`], in [0, 1].
    pub half_open_cap: Decimal,
    /// Blocks an action is parked for under [`BreakerResponse::Delay`].
    pub delay_blocks: u64,
    /// May reset the breaker early and cancel parked actions (`None`:
    /// nobody).
    pub guardian: Option<String>,
}

/// Why [`ProtectedSettings`] are refused.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum InvalidProtected {
    /// No kinds, too many, a duplicate, or a bad name.
    #[error("kinds: 1 to {MAX_KINDS} distinct names of 1 to {MAX_KIND_LEN} characters ({0})")]
    Kinds(String),
    /// A share or level outside its range.
    #[error("{0} must be in (0, 1]")]
    Share(&'static str),
    /// A unit name too long.
    #[error("unit: at most {MAX_UNIT_LEN} characters")]
    Unit,
    /// A count that must be positive.
    #[error("{0} must be at least 1")]
    Zero(&'static str),
    /// `half_open_cap` above 1.
    #[error("half_open_cap must be at most 1")]
    Cap,
}

fn in_unit_interval(d: Decimal, what: &'static str) -> Result<(), InvalidProtected> {
    if d.is_zero() || d > Decimal::one() {
        return Err(InvalidProtected::Share(what));
    }
    Ok(())
}

impl ProtectedSettings {
    /// The checks that need no state (the baseline parameters are checked
    /// by the core's `baseline::Params::validate`, where they are used).
    pub fn validate(&self) -> Result<(), InvalidProtected> {
        if self.kinds.is_empty() || self.kinds.len() > MAX_KINDS {
            return Err(InvalidProtected::Kinds(format!(
                "{} kinds",
                self.kinds.len()
            )));
        }
        for (i, k) in self.kinds.iter().enumerate() {
            if k.is_empty() || k.len() > MAX_KIND_LEN || self.kinds[..i].contains(k) {
                return Err(InvalidProtected::Kinds(format!("{k:?}")));
            }
        }
        if self.unit.len() > MAX_UNIT_LEN {
            return Err(InvalidProtected::Unit);
        }
        if let Some(r) = &self.outflow_rule {
            in_unit_interval(r.share, "outflow_rule.share")?;
        }
        if let Some(r) = &self.denial_rule {
            if r.count == 0 {
                return Err(InvalidProtected::Zero("denial_rule.count"));
            }
        }
        if let Some(r) = &self.score_rule {
            in_unit_interval(r.level, "score_rule.level")?;
            if r.min_actions == 0 {
                return Err(InvalidProtected::Zero("score_rule.min_actions"));
            }
        }
        in_unit_interval(self.max_rise, "max_rise")?;
        if self.half_open_cap > Decimal::one() {
            return Err(InvalidProtected::Cap);
        }
        Ok(())
    }

    /// Defaults for a contract with these kinds: windows of 10 blocks,
    /// `alpha` 1/8, a rise of at most 1/8 per window, 144 windows of
    /// warm-up (a day at 6 s blocks); trip on 10% of total value in a
    /// window (deny), on 3 model denials in a window (delay) and on a mean
    /// score of 0.8 over 5 actions (cap); open for 600 blocks, half-open
    /// for 600 with a cap of 2% per window; parked actions wait 100 blocks;
    /// no guardian.
    pub fn with_kinds(kinds: Vec<String>, unit: impl Into<String>) -> ProtectedSettings {
        ProtectedSettings {
            kinds,
            unit: unit.into(),
            window_blocks: 10,
            alpha_shift: 3,
            max_rise: Decimal::permille(125),
            warmup_windows: 144,
            outflow_rule: Some(OutflowRule {
                share: Decimal::percent(10),
                response: BreakerResponse::Deny,
            }),
            denial_rule: Some(DenialRule {
                count: 3,
                response: BreakerResponse::Delay,
            }),
            score_rule: Some(ScoreRule {
                level: Decimal::percent(80),
                min_actions: 5,
                response: BreakerResponse::Cap,
            }),
            cooldown_blocks: 600,
            half_open_blocks: 600,
            half_open_cap: Decimal::percent(2),
            delay_blocks: 100,
            guardian: None,
        }
    }
}

/// Why an action is refused.
#[cw_serde]
#[derive(Copy, Eq)]
pub enum DenyReason {
    /// The model's score is at or above its threshold.
    Model,
    /// The breaker is open and denies everything.
    Open,
    /// The action would take the window's outflow past the cap.
    Cap,
    /// The action trips this rule, whose response is to deny.
    Trip(BreakerRule),
}

/// The verdict on an action.
#[cw_serde]
#[derive(Copy, Eq)]
pub enum Verdict {
    /// Go ahead (report `paid`).
    Allow,
    /// Park it (report `parked`); anyone may release it from this height
    /// unless the guardian cancels it.
    Delay {
        /// First height it may be released at.
        release_at: u64,
    },
    /// Refuse it (report `refused`).
    Deny {
        /// Why.
        reason: DenyReason,
    },
}

impl Verdict {
    /// Whether the action may go through now.
    pub fn allows(&self) -> bool {
        *self == Verdict::Allow
    }
}

/// The breaker's state.
#[cw_serde]
#[derive(Copy, Eq)]
pub enum BreakerStatus {
    /// Normal.
    Closed,
    /// Tripped.
    Open {
        /// Height it half-opens at.
        until: u64,
        /// The rule that tripped.
        rule: BreakerRule,
        /// What it does meanwhile.
        response: BreakerResponse,
    },
    /// After the cooldown, outflow capped.
    HalfOpen {
        /// Height it closes at.
        until: u64,
    },
}

/// The answer to `Verdict` (and the data of `Observe`).
#[cw_serde]
pub struct VerdictResponse {
    /// The verdict.
    pub verdict: Verdict,
    /// The model's score on the action (0 when no model ran: a paused guard).
    pub score: Decimal,
    /// The model's version.
    pub model_version: u32,
    /// The seven derived features, in order `value_z`,
    /// `window_outflow_share`, `outflow_ratio`, `call_rate_ratio`,
    /// `caller_ratio`, `price_deviation`, `recent_outflow_ratio` (signed
    /// decimal strings).
    pub derived: Vec<String>,
    /// The breaker's state after this action.
    pub breaker: BreakerStatus,
}

/// A pending change to a protected contract.
#[cw_serde]
pub struct PendingProtected {
    /// The height it takes effect at.
    pub effective_at: u64,
    /// The new settings (`None`: the contract is removed).
    pub settings: Option<ProtectedSettings>,
}

/// The answer to `Protected`.
#[cw_serde]
pub struct ProtectedResponse {
    /// The contract.
    pub contract: String,
    /// Its settings in force.
    pub settings: ProtectedSettings,
    /// A change waiting for its delay.
    pub pending: Option<PendingProtected>,
    /// Its breaker.
    pub breaker: BreakerState,
    /// The SDK gas an `Observe` of one of its actions costs at most on the
    /// active model (`None`: no model yet), quoted as `Model`'s
    /// `check_gas` is for `Check`.
    pub observe_gas: Option<crate::msg::CheckGas>,
}

/// A breaker's stored state and window counts.
#[cw_serde]
pub struct BreakerState {
    /// Closed, open or half-open (as of the last action: time-driven
    /// transitions are applied at the next one).
    pub status: BreakerStatus,
    /// The current window.
    pub window: u64,
    /// Outflow paid in it.
    pub outflow: Uint128,
    /// Actions judged in it.
    pub actions: u32,
    /// Of those, denied by the model.
    pub denials: u32,
    /// Trips so far.
    pub trips: u32,
}

/// The answer to `Baseline`: one kind's baselines (decimals).
#[cw_serde]
pub struct BaselineResponse {
    /// Windows folded so far.
    pub windows: u32,
    /// Whether the warm-up is over.
    pub warm: bool,
    /// Mean `log2(1 + value)`.
    pub mean_log_value: Decimal,
    /// Its standard deviation.
    pub sd_log_value: Decimal,
    /// Calls per window.
    pub calls_per_window: Decimal,
    /// Outflow per window.
    pub outflow_per_window: Uint128,
    /// Distinct callers per window.
    pub callers_per_window: Decimal,
    /// The price's moving average (0: none seen).
    pub price_average: Uint128,
    /// The current window and its calls so far.
    pub window: u64,
    /// See `window`.
    pub window_calls: u32,
}
