//! Normal traffic: per protected contract, Poisson actions per block with a
//! daily cycle, log-normal values with occasional large honest ones, callers
//! from a fixed set of users, and the price each action used (a random
//! walk per contract).
use cosmwasm_std::testing::MockApi;

use super::config::{ContractConfig, ScenarioConfig, BLOCKS_PER_DAY};
use super::LogRow;
use crate::rng::Rng;

/// RNG streams (forks of the file's seed).
pub(super) const PRICE_STREAM: u64 = 1;
/// See [`PRICE_STREAM`].
pub(super) const TRAFFIC_STREAM: u64 = 2;
/// Attack `i` uses `ATTACK_STREAM + i`.
pub(super) const ATTACK_STREAM: u64 = 100;

/// No normal action takes more than this share of total value.
pub const MAX_NORMAL_SHARE: f64 = 0.05;

/// A valid bech32 address for `name` (the one `vigil_chain_sim::Chain::addr`
/// makes: the mock API's), so a log plays on the simulated chain as it is.
pub fn address(name: &str) -> String {
    MockApi::default().addr_make(name).to_string()
}

/// The price of each contract at each block from 0: a random walk of
/// log-steps with the contract's volatility, pulled weakly back to its
/// start.
#[derive(Clone, Debug)]
pub struct PricePaths {
    paths: Vec<Vec<u128>>,
}

impl PricePaths {
    /// Paths for blocks `0..blocks`.
    pub fn new(cfg: &ScenarioConfig, blocks: u64) -> PricePaths {
        let root = Rng::new(cfg.seed).fork(PRICE_STREAM);
        let paths = cfg
            .contracts
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut rng = root.fork(i as u64);
                let mut x = 0.0f64; // log of price / start
                (0..blocks)
                    .map(|_| {
                        let p = (c.price as f64 * x.exp()).round().max(1.0) as u128;
                        x += c.price_volatility * rng.normal() - x / 2_000.0;
                        p
                    })
                    .collect()
            })
            .collect();
        PricePaths { paths }
    }

    /// Contract `i`'s price at `height` (the last known past the end).
    pub fn at(&self, contract: usize, height: u64) -> u128 {
        let p = &self.paths[contract];
        p[(height as usize).min(p.len() - 1)]
    }
}

/// Expected actions of `c` in block `h` (the daily cycle: quietest at a
/// quarter day, busiest at three quarters).
fn rate(c: &ContractConfig, amplitude: f64, h: u64) -> f64 {
    let phase = (h % BLOCKS_PER_DAY) as f64 / BLOCKS_PER_DAY as f64;
    c.actions_per_block * (1.0 - amplitude * (std::f64::consts::TAU * phase).sin())
}

/// Poisson draw (Knuth; the rates are small).
fn poisson(rng: &mut Rng, lambda: f64) -> u32 {
    let l = (-lambda).exp();
    let mut k = 0;
    let mut p = rng.unit();
    while p > l && k < 1_000 {
        k += 1;
        p *= rng.unit();
    }
    k
}

/// Normal traffic from block 0, every contract, until `end_block` (not
/// included) or `max_actions` actions, whichever comes first: stream
/// `stream` (0: the normal-only run; attack `i`'s copy: `i + 1`). Its
/// blocks are the same whatever the end (a longer run extends a shorter
/// one).
/// `total_value` is each contract's initial (normal outflows are matched by
/// deposits, which are not guarded actions); `label` false.
pub fn normal_traffic(
    cfg: &ScenarioConfig,
    prices: &PricePaths,
    stream: u64,
    end_block: u64,
    max_actions: Option<usize>,
) -> Vec<LogRow> {
    let mut rng = Rng::new(cfg.seed).fork(TRAFFIC_STREAM).fork(stream);
    let users: Vec<String> = (0..cfg.normal.users)
        .map(|i| address(&format!("user{i}")))
        .collect();
    let mut rows = Vec::new();
    for h in 0..end_block {
        for (ci, c) in cfg.contracts.iter().enumerate() {
            let n = poisson(&mut rng, rate(c, cfg.normal.daily_amplitude, h));
            let weights: f64 = c.kinds.iter().map(|k| k.weight).sum();
            for _ in 0..n {
                let mut pick = rng.unit() * weights;
                let kind = c
                    .kinds
                    .iter()
                    .find(|k| {
                        pick -= k.weight;
                        pick < 0.0
                    })
                    .unwrap_or(&c.kinds[c.kinds.len() - 1]);
                let total = c.total_value as f64;
                let mut v = rng.log_normal(c.median_value_share * total, c.value_sigma);
                if rng.unit() < cfg.normal.large_probability {
                    v *= cfg.normal.large_factor;
                }
                let v = v.clamp(1.0, MAX_NORMAL_SHARE * total).round() as u128;
                let caller = &users[rng.below(users.len() as u64) as usize];
                rows.push(LogRow {
                    height: h,
                    contract: c.name.clone(),
                    kind: kind.name.clone(),
                    value: v,
                    total_value: c.total_value,
                    price: prices.at(ci, h),
                    caller: caller.clone(),
                    label: false,
                });
                if max_actions.is_some_and(|m| rows.len() >= m) {
                    return rows;
                }
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample_config;
    use super::*;

    #[test]
    fn traffic_is_seeded_and_a_longer_run_extends_a_shorter() {
        let cfg = sample_config();
        let prices = PricePaths::new(&cfg, 3_000);
        let a = normal_traffic(&cfg, &prices, 0, 2_000, None);
        let b = normal_traffic(&cfg, &prices, 0, 3_000, None);
        assert!(!a.is_empty());
        assert_eq!(a, b[..a.len()]);
        assert!(b[a.len()..].iter().all(|r| r.height >= 2_000));
        let c = normal_traffic(&cfg, &prices, 0, 3_000, Some(100));
        assert_eq!(c, b[..100]);
        // Roughly the configured rate, every kind seen, values under the cap.
        let expect: f64 = (0..3_000)
            .flat_map(|h| cfg.contracts.iter().map(move |c| (c, h)))
            .map(|(c, h)| rate(c, cfg.normal.daily_amplitude, h))
            .sum();
        assert!(
            (b.len() as f64 - expect).abs() < 0.15 * expect,
            "{} vs {expect}",
            b.len()
        );
        for c in &cfg.contracts {
            for k in &c.kinds {
                assert!(b.iter().any(|r| r.contract == c.name && r.kind == k.name));
            }
        }
        assert!(b
            .iter()
            .all(|r| (r.value as f64) <= MAX_NORMAL_SHARE * r.total_value as f64 + 1.0));
        // Another seed, other traffic.
        let mut other = cfg.clone();
        other.seed += 1;
        assert_ne!(normal_traffic(&other, &prices, 0, 2_000, None), a);
        assert_ne!(normal_traffic(&cfg, &prices, 1, 2_000, None), a);
    }

    #[test]
    fn the_daily_cycle_moves_the_rate() {
        let cfg = sample_config();
        let c = &cfg.contracts[0];
        let quiet = rate(c, 0.5, BLOCKS_PER_DAY / 4);
        let busy = rate(c, 0.5, 3 * BLOCKS_PER_DAY / 4);
        assert!((quiet - 0.5 * c.actions_per_block).abs() < 1e-9);
        assert!((busy - 1.5 * c.actions_per_block).abs() < 1e-9);
    }
}
