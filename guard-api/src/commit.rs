//! Commit, then reveal: the commitment a proposer sends with its bond
//! (`ExecuteMsg::CommitProposal`) before the model itself
//! (`ExecuteMsg::RevealProposal`), so a blob seen in the mempool at its
//! reveal cannot be proposed first by someone else.
//!
//! The commitment is 32 bytes:
//!
//! ```text
//! commitment = sha256( sha256(model) || proposer || salt )
//! ```
//!
//! - `sha256(model)`: the SHA-256 of every byte of the model blob, 32 bytes
//!   (not the checksum the blob carries);
//! - `proposer`: the committer's address as the chain writes it (bech32),
//!   its UTF-8 bytes; the contract uses the sender of the reveal, so only the
//!   committer can reveal, and a copied blob committed from another address
//!   gives another commitment;
//! - `salt`: exactly [`SALT_BYTES`] bytes the proposer draws at random and
//!   keeps until the reveal (fixed length, so the concatenation is
//!   unambiguous).
use sha2::{Digest, Sha256};

/// Bytes of a commitment.
pub const COMMITMENT_BYTES: usize = 32;

/// Bytes of a salt.
pub const SALT_BYTES: usize = 32;

/// The commitment to `model`, proposed by `proposer` (its address as a
/// string), with `salt`: what the contract recomputes at the reveal.
pub fn commitment(model: &[u8], proposer: &str, salt: &[u8]) -> [u8; COMMITMENT_BYTES] {
    let blob: [u8; 32] = Sha256::digest(model).into();
    Sha256::new()
        .chain_update(blob)
        .chain_update(proposer.as_bytes())
        .chain_update(salt)
        .finalize()
        .into()
}

/// The hash a curator commits for one chunk of a hidden batch
/// (`ExecuteMsg::CommitBatch`), checked at its reveal
/// (`ExecuteMsg::RevealBatch`):
///
/// ```text
/// sha256( salt || for each sample: label (1 byte, 0 or 1)
///                   || feature count (u32 big-endian)
///                   || for each feature: length (u32 big-endian) || UTF-8 bytes )
/// ```
///
/// with a [`SALT_BYTES`]-byte salt per chunk (it hides the samples until the
/// reveal).
pub fn chunk_hash(samples: &[crate::msg::TestSample], salt: &[u8]) -> [u8; COMMITMENT_BYTES] {
    let mut h = Sha256::new().chain_update(salt);
    for s in samples {
        h.update([u8::from(s.label)]);
        h.update((s.features.len() as u32).to_be_bytes());
        for f in &s.features {
            h.update((f.len() as u32).to_be_bytes());
            h.update(f.as_bytes());
        }
    }
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_model_proposer_and_salt() {
        let c = commitment(b"model", "cosmwasm1alice", &[7; SALT_BYTES]);
        // sha256(sha256("model") || "cosmwasm1alice" || 0x07 x 32), by hand.
        let mut pre = Sha256::digest(b"model").to_vec();
        pre.extend_from_slice(b"cosmwasm1alice");
        pre.extend_from_slice(&[7; SALT_BYTES]);
        assert_eq!(c.as_slice(), Sha256::digest(&pre).as_slice());
        assert_ne!(c, commitment(b"model", "cosmwasm1bob", &[7; SALT_BYTES]));
        assert_ne!(c, commitment(b"modem", "cosmwasm1alice", &[7; SALT_BYTES]));
        assert_ne!(c, commitment(b"model", "cosmwasm1alice", &[8; SALT_BYTES]));
    }

    #[test]
    fn a_chunk_hash_binds_every_byte() {
        use crate::msg::TestSample;
        let s = |f: &[&str], label| TestSample {
            features: f.iter().map(|x| x.to_string()).collect(),
            label,
        };
        let salt = [3; SALT_BYTES];
        let h = chunk_hash(&[s(&["1", "-2.5"], true)], &salt);
        let mut pre = salt.to_vec();
        pre.extend_from_slice(&[1, 0, 0, 0, 2, 0, 0, 0, 1, b'1', 0, 0, 0, 4]);
        pre.extend_from_slice(b"-2.5");
        assert_eq!(h.as_slice(), Sha256::digest(&pre).as_slice());
        // Feature boundaries, labels, order and salt all count.
        for other in [
            chunk_hash(&[s(&["1-", "2.5"], true)], &salt),
            chunk_hash(&[s(&["1", "-2.5"], false)], &salt),
            chunk_hash(&[s(&["1", "-2.5"], true)], &[4; SALT_BYTES]),
            chunk_hash(&[s(&["1", "-2.5"], true), s(&["0", "0"], false)], &salt),
        ] {
            assert_ne!(h, other);
        }
    }
}
