//! Values larger than one storage value: cosmwasm-vm refuses values above
//! 128 KiB (`WasmdGas::max_value_bytes`), so a model blob (and the active
//! record that holds one) is split into records of at most that size, the
//! first under the value's key, continuation `i` (1, 2, ...) under the key,
//! `0xFF` and `i` as a big-endian u16.
//!
//! Raw bytes, not cw-storage-plus: a blob is read whole on every `Check`
//! (the active record) and every evaluation step, and JSON or base64 would
//! grow it by a third and cost a decode per byte.
use cosmwasm_std::Storage;
use vigil_guard_api::gas::WasmdGas;

/// The largest value one storage record holds.
pub const MAX_VALUE_BYTES: usize = WasmdGas::DEFAULT.max_value_bytes;

/// Key of continuation record `index` (1, 2, ...) of a chunked value. No
/// other key of the contract has this shape: raw collection keys are a
/// prefix plus a fixed-width id, cw-storage-plus map keys start with a
/// length byte 0, and no item key is another key plus `0xFF`.
pub fn chunk_key(key: &[u8], index: u16) -> Vec<u8> {
    let mut k = Vec::with_capacity(key.len() + 3);
    k.extend_from_slice(key);
    k.push(0xFF);
    k.extend_from_slice(&index.to_be_bytes());
    k
}

/// Key of record `index` of a chunked value (0 is the value's own key).
pub fn record_key(key: &[u8], index: u16) -> Vec<u8> {
    if index == 0 {
        key.to_vec()
    } else {
        chunk_key(key, index)
    }
}

/// Write `value` at `key` in records of at most [`MAX_VALUE_BYTES`]. Every
/// record but the last is full; a reader continues past a record only if
/// it is full, so it never reads a stale continuation of a longer earlier
/// value, except right after a full last record: that one key is removed.
/// An empty value removes the key (storage refuses empty values).
pub fn save(storage: &mut dyn Storage, key: &[u8], value: &[u8]) {
    if value.is_empty() {
        storage.remove(key);
        return;
    }
    let mut index = 0u16;
    let mut last = 0;
    for chunk in value.chunks(MAX_VALUE_BYTES) {
        storage.set(&record_key(key, index), chunk);
        last = chunk.len();
        index = index.wrapping_add(1);
    }
    if last == MAX_VALUE_BYTES {
        storage.remove(&chunk_key(key, index));
    }
}

/// Read a value written by [`save`]; `None` if `key` is absent.
pub fn load(storage: &dyn Storage, key: &[u8]) -> Option<Vec<u8>> {
    let mut value = storage.get(key)?;
    let mut last = value.len();
    let mut index = 0u16;
    while last == MAX_VALUE_BYTES {
        index = index.wrapping_add(1);
        let Some(chunk) = storage.get(&chunk_key(key, index)) else {
            break;
        };
        last = chunk.len();
        value.extend_from_slice(&chunk);
    }
    Some(value)
}

/// Remove a value of `len` bytes written by [`save`], its continuations
/// too, without reading it.
pub fn remove(storage: &mut dyn Storage, key: &[u8], len: usize) {
    storage.remove(key);
    let continuations = len.saturating_sub(1) / MAX_VALUE_BYTES;
    for index in 1..=continuations {
        storage.remove(&chunk_key(key, index as u16));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::MemoryStorage;

    #[test]
    fn values_round_trip_and_never_read_stale_continuations() {
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
            save(&mut storage, b"k", &v);
            assert_eq!(load(&storage, b"k").as_deref(), Some(&v[..]), "len {len}");
            let mut index = 0;
            while let Some(record) = storage.get(&record_key(b"k", index)) {
                assert!(record.len() <= m);
                index += 1;
            }
        }
        assert_eq!(load(&storage, b"absent"), None);
        save(&mut storage, b"r", &value(2 * m + 7, 9));
        remove(&mut storage, b"r", 2 * m + 7);
        assert_eq!(load(&storage, b"r"), None);
        assert_eq!(storage.get(&chunk_key(b"r", 1)), None);
        assert_eq!(storage.get(&chunk_key(b"r", 2)), None);
    }
}
