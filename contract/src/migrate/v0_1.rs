//! Reading a 0.1 store: a read-only decoder of the 0.1 records (the
//! migration's reader; nothing writes this format any more).
//!
//! Every 0.1 record is a compact binary record under a raw key: a leading
//! encoding byte (1), then fixed-width little-endian integers, `Decimal`s
//! and `Uint128`s as their 16-byte atomics, strings (and addresses) as a u32
//! length then UTF-8 bytes, options as a 0/1 byte then the value, enums as
//! one tag byte. Keys: the items `config`, `vault`, `latest_version`,
//! `test_set`, `next_proposal`, `open_proposal`, `active_version`; model
//! info at `info` + version (u64 big-endian); proposals at `prop` + id (u64
//! big-endian). The active record, the blobs (`blob` + u32), candidate
//! blobs (`cand` + u64) and samples (`ts` + u32) have the 0.2 layout
//! already.
use cosmwasm_std::{Addr, Decimal, Order, Storage, Uint128};
use vigil_guard_api::msg::{Margin, Margins, PausedCheck, ProposalStatus, RewardRule};
use vigil_guard_api::Settings;

use crate::error::ContractError;
use crate::state::{Config, Counts, Proposal, TestSetMeta};

/// The 0.1 records' encoding byte.
const ENCODING: u8 = 1;

/// Raw keys of the 0.1 items.
pub const CONFIG_KEY: &[u8] = b"config";
/// The vault.
pub const VAULT_KEY: &[u8] = b"vault";
/// Highest stored version.
pub const LATEST_VERSION_KEY: &[u8] = b"latest_version";
/// Test-set bookkeeping.
pub const TEST_SET_KEY: &[u8] = b"test_set";
/// Next proposal id.
pub const NEXT_PROPOSAL_KEY: &[u8] = b"next_proposal";
/// The open proposal.
pub const OPEN_PROPOSAL_KEY: &[u8] = b"open_proposal";
/// The active version.
pub const ACTIVE_VERSION_KEY: &[u8] = b"active_version";
/// Prefix of model info records.
pub const INFO_PREFIX: &[u8] = b"info";
/// Prefix of proposal records.
pub const PROPOSAL_PREFIX: &[u8] = b"prop";

/// A 0.1 model info record (the fields 0.2 keeps; its SDK gas estimate is
/// dropped: 0.2 stores the cosmwasm units instead, from the blob).
#[derive(Debug, PartialEq)]
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
    /// Cost bound (wasm operations).
    pub cost_ops: u64,
    /// Counts when accepted.
    pub counts: Option<Counts>,
    /// Test-set version of those counts.
    pub test_set_version: Option<u32>,
}

/// Reads one record's fields; `None` at the first malformed one.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }
    fn tag(&mut self, n: u8) -> Option<u8> {
        self.take::<1>().map(|[t]| t).filter(|&t| t < n)
    }
    fn bool(&mut self) -> Option<bool> {
        self.tag(2).map(|t| t == 1)
    }
    fn u16(&mut self) -> Option<u16> {
        self.take().map(u16::from_le_bytes)
    }
    fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_le_bytes)
    }
    fn u64(&mut self) -> Option<u64> {
        self.take().map(u64::from_le_bytes)
    }
    fn uint128(&mut self) -> Option<Uint128> {
        self.take().map(u128::from_le_bytes).map(Uint128::new)
    }
    fn decimal(&mut self) -> Option<Decimal> {
        self.take().map(u128::from_le_bytes).map(Decimal::raw)
    }
    fn string(&mut self) -> Option<String> {
        let len = self.u32()? as usize;
        let (s, rest) = self.0.split_at_checked(len)?;
        self.0 = rest;
        String::from_utf8(s.to_vec()).ok()
    }
    fn addr(&mut self) -> Option<Addr> {
        self.string().map(Addr::unchecked)
    }
    fn opt_u32(&mut self) -> Option<Option<u32>> {
        Some(if self.bool()? {
            Some(self.u32()?)
        } else {
            None
        })
    }
    fn margins(&mut self) -> Option<Margins> {
        let mut m = [
            Margin::default(),
            Margin::default(),
            Margin::default(),
            Margin::default(),
        ];
        for slot in &mut m {
            slot.min_gain = self.decimal()?;
            slot.tolerance = self.decimal()?;
        }
        let [accuracy, f1, precision, recall] = m;
        Some(Margins {
            accuracy,
            f1,
            precision,
            recall,
        })
    }
    fn reward(&mut self) -> Option<RewardRule> {
        Some(match self.tag(3)? {
            0 => RewardRule::None,
            1 => RewardRule::Fixed {
                amount: self.uint128()?,
            },
            _ => RewardRule::BondShare {
                share: self.decimal()?,
            },
        })
    }
    fn counts(&mut self) -> Option<Counts> {
        Some(Counts {
            tp: self.u32()?,
            fp: self.u32()?,
            tn: self.u32()?,
            fn_: self.u32()?,
        })
    }
}

/// Decode a whole record with `read`: the encoding byte, the fields,
/// nothing more.
fn decode<T>(
    what: &str,
    record: &[u8],
    read: impl FnOnce(&mut Reader<'_>) -> Option<T>,
) -> Result<T, ContractError> {
    let corrupt = || ContractError::CorruptRecord(format!("0.1 {what}"));
    let (&encoding, rest) = record.split_first().ok_or_else(corrupt)?;
    let mut r = Reader(rest);
    match read(&mut r) {
        Some(v) if encoding == ENCODING && r.0.is_empty() => Ok(v),
        _ => Err(corrupt()),
    }
}

/// The 0.1 configuration.
pub fn config(record: &[u8]) -> Result<Config, ContractError> {
    decode("config", record, |r| {
        let admin = r.addr()?;
        let n_features = r.u16()?;
        let bond_denom = r.string()?;
        let min_bond = r.uint128()?;
        let margins = r.margins()?;
        let reward = r.reward()?;
        let max_inference_ops = r.u64()?;
        let deny_threshold = if r.bool()? { Some(r.decimal()?) } else { None };
        let paused_check = match r.tag(3)? {
            0 => PausedCheck::Allow,
            1 => PausedCheck::Deny,
            _ => PausedCheck::Error,
        };
        let max_class_ratio = r.decimal()?;
        let eval_batch = r.u32()?;
        let paused = r.bool()?;
        Some(Config {
            admin,
            settings: Settings {
                n_features,
                bond_denom,
                min_bond,
                margins,
                reward,
                max_inference_ops,
                // Set by the conversion from the stored models
                // (`super::migrated_max_check_gas`).
                max_check_gas: u64::MAX,
                deny_threshold,
                paused_check,
                max_class_ratio,
                eval_batch,
                // New in 0.2: the defaults.
                stall_blocks: vigil_guard_api::settings::DEFAULT_STALL_BLOCKS,
                stall_fee: vigil_guard_api::settings::DEFAULT_STALL_FEE,
                envelope_margin: vigil_guard_api::settings::default_envelope_margin(),
            },
            paused,
        })
    })
}

/// A 0.1 model info record.
pub fn model_info(record: &[u8]) -> Result<ModelInfo, ContractError> {
    decode("model info", record, |r| {
        let version = r.u32()?;
        let hash = r.string()?;
        let family = r.string()?;
        let proposer = r.addr()?;
        let size = r.u32()?;
        let cost_ops = r.u64()?;
        let _inference_sdk_gas = r.u64()?;
        let counts = if r.bool()? { Some(r.counts()?) } else { None };
        let test_set_version = r.opt_u32()?;
        Some(ModelInfo {
            version,
            hash,
            family,
            proposer,
            size,
            cost_ops,
            counts,
            test_set_version,
        })
    })
}

/// A 0.1 proposal record.
pub fn proposal(record: &[u8]) -> Result<Proposal, ContractError> {
    decode("proposal", record, |r| {
        Some(Proposal {
            proposer: r.addr()?,
            bond: r.uint128()?,
            hash: r.string()?,
            status: match r.tag(4)? {
                0 => ProposalStatus::Evaluating,
                1 => ProposalStatus::Accepted,
                2 => ProposalStatus::Rejected,
                _ => ProposalStatus::Cancelled,
            },
            test_set_version: r.u32()?,
            incumbent_version: r.u32()?,
            cursor: r.opt_u32()?,
            evaluated: r.u32()?,
            total: r.u32()?,
            candidate: r.counts()?,
            incumbent: r.counts()?,
            accepted_version: r.opt_u32()?,
            margins: r.margins()?,
            reward: r.reward()?,
            // 0.1 judged every model at its own threshold; the candidate's
            // is filled in from its blob where one is left.
            deny_threshold: None,
            threshold_bits: None,
            // 0.1 had no deadline: the default window, counted from the
            // migration (set by the conversion), and no fee (it was
            // proposed without one).
            stall_blocks: vigil_guard_api::settings::DEFAULT_STALL_BLOCKS,
            stall_fee: cosmwasm_std::Decimal::zero(),
            last_step: 0,
        })
    })
}

/// The 0.1 test-set bookkeeping.
pub fn test_set(record: &[u8]) -> Result<TestSetMeta, ContractError> {
    decode("test set", record, |r| {
        Some(TestSetMeta {
            version: r.u32()?,
            next_id: r.u32()?,
            positives: r.u32()?,
            negatives: r.u32()?,
        })
    })
}

/// A 0.1 u32 item.
pub fn u32_item(what: &str, record: &[u8]) -> Result<u32, ContractError> {
    decode(what, record, |r| r.u32())
}

/// A 0.1 u64 item.
pub fn u64_item(what: &str, record: &[u8]) -> Result<u64, ContractError> {
    decode(what, record, |r| r.u64())
}

/// A 0.1 `Uint128` item.
pub fn uint128_item(what: &str, record: &[u8]) -> Result<Uint128, ContractError> {
    decode(what, record, |r| r.uint128())
}

/// Every record under `prefix` + a u64 big-endian id, in id order.
pub fn records_by_id(
    storage: &dyn Storage,
    prefix: &[u8],
) -> Result<Vec<(u64, Vec<u8>)>, ContractError> {
    let end = [prefix, &[0xFF; 9]].concat();
    storage
        .range(Some(prefix), Some(&end), Order::Ascending)
        .map(|(k, v)| {
            k.get(prefix.len()..)
                .and_then(|id| <[u8; 8]>::try_from(id).ok())
                .map(|id| (u64::from_be_bytes(id), v))
                .ok_or_else(|| ContractError::CorruptRecord("0.1 record key".into()))
        })
        .collect()
}
