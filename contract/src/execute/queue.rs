//! The order of evaluations: one proposal is judged at a time
//! (`OPEN_PROPOSAL`); revealed proposals wait in `QUEUE` and start in
//! commitment order when the guard is free, unless the hidden batch holds
//! them (see [`super::batch`]).
use cosmwasm_std::{BankMsg, Coin, Order, Storage, Uint128};
use vigil_guard_api::msg::ProposalStatus;

use crate::error::ContractError;
use crate::state::active::active_version;
use crate::state::{
    batch_holds, load_candidate, remove_candidate, Proposal, OPEN_PROPOSAL, PROPOSALS, QUEUE,
    TEST_SET, UNDECIDED,
};

/// A bank send, or none for a zero amount.
pub fn send(to: &str, amount: Uint128, denom: &str) -> Option<BankMsg> {
    (!amount.is_zero()).then(|| BankMsg::Send {
        to_address: to.to_string(),
        amount: vec![Coin::new(amount, denom)],
    })
}

/// The test set can judge a proposal: not empty, neither class empty
/// (with a class empty, precision, recall and F1 are 0 for every model and
/// accuracy alone would decide).
pub fn check_judgeable(storage: &dyn Storage) -> Result<(), ContractError> {
    let meta = TEST_SET.load(storage)?;
    if meta.total() == 0 {
        return Err(ContractError::TestSetEmpty);
    }
    for (count, class) in [(meta.positives, "positive"), (meta.negatives, "negative")] {
        if count == 0 {
            return Err(ContractError::ClassEmpty { class });
        }
    }
    Ok(())
}

/// Open a revealed proposal for evaluation on the test set and incumbent
/// as they are now. A test set that cannot judge it (a class emptied since
/// the commitment) closes it instead, the bond refunded in full (the
/// caller sends it): `None`.
pub fn start(
    storage: &mut dyn Storage,
    height: u64,
    id: u64,
    mut proposal: Proposal,
) -> Result<Option<Proposal>, ContractError> {
    QUEUE.remove(storage, id);
    if check_judgeable(storage).is_err() {
        proposal.status = ProposalStatus::Closed;
        PROPOSALS.save(storage, id, &proposal)?;
        UNDECIDED.remove(storage, id);
        if let Some(blob) = load_candidate(storage, id) {
            remove_candidate(storage, id, blob.len());
        }
        return Ok(None);
    }
    let meta = TEST_SET.load(storage)?;
    proposal.status = ProposalStatus::Evaluating;
    proposal.test_set_version = meta.version;
    proposal.total = meta.total();
    proposal.incumbent_version = active_version(storage)?;
    proposal.last_step = height;
    OPEN_PROPOSAL.save(storage, &id)?;
    PROPOSALS.save(storage, id, &proposal)?;
    Ok(Some(proposal))
}

/// When the guard is free, open the first queued proposal unless the
/// hidden batch holds it (no evaluation step runs here). Returns the
/// refunds of queued proposals the test set can no longer judge.
pub fn next_in_queue(
    storage: &mut dyn Storage,
    height: u64,
    denom: &str,
) -> Result<Vec<BankMsg>, ContractError> {
    let mut refunds = Vec::new();
    if OPEN_PROPOSAL.may_load(storage)?.is_some() {
        return Ok(refunds);
    }
    loop {
        let head = QUEUE
            .keys(storage, None, None, Order::Ascending)
            .next()
            .transpose()?;
        let Some(id) = head.filter(|&id| !batch_holds(storage, id, height)) else {
            return Ok(refunds);
        };
        let proposal = PROPOSALS.load(storage, id)?;
        let (proposer, bond) = (proposal.proposer.clone(), proposal.bond);
        if start(storage, height, id, proposal)?.is_some() {
            return Ok(refunds);
        }
        refunds.extend(send(proposer.as_str(), bond, denom));
    }
}
