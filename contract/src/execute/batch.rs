//! The hidden slice: the curator commits a batch of test samples (a hash
//! per chunk) before proposals are committed and reveals it after. A
//! proposal committed after the batch is evaluated only once the batch has
//! joined the test set, so it is judged on samples its proposer could not
//! train on. A curator who misses the reveal deadline lets every proposer
//! waiting for the batch withdraw in full.
use cosmwasm_std::{Binary, DepsMut, Env, HexBinary, MessageInfo, Order, Response, Storage};
use cw_storage_plus::Bound;
use vigil_guard_api::commit::chunk_hash;
use vigil_guard_api::msg::TestSample;

use super::ensure_no_funds;
use super::queue::next_in_queue;
use super::test_set::{self, records};
use crate::error::ContractError;
use crate::state::{batch_chunk_key, Batch, CONFIG, NEXT_PROPOSAL, OPEN_PROPOSAL, UNDECIDED};

/// The curator only.
fn curator_call(storage: &dyn Storage, info: &MessageInfo) -> Result<(), ContractError> {
    ensure_no_funds(info)?;
    let config = CONFIG.load(storage)?;
    if config.settings.curator.as_deref() != Some(info.sender.as_str()) {
        return Err(ContractError::Unauthorized);
    }
    Ok(())
}

/// `CommitBatch` (curator): a new batch, when the last one joined the test
/// set or is void.
pub fn commit_batch(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    chunks: Vec<HexBinary>,
) -> Result<Response, ContractError> {
    curator_call(deps.storage, &info)?;
    let height = env.block.height;
    if let Some(b) = crate::state::batch::may_load(deps.storage)? {
        if !b.merged && !b.void(height) {
            return Err(ContractError::BatchOpen);
        }
        for i in 0..b.chunks.len() as u32 {
            deps.storage.remove(&batch_chunk_key(i));
        }
    }
    let settings = CONFIG.load(deps.storage)?.settings;
    let reveal_from = height.saturating_add(settings.reveal_delay);
    let batch = Batch {
        committed_at: height,
        first_proposal: NEXT_PROPOSAL.load(deps.storage)?,
        reveal_from,
        deadline: reveal_from.saturating_add(settings.stall_blocks),
        revealed: vec![false; chunks.len()],
        chunks,
        merged: false,
        failed: false,
    };
    crate::state::batch::save(deps.storage, &batch);
    Ok(Response::new()
        .add_attribute("action", "commit_batch")
        .add_attribute("first_proposal", batch.first_proposal.to_string())
        .add_attribute("deadline", batch.deadline.to_string()))
}

/// `RevealBatch` (curator): one chunk, checked against its hash; when the
/// last is in, the batch joins the test set as soon as it may.
pub fn reveal_batch(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    index: u32,
    samples: Vec<TestSample>,
    salt: Binary,
) -> Result<Response, ContractError> {
    curator_call(deps.storage, &info)?;
    let height = env.block.height;
    let mut batch = crate::state::batch::may_load(deps.storage)?.ok_or(ContractError::NoBatch)?;
    if height < batch.reveal_from {
        return Err(ContractError::TooEarly {
            proposal_id: 0,
            from: batch.reveal_from,
        });
    }
    if batch.merged || height >= batch.deadline {
        return Err(ContractError::TooLate {
            proposal_id: 0,
            deadline: batch.deadline,
        });
    }
    let i = index as usize;
    match (batch.chunks.get(i), batch.revealed.get(i)) {
        (Some(h), Some(false)) if h.as_slice() == chunk_hash(&samples, &salt) => {}
        _ => return Err(ContractError::CommitmentMismatch),
    }
    let n = CONFIG.load(deps.storage)?.settings.n_features;
    let mut packed = Vec::new();
    for r in records(&samples, n)? {
        packed.extend_from_slice(&(r.len() as u32).to_be_bytes());
        packed.extend_from_slice(&r);
    }
    if !packed.is_empty() {
        deps.storage.set(&batch_chunk_key(index), &packed);
    }
    batch.revealed[i] = true;
    crate::state::batch::save(deps.storage, &batch);
    let state = settle(deps.storage, height)?;
    let denom = CONFIG.load(deps.storage)?.settings.bond_denom;
    let refunds = next_in_queue(deps.storage, height, &denom)?;
    Ok(Response::new()
        .add_attribute("action", "reveal_batch")
        .add_attribute("chunk", index.to_string())
        .add_attribute("batch", state)
        .add_messages(refunds))
}

/// Merge a complete batch into the test set when no proposal committed
/// before it is undecided and none is open; refused by the class rule, it
/// is void. Either way the proposals it held may then start (the caller
/// opens the next, `next_in_queue`). The batch's state.
pub fn settle(storage: &mut dyn Storage, height: u64) -> Result<&'static str, ContractError> {
    let Some(mut batch) = crate::state::batch::may_load(storage)? else {
        return Ok("none");
    };
    if batch.merged {
        return Ok("merged");
    }
    if !batch.complete() || batch.failed {
        return Ok(if batch.void(height) {
            "void"
        } else {
            "committed"
        });
    }
    let older = UNDECIDED
        .keys(
            storage,
            None,
            Some(Bound::exclusive(batch.first_proposal)),
            Order::Ascending,
        )
        .next()
        .is_some();
    if older || OPEN_PROPOSAL.may_load(storage)?.is_some() {
        return Ok("revealed");
    }
    let mut all = Vec::new();
    for i in 0..batch.chunks.len() as u32 {
        let packed = storage.get(&batch_chunk_key(i)).unwrap_or_default();
        let mut rest = packed.as_slice();
        while let Some((len, tail)) = rest.split_first_chunk::<4>() {
            let len = u32::from_be_bytes(*len) as usize;
            let (r, tail) = tail.split_at(len.min(tail.len()));
            all.push(r.to_vec());
            rest = tail;
        }
        storage.remove(&batch_chunk_key(i));
    }
    let settings = CONFIG.load(storage)?.settings;
    match test_set::plan_add_records(storage, &settings, all) {
        Ok(plan) => {
            test_set::write(storage, &settings, &plan)?;
            batch.merged = true;
        }
        Err(_) => batch.failed = true,
    }
    crate::state::batch::save(storage, &batch);
    Ok(if batch.merged { "merged" } else { "void" })
}
