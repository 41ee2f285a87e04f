//! The circuit breaker of one protected contract: governed rules over the
//! current window, a state machine (closed, open, half-open) and a verdict
//! for each action, decided inside the transaction that carries it.
//!
//! ## The state machine
//! - **Closed**: an action is allowed unless the model denies it.
//! - A rule trips: the breaker **opens** until `height + cooldown_blocks`,
//!   with the tripping rule's [`Response`]: every action is denied
//!   ([`Response::Deny`]), parked for `delay_blocks` ([`Response::Delay`]),
//!   or allowed only within the half-open outflow cap ([`Response::Cap`]).
//! - After the cooldown it is **half-open** for `half_open_blocks`: the
//!   window's outflow is capped at `half_open_cap` of total value, and a rule
//!   that trips opens it again.
//! - Then **closed** again. The guardian may reset it to closed at any time
//!   ([`Breaker::reset`]).
//!
//! ## The rules (any subset; each with its own response)
//! - **Outflow share**: the window's outflow, this action included, above a
//!   share of the protocol's total value (an ERC-7265 rate limit inside the
//!   guard).
//! - **Denials**: the model has denied `count` actions in the window.
//! - **Mean score**: after `min_actions` actions in the window, their mean
//!   model score at or above a level.
//!
//! The action that trips a rule gets the rule's response itself: a drain is
//! stopped by the call that would cross the line, not by a later one.
//!
//! [`Breaker::judge`] is pure: it returns the verdict and the state to store
//! if the protected contract follows it ([`Breaker::apply`] with what it
//! did). A verdict on a query and on the recording execute are therefore the
//! same.
use crate::baseline::{Reader, Writer};

/// What a tripped rule does until the breaker closes again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Response {
    /// Outflow capped at the half-open cap per window.
    Cap,
    /// Actions parked for `delay_blocks`.
    Delay,
    /// Actions refused.
    Deny,
}

/// A rule of the breaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Window outflow above a share of total value.
    OutflowShare,
    /// Model denials in the window.
    Denials,
    /// The window's mean score.
    MeanScore,
}

/// The governed rules of one protected contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    /// Trip when the window's outflow exceeds this share of total value
    /// (parts per [`SHARE_ONE`]; `None`: off).
    pub outflow_share: Option<(u32, Response)>,
    /// Trip when the model has denied this many actions in the window.
    pub denials: Option<(u32, Response)>,
    /// Trip when, after `min_actions` (the `u32`) actions in the window,
    /// their mean score (`Score` bits, `U1F31`) is at least the level.
    pub mean_score: Option<(u32, u32, Response)>,
    /// Blocks open.
    pub cooldown_blocks: u64,
    /// Blocks half-open after the cooldown.
    pub half_open_blocks: u64,
    /// Window outflow cap while half-open or open with [`Response::Cap`]
    /// (parts per [`SHARE_ONE`] of total value; never above the outflow
    /// line when that rule is on).
    pub half_open_cap: u32,
    /// Blocks an action is parked for under [`Response::Delay`].
    pub delay_blocks: u64,
}

/// The breaker's state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Status {
    /// Normal.
    #[default]
    Closed,
    /// Tripped.
    Open {
        /// Height it half-opens at.
        until: u64,
        /// The rule that tripped.
        rule: Rule,
        /// What it does meanwhile.
        response: Response,
    },
    /// After the cooldown.
    HalfOpen {
        /// Height it closes at.
        until: u64,
    },
}

/// Why an action is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DenyReason {
    /// The model's score is at or above its threshold.
    Model,
    /// The breaker is open with [`Response::Deny`].
    Open,
    /// The action would take the window's outflow past the cap.
    Cap,
    /// This action trips a rule whose response is [`Response::Deny`].
    Trip(Rule),
}

/// The verdict on one action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Go ahead.
    Allow,
    /// Park it; it may be released at this height.
    Delay {
        /// Release height.
        release_at: u64,
    },
    /// Refuse it.
    Deny(DenyReason),
}

/// What the protected contract did with an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Carried out: its value left.
    Paid,
    /// Parked (to be released later).
    Parked,
    /// Refused.
    Refused,
}

/// A transition worth an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// Closed or half-open to open.
    Tripped(Rule, Response),
    /// Open to half-open (the cooldown is over).
    HalfOpened,
    /// Half-open to closed.
    Closed,
}

/// One protected contract's breaker: its status and the current window's
/// counts (over all its action kinds).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Breaker {
    /// Closed, open or half-open.
    pub status: Status,
    /// The current window.
    pub window: u64,
    /// Outflow paid in it.
    pub outflow: u128,
    /// Actions judged in it.
    pub actions: u32,
    /// Of those, denied by the model.
    pub denials: u32,
    /// Sum of their scores (`U1F31` bits).
    pub score_sum: u64,
    /// Trips so far.
    pub trips: u32,
}

/// An action as the breaker sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Judged {
    /// Block height.
    pub height: u64,
    /// The window of that height.
    pub window: u64,
    /// Value at risk.
    pub value: u128,
    /// The protocol's total value.
    pub total_value: u128,
    /// The model's score (`U1F31` bits).
    pub score: u32,
    /// Whether the model denies it.
    pub model_denies: bool,
}

/// [`Breaker::judge`]'s answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Judgement {
    /// The verdict.
    pub verdict: Verdict,
    /// The state after the time-driven transitions and a trip, before the
    /// action's outcome is counted ([`Breaker::apply`]).
    pub next: Breaker,
    /// Transitions on the way (at most a time-driven one and a trip).
    pub transitions: [Option<Transition>; 2],
}

/// A whole in the shares of [`Rules`]: parts per billion, so a governed
/// decimal share (`0.1`) is exact and the line it draws is exact:
/// [`share_of`] is `⌊total × share⌋` without overflow.
pub const SHARE_ONE: u32 = 1_000_000_000;

/// `⌊total × share / SHARE_ONE⌋`, exactly (`share <= SHARE_ONE`).
pub fn share_of(total: u128, share: u32) -> u128 {
    let one = SHARE_ONE as u128;
    let share = share.min(SHARE_ONE) as u128;
    (total / one) * share + (total % one) * share / one
}

impl Breaker {
    /// Bytes of [`Breaker::encode`].
    pub const ENCODED_LEN: usize = 1 + 8 + 1 + 1 + 8 + 16 + 4 + 4 + 8 + 4;

    /// The verdict on `a` and the state to store once its outcome is known.
    pub fn judge(&self, rules: &Rules, a: &Judged) -> Judgement {
        let mut next = *self;
        let mut transitions = [None, None];
        if a.window != next.window {
            next.window = a.window;
            next.outflow = 0;
            next.actions = 0;
            next.denials = 0;
            next.score_sum = 0;
        }
        // Time-driven transitions (at most one can be due per action: an
        // open breaker whose half-open time is also over closes directly).
        match next.status {
            Status::Open { until, .. } if a.height >= until => {
                let closes = until.saturating_add(rules.half_open_blocks);
                if a.height >= closes {
                    next.status = Status::Closed;
                    transitions[0] = Some(Transition::Closed);
                } else {
                    next.status = Status::HalfOpen { until: closes };
                    transitions[0] = Some(Transition::HalfOpened);
                }
            }
            Status::HalfOpen { until } if a.height >= until => {
                next.status = Status::Closed;
                transitions[0] = Some(Transition::Closed);
            }
            _ => {}
        }
        let outflow = next.outflow.saturating_add(a.value);
        // The outflow line, when that rule is on; the cap never lets more
        // through than the line does.
        let line = rules
            .outflow_share
            .map(|(share, _)| share_of(a.total_value, share));
        let cap = share_of(a.total_value, rules.half_open_cap).min(line.unwrap_or(u128::MAX));
        let delay = Verdict::Delay {
            release_at: a.height.saturating_add(rules.delay_blocks),
        };
        let mut verdict = match next.status {
            Status::Open {
                response: Response::Deny,
                ..
            } => Verdict::Deny(DenyReason::Open),
            Status::Open {
                response: Response::Delay,
                ..
            } => delay,
            Status::Open {
                response: Response::Cap,
                ..
            }
            | Status::HalfOpen { .. }
                if outflow > cap =>
            {
                Verdict::Deny(DenyReason::Cap)
            }
            _ if a.model_denies => Verdict::Deny(DenyReason::Model),
            _ => Verdict::Allow,
        };
        // The rules, on the window as it would be with this action counted.
        if !matches!(next.status, Status::Open { .. }) {
            let denials = next.denials.saturating_add(a.model_denies as u32);
            let actions = next.actions.saturating_add(1);
            let score_sum = next.score_sum.saturating_add(a.score as u64);
            let tripped = match (rules.outflow_share, line) {
                (Some((_, r)), Some(line)) if verdict == Verdict::Allow && outflow > line => {
                    Some((Rule::OutflowShare, r))
                }
                _ => None,
            }
            .or_else(|| {
                // Only a denial can be the one that trips it.
                rules.denials.and_then(|(n, r)| {
                    (a.model_denies && denials >= n).then_some((Rule::Denials, r))
                })
            })
            .or_else(|| {
                rules.mean_score.and_then(|(level, min, r)| {
                    (actions >= min && score_sum >= level as u64 * actions as u64)
                        .then_some((Rule::MeanScore, r))
                })
            });
            if let Some((rule, response)) = tripped {
                next.status = Status::Open {
                    until: a.height.saturating_add(rules.cooldown_blocks),
                    rule,
                    response,
                };
                next.trips = next.trips.saturating_add(1);
                transitions[1] = Some(Transition::Tripped(rule, response));
                // The tripping action gets the response (a model denial
                // stays a denial).
                if verdict == Verdict::Allow {
                    verdict = match response {
                        Response::Deny => Verdict::Deny(DenyReason::Trip(rule)),
                        Response::Delay => delay,
                        // The action that crossed the line is over any cap
                        // (the cap is at most the line).
                        Response::Cap if outflow > cap => Verdict::Deny(DenyReason::Cap),
                        Response::Cap => Verdict::Allow,
                    };
                }
            }
        }
        Judgement {
            verdict,
            next,
            transitions,
        }
    }

    /// Whether `outcome` follows `verdict`: paid only when allowed, parked
    /// only when allowed or delayed; refusing is always allowed.
    pub fn follows(verdict: &Verdict, outcome: Outcome) -> bool {
        match outcome {
            Outcome::Paid => *verdict == Verdict::Allow,
            Outcome::Parked => matches!(verdict, Verdict::Allow | Verdict::Delay { .. }),
            Outcome::Refused => true,
        }
    }

    /// Counts a judged action's outcome into `self` (the judgement's `next`).
    pub fn apply(&mut self, a: &Judged, outcome: Outcome) {
        self.actions = self.actions.saturating_add(1);
        self.denials = self.denials.saturating_add(a.model_denies as u32);
        self.score_sum = self.score_sum.saturating_add(a.score as u64);
        if outcome == Outcome::Paid {
            self.outflow = self.outflow.saturating_add(a.value);
        }
    }

    /// A parked action released: its value leaves in `window` (no new
    /// judgement: it was judged when it was parked).
    pub fn release(&mut self, window: u64, value: u128) {
        if window != self.window {
            self.window = window;
            self.outflow = 0;
            self.actions = 0;
            self.denials = 0;
            self.score_sum = 0;
        }
        self.outflow = self.outflow.saturating_add(value);
    }

    /// The guardian's early reset: closed, the window's counts cleared (so
    /// the same counts do not trip it again at once); its outflow is kept,
    /// as the value did leave.
    pub fn reset(&mut self) {
        self.status = Status::Closed;
        self.actions = 0;
        self.denials = 0;
        self.score_sum = 0;
    }

    /// Fixed-length little-endian encoding.
    pub fn encode(&self) -> [u8; Self::ENCODED_LEN] {
        let mut out = [0u8; Self::ENCODED_LEN];
        let mut w = Writer {
            out: &mut out,
            at: 0,
        };
        let (tag, until, rule, response) = match self.status {
            Status::Closed => (0u8, 0u64, 0u8, 0u8),
            Status::Open {
                until,
                rule,
                response,
            } => (1, until, rule as u8, response as u8),
            Status::HalfOpen { until } => (2, until, 0, 0),
        };
        w.put(&[tag]);
        w.put(&until.to_le_bytes());
        w.put(&[rule, response]);
        w.put(&self.window.to_le_bytes());
        w.put(&self.outflow.to_le_bytes());
        w.put(&self.actions.to_le_bytes());
        w.put(&self.denials.to_le_bytes());
        w.put(&self.score_sum.to_le_bytes());
        w.put(&self.trips.to_le_bytes());
        out
    }

    /// The inverse of [`encode`](Self::encode).
    pub fn decode(bytes: &[u8]) -> Option<Breaker> {
        if bytes.len() != Self::ENCODED_LEN {
            return None;
        }
        let mut r = Reader { bytes, at: 0 };
        let [tag] = r.take::<1>();
        let until = u64::from_le_bytes(r.take());
        let [rule, response] = r.take::<2>();
        let rule = match rule {
            0 => Rule::OutflowShare,
            1 => Rule::Denials,
            2 => Rule::MeanScore,
            _ => return None,
        };
        let response = match response {
            0 => Response::Cap,
            1 => Response::Delay,
            2 => Response::Deny,
            _ => return None,
        };
        let status = match tag {
            0 => Status::Closed,
            1 => Status::Open {
                until,
                rule,
                response,
            },
            2 => Status::HalfOpen { until },
            _ => return None,
        };
        Some(Breaker {
            status,
            window: u64::from_le_bytes(r.take()),
            outflow: u128::from_le_bytes(r.take()),
            actions: u32::from_le_bytes(r.take()),
            denials: u32::from_le_bytes(r.take()),
            score_sum: u64::from_le_bytes(r.take()),
            trips: u32::from_le_bytes(r.take()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: Rules = Rules {
        outflow_share: Some((125_000_000, Response::Deny)), // 12.5%
        denials: Some((3, Response::Delay)),
        mean_score: Some((3 << 29, 10, Response::Cap)), // 0.75
        cooldown_blocks: 100,
        half_open_blocks: 50,
        half_open_cap: 62_500_000, // 6.25%
        delay_blocks: 20,
    };

    fn j(height: u64, value: u128, score: u32) -> Judged {
        Judged {
            height,
            window: height / 10,
            value,
            total_value: 1_000_000,
            score,
            model_denies: score >= 1 << 30,
        }
    }

    fn step(b: &mut Breaker, a: Judged) -> Verdict {
        let jd = b.judge(&RULES, &a);
        *b = jd.next;
        let outcome = match jd.verdict {
            Verdict::Allow => Outcome::Paid,
            Verdict::Delay { .. } => Outcome::Parked,
            Verdict::Deny(_) => Outcome::Refused,
        };
        b.apply(&a, outcome);
        jd.verdict
    }

    #[test]
    fn the_action_that_crosses_the_outflow_share_is_the_one_refused() {
        let mut b = Breaker::default();
        // 12 withdrawals of 10,000 in one window: 120,000 <= 125,000.
        for i in 0..12 {
            assert_eq!(step(&mut b, j(i % 10, 10_000, 0)), Verdict::Allow, "{i}");
        }
        let v = step(&mut b, j(5, 10_000, 0));
        assert_eq!(v, Verdict::Deny(DenyReason::Trip(Rule::OutflowShare)));
        assert_eq!(b.outflow, 120_000, "the refused action paid nothing");
        assert!(matches!(b.status, Status::Open { until: 105, .. }));
        // Open with Deny: even a small action in the next window is refused.
        assert_eq!(step(&mut b, j(20, 1, 0)), Verdict::Deny(DenyReason::Open));
        // Half-open at 105: capped at 6.25% per window.
        assert_eq!(step(&mut b, j(105, 60_000, 0)), Verdict::Allow);
        assert_eq!(
            step(&mut b, j(106, 10_000, 0)),
            Verdict::Deny(DenyReason::Cap)
        );
        // Closed at 155.
        assert_eq!(step(&mut b, j(160, 100_000, 0)), Verdict::Allow);
        assert_eq!(b.status, Status::Closed);
        assert_eq!(b.trips, 1);
    }

    #[test]
    fn denials_trip_a_delay_and_the_verdict_on_the_tripping_action_stays_a_denial() {
        let mut b = Breaker::default();
        let bad = u32::MAX >> 1;
        assert_eq!(step(&mut b, j(0, 1, bad)), Verdict::Deny(DenyReason::Model));
        assert_eq!(step(&mut b, j(1, 1, bad)), Verdict::Deny(DenyReason::Model));
        assert_eq!(step(&mut b, j(2, 1, bad)), Verdict::Deny(DenyReason::Model));
        assert!(matches!(
            b.status,
            Status::Open {
                rule: Rule::Denials,
                response: Response::Delay,
                ..
            }
        ));
        // Everything is parked now, for 20 blocks.
        assert_eq!(step(&mut b, j(3, 1, 0)), Verdict::Delay { release_at: 23 });
        // The guardian resets.
        b.reset();
        assert_eq!(step(&mut b, j(4, 1, 0)), Verdict::Allow);
    }

    #[test]
    fn a_high_mean_score_caps_outflow() {
        let mut b = Breaker::default();
        // Scores of 0.8 under the model's threshold: not denied, but
        // suspicious together.
        let mut rules = RULES;
        rules.denials = None;
        let mk = |h: u64| Judged {
            model_denies: false,
            ..j(h, 100, 0x6666_6666)
        };
        for h in 0..9 {
            let jd = b.judge(&rules, &mk(h));
            assert_eq!(jd.verdict, Verdict::Allow);
            b = jd.next;
            b.apply(&mk(h), Outcome::Paid);
        }
        let jd = b.judge(&rules, &mk(9));
        assert_eq!(
            jd.transitions[1],
            Some(Transition::Tripped(Rule::MeanScore, Response::Cap))
        );
        assert_eq!(jd.verdict, Verdict::Allow, "within the cap");
        b = jd.next;
        b.apply(&mk(9), Outcome::Paid);
        let big = Judged {
            value: 100_000,
            ..mk(9)
        };
        assert_eq!(
            b.judge(&rules, &big).verdict,
            Verdict::Deny(DenyReason::Cap)
        );
    }

    #[test]
    fn shares_are_exact() {
        assert_eq!(share_of(1_000_000, 100_000_000), 100_000);
        assert_eq!(share_of(999, 100_000_000), 99);
        assert_eq!(share_of(u128::MAX, SHARE_ONE), u128::MAX);
        assert_eq!(share_of(u128::MAX, 1), u128::MAX / 1_000_000_000);
    }

    #[test]
    fn outcomes_must_follow_the_verdict() {
        let allow = Verdict::Allow;
        let deny = Verdict::Deny(DenyReason::Model);
        let delay = Verdict::Delay { release_at: 5 };
        assert!(Breaker::follows(&allow, Outcome::Paid));
        assert!(!Breaker::follows(&deny, Outcome::Paid));
        assert!(!Breaker::follows(&delay, Outcome::Paid));
        assert!(Breaker::follows(&delay, Outcome::Parked));
        assert!(!Breaker::follows(&deny, Outcome::Parked));
        assert!(Breaker::follows(&deny, Outcome::Refused));
    }

    #[test]
    fn encoding_round_trips() {
        let mut b = Breaker::default();
        for h in 0..30 {
            step(&mut b, j(h, 20_000, (h as u32) << 26));
        }
        assert!(b.trips > 0);
        assert_eq!(Breaker::decode(&b.encode()), Some(b));
        let mut bytes = b.encode();
        bytes[0] = 3;
        assert_eq!(Breaker::decode(&bytes), None);
    }
}
