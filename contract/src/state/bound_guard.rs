//! The governor's side of the split (`docs/split.md`): the guard it
//! installs models on, what it has sent there, and whether this message
//! changed what the guard must hold. A contract without a bound guard (the
//! tests' single contract) keeps only the change flag.
use cosmwasm_std::{Addr, Empty, Storage};
use cw_storage_plus::{Item, Map};

/// The guard (`BindGuard`, once).
pub const GUARD: Item<Addr> = Item::new("guard");

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
    // An empty value is stored as one byte: writing cannot fail on
    // serialisation, and storage writes do not return errors.
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
