//! Parked actions, for a protected contract whose breaker answers
//! [`Verdict::Delay`](crate::breaker::Verdict::Delay): park the action,
//! let anyone release it from its release height, let the guardian of the
//! contract's breaker cancel it before.
//!
//! ```ignore
//! const PARKING: Parking = Parking::new("parked", "parked_next");
//! // In the guarded execute, on a `delay` verdict:
//! let id = PARKING.park(deps.storage, &ParkedAction { recipient, value, release_at, action })?;
//! // `Release { id }`, from anyone:
//! let parked = PARKING.release(deps.storage, id, env.block.height)?; // pay it, report `released`
//! // `Cancel { id }`, from the guardian only:
//! PARKING.cancel(deps.storage, &deps.querier, &guard, &env.contract.address, id, &info.sender)?;
//! ```
use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, CustomQuery, QuerierWrapper, StdError, Storage, Uint128};
use cw_storage_plus::{Item, Map};

use crate::breaker::Action;
use crate::GuardContract;

/// An action waiting for its release height.
#[cw_serde]
pub struct ParkedAction {
    /// Who receives its value on release.
    pub recipient: String,
    /// Its value.
    pub value: Uint128,
    /// First height it may be released at.
    pub release_at: u64,
    /// The action as reported to the guard (reported again, as `released`).
    pub action: Action,
}

/// Why a release or a cancellation is refused.
#[derive(thiserror::Error, Debug, PartialEq)]
pub enum ParkingError {
    /// No parked action with this id (never parked, released or cancelled).
    #[error("no parked action {0}")]
    NotParked(u64),
    /// Released too early.
    #[error("parked action {id} may be released from height {release_at}")]
    NotDue {
        /// The action.
        id: u64,
        /// Its release height.
        release_at: u64,
    },
    /// Cancelled by someone other than the breaker's guardian.
    #[error("only the breaker's guardian may cancel a parked action")]
    NotGuardian,
    /// A storage or query error.
    #[error(transparent)]
    Std(#[from] StdError),
}

/// A protected contract's parked actions: a map and a counter, in the
/// namespaces given.
pub struct Parking<'a> {
    parked: Map<u64, ParkedAction>,
    next: Item<u64>,
    _names: core::marker::PhantomData<&'a ()>,
}

impl Parking<'_> {
    /// Parked actions under `parked`, the next id under `next`.
    pub const fn new(parked: &'static str, next: &'static str) -> Self {
        Parking {
            parked: Map::new(parked),
            next: Item::new(next),
            _names: core::marker::PhantomData,
        }
    }

    /// Parks an action; its id.
    pub fn park(
        &self,
        storage: &mut dyn Storage,
        action: &ParkedAction,
    ) -> Result<u64, ParkingError> {
        let id = self.next.may_load(storage)?.unwrap_or(0);
        self.next.save(storage, &(id + 1))?;
        self.parked.save(storage, id, action)?;
        Ok(id)
    }

    /// A parked action.
    pub fn get(&self, storage: &dyn Storage, id: u64) -> Result<ParkedAction, ParkingError> {
        self.parked
            .may_load(storage, id)?
            .ok_or(ParkingError::NotParked(id))
    }

    /// Removes and returns a parked action that is due at `height` (anyone
    /// may release it: pay it and report it as `released`).
    pub fn release(
        &self,
        storage: &mut dyn Storage,
        id: u64,
        height: u64,
    ) -> Result<ParkedAction, ParkingError> {
        let p = self.get(storage, id)?;
        if height < p.release_at {
            return Err(ParkingError::NotDue {
                id,
                release_at: p.release_at,
            });
        }
        self.parked.remove(storage, id);
        Ok(p)
    }

    /// Removes a parked action if `sender` is the guardian of `protected`'s
    /// breaker on `guard` (read from the guard, so the guardian is the
    /// guard's governed one, not a copy).
    pub fn cancel<C: CustomQuery>(
        &self,
        storage: &mut dyn Storage,
        querier: &QuerierWrapper<C>,
        guard: &GuardContract,
        protected: &Addr,
        id: u64,
        sender: &Addr,
    ) -> Result<ParkedAction, ParkingError> {
        let p = self.get(storage, id)?;
        let guardian = guard.protected(querier, protected)?.settings.guardian;
        if guardian.as_deref() != Some(sender.as_str()) {
            return Err(ParkingError::NotGuardian);
        }
        self.parked.remove(storage, id);
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;

    const P: Parking = Parking::new("p", "n");

    fn parked(release_at: u64) -> ParkedAction {
        ParkedAction {
            recipient: "alice".into(),
            value: Uint128::new(5),
            release_at,
            action: Action {
                kind: "withdraw".into(),
                value: Uint128::new(5),
                total_value: Uint128::new(100),
                price: None,
                caller: "alice".into(),
                features: vec![],
            },
        }
    }

    #[test]
    fn released_once_and_only_when_due() {
        let mut s = MockStorage::new();
        let a = P.park(&mut s, &parked(10)).unwrap();
        let b = P.park(&mut s, &parked(20)).unwrap();
        assert_ne!(a, b);
        assert_eq!(
            P.release(&mut s, a, 9),
            Err(ParkingError::NotDue {
                id: a,
                release_at: 10
            })
        );
        assert_eq!(P.release(&mut s, a, 10).unwrap(), parked(10));
        assert_eq!(P.release(&mut s, a, 11), Err(ParkingError::NotParked(a)));
        assert_eq!(P.get(&s, b).unwrap().release_at, 20);
    }
}
