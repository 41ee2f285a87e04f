//! Storage, shaped for gas.
//!
//! The hot path (`Check`, `Score`) reads exactly one key: [`ACTIVE_KEY`],
//! holding a 10-byte [`ActiveHeader`] followed by the active model's blob,
//! read in place (never JSON). Everything else is small JSON items read only
//! by executes and info queries. Test samples are one raw key each
//! (`b"ts"` + id, big-endian) so evaluation walks them with one range
//! iterator, paying the iterator's per-step cost instead of a read's.
use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Decimal, Order, StdResult, Storage, Uint128};
use cw_storage_plus::{Item, Map};

use crate::msg::{Margins, Metrics, PausedCheck, ProposalStatus, RewardRule};

/// Configuration.
#[cw_serde]
pub struct Config {
    /// Governance address.
    pub admin: Addr,
    /// Raw inputs per model and sample.
    pub n_features: u16,
    /// Bond denom.
    pub bond_denom: String,
    /// Minimum bond.
    pub min_bond: Uint128,
    /// PoIm margins.
    pub margins: Margins,
    /// Reward rule.
    pub reward: RewardRule,
    /// Operation budget per inference.
    pub max_inference_ops: u64,
    /// Deny threshold override.
    pub deny_threshold: Option<Decimal>,
    /// Paused behaviour.
    pub paused_check: PausedCheck,
    /// Class ratio for the test set.
    pub max_class_ratio: Decimal,
    /// Rows per evaluation step.
    pub eval_batch: u32,
    /// Circuit breaker.
    pub paused: bool,
}

/// Configuration.
pub const CONFIG: Item<Config> = Item::new("config");
/// Reward funds held by the contract (bond denom).
pub const VAULT: Item<Uint128> = Item::new("vault");

/// What the guard knows of a stored model.
#[cw_serde]
pub struct ModelInfo {
    /// Version.
    pub version: u32,
    /// Checksum (hex).
    pub hash: String,
    /// Family name.
    pub family: String,
    /// Proposer.
    pub proposer: Addr,
    /// Blob bytes.
    pub size: u32,
    /// Cost bound (wasm ops).
    pub cost_ops: u64,
    /// Model-dependent SDK gas per inference (read + compute).
    pub inference_sdk_gas: u64,
    /// Metrics when accepted.
    pub metrics: Option<Metrics>,
    /// Test-set version of those metrics.
    pub test_set_version: Option<u32>,
}

/// Stored models' info by version.
pub const MODEL_INFO: Map<u32, ModelInfo> = Map::new("model_info");
/// Highest version stored.
pub const LATEST_VERSION: Item<u32> = Item::new("latest_version");

/// Test-set bookkeeping.
#[cw_serde]
#[derive(Default)]
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
        self.positives + self.negatives
    }
}

/// Test-set bookkeeping.
pub const TEST_SET: Item<TestSetMeta> = Item::new("test_set");

/// Confusion counts.
#[cw_serde]
#[derive(Default, Copy)]
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
        match (predicted, actual) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, false) => self.tn += 1,
            (false, true) => self.fn_ += 1,
        }
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
}

/// Proposals by id.
pub const PROPOSALS: Map<u64, Proposal> = Map::new("proposals");
/// Next proposal id.
pub const NEXT_PROPOSAL: Item<u64> = Item::new("next_proposal");
/// The proposal being evaluated, if any.
pub const OPEN_PROPOSAL: Item<u64> = Item::new("open_proposal");

/// Key of the hot-path record: [`ActiveHeader`] then the active blob.
pub const ACTIVE_KEY: &[u8] = b"active";
const BLOB_PREFIX: &[u8] = b"blob";
const CANDIDATE_PREFIX: &[u8] = b"cand";
const SAMPLE_PREFIX: &[u8] = b"ts";
const SAMPLE_END: &[u8] = b"tt";

/// Threshold bits meaning "use the model's own threshold".
pub const MODEL_THRESHOLD: u32 = u32::MAX;

/// The 10 bytes before the active blob: what `Check` needs besides the
/// model, so one read serves a whole inference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActiveHeader {
    /// Active model version.
    pub version: u32,
    /// Circuit breaker.
    pub paused: bool,
    /// Paused behaviour.
    pub paused_check: PausedCheck,
    /// Deny threshold as score bits, or [`MODEL_THRESHOLD`].
    pub threshold_bits: u32,
}

/// Header length.
pub const ACTIVE_HEADER_LEN: usize = 10;

impl ActiveHeader {
    fn encode(&self) -> [u8; ACTIVE_HEADER_LEN] {
        let mut h = [0u8; ACTIVE_HEADER_LEN];
        h[..4].copy_from_slice(&self.version.to_le_bytes());
        h[4] = u8::from(self.paused);
        h[5] = match self.paused_check {
            PausedCheck::Allow => 0,
            PausedCheck::Deny => 1,
            PausedCheck::Error => 2,
        };
        h[6..10].copy_from_slice(&self.threshold_bits.to_le_bytes());
        h
    }

    /// Split a stored record into header and blob.
    pub fn decode(record: &[u8]) -> Option<(ActiveHeader, &[u8])> {
        let (h, blob) = record.split_at_checked(ACTIVE_HEADER_LEN)?;
        let header = ActiveHeader {
            version: u32::from_le_bytes(h[..4].try_into().ok()?),
            paused: h[4] != 0,
            paused_check: match h[5] {
                0 => PausedCheck::Allow,
                1 => PausedCheck::Deny,
                _ => PausedCheck::Error,
            },
            threshold_bits: u32::from_le_bytes(h[6..10].try_into().ok()?),
        };
        Some((header, blob))
    }
}

/// Write the hot-path record.
pub fn save_active(storage: &mut dyn Storage, header: &ActiveHeader, blob: &[u8]) {
    let mut record = Vec::with_capacity(ACTIVE_HEADER_LEN + blob.len());
    record.extend_from_slice(&header.encode());
    record.extend_from_slice(blob);
    storage.set(ACTIVE_KEY, &record);
}

/// Read the hot-path record.
pub fn load_active(storage: &dyn Storage) -> Option<Vec<u8>> {
    storage.get(ACTIVE_KEY)
}

/// Rewrite only the header of the hot-path record (pause, threshold).
pub fn update_active_header(storage: &mut dyn Storage, f: impl FnOnce(&mut ActiveHeader)) {
    if let Some(record) = load_active(storage) {
        if let Some((mut header, blob)) = ActiveHeader::decode(&record) {
            f(&mut header);
            save_active(storage, &header, blob);
        }
    }
}

fn key(prefix: &[u8], id: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(prefix.len() + id.len());
    k.extend_from_slice(prefix);
    k.extend_from_slice(id);
    k
}

/// Store a model version's blob.
pub fn save_blob(storage: &mut dyn Storage, version: u32, blob: &[u8]) {
    storage.set(&key(BLOB_PREFIX, &version.to_be_bytes()), blob);
}

/// Load a model version's blob.
pub fn load_blob(storage: &dyn Storage, version: u32) -> Option<Vec<u8>> {
    storage.get(&key(BLOB_PREFIX, &version.to_be_bytes()))
}

/// Store a proposal's candidate blob.
pub fn save_candidate(storage: &mut dyn Storage, id: u64, blob: &[u8]) {
    storage.set(&key(CANDIDATE_PREFIX, &id.to_be_bytes()), blob);
}

/// Load a proposal's candidate blob.
pub fn load_candidate(storage: &dyn Storage, id: u64) -> Option<Vec<u8>> {
    storage.get(&key(CANDIDATE_PREFIX, &id.to_be_bytes()))
}

/// Drop a decided proposal's candidate blob.
pub fn remove_candidate(storage: &mut dyn Storage, id: u64) {
    storage.remove(&key(CANDIDATE_PREFIX, &id.to_be_bytes()));
}

/// Store a sample: label byte, then the packed features.
pub fn save_sample(storage: &mut dyn Storage, id: u32, record: &[u8]) {
    storage.set(&key(SAMPLE_PREFIX, &id.to_be_bytes()), record);
}

/// Load a sample record.
pub fn load_sample(storage: &dyn Storage, id: u32) -> Option<Vec<u8>> {
    storage.get(&key(SAMPLE_PREFIX, &id.to_be_bytes()))
}

/// Remove a sample.
pub fn remove_sample(storage: &mut dyn Storage, id: u32) {
    storage.remove(&key(SAMPLE_PREFIX, &id.to_be_bytes()));
}

/// Walk samples in id order after `after`, at most `limit`, calling `f(id,
/// record)`.
pub fn for_each_sample(
    storage: &dyn Storage,
    after: Option<u32>,
    limit: usize,
    mut f: impl FnMut(u32, &[u8]) -> StdResult<()>,
) -> StdResult<()> {
    let start = match after {
        Some(id) => match id.checked_add(1) {
            Some(next) => key(SAMPLE_PREFIX, &next.to_be_bytes()),
            None => return Ok(()),
        },
        None => SAMPLE_PREFIX.to_vec(),
    };
    for (k, v) in storage
        .range(Some(&start), Some(SAMPLE_END), Order::Ascending)
        .take(limit)
    {
        let id_bytes: [u8; 4] = k
            .get(SAMPLE_PREFIX.len()..)
            .and_then(|b| b.try_into().ok())
            .unwrap_or([0xFF; 4]);
        f(u32::from_be_bytes(id_bytes), &v)?;
    }
    Ok(())
}
