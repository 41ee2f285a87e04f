//! Migration: only from this contract (cw2 name), never to an older
//! version (semver order, pre-releases included). The same version is a
//! no-op; any older version is upgraded, and a store older than 0.2 (the
//! 0.1 layout: compact binary records) is converted to this one first.
use cosmwasm_std::{DepsMut, Response, Storage};
use semver::Version;

use crate::error::ContractError;
use crate::state::{OPEN_PROPOSAL, PROPOSALS, UNDECIDED};
#[cfg(feature = "from-0-1")]
use crate::{
    error::invalid_model,
    gas::quoted_check_gas,
    poim,
    state::{
        blob_key, candidate_key, chunked, Best, ModelInfo, ACTIVE_VERSION, BEST, CONFIG,
        LATEST_VERSION, MODELS, MODEL_BY_HASH, NEXT_PROPOSAL, TEST_SET, VAULT,
    },
};
#[cfg(feature = "from-0-1")]
use vigil_inference_core::Model;

/// The smallest `max_check_gas` a converted 0.1 store gets (SDK gas above
/// setup): what the CLI gives a guard without an initial model.
pub const MIGRATED_MAX_CHECK_GAS_FLOOR: u64 = vigil_guard_api::gas::DEFAULT_MAX_CHECK_GAS_FLOOR;

#[cfg(feature = "from-0-1")]
pub mod v0_1;

fn parse(version: &str) -> Result<Version, ContractError> {
    Version::parse(version).map_err(|e| ContractError::UnparsableVersion {
        version: version.to_string(),
        reason: e.to_string(),
    })
}

/// Migrate the store of a contract named `name`, or one of `formerly`
/// (ours), to `name` at `version` (ours), at block `height` (an open 0.1
/// proposal's stall window starts there).
pub fn migrate(
    deps: DepsMut,
    height: u64,
    (name, formerly): (&str, &[&str]),
    version: &str,
) -> Result<Response, ContractError> {
    let stored = cw2::get_contract_version(deps.storage)?;
    if stored.contract != name && !formerly.contains(&stored.contract.as_str()) {
        return Err(ContractError::WrongContract(stored.contract));
    }
    let from = parse(&stored.version)?;
    let to = parse(version)?;
    if from > to {
        return Err(ContractError::CannotDowngrade {
            from: stored.version,
            to: version.to_string(),
        });
    }
    #[cfg_attr(not(feature = "from-0-1"), allow(unused_mut))]
    let mut response = Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", &stored.version)
        .add_attribute("to_version", version);
    if from == to && stored.contract == name {
        register_open(deps.storage)?;
        return Ok(response);
    }
    // Every version before 0.2.0-0 has the 0.1 layout; 0.2 pre-releases
    // (0.2.0-rc.1, ...) are older than 0.2.0 but have its layout.
    if (from.major, from.minor) < (0, 2) {
        #[cfg(feature = "from-0-1")]
        {
            let (models, proposals) = convert_v0_1(deps.storage, height)?;
            response = response
                .add_attribute("converted_models", models.to_string())
                .add_attribute("converted_proposals", proposals.to_string());
        }
        #[cfg(not(feature = "from-0-1"))]
        {
            let _ = height;
            return Err(ContractError::StoreFrom0_1 {
                version: stored.version,
            });
        }
    }
    register_open(deps.storage)?;
    cw2::set_contract_version(deps.storage, name, version)?;
    Ok(response)
}

/// A store written before commit-reveal (0.1, or 0.2 before it) holds at
/// most one undecided proposal, the open one, without an `UNDECIDED` entry:
/// registered with its bond (what `Sweep` keeps out of the vault).
/// Idempotent.
pub fn register_open(storage: &mut dyn Storage) -> Result<(), ContractError> {
    if let Some(id) = OPEN_PROPOSAL.may_load(storage)? {
        if !UNDECIDED.has(storage, id) {
            let bond = PROPOSALS.load(storage, id)?.bond;
            UNDECIDED.save(storage, id, &bond)?;
        }
    }
    Ok(())
}

/// Convert a 0.1 store (the `from-0-1` feature): every record read by [`v0_1`] is written the 0.2
/// way; the items keep their keys (overwritten), model info and proposals
/// move to their maps (old keys removed). The active record, blobs,
/// candidate blobs and samples are unchanged. Returns how many model
/// versions and proposals were converted. Open proposals' stall windows
/// start at `height`.
#[cfg(feature = "from-0-1")]
pub fn convert_v0_1(
    storage: &mut dyn Storage,
    height: u64,
) -> Result<(usize, usize), ContractError> {
    let get = |storage: &dyn Storage, key: &[u8], what: &str| {
        storage
            .get(key)
            .ok_or_else(|| ContractError::CorruptRecord(format!("0.1 {what} missing")))
    };
    let mut config = v0_1::config(&get(storage, v0_1::CONFIG_KEY, "config")?)?;
    let vault = v0_1::uint128_item("vault", &get(storage, v0_1::VAULT_KEY, "vault")?)?;
    VAULT.save(storage, &vault)?;
    let meta = v0_1::test_set(&get(storage, v0_1::TEST_SET_KEY, "test set")?)?;
    TEST_SET.save(storage, &meta)?;
    let next = v0_1::u64_item(
        "next proposal",
        &get(storage, v0_1::NEXT_PROPOSAL_KEY, "next proposal")?,
    )?;
    NEXT_PROPOSAL.save(storage, &next)?;
    // Absent until a model or a proposal exists.
    if let Some(r) = storage.get(v0_1::LATEST_VERSION_KEY) {
        LATEST_VERSION.save(storage, &v0_1::u32_item("latest version", &r)?)?;
    }
    if let Some(r) = storage.get(v0_1::ACTIVE_VERSION_KEY) {
        ACTIVE_VERSION.save(storage, &v0_1::u32_item("active version", &r)?)?;
    }
    if let Some(r) = storage.get(v0_1::OPEN_PROPOSAL_KEY) {
        OPEN_PROPOSAL.save(storage, &v0_1::u64_item("open proposal", &r)?)?;
    }

    let infos = v0_1::records_by_id(storage, v0_1::INFO_PREFIX)?;
    // max_check_gas (new in 0.2): four times the largest stored model's
    // quoted Check bound above setup, at least the floor, so every stored
    // model stays within it.
    let mut max_check_gas = MIGRATED_MAX_CHECK_GAS_FLOOR;
    // The ratchet starts from the best stored metrics on the current
    // test-set version.
    let mut best: Option<[cosmwasm_std::Decimal; 4]> = None;
    for (id, record) in &infos {
        let old = v0_1::model_info(record)?;
        // 0.2 records the cost in cosmwasm units: from the blob, which
        // must be there.
        let blob = chunked::load(storage, &blob_key(old.version)).ok_or_else(|| {
            ContractError::CorruptRecord(format!("0.1 blob of model {}", old.version))
        })?;
        let cost = Model::parse_without_checksum(&blob)
            .map_err(invalid_model)?
            .cost();
        let quoted = quoted_check_gas(&cost, config.settings.n_features).above_setup();
        max_check_gas = max_check_gas.max(quoted.saturating_mul(4));
        if let (Some(c), Some(v)) = (&old.counts, old.test_set_version) {
            if v == meta.version {
                let m = poim::ratios(&poim::metrics(c));
                best = Some(poim::reference(&m, best.as_ref()));
            }
        }
        MODEL_BY_HASH.save(storage, &old.hash, &old.version)?;
        MODELS.save(
            storage,
            old.version,
            &ModelInfo {
                hash: old.hash,
                family: old.family,
                proposer: old.proposer,
                size: old.size,
                cost_ops: old.cost_ops,
                cosmwasm_units: cost.cosmwasm_units,
                counts: old.counts,
                test_set_version: old.test_set_version,
            },
        )?;
        storage.remove(&[v0_1::INFO_PREFIX, &id.to_be_bytes()].concat());
    }

    config.settings.max_check_gas = max_check_gas;
    CONFIG.save(storage, &config)?;
    // The data envelope (new in 0.2), from the stored test set.
    crate::envelope::rebuild(storage, &config.settings)?;
    if let Some(metrics) = best {
        BEST.save(
            storage,
            &Best {
                test_set_version: meta.version,
                metrics,
            },
        )?;
    }

    let proposals = v0_1::records_by_id(storage, v0_1::PROPOSAL_PREFIX)?;
    for (id, record) in &proposals {
        let mut p = v0_1::proposal(record)?;
        // The candidate's own threshold (what 0.1 judged it at), from its
        // blob: the candidate's while open, the installed one if accepted.
        let blob = match p.accepted_version {
            Some(v) => chunked::load(storage, &blob_key(v)),
            None => chunked::load(storage, &candidate_key(*id)),
        };
        p.threshold_bits = blob
            .as_deref()
            .and_then(|b| Model::parse_without_checksum(b).ok())
            .map(|m| m.threshold().to_bits());
        p.last_step = height;
        PROPOSALS.save(storage, *id, &p)?;
        storage.remove(&[v0_1::PROPOSAL_PREFIX, &id.to_be_bytes()].concat());
    }
    Ok((infos.len(), proposals.len()))
}
