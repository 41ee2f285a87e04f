//! Storage: cw-storage-plus `Item`s and `Map`s (JSON values), except where
//! gas asks for raw bytes:
//!
//! - [`active`]: the record every `Check` reads (header + blob);
//! - [`chunked`]: model and candidate blobs (raw bytes, 128 KiB records);
//! - [`envelope`]: the test set's range and the data envelope;
//! - [`samples`]: the test samples an evaluation walks.
use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Decimal, Storage, Uint128};
use cw_storage_plus::{Item, Map};
use vigil_guard_api::msg::{Margins, ProposalStatus, RewardRule};
use vigil_guard_api::Settings;

pub mod active;
pub mod chunked;
pub mod envelope;
pub mod samples;

pub use active::{ACTIVE_HEADER_LEN, ACTIVE_KEY};

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
    /// included), or of the migration that converted it.
    #[serde(default)]
    pub last_step: u64,
}

impl Proposal {
    /// The first height at which `CloseStalled` may close it.
    pub fn closable_at(&self) -> u64 {
        self.last_step.saturating_add(self.stall_blocks)
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
/// The proposal being evaluated, if any.
pub const OPEN_PROPOSAL: Item<u64> = Item::new("open_proposal");
pub use active::ACTIVE_VERSION;

/// Key prefix of stored model blobs (`blob` + version, u32 big-endian;
/// chunked).
pub const BLOB_PREFIX: &[u8] = b"blob";
/// Key prefix of open proposals' candidate blobs (`cand` + id, u64
/// big-endian; chunked).
pub const CANDIDATE_PREFIX: &[u8] = b"cand";

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
