use cosmwasm_schema::cw_serde;
use cosmwasm_std::Addr;
use cw_storage_plus::Item;
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
}

pub const CONFIG: Item<Config> = Item::new("config");
