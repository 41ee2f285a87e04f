//! Typed errors. Every failure of user input is one of these; the contract
//! never panics on input.
use cosmwasm_std::{StdError, Uint128};
use thiserror::Error;
use vigil_guard_api::msg::{InvalidMsg, ProposalStatus};
use vigil_guard_api::InvalidSetting;

/// Why a message was refused.
#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    /// From cosmwasm-std (storage, serialisation, addresses).
    #[error("{0}")]
    Std(#[from] StdError),

    /// A privileged message from someone other than the admin.
    #[error("unauthorized: only the admin may do this")]
    Unauthorized,

    /// An `InstallModel` from someone other than the governor (the split).
    #[error("unauthorized: only the governor may install models")]
    NotGovernor,

    /// An `InstallModel` out of order: a replay or a skipped install.
    #[error("install sequence {got}, expected {expected}")]
    InstallSequence {
        /// The guard's last sequence plus one.
        expected: u64,
        /// What was sent.
        got: u64,
    },

    /// A new model installed under a version the guard already holds.
    #[error("version {0} is already stored: a new model installs under a version the guard does not hold")]
    VersionStored(u32),

    /// `BindGuard` after a guard was bound.
    #[error("a guard is already bound ({0}) and cannot be changed")]
    GuardBound(String),

    /// `BindGuard` naming an address that is not a guard of this governor,
    /// or one that would refuse a model this governor may accept (bound
    /// for good, it would refuse every install).
    #[error("{guard} cannot be bound: {reason}")]
    GuardMismatch {
        /// The address named.
        guard: String,
        /// What does not fit.
        reason: String,
    },

    /// `Pause`/`Unpause` sent to a governor with a bound guard: the
    /// circuit breaker is the guard's (its admin pauses it there).
    #[error("the circuit breaker is the guard's: send pause/unpause to {0}")]
    PauseTheGuard(String),

    /// A query the governor does not answer (`Check`, `Score`: the guard's).
    #[error("{0}: ask the guard (the governor answers governance queries only)")]
    GuardQuery(String),

    /// An install that cannot be right whatever the state.
    #[error("{0}")]
    InvalidInstall(#[from] vigil_guard_api::install::InvalidInstall),

    /// Envelope bounds that do not parse for the guard's features.
    #[error("invalid envelope: {0}")]
    InvalidEnvelope(String),

    /// The blob failed validation.
    #[error("invalid model: {0}")]
    InvalidModel(String),

    /// A model or sample with the wrong number of features.
    #[error("wrong feature count: expected {expected}, got {got}")]
    FeatureCount {
        /// What the guard takes.
        expected: usize,
        /// What was given.
        got: usize,
    },

    /// A feature value that is not a valid decimal.
    #[error("feature {index}: {reason}")]
    BadNumber {
        /// Feature index.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },

    /// A feature value longer than `MAX_FEATURE_CHARS`: refused before it
    /// is parsed.
    #[error("feature {index}: {len} characters, at most {max}")]
    FeatureTooLong {
        /// Feature index.
        index: usize,
        /// Its length.
        len: usize,
        /// The limit (`MAX_FEATURE_CHARS`).
        max: usize,
    },

    /// The model's `Check` (reads and compute, above setup) would cost more
    /// SDK gas than `max_check_gas`.
    #[error("model Check bound {bound} SDK gas (above setup) exceeds max_check_gas {budget}")]
    CheckGasOverBudget {
        /// The model's quoted bound, above setup.
        bound: u64,
        /// The configured budget.
        budget: u64,
    },

    /// A candidate identical (same checksum) to a stored model version: it
    /// can earn no reward, so it is refused before a bond is taken.
    #[error("the model is already stored as version {version}; a known model earns nothing")]
    KnownModel {
        /// The stored version with this checksum.
        version: u32,
    },

    /// A proposal needs both classes in the test set to be judged.
    #[error("the test set has no {class} sample; no proposal is judged while a class is empty")]
    ClassEmpty {
        /// The empty class.
        class: &'static str,
    },

    /// A removal that leaves one class beyond `max_class_ratio` times the
    /// other.
    #[error("removal refused: it leaves {positives} positive and {negatives} negative samples, beyond the configured class ratio")]
    RemovalImbalance {
        /// Positives after the removal.
        positives: u32,
        /// Negatives after the removal.
        negatives: u32,
    },

    /// The model's cost bound exceeds the budget.
    #[error("model cost bound {bound} wasm ops exceeds the budget of {budget}")]
    CostOverBudget {
        /// The model's bound.
        bound: u64,
        /// The configured budget.
        budget: u64,
    },

    /// No bond attached.
    #[error("a bond of at least {required}{denom} is required")]
    NoBond {
        /// Minimum bond.
        required: Uint128,
        /// Denom.
        denom: String,
    },

    /// Funds in another denom, or several coins.
    #[error("only {denom} is accepted, as a single coin")]
    WrongFunds {
        /// Accepted denom.
        denom: String,
    },

    /// Bond below the minimum.
    #[error("bond {got} is below the minimum of {required}")]
    BondTooSmall {
        /// Minimum bond.
        required: Uint128,
        /// Attached.
        got: Uint128,
    },

    /// Funds attached to a message that takes none.
    #[error("this message takes no funds")]
    UnexpectedFunds,

    /// Another proposal is being evaluated.
    #[error("proposal {id} is still being evaluated; continue or cancel it first")]
    ProposalInProgress {
        /// The open proposal.
        id: u64,
    },

    /// `CloseStalled` before the proposal's stall window has passed.
    #[error("proposal {proposal_id} is not stalled: it may be closed from block {closable_at}")]
    NotStalled {
        /// The proposal.
        proposal_id: u64,
        /// First block height at which it may be closed.
        closable_at: u64,
    },

    /// The settings in force are harsher than the proposer's stated
    /// `ProposalLimits`: refused before any bond is taken.
    #[error("{limit}: the proposer accepts {accepted}, the guard has {current}")]
    LimitNotMet {
        /// The limit, e.g. `margins.f1.min_gain`, `min_reward`.
        limit: String,
        /// What the proposer accepts.
        accepted: String,
        /// What is configured.
        current: String,
    },

    /// A message wrong whatever the state (`ExecuteMsg::validate`).
    #[error("invalid message: {0}")]
    InvalidMsg(#[from] InvalidMsg),

    /// A reveal whose model, sender and salt do not give the commitment.
    #[error("the model, sender and salt do not match the commitment")]
    CommitmentMismatch,

    /// A model an earlier proposal revealed: it earns nothing.
    #[error("the model was already revealed by proposal {proposal_id}")]
    RevealedModel {
        /// That proposal.
        proposal_id: u64,
    },

    /// Too early for this step of the proposal.
    #[error("proposal {proposal_id}: too early, allowed from block {from}")]
    TooEarly {
        /// The proposal.
        proposal_id: u64,
        /// First height it is allowed at.
        from: u64,
    },

    /// Too late for this step of the proposal.
    #[error("proposal {proposal_id}: too late, allowed before block {deadline}")]
    TooLate {
        /// The proposal.
        proposal_id: u64,
        /// First height it is refused at.
        deadline: u64,
    },

    /// The proposal is not in the state this message needs.
    #[error("proposal {proposal_id} is {status:?}")]
    WrongStatus {
        /// The proposal.
        proposal_id: u64,
        /// Its state.
        status: ProposalStatus,
    },

    /// A batch is committed and not yet merged or void.
    #[error("the curator's batch is still open")]
    BatchOpen,

    /// No batch committed.
    #[error("no batch")]
    NoBatch,

    /// No proposal with this id.
    #[error("no proposal {0}")]
    NoSuchProposal(u64),

    /// The proposal is already decided.
    #[error("proposal {0} is not being evaluated")]
    NotEvaluating(u64),

    /// Test-set changes wait until open proposals are decided.
    #[error("the test set cannot change while proposal {id} is being evaluated")]
    TestSetLocked {
        /// The open proposal.
        id: u64,
    },

    /// A proposal needs a test set to be judged on.
    #[error("the test set is empty")]
    TestSetEmpty,

    /// The class-balance rule refused a sample.
    #[error("sample {index}: while the {majority} class outnumbers the other beyond the configured ratio, only {minority} samples may be added")]
    ClassImbalance {
        /// Index in the message.
        index: usize,
        /// The majority class.
        majority: &'static str,
        /// The minority class.
        minority: &'static str,
    },

    /// No sample with this id.
    #[error("no test sample {0}")]
    NoSuchSample(u32),

    /// No stored model with this version.
    #[error("no model version {0}")]
    NoSuchVersion(u32),

    /// No active model yet.
    #[error("no active model")]
    NoModel,

    /// The guard is paused and configured to answer `Check` with an error.
    #[error("the guard is paused")]
    Paused,

    /// A setting out of range.
    #[error("invalid config: {0}")]
    InvalidConfig(#[from] InvalidSetting),

    /// A `ModelBlob` chunk past the blob's end.
    #[error("model version {version} has {chunks} chunk(s), no chunk {chunk}")]
    NoSuchChunk {
        /// Model version.
        version: u32,
        /// Chunk asked for.
        chunk: u32,
        /// Chunks the blob has.
        chunks: u32,
    },

    /// A stored record that does not decode (a damaged store).
    #[error("corrupt state record: {0}")]
    CorruptRecord(String),

    /// Bad protected-contract settings.
    #[error("invalid protected settings: {0}")]
    InvalidProtected(#[from] vigil_guard_api::breaker::InvalidProtected),

    /// Baseline parameters the core refuses.
    #[error("invalid baseline parameters: {0:?}")]
    InvalidBaseline(vigil_inference_core::baseline::ParamError),

    /// An observation, verdict or breaker message about a contract the
    /// guard does not protect (or from a sender that is not that contract).
    #[error("{0} is not a protected contract of this guard")]
    NotProtected(String),

    /// `RegisterProtected` for a contract already registered.
    #[error("{0} is already protected: change its settings with update_protected")]
    AlreadyProtected(String),

    /// An action kind the protected contract did not declare.
    #[error("action kind {kind:?} is not one of {contract}'s kinds")]
    UnknownKind {
        /// The contract.
        contract: String,
        /// The kind reported.
        kind: String,
    },

    /// A protected contract reported an outcome its verdict does not allow.
    #[error("outcome {outcome:?} does not follow the verdict {verdict}")]
    OutcomeRefused {
        /// What the contract reported.
        outcome: vigil_guard_api::breaker::Outcome,
        /// The verdict (JSON).
        verdict: String,
    },

    /// `ResetBreaker` or a cancellation from someone other than the
    /// contract's guardian.
    #[error("unauthorized: only the breaker's guardian may do this")]
    NotGuardian,

    /// `ApplyProtected` with no change due.
    #[error("no change to {contract} is due: {reason}")]
    NoChangeDue {
        /// The contract.
        contract: String,
        /// None pending, or the height it is due at.
        reason: String,
    },

    /// The active model's feature count fits neither the action's features
    /// nor them plus the derived ones.
    #[error(
        "the model takes {model} features; the action has {got} (the guard derives {derived} more)"
    )]
    ObservedFeatureCount {
        /// The model's feature count.
        model: usize,
        /// The action's.
        got: usize,
        /// Derived features.
        derived: usize,
    },

    /// Migration from another contract.
    #[error("cannot migrate from contract {0}")]
    WrongContract(String),

    /// A contract version that is not semver.
    #[error("unparsable contract version {version}: {reason}")]
    UnparsableVersion {
        /// The version.
        version: String,
        /// Why.
        reason: String,
    },

    /// A 0.1 store, which this build does not convert (the shipped
    /// artifact leaves the converter out; the upgrade build has it).
    #[error("version {version} has the 0.1 store layout, which this build does not convert: migrate to the upgrade build first (artifacts/vigil_governor_from_0_1.wasm, scripts/build-contract.sh --from-0-1)")]
    StoreFrom0_1 {
        /// The stored version.
        version: String,
    },

    /// Migration to an older version.
    #[error("cannot migrate from version {from} to older version {to}")]
    CannotDowngrade {
        /// Stored version.
        from: String,
        /// This code's version.
        to: String,
    },
}

/// The error of an inference that fails on a stored model (not the
/// caller's fault, but not a panic either).
#[inline(never)]
pub fn inference_failed(e: vigil_inference_core::InferError) -> ContractError {
    ContractError::Std(StdError::generic_err(e.to_string()))
}

/// The error of a blob that does not parse.
#[inline(never)]
pub fn invalid_model(e: vigil_inference_core::FormatError) -> ContractError {
    ContractError::InvalidModel(e.to_string())
}

impl From<ContractError> for StdError {
    fn from(e: ContractError) -> Self {
        match e {
            ContractError::Std(s) => s,
            other => StdError::generic_err(other.to_string()),
        }
    }
}
