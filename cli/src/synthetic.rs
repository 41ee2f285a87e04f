//! A seeded synthetic DeFi transaction dataset: what `vigil demo` trains,
//! guards and evaluates on when no `--data` is given.
//!
//! Every row is one transaction as a lending/AMM protocol would describe it
//! to the guard before approving it: eight non-negative numbers, written as
//! the decimal strings a calling contract passes (`Check { features }`). The
//! first four are the features of the embedded default guard in
//! `inference-core/examples/guard.rs`, with the same names and units.
//!
//! | # | feature | unit | written as |
//! |---|---|---|---|
//! | 0 | `borrowed_usd` | US dollars borrowed inside the transaction (flash or collateralised loan; 0 if none) | 2 decimals |
//! | 1 | `price_impact_bps` | price move the transaction causes in the pools it trades, basis points | 1 decimal |
//! | 2 | `caller_age_blocks` | blocks since the caller first appeared (an account's first transaction, a contract's deployment) | integer |
//! | 3 | `gas_price_gwei` | gas price paid, gwei | 2 decimals |
//! | 4 | `gas_used` | gas units the transaction used | integer |
//! | 5 | `internal_calls` | internal calls (contract-to-contract messages) | integer |
//! | 6 | `tokens_touched` | distinct tokens moved | integer |
//! | 7 | `caller_is_contract` | 1 when the caller is a contract, 0 for an externally owned account | 0 or 1 |
//!
//! Each row first draws its class (attack with probability
//! `attack_share`, default [`DEFAULT_ATTACK_SHARE`]), then a [`Kind`] within
//! the class by the weights below, then every feature independently from
//! that kind's distribution: amounts, impacts, ages, gas prices and gas
//! used are log-normal (a median and a spread σ of the natural logarithm,
//! clamped to a plausible range), counts uniform on an interval, the caller
//! type a Bernoulli draw. The label is the class. Kinds overlap on purpose,
//! so no single feature (and no linear rule) separates the classes:
//!
//! * normal (label 0): **swap** (50%: small or no borrow, impact ~4 bps, old
//!   accounts, gas ~25 gwei), **transfer** (15%: no borrow or impact, ~21-65k
//!   gas), **arbitrage bot** (12%: half use flash loans of ~$300k, contracts,
//!   high priority gas ~90 gwei, many calls, small impact), **leveraged
//!   whale** (8%: borrows ~$2M from old accounts, impact ~40 bps), **new
//!   user** (15%: callers only 0-3,000 blocks old, small swaps);
//! * attack (label 1): **flash-loan price manipulation** (40%: borrows ~$20M,
//!   impact ~900 bps, a contract deployed 0-300 blocks ago, ~1.5M gas, 20-80
//!   calls), **reentrancy drain** (25%: mostly no borrow, small impact, fresh
//!   contract, 30-150 calls), **sandwich** (20%: an established bot paying
//!   ~250 gwei, impact ~150 bps, few calls), **slow oracle manipulation**
//!   (15%: the attacker's own capital, impact ~250 bps, ordinary gas, callers
//!   weeks old).
//!
//! Deterministic: the same seed gives the same rows on every machine
//! ([`Rng`] is SplitMix64, values are formatted with fixed decimals).
use std::path::Path;

use anyhow::Result;

use crate::rng::Rng;

/// Share of attacks when not given.
pub const DEFAULT_ATTACK_SHARE: f64 = 0.2;

/// The seed when not given.
pub const DEFAULT_SEED: u64 = 7;

/// One feature: name, unit, description.
#[derive(Clone, Copy, Debug)]
pub struct Feature {
    /// Column name.
    pub name: &'static str,
    /// Unit.
    pub unit: &'static str,
}

/// The eight features, in column order (see the module documentation).
pub const FEATURES: [Feature; 8] = [
    Feature {
        name: "borrowed_usd",
        unit: "USD",
    },
    Feature {
        name: "price_impact_bps",
        unit: "basis points",
    },
    Feature {
        name: "caller_age_blocks",
        unit: "blocks",
    },
    Feature {
        name: "gas_price_gwei",
        unit: "gwei",
    },
    Feature {
        name: "gas_used",
        unit: "gas",
    },
    Feature {
        name: "internal_calls",
        unit: "calls",
    },
    Feature {
        name: "tokens_touched",
        unit: "tokens",
    },
    Feature {
        name: "caller_is_contract",
        unit: "0/1",
    },
];

/// What produced a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A retail swap.
    Swap,
    /// A plain token transfer.
    Transfer,
    /// A benign arbitrage bot (sometimes with a flash loan).
    Arbitrage,
    /// A leveraged position opened by an old account.
    LeveragedWhale,
    /// A brand-new account's first small trades.
    NewUser,
    /// Attack: flash-loan-funded price manipulation.
    FlashLoanManipulation,
    /// Attack: a reentrancy drain from a freshly deployed contract.
    ReentrancyDrain,
    /// Attack: a sandwich (front-run and back-run a victim's swap).
    Sandwich,
    /// Attack: oracle manipulation with the attacker's own capital.
    OracleManipulation,
}

/// Normal kinds and their weights within the normal class.
pub const NORMAL: [(Kind, f64); 5] = [
    (Kind::Swap, 0.50),
    (Kind::Transfer, 0.15),
    (Kind::Arbitrage, 0.12),
    (Kind::LeveragedWhale, 0.08),
    (Kind::NewUser, 0.15),
];

/// Attack kinds and their weights within the attack class.
pub const ATTACKS: [(Kind, f64); 4] = [
    (Kind::FlashLoanManipulation, 0.40),
    (Kind::ReentrancyDrain, 0.25),
    (Kind::Sandwich, 0.20),
    (Kind::OracleManipulation, 0.15),
];

impl Kind {
    /// Whether this kind is an attack (label 1).
    pub fn is_attack(self) -> bool {
        ATTACKS.iter().any(|&(k, _)| k == self)
    }

    /// A short human name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Swap => "swap",
            Kind::Transfer => "transfer",
            Kind::Arbitrage => "arbitrage bot",
            Kind::LeveragedWhale => "leveraged whale",
            Kind::NewUser => "new user",
            Kind::FlashLoanManipulation => "flash-loan manipulation",
            Kind::ReentrancyDrain => "reentrancy drain",
            Kind::Sandwich => "sandwich",
            Kind::OracleManipulation => "oracle manipulation",
        }
    }
}

/// One synthetic transaction.
#[derive(Clone, Debug, PartialEq)]
pub struct Tx {
    /// What produced it.
    pub kind: Kind,
    /// The feature values as decimal strings, in [`FEATURES`] order.
    pub features: Vec<String>,
}

impl Tx {
    /// The label: attack or not.
    pub fn label(&self) -> bool {
        self.kind.is_attack()
    }
}

fn pick(weights: &[(Kind, f64)], rng: &mut Rng) -> Kind {
    let mut u = rng.unit() * weights.iter().map(|w| w.1).sum::<f64>();
    for &(k, w) in weights {
        if u < w {
            return k;
        }
        u -= w;
    }
    weights[weights.len() - 1].0
}

/// The distributions, drawn for one kind.
struct Draw<'a>(&'a mut Rng);

impl Draw<'_> {
    /// Log-normal, clamped.
    fn ln(&mut self, median: f64, sigma: f64, lo: f64, hi: f64) -> f64 {
        self.0.log_normal(median, sigma).clamp(lo, hi)
    }
    /// With probability `p`, a log-normal draw; else 0.
    fn maybe(&mut self, p: f64, median: f64, sigma: f64, lo: f64, hi: f64) -> f64 {
        if self.0.unit() < p {
            self.ln(median, sigma, lo, hi)
        } else {
            0.0
        }
    }
    /// Uniform integer in `lo..=hi`.
    fn int(&mut self, lo: u64, hi: u64) -> f64 {
        (lo + self.0.below(hi - lo + 1)) as f64
    }
    fn bit(&mut self, p: f64) -> f64 {
        f64::from(u8::from(self.0.unit() < p))
    }
}

/// Draw the raw values of one transaction of `kind`.
fn values(kind: Kind, rng: &mut Rng) -> [f64; 8] {
    let mut d = Draw(rng);
    // borrowed, impact, age, gas price, gas used, calls, tokens, contract
    match kind {
        Kind::Swap => [
            d.maybe(0.05, 2e3, 1.0, 10.0, 1e6),
            d.ln(4.0, 1.0, 0.1, 200.0),
            d.ln(4e5, 1.3, 100.0, 2e7),
            d.ln(25.0, 0.35, 1.0, 500.0),
            d.ln(140e3, 0.35, 60e3, 1e6).round(),
            d.int(1, 6),
            d.int(1, 3),
            d.bit(0.05),
        ],
        Kind::Transfer => [
            0.0,
            0.0,
            d.ln(6e5, 1.5, 100.0, 2e7),
            d.ln(22.0, 0.35, 1.0, 500.0),
            d.int(21_000, 65_000),
            d.int(0, 2),
            1.0,
            d.bit(0.03),
        ],
        Kind::Arbitrage => [
            d.maybe(0.5, 3e5, 1.2, 1e3, 5e7),
            d.ln(15.0, 0.8, 0.1, 500.0),
            d.ln(2e5, 1.2, 1e3, 2e7),
            d.ln(90.0, 0.6, 5.0, 2000.0),
            d.ln(350e3, 0.4, 80e3, 3e6).round(),
            d.int(6, 25),
            d.int(2, 5),
            d.bit(0.95),
        ],
        Kind::LeveragedWhale => [
            d.ln(2e6, 1.0, 5e4, 1e9),
            d.ln(40.0, 0.8, 0.5, 2000.0),
            d.ln(8e5, 1.0, 5e3, 2e7),
            d.ln(30.0, 0.4, 1.0, 500.0),
            d.ln(400e3, 0.3, 100e3, 3e6).round(),
            d.int(4, 14),
            d.int(2, 4),
            d.bit(0.3),
        ],
        Kind::NewUser => [
            d.maybe(0.1, 1e3, 1.0, 10.0, 1e5),
            d.ln(3.0, 1.0, 0.1, 200.0),
            d.int(0, 3_000),
            d.ln(28.0, 0.4, 1.0, 500.0),
            d.ln(120e3, 0.4, 21e3, 1e6).round(),
            d.int(1, 5),
            d.int(1, 2),
            d.bit(0.02),
        ],
        Kind::FlashLoanManipulation => [
            d.ln(2e7, 1.2, 2e5, 1e9),
            d.ln(900.0, 0.7, 20.0, 9_000.0),
            d.int(0, 300),
            d.ln(60.0, 0.6, 5.0, 2000.0),
            d.ln(1.5e6, 0.4, 300e3, 1.5e7).round(),
            d.int(20, 80),
            d.int(3, 8),
            1.0,
        ],
        Kind::ReentrancyDrain => [
            d.maybe(0.3, 5e4, 1.0, 1e3, 1e7),
            d.ln(8.0, 1.0, 0.1, 1_000.0),
            d.int(0, 2_000),
            d.ln(35.0, 0.5, 1.0, 1000.0),
            d.ln(900e3, 0.5, 150e3, 1.5e7).round(),
            d.int(30, 150),
            d.int(1, 3),
            1.0,
        ],
        Kind::Sandwich => [
            d.maybe(0.4, 2e5, 1.0, 1e3, 5e7),
            d.ln(150.0, 0.6, 5.0, 3_000.0),
            d.ln(5e4, 1.5, 500.0, 2e7),
            d.ln(250.0, 0.5, 20.0, 5000.0),
            d.ln(250e3, 0.4, 80e3, 3e6).round(),
            d.int(3, 12),
            d.int(2, 3),
            d.bit(0.95),
        ],
        Kind::OracleManipulation => [
            d.maybe(0.5, 5e5, 1.0, 1e3, 1e8),
            d.ln(250.0, 0.8, 5.0, 5_000.0),
            d.ln(2e4, 1.5, 100.0, 2e7),
            d.ln(30.0, 0.4, 1.0, 500.0),
            d.ln(300e3, 0.4, 80e3, 3e6).round(),
            d.int(4, 15),
            d.int(2, 4),
            d.bit(0.6),
        ],
    }
}

/// Decimals each feature is written with.
const DECIMALS: [usize; 8] = [2, 1, 0, 2, 0, 0, 0, 0];

/// One transaction of `kind`.
pub fn transaction(kind: Kind, rng: &mut Rng) -> Tx {
    let v = values(kind, rng);
    let features = v
        .iter()
        .zip(DECIMALS)
        .map(|(x, places)| format!("{x:.places$}"))
        .collect();
    Tx { kind, features }
}

/// `rows` transactions, each an attack with probability `attack_share`.
pub fn generate(rows: usize, attack_share: f64, rng: &mut Rng) -> Vec<Tx> {
    (0..rows)
        .map(|_| {
            let kind = if rng.unit() < attack_share {
                pick(&ATTACKS, rng)
            } else {
                pick(&NORMAL, rng)
            };
            transaction(kind, rng)
        })
        .collect()
}

/// A training set and a test set, independent streams of one seed.
pub fn dataset(seed: u64, train: usize, test: usize, attack_share: f64) -> (Vec<Tx>, Vec<Tx>) {
    let root = Rng::new(seed);
    (
        generate(train, attack_share, &mut root.fork(1)),
        generate(test, attack_share, &mut root.fork(2)),
    )
}

/// The order of kinds in a demo stream: every kind, attacks interleaved
/// (9 normal, 7 attacks per 16).
pub const STREAM: [Kind; 16] = [
    Kind::Swap,
    Kind::FlashLoanManipulation,
    Kind::Transfer,
    Kind::Arbitrage,
    Kind::ReentrancyDrain,
    Kind::NewUser,
    Kind::Sandwich,
    Kind::LeveragedWhale,
    Kind::FlashLoanManipulation,
    Kind::Swap,
    Kind::OracleManipulation,
    Kind::Arbitrage,
    Kind::ReentrancyDrain,
    Kind::NewUser,
    Kind::Sandwich,
    Kind::Swap,
];

/// `n` fresh transactions (a third stream of `seed`, independent of the
/// data set) cycling through [`STREAM`].
pub fn stream(seed: u64, n: usize) -> Vec<Tx> {
    let mut rng = Rng::new(seed).fork(3);
    (0..n)
        .map(|i| transaction(STREAM[i % STREAM.len()], &mut rng))
        .collect()
}

/// Write transactions as a CSV with the [`FEATURES`] columns and a `label`
/// column (what `vigil train` reads).
pub fn write_csv(path: &Path, txs: &[Tx]) -> Result<()> {
    let columns: Vec<&str> = FEATURES.iter().map(|f| f.name).collect();
    crate::data::write_csv(
        path,
        &columns,
        "label",
        txs.iter().map(|t| (t.features.as_slice(), t.label())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_inference_core::decimal::Exact;

    #[test]
    fn deterministic_and_valid() {
        let (a, b) = dataset(DEFAULT_SEED, 2_000, 500, DEFAULT_ATTACK_SHARE);
        let (a2, _) = dataset(DEFAULT_SEED, 2_000, 500, DEFAULT_ATTACK_SHARE);
        assert_eq!(a, a2);
        assert_ne!(a[..10], b[..10]);
        let share = a.iter().filter(|t| t.label()).count() as f64 / a.len() as f64;
        assert!((share - DEFAULT_ATTACK_SHARE).abs() < 0.03, "{share}");
        for tx in a.iter().chain(&b) {
            assert_eq!(tx.features.len(), FEATURES.len());
            for v in &tx.features {
                // What the contract accepts for test samples and checks.
                let e = Exact::parse(v).unwrap_or_else(|e| panic!("{v}: {e}"));
                assert!(!v.starts_with('-'), "{v}");
                let _ = e;
            }
        }
        let s = stream(DEFAULT_SEED, 16);
        assert_eq!(s.iter().filter(|t| t.label()).count(), 7);
        assert_eq!(s, stream(DEFAULT_SEED, 16));
    }

    #[test]
    fn attacks_differ_from_normal_flows() {
        let (rows, _) = dataset(1, 5_000, 0, 0.5);
        let median = |attack: bool, j: usize| {
            let mut v: Vec<f64> = rows
                .iter()
                .filter(|t| t.label() == attack)
                .map(|t| t.features[j].parse().unwrap())
                .collect();
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        // Fresh callers, large price impact, more calls and gas.
        assert!(median(true, 2) < median(false, 2) / 10.0);
        assert!(median(true, 1) > 5.0 * median(false, 1));
        assert!(median(true, 4) > 2.0 * median(false, 4));
        assert!(median(true, 5) > 2.0 * median(false, 5));
    }
}
