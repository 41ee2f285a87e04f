//! Storage, shaped for gas.
//!
//! The hot path (`Check`, `Score`) reads exactly one key: [`ACTIVE_KEY`],
//! holding a 10-byte [`ActiveHeader`] followed by the active model's blob,
//! read in place. Test samples are one raw key each (`b"ts"` + id,
//! big-endian) so evaluation walks them with one range iterator, paying the
//! iterator's per-step cost instead of a read's.
//!
//! Every other record (configuration, vault, counters, model info,
//! proposals, test-set bookkeeping) is a compact binary record under a raw
//! key, written and read by [`Record`] impls in this module only: a leading
//! [`ENCODING`] byte (so a migration can tell old records from new), then
//! fixed-width little-endian integers, `Decimal`s and `Uint128`s as their
//! 16-byte atomics, strings (and `Addr`s, as their string bytes) as a u32
//! length then UTF-8 bytes, options as a 0/1 byte then the value, enums as
//! one tag byte. No JSON: smaller records, less gas, and no serde code for
//! state in the contract.
use cosmwasm_std::{Addr, Decimal, Order, StdError, StdResult, Storage, Uint128};

use crate::msg::{Margin, Margins, PausedCheck, ProposalStatus, RewardRule};

/// Version of the record encoding, the first byte of every record.
pub const ENCODING: u8 = 1;

/// Configuration.
#[derive(Clone, Debug, PartialEq)]
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

/// What the guard knows of a stored model.
#[derive(Clone, Debug, PartialEq)]
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
    /// Confusion counts when accepted (the metrics follow from them).
    pub counts: Option<Counts>,
    /// Test-set version of those counts.
    pub test_set_version: Option<u32>,
}

/// Test-set bookkeeping.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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

/// Confusion counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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
#[derive(Clone, Debug, PartialEq)]
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

// ---------------------------------------------------------------- encoding

/// Appends a record's fields.
#[derive(Debug)]
pub struct Writer(Vec<u8>);

impl Writer {
    /// A record: the [`ENCODING`] byte, then what is written.
    pub fn new() -> Self {
        Writer(vec![ENCODING])
    }

    /// The record's bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    fn bytes(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }

    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }

    fn u16(&mut self, v: u16) {
        self.bytes(&v.to_le_bytes());
    }

    fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }

    fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }

    fn u128(&mut self, v: u128) {
        self.bytes(&v.to_le_bytes());
    }

    fn decimal(&mut self, d: Decimal) {
        self.u128(d.atomics().u128());
    }

    fn str(&mut self, s: &str) {
        // (A message, and so any string in state, is far below 4 GiB.)
        self.u32(s.len() as u32);
        self.bytes(s.as_bytes());
    }

    fn opt_u32(&mut self, v: Option<u32>) {
        match v {
            Some(v) => {
                self.u8(1);
                self.u32(v);
            }
            None => self.u8(0),
        }
    }
}

impl Default for Writer {
    fn default() -> Self {
        Self::new()
    }
}

/// Reads a record's fields back. A short or malformed record does not stop
/// the reading: the reader notes it ([`Reader::bad`]), stands in zeros, and
/// [`Record::decode`] refuses the record at the end (no early exit per
/// field: less code).
#[derive(Debug)]
pub struct Reader<'a> {
    rest: &'a [u8],
    bad: bool,
}

fn corrupt() -> StdError {
    StdError::generic_err("corrupt state record")
}

impl<'a> Reader<'a> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        match self.rest.split_first_chunk::<N>() {
            Some((head, rest)) => {
                self.rest = rest;
                *head
            }
            None => self.fail([0; N]),
        }
    }

    /// Note a malformed record; `stand_in` is read instead.
    fn fail<T>(&mut self, stand_in: T) -> T {
        self.bad = true;
        self.rest = &[];
        stand_in
    }

    fn u8(&mut self) -> u8 {
        self.take::<1>()[0]
    }

    /// A one-byte tag below `n`.
    fn tag(&mut self, n: u8) -> u8 {
        match self.u8() {
            t if t < n => t,
            _ => self.fail(0),
        }
    }

    fn bool(&mut self) -> bool {
        self.tag(2) == 1
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take())
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }

    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take())
    }

    fn u128(&mut self) -> u128 {
        u128::from_le_bytes(self.take())
    }

    fn uint128(&mut self) -> Uint128 {
        Uint128::new(self.u128())
    }

    fn decimal(&mut self) -> Decimal {
        Decimal::raw(self.u128())
    }

    fn string(&mut self) -> String {
        let len = self.u32() as usize;
        match self.rest.split_at_checked(len) {
            Some((s, rest)) => {
                self.rest = rest;
                match String::from_utf8(s.to_vec()) {
                    Ok(s) => s,
                    Err(_) => self.fail(String::new()),
                }
            }
            None => self.fail(String::new()),
        }
    }

    fn addr(&mut self) -> Addr {
        Addr::unchecked(self.string())
    }

    fn opt_u32(&mut self) -> Option<u32> {
        self.bool().then(|| self.u32())
    }
}

/// A value stored as a binary record.
pub trait Record: Sized {
    /// Append the fields.
    fn write(&self, w: &mut Writer);
    /// Read the fields back (see [`Reader`] for malformed records).
    fn read(r: &mut Reader<'_>) -> Self;

    /// The whole record.
    fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.write(&mut w);
        w.into_bytes()
    }

    /// Decode a whole record: the [`ENCODING`] byte, the fields, nothing
    /// more.
    fn decode(record: &[u8]) -> StdResult<Self> {
        let (version, rest) = record.split_first().ok_or_else(corrupt)?;
        let mut r = Reader { rest, bad: false };
        let value = Self::read(&mut r);
        if *version != ENCODING || r.bad || !r.rest.is_empty() {
            return Err(corrupt());
        }
        Ok(value)
    }
}

impl Record for u32 {
    fn write(&self, w: &mut Writer) {
        w.u32(*self);
    }
    fn read(r: &mut Reader<'_>) -> Self {
        r.u32()
    }
}

impl Record for u64 {
    fn write(&self, w: &mut Writer) {
        w.u64(*self);
    }
    fn read(r: &mut Reader<'_>) -> Self {
        r.u64()
    }
}

impl Record for Uint128 {
    fn write(&self, w: &mut Writer) {
        w.u128(self.u128());
    }
    fn read(r: &mut Reader<'_>) -> Self {
        r.uint128()
    }
}

impl Record for Margins {
    fn write(&self, w: &mut Writer) {
        for m in [&self.accuracy, &self.f1, &self.precision, &self.recall] {
            w.decimal(m.min_gain);
            w.decimal(m.tolerance);
        }
    }
    fn read(r: &mut Reader<'_>) -> Self {
        let mut margin = || Margin {
            min_gain: r.decimal(),
            tolerance: r.decimal(),
        };
        Margins {
            accuracy: margin(),
            f1: margin(),
            precision: margin(),
            recall: margin(),
        }
    }
}

impl Record for RewardRule {
    fn write(&self, w: &mut Writer) {
        match self {
            RewardRule::None => w.u8(0),
            RewardRule::Fixed { amount } => {
                w.u8(1);
                w.u128(amount.u128());
            }
            RewardRule::BondShare { share } => {
                w.u8(2);
                w.decimal(*share);
            }
        }
    }
    fn read(r: &mut Reader<'_>) -> Self {
        match r.tag(3) {
            0 => RewardRule::None,
            1 => RewardRule::Fixed {
                amount: r.uint128(),
            },
            _ => RewardRule::BondShare { share: r.decimal() },
        }
    }
}

impl Record for Counts {
    fn write(&self, w: &mut Writer) {
        for v in [self.tp, self.fp, self.tn, self.fn_] {
            w.u32(v);
        }
    }
    fn read(r: &mut Reader<'_>) -> Self {
        Counts {
            tp: r.u32(),
            fp: r.u32(),
            tn: r.u32(),
            fn_: r.u32(),
        }
    }
}

impl Record for TestSetMeta {
    fn write(&self, w: &mut Writer) {
        for v in [self.version, self.next_id, self.positives, self.negatives] {
            w.u32(v);
        }
    }
    fn read(r: &mut Reader<'_>) -> Self {
        TestSetMeta {
            version: r.u32(),
            next_id: r.u32(),
            positives: r.u32(),
            negatives: r.u32(),
        }
    }
}

impl Record for Config {
    fn write(&self, w: &mut Writer) {
        w.str(self.admin.as_str());
        w.u16(self.n_features);
        w.str(&self.bond_denom);
        w.u128(self.min_bond.u128());
        self.margins.write(w);
        self.reward.write(w);
        w.u64(self.max_inference_ops);
        match self.deny_threshold {
            Some(t) => {
                w.u8(1);
                w.decimal(t);
            }
            None => w.u8(0),
        }
        w.u8(match self.paused_check {
            PausedCheck::Allow => 0,
            PausedCheck::Deny => 1,
            PausedCheck::Error => 2,
        });
        w.decimal(self.max_class_ratio);
        w.u32(self.eval_batch);
        w.u8(u8::from(self.paused));
    }
    fn read(r: &mut Reader<'_>) -> Self {
        Config {
            admin: r.addr(),
            n_features: r.u16(),
            bond_denom: r.string(),
            min_bond: r.uint128(),
            margins: Margins::read(r),
            reward: RewardRule::read(r),
            max_inference_ops: r.u64(),
            deny_threshold: if r.bool() { Some(r.decimal()) } else { None },
            paused_check: match r.tag(3) {
                0 => PausedCheck::Allow,
                1 => PausedCheck::Deny,
                _ => PausedCheck::Error,
            },
            max_class_ratio: r.decimal(),
            eval_batch: r.u32(),
            paused: r.bool(),
        }
    }
}

impl Record for ModelInfo {
    fn write(&self, w: &mut Writer) {
        w.u32(self.version);
        w.str(&self.hash);
        w.str(&self.family);
        w.str(self.proposer.as_str());
        w.u32(self.size);
        w.u64(self.cost_ops);
        w.u64(self.inference_sdk_gas);
        match &self.counts {
            Some(c) => {
                w.u8(1);
                c.write(w);
            }
            None => w.u8(0),
        }
        w.opt_u32(self.test_set_version);
    }
    fn read(r: &mut Reader<'_>) -> Self {
        ModelInfo {
            version: r.u32(),
            hash: r.string(),
            family: r.string(),
            proposer: r.addr(),
            size: r.u32(),
            cost_ops: r.u64(),
            inference_sdk_gas: r.u64(),
            counts: if r.bool() {
                Some(Counts::read(r))
            } else {
                None
            },
            test_set_version: r.opt_u32(),
        }
    }
}

impl Record for Proposal {
    fn write(&self, w: &mut Writer) {
        w.str(self.proposer.as_str());
        w.u128(self.bond.u128());
        w.str(&self.hash);
        w.u8(match self.status {
            ProposalStatus::Evaluating => 0,
            ProposalStatus::Accepted => 1,
            ProposalStatus::Rejected => 2,
            ProposalStatus::Cancelled => 3,
        });
        w.u32(self.test_set_version);
        w.u32(self.incumbent_version);
        w.opt_u32(self.cursor);
        w.u32(self.evaluated);
        w.u32(self.total);
        self.candidate.write(w);
        self.incumbent.write(w);
        w.opt_u32(self.accepted_version);
        self.margins.write(w);
        self.reward.write(w);
    }
    fn read(r: &mut Reader<'_>) -> Self {
        Proposal {
            proposer: r.addr(),
            bond: r.uint128(),
            hash: r.string(),
            status: match r.tag(4) {
                0 => ProposalStatus::Evaluating,
                1 => ProposalStatus::Accepted,
                2 => ProposalStatus::Rejected,
                _ => ProposalStatus::Cancelled,
            },
            test_set_version: r.u32(),
            incumbent_version: r.u32(),
            cursor: r.opt_u32(),
            evaluated: r.u32(),
            total: r.u32(),
            candidate: Counts::read(r),
            incumbent: Counts::read(r),
            accepted_version: r.opt_u32(),
            margins: Margins::read(r),
            reward: RewardRule::read(r),
        }
    }
}

// ---------------------------------------------------------------- items

/// A record under a fixed key.
pub struct Item<T> {
    key: &'static [u8],
    kind: &'static str,
    _t: core::marker::PhantomData<fn() -> T>,
}

impl<T: Record> Item<T> {
    const fn new(key: &'static [u8], kind: &'static str) -> Self {
        Item {
            key,
            kind,
            _t: core::marker::PhantomData,
        }
    }

    /// Write the record (storage writes cannot fail).
    pub fn save(&self, storage: &mut dyn Storage, value: &T) {
        storage.set(self.key, &value.encode());
    }

    /// The record, if any.
    pub fn may_load(&self, storage: &dyn Storage) -> StdResult<Option<T>> {
        storage.get(self.key).map(|r| T::decode(&r)).transpose()
    }

    /// The record, which must exist.
    pub fn load(&self, storage: &dyn Storage) -> StdResult<T> {
        T::decode(&get_or_not_found(storage, self.key, self.kind)?)
    }

    /// Delete the record.
    pub fn remove(&self, storage: &mut dyn Storage) {
        storage.remove(self.key);
    }
}

/// The value under `key`, or a not-found error naming `kind` (not generic:
/// one copy for every item).
fn get_or_not_found(storage: &dyn Storage, key: &[u8], kind: &str) -> StdResult<Vec<u8>> {
    storage.get(key).ok_or_else(|| StdError::not_found(kind))
}

/// Records by a big-endian integer id under a key prefix, so id order is
/// key order.
pub struct Map<T> {
    prefix: &'static [u8],
    _t: core::marker::PhantomData<fn() -> T>,
}

impl<T: Record> Map<T> {
    const fn new(prefix: &'static [u8]) -> Self {
        Map {
            prefix,
            _t: core::marker::PhantomData,
        }
    }

    /// Write a record (storage writes cannot fail).
    pub fn save(&self, storage: &mut dyn Storage, id: u64, value: &T) {
        storage.set(&key(self.prefix, &id.to_be_bytes()), &value.encode());
    }

    /// A record, if any.
    pub fn may_load(&self, storage: &dyn Storage, id: u64) -> StdResult<Option<T>> {
        storage
            .get(&key(self.prefix, &id.to_be_bytes()))
            .map(|r| T::decode(&r))
            .transpose()
    }

    /// Call `f` on up to `limit` records with ids after `after`, in id
    /// order.
    pub fn for_each(
        &self,
        storage: &dyn Storage,
        after: Option<u64>,
        limit: usize,
        f: &mut dyn FnMut(u64, T) -> StdResult<()>,
    ) -> StdResult<()> {
        walk(storage, self.prefix, 8, after, limit, &mut |id, record| {
            f(id, T::decode(record)?)
        })
    }
}

/// Configuration.
pub const CONFIG: Item<Config> = Item::new(b"config", "config");
/// Reward funds held by the contract (bond denom).
pub const VAULT: Item<Uint128> = Item::new(b"vault", "vault");
/// Stored models' info by version (`b"info"` + version as u64, big-endian).
pub const MODEL_INFO: Map<ModelInfo> = Map::new(b"info");
/// Highest version stored.
pub const LATEST_VERSION: Item<u32> = Item::new(b"latest_version", "latest version");
/// Test-set bookkeeping.
pub const TEST_SET: Item<TestSetMeta> = Item::new(b"test_set", "test set");
/// Proposals by id (`b"prop"` + id, big-endian).
pub const PROPOSALS: Map<Proposal> = Map::new(b"prop");
/// Next proposal id.
pub const NEXT_PROPOSAL: Item<u64> = Item::new(b"next_proposal", "next proposal id");
/// The proposal being evaluated, if any.
pub const OPEN_PROPOSAL: Item<u64> = Item::new(b"open_proposal", "open proposal");
/// The active model's version, also in the [`ActiveHeader`]: a few bytes
/// for the paths that need only the version (proposals, info queries), so
/// they do not read the whole blob. Written only by [`save_active`].
const ACTIVE_VERSION: Item<u32> = Item::new(b"active_version", "active version");

/// Key of the hot-path record: [`ActiveHeader`] then the active blob.
pub const ACTIVE_KEY: &[u8] = b"active";
const BLOB_PREFIX: &[u8] = b"blob";
const CANDIDATE_PREFIX: &[u8] = b"cand";
const SAMPLE_PREFIX: &[u8] = b"ts";

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

/// The largest value one storage record may hold: cosmwasm-vm refuses
/// writes above 128 KiB (`MAX_LENGTH_DB_VALUE`); the core's cost model
/// counts reads by the same limit.
pub const MAX_VALUE_BYTES: usize = vigil_inference_core::cost::KV_MAX_VALUE_BYTES as usize;

/// Key of continuation record `index` (1, 2, ...) of a chunked value:
/// `key`, `0xFF`, `index` (big-endian u16). No other key of the contract
/// has this shape: collection keys are a prefix plus a fixed-width id, and
/// no item key is another key plus `0xFF`.
fn chunk_key(key: &[u8], index: u16) -> Vec<u8> {
    let mut k = Vec::with_capacity(key.len() + 3);
    k.extend_from_slice(key);
    k.push(0xFF);
    k.extend_from_slice(&index.to_be_bytes());
    k
}

/// Write `value` at `key`, split into records of at most
/// [`MAX_VALUE_BYTES`]: the first at `key`, the rest at [`chunk_key`].
/// Every record but the last is full. A reader continues past a record only
/// if it is full, so it never reads a stale continuation left by a longer
/// earlier value, except right after a full last record: that one key is
/// removed. A value below 128 KiB (every model of typical size) stays one
/// record: one read. An empty value removes the key (storage refuses empty
/// values; no stored value of the contract is empty).
fn set_chunked(storage: &mut dyn Storage, key: &[u8], value: &[u8]) {
    if value.is_empty() {
        storage.remove(key);
        return;
    }
    let mut index = 0u16;
    let mut last = 0;
    for chunk in value.chunks(MAX_VALUE_BYTES) {
        if index == 0 {
            storage.set(key, chunk);
        } else {
            storage.set(&chunk_key(key, index), chunk);
        }
        last = chunk.len();
        index += 1;
    }
    if last == MAX_VALUE_BYTES {
        storage.remove(&chunk_key(key, index));
    }
}

/// Read a value written by [`set_chunked`]; `None` if `key` is absent.
fn get_chunked(storage: &dyn Storage, key: &[u8]) -> Option<Vec<u8>> {
    let mut value = storage.get(key)?;
    let mut last = value.len();
    let mut index = 0u16;
    while last == MAX_VALUE_BYTES {
        index += 1;
        let Some(chunk) = storage.get(&chunk_key(key, index)) else {
            break;
        };
        last = chunk.len();
        value.extend_from_slice(&chunk);
    }
    Some(value)
}

/// Remove a value of `len` bytes written by [`set_chunked`], its
/// continuations too, without reading it (the caller holds its length).
fn remove_chunked(storage: &mut dyn Storage, key: &[u8], len: usize) {
    storage.remove(key);
    let continuations = len.saturating_sub(1) / MAX_VALUE_BYTES;
    for index in 1..=continuations {
        storage.remove(&chunk_key(key, index as u16));
    }
}

fn write_active(storage: &mut dyn Storage, header: &ActiveHeader, blob: &[u8]) {
    let mut record = Vec::with_capacity(ACTIVE_HEADER_LEN + blob.len());
    record.extend_from_slice(&header.encode());
    record.extend_from_slice(blob);
    set_chunked(storage, ACTIVE_KEY, &record);
}

/// Write the hot-path record (and the active version beside it).
pub fn save_active(storage: &mut dyn Storage, header: &ActiveHeader, blob: &[u8]) {
    write_active(storage, header, blob);
    ACTIVE_VERSION.save(storage, &header.version);
}

/// The active model's version (0 = none), without reading the blob.
pub fn active_version(storage: &dyn Storage) -> u32 {
    ACTIVE_VERSION.may_load(storage).ok().flatten().unwrap_or(0)
}

/// Read the hot-path record (one read unless the model is 128 KiB or more).
pub fn load_active(storage: &dyn Storage) -> Option<Vec<u8>> {
    get_chunked(storage, ACTIVE_KEY)
}

/// Rewrite only the header of the hot-path record (pause, threshold; the
/// version stays). The header lives in the first record, so only that
/// record is read and written, whatever the model's size.
pub fn update_active_header(storage: &mut dyn Storage, f: impl FnOnce(&mut ActiveHeader)) {
    if let Some(mut first) = storage.get(ACTIVE_KEY) {
        if let Some((mut header, _)) = ActiveHeader::decode(&first) {
            let version = header.version;
            f(&mut header);
            header.version = version;
            first[..ACTIVE_HEADER_LEN].copy_from_slice(&header.encode());
            storage.set(ACTIVE_KEY, &first);
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
    set_chunked(storage, &key(BLOB_PREFIX, &version.to_be_bytes()), blob);
}

/// Load a model version's blob.
pub fn load_blob(storage: &dyn Storage, version: u32) -> Option<Vec<u8>> {
    get_chunked(storage, &key(BLOB_PREFIX, &version.to_be_bytes()))
}

/// Store a proposal's candidate blob.
pub fn save_candidate(storage: &mut dyn Storage, id: u64, blob: &[u8]) {
    set_chunked(storage, &key(CANDIDATE_PREFIX, &id.to_be_bytes()), blob);
}

/// Load a proposal's candidate blob.
pub fn load_candidate(storage: &dyn Storage, id: u64) -> Option<Vec<u8>> {
    get_chunked(storage, &key(CANDIDATE_PREFIX, &id.to_be_bytes()))
}

/// Drop a proposal's candidate blob of `len` bytes.
pub fn remove_candidate(storage: &mut dyn Storage, id: u64, len: usize) {
    remove_chunked(storage, &key(CANDIDATE_PREFIX, &id.to_be_bytes()), len);
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
    f: &mut dyn FnMut(u32, &[u8]) -> StdResult<()>,
) -> StdResult<()> {
    walk(
        storage,
        SAMPLE_PREFIX,
        4,
        after.map(u64::from),
        limit,
        &mut |id, record| f(id as u32, record),
    )
}

/// Walk the keys `prefix` + id (`id_len` bytes, big-endian) in id order
/// after `after`, at most `limit`, calling `f(id, value)`. Not generic: one
/// copy of the iteration for every keyed collection.
fn walk(
    storage: &dyn Storage,
    prefix: &[u8],
    id_len: usize,
    after: Option<u64>,
    limit: usize,
    f: &mut dyn FnMut(u64, &[u8]) -> StdResult<()>,
) -> StdResult<()> {
    // The largest id of `id_len` bytes (`id_len` is 4 or 8).
    let max_id = u64::MAX >> (64 - 8 * id_len);
    let start = match after {
        Some(id) => match id.checked_add(1) {
            Some(next) if next <= max_id => key(prefix, &next.to_be_bytes()[8 - id_len..]),
            // Nothing follows the largest id.
            _ => return Ok(()),
        },
        None => prefix.to_vec(),
    };
    // Past every `prefix` + `id_len` bytes.
    let end = key(prefix, &[0xFF; 9][..=id_len]);
    for (k, v) in storage
        .range(Some(&start), Some(&end), Order::Ascending)
        .take(limit)
    {
        let id = k
            .get(prefix.len()..)
            .filter(|b| b.len() == id_len)
            .ok_or_else(corrupt)?
            .iter()
            .fold(0u64, |id, &b| (id << 8) | u64::from(b));
        f(id, &v)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::Margin;
    use cosmwasm_std::MemoryStorage;

    #[test]
    fn chunked_values_round_trip_and_never_read_stale_continuations() {
        let mut storage = MemoryStorage::new();
        let value = |len: usize, seed: u8| -> Vec<u8> {
            (0..len)
                .map(|i| (i as u8).wrapping_mul(31) ^ seed)
                .collect()
        };
        let m = MAX_VALUE_BYTES;
        // Longest first, so every shorter value overwrites longer leftovers.
        for (len, seed) in [
            (3 * m + 5, 1),
            (2 * m, 2),
            (m, 3),
            (m - 1, 4),
            (m + 1, 5),
            (1, 6),
        ] {
            let v = value(len, seed);
            set_chunked(&mut storage, b"k", &v);
            assert_eq!(
                get_chunked(&storage, b"k").as_deref(),
                Some(&v[..]),
                "len {len}"
            );
            // No record exceeds the VM's limit.
            let mut index = 0;
            let mut key = b"k".to_vec();
            while let Some(record) = storage.get(&key) {
                assert!(record.len() <= m);
                index += 1;
                key = chunk_key(b"k", index);
            }
        }
        assert_eq!(get_chunked(&storage, b"absent"), None);
        set_chunked(&mut storage, b"r", &value(2 * m + 7, 9));
        remove_chunked(&mut storage, b"r", 2 * m + 7);
        assert_eq!(get_chunked(&storage, b"r"), None);
        assert_eq!(storage.get(&chunk_key(b"r", 1)), None);
        assert_eq!(storage.get(&chunk_key(b"r", 2)), None);
    }

    #[test]
    fn header_update_of_a_chunked_active_record_keeps_the_blob() {
        let mut storage = MemoryStorage::new();
        let blob: Vec<u8> = (0..MAX_VALUE_BYTES * 2).map(|i| i as u8).collect();
        let header = ActiveHeader {
            version: 7,
            paused: false,
            paused_check: PausedCheck::Deny,
            threshold_bits: MODEL_THRESHOLD,
        };
        save_active(&mut storage, &header, &blob);
        update_active_header(&mut storage, |h| {
            h.paused = true;
            h.version = 99;
        });
        let record = load_active(&storage).unwrap();
        let (read, read_blob) = ActiveHeader::decode(&record).unwrap();
        assert_eq!(read_blob, &blob[..]);
        assert!(read.paused);
        assert_eq!(read.version, 7);
    }

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn counts(n: u32) -> Counts {
        Counts {
            tp: n,
            fp: n.wrapping_add(1),
            tn: u32::MAX,
            fn_: 0,
        }
    }

    fn configs() -> Vec<Config> {
        let base = Config {
            admin: Addr::unchecked("cosmwasm1admin"),
            n_features: u16::MAX,
            bond_denom: "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"
                .into(),
            min_bond: Uint128::MAX,
            margins: Margins {
                accuracy: Margin {
                    min_gain: dec("0.01"),
                    tolerance: Decimal::MAX,
                },
                recall: Margin {
                    min_gain: Decimal::zero(),
                    tolerance: dec("0.000000000000000001"),
                },
                ..Margins::default()
            },
            reward: RewardRule::BondShare { share: dec("0.1") },
            max_inference_ops: u64::MAX,
            deny_threshold: Some(dec("0.5")),
            paused_check: PausedCheck::Deny,
            max_class_ratio: dec("2"),
            eval_batch: u32::MAX,
            paused: true,
        };
        vec![
            base.clone(),
            Config {
                admin: Addr::unchecked(""),
                bond_denom: "dénom \"😀\"".into(),
                reward: RewardRule::None,
                deny_threshold: None,
                paused_check: PausedCheck::Allow,
                paused: false,
                ..base.clone()
            },
            Config {
                reward: RewardRule::Fixed {
                    amount: Uint128::new(5),
                },
                paused_check: PausedCheck::Error,
                ..base
            },
        ]
    }

    fn proposals() -> Vec<Proposal> {
        let base = Proposal {
            proposer: Addr::unchecked("cosmwasm1alice"),
            bond: Uint128::new(1000),
            hash: "ab".repeat(32),
            status: ProposalStatus::Evaluating,
            test_set_version: 3,
            incumbent_version: 0,
            cursor: None,
            evaluated: 0,
            total: 12,
            candidate: counts(1),
            incumbent: Counts::default(),
            accepted_version: None,
            margins: configs()[0].margins.clone(),
            reward: RewardRule::Fixed {
                amount: Uint128::MAX,
            },
        };
        let mut out = vec![base.clone()];
        for (status, cursor, accepted_version) in [
            (ProposalStatus::Accepted, Some(u32::MAX), Some(2)),
            (ProposalStatus::Rejected, Some(0), None),
            (ProposalStatus::Cancelled, None, Some(0)),
        ] {
            out.push(Proposal {
                status,
                cursor,
                accepted_version,
                reward: RewardRule::None,
                ..base.clone()
            });
        }
        out
    }

    fn infos() -> Vec<ModelInfo> {
        let base = ModelInfo {
            version: 1,
            hash: "00".repeat(32),
            family: "gbdt".into(),
            proposer: Addr::unchecked("cosmwasm1bob"),
            size: u32::MAX,
            cost_ops: u64::MAX,
            inference_sdk_gas: 7,
            counts: None,
            test_set_version: None,
        };
        vec![
            base.clone(),
            ModelInfo {
                counts: Some(counts(8)),
                test_set_version: Some(4),
                ..base
            },
        ]
    }

    /// The record round-trips, and every damaged form of it is refused.
    fn check<T: Record + PartialEq + core::fmt::Debug>(value: &T) {
        let record = value.encode();
        assert_eq!(record[0], ENCODING);
        assert_eq!(&T::decode(&record).unwrap(), value);
        for len in 0..record.len() {
            assert!(T::decode(&record[..len]).is_err(), "{value:?} cut at {len}");
        }
        let mut long = record.clone();
        long.push(0);
        assert!(T::decode(&long).is_err(), "{value:?} with a trailing byte");
        let mut other = record;
        other[0] = ENCODING + 1;
        assert!(T::decode(&other).is_err(), "{value:?} in another encoding");
    }

    #[test]
    fn records_round_trip() {
        for c in configs() {
            check(&c);
        }
        for p in proposals() {
            check(&p);
        }
        for i in infos() {
            check(&i);
        }
        check(&TestSetMeta {
            version: 1,
            next_id: u32::MAX,
            positives: 0,
            negatives: 5,
        });
        check(&counts(3));
        for v in [0u32, 1, u32::MAX] {
            check(&v);
        }
        for v in [0u64, u64::MAX] {
            check(&v);
        }
        for v in [Uint128::zero(), Uint128::MAX] {
            check(&v);
        }
    }

    #[test]
    fn malformed_fields_are_refused() {
        // A bool byte other than 0 or 1 (Config::paused, the last byte).
        let mut record = configs()[0].encode();
        *record.last_mut().unwrap() = 2;
        assert!(Config::decode(&record).is_err());
        // An unknown status tag (after proposer, bond, hash).
        let p = &proposals()[0];
        let mut record = p.encode();
        let status_at = 1 + 4 + p.proposer.as_str().len() + 16 + 4 + p.hash.len();
        assert_eq!(record[status_at], 0);
        record[status_at] = 4;
        assert!(Proposal::decode(&record).is_err());
        // A string that is not UTF-8.
        let mut record = infos()[0].encode();
        record[1 + 4 + 4] = 0xFF;
        assert!(ModelInfo::decode(&record).is_err());
    }

    #[test]
    fn items_and_maps() {
        let mut storage = MemoryStorage::new();
        assert_eq!(CONFIG.may_load(&storage).unwrap(), None);
        assert!(CONFIG.load(&storage).is_err());
        let config = configs().remove(1);
        CONFIG.save(&mut storage, &config);
        assert_eq!(CONFIG.load(&storage).unwrap(), config);
        OPEN_PROPOSAL.save(&mut storage, &7);
        OPEN_PROPOSAL.remove(&mut storage);
        assert_eq!(OPEN_PROPOSAL.may_load(&storage).unwrap(), None);

        let all = proposals();
        for (id, p) in [0, 1, 2, u64::MAX].into_iter().zip(&all) {
            PROPOSALS.save(&mut storage, id, p);
        }
        assert_eq!(
            PROPOSALS.may_load(&storage, 2).unwrap().as_ref(),
            Some(&all[2])
        );
        assert_eq!(PROPOSALS.may_load(&storage, 3).unwrap(), None);
        let ids = |after, limit| {
            let mut ids = Vec::new();
            PROPOSALS
                .for_each(&storage, after, limit, &mut |id, _| {
                    ids.push(id);
                    Ok(())
                })
                .unwrap();
            ids
        };
        assert_eq!(ids(None, 10), [0, 1, 2, u64::MAX]);
        assert_eq!(ids(None, 2), [0, 1]);
        assert_eq!(ids(Some(0), 10), [1, 2, u64::MAX]);
        assert_eq!(ids(Some(2), 10), [u64::MAX]);
        assert_eq!(ids(Some(u64::MAX - 1), 10), [u64::MAX]);
        assert_eq!(ids(Some(u64::MAX), 10), [] as [u64; 0]);
    }

    #[test]
    fn samples_walk_their_own_keys() {
        let mut storage = MemoryStorage::new();
        // Neighbours of the sample keys that the walk must not visit.
        storage.set(b"t", b"x");
        storage.set(b"tt", b"x");
        storage.set(b"test_set", b"x");
        for id in [0, 1, 256, u32::MAX] {
            save_sample(&mut storage, id, &[1, 2]);
        }
        let ids = |after, limit| {
            let mut ids = Vec::new();
            for_each_sample(&storage, after, limit, &mut |id, record| {
                assert_eq!(record, [1, 2]);
                ids.push(id);
                Ok(())
            })
            .unwrap();
            ids
        };
        assert_eq!(ids(None, 10), [0, 1, 256, u32::MAX]);
        assert_eq!(ids(None, 1), [0]);
        assert_eq!(ids(Some(1), 10), [256, u32::MAX]);
        assert_eq!(ids(Some(u32::MAX - 1), 10), [u32::MAX]);
        assert_eq!(ids(Some(u32::MAX), 10), [] as [u32; 0]);
    }
}
