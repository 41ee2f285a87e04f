//! Breaker scenarios: normal traffic of protected contracts and attacks on
//! them, from a seeded JSON file (`cli/scenarios/breaker.json`, and
//! `breaker-train.json` with other seeds and attack parameters for training
//! the breaker's model), as transaction logs; the features the guard derives
//! from a log ([`features`]: `vigil_inference_core::baseline`, the
//! contract's own derivation); and the log played against a guard
//! ([`play`]: no guard, an ERC-7265-style fixed rate limit, the guard's own
//! rules natively; `vigil demo --breaker` adds the shipped contract in
//! cosmwasm-vm).
//!
//! Modules, each using only those before it: `config`, `traffic`,
//! `attacks`, `features`, `play`, `train`, `evaluate`.
use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};

pub mod attacks;
pub mod config;
pub mod evaluate;
pub mod features;
pub mod play;
pub mod traffic;
pub mod train;

pub use config::{Attack, AttackConfig, ScenarioConfig};
pub use traffic::{address, PricePaths};

/// The columns of a transaction log, in order.
pub const LOG_COLUMNS: [&str; 8] = [
    "height",
    "contract",
    "kind",
    "value",
    "total_value",
    "price",
    "caller",
    "label",
];

/// One guarded action of a transaction log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogRow {
    /// Block height.
    pub height: u64,
    /// The protected contract (its name in the scenario file).
    pub contract: String,
    /// Action kind.
    pub kind: String,
    /// Value at risk (leaving if paid).
    pub value: u128,
    /// The protocol's total value before it.
    pub total_value: u128,
    /// The price it used (0: none).
    pub price: u128,
    /// The caller's address.
    pub caller: String,
    /// Whether it is an attack's.
    pub label: bool,
}

/// Normal traffic and attack rows in height order (normal actions first
/// within a block), an oracle attack's prices applied, and each row's
/// `total_value` the running one when every action is paid (attacks take
/// value; normal outflows are matched by deposits). An attack's action
/// larger than what is left takes what is left.
fn merge(cfg: &ScenarioConfig, mut rows: Vec<LogRow>, attacks: &[usize]) -> Vec<LogRow> {
    rows.sort_by_key(|r| (r.height, r.label));
    for &i in attacks {
        attacks::manipulate_prices(&cfg.attacks[i], &mut rows);
    }
    settle_unguarded(cfg, &mut rows);
    rows
}

/// Each row's `total_value`: the contract's initial less what attacks took
/// before it, every action paid.
pub fn settle_unguarded(cfg: &ScenarioConfig, rows: &mut Vec<LogRow>) {
    let mut left: BTreeMap<String, u128> = cfg
        .contracts
        .iter()
        .map(|c| (c.name.clone(), c.total_value))
        .collect();
    rows.retain_mut(|r| {
        let Some(total) = left.get_mut(&r.contract) else {
            return true;
        };
        r.total_value = *total;
        if r.label {
            r.value = r.value.min(*total);
            *total -= r.value;
        }
        r.value > 0 && r.total_value > 0
    });
}

/// Attack `index` of `cfg` on its copy of the normal traffic: from block 0
/// (the guard's warm-up) to `run_blocks` after its start.
pub fn scenario_log(cfg: &ScenarioConfig, prices: &PricePaths, index: usize) -> Vec<LogRow> {
    let a = &cfg.attacks[index];
    let end = a.start_block + a.run_blocks;
    let mut rows = traffic::normal_traffic(cfg, prices, index as u64 + 1, end, None);
    rows.extend(attacks::attack_rows(cfg, prices, index));
    merge(cfg, rows, &[index])
}

/// The whole file as one log (training data): the normal-only run of
/// `normal.days`, and each attack on its own copy of the normal traffic
/// with its contracts renamed `name@attack` (their own baselines and
/// totals, as if each attack hit a fresh deployment), in height order. Of
/// an attack's copy only the normal actions before it starts are kept: the
/// normal actions beside an attack see its outflow in their window, and
/// are neither normal nor attack examples.
pub fn full_log(cfg: &ScenarioConfig) -> Vec<LogRow> {
    let mut rows = normal_log(cfg, None);
    let end = cfg
        .attacks
        .iter()
        .map(|a| a.start_block + a.run_blocks)
        .max()
        .unwrap_or(0);
    let prices = PricePaths::new(cfg, end);
    for (i, a) in cfg.attacks.iter().enumerate() {
        rows.extend(
            scenario_log(cfg, &prices, i)
                .into_iter()
                .filter(|r| r.label || r.height < a.start_block)
                .map(|mut r| {
                    r.contract = format!("{}@{}", r.contract, a.name);
                    r
                }),
        );
    }
    rows.sort_by_key(|r| r.height);
    rows
}

/// Normal traffic alone: `actions` actions, or `normal.days` of it.
pub fn normal_log(cfg: &ScenarioConfig, actions: Option<usize>) -> Vec<LogRow> {
    // Enough blocks for the count at the quietest rate.
    let per_block: f64 = cfg.contracts.iter().map(|c| c.actions_per_block).sum();
    let end = match actions {
        Some(n) => {
            (n as f64 / (per_block * (1.0 - cfg.normal.daily_amplitude)).max(1e-3)).ceil() as u64
                + 1
        }
        None => cfg.normal_blocks(),
    };
    let prices = PricePaths::new(cfg, end);
    traffic::normal_traffic(cfg, &prices, 0, end, actions)
}

/// Writes a log as CSV ([`LOG_COLUMNS`]).
pub fn write_log(path: &Path, rows: &[LogRow]) -> Result<()> {
    let mut out = LOG_COLUMNS.join(",");
    out.push('\n');
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            r.height, r.contract, r.kind, r.value, r.total_value, r.price, r.caller, r.label as u8
        ));
    }
    std::fs::write(path, out).with_context(|| format!("cannot write {}", path.display()))
}

/// Reads a log written by [`write_log`] (or by hand: the same columns in
/// any order, `label` optional).
pub fn read_log(path: &Path) -> Result<Vec<LogRow>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse_log(&text).with_context(|| format!("{}", path.display()))
}

/// See [`read_log`].
pub fn parse_log(text: &str) -> Result<Vec<LogRow>> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        bail!("empty log");
    };
    let names: Vec<&str> = header.split(',').map(str::trim).collect();
    let col = |name: &str| names.iter().position(|n| *n == name);
    let mut at = [0usize; 8];
    for (i, c) in LOG_COLUMNS.iter().enumerate() {
        at[i] = match col(c) {
            Some(p) => p,
            None if *c == "label" => usize::MAX,
            None => bail!("no column {c:?} (columns: {})", LOG_COLUMNS.join(",")),
        };
    }
    let mut rows = Vec::new();
    for (n, line) in lines {
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        let get = |i: usize| -> Result<&str> {
            f.get(at[i])
                .copied()
                .with_context(|| format!("line {}: no {} value", n + 1, LOG_COLUMNS[i]))
        };
        let num = |i: usize| -> Result<u128> {
            let s = get(i)?;
            s.parse::<u128>().with_context(|| {
                format!(
                    "line {}: {} must be a whole number, got {s:?}",
                    n + 1,
                    LOG_COLUMNS[i]
                )
            })
        };
        let height =
            u64::try_from(num(0)?).with_context(|| format!("line {}: height too large", n + 1))?;
        let label = if at[7] == usize::MAX {
            false
        } else {
            match get(7)? {
                "1" | "true" => true,
                "0" | "false" => false,
                s => bail!("line {}: label must be 0 or 1, got {s:?}", n + 1),
            }
        };
        rows.push(LogRow {
            height,
            contract: get(1)?.to_string(),
            kind: get(2)?.to_string(),
            value: num(3)?,
            total_value: num(4)?,
            price: num(5)?,
            caller: get(6)?.to_string(),
            label,
        });
    }
    if rows.windows(2).any(|w| w[1].height < w[0].height) {
        bail!("heights must not decrease");
    }
    Ok(rows)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small file of every attack type.
    pub(crate) fn sample_config() -> ScenarioConfig {
        serde_json::from_str(
            r#"{
              "seed": 7,
              "contracts": [
                {"name": "vault", "kinds": [{"name": "withdraw", "weight": 3}, {"name": "borrow", "weight": 1}],
                 "total_value": 1000000000000, "actions_per_block": 0.3, "median_value_share": 0.0002,
                 "value_sigma": 1.0, "price": 1000000, "price_volatility": 0.0005},
                {"name": "pool", "kinds": [{"name": "swap", "weight": 1}],
                 "total_value": 500000000000, "actions_per_block": 0.3, "median_value_share": 0.0003,
                 "value_sigma": 1.2, "price": 2000000, "price_volatility": 0.001}
              ],
              "normal": {"days": 0.25, "daily_amplitude": 0.5, "users": 300,
                         "large_probability": 0.002, "large_factor": 20},
              "attacks": [
                {"name": "flash", "type": "flash_drain", "target": "vault", "start_block": 2000,
                 "kind": "withdraw", "share": 0.3, "actions": 30, "blocks": 3, "callers": 3},
                {"name": "oracle", "type": "oracle_borrow", "target": "vault", "start_block": 2000,
                 "kind": "borrow", "price_factor": 1.5, "manipulated_blocks": 20, "share": 0.2,
                 "actions": 10, "blocks": 5, "callers": 1},
                {"name": "slow", "type": "slow_drain", "target": "pool", "start_block": 2000,
                 "kind": "swap", "share_per_window": 0.03, "window_blocks": 10,
                 "actions_per_window": 2, "windows": 20, "callers": 4},
                {"name": "burst", "type": "reentrancy_burst", "target": "vault", "start_block": 2000,
                 "kind": "withdraw", "calls": 40, "share_per_call": 0.005, "blocks": 1}
              ]
            }"#,
        )
        .unwrap()
    }

    #[test]
    fn the_sample_and_the_shipped_files_validate() {
        sample_config().validate().unwrap();
        for f in ["breaker.json", "breaker-train.json"] {
            let p = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("scenarios")
                .join(f);
            let c = ScenarioConfig::load(&p).unwrap();
            assert!(!c.attacks.is_empty(), "{f}");
            for t in [
                "flash_drain",
                "oracle_borrow",
                "slow_drain",
                "reentrancy_burst",
            ] {
                assert!(
                    c.attacks.iter().any(|a| a.attack.type_name() == t),
                    "{f}: {t}"
                );
            }
        }
    }

    #[test]
    fn bad_files_are_refused_with_the_reason() {
        let mut c = sample_config();
        c.attacks[0].target = "nowhere".into();
        assert!(c.validate().unwrap_err().to_string().contains("nowhere"));
        let mut c = sample_config();
        c.attacks[3].attack = Attack::ReentrancyBurst {
            kind: "withdraw".into(),
            calls: 10,
            share_per_call: 0.2,
            blocks: 1,
        };
        assert!(c.validate().unwrap_err().to_string().contains("share"));
        let text = r#"{"seed": 1, "contracts": [], "normal": {}, "attacks": [], "extra": 1}"#;
        assert!(serde_json::from_str::<ScenarioConfig>(text).is_err());
    }

    #[test]
    fn a_scenario_log_is_ordered_and_its_totals_fall_by_what_attacks_take() {
        let cfg = sample_config();
        let prices = PricePaths::new(&cfg, 4_000);
        let rows = scenario_log(&cfg, &prices, 0);
        assert!(rows.windows(2).all(|w| w[0].height <= w[1].height));
        let attack: Vec<&LogRow> = rows.iter().filter(|r| r.label).collect();
        assert_eq!(attack.len(), 30);
        let last = rows.last().unwrap();
        let taken: u128 = attack.iter().map(|r| r.value).sum();
        let vault = rows.iter().rev().find(|r| r.contract == "vault").unwrap();
        assert_eq!(vault.total_value, 1_000_000_000_000 - taken);
        assert!(last.height < 2_000 + 1_200);
        // The log round-trips through CSV.
        let d = std::env::temp_dir().join(format!("vigil-log-{}.csv", std::process::id()));
        write_log(&d, &rows).unwrap();
        assert_eq!(read_log(&d).unwrap(), rows);
        std::fs::remove_file(&d).unwrap();
        // Bad logs: typed, with the line.
        let e = parse_log("height,contract,kind,value,total_value,price,caller\n1,v,w,x,1,1,a\n")
            .unwrap_err();
        assert!(format!("{e:#}").contains("line 2: value"), "{e:#}");
        assert!(parse_log("height,contract\n").is_err());
        let e = parse_log(
            "height,contract,kind,value,total_value,price,caller\n2,v,w,1,1,1,a\n1,v,w,1,1,1,a\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("decrease"), "{e}");
    }

    #[test]
    fn an_oracle_attack_moves_every_price_of_its_target_in_its_window() {
        let cfg = sample_config();
        let prices = PricePaths::new(&cfg, 4_000);
        let rows = scenario_log(&cfg, &prices, 1);
        for r in rows.iter().filter(|r| r.contract == "vault") {
            let truth = prices.at(0, r.height) as f64;
            let f = if (2_000..2_020).contains(&r.height) {
                1.5
            } else {
                1.0
            };
            assert!((r.price as f64 / truth - f).abs() < 1e-3, "{r:?}");
        }
    }

    #[test]
    fn a_normal_log_has_the_count_asked_for() {
        let cfg = sample_config();
        assert_eq!(normal_log(&cfg, Some(5_000)).len(), 5_000);
        assert!(normal_log(&cfg, None).iter().all(|r| !r.label));
    }
}
