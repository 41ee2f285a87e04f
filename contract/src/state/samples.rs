//! Test samples: raw keys `b"ts"` + id (u32 big-endian), each value a label
//! byte then the features as the core's packed exact decimals
//! (`decimal::Exact::pack`, 1-6 bytes a value).
//!
//! Raw bytes, not a cw-storage-plus `Map`: an evaluation step walks up to
//! `eval_batch` samples with one range iterator, paying wasmd's iterator
//! step (30 + 3 per byte of key and value) per sample. Packed, the 1,857
//! rows of the eth-fraud test set average ~30 bytes a sample; as JSON
//! (`{"label":true,"features":["-15605352.04",...]}`) they are 3-5x that,
//! plus serde code in the evaluation loop. The keys are the 0.1 keys: a
//! migration leaves them in place.
use cosmwasm_std::{Order, StdError, StdResult, Storage};

const PREFIX: &[u8] = b"ts";

fn key(id: u32) -> [u8; 6] {
    let mut k = [0u8; 6];
    k[..2].copy_from_slice(PREFIX);
    k[2..].copy_from_slice(&id.to_be_bytes());
    k
}

/// Store a sample record.
pub fn save(storage: &mut dyn Storage, id: u32, record: &[u8]) {
    storage.set(&key(id), record);
}

/// A sample record.
pub fn load(storage: &dyn Storage, id: u32) -> Option<Vec<u8>> {
    storage.get(&key(id))
}

/// Remove a sample.
pub fn remove(storage: &mut dyn Storage, id: u32) {
    storage.remove(&key(id));
}

/// Walk samples in id order after `after`, at most `limit`, calling
/// `f(id, record)`: one range iterator.
pub fn for_each(
    storage: &dyn Storage,
    after: Option<u32>,
    limit: usize,
    f: &mut dyn FnMut(u32, &[u8]) -> StdResult<()>,
) -> StdResult<()> {
    let start = match after {
        None => PREFIX.to_vec(),
        Some(id) => match id.checked_add(1) {
            Some(next) => key(next).to_vec(),
            None => return Ok(()),
        },
    };
    // Past every `ts` + 4 bytes.
    let end = [b't', b's', 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
    for (k, v) in storage
        .range(Some(&start), Some(&end), Order::Ascending)
        .take(limit)
    {
        let id = k
            .get(PREFIX.len()..)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_be_bytes)
            .ok_or_else(|| StdError::generic_err("corrupt test sample key"))?;
        f(id, &v)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::MemoryStorage;

    #[test]
    fn samples_walk_their_own_keys() {
        let mut storage = MemoryStorage::new();
        // Neighbours of the sample keys that the walk must not visit.
        storage.set(b"t", b"x");
        storage.set(b"tt", b"x");
        storage.set(b"test_set", b"x");
        for id in [0, 1, 256, u32::MAX] {
            save(&mut storage, id, &[1, 2]);
        }
        let ids = |after, limit| {
            let mut ids = Vec::new();
            for_each(&storage, after, limit, &mut |id, record| {
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
