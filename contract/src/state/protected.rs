//! The guard's protected contracts (`docs/breaker.md`): each one's
//! governed settings and pending change (JSON, [`PROTECTED`]), and the two
//! records every observation reads and writes, raw and fixed-length for
//! gas: one [`Baseline`] per action kind and one [`Breaker`].
use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Empty, Storage};
use cw_storage_plus::{Item, Map};
use vigil_guard_api::breaker::{PendingProtected, ProtectedSettings};
use vigil_inference_core::baseline::Baseline;
use vigil_inference_core::breaker::Breaker;

use crate::error::ContractError;

/// A protected contract's settings in force and its pending change.
#[cw_serde]
pub struct Protected {
    /// In force.
    pub settings: ProtectedSettings,
    /// Waiting for its height.
    pub pending: Option<PendingProtected>,
}

/// Protected contracts by address.
pub const PROTECTED: Map<&Addr, Protected> = Map::new("protected");

/// Blocks before a settings change takes effect (set at instantiation).
pub const CHANGE_DELAY: Item<u64> = Item::new("change_delay");

/// Key namespaces of the raw records (cw-storage-plus map keys, so they
/// cannot collide with an `Item`'s).
const BASELINES: Map<(&Addr, &str), Empty> = Map::new("bl");
const BREAKERS: Map<&Addr, Empty> = Map::new("bk");

/// A kind's baseline (the default, empty one before its first action).
pub fn load_baseline(
    storage: &dyn Storage,
    contract: &Addr,
    kind: &str,
) -> Result<Baseline, ContractError> {
    match storage.get(&BASELINES.key((contract, kind))) {
        None => Ok(Baseline::default()),
        Some(b) => {
            Baseline::decode(&b).ok_or_else(|| ContractError::CorruptRecord("baseline".into()))
        }
    }
}

/// Stores a kind's baseline.
pub fn save_baseline(storage: &mut dyn Storage, contract: &Addr, kind: &str, b: &Baseline) {
    storage.set(&BASELINES.key((contract, kind)), &b.encode());
}

/// Removes a kind's baseline.
pub fn remove_baseline(storage: &mut dyn Storage, contract: &Addr, kind: &str) {
    storage.remove(&BASELINES.key((contract, kind)));
}

/// A contract's breaker (closed, empty before its first action).
pub fn load_breaker(storage: &dyn Storage, contract: &Addr) -> Result<Breaker, ContractError> {
    match storage.get(&BREAKERS.key(contract)) {
        None => Ok(Breaker::default()),
        Some(b) => {
            Breaker::decode(&b).ok_or_else(|| ContractError::CorruptRecord("breaker".into()))
        }
    }
}

/// Stores a contract's breaker.
pub fn save_breaker(storage: &mut dyn Storage, contract: &Addr, b: &Breaker) {
    storage.set(&BREAKERS.key(contract), &b.encode());
}

/// Removes a contract's breaker.
pub fn remove_breaker(storage: &mut dyn Storage, contract: &Addr) {
    storage.remove(&BREAKERS.key(contract));
}

/// The guard's change delay (a guard instantiated before it existed: the
/// default).
pub fn change_delay(storage: &dyn Storage) -> Result<u64, ContractError> {
    Ok(CHANGE_DELAY
        .may_load(storage)?
        .unwrap_or(vigil_guard_api::breaker::DEFAULT_CHANGE_DELAY))
}
