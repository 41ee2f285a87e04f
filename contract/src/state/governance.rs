//! The time-locked governance queue (see `execute::governance`): one raw
//! record per queued change, under `gq` + id (u64 big-endian, so ids sort
//! in queue order): `queued_at`, `apply_at`, `after_proposal` (u64
//! big-endian each), then the change as the JSON of its execute message,
//! read back by [`ExecuteMsg`]'s deserialiser. A typed JSON record would
//! link a second set of deserialisers (`ConfigUpdate`, `TestSample`, ...)
//! and a reader of its own.
use cosmwasm_std::{from_json, Order, StdError, StdResult, Storage};
use vigil_guard_api::msg::{ExecuteMsg, GovernanceChange, PendingChange};

/// Key prefix of the queued changes.
const PREFIX: &[u8] = b"gq";
/// Bytes before the JSON.
const HEAD: usize = 3 * 8;

/// A queued governance change as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedChange {
    /// The change: its execute message's JSON.
    pub msg: Vec<u8>,
    /// Height it was queued at.
    pub queued_at: u64,
    /// First height it may apply at.
    pub apply_at: u64,
    /// Proposals with a lower id (committed before it was queued) must be
    /// decided before a test-set change or rollback applies.
    pub after_proposal: u64,
}

impl QueuedChange {
    /// The change, read back from its message.
    pub fn change(&self) -> StdResult<GovernanceChange> {
        GovernanceChange::from_msg(from_json::<ExecuteMsg>(&self.msg)?)
            .ok_or_else(|| StdError::generic_err("a queued change is not a governance message"))
    }

    /// As the `Governance` query answers it.
    pub fn pending(&self, id: u64) -> StdResult<PendingChange> {
        Ok(PendingChange {
            id,
            change: self.change()?,
            queued_at: self.queued_at,
            apply_at: self.apply_at,
            after_proposal: self.after_proposal,
        })
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEAD + self.msg.len());
        for v in [self.queued_at, self.apply_at, self.after_proposal] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out.extend_from_slice(&self.msg);
        out
    }

    fn decode(record: &[u8]) -> Option<QueuedChange> {
        let (head, msg) = record.split_first_chunk::<HEAD>()?;
        let mut v = [0u64; 3];
        for (v, b) in v.iter_mut().zip(head.as_chunks::<8>().0) {
            *v = u64::from_be_bytes(*b);
        }
        Some(QueuedChange {
            msg: msg.to_vec(),
            queued_at: v[0],
            apply_at: v[1],
            after_proposal: v[2],
        })
    }
}

fn key(id: u64) -> Vec<u8> {
    [PREFIX, &id.to_be_bytes()].concat()
}

/// Queue change `id`.
pub fn save(storage: &mut dyn Storage, id: u64, change: &QueuedChange) {
    storage.set(&key(id), &change.encode());
}

/// Drop change `id`.
pub fn remove(storage: &mut dyn Storage, id: u64) {
    storage.remove(&key(id));
}

/// The queued changes after `start_after` (from the first when `None`), in
/// order.
pub fn range(
    storage: &dyn Storage,
    start_after: Option<u64>,
) -> impl Iterator<Item = StdResult<(u64, QueuedChange)>> + '_ {
    let start = match start_after {
        Some(id) => id.checked_add(1).map(key),
        None => Some(key(0)),
    };
    // Past the last id: an empty range.
    let start = start.unwrap_or_else(|| [PREFIX, &[0xff; 9]].concat());
    let end = [PREFIX, &[0xff; 8], &[0]].concat();
    storage
        .range(Some(&start), Some(&end), Order::Ascending)
        .map(|(k, v)| {
            let id = k
                .get(PREFIX.len()..)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64::from_be_bytes);
            match (id, QueuedChange::decode(&v)) {
                (Some(id), Some(c)) => Ok((id, c)),
                _ => Err(StdError::generic_err("corrupt governance record")),
            }
        })
}

/// The first queued change.
pub fn first(storage: &dyn Storage) -> StdResult<Option<(u64, QueuedChange)>> {
    range(storage, None).next().transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;
    use cosmwasm_std::to_json_vec;

    fn change(version: u32) -> QueuedChange {
        QueuedChange {
            msg: to_json_vec(&GovernanceChange::Rollback { version }).unwrap(),
            queued_at: 5,
            apply_at: 15,
            after_proposal: 3,
        }
    }

    #[test]
    fn changes_read_back_in_id_order_after_start_after() {
        let mut s = MockStorage::new();
        for id in [2u64, 1, 300, u64::MAX] {
            save(&mut s, id, &change(id as u32));
        }
        // A key of another record sorting right after the prefix.
        s.set(b"gr", b"other");
        let ids =
            |after| -> Vec<u64> { range(&s, after).map(|r| r.unwrap().0).collect::<Vec<_>>() };
        assert_eq!(ids(None), [1, 2, 300, u64::MAX]);
        assert_eq!(ids(Some(1)), [2, 300, u64::MAX]);
        assert_eq!(ids(Some(u64::MAX)), Vec::<u64>::new());
        let (id, c) = first(&s).unwrap().unwrap();
        assert_eq!((id, &c), (1, &change(1)));
        assert_eq!(
            c.change().unwrap(),
            GovernanceChange::Rollback { version: 1 }
        );
        remove(&mut s, 1);
        assert_eq!(first(&s).unwrap().unwrap().0, 2);
    }

    #[test]
    fn a_record_that_is_no_change_is_refused() {
        assert_eq!(QueuedChange::decode(&[0; HEAD - 1]), None);
        let sweep = QueuedChange {
            msg: br#"{"sweep":{}}"#.to_vec(),
            ..change(1)
        };
        assert!(sweep.change().is_err());
    }
}
