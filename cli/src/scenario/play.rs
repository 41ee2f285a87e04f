//! A log played against a guard: each protected contract asks for a
//! verdict, then pays, parks or refuses, and the totals fall by what
//! attackers were paid. The guards here run natively: none, an
//! ERC-7265-style fixed rate limit, and the guard's own rules
//! ([`NativeGuard`]: the core's baseline and breaker with a model, as the
//! contract composes them; `vigil demo --breaker` plays the shipped
//! contract in cosmwasm-vm through the same [`Policy`]).
use std::collections::BTreeMap;

use anyhow::{bail, Result};
use serde::Serialize;
use vigil_guard::observe::rules;
use vigil_guard_api::breaker::ProtectedSettings;
use vigil_inference_core::baseline::{to_inputs, Params, DERIVED_FEATURES};
use vigil_inference_core::breaker::{
    share_of, Breaker, Judged, Outcome, Rules, Transition, Verdict, SHARE_ONE,
};
use vigil_inference_core::{Act, Model};

use super::config::ScenarioConfig;
use super::features::{params, Deriver};
use super::LogRow;

/// What the protected contract does with an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Carried out.
    Pay,
    /// Parked (a delay).
    Park,
    /// Refused.
    Refuse,
}

/// A guard's answer on one action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// What to do.
    pub decision: Decision,
    /// Whether this action tripped a breaker.
    pub tripped: bool,
}

/// A guard a log is played against. `row.total_value` is the protocol's
/// total value as it stands.
pub trait Policy {
    /// The verdict on `row`, carried out (recorded by the guard).
    fn step(&mut self, row: &LogRow) -> Result<Step>;
}

/// No guard: everything paid.
pub struct Unguarded;

impl Policy for Unguarded {
    fn step(&mut self, _: &LogRow) -> Result<Step> {
        Ok(Step {
            decision: Decision::Pay,
            tripped: false,
        })
    }
}

/// An ERC-7265-style rate limit per protected contract: the outflow of a
/// window of `window_blocks` may not exceed `share` (parts per
/// [`SHARE_ONE`](vigil_inference_core::breaker::SHARE_ONE)) of total value;
/// the action that would cross it is refused and the limiter then refuses
/// every outflow for `cooldown_blocks`.
pub struct RateLimit {
    window_blocks: u64,
    share: u32,
    cooldown_blocks: u64,
    state: BTreeMap<String, (u64, u128, u64)>,
}

impl RateLimit {
    /// The limit at the share and window of a guard's outflow rule, and its
    /// cooldown.
    pub fn like(s: &ProtectedSettings) -> RateLimit {
        RateLimit {
            window_blocks: s.window_blocks.max(1),
            // The guard's own line (`vigil_guard::observe::rules`).
            share: rules(s).outflow_share.map_or(SHARE_ONE, |(share, _)| share),
            cooldown_blocks: s.cooldown_blocks,
            state: BTreeMap::new(),
        }
    }
}

impl Policy for RateLimit {
    fn step(&mut self, r: &LogRow) -> Result<Step> {
        let w = r.height / self.window_blocks;
        let (window, outflow, until) = self.state.entry(r.contract.clone()).or_default();
        if *window != w {
            *window = w;
            *outflow = 0;
        }
        if r.height < *until {
            return Ok(Step {
                decision: Decision::Refuse,
                tripped: false,
            });
        }
        let next = outflow.saturating_add(r.value);
        if next > share_of(r.total_value, self.share) {
            *until = r.height + self.cooldown_blocks;
            return Ok(Step {
                decision: Decision::Refuse,
                tripped: true,
            });
        }
        *outflow = next;
        Ok(Step {
            decision: Decision::Pay,
            tripped: false,
        })
    }
}

/// The guard natively: per protected contract, the core's baselines and
/// breaker with `settings` (the contract's own conversion:
/// `vigil_guard::observe::{params, rules}`), and the model scoring the seven
/// derived features (the breaker model: no base features), denying at its
/// threshold. No data envelope: the breaker's guard is deployed without a
/// public test set.
pub struct NativeGuard<'m> {
    model: Model<'m>,
    scratch: Vec<Act>,
    params: Params,
    rules: Rules,
    deriver: Deriver,
    breakers: BTreeMap<String, Breaker>,
}

impl<'m> NativeGuard<'m> {
    /// A guard with `model` (6 features) and `settings` for every contract.
    pub fn new(blob: &'m [u8], settings: &ProtectedSettings) -> Result<NativeGuard<'m>> {
        let model = Model::parse(blob)?;
        if model.n_features() != DERIVED_FEATURES {
            bail!(
                "a breaker model scores the {DERIVED_FEATURES} derived features; this one takes {}",
                model.n_features()
            );
        }
        let p = params(settings)?;
        Ok(NativeGuard {
            scratch: vec![Act::ZERO; model.scratch_len()],
            model,
            params: p,
            rules: rules(settings),
            deriver: Deriver::new(p),
            breakers: BTreeMap::new(),
        })
    }
}

impl Policy for NativeGuard<'_> {
    fn step(&mut self, r: &LogRow) -> Result<Step> {
        let derived = self.deriver.derive(r);
        let out = self.model.infer(&to_inputs(&derived), &mut self.scratch)?;
        let judged = Judged {
            height: r.height,
            window: self.params.window_of(r.height),
            value: r.value,
            total_value: r.total_value,
            score: out.score.to_bits(),
            model_denies: out.label,
        };
        let b = self.breakers.entry(r.contract.clone()).or_default();
        let j = b.judge(&self.rules, &judged);
        let (decision, outcome) = match j.verdict {
            Verdict::Allow => (Decision::Pay, Outcome::Paid),
            Verdict::Delay { .. } => (Decision::Park, Outcome::Parked),
            Verdict::Deny(_) => (Decision::Refuse, Outcome::Refused),
        };
        *b = j.next;
        b.apply(&judged, outcome);
        if decision == Decision::Pay {
            self.deriver.record(r);
        }
        Ok(Step {
            decision,
            tripped: j
                .transitions
                .iter()
                .any(|t| matches!(t, Some(Transition::Tripped(..)))),
        })
    }
}

/// What a played log came to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Played {
    /// Attack actions and their value.
    pub attack_actions: u64,
    /// See `attack_actions`.
    pub attack_value: u128,
    /// Attackers' paid outflow per contract.
    pub attack_paid: BTreeMap<String, u128>,
    /// Attack actions parked (stopped: the guardian cancels them).
    pub attack_parked: u64,
    /// Normal actions.
    pub normal_actions: u64,
    /// Normal actions parked (false delays).
    pub normal_parked: u64,
    /// Normal actions refused.
    pub normal_refused: u64,
    /// Heights of the trips.
    pub trips: Vec<u64>,
}

/// Plays `rows` against `policy`: each action's `total_value` is its
/// contract's initial less what attackers were paid so far, and an attack
/// action asks at most what is left.
pub fn play(cfg: &ScenarioConfig, rows: &[LogRow], policy: &mut dyn Policy) -> Result<Played> {
    let mut left: BTreeMap<String, u128> = cfg
        .contracts
        .iter()
        .map(|c| (c.name.clone(), c.total_value))
        .collect();
    let mut p = Played::default();
    for r in rows {
        let Some(total) = left.get(&r.contract).copied() else {
            bail!(
                "the log names a contract the scenario file has not: {}",
                r.contract
            );
        };
        let mut row = r.clone();
        row.total_value = total;
        if r.label {
            row.value = row.value.min(total);
        }
        if row.value == 0 || total == 0 {
            continue;
        }
        let s = policy.step(&row)?;
        if s.tripped {
            p.trips.push(r.height);
        }
        if r.label {
            p.attack_actions += 1;
            p.attack_value += row.value;
            match s.decision {
                Decision::Pay => {
                    *p.attack_paid.entry(r.contract.clone()).or_default() += row.value;
                    *left.get_mut(&r.contract).expect("present") -= row.value;
                }
                Decision::Park => p.attack_parked += 1,
                Decision::Refuse => {}
            }
        } else {
            p.normal_actions += 1;
            match s.decision {
                Decision::Pay => {}
                Decision::Park => p.normal_parked += 1,
                Decision::Refuse => p.normal_refused += 1,
            }
        }
    }
    Ok(p)
}

impl Played {
    /// What attackers were paid from `contract`, as a share of its initial
    /// total value.
    pub fn loss_share(&self, cfg: &ScenarioConfig, contract: &str) -> f64 {
        let total = cfg.contract(contract).map_or(1, |c| c.total_value.max(1));
        self.attack_paid.get(contract).copied().unwrap_or(0) as f64 / total as f64
    }

    /// The first trip at or after `height`.
    pub fn tripped_from(&self, height: u64) -> Option<u64> {
        self.trips.iter().copied().find(|&h| h >= height)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample_config;
    use super::super::{scenario_log, PricePaths};
    use super::*;

    #[test]
    fn unguarded_pays_the_attacks_whole_share() {
        let cfg = sample_config();
        let prices = PricePaths::new(&cfg, 4_000);
        for (i, a) in cfg.attacks.iter().enumerate() {
            let rows = scenario_log(&cfg, &prices, i);
            let p = play(&cfg, &rows, &mut Unguarded).unwrap();
            let loss = p.loss_share(&cfg, &a.target);
            assert!(
                (loss - a.attack.share()).abs() < 0.1 * a.attack.share(),
                "{}: {loss}",
                a.name
            );
            assert_eq!(p.normal_parked + p.normal_refused, 0);
            assert!(p.trips.is_empty());
        }
    }

    #[test]
    fn the_rate_limit_stops_fast_drains_at_its_share_but_not_a_slow_one() {
        let cfg = sample_config();
        let prices = PricePaths::new(&cfg, 4_000);
        let s = ProtectedSettings::with_kinds(vec!["withdraw".into()], "uusd");
        for (i, a) in cfg.attacks.iter().enumerate() {
            let rows = scenario_log(&cfg, &prices, i);
            let p = play(&cfg, &rows, &mut RateLimit::like(&s)).unwrap();
            let loss = p.loss_share(&cfg, &a.target);
            match a.attack.type_name() {
                // 3% a window for 20 windows: under the limit every window.
                "slow_drain" => {
                    assert!(loss > 0.5, "{}: {loss}", a.name);
                    assert!(p.tripped_from(a.start_block).is_none());
                }
                _ => {
                    assert!(loss <= 0.1 + 1e-9 && loss > 0.05, "{}: {loss}", a.name);
                    assert!(p.tripped_from(a.start_block).is_some());
                }
            }
        }
    }

    #[test]
    fn the_rate_limit_draws_the_guards_line() {
        let s = ProtectedSettings::with_kinds(vec!["withdraw".into()], "uusd");
        let r = RateLimit::like(&s);
        assert_eq!(r.share, 100_000_000);
        assert_eq!((r.window_blocks, r.cooldown_blocks), (10, 600));
    }
}
