//! A scenario file: the protected contracts, their normal traffic and the
//! attacks, all seeded. A new attack of a known type is a new entry of
//! `attacks`, no code.
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

/// Blocks per day at 6 s a block.
pub const BLOCKS_PER_DAY: u64 = 14_400;

/// A whole scenario file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioConfig {
    /// Seed of everything random in it.
    pub seed: u64,
    /// What the file is for (training or evaluation), for people.
    #[serde(default)]
    pub description: String,
    /// The protected contracts.
    pub contracts: Vec<ContractConfig>,
    /// Their normal traffic.
    pub normal: NormalConfig,
    /// The attacks, each played on its own copy of the normal traffic.
    pub attacks: Vec<AttackConfig>,
}

/// A protected contract.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractConfig {
    /// Its name (`vault`, `pool`): the chain address is made from it.
    pub name: String,
    /// Its action kinds, each with its share of the traffic.
    pub kinds: Vec<KindConfig>,
    /// Total value at the start, in the declared unit.
    pub total_value: u128,
    /// Mean actions per block (before the daily cycle).
    pub actions_per_block: f64,
    /// Median value of a normal action, as a share of total value.
    pub median_value_share: f64,
    /// Log-scale spread of the values (log-normal sigma).
    pub value_sigma: f64,
    /// The price at the start (its oracle's, or the pool's), in the
    /// declared price unit.
    pub price: u128,
    /// Standard deviation of the price's log step per block.
    pub price_volatility: f64,
}

/// An action kind and its share of a contract's traffic.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindConfig {
    /// Its name.
    pub name: String,
    /// Relative weight.
    pub weight: f64,
}

/// Normal traffic.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NormalConfig {
    /// Days of blocks (14,400 a day) of the training log and of the
    /// normal-only run when no action count is asked for.
    pub days: f64,
    /// Amplitude of the daily cycle of the action rate, in [0, 1).
    pub daily_amplitude: f64,
    /// Distinct users.
    pub users: u32,
    /// Probability that a normal action is a large one ...
    pub large_probability: f64,
    /// ... this many times its drawn value.
    pub large_factor: f64,
}

/// One attack (an unknown field is refused by its type's parameters).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AttackConfig {
    /// Its name in the report.
    pub name: String,
    /// Its type and parameters.
    #[serde(flatten)]
    pub attack: Attack,
    /// The contract it targets.
    pub target: String,
    /// The block it starts at (after the guard's warm-up).
    pub start_block: u64,
    /// Blocks of normal traffic played after it starts (default 1,200).
    #[serde(default = "default_run_blocks")]
    pub run_blocks: u64,
}

fn default_run_blocks() -> u64 {
    1_200
}

/// The attack types.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Attack {
    /// A flash-loan-funded drain: `actions` withdrawals of
    /// `share / actions` of total value each (each far under the outflow
    /// rule), from `callers` fresh addresses, spread over `blocks` blocks.
    FlashDrain {
        /// Action kind.
        kind: String,
        /// Total share of the initial total value it tries to take.
        share: f64,
        /// Withdrawals.
        actions: u32,
        /// Blocks it spans.
        blocks: u64,
        /// Fresh addresses it uses.
        callers: u32,
    },
    /// The oracle pushed `price_factor` times its price for
    /// `manipulated_blocks` blocks; `actions` borrows of `share / actions`
    /// each at the manipulated price, over `blocks` blocks from the start.
    OracleBorrow {
        /// Action kind.
        kind: String,
        /// Price multiplier.
        price_factor: f64,
        /// Blocks the price stays manipulated.
        manipulated_blocks: u64,
        /// Total share of the initial total value borrowed.
        share: f64,
        /// Borrows.
        actions: u32,
        /// Blocks they span.
        blocks: u64,
        /// Fresh addresses.
        callers: u32,
    },
    /// A slow drain: `share_per_window` of total value per window of
    /// `window_blocks` (each window under a simple rate limit), in
    /// `actions_per_window` actions, for `windows` windows.
    SlowDrain {
        /// Action kind.
        kind: String,
        /// Share taken per window.
        share_per_window: f64,
        /// The window it paces itself by.
        window_blocks: u64,
        /// Actions per window.
        actions_per_window: u32,
        /// Windows.
        windows: u32,
        /// Fresh addresses (rotated).
        callers: u32,
    },
    /// Many calls from one caller in one or two blocks.
    ReentrancyBurst {
        /// Action kind.
        kind: String,
        /// Calls.
        calls: u32,
        /// Share of the initial total value each takes.
        share_per_call: f64,
        /// Blocks (1 or 2).
        blocks: u64,
    },
}

impl Attack {
    /// The type's name in the file.
    pub fn type_name(&self) -> &'static str {
        match self {
            Attack::FlashDrain { .. } => "flash_drain",
            Attack::OracleBorrow { .. } => "oracle_borrow",
            Attack::SlowDrain { .. } => "slow_drain",
            Attack::ReentrancyBurst { .. } => "reentrancy_burst",
        }
    }

    /// The action kind it uses.
    pub fn kind(&self) -> &str {
        match self {
            Attack::FlashDrain { kind, .. }
            | Attack::OracleBorrow { kind, .. }
            | Attack::SlowDrain { kind, .. }
            | Attack::ReentrancyBurst { kind, .. } => kind,
        }
    }

    /// The share of the initial total value it tries to take.
    pub fn share(&self) -> f64 {
        match self {
            Attack::FlashDrain { share, .. } | Attack::OracleBorrow { share, .. } => *share,
            Attack::SlowDrain {
                share_per_window,
                windows,
                ..
            } => share_per_window * *windows as f64,
            Attack::ReentrancyBurst {
                calls,
                share_per_call,
                ..
            } => share_per_call * *calls as f64,
        }
    }
}

impl ScenarioConfig {
    /// Reads and checks a scenario file.
    pub fn load(path: &Path) -> Result<ScenarioConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let c: ScenarioConfig = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a scenario file", path.display()))?;
        c.validate()
            .with_context(|| format!("{}: invalid scenario", path.display()))?;
        Ok(c)
    }

    /// The contract named `name`.
    pub fn contract(&self, name: &str) -> Option<&ContractConfig> {
        self.contracts.iter().find(|c| c.name == name)
    }

    /// Blocks of the normal traffic's `days`.
    pub fn normal_blocks(&self) -> u64 {
        (self.normal.days * BLOCKS_PER_DAY as f64).ceil() as u64
    }

    /// The checks the generator relies on.
    pub fn validate(&self) -> Result<()> {
        if self.contracts.is_empty() {
            bail!("no contracts");
        }
        for (i, c) in self.contracts.iter().enumerate() {
            if c.name.is_empty() || self.contracts[..i].iter().any(|d| d.name == c.name) {
                bail!(
                    "contract names must be distinct and non-empty ({:?})",
                    c.name
                );
            }
            if c.kinds.is_empty() || c.kinds.iter().any(|k| k.name.is_empty() || k.weight <= 0.0) {
                bail!("{}: kinds need a name and a positive weight", c.name);
            }
            if c.total_value == 0 || c.price == 0 {
                bail!("{}: total_value and price must be positive", c.name);
            }
            for (what, v, ok) in [
                (
                    "actions_per_block",
                    c.actions_per_block,
                    c.actions_per_block > 0.0 && c.actions_per_block <= 20.0,
                ),
                (
                    "median_value_share",
                    c.median_value_share,
                    c.median_value_share > 0.0 && c.median_value_share < 0.1,
                ),
                (
                    "value_sigma",
                    c.value_sigma,
                    (0.0..=4.0).contains(&c.value_sigma),
                ),
                (
                    "price_volatility",
                    c.price_volatility,
                    (0.0..0.1).contains(&c.price_volatility),
                ),
            ] {
                if !v.is_finite() || !ok {
                    bail!("{}: {what} out of range ({v})", c.name);
                }
            }
        }
        let n = &self.normal;
        if !(n.days > 0.0 && n.days <= 365.0) {
            bail!("normal.days must be in (0, 365]");
        }
        if !(0.0..1.0).contains(&n.daily_amplitude) {
            bail!("normal.daily_amplitude must be in [0, 1)");
        }
        if n.users == 0 {
            bail!("normal.users must be at least 1");
        }
        if !(0.0..1.0).contains(&n.large_probability)
            || n.large_factor.is_nan()
            || n.large_factor < 1.0
        {
            bail!("normal.large_probability in [0, 1) and large_factor >= 1");
        }
        for a in &self.attacks {
            let Some(c) = self.contract(&a.target) else {
                bail!("attack {:?}: no contract {:?}", a.name, a.target);
            };
            if !c.kinds.iter().any(|k| k.name == a.attack.kind()) {
                bail!(
                    "attack {:?}: {} has no kind {:?}",
                    a.name,
                    c.name,
                    a.attack.kind()
                );
            }
            let share = a.attack.share();
            if !(share > 0.0 && share <= 1.0) {
                bail!(
                    "attack {:?}: it must take a share in (0, 1] ({share})",
                    a.name
                );
            }
            let counts_ok = match &a.attack {
                Attack::FlashDrain {
                    actions,
                    blocks,
                    callers,
                    ..
                } => *actions > 0 && *blocks > 0 && *callers > 0,
                Attack::OracleBorrow {
                    price_factor,
                    actions,
                    blocks,
                    callers,
                    manipulated_blocks,
                    ..
                } => {
                    *price_factor > 0.0
                        && *actions > 0
                        && *blocks > 0
                        && *callers > 0
                        && *manipulated_blocks >= *blocks
                }
                Attack::SlowDrain {
                    window_blocks,
                    actions_per_window,
                    windows,
                    callers,
                    ..
                } => *window_blocks > 0 && *actions_per_window > 0 && *windows > 0 && *callers > 0,
                Attack::ReentrancyBurst { calls, blocks, .. } => {
                    *calls > 0 && (1..=2).contains(blocks)
                }
            };
            if !counts_ok {
                bail!("attack {:?}: counts must be positive", a.name);
            }
            if a.run_blocks == 0 {
                bail!("attack {:?}: run_blocks must be positive", a.name);
            }
        }
        Ok(())
    }
}
