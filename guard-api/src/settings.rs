//! The guard's settings and the rules they follow: one definition, used by
//! the contract (at instantiation and on every update) and by clients that
//! check before they send.
use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Decimal, Uint128};
use thiserror::Error;

use crate::msg::{Margin, Margins, PausedCheck, RewardRule};

/// Settings a guard is instantiated with and its admin may update.
#[cw_serde]
pub struct Settings {
    /// Number of raw inputs every model and sample has (fixed for life).
    pub n_features: u16,
    /// Denom of proposal bonds and rewards (fixed for life).
    pub bond_denom: String,
    /// Smallest bond a proposal must attach.
    pub min_bond: Uint128,
    /// Proof-of-Improvement margins.
    pub margins: Margins,
    /// Reward for an accepted proposal.
    pub reward: RewardRule,
    /// Largest cost bound (wasm operations per inference) a model may have.
    pub max_inference_ops: u64,
    /// Largest `Check` a model may cost: the SDK gas bound of a whole
    /// `Check` above its setup (storage reads of the active record and
    /// compute, `CheckGas::above_setup`), quoted for inputs of
    /// [`crate::gas::QUOTE_VALUE_CHARS`] characters, code not pinned. It
    /// bounds what a model costs to read, which `max_inference_ops` does not.
    pub max_check_gas: u64,
    /// Score at or above which `Check` denies; `None` uses the model's own.
    pub deny_threshold: Option<Decimal>,
    /// `Check` behaviour while paused.
    pub paused_check: PausedCheck,
    /// Largest majority:minority ratio of the test set's classes.
    pub max_class_ratio: Decimal,
    /// Test rows evaluated per transaction step.
    pub eval_batch: u32,
    /// Blocks without an evaluation step after which an open proposal is
    /// stalled: anyone may then close it (`CloseStalled`).
    #[serde(default = "default_stall_blocks")]
    pub stall_blocks: u64,
    /// Share of a bond (at most 1) a stalled proposal's closer receives, and
    /// an admin `CancelProposal` moves to the vault; the rest returns to the
    /// proposer.
    #[serde(default = "default_stall_fee")]
    pub stall_fee: Decimal,
    /// The data envelope's margin, a share of each feature's test-set
    /// range added on both sides: `Check` and `Score` clamp every raw input
    /// into `[min - margin x range, max + margin x range]` of the test set's
    /// values and report the features they clamped. `None` turns the
    /// envelope off (0.1's behaviour); `0` clamps to the test set's range
    /// itself. Default [`DEFAULT_ENVELOPE_MARGIN`].
    #[serde(default = "default_envelope_margin")]
    pub envelope_margin: Option<Decimal>,
    /// Blocks a commitment must wait before its reveal (at least 1: a blob
    /// seen at its reveal cannot be committed and revealed by another in
    /// the same block). The reveal window then lasts `stall_blocks` blocks.
    #[serde(default = "default_reveal_delay")]
    pub reveal_delay: u64,
    /// Blocks an accepted model waits, pending, before it may be activated;
    /// the guardian may veto it meanwhile. 0: active at acceptance.
    #[serde(default)]
    pub activation_delay: u64,
    /// The address that may veto a pending model (e.g. a DAO); none: no
    /// veto.
    #[serde(default)]
    pub guardian: Option<String>,
    /// Blocks between a governance change (`UpdateConfig`, test samples,
    /// `Rollback`) being queued and its earliest application. 0: applied
    /// at once when nothing holds it back.
    #[serde(default)]
    pub governance_delay: u64,
    /// The address that commits hidden test batches (`CommitBatch`); none:
    /// no hidden batches.
    #[serde(default)]
    pub curator: Option<String>,
}

/// Default `stall_blocks`: 600 blocks (about an hour at 6 s blocks).
pub const DEFAULT_STALL_BLOCKS: u64 = 600;
/// Default `stall_fee`: 5% of the bond.
pub const DEFAULT_STALL_FEE: Decimal = Decimal::percent(5);

/// Default `envelope_margin`: 5% of each feature's test-set range on each
/// side. The margin is the band of values no sample exercised that a model
/// still sees unclamped: narrow, so a trigger must sit within 5% of the
/// range beyond the extremes the judge saw, yet wide enough that honest
/// inputs just beyond the test set's extremes pass unchanged (and are not
/// reported, so an integrator denying out-of-envelope inputs does not
/// refuse every new record value).
pub const DEFAULT_ENVELOPE_MARGIN: Decimal = Decimal::percent(5);

/// [`DEFAULT_ENVELOPE_MARGIN`], on (serde default).
pub fn default_envelope_margin() -> Option<Decimal> {
    Some(DEFAULT_ENVELOPE_MARGIN)
}

/// [`DEFAULT_STALL_BLOCKS`] (serde default).
pub fn default_stall_blocks() -> u64 {
    DEFAULT_STALL_BLOCKS
}

/// [`DEFAULT_STALL_FEE`] (serde default).
pub fn default_stall_fee() -> Decimal {
    DEFAULT_STALL_FEE
}

/// Default `reveal_delay`: 10 blocks.
pub const DEFAULT_REVEAL_DELAY: u64 = 10;

/// [`DEFAULT_REVEAL_DELAY`] (serde default).
pub fn default_reveal_delay() -> u64 {
    DEFAULT_REVEAL_DELAY
}

/// The largest reward share of a bond: 100 times the bond.
pub const MAX_REWARD_SHARE: Decimal = Decimal::raw(100_000_000_000_000_000_000);

/// A setting out of range.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum InvalidSetting {
    /// `n_features` is zero.
    #[error("n_features must be positive")]
    NoFeatures,
    /// `bond_denom` is empty.
    #[error("bond_denom is empty")]
    EmptyDenom,
    /// `min_bond` is zero: proposals would be free.
    #[error("min_bond must be positive")]
    ZeroBond,
    /// `max_inference_ops` is zero: every model would be refused.
    #[error("max_inference_ops must be positive")]
    ZeroBudget,
    /// `eval_batch` is zero: no evaluation could advance.
    #[error("eval_batch must be positive")]
    ZeroBatch,
    /// `max_class_ratio` below one.
    #[error("max_class_ratio must be at least 1")]
    ClassRatioBelowOne,
    /// `deny_threshold` above one (scores are in `[0, 1]`).
    #[error("deny_threshold must be at most 1")]
    ThresholdAboveOne,
    /// A reward share above [`MAX_REWARD_SHARE`].
    #[error("reward share above 100x")]
    RewardShareTooLarge,
    /// `max_check_gas` is zero: every model would be refused.
    #[error("max_check_gas must be positive")]
    ZeroCheckGas,
    /// `stall_blocks` is zero: every proposal would be stalled at once.
    #[error("stall_blocks must be positive")]
    ZeroStallBlocks,
    /// `stall_fee` above one (it is a share of the bond).
    #[error("stall_fee must be at most 1")]
    StallFeeAboveOne,
    /// `reveal_delay` is zero: a blob seen at its reveal could be
    /// committed and revealed by another in the same block.
    #[error("reveal_delay must be positive")]
    ZeroRevealDelay,
    /// A metric whose smallest counted gain does not exceed its tolerance:
    /// two models trading that metric against another could each count as
    /// better than the other (reward farming).
    #[error("{metric}: min_gain must exceed tolerance")]
    GainNotAboveTolerance {
        /// `accuracy`, `f1`, `precision` or `recall`.
        metric: &'static str,
    },
}

impl Margin {
    /// The smallest gain that counts as an improvement: `min_gain`, and
    /// always more than zero (a `min_gain` of 0 is the smallest `Decimal`
    /// step, 10^-18).
    pub fn smallest_gain(&self) -> Decimal {
        self.min_gain.max(Decimal::raw(1))
    }
}

impl Margins {
    /// Each metric's name and margin: accuracy, f1, precision, recall.
    pub fn named(&self) -> [(&'static str, &Margin); 4] {
        [
            ("accuracy", &self.accuracy),
            ("f1", &self.f1),
            ("precision", &self.precision),
            ("recall", &self.recall),
        ]
    }

    /// Every metric's smallest counted gain exceeds its tolerance
    /// ([`Margin::smallest_gain`] > `tolerance`).
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        for (metric, m) in self.named() {
            if m.smallest_gain() <= m.tolerance {
                return Err(InvalidSetting::GainNotAboveTolerance { metric });
            }
        }
        Ok(())
    }
}

impl Settings {
    /// The contract's checks of its settings.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        if self.n_features == 0 {
            return Err(InvalidSetting::NoFeatures);
        }
        if self.bond_denom.is_empty() {
            return Err(InvalidSetting::EmptyDenom);
        }
        if self.min_bond.is_zero() {
            return Err(InvalidSetting::ZeroBond);
        }
        if self.max_inference_ops == 0 {
            return Err(InvalidSetting::ZeroBudget);
        }
        if self.max_check_gas == 0 {
            return Err(InvalidSetting::ZeroCheckGas);
        }
        if self.eval_batch == 0 {
            return Err(InvalidSetting::ZeroBatch);
        }
        self.margins.validate()?;
        if !crate::class_balance::valid_ratio(self.max_class_ratio) {
            return Err(InvalidSetting::ClassRatioBelowOne);
        }
        if self.deny_threshold.is_some_and(|t| t > Decimal::one()) {
            return Err(InvalidSetting::ThresholdAboveOne);
        }
        if let RewardRule::BondShare { share } = self.reward {
            if share > MAX_REWARD_SHARE {
                return Err(InvalidSetting::RewardShareTooLarge);
            }
        }
        if self.stall_blocks == 0 {
            return Err(InvalidSetting::ZeroStallBlocks);
        }
        if self.stall_fee > Decimal::one() {
            return Err(InvalidSetting::StallFeeAboveOne);
        }
        if self.reveal_delay == 0 {
            return Err(InvalidSetting::ZeroRevealDelay);
        }
        Ok(())
    }
}
