//! `InstallModel` and `HandOverGovernor` (the guard/governor split,
//! `docs/split.md`): the governor sets the record `Check` reads, and only
//! it names its successor. Dispatched by the guard ([`crate::guard`]);
//! the governor sends `InstallModel` (`super::bound_guard`).
use cosmwasm_std::{DepsMut, MessageInfo, Response, StdError};
use vigil_guard_api::install::InstallModel;
use vigil_inference_core::envelope::Envelope;

use super::ensure_no_funds;
use crate::error::ContractError;
use crate::models::{hex, store_version_as, validate_model};
use crate::state::active::{active_header, save_active, update_active_header, ActiveHeader};
use crate::state::envelope::{load_envelope, remove_envelope, save_envelope};
use crate::state::install::{GOVERNOR, INSTALL_SEQUENCE};
use crate::state::{load_blob, CONFIG, MODELS, MODEL_BY_HASH};

/// `InstallModel` (the governor only): a new version (`blob`), validated
/// as at upload, or a stored one re-activated; with the threshold and
/// envelope given. The pause is the guard's: an install keeps it.
pub fn install(
    deps: DepsMut,
    info: MessageInfo,
    msg: InstallModel,
) -> Result<Response, ContractError> {
    msg.validate()?;
    let governor = GOVERNOR.may_load(deps.storage)?;
    if governor.as_ref() != Some(&info.sender) {
        return Err(ContractError::NotGovernor);
    }
    ensure_no_funds(&info)?;
    let expected = INSTALL_SEQUENCE
        .may_load(deps.storage)?
        .unwrap_or(0)
        .checked_add(1)
        .ok_or_else(|| StdError::generic_err("install sequence exhausted"))?;
    if msg.sequence != expected {
        return Err(ContractError::InstallSequence {
            expected,
            got: msg.sequence,
        });
    }
    let config = CONFIG.load(deps.storage)?;
    if let Some(bytes) = &msg.envelope {
        Envelope::parse(bytes, usize::from(config.settings.n_features))
            .map_err(|e| ContractError::InvalidEnvelope(e.to_string()))?;
    }
    let header = ActiveHeader {
        version: msg.version,
        paused: config.paused,
        paused_check: config.settings.paused_check,
        threshold_bits: msg.threshold_bits,
    };
    match &msg.blob {
        Some(blob) => {
            let model = validate_model(blob, &config.settings)?;
            if let Some(version) = MODEL_BY_HASH.may_load(deps.storage, &hex(&model.checksum()))? {
                return Err(ContractError::KnownModel { version });
            }
            // The governor's numbering (versions it never activated, or
            // activated before this guard was bound, are skipped).
            if MODELS.has(deps.storage, msg.version) {
                return Err(ContractError::VersionStored(msg.version));
            }
            store_version_as(deps.storage, msg.version, &model, &info.sender, None)?;
            save_active(deps.storage, &header, model.bytes())?;
        }
        // The active version again (a threshold or envelope change): its
        // header only, one record, whatever the model's size.
        None if active_header(deps.storage).is_some_and(|h| h.version == msg.version) => {
            update_active_header(deps.storage, |h| h.threshold_bits = msg.threshold_bits);
        }
        None => {
            let blob = load_blob(deps.storage, msg.version)
                .ok_or(ContractError::NoSuchVersion(msg.version))?;
            save_active(deps.storage, &header, &blob)?;
        }
    }
    // Most installs carry the envelope the guard holds (an activation, a
    // threshold change): a read instead of a rewrite.
    if load_envelope(deps.storage).as_deref() != msg.envelope.as_deref() {
        match &msg.envelope {
            Some(bytes) => save_envelope(deps.storage, bytes),
            None => remove_envelope(deps.storage),
        }
    }
    INSTALL_SEQUENCE.save(deps.storage, &msg.sequence)?;
    Ok(Response::new()
        .add_attribute("action", "install_model")
        .add_attribute("model_version", msg.version.to_string())
        .add_attribute("sequence", msg.sequence.to_string()))
}

/// `HandOverGovernor` (the governor only): the guard accepts installs from
/// `governor` from now on, continuing the sequence. Neither the admin nor
/// anyone else can change the governor: that would install models past
/// the proposals, the activation delay and the veto.
pub fn hand_over(
    deps: DepsMut,
    info: MessageInfo,
    governor: String,
) -> Result<Response, ContractError> {
    if GOVERNOR.may_load(deps.storage)?.as_ref() != Some(&info.sender) {
        return Err(ContractError::NotGovernor);
    }
    ensure_no_funds(&info)?;
    let governor = deps.api.addr_validate(&governor)?;
    GOVERNOR.save(deps.storage, &governor)?;
    Ok(Response::new()
        .add_attribute("action", "hand_over_governor")
        .add_attribute("governor", governor.as_str()))
}
