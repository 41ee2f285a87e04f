//! The guard's messages once it is split from its governor
//! (`docs/split.md`): the queries integrators send, spelled as today's
//! [`QueryMsg`](crate::msg::QueryMsg) variants (the same JSON, so a
//! protected contract's `Check` does not change), and the few execute
//! messages the guard keeps. Not yet any contract's entry points.
use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::Binary;

use crate::breaker::{Action, InvalidProtected, Outcome, ProtectedSettings};
use crate::install::{InstallModel, InvalidInstall};
use crate::Settings;

/// The guard's instantiate message. The guard holds no model until its
/// governor installs one (the governor's `BindGuard` sends its active
/// model at once).
#[cw_serde]
pub struct GuardInstantiateMsg {
    /// Administration (pause, unpause, admin hand-over); default: the
    /// sender. It never installs models.
    pub admin: Option<String>,
    /// The only address whose `InstallModel` the guard accepts: the
    /// `vigil-governor` contract.
    pub governor: String,
    /// The settings; the guard applies `n_features`, `max_inference_ops`,
    /// `max_check_gas` and `paused_check` (give it the governor's).
    pub settings: Settings,
    /// Blocks before a change to a protected contract's settings (or its
    /// removal) takes effect (default
    /// [`DEFAULT_CHANGE_DELAY`](crate::breaker::DEFAULT_CHANGE_DELAY)): the
    /// admin cannot loosen a breaker inside the transaction that attacks.
    #[serde(default)]
    pub change_delay: Option<u64>,
}

impl GuardInstantiateMsg {
    /// The settings the guard applies, checked (the governance settings in
    /// `settings` are the governor's to check: a guard for a governor
    /// migrated from 0.1, whose margins predate today's rules, is
    /// instantiated with its settings as they are).
    pub fn validate(&self) -> Result<(), crate::InvalidSetting> {
        use crate::InvalidSetting;
        let s = &self.settings;
        if s.n_features == 0 {
            return Err(InvalidSetting::NoFeatures);
        }
        if s.max_inference_ops == 0 {
            return Err(InvalidSetting::ZeroBudget);
        }
        if s.max_check_gas == 0 {
            return Err(InvalidSetting::ZeroCheckGas);
        }
        Ok(())
    }
}

/// The guard's `Config` answer.
#[cw_serde]
pub struct GuardConfigResponse {
    /// Admin (pause, unpause).
    pub admin: String,
    /// The governor (the only installer).
    pub governor: String,
    /// The last install accepted (0: none).
    pub install_sequence: u64,
    /// Feature count.
    pub n_features: u16,
    /// Operation budget of an installed model.
    pub max_inference_ops: u64,
    /// `Check` gas budget (SDK gas above setup) of an installed model.
    pub max_check_gas: u64,
    /// Behaviour while paused.
    pub paused_check: crate::msg::PausedCheck,
    /// Paused now.
    pub paused: bool,
    /// Active model version (0 = none).
    pub active_version: u32,
    /// Blocks before a change to a protected contract's settings takes
    /// effect.
    pub change_delay: u64,
}

/// The guard's execute messages.
#[cw_serde]
pub enum GuardExecuteMsg {
    /// The governor: set the record `Check` reads.
    InstallModel(InstallModel),
    /// The governor: name its successor (the install sequence carries
    /// over).
    HandOverGovernor {
        /// The new governor.
        governor: String,
    },
    /// Admin: circuit breaker on (immediate).
    Pause {},
    /// Admin: circuit breaker off (immediate).
    Unpause {},
    /// Admin: hand the guard's administration (pause, admin) to another
    /// address. It never makes that address the governor.
    UpdateAdmin {
        /// New admin.
        admin: String,
    },
    /// Admin: start guarding a contract (at once: it had no protection to
    /// lose). Refused for a contract already registered.
    RegisterProtected {
        /// The protected contract (the only sender of its observations).
        contract: String,
        /// Its baselines and breaker rules.
        settings: ProtectedSettings,
    },
    /// Admin: change a protected contract's settings, or remove it
    /// (`None`), after the guard's `change_delay`; it replaces any change
    /// pending. Applied by the first observation (or `ApplyProtected`)
    /// from its height.
    UpdateProtected {
        /// The protected contract.
        contract: String,
        /// New settings; `None` removes it.
        settings: Option<ProtectedSettings>,
    },
    /// Anyone: apply a pending change that is due.
    ApplyProtected {
        /// The protected contract.
        contract: String,
    },
    /// The contract's guardian: close its breaker now.
    ResetBreaker {
        /// The protected contract.
        contract: String,
    },
    /// A protected contract (the sender): record one action and what it did
    /// with it, judged again here. Fails if the outcome does not follow the
    /// verdict (paid when denied or delayed).
    Observe {
        /// The action.
        action: Action,
        /// What the contract did.
        outcome: Outcome,
    },
}

/// Why a guard message is refused before any state is read.
#[derive(thiserror::Error, Debug, Clone, PartialEq)]
pub enum InvalidGuardMsg {
    /// A bad install.
    #[error(transparent)]
    Install(#[from] InvalidInstall),
    /// Bad protected-contract settings.
    #[error(transparent)]
    Protected(#[from] InvalidProtected),
}

impl GuardExecuteMsg {
    /// The checks that need no state (the guard makes them first).
    pub fn validate(&self) -> Result<(), InvalidGuardMsg> {
        match self {
            GuardExecuteMsg::InstallModel(m) => Ok(m.validate()?),
            GuardExecuteMsg::RegisterProtected { settings, .. }
            | GuardExecuteMsg::UpdateProtected {
                settings: Some(settings),
                ..
            } => Ok(settings.validate()?),
            _ => Ok(()),
        }
    }
}

/// The guard's queries: a subset of [`QueryMsg`](crate::msg::QueryMsg),
/// variant for variant.
#[cw_serde]
#[derive(QueryResponses)]
pub enum GuardQueryMsg {
    /// As [`QueryMsg::Score`](crate::msg::QueryMsg::Score).
    #[returns(crate::msg::ScoreResponse)]
    Score {
        /// One decimal string per feature.
        features: Vec<String>,
    },
    /// As [`QueryMsg::Check`](crate::msg::QueryMsg::Check).
    #[returns(crate::msg::CheckResponse)]
    Check {
        /// One decimal string per feature.
        features: Vec<String>,
    },
    /// As [`QueryMsg::Model`](crate::msg::QueryMsg::Model).
    #[returns(crate::msg::ModelResponse)]
    Model {
        /// A version; the active one when absent.
        version: Option<u32>,
    },
    /// The guard's own settings (the governance settings are the
    /// governor's `Config`).
    #[returns(GuardConfigResponse)]
    Config {},
    /// As [`QueryMsg::Cost`](crate::msg::QueryMsg::Cost).
    #[returns(crate::msg::CostResponse)]
    Cost {
        /// The model blob.
        model: Binary,
    },
    /// As [`QueryMsg::ModelBlob`](crate::msg::QueryMsg::ModelBlob).
    #[returns(crate::msg::ModelBlobResponse)]
    ModelBlob {
        /// A version; the active one when absent.
        version: Option<u32>,
        /// Chunk index (default 0).
        chunk: Option<u32>,
    },
    /// The verdict on an action of a protected contract, as `Observe`
    /// would give it in this block, without recording it.
    #[returns(crate::breaker::VerdictResponse)]
    Verdict {
        /// The protected contract.
        contract: String,
        /// The action.
        action: Action,
    },
    /// A protected contract's settings, pending change and breaker.
    #[returns(crate::breaker::ProtectedResponse)]
    Protected {
        /// The protected contract.
        contract: String,
    },
    /// One action kind's baselines.
    #[returns(crate::breaker::BaselineResponse)]
    Baseline {
        /// The protected contract.
        contract: String,
        /// The action kind.
        kind: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::{ExecuteMsg, QueryMsg};
    use cosmwasm_std::{from_json, to_json_vec};

    #[test]
    fn integrators_queries_read_the_same_on_the_guard() {
        let queries = [
            QueryMsg::Check {
                features: vec!["1.5".into(), "-2".into()],
            },
            QueryMsg::Score {
                features: vec!["0".into()],
            },
            QueryMsg::Model { version: Some(3) },
            QueryMsg::Model { version: None },
            QueryMsg::Config {},
            QueryMsg::Cost {
                model: Binary::from(b"m".as_slice()),
            },
            QueryMsg::ModelBlob {
                version: None,
                chunk: Some(1),
            },
        ];
        for q in queries {
            let json = to_json_vec(&q).unwrap();
            let g: GuardQueryMsg = from_json(&json).unwrap();
            assert_eq!(to_json_vec(&g).unwrap(), json);
        }
        // The governor's queries are not the guard's.
        let json = to_json_vec(&QueryMsg::Proposals {
            start_after: None,
            limit: None,
        })
        .unwrap();
        assert!(from_json::<GuardQueryMsg>(&json).is_err());
    }

    #[test]
    fn the_admins_messages_read_the_same_on_the_guard() {
        for m in [
            ExecuteMsg::Pause {},
            ExecuteMsg::Unpause {},
            ExecuteMsg::UpdateAdmin { admin: "a".into() },
        ] {
            let json = to_json_vec(&m).unwrap();
            let g: GuardExecuteMsg = from_json(&json).unwrap();
            assert_eq!(to_json_vec(&g).unwrap(), json);
        }
        let json = to_json_vec(&ExecuteMsg::Activate {}).unwrap();
        assert!(from_json::<GuardExecuteMsg>(&json).is_err());
    }

    #[test]
    fn the_governors_install_call_reads_as_the_guards_message() {
        let m = InstallModel {
            sequence: 4,
            version: 2,
            blob: None,
            threshold_bits: 1 << 30,
            envelope: Some(Binary::from(b"e".as_slice())),
        };
        let guard = crate::GuardContract(cosmwasm_std::Addr::unchecked("guard"));
        let cosmwasm_std::CosmosMsg::Wasm(cosmwasm_std::WasmMsg::Execute {
            contract_addr,
            msg,
            funds,
        }) = guard.install(m.clone()).unwrap()
        else {
            panic!("not a wasm execute");
        };
        assert_eq!(contract_addr, "guard");
        assert!(funds.is_empty());
        assert_eq!(
            from_json::<GuardExecuteMsg>(&msg).unwrap(),
            GuardExecuteMsg::InstallModel(m)
        );
        // Its wire name.
        let json = std::str::from_utf8(msg.as_slice()).unwrap();
        assert!(
            json.starts_with(r#"{"install_model":{"sequence":4,"#),
            "{json}"
        );
    }
}
