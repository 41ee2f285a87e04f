use cosmwasm_std::StdError;
use thiserror::Error;

/// Why a vault call failed.
#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    /// Storage, address or guard-query errors (a failing guard query fails
    /// the withdrawal: errors fail closed).
    #[error("{0}")]
    Std(#[from] StdError),
    /// Only the owner (the instantiating account) may change the guard.
    #[error("unauthorized: only the owner may change the guard")]
    Unauthorized,
    /// The guard's `Check` answered deny.
    #[error("withdrawal refused by the guard (score {score})")]
    Refused { score: String },
    /// The guard reported inputs outside its data envelope and the vault
    /// refuses them (`deny_out_of_envelope`).
    #[error("withdrawal refused: {count} input(s) outside the guard's data envelope (features {features:?})")]
    OutOfEnvelope { count: u32, features: Vec<u16> },
    /// A parked withdrawal that cannot be released or cancelled.
    #[error("{0}")]
    Parking(#[from] vigil_guard_api::parking::ParkingError),
    /// `Release`/`Cancel` on a vault that does not observe.
    #[error("this vault does not report to a guard's breaker")]
    NotObserving,
    /// A withdrawal of nothing.
    #[error("nothing to withdraw: the amount is zero")]
    ZeroAmount,
}
