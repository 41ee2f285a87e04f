use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Uint128};

#[cw_serde]
pub struct InstantiateMsg {
    /// The guard's address; `None` starts unguarded.
    pub guard: Option<String>,
    /// The denom the vault pays out.
    pub denom: String,
    /// Also refuse inputs outside the guard's data envelope (values beyond
    /// anything its test set holds, which the guard clamps before scoring).
    #[serde(default)]
    pub deny_out_of_envelope: bool,
    /// Report withdrawals to the guard's breaker (`Verdict` + `Observe`)
    /// instead of asking `Check`; register the vault with the guard first.
    #[serde(default)]
    pub observe: bool,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Pay `amount` to the sender, if the guard allows a transaction with
    /// these features.
    Withdraw {
        amount: Uint128,
        features: Vec<String>,
    },
    /// Owner only: ask another guard, or none (`None`).
    SetGuard { guard: Option<String> },
    /// Anyone: pay a withdrawal the breaker parked, once its delay is over.
    Release { id: u64 },
    /// The breaker's guardian (read from the guard): drop a parked
    /// withdrawal.
    Cancel { id: u64 },
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    /// A parked withdrawal.
    #[returns(vigil_guard_api::parking::ParkedAction)]
    Parked { id: u64 },
}

#[cw_serde]
pub struct ConfigResponse {
    pub owner: Addr,
    pub guard: Option<Addr>,
    pub denom: String,
    pub deny_out_of_envelope: bool,
    pub observe: bool,
}
