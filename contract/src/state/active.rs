//! The hot-path record: what every `Check` reads, and all it reads.
//!
//! Key [`ACTIVE_KEY`] (chunked, see [`super::chunked`]) holds a
//! [`ACTIVE_HEADER_LEN`]-byte header (version u32 LE, paused, paused check,
//! deny threshold bits u32 LE) followed by the active model's blob, read in
//! place. A compact binary record on purpose: `Check`'s gas is one storage
//! read of this record plus the model, and `crate::gas::check_gas` counts
//! exactly these bytes; the layout is the 0.1 one, unchanged, so its bound
//! holds for stores of either version.
use cosmwasm_std::{StdResult, Storage};
use cw_storage_plus::Item;
use vigil_guard_api::msg::PausedCheck;

use super::chunked;

/// Key of the hot-path record.
pub const ACTIVE_KEY: &[u8] = b"active";

/// Header length.
pub const ACTIVE_HEADER_LEN: usize = 10;

/// Threshold bits meaning "use the model's own threshold" (the install
/// message's convention too).
pub const MODEL_THRESHOLD: u32 = vigil_guard_api::install::OWN_THRESHOLD;

/// The active model's version, also in the header: a few bytes for the
/// paths that need only the version (proposals, `Model`, `Config`), so they
/// do not read the blob. Written only by [`save_active`].
pub const ACTIVE_VERSION: Item<u32> = Item::new("active_version");

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

impl ActiveHeader {
    /// The header's bytes.
    pub fn encode(&self) -> [u8; ACTIVE_HEADER_LEN] {
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
        let (h, blob) = record.split_first_chunk::<ACTIVE_HEADER_LEN>()?;
        let header = ActiveHeader {
            version: u32::from_le_bytes([h[0], h[1], h[2], h[3]]),
            paused: h[4] != 0,
            paused_check: match h[5] {
                0 => PausedCheck::Allow,
                1 => PausedCheck::Deny,
                _ => PausedCheck::Error,
            },
            threshold_bits: u32::from_le_bytes([h[6], h[7], h[8], h[9]]),
        };
        Some((header, blob))
    }
}

/// Write the hot-path record and the active version beside it.
pub fn save_active(storage: &mut dyn Storage, header: &ActiveHeader, blob: &[u8]) -> StdResult<()> {
    let mut record = Vec::with_capacity(ACTIVE_HEADER_LEN + blob.len());
    record.extend_from_slice(&header.encode());
    record.extend_from_slice(blob);
    chunked::save(storage, ACTIVE_KEY, &record);
    ACTIVE_VERSION.save(storage, &header.version)
}

/// The active model's version (0 = none), without reading the blob.
pub fn active_version(storage: &dyn Storage) -> StdResult<u32> {
    Ok(ACTIVE_VERSION.may_load(storage)?.unwrap_or(0))
}

/// Read the hot-path record (one read unless it is 128 KiB or more).
pub fn load_active(storage: &dyn Storage) -> Option<Vec<u8>> {
    chunked::load(storage, ACTIVE_KEY)
}

/// The active record's header (one read of its first record), if a model
/// is active.
pub fn active_header(storage: &dyn Storage) -> Option<ActiveHeader> {
    storage
        .get(ACTIVE_KEY)
        .and_then(|first| ActiveHeader::decode(&first).map(|(h, _)| h))
}

/// Rewrite only the header (pause, threshold; the version stays). The
/// header lives in the first record, so only that record is read and
/// written, whatever the model's size.
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

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::MemoryStorage;

    #[test]
    fn header_update_of_a_chunked_record_keeps_the_blob() {
        let mut storage = MemoryStorage::new();
        let blob: Vec<u8> = (0..chunked::MAX_VALUE_BYTES * 2).map(|i| i as u8).collect();
        let header = ActiveHeader {
            version: 7,
            paused: false,
            paused_check: PausedCheck::Deny,
            threshold_bits: MODEL_THRESHOLD,
        };
        save_active(&mut storage, &header, &blob).unwrap();
        update_active_header(&mut storage, |h| {
            h.paused = true;
            h.version = 99;
        });
        let record = load_active(&storage).unwrap();
        let (read, read_blob) = ActiveHeader::decode(&record).unwrap();
        assert_eq!(read_blob, &blob[..]);
        assert!(read.paused);
        assert_eq!(read.version, 7);
        assert_eq!(active_version(&storage).unwrap(), 7);
        // The layout is the 0.1 one, byte for byte.
        assert_eq!(
            &record[..ACTIVE_HEADER_LEN],
            &[7, 0, 0, 0, 1, 1, 0xFF, 0xFF, 0xFF, 0xFF]
        );
    }
}
