//! Models in storage: validation against the settings, installation as a
//! new version, and the active record's header for the settings in force.
use cosmwasm_std::{Addr, StdError, StdResult, Storage};
use vigil_guard_api::units::threshold_bits;
use vigil_guard_api::Settings;
use vigil_inference_core::cost::Cost;
use vigil_inference_core::Model;

use crate::error::{invalid_model, ContractError};
use crate::gas::quoted_check_gas;
use crate::state::active::{save_active, ActiveHeader, MODEL_THRESHOLD};
use crate::state::bound_guard::mark_changed;
use crate::state::{save_blob, Config, Counts, ModelInfo, LATEST_VERSION, MODELS, MODEL_BY_HASH};

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 * bytes.len());
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// Validate a blob completely (checksum, structure) and against the
/// guard's settings (feature count, operation budget, `Check` gas budget:
/// what a `Check` on it costs to read as well as to compute).
pub fn validate_model<'a>(blob: &'a [u8], settings: &Settings) -> Result<Model<'a>, ContractError> {
    let model = Model::parse(blob).map_err(invalid_model)?;
    let n = usize::from(settings.n_features);
    if model.n_features() != n {
        return Err(ContractError::FeatureCount {
            expected: n,
            got: model.n_features(),
        });
    }
    within_budgets(
        &model,
        settings.n_features,
        settings.max_inference_ops,
        settings.max_check_gas,
    )?;
    Ok(model)
}

/// A model's operation bound within `max_inference_ops`, and what a
/// `Check` on it costs (read and compute, above setup) within
/// `max_check_gas`.
pub fn within_budgets(
    model: &Model<'_>,
    n_features: u16,
    max_inference_ops: u64,
    max_check_gas: u64,
) -> Result<(), ContractError> {
    let cost = model.cost();
    if cost.ops > max_inference_ops {
        return Err(ContractError::CostOverBudget {
            bound: cost.ops,
            budget: max_inference_ops,
        });
    }
    let gas = quoted_check_gas(&cost, n_features).above_setup();
    if gas > max_check_gas {
        return Err(ContractError::CheckGasOverBudget {
            bound: gas,
            budget: max_check_gas,
        });
    }
    Ok(())
}

/// The active record's header for `version` under `config`.
pub fn header_for(config: &Config, version: u32) -> ActiveHeader {
    ActiveHeader {
        version,
        paused: config.paused,
        paused_check: config.settings.paused_check,
        threshold_bits: config
            .settings
            .deny_threshold
            .map_or(MODEL_THRESHOLD, threshold_bits),
    }
}

/// The info stored for a model.
pub fn model_info(
    model: &Model<'_>,
    proposer: &Addr,
    accepted: Option<(Counts, u32)>,
) -> ModelInfo {
    let cost = model.cost();
    ModelInfo {
        hash: hex(&model.checksum()),
        family: model.family().name().to_string(),
        proposer: proposer.clone(),
        size: model.bytes().len() as u32,
        cost_ops: cost.ops,
        cosmwasm_units: cost.cosmwasm_units,
        counts: accepted.map(|a| a.0),
        test_set_version: accepted.map(|a| a.1),
    }
}

/// The cost bound a stored model's info records.
pub fn stored_cost(info: &ModelInfo) -> Cost {
    Cost {
        ops: info.cost_ops,
        cosmwasm_units: info.cosmwasm_units,
        model_bytes: u64::from(info.size),
    }
}

/// Store a model as a new version (blob, info, checksum index, latest
/// version); the active record is the caller's.
pub fn store_version(
    storage: &mut dyn Storage,
    model: &Model<'_>,
    proposer: &Addr,
    accepted: Option<(Counts, u32)>,
) -> StdResult<u32> {
    let version = LATEST_VERSION
        .may_load(storage)?
        .unwrap_or(0)
        .checked_add(1)
        .ok_or_else(|| StdError::generic_err("model versions exhausted"))?;
    store_version_as(storage, version, model, proposer, accepted)?;
    Ok(version)
}

/// Store a model as `version` (not stored yet: the caller's check); the
/// latest version becomes at least `version`.
pub fn store_version_as(
    storage: &mut dyn Storage,
    version: u32,
    model: &Model<'_>,
    proposer: &Addr,
    accepted: Option<(Counts, u32)>,
) -> StdResult<()> {
    let info = model_info(model, proposer, accepted);
    MODEL_BY_HASH.save(storage, &info.hash, &version)?;
    MODELS.save(storage, version, &info)?;
    let latest = LATEST_VERSION.may_load(storage)?.unwrap_or(0);
    LATEST_VERSION.save(storage, &latest.max(version))?;
    save_blob(storage, version, model.bytes());
    Ok(())
}

/// Store a model as a new version and make it active.
pub fn install_model(
    storage: &mut dyn Storage,
    config: &Config,
    model: &Model<'_>,
    proposer: &Addr,
    accepted: Option<(Counts, u32)>,
) -> StdResult<u32> {
    let version = store_version(storage, model, proposer, accepted)?;
    save_active(storage, &header_for(config, version), model.bytes())?;
    mark_changed(storage);
    Ok(version)
}
