//! The curator's hidden batch (see `execute::batch`), one raw record:
//! `committed_at`, `first_proposal`, `reveal_from`, `deadline` (u64
//! big-endian each), a flags byte (1 merged, 2 failed), then per chunk a
//! revealed byte (0 or 1) and its 32-byte hash. Fixed-width fields need no
//! JSON reader of their own in the wasm.
use cosmwasm_std::{HexBinary, StdError, StdResult, Storage};

/// Storage key of the batch record.
pub const BATCH_KEY: &[u8] = b"batch";

/// Bytes of a chunk's hash.
const HASH: usize = 32;
/// Bytes before the chunks.
const HEAD: usize = 4 * 8 + 1;
const MERGED: u8 = 1;
const FAILED: u8 = 2;

/// A hidden batch of test samples: the curator's commitment, one hash per
/// chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// Height of the commitment.
    pub committed_at: u64,
    /// Proposals from this id on (committed after it) are judged with it.
    pub first_proposal: u64,
    /// First height of its reveal.
    pub reveal_from: u64,
    /// First height after its reveal window.
    pub deadline: u64,
    /// The chunks' hashes (32 bytes each: `ExecuteMsg::validate`).
    pub chunks: Vec<HexBinary>,
    /// Which chunks were revealed (their records wait under
    /// [`batch_chunk_key`]).
    pub revealed: Vec<bool>,
    /// Joined the test set.
    pub merged: bool,
    /// Refused by the class rule when it was to join.
    pub failed: bool,
}

impl Batch {
    /// Every chunk revealed.
    pub fn complete(&self) -> bool {
        self.revealed.iter().all(|&r| r)
    }

    /// Will not join the test set: not revealed in time, or refused.
    pub fn void(&self, height: u64) -> bool {
        !self.merged && (self.failed || (height >= self.deadline && !self.complete()))
    }

    /// Proposal `id` waits for it before its evaluation starts.
    pub fn holds(&self, id: u64, height: u64) -> bool {
        id >= self.first_proposal && !self.merged && !self.void(height)
    }

    /// The record.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEAD + self.chunks.len() * (1 + HASH));
        for v in [
            self.committed_at,
            self.first_proposal,
            self.reveal_from,
            self.deadline,
        ] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out.push((u8::from(self.merged) * MERGED) | (u8::from(self.failed) * FAILED));
        for (hash, &revealed) in self.chunks.iter().zip(&self.revealed) {
            out.push(u8::from(revealed));
            out.extend_from_slice(hash.as_slice());
        }
        out
    }

    /// A record written by [`Batch::encode`]; `None` if it is not one.
    pub fn decode(record: &[u8]) -> Option<Batch> {
        let (head, rest) = record.split_first_chunk::<HEAD>()?;
        if rest.len() % (1 + HASH) != 0 {
            return None;
        }
        let mut v = [0u64; 4];
        for (v, b) in v.iter_mut().zip(head.as_chunks::<8>().0) {
            *v = u64::from_be_bytes(*b);
        }
        let flags = head[HEAD - 1];
        let (mut chunks, mut revealed) = (Vec::new(), Vec::new());
        for c in rest.as_chunks::<{ 1 + HASH }>().0 {
            revealed.push(match c[0] {
                0 => false,
                1 => true,
                _ => return None,
            });
            chunks.push(HexBinary::from(&c[1..]));
        }
        Some(Batch {
            committed_at: v[0],
            first_proposal: v[1],
            reveal_from: v[2],
            deadline: v[3],
            chunks,
            revealed,
            merged: flags & MERGED != 0,
            failed: flags & FAILED != 0,
        })
    }
}

/// The curator's latest batch, if any.
pub fn may_load(storage: &dyn Storage) -> StdResult<Option<Batch>> {
    storage
        .get(BATCH_KEY)
        .map(|r| Batch::decode(&r).ok_or_else(|| StdError::generic_err("corrupt batch record")))
        .transpose()
}

/// Store the batch.
pub fn save(storage: &mut dyn Storage, batch: &Batch) {
    storage.set(BATCH_KEY, &batch.encode());
}

/// Whether the batch holds proposal `id` (committed after it) at `height`:
/// its evaluation waits until the batch joined the test set or is void.
pub fn batch_holds(storage: &dyn Storage, id: u64, height: u64) -> bool {
    may_load(storage)
        .ok()
        .flatten()
        .is_some_and(|b| b.holds(id, height))
}

/// Key of a revealed batch chunk's records (`hb` + index, u32 big-endian):
/// each record a u32 big-endian length then the sample record.
pub fn batch_chunk_key(index: u32) -> Vec<u8> {
    [b"hb".as_slice(), &index.to_be_bytes()].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch() -> Batch {
        Batch {
            committed_at: 7,
            first_proposal: 3,
            reveal_from: 17,
            deadline: u64::MAX,
            chunks: vec![HexBinary::from(&[1u8; 32]), HexBinary::from(&[0xab; 32])],
            revealed: vec![true, false],
            merged: false,
            failed: true,
        }
    }

    #[test]
    fn a_batch_reads_back_as_written() {
        let b = batch();
        assert_eq!(Batch::decode(&b.encode()), Some(b.clone()));
        let merged = Batch {
            merged: true,
            failed: false,
            ..b
        };
        assert_eq!(Batch::decode(&merged.encode()), Some(merged));
    }

    #[test]
    fn a_record_that_is_not_a_batch_is_refused() {
        let record = batch().encode();
        assert_eq!(Batch::decode(&record[..HEAD - 1]), None);
        assert_eq!(Batch::decode(&record[..record.len() - 1]), None);
        let mut bad = record.clone();
        bad[HEAD] = 2;
        assert_eq!(Batch::decode(&bad), None);
    }
}
