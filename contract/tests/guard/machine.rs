//! A state machine over random message sequences (proptest): the admin, the
//! guardian, the curator, two proposers and a stranger send every execute message in any
//! order, with random block heights and settings, and after every message
//! (accepted or refused):
//!
//! - the bank balance of the guard equals the vault plus the bonds of the
//!   undecided proposals (committed, queued, evaluating, pending) plus what
//!   plain bank transfers sent it since the last `Sweep` (which moves
//!   exactly that into the vault);
//! - a decided proposal never changes again (so no bond is paid twice);
//! - the active model changes only to a new version through a proposal
//!   accepted in that very message, un-vetoed, pending for at least its
//!   activation delay, or back to an older version by a rollback;
//! - the guard bound to it (the split, `docs/split.md`; its admin pauses
//!   and unpauses it, the governor refuses to) holds the same active
//!   version and, unpaused, answers the same `Check` as the governor's own,
//!   in and out of the envelope, its install sequence never going back;
//!   nobody installs on it, hands it over or binds another guard in the
//!   governor's place.
//!
//! `VIGIL_MACHINE_CASES` sets the number of sequences (default 10,000).
use std::collections::BTreeMap;
use std::sync::OnceLock;

use cosmwasm_std::{coins, Addr, BankMsg, Uint128};
use cw_multi_test::Executor;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use vigil_guard::msg::{
    CheckResponse, ConfigUpdate, ExecuteMsg, InstantiateMsg, Margin, Margins, ProposalResponse,
    ProposalStatus, QueryMsg, RewardRule, TestSample,
};
use vigil_guard_api::commit::{chunk_hash, commitment};
use vigil_guard_api::guard_msg::{
    GuardConfigResponse, GuardExecuteMsg, GuardInstantiateMsg, GuardQueryMsg,
};
use vigil_guard_api::install::InstallModel;

use crate::common::*;

/// The proposals' models: cut(5), cut(7), cut(9), perfect, inverse, a
/// variant of cut(9), a variant of perfect, and a blob that does not parse.
fn models() -> &'static [Vec<u8>] {
    static MODELS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    MODELS.get_or_init(|| {
        let mut bad = blob(&perfect());
        *bad.last_mut().unwrap() ^= 1;
        vec![
            blob(&cut(5)),
            blob(&cut(7)),
            blob(&cut(9)),
            blob(&perfect()),
            blob(&inverse()),
            blob(&cut_variant(9, 0.01)),
            blob(&logistic(&[0.0, 2.5], 0.0)),
            bad,
        ]
    })
}

#[derive(Clone, Debug)]
enum Op {
    Commit {
        who: u8,
        model: u8,
        bond: u8,
    },
    Reveal {
        who: u8,
        id: u8,
        other_model: Option<u8>,
    },
    /// The committer of the oldest commitment reveals it, waiting for its
    /// reveal window if need be.
    RevealOwn,
    /// Anyone activates the pending model, waiting for its delay if need
    /// be.
    ActivateDue,
    /// Anyone steps the proposal being evaluated.
    ContinueOpen {
        who: u8,
    },
    /// The pending proposal's guardian vetoes it.
    VetoPending,
    /// The admin rolls back to the version before the active one (forward
    /// to the latest from the first), waiting the governance delay and
    /// applying it.
    RollbackDue,
    Continue {
        who: u8,
        id: u8,
    },
    Close {
        who: u8,
        id: u8,
    },
    Cancel {
        who: u8,
        id: u8,
    },
    Veto {
        who: u8,
        id: u8,
    },
    Activate {
        who: u8,
    },
    Fund {
        who: u8,
        amount: u16,
    },
    Strand {
        amount: u16,
    },
    Sweep {
        who: u8,
    },
    Config {
        who: u8,
        kind: u8,
    },
    AddSamples {
        who: u8,
    },
    RemoveSample {
        who: u8,
        id: u8,
    },
    Rollback {
        who: u8,
        version: u8,
    },
    Apply {
        who: u8,
    },
    Pause {
        who: u8,
        on: bool,
    },
    Advance {
        blocks: u8,
    },
    CommitBatch {
        who: u8,
    },
    RevealChunk {
        who: u8,
        index: u8,
    },
    Withdraw {
        who: u8,
        id: u8,
    },
    /// Anyone (the admin included) at the guard: an install (re-activating
    /// a version, or a new blob) in the next sequence, a governor
    /// hand-over, or a second `BindGuard` on the governor. All refused.
    GuardAttack {
        who: u8,
        kind: u8,
    },
}

/// The curator's two chunks: an attack with the trigger and a normal row
/// each.
fn chunks() -> [Vec<TestSample>; 2] {
    let pair = |x0: &str| {
        vec![
            TestSample {
                features: strings(&["0", "-2"]),
                label: false,
            },
            TestSample {
                features: strings(&[x0, "3"]),
                label: true,
            },
        ]
    };
    [pair("-1000000"), pair("7")]
}

fn op() -> impl Strategy<Value = Op> {
    let who = 0u8..6;
    prop_oneof![
        2 => (who.clone(), 0u8..8, 0u8..3).prop_map(|(who, model, bond)| Op::Commit { who, model, bond }),
        1 => (who.clone(), any::<u8>(), prop::option::weighted(0.1, 0u8..8))
            .prop_map(|(who, id, other_model)| Op::Reveal { who, id, other_model }),
        1 => (who.clone(), any::<u8>()).prop_map(|(who, id)| Op::Continue { who, id }),
        6 => Just(Op::RevealOwn),
        6 => who.clone().prop_map(|who| Op::ContinueOpen { who }),
        1 => Just(Op::VetoPending),
        1 => Just(Op::RollbackDue),
        2 => Just(Op::ActivateDue),
        1 => (who.clone(), any::<u8>()).prop_map(|(who, id)| Op::Close { who, id }),
        1 => (who.clone(), any::<u8>()).prop_map(|(who, id)| Op::Cancel { who, id }),
        1 => (who.clone(), any::<u8>()).prop_map(|(who, id)| Op::Veto { who, id }),
        2 => who.clone().prop_map(|who| Op::Activate { who }),
        1 => (who.clone(), any::<u16>()).prop_map(|(who, amount)| Op::Fund { who, amount }),
        1 => any::<u16>().prop_map(|amount| Op::Strand { amount }),
        1 => who.clone().prop_map(|who| Op::Sweep { who }),
        2 => (who.clone(), 0u8..10).prop_map(|(who, kind)| Op::Config { who, kind }),
        1 => who.clone().prop_map(|who| Op::AddSamples { who }),
        1 => (who.clone(), any::<u8>()).prop_map(|(who, id)| Op::RemoveSample { who, id }),
        1 => (who.clone(), 0u8..6).prop_map(|(who, version)| Op::Rollback { who, version }),
        1 => who.clone().prop_map(|who| Op::Apply { who }),
        1 => (who.clone(), any::<bool>()).prop_map(|(who, on)| Op::Pause { who, on }),
        4 => (0u8..12).prop_map(|blocks| Op::Advance { blocks }),
        2 => who.clone().prop_map(|who| Op::CommitBatch { who }),
        2 => (who.clone(), 0u8..3).prop_map(|(who, index)| Op::RevealChunk { who, index }),
        2 => (who.clone(), any::<u8>()).prop_map(|(who, id)| Op::Withdraw { who, id }),
        1 => (who.clone(), 0u8..4).prop_map(|(who, kind)| Op::GuardAttack { who, kind }),
    ]
}

/// Random settings: reveal, activation and governance delays, reward,
/// stall fee.
#[derive(Clone, Debug)]
struct Setup {
    reveal_delay: u64,
    activation_delay: u64,
    governance_delay: u64,
    fixed_reward: bool,
    big_fee: bool,
}

fn setup() -> impl Strategy<Value = Setup> {
    (1u64..4, 0u64..6, 0u64..4, any::<bool>(), any::<bool>()).prop_map(
        |(reveal_delay, activation_delay, governance_delay, fixed_reward, big_fee)| Setup {
            reveal_delay,
            activation_delay,
            governance_delay,
            fixed_reward,
            big_fee,
        },
    )
}

/// `Check` inputs compared on the guard and the governor: inside the
/// envelope, and outside it until `AddSamples` widens it.
const PROBES: [[&str; 2]; 2] = [["1", "1.5"], ["13.5", "-5"]];

struct Machine {
    s: Suite,
    /// The guard bound to the governor (`s.guard`).
    guard: Addr,
    /// Its install sequence as last seen.
    guard_sequence: u64,
    actors: [Addr; 6],
    /// The model each proposal committed to.
    committed: BTreeMap<u64, usize>,
    /// Proposals as last seen.
    seen: BTreeMap<u64, ProposalResponse>,
    active: u32,
    latest: u32,
    /// Sent by plain bank transfer and not swept yet.
    stranded: u128,
}

impl Machine {
    fn new(setup: &Setup) -> Machine {
        let (app, ..) = new_app();
        let guardian = app.api().addr_make("guardian");
        let carol = app.api().addr_make("carol");
        let curator = app.api().addr_make("curator");
        let msg = InstantiateMsg {
            initial_model: Some(blob(&cut(12)).into()),
            eval_batch: 6,
            stall_blocks: 8,
            stall_fee: if setup.big_fee {
                dec("0.5")
            } else {
                dec("0.05")
            },
            reward: if setup.fixed_reward {
                RewardRule::Fixed {
                    amount: Uint128::new(300),
                }
            } else {
                RewardRule::BondShare { share: dec("0.1") }
            },
            reveal_delay: setup.reveal_delay,
            activation_delay: setup.activation_delay,
            governance_delay: setup.governance_delay,
            guardian: Some(guardian.to_string()),
            curator: Some(curator.to_string()),
            ..base_msg()
        };
        let settings = msg.settings();
        let mut s = Suite::new(msg, 5_000);
        // The guard, with the same settings, bound by the admin.
        let code = s.app.store_code(split_guard_contract());
        let guard = s
            .app
            .instantiate_contract(
                code,
                s.admin.clone(),
                &GuardInstantiateMsg {
                    admin: None,
                    governor: s.guard.to_string(),
                    settings,
                    change_delay: None,
                },
                &[],
                "vigil-guard",
                None,
            )
            .unwrap();
        let admin = s.admin.clone();
        s.exec(
            &admin,
            &ExecuteMsg::BindGuard {
                guard: guard.to_string(),
            },
            &[],
        )
        .unwrap();
        s.app.init_modules(|router, _, storage| {
            for a in [&guardian, &carol] {
                router
                    .bank
                    .init_balance(storage, a, coins(START, DENOM))
                    .unwrap();
            }
        });
        let actors = [
            s.admin.clone(),
            guardian,
            s.alice.clone(),
            s.bob.clone(),
            carol,
            curator,
        ];
        Machine {
            s,
            guard,
            guard_sequence: 1,
            actors,
            committed: BTreeMap::new(),
            seen: BTreeMap::new(),
            active: 1,
            latest: 1,
            stranded: 0,
        }
    }

    fn who(&self, w: u8) -> Addr {
        self.actors[usize::from(w) % self.actors.len()].clone()
    }

    /// An existing proposal id most of the time, sometimes one that is not.
    fn id(&self, k: u8) -> u64 {
        let n = self.committed.len() as u64;
        if n == 0 || k == u8::MAX {
            u64::from(k) + 1
        } else {
            u64::from(k) % n + 1
        }
    }

    fn run(&mut self, op: &Op) {
        let exec = |m: &mut Machine, w: u8, msg: ExecuteMsg| {
            let who = m.who(w);
            let _ = m.s.exec(&who, &msg, &[]);
        };
        match op {
            Op::Commit { who, model, bond } => {
                let sender = self.who(*who);
                let m = usize::from(*model);
                let c = commitment(&models()[m], sender.as_str(), &SALT);
                let r = self.s.exec(
                    &sender,
                    &ExecuteMsg::CommitProposal {
                        commitment: c.to_vec().into(),
                        limits: None,
                    },
                    &coins(MIN_BOND * (1 + u128::from(*bond)), DENOM),
                );
                if let Ok(r) = r {
                    self.committed
                        .insert(attr_of(&r, "proposal_id").parse().unwrap(), m);
                }
            }
            Op::Reveal {
                who,
                id,
                other_model,
            } => {
                let id = self.id(*id);
                let m = other_model
                    .map(usize::from)
                    .or_else(|| self.committed.get(&id).copied())
                    .unwrap_or(0);
                let sender = self.who(*who);
                let _ = self.s.reveal(&sender, id, &models()[m]);
            }
            Op::RevealOwn => {
                let first = self
                    .seen
                    .values()
                    .find(|p| p.status == ProposalStatus::Committed)
                    .map(|p| (p.id, Addr::unchecked(&p.proposer), p.reveal_from));
                if let Some((id, who, from)) = first {
                    let wait = from.unwrap_or(0).saturating_sub(self.s.height());
                    self.s.advance(wait);
                    let m = self.committed[&id];
                    let _ = self.s.reveal(&who, id, &models()[m]);
                }
            }
            Op::ContinueOpen { who } => {
                let open = self
                    .seen
                    .values()
                    .find(|p| p.status == ProposalStatus::Evaluating)
                    .map(|p| p.id);
                if let Some(id) = open {
                    exec(
                        self,
                        *who,
                        ExecuteMsg::ContinueEvaluation { proposal_id: id },
                    );
                }
            }
            Op::ActivateDue => {
                let at = self
                    .seen
                    .values()
                    .find(|p| p.status == ProposalStatus::Pending)
                    .and_then(|p| p.activate_at);
                if let Some(at) = at {
                    self.s.advance(at.saturating_sub(self.s.height()));
                    let bob = self.s.bob.clone();
                    self.s.exec(&bob, &ExecuteMsg::Activate {}, &[]).unwrap();
                }
            }
            Op::VetoPending => {
                let pending = self
                    .seen
                    .values()
                    .find(|p| p.status == ProposalStatus::Pending)
                    .map(|p| (p.id, p.guardian.clone()));
                if let Some((id, Some(g))) = pending {
                    let _ = self.s.exec(
                        &Addr::unchecked(g),
                        &ExecuteMsg::Veto { proposal_id: id },
                        &[],
                    );
                }
            }
            Op::RollbackDue => {
                let version = if self.active > 1 {
                    self.active - 1
                } else {
                    self.latest
                };
                let (admin, bob) = (self.s.admin.clone(), self.s.bob.clone());
                let queued = self.s.exec(&admin, &ExecuteMsg::Rollback { version }, &[]);
                if queued.is_ok() {
                    self.s.advance(self.s.config().governance_delay);
                    let _ = self.s.exec(&bob, &ExecuteMsg::ApplyGovernance {}, &[]);
                }
            }
            Op::Continue { who, id } => {
                let id = self.id(*id);
                exec(
                    self,
                    *who,
                    ExecuteMsg::ContinueEvaluation { proposal_id: id },
                );
            }
            Op::Close { who, id } => {
                let id = self.id(*id);
                exec(self, *who, ExecuteMsg::CloseStalled { proposal_id: id });
            }
            Op::Cancel { who, id } => {
                let id = self.id(*id);
                exec(self, *who, ExecuteMsg::CancelProposal { proposal_id: id });
            }
            Op::Veto { who, id } => {
                let id = self.id(*id);
                exec(self, *who, ExecuteMsg::Veto { proposal_id: id });
            }
            Op::Activate { who } => exec(self, *who, ExecuteMsg::Activate {}),
            Op::Fund { who, amount } => {
                let sender = self.who(*who);
                let _ = self.s.exec(
                    &sender,
                    &ExecuteMsg::Fund {},
                    &coins(u128::from(*amount) + 1, DENOM),
                );
            }
            Op::Strand { amount } => {
                let (from, to) = (self.s.alice.clone(), self.s.guard.clone());
                self.s
                    .app
                    .execute(
                        from,
                        BankMsg::Send {
                            to_address: to.to_string(),
                            amount: coins(u128::from(*amount) + 1, DENOM),
                        }
                        .into(),
                    )
                    .unwrap();
                self.stranded += u128::from(*amount) + 1;
            }
            Op::Sweep { who } => {
                let sender = self.who(*who);
                let r = self.s.exec(&sender, &ExecuteMsg::Sweep {}, &[]).unwrap();
                // Everything stranded, nothing else.
                assert_eq!(attr_of(&r, "swept"), self.stranded.to_string());
                self.stranded = 0;
            }
            Op::Config { who, kind } => {
                let carol = self.actors[4].to_string();
                let m = Margin {
                    min_gain: dec("1"),
                    tolerance: dec("0"),
                };
                let update = match kind {
                    0 => ConfigUpdate {
                        reward: Some(RewardRule::Fixed {
                            amount: Uint128::new(1_000_000),
                        }),
                        ..ConfigUpdate::default()
                    },
                    1 => ConfigUpdate {
                        reward: Some(RewardRule::None),
                        ..ConfigUpdate::default()
                    },
                    2 => ConfigUpdate {
                        margins: Some(Margins {
                            accuracy: m.clone(),
                            f1: m.clone(),
                            precision: m.clone(),
                            recall: m,
                        }),
                        ..ConfigUpdate::default()
                    },
                    3 => ConfigUpdate {
                        activation_delay: Some(u64::from(*who) * 2),
                        ..ConfigUpdate::default()
                    },
                    4 => ConfigUpdate {
                        guardian: Some(Some(carol)),
                        ..ConfigUpdate::default()
                    },
                    5 => ConfigUpdate {
                        guardian: Some(None),
                        ..ConfigUpdate::default()
                    },
                    6 => ConfigUpdate {
                        governance_delay: Some(u64::from(*who)),
                        ..ConfigUpdate::default()
                    },
                    7 => ConfigUpdate {
                        stall_fee: Some(dec("1")),
                        ..ConfigUpdate::default()
                    },
                    8 => ConfigUpdate {
                        deny_threshold: Some(Some(dec("0.3"))),
                        ..ConfigUpdate::default()
                    },
                    _ => ConfigUpdate {
                        reveal_delay: Some(2),
                        ..ConfigUpdate::default()
                    },
                };
                exec(self, *who, ExecuteMsg::UpdateConfig(update));
            }
            Op::AddSamples { who } => {
                let samples = vec![
                    TestSample {
                        features: strings(&["13", "-1"]),
                        label: true,
                    },
                    TestSample {
                        features: strings(&["0", "2"]),
                        label: false,
                    },
                ];
                exec(self, *who, ExecuteMsg::AddTestSamples { samples });
            }
            Op::RemoveSample { who, id } => exec(
                self,
                *who,
                ExecuteMsg::RemoveTestSamples {
                    ids: vec![u32::from(*id % 16)],
                },
            ),
            Op::Rollback { who, version } => exec(
                self,
                *who,
                ExecuteMsg::Rollback {
                    version: u32::from(*version),
                },
            ),
            Op::Apply { who } => exec(self, *who, ExecuteMsg::ApplyGovernance {}),
            Op::Pause { who, on } => {
                exec(
                    self,
                    *who,
                    if *on {
                        ExecuteMsg::Pause {}
                    } else {
                        ExecuteMsg::Unpause {}
                    },
                );
                // Refused by the governor once bound (`PauseTheGuard`);
                // the circuit breaker `Check` reads is the guard's: the
                // same sender sends it there too.
                let msg = if *on {
                    GuardExecuteMsg::Pause {}
                } else {
                    GuardExecuteMsg::Unpause {}
                };
                let (sender, guard) = (self.who(*who), self.guard.clone());
                let _ = self.s.app.execute_contract(sender, guard, &msg, &[]);
            }
            Op::Advance { blocks } => self.s.advance(u64::from(*blocks)),
            Op::CommitBatch { who } => {
                let chunks = chunks()
                    .iter()
                    .map(|c| chunk_hash(c, &SALT).to_vec().into())
                    .collect();
                // Half the time the curator.
                let who = if *who % 2 == 0 { 5 } else { *who };
                exec(self, who, ExecuteMsg::CommitBatch { chunks });
            }
            Op::RevealChunk { who, index } => {
                let i = usize::from(*index % 2);
                exec(
                    self,
                    *who,
                    ExecuteMsg::RevealBatch {
                        index: u32::from(*index),
                        samples: chunks()[i].clone(),
                        salt: SALT.to_vec().into(),
                    },
                );
            }
            Op::GuardAttack { who, kind } => {
                let sender = self.who(*who);
                let install = |version: u32, blob: Option<Vec<u8>>| {
                    GuardExecuteMsg::InstallModel(InstallModel {
                        sequence: self.guard_sequence + 1,
                        version,
                        blob: blob.map(Into::into),
                        threshold_bits: 0,
                        envelope: None,
                    })
                };
                let guard = self.guard.clone();
                let r = match kind {
                    0 => {
                        let msg = install(self.active.max(2) - 1, None);
                        self.s.app.execute_contract(sender, guard, &msg, &[])
                    }
                    1 => {
                        let msg = install(self.latest + 1, Some(models()[4].clone()));
                        self.s.app.execute_contract(sender, guard, &msg, &[])
                    }
                    2 => {
                        let msg = GuardExecuteMsg::HandOverGovernor {
                            governor: sender.to_string(),
                        };
                        self.s.app.execute_contract(sender, guard, &msg, &[])
                    }
                    _ => self.s.exec(
                        &sender,
                        &ExecuteMsg::BindGuard {
                            guard: self.actors[2].to_string(),
                        },
                        &[],
                    ),
                };
                assert!(r.is_err(), "{op:?} accepted");
            }
            Op::Withdraw { who, id } => {
                // Half the time the proposer of a waiting proposal.
                let waiting = self
                    .seen
                    .values()
                    .find(|p| {
                        matches!(p.status, ProposalStatus::Committed | ProposalStatus::Queued)
                    })
                    .map(|p| (p.id, Addr::unchecked(&p.proposer)));
                match waiting.filter(|_| *who % 2 == 0) {
                    Some((id, proposer)) => {
                        let _ =
                            self.s
                                .exec(&proposer, &ExecuteMsg::Withdraw { proposal_id: id }, &[]);
                    }
                    None => {
                        let id = self.id(*id);
                        exec(self, *who, ExecuteMsg::Withdraw { proposal_id: id });
                    }
                }
            }
        }
    }

    /// The invariants, after `op`.
    fn check(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let undecided = [
            ProposalStatus::Committed,
            ProposalStatus::Queued,
            ProposalStatus::Evaluating,
            ProposalStatus::Pending,
        ];
        let now: BTreeMap<u64, ProposalResponse> =
            self.s.proposals().into_iter().map(|p| (p.id, p)).collect();
        let config = self.s.config();
        let held: u128 = now
            .values()
            .filter(|p| undecided.contains(&p.status))
            .map(|p| p.bond.u128())
            .sum();
        prop_assert_eq!(
            self.s.balance(&self.s.guard),
            config.vault.u128() + held + self.stranded,
            "bank != vault + undecided bonds + stranded after {:?}",
            op
        );
        let height = self.s.height();
        let mut new_version = None;
        for (id, p) in &now {
            let Some(before) = self.seen.get(id) else {
                prop_assert_eq!(&p.status, &ProposalStatus::Committed, "new proposal {}", id);
                continue;
            };
            if !undecided.contains(&before.status) {
                prop_assert_eq!(&p.status, &before.status, "decided proposal {} changed", id);
            }
            if p.status == ProposalStatus::Accepted && before.status != ProposalStatus::Accepted {
                let v = p.accepted_version.expect("accepted with a version");
                prop_assert!(v > self.latest, "accepted as an old version");
                prop_assert!(new_version.is_none(), "two activations in one message");
                if before.status == ProposalStatus::Pending {
                    prop_assert!(height >= before.activate_at.unwrap(), "activated early");
                } else {
                    prop_assert_eq!(p.activation_delay, 0, "activated without its delay");
                }
                new_version = Some(v);
            }
        }
        if let Some(v) = new_version {
            prop_assert_eq!(config.active_version, v);
            self.latest = v;
        } else if config.active_version != self.active {
            // Only a rollback, to a version that exists.
            prop_assert!(
                matches!(
                    op,
                    Op::Rollback { .. }
                        | Op::RollbackDue
                        | Op::Apply { .. }
                        | Op::Config { .. }
                        | Op::AddSamples { .. }
                        | Op::RemoveSample { .. }
                ),
                "active model changed by {:?}",
                op
            );
            prop_assert!(config.active_version <= self.latest);
        }
        self.active = config.active_version;
        self.seen = now;
        // The bound guard follows, in the same message.
        let wrap = self.s.app.wrap();
        let g: GuardConfigResponse = wrap
            .query_wasm_smart(&self.guard, &GuardQueryMsg::Config {})
            .unwrap();
        prop_assert_eq!(
            g.active_version,
            config.active_version,
            "guard's version after {:?}",
            op
        );
        // The circuit breaker is the guard's: the governor refuses
        // `Pause` once bound (`PauseTheGuard`), so it never pauses.
        prop_assert!(!config.paused, "governor paused by {:?}", op);
        prop_assert!(g.install_sequence >= self.guard_sequence, "sequence back");
        self.guard_sequence = g.install_sequence;
        for x in PROBES {
            let features = strings(&x);
            let gov: Result<CheckResponse, String> = wrap
                .query_wasm_smart(
                    &self.s.guard,
                    &QueryMsg::Check {
                        features: features.clone(),
                    },
                )
                .map_err(|e| e.to_string());
            let guard: Result<CheckResponse, String> = wrap
                .query_wasm_smart(&self.guard, &GuardQueryMsg::Check { features })
                .map_err(|e| e.to_string());
            if g.paused {
                // Paused: an error or a paused answer, never a verdict.
                prop_assert!(
                    guard.as_ref().map_or(true, |c| c.paused && !c.allow),
                    "paused guard answered {:?} after {:?}",
                    guard,
                    op
                );
            } else {
                prop_assert_eq!(guard, gov, "Check {:?} after {:?}", x, op);
            }
        }
        Ok(())
    }
}

#[test]
fn random_message_sequences_keep_the_books_and_the_model_honest() {
    let cases = std::env::var("VIGIL_MACHINE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let _ = models();
    // Proposals by final status over all sequences: the paths were taken.
    let tally = std::sync::Mutex::new(BTreeMap::<String, u64>::new());
    let started = std::time::Instant::now();
    runner
        .run(
            &(setup(), prop::collection::vec(op(), 1..20)),
            |(setup, ops)| {
                let mut m = Machine::new(&setup);
                for op in &ops {
                    m.run(op);
                    m.check(op)?;
                }
                let mut t = tally.lock().unwrap();
                for p in m.seen.values() {
                    *t.entry(format!("{:?}", p.status)).or_default() += 1;
                }
                Ok(())
            },
        )
        .unwrap();
    let tally = tally.into_inner().unwrap();
    println!(
        "{cases} sequences in {:.1} s; proposals by final status: {tally:?}",
        started.elapsed().as_secs_f64()
    );
    // Every status was reached (the sequences reach the paths they test).
    if cases >= 1_000 {
        for status in [
            "Committed",
            "Queued",
            "Evaluating",
            "Pending",
            "Accepted",
            "Rejected",
            "Cancelled",
            "Closed",
            "Vetoed",
            "Withdrawn",
        ] {
            assert!(
                tally.get(status).is_some_and(|&n| n > 0),
                "{status} never reached"
            );
        }
    }
}
