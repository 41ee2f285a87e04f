//! The test set: adding samples and removing them (the class-balance rule
//! applies to both).
use cosmwasm_std::{DepsMut, MessageInfo, Response, Storage};
use vigil_guard_api::class_balance;
use vigil_guard_api::msg::TestSample;
use vigil_guard_api::Settings;

use super::{admin_call, ensure_unlocked};
use crate::envelope;
use crate::error::ContractError;
use crate::poim::encode_sample;
use crate::state::{samples, TEST_SET};
use crate::units::exact_features;

/// Add samples (at instantiation or by the admin); returns how many.
pub fn add_samples(
    storage: &mut dyn Storage,
    settings: &Settings,
    new: &[TestSample],
) -> Result<u32, ContractError> {
    let mut meta = TEST_SET.may_load(storage)?.unwrap_or_default();
    let n = usize::from(settings.n_features);
    let mut rows = Vec::with_capacity(new.len());
    for (index, sample) in new.iter().enumerate() {
        let features = exact_features(&sample.features, n)?;
        let (pos, neg) = (meta.positives, meta.negatives);
        if !class_balance::admits(settings.max_class_ratio, pos, neg, sample.label) {
            let (majority, minority) = if sample.label {
                ("positive", "negative")
            } else {
                ("negative", "positive")
            };
            return Err(ContractError::ClassImbalance {
                index,
                majority,
                minority,
            });
        }
        samples::save(
            storage,
            meta.next_id,
            &encode_sample(sample.label, &features),
        );
        meta.next_id = meta
            .next_id
            .checked_add(1)
            .ok_or(ContractError::CorruptRecord(
                "test sample ids exhausted".into(),
            ))?;
        if sample.label {
            meta.positives += 1;
        } else {
            meta.negatives += 1;
        }
        rows.push(features);
    }
    envelope::on_add(storage, settings, &rows)?;
    if !new.is_empty() {
        meta.version = meta.version.wrapping_add(1);
    }
    TEST_SET.save(storage, &meta)?;
    Ok(new.len() as u32)
}

/// `AddTestSamples`.
pub fn add_test_samples(
    deps: DepsMut,
    info: MessageInfo,
    new: Vec<TestSample>,
) -> Result<Response, ContractError> {
    let config = admin_call(deps.as_ref(), &info)?;
    ensure_unlocked(deps.storage)?;
    let added = add_samples(deps.storage, &config.settings, &new)?;
    let meta = TEST_SET.load(deps.storage)?;
    Ok(Response::new()
        .add_attribute("action", "add_test_samples")
        .add_attribute("added", added.to_string())
        .add_attribute("test_set_version", meta.version.to_string()))
}

/// `RemoveTestSamples`.
pub fn remove_test_samples(
    deps: DepsMut,
    info: MessageInfo,
    ids: Vec<u32>,
) -> Result<Response, ContractError> {
    let config = admin_call(deps.as_ref(), &info)?;
    ensure_unlocked(deps.storage)?;
    let mut meta = TEST_SET.load(deps.storage)?;
    let (mut removed_pos, mut removed_neg) = (0u32, 0u32);
    let mut removed = Vec::with_capacity(ids.len());
    for &id in &ids {
        let record = samples::load(deps.storage, id).ok_or(ContractError::NoSuchSample(id))?;
        if record.first().copied().unwrap_or(0) != 0 {
            meta.positives = meta.positives.saturating_sub(1);
            removed_pos += 1;
        } else {
            meta.negatives = meta.negatives.saturating_sub(1);
            removed_neg += 1;
        }
        samples::remove(deps.storage, id);
        removed.push(record);
    }
    // The class-balance rule holds for removals too: a removal that takes
    // samples of the class left in the minority may not leave the majority
    // beyond `max_class_ratio x max(minority, 1)` (removing only majority
    // samples can but improve the balance, so it is always allowed).
    let ratio = config.settings.max_class_ratio;
    let (pos, neg) = (meta.positives, meta.negatives);
    if (removed_neg > 0 && class_balance::beyond(ratio, pos, neg))
        || (removed_pos > 0 && class_balance::beyond(ratio, neg, pos))
    {
        return Err(ContractError::RemovalImbalance {
            positives: pos,
            negatives: neg,
        });
    }
    if !ids.is_empty() {
        meta.version = meta.version.wrapping_add(1);
    }
    TEST_SET.save(deps.storage, &meta)?;
    envelope::on_remove(deps.storage, &config.settings, &removed)?;
    Ok(Response::new()
        .add_attribute("action", "remove_test_samples")
        .add_attribute("removed", ids.len().to_string())
        .add_attribute("test_set_version", meta.version.to_string()))
}
