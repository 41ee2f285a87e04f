//! Storage: cw-storage-plus `Item`s and `Map`s (JSON values), except where
//! gas asks for raw bytes:
//!
//! - [`active`]: the record every `Check` reads (header + blob);
//! - [`batch`]: the curator's hidden batch;
//! - [`chunked`]: model and candidate blobs (raw bytes, 128 KiB records);
//! - [`envelope`]: the test set's range and the data envelope;
//! - [`governance`]: the time-locked governance queue;
//! - [`install`]: the governor and its last install (the split);
//! - [`samples`]: the test samples an evaluation walks.
use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Decimal, HexBinary, Storage, Uint128};
use cw_storage_plus::{Item, Map};
use vigil_guard_api::msg::{Margins, ProposalStatus, RewardRule};
use vigil_guard_api::Settings;

pub mod active;
pub mod batch;
pub mod bound_guard;
pub mod chunked;
pub mod envelope;
pub mod governance;
pub mod install;
pub mod protected;
pub mod samples;

pub use active::{ACTIVE_HEADER_LEN, ACTIVE_KEY};
pub use batch::{batch_chunk_key, batch_holds, Batch};

/// The guard's configuration.
#[cw_serde]
pub struct Config {
    /// Governance address.
    pub admin: Addr,
    /// The admin-governed settings.
    pub settings: Settings,
    /// Circuit breaker.
    pub paused: bool,
}

/// What the guard knows of a stored model.
#[cw_serde]
pub struct ModelInfo {
    /// Checksum (SHA-256, hex).
    pub hash: String,
    /// Family name.
    pub family: String,
    /// Proposer.
    pub proposer: Addr,
    /// Blob bytes.
    pub size: u32,
    /// Cost bound (wasm operations per inference).
    pub cost_ops: u64,
    /// The same bound in cosmwasm-vm units.
    pub cosmwasm_units: u64,
    /// Confusion counts when accepted (the metrics follow from them).
    pub counts: Option<Counts>,
    /// Test-set version of those counts.
    pub test_set_version: Option<u32>,
}

/// Test-set bookkeeping.
#[cw_serde]
#[derive(Copy, Default, Eq)]
pub struct TestSetMeta {
    /// Bumped by every change.
    pub version: u32,
    /// Next sample id.
    pub next_id: u32,
    /// Positive samples.
    pub positives: u32,
    /// Negative samples.
    pub negatives: u32,
}

impl TestSetMeta {
    /// Samples in the set.
    pub fn total(&self) -> u32 {
        self.positives.saturating_add(self.negatives)
    }
}

/// Confusion counts.
#[cw_serde]
#[derive(Copy, Default, Eq)]
pub struct Counts {
    /// True positives.
    pub tp: u32,
    /// False positives.
    pub fp: u32,
    /// True negatives.
    pub tn: u32,
    /// False negatives.
    pub fn_: u32,
}

impl Counts {
    /// Count one prediction.
    pub fn add(&mut self, predicted: bool, actual: bool) {
        let slot = match (predicted, actual) {
            (true, true) => &mut self.tp,
            (true, false) => &mut self.fp,
            (false, false) => &mut self.tn,
            (false, true) => &mut self.fn_,
        };
        *slot = slot.saturating_add(1);
    }
}

/// A proposal.
#[cw_serde]
pub struct Proposal {
    /// Proposer.
    pub proposer: Addr,
    /// Bond held.
    pub bond: Uint128,
    /// Candidate checksum (hex).
    pub hash: String,
    /// Status.
    pub status: ProposalStatus,
    /// Test-set version judged on.
    pub test_set_version: u32,
    /// Incumbent version (0 = none).
    pub incumbent_version: u32,
    /// Last sample id evaluated.
    pub cursor: Option<u32>,
    /// Rows evaluated.
    pub evaluated: u32,
    /// Rows in the test set.
    pub total: u32,
    /// Candidate counts.
    pub candidate: Counts,
    /// Incumbent counts.
    pub incumbent: Counts,
    /// Version it became.
    pub accepted_version: Option<u32>,
    /// Margins in force when it was proposed: the rules it is judged by.
    pub margins: Margins,
    /// Reward rule in force when it was proposed.
    pub reward: RewardRule,
    /// The configured `deny_threshold` when it was proposed: candidate and
    /// incumbent are labelled at it (`None`: each at its own threshold), as
    /// `Check` will label them. Absent in records from before it existed
    /// (0.1 and early 0.2), which were judged at the models' own.
    #[serde(default)]
    pub deny_threshold: Option<Decimal>,
    /// The candidate's threshold as judged (score bits): `deny_threshold`'s
    /// bits, else the candidate's own. `None` when unknown (a proposal
    /// decided before a migration from 0.1).
    #[serde(default)]
    pub threshold_bits: Option<u32>,
    /// `stall_blocks` in force when it was proposed. Records from before
    /// it existed get the default.
    #[serde(default = "vigil_guard_api::settings::default_stall_blocks")]
    pub stall_blocks: u64,
    /// `stall_fee` in force when it was proposed. Records from before it
    /// existed were proposed without one: zero.
    #[serde(default)]
    pub stall_fee: Decimal,
    /// Block height of its last evaluation step (the proposal's own step
    /// included), of its start when it waited in the queue, or of the
    /// migration that converted it.
    #[serde(default)]
    pub last_step: u64,
    /// The commitment (absent for proposals made before commit-reveal).
    #[serde(default)]
    pub commitment: Option<HexBinary>,
    /// Height of the commitment.
    #[serde(default)]
    pub committed_at: u64,
    /// `reveal_delay` in force at the commitment.
    #[serde(default)]
    pub reveal_delay: u64,
    /// `activation_delay` in force at the commitment.
    #[serde(default)]
    pub activation_delay: u64,
    /// The guardian at the commitment: who may veto it while pending.
    #[serde(default)]
    pub guardian: Option<Addr>,
    /// `max_inference_ops` at the commitment (checked at the reveal).
    #[serde(default)]
    pub max_inference_ops: u64,
    /// `max_check_gas` at the commitment (checked at the reveal).
    #[serde(default)]
    pub max_check_gas: u64,
    /// While pending: the first height it may be activated at.
    #[serde(default)]
    pub activate_at: Option<u64>,
    /// An earlier decided proposal with the same predictions on the test
    /// set: accepted, this one earns no reward.
    #[serde(default)]
    pub same_predictions_as: Option<u64>,
    /// Rows on which candidate and incumbent disagree.
    #[serde(default)]
    pub disagreements: u32,
    /// The first [`DISAGREEMENT_IDS`] of them.
    #[serde(default)]
    pub disagreement_ids: Vec<u32>,
    /// Once evaluated: the key of its predictions in [`PREDICTIONS`],
    /// recorded there when it is rejected or activated (not when vetoed).
    #[serde(default)]
    pub predictions: Option<HexBinary>,
}

/// How many disagreeing row ids a proposal keeps (and its decision event
/// lists).
pub const DISAGREEMENT_IDS: usize = 16;

impl Proposal {
    /// The fields that proposals made before commit-reveal lack, as they
    /// read (serde defaults): no commitment, no activation delay, no
    /// guardian; the other fields are placeholders the caller sets.
    pub fn legacy() -> Proposal {
        Proposal {
            proposer: Addr::unchecked(""),
            bond: Uint128::zero(),
            hash: String::new(),
            status: ProposalStatus::Evaluating,
            test_set_version: 0,
            incumbent_version: 0,
            cursor: None,
            evaluated: 0,
            total: 0,
            candidate: Counts::default(),
            incumbent: Counts::default(),
            accepted_version: None,
            margins: Margins::default(),
            reward: RewardRule::None,
            deny_threshold: None,
            threshold_bits: None,
            stall_blocks: 0,
            stall_fee: Decimal::zero(),
            last_step: 0,
            commitment: None,
            committed_at: 0,
            reveal_delay: 0,
            activation_delay: 0,
            guardian: None,
            max_inference_ops: 0,
            max_check_gas: 0,
            activate_at: None,
            same_predictions_as: None,
            disagreements: 0,
            disagreement_ids: Vec::new(),
            predictions: None,
        }
    }

    /// The first height at which `CloseStalled` may close it: a commitment
    /// at its reveal deadline, an evaluation `stall_blocks` after its last
    /// step; `None` in any other state.
    pub fn closable_at(&self) -> Option<u64> {
        match self.status {
            ProposalStatus::Committed => Some(self.reveal_deadline()),
            ProposalStatus::Evaluating => Some(self.last_step.saturating_add(self.stall_blocks)),
            _ => None,
        }
    }

    /// The first height its reveal is accepted at.
    pub fn reveal_from(&self) -> u64 {
        self.committed_at.saturating_add(self.reveal_delay)
    }

    /// The first height its reveal is refused at.
    pub fn reveal_deadline(&self) -> u64 {
        self.reveal_from().saturating_add(self.stall_blocks)
    }

    /// Committed, queued, being evaluated or pending: its bond is held.
    pub fn undecided(&self) -> bool {
        matches!(
            self.status,
            ProposalStatus::Committed
                | ProposalStatus::Queued
                | ProposalStatus::Evaluating
                | ProposalStatus::Pending
        )
    }

    /// Its stall fee in bond denom: `stall_fee x bond`, rounded down, at
    /// most the bond.
    pub fn stall_fee_amount(&self) -> Uint128 {
        self.bond
            .checked_mul_floor(self.stall_fee)
            .unwrap_or(self.bond)
            .min(self.bond)
    }
}

/// The best metrics ever accepted on one test-set version, per metric
/// (accuracy, f1, precision, recall): the ratchet a candidate must beat.
#[cw_serde]
pub struct Best {
    /// Test-set version they were measured on.
    pub test_set_version: u32,
    /// Accuracy, f1, precision, recall: each the highest accepted.
    pub metrics: [Decimal; 4],
}

/// Configuration.
pub const CONFIG: Item<Config> = Item::new("config");
/// Reward funds held by the contract (bond denom).
pub const VAULT: Item<Uint128> = Item::new("vault");
/// Stored models' info by version.
pub const MODELS: Map<u32, ModelInfo> = Map::new("models");
/// Stored model versions by checksum (hex): a candidate identical to a
/// stored model is refused with one read.
pub const MODEL_BY_HASH: Map<&str, u32> = Map::new("model_by_hash");
/// Highest version stored.
pub const LATEST_VERSION: Item<u32> = Item::new("latest_version");
/// Test-set bookkeeping.
pub const TEST_SET: Item<TestSetMeta> = Item::new("test_set");
/// Proposals by id.
pub const PROPOSALS: Map<u64, Proposal> = Map::new("proposals");
/// Next proposal id.
pub const NEXT_PROPOSAL: Item<u64> = Item::new("next_proposal");
/// The best metrics accepted on the current test-set version (absent until
/// a proposal is accepted; stale once the test set changes).
pub const BEST: Item<Best> = Item::new("best");
/// The proposal being evaluated, or accepted and pending, if any: the guard
/// judges one at a time.
pub const OPEN_PROPOSAL: Item<u64> = Item::new("open_proposal");
/// Revealed proposals waiting for the guard, by id (commitment order: the
/// lowest starts next).
pub const QUEUE: Map<u64, ()> = Map::new("queue");
/// Every undecided proposal (committed, queued, evaluating, pending) and the
/// bond held for it.
pub const UNDECIDED: Map<u64, Uint128> = Map::new("undecided");
/// Revealed candidates by checksum (hex): the first proposal to reveal
/// each. A later reveal of the same model is refused.
pub const REVEALED: Map<&str, u64> = Map::new("revealed");
/// Decided proposals by the fingerprint of their predictions (test-set
/// version, u32 big-endian, then the SHA-256 of the prediction bits): the
/// first one rejected or activated with each (a vetoed one is not
/// recorded: it cannot deny a later honest model its reward).
pub const PREDICTIONS: Map<&[u8], u64> = Map::new("predictions");
pub use active::ACTIVE_VERSION;

/// Key prefix of stored model blobs (`blob` + version, u32 big-endian;
/// chunked).
pub const BLOB_PREFIX: &[u8] = b"blob";
/// Key prefix of open proposals' candidate blobs (`cand` + id, u64
/// big-endian; chunked).
pub const CANDIDATE_PREFIX: &[u8] = b"cand";

/// Next governance change id (absent: 1).
pub const NEXT_GOVERNANCE: Item<u64> = Item::new("next_governance");

/// Key prefix of a proposal's candidate prediction bits (`pred` + id, u64
/// big-endian): bit k (least significant first) is the candidate's label
/// of the k-th row evaluated.
pub const PREDICTION_BITS_PREFIX: &[u8] = b"pred";

/// Key of a proposal's prediction bits.
pub fn prediction_bits_key(id: u64) -> Vec<u8> {
    [PREDICTION_BITS_PREFIX, &id.to_be_bytes()].concat()
}

/// Key of a model version's blob.
pub fn blob_key(version: u32) -> Vec<u8> {
    [BLOB_PREFIX, &version.to_be_bytes()].concat()
}

/// Key of a proposal's candidate blob.
pub fn candidate_key(id: u64) -> Vec<u8> {
    [CANDIDATE_PREFIX, &id.to_be_bytes()].concat()
}

/// Store a model version's blob.
pub fn save_blob(storage: &mut dyn Storage, version: u32, blob: &[u8]) {
    chunked::save(storage, &blob_key(version), blob);
}

/// A model version's blob.
pub fn load_blob(storage: &dyn Storage, version: u32) -> Option<Vec<u8>> {
    chunked::load(storage, &blob_key(version))
}

/// Storage record `index` of a model version's blob: one read.
pub fn load_blob_record(storage: &dyn Storage, version: u32, index: u16) -> Option<Vec<u8>> {
    storage.get(&chunked::record_key(&blob_key(version), index))
}

/// Store a proposal's candidate blob.
pub fn save_candidate(storage: &mut dyn Storage, id: u64, blob: &[u8]) {
    chunked::save(storage, &candidate_key(id), blob);
}

/// A proposal's candidate blob.
pub fn load_candidate(storage: &dyn Storage, id: u64) -> Option<Vec<u8>> {
    chunked::load(storage, &candidate_key(id))
}

/// Drop a proposal's candidate blob of `len` bytes.
pub fn remove_candidate(storage: &mut dyn Storage, id: u64, len: usize) {
    chunked::remove(storage, &candidate_key(id), len);
}
