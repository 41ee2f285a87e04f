//! The test set: adding samples and removing them (the class-balance rule
//! applies to both). Each change is checked whole before anything is
//! written ([`plan_add`], [`plan_remove`]), so a time-locked change that can
//! no longer apply is dropped without a partial write.
use cosmwasm_std::Storage;
use vigil_guard_api::class_balance;
use vigil_guard_api::msg::TestSample;
use vigil_guard_api::Settings;

use crate::envelope;
use crate::error::ContractError;
use crate::poim::encode_sample;
use crate::state::{samples, TestSetMeta, TEST_SET};
use crate::units::exact_features;

/// A checked test-set change: records to write (id, record), ids to remove,
/// and the bookkeeping after it.
pub struct SamplesPlan {
    /// New records.
    pub add: Vec<(u32, Vec<u8>)>,
    /// Ids to remove.
    pub remove: Vec<u32>,
    /// The bookkeeping after the change.
    pub meta: TestSetMeta,
}

/// `samples` as stored records (label byte, packed features), each
/// checked as the contract checks samples.
pub fn records(samples: &[TestSample], n_features: u16) -> Result<Vec<Vec<u8>>, ContractError> {
    let n = usize::from(n_features);
    samples
        .iter()
        .map(|s| Ok(encode_sample(s.label, &exact_features(&s.features, n)?)))
        .collect()
}

/// Check an addition of `new` samples under `settings`.
pub fn plan_add(
    storage: &dyn Storage,
    settings: &Settings,
    new: &[TestSample],
) -> Result<SamplesPlan, ContractError> {
    plan_add_records(storage, settings, records(new, settings.n_features)?)
}

/// Check an addition of stored records (see [`records`]) under `settings`.
pub fn plan_add_records(
    storage: &dyn Storage,
    settings: &Settings,
    new: Vec<Vec<u8>>,
) -> Result<SamplesPlan, ContractError> {
    let mut meta = TEST_SET.may_load(storage)?.unwrap_or_default();
    let mut add = Vec::with_capacity(new.len());
    let changed = !new.is_empty();
    for (index, record) in new.into_iter().enumerate() {
        let label = record.first().is_some_and(|&l| l != 0);
        let (pos, neg) = (meta.positives, meta.negatives);
        if !class_balance::admits(settings.max_class_ratio, pos, neg, label) {
            let (majority, minority) = if label {
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
        add.push((meta.next_id, record));
        meta.next_id = meta
            .next_id
            .checked_add(1)
            .ok_or(ContractError::CorruptRecord(
                "test sample ids exhausted".into(),
            ))?;
        if label {
            meta.positives += 1;
        } else {
            meta.negatives += 1;
        }
    }
    if changed {
        meta.version = meta.version.wrapping_add(1);
    }
    Ok(SamplesPlan {
        add,
        remove: Vec::new(),
        meta,
    })
}

/// Check a removal of `ids` under `settings`. The class-balance rule holds
/// for removals too: a removal that takes samples of the class left in the
/// minority may not leave the majority beyond `max_class_ratio x
/// max(minority, 1)` (removing only majority samples can but improve the
/// balance, so it is always allowed).
pub fn plan_remove(
    storage: &dyn Storage,
    settings: &Settings,
    ids: &[u32],
) -> Result<SamplesPlan, ContractError> {
    let mut meta = TEST_SET.load(storage)?;
    let (mut removed_pos, mut removed_neg) = (0u32, 0u32);
    for (k, &id) in ids.iter().enumerate() {
        // A repeated id is removed once: the second is no sample any more.
        let record = samples::load(storage, id)
            .filter(|_| !ids[..k].contains(&id))
            .ok_or(ContractError::NoSuchSample(id))?;
        if record.first().copied().unwrap_or(0) != 0 {
            meta.positives = meta.positives.saturating_sub(1);
            removed_pos += 1;
        } else {
            meta.negatives = meta.negatives.saturating_sub(1);
            removed_neg += 1;
        }
    }
    let ratio = settings.max_class_ratio;
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
    Ok(SamplesPlan {
        add: Vec::new(),
        remove: ids.to_vec(),
        meta,
    })
}

/// Write a checked change, and keep the data envelope's range up to date
/// with the samples it adds and removes.
pub fn write(
    storage: &mut dyn Storage,
    settings: &Settings,
    plan: &SamplesPlan,
) -> Result<(), ContractError> {
    for (id, record) in &plan.add {
        samples::save(storage, *id, record);
    }
    let mut removed = Vec::with_capacity(plan.remove.len());
    for &id in &plan.remove {
        if let Some(record) = samples::load(storage, id) {
            removed.push(record);
        }
        samples::remove(storage, id);
    }
    TEST_SET.save(storage, &plan.meta)?;
    envelope::on_add_records(
        storage,
        settings,
        plan.add.iter().map(|(_, r)| r.as_slice()),
    )?;
    envelope::on_remove(storage, settings, &removed)?;
    Ok(())
}

/// Add samples at instantiation; returns how many.
pub fn add_samples(
    storage: &mut dyn Storage,
    settings: &Settings,
    new: &[TestSample],
) -> Result<u32, ContractError> {
    let plan = plan_add(storage, settings, new)?;
    write(storage, settings, &plan)?;
    Ok(new.len() as u32)
}
