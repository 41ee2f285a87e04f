use cosmwasm_schema::cw_serde;
use cosmwasm_std::Addr;
use cw_storage_plus::Item;
use vigil_guard_api::parking::Parking;
use vigil_guard_api::GuardContract;

/// The vault's settings.
#[cw_serde]
pub struct Config {
    /// Who may change the guard.
    pub owner: Addr,
    /// The guard asked before every withdrawal; `None`: unguarded.
    pub guard: Option<GuardContract>,
    /// The denom the vault pays out.
    pub denom: String,
    /// Refuse inputs outside the guard's data envelope too.
    pub deny_out_of_envelope: bool,
    /// Report every withdrawal to the guard's breaker (`Verdict`, then
    /// `Observe`) instead of a plain `Check`: the vault must be registered
    /// with the guard as a protected contract.
    #[serde(default)]
    pub observe: bool,
}

pub const CONFIG: Item<Config> = Item::new("config");

/// Withdrawals the breaker delayed.
pub const PARKING: Parking = Parking::new("parked", "parked_next");
