//! The attacks of a scenario file as log rows (label 1), and the price
//! manipulation an oracle attack makes every action of its target see.
use super::config::{Attack, AttackConfig, ScenarioConfig};
use super::traffic::{address, PricePaths, ATTACK_STREAM};
use super::LogRow;
use crate::rng::Rng;

/// The blocks an attack touches, from its start (the last included).
pub fn last_block(a: &AttackConfig) -> u64 {
    a.start_block
        + match &a.attack {
            Attack::FlashDrain { blocks, .. }
            | Attack::ReentrancyBurst { blocks, .. }
            | Attack::OracleBorrow { blocks, .. } => blocks - 1,
            Attack::SlowDrain {
                window_blocks,
                windows,
                ..
            } => window_blocks * *windows as u64 - 1,
        }
}

/// Attack number `index` of `cfg` as rows (heights from its start block,
/// label 1), each at its target's true price of the block (the merged log
/// applies an oracle attack's manipulation: [`manipulate_prices`]). `total_value` is the
/// target's initial; [`super::settle_unguarded`] makes it the running one.
pub fn attack_rows(cfg: &ScenarioConfig, prices: &PricePaths, index: usize) -> Vec<LogRow> {
    let a = &cfg.attacks[index];
    let ci = cfg
        .contracts
        .iter()
        .position(|c| c.name == a.target)
        .expect("validated: the target exists");
    let c = &cfg.contracts[ci];
    let total = c.total_value as f64;
    let mut rng = Rng::new(cfg.seed).fork(ATTACK_STREAM + index as u64);
    let callers = |n: u32| -> Vec<String> {
        (0..n.max(1))
            .map(|i| address(&format!("attacker-{}-{i}", a.name)))
            .collect()
    };
    let row = |height: u64, value: f64, caller: &str| LogRow {
        height,
        contract: c.name.clone(),
        kind: a.attack.kind().to_string(),
        value: value.round().max(1.0) as u128,
        total_value: c.total_value,
        price: prices.at(ci, height),
        caller: caller.to_string(),
        label: true,
    };
    // `n` actions over `blocks` blocks from the start, in order.
    let spread = |i: u32, n: u32, blocks: u64| a.start_block + (i as u64 * blocks) / n as u64;
    let mut rows = Vec::new();
    match &a.attack {
        Attack::FlashDrain {
            share,
            actions,
            blocks,
            callers: k,
            ..
        }
        | Attack::OracleBorrow {
            share,
            actions,
            blocks,
            callers: k,
            ..
        } => {
            let who = callers(*k);
            let each = share * total / *actions as f64;
            for i in 0..*actions {
                // Within 10% of the even split: not all identical.
                let v = each * rng.range(0.9, 1.1);
                let caller = &who[rng.below(who.len() as u64) as usize];
                rows.push(row(spread(i, *actions, *blocks), v, caller));
            }
        }
        Attack::SlowDrain {
            share_per_window,
            window_blocks,
            actions_per_window,
            windows,
            callers: k,
            ..
        } => {
            let who = callers(*k);
            let each = share_per_window * total / *actions_per_window as f64;
            for w in 0..*windows {
                for j in 0..*actions_per_window {
                    let h = a.start_block
                        + w as u64 * window_blocks
                        + (j as u64 * window_blocks) / *actions_per_window as u64;
                    let v = each * rng.range(0.9, 1.1);
                    let caller = &who[((w * actions_per_window + j) as usize) % who.len()];
                    rows.push(row(h, v, caller));
                }
            }
        }
        Attack::ReentrancyBurst {
            calls,
            share_per_call,
            blocks,
            ..
        } => {
            let who = callers(1);
            for i in 0..*calls {
                rows.push(row(
                    spread(i, *calls, *blocks),
                    share_per_call * total,
                    &who[0],
                ));
            }
        }
    }
    rows
}

/// An oracle attack's manipulated prices on every row of its target in its
/// window (normal actions there see the manipulated price too).
pub fn manipulate_prices(a: &AttackConfig, rows: &mut [LogRow]) {
    if let Attack::OracleBorrow {
        price_factor,
        manipulated_blocks,
        ..
    } = &a.attack
    {
        let end = a.start_block + manipulated_blocks;
        for r in rows
            .iter_mut()
            .filter(|r| r.contract == a.target && (a.start_block..end).contains(&r.height))
        {
            r.price = ((r.price as f64) * price_factor).round().max(1.0) as u128;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample_config;
    use super::*;

    #[test]
    fn each_type_takes_its_share_in_its_blocks() {
        let cfg = sample_config();
        let prices = PricePaths::new(&cfg, 10_000);
        for (i, a) in cfg.attacks.iter().enumerate() {
            let mut rows = attack_rows(&cfg, &prices, i);
            manipulate_prices(a, &mut rows);
            assert!(rows.iter().all(|r| r.label && r.contract == a.target));
            assert!(rows
                .iter()
                .all(|r| (a.start_block..=last_block(a)).contains(&r.height)));
            assert!(rows.windows(2).all(|w| w[0].height <= w[1].height));
            let total = cfg.contract(&a.target).unwrap().total_value as f64;
            let taken: f64 = rows.iter().map(|r| r.value as f64).sum::<f64>() / total;
            assert!(
                (taken - a.attack.share()).abs() < 0.1 * a.attack.share(),
                "{}: {taken} vs {}",
                a.name,
                a.attack.share()
            );
            match &a.attack {
                Attack::ReentrancyBurst { .. } => {
                    assert!(rows.iter().all(|r| r.caller == rows[0].caller))
                }
                Attack::OracleBorrow { price_factor, .. } => {
                    let ci = cfg
                        .contracts
                        .iter()
                        .position(|c| c.name == a.target)
                        .unwrap();
                    for r in &rows {
                        let true_price = prices.at(ci, r.height) as f64;
                        assert!((r.price as f64 / true_price - price_factor).abs() < 1e-3);
                    }
                }
                _ => {}
            }
        }
    }
}
