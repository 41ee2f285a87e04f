//! The guard's side of the split (`docs/split.md`): who may install models
//! and the last install accepted. The single contract stores no
//! [`GOVERNOR`] (only a governor hands over to the next), so the
//! install handler refuses every sender in the single contract.
use cosmwasm_std::Addr;
use cw_storage_plus::Item;

/// The governor: the only address whose `InstallModel` the guard accepts.
pub const GOVERNOR: Item<Addr> = Item::new("governor");

/// The sequence of the last install accepted (absent: none, the next is 1).
pub const INSTALL_SEQUENCE: Item<u64> = Item::new("install_sequence");
