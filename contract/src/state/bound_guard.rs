//! The governor's side of the split (`docs/split.md`): the guard it
//! installs models on, what it has sent there, and whether this message
//! changed what the guard must hold. A contract without a bound guard (the
//! tests' single contract) keeps only the change flag.
use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Empty, Storage};
use cw_storage_plus::{Item, Map};

/// The guard (`BindGuard`, once).
pub const GUARD: Item<Addr> = Item::new("guard");

/// The bound guard's budgets, read from it at `BindGuard`: the governor
/// never accepts, nor is configured for, a model its guard would refuse.
#[cw_serde]
pub struct GuardCaps {
    /// The guard's `max_inference_ops`.
    pub max_inference_ops: u64,
    /// The guard's `max_check_gas`.
    pub max_check_gas: u64,
}

/// See [`GuardCaps`].
pub const GUARD_CAPS: Item<GuardCaps> = Item::new("guard_caps");

impl GuardCaps {
    /// Why `settings` ask more of the guard than it allows, if they do.
    pub fn exceeded_by(&self, settings: &vigil_guard_api::Settings) -> Option<String> {
        if settings.max_inference_ops > self.max_inference_ops {
            return Some(format!(
                "max_inference_ops {} is above the guard's {}",
                settings.max_inference_ops, self.max_inference_ops
            ));
        }
        if settings.max_check_gas > self.max_check_gas {
            return Some(format!(
                "max_check_gas {} is above the guard's {}",
                settings.max_check_gas, self.max_check_gas
            ));
        }
        None
    }
}

/// The sequence of the last `InstallModel` sent to the guard.
pub const GUARD_SEQUENCE: Item<u64> = Item::new("guard_seq");

/// Model versions whose blob the guard holds (sent once; later installs of
/// the same version re-activate the guard's copy).
pub const GUARD_HAS: Map<u32, Empty> = Map::new("guard_has");

/// Set while a message changes the active model, its threshold or the data
/// envelope; cleared when the change is sent to the guard at the end of
/// the message (`execute::bound_guard::flush`).
const CHANGED: Item<Empty> = Item::new("guard_changed");

/// Note that the record `Check` reads (model, threshold, envelope) changed.
pub fn mark_changed(storage: &mut dyn Storage) {
    // Written raw (`{}`, an `Empty`): nothing to serialise, nothing to
    // fail.
    storage.set(CHANGED.as_slice(), b"{}");
}

/// Whether a change was noted; clears the note.
pub fn take_changed(storage: &mut dyn Storage) -> bool {
    let changed = storage.get(CHANGED.as_slice()).is_some();
    if changed {
        storage.remove(CHANGED.as_slice());
    }
    changed
}
