//! The guard's messages and responses, `#[cw_serde]` throughout, read and
//! written by cosmwasm-std's JSON. Numbers that are model inputs travel as
//! decimal strings (`"-15605352.04"`); models travel as base64 `Binary`
//! blobs in the Vigil format.
//!
//! The settings a guard is instantiated with, and every update of them, are
//! checked by [`Settings::validate`] (the contract calls it; so can a
//! client before it sends anything).
use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Binary, Decimal, HexBinary, SignedDecimal, Uint128};
use thiserror::Error;

use crate::commit::{COMMITMENT_BYTES, SALT_BYTES};
use crate::settings::{
    default_envelope_margin, default_reveal_delay, default_stall_blocks, default_stall_fee,
    InvalidSetting, Settings,
};

/// Longest feature value (a decimal string) in `Check`, `Score` and test
/// samples, in bytes (decimals are ASCII: characters). Longer is refused
/// before any parse, naming the feature.
pub const MAX_FEATURE_CHARS: usize = 64;

/// How a metric must move for a candidate to count as better. The smallest
/// counted gain must exceed the tolerance (`Settings::validate`), so no two
/// models can each count as better than the other.
#[cw_serde]
#[derive(Default)]
pub struct Margin {
    /// A candidate improves this metric when it beats the reference (the
    /// better of the incumbent and the best ever accepted on the test-set
    /// version) by more than zero and by at least this much.
    pub min_gain: Decimal,
    /// A candidate worsens this metric when it falls below the incumbent by
    /// more than this. Must be below the smallest counted gain.
    pub tolerance: Decimal,
}

/// Proof-of-Improvement margins, per metric.
#[cw_serde]
#[derive(Default)]
pub struct Margins {
    /// Accuracy.
    pub accuracy: Margin,
    /// F1 score of the positive (attack) class.
    pub f1: Margin,
    /// Precision of the positive class.
    pub precision: Margin,
    /// Recall of the positive class.
    pub recall: Margin,
}

/// What an accepted proposer receives from the vault on top of their bond
/// (at most what the vault holds).
#[cw_serde]
pub enum RewardRule {
    /// No reward.
    None,
    /// A fixed amount of the bond denom.
    Fixed {
        /// Amount.
        amount: Uint128,
    },
    /// A share of the bond.
    BondShare {
        /// E.g. `"0.1"` for 10%.
        share: Decimal,
    },
}

/// What `Check` answers while the guard is paused.
#[cw_serde]
#[derive(Copy, Eq)]
pub enum PausedCheck {
    /// Allow every transaction (fail open).
    Allow,
    /// Deny every transaction (fail closed).
    Deny,
    /// Return an error (the caller decides).
    Error,
}

/// One labelled test sample: raw inputs as decimal strings.
#[cw_serde]
pub struct TestSample {
    /// One decimal string per feature.
    pub features: Vec<String>,
    /// `true` for the positive (attack / fraud) class.
    pub label: bool,
}

/// Instantiate the guard.
#[cw_serde]
pub struct InstantiateMsg {
    /// Governance address (DAO, multisig or account); defaults to the sender.
    pub admin: Option<String>,
    /// Number of raw inputs every model and sample has.
    pub n_features: u16,
    /// Denom of proposal bonds and rewards.
    pub bond_denom: String,
    /// Smallest bond a proposal must attach.
    pub min_bond: Uint128,
    /// Proof-of-Improvement margins.
    #[serde(default)]
    pub margins: Margins,
    /// Reward for an accepted proposal.
    pub reward: RewardRule,
    /// Largest cost bound (wasm operations per inference) a model may have.
    pub max_inference_ops: u64,
    /// Largest SDK gas a model's `Check` may cost above setup (reads and
    /// compute, quoted for inputs of [`crate::gas::QUOTE_VALUE_CHARS`]
    /// characters, code not pinned; see `Settings::max_check_gas`).
    pub max_check_gas: u64,
    /// Score at or above which `Check` denies; `None` uses the model's own
    /// threshold.
    pub deny_threshold: Option<Decimal>,
    /// `Check` behaviour while paused.
    pub paused_check: PausedCheck,
    /// While one class outnumbers the other by more than this ratio, only
    /// the minority class may be added to the test set.
    pub max_class_ratio: Decimal,
    /// Test rows evaluated per transaction step.
    pub eval_batch: u32,
    /// Blocks without an evaluation step after which anyone may close an
    /// open proposal (`CloseStalled`); default 600.
    #[serde(default = "default_stall_blocks")]
    pub stall_blocks: u64,
    /// Share of the bond (at most 1) paid to the closer of a stalled
    /// proposal, or moved to the vault by an admin cancel; default 0.05.
    #[serde(default = "default_stall_fee")]
    pub stall_fee: Decimal,
    /// The data envelope's margin (a share of each feature's test-set
    /// range; `null` turns the envelope off); default 0.05. See
    /// `Settings::envelope_margin`.
    #[serde(default = "default_envelope_margin")]
    pub envelope_margin: Option<Decimal>,
    /// Blocks between a commitment and its reveal (at least 1); default 10.
    #[serde(default = "default_reveal_delay")]
    pub reveal_delay: u64,
    /// Blocks an accepted model is pending (vetoable) before activation;
    /// default 0 (active at acceptance).
    #[serde(default)]
    pub activation_delay: u64,
    /// Who may veto a pending model; default none.
    #[serde(default)]
    pub guardian: Option<String>,
    /// Blocks a governance change waits before it may apply; default 0.
    #[serde(default)]
    pub governance_delay: u64,
    /// Who commits hidden test batches; default none.
    #[serde(default)]
    pub curator: Option<String>,
    /// A first model (admin-installed, no evaluation).
    pub initial_model: Option<Binary>,
    /// A first test set (checked by the class-balance rule like any other).
    #[serde(default)]
    pub initial_test_set: Vec<TestSample>,
}

/// Execute messages.
// `UpdateConfig` is the large variant; a message is deserialised once per
// call, so boxing it would only cost an allocation.
#[allow(clippy::large_enum_variant)]
#[cw_serde]
pub enum ExecuteMsg {
    /// Propose a model, first as a commitment; attach at least `min_bond`
    /// of `bond_denom`. `commitment` is 32 bytes:
    /// `sha256(sha256(model) || sender address (UTF-8) || salt)` with a
    /// 32-byte `salt` (`vigil_guard_api::commit::commitment` computes it).
    /// The rules the proposal is judged and paid by (margins, reward,
    /// threshold, budgets, stall, reveal and activation settings, guardian)
    /// are those in force now; `limits` refuses the commitment, before any
    /// bond is taken, when they are harsher than the proposer accepts.
    CommitProposal {
        /// The commitment (32 bytes, hex).
        commitment: HexBinary,
        /// The harshest rules the proposer accepts (absent: any).
        #[serde(default)]
        limits: Option<ProposalLimits>,
    },
    /// The committer reveals the model, from `reveal_delay` blocks after
    /// the commitment until `stall_blocks` blocks later (after that anyone
    /// may close it, `CloseStalled`). Checked against the commitment and
    /// the budgets recorded with it; a model already stored or revealed by
    /// an earlier proposal is refused. Evaluated at once when no other
    /// proposal is open, else queued (commitment order) and started when
    /// the guard is free.
    RevealProposal {
        /// The proposal.
        proposal_id: u64,
        /// The model blob.
        model: Binary,
        /// The salt of the commitment (32 bytes).
        salt: Binary,
    },
    /// Evaluate the next batch of an open proposal. Anyone may call it.
    ContinueEvaluation {
        /// The proposal.
        proposal_id: u64,
    },
    /// The proposal's guardian: veto its model while it is pending. The
    /// bond goes to the vault (a veto means the guardian found the model
    /// harmful); no reward.
    Veto {
        /// The proposal.
        proposal_id: u64,
    },
    /// Anyone: activate the pending model once its `activation_delay` has
    /// passed; the proposer is paid bond and reward.
    Activate {},
    /// Admin: withdraw a proposal not yet decided (committed, queued or
    /// being evaluated). The bond is refunded less the proposal's
    /// `stall_fee` share, which goes to the vault.
    CancelProposal {
        /// The proposal.
        proposal_id: u64,
    },
    /// Anyone: close a proposal with no evaluation step for its
    /// `stall_blocks` blocks, or a commitment not revealed by its deadline.
    /// The sender receives its `stall_fee` share of the bond, the proposer
    /// the rest; the guard is free for the next.
    CloseStalled {
        /// The proposal.
        proposal_id: u64,
    },
    /// Admin, time-locked: add labelled samples (class-balance rule
    /// applies). See [`GovernanceChange`].
    AddTestSamples {
        /// Samples to add.
        samples: Vec<TestSample>,
    },
    /// Admin, time-locked: remove samples by id.
    RemoveTestSamples {
        /// Sample ids.
        ids: Vec<u32>,
    },
    /// Admin, time-locked: make an earlier accepted model active again.
    Rollback {
        /// Model version.
        version: u32,
    },
    /// Admin: circuit breaker on (immediate).
    Pause {},
    /// Admin: circuit breaker off (immediate).
    Unpause {},
    /// Admin, time-locked: change settings (absent fields stay).
    UpdateConfig(ConfigUpdate),
    /// Anyone: apply the queued governance changes that are due, in order,
    /// as far as the first that must still wait; and let a revealed hidden
    /// batch join the test set when it may.
    ApplyGovernance {},
    /// The curator: commit a hidden batch of test samples, one hash per
    /// chunk (`vigil_guard_api::commit::chunk_hash`). Proposals committed
    /// from now on are judged only once the batch is revealed and has
    /// joined the test set. One batch at a time.
    CommitBatch {
        /// The chunks' hashes (32 bytes each, at most 64 chunks).
        chunks: Vec<HexBinary>,
    },
    /// The curator: reveal chunk `index` of the batch, from `reveal_delay`
    /// blocks after its commitment until `stall_blocks` later. When every
    /// chunk is revealed the batch joins the test set, in this message if
    /// no proposal committed before the batch is undecided and none is
    /// open, else by the first `ApplyGovernance` after they are decided.
    /// (The merge's gas grows with the batch: chunk it accordingly.)
    RevealBatch {
        /// Chunk index.
        index: u32,
        /// Its samples.
        samples: Vec<TestSample>,
        /// Its salt (32 bytes).
        salt: Binary,
    },
    /// The proposer: withdraw, bond refunded in full, a proposal that waits
    /// for a batch the curator did not reveal by its deadline (or that
    /// could not join the test set), while it is committed or queued.
    Withdraw {
        /// The proposal.
        proposal_id: u64,
    },
    /// Admin: hand governance to another address.
    UpdateAdmin {
        /// New admin.
        admin: String,
    },
    /// Deposit reward funds (bond denom) into the vault.
    Fund {},
    /// Anyone: move the contract's bank balance of the bond denom above the
    /// vault plus the bonds of undecided proposals (funds sent by plain bank
    /// transfer) into the vault. Nothing stranded: a no-op (`swept` 0).
    Sweep {},
    /// Admin, once: the guard this governor installs models on (a
    /// `vigil-guard` instantiated with this contract as its governor).
    /// From then on every change of the active model, its threshold or the
    /// data envelope is sent to the guard (`InstallModel`) in the same
    /// transaction; the active model is sent at once. A bound guard cannot
    /// be changed (`GuardBound`): redirecting installs would freeze the
    /// real guard on an old model. Refused (`GuardMismatch`) unless the
    /// address answers the guard's `Config` naming this contract as its
    /// governor, with no install accepted yet, this contract's feature
    /// count and budgets no tighter; and (`ProposalInProgress`) while a
    /// revealed proposal is undecided.
    BindGuard {
        /// The guard's address.
        guard: String,
    },
}

/// A time-locked governance change (`UpdateConfig`, `AddTestSamples`,
/// `RemoveTestSamples`, `Rollback`). Checked against the state when sent
/// (refused if it could not apply now), then queued and applied from
/// `governance_delay` blocks later (by `ApplyGovernance`, or the next
/// governance message), in order. A test-set change or rollback also waits
/// while a proposal is being evaluated or pending, and while any proposal
/// committed before the change was queued is undecided: it never changes
/// the test set or incumbent a committed proposal is judged on. (Config
/// changes never reach a committed proposal: it keeps the rules of its
/// commitment.) With `governance_delay` 0 a change applies at once or is
/// refused (`TestSetLocked`, `ProposalInProgress`). A change that can no
/// longer apply when due (e.g. the class rule after other changes) is
/// dropped, with a `governance_dropped` attribute.
// As `ExecuteMsg`: `UpdateConfig` is the large variant, read once.
#[allow(clippy::large_enum_variant)]
#[cw_serde]
pub enum GovernanceChange {
    /// `UpdateConfig`.
    UpdateConfig(ConfigUpdate),
    /// `AddTestSamples`.
    AddTestSamples {
        /// Samples to add.
        samples: Vec<TestSample>,
    },
    /// `RemoveTestSamples`.
    RemoveTestSamples {
        /// Sample ids.
        ids: Vec<u32>,
    },
    /// `Rollback`.
    Rollback {
        /// Model version.
        version: u32,
    },
}

impl GovernanceChange {
    /// The change a time-locked execute message asks for (`None` for any
    /// other message). Its JSON (`cosmwasm_std::to_json_vec`) is that of
    /// the execute message (same variant names and fields), so the contract
    /// stores a queued change as that JSON and reads it back with
    /// [`ExecuteMsg`]'s deserialiser (one set of deserialisers in the wasm).
    pub fn from_msg(msg: ExecuteMsg) -> Option<GovernanceChange> {
        Some(match msg {
            ExecuteMsg::UpdateConfig(update) => GovernanceChange::UpdateConfig(update),
            ExecuteMsg::AddTestSamples { samples } => GovernanceChange::AddTestSamples { samples },
            ExecuteMsg::RemoveTestSamples { ids } => GovernanceChange::RemoveTestSamples { ids },
            ExecuteMsg::Rollback { version } => GovernanceChange::Rollback { version },
            _ => return None,
        })
    }
}

/// A queued governance change.
#[cw_serde]
pub struct PendingChange {
    /// Id (queue order).
    pub id: u64,
    /// The change.
    pub change: GovernanceChange,
    /// Height it was queued at.
    pub queued_at: u64,
    /// First height it may apply at.
    pub apply_at: u64,
    /// Proposals with a lower id (committed before it was queued) must be
    /// decided before a test-set change or rollback applies.
    pub after_proposal: u64,
}

/// `Batch` answer: the curator's latest batch.
#[cw_serde]
pub struct BatchResponse {
    /// Height of its commitment.
    pub committed_at: u64,
    /// Proposals from this id on were committed after it and are judged
    /// with it.
    pub first_proposal: u64,
    /// Its chunks.
    pub chunks: u32,
    /// Chunks revealed.
    pub revealed: u32,
    /// First height of its reveal.
    pub reveal_from: u64,
    /// First height after its reveal window.
    pub deadline: u64,
    /// `committed`, `revealed` (every chunk; joins the test set once the
    /// proposals committed before it are decided), `merged` (joined) or
    /// `void` (not revealed in time, or refused by the class rule: the
    /// proposers waiting for it may withdraw).
    pub state: String,
}

/// `Governance` answer.
#[cw_serde]
pub struct GovernanceResponse {
    /// Queued changes, in order.
    pub pending: Vec<PendingChange>,
}

/// A message that cannot be right whatever the contract's state.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum InvalidMsg {
    /// A commitment that is not [`COMMITMENT_BYTES`] long.
    #[error("a commitment is 32 bytes, got {0}")]
    CommitmentLength(usize),
    /// A salt that is not [`SALT_BYTES`] long.
    #[error("a salt is 32 bytes, got {0}")]
    SaltLength(usize),
    /// A batch without chunks or with more than [`MAX_BATCH_CHUNKS`].
    #[error("a batch has 1 to 64 chunks, got {0}")]
    BatchChunks(usize),
}

/// Most chunks in a hidden batch.
pub const MAX_BATCH_CHUNKS: usize = 64;

impl ExecuteMsg {
    /// The checks that need no state (the contract makes them first).
    pub fn validate(&self) -> Result<(), InvalidMsg> {
        match self {
            ExecuteMsg::CommitProposal { commitment, .. }
                if commitment.len() != COMMITMENT_BYTES =>
            {
                Err(InvalidMsg::CommitmentLength(commitment.len()))
            }
            ExecuteMsg::RevealProposal { salt, .. } | ExecuteMsg::RevealBatch { salt, .. }
                if salt.len() != SALT_BYTES =>
            {
                Err(InvalidMsg::SaltLength(salt.len()))
            }
            ExecuteMsg::CommitBatch { chunks }
                if chunks.is_empty() || chunks.len() > MAX_BATCH_CHUNKS =>
            {
                Err(InvalidMsg::BatchChunks(chunks.len()))
            }
            ExecuteMsg::CommitBatch { chunks } => {
                match chunks.iter().find(|c| c.len() != COMMITMENT_BYTES) {
                    Some(c) => Err(InvalidMsg::CommitmentLength(c.len())),
                    None => Ok(()),
                }
            }
            _ => Ok(()),
        }
    }
}

/// The harshest rules a proposer accepts. Checked at `CommitProposal`
/// against the settings in force (which the proposal then keeps): a proposal
/// the admin's last change made harsher than this is refused, no bond taken.
#[cw_serde]
#[derive(Default)]
pub struct ProposalLimits {
    /// Largest margins: refused if a metric's configured `min_gain` is
    /// above this one's, or its `tolerance` below this one's.
    pub max_margins: Option<Margins>,
    /// Smallest reward on acceptance, for the bond attached (the reward
    /// rule applied to it, capped by the vault as it is now; the vault only
    /// grows while a proposal is open).
    pub min_reward: Option<Uint128>,
    /// Largest `stall_fee`.
    pub max_stall_fee: Option<Decimal>,
    /// Smallest `stall_blocks`.
    pub min_stall_blocks: Option<u64>,
}

/// Settings `UpdateConfig` may change. Unknown fields are refused, so a
/// misspelt setting is an error rather than a silent no-op. Margins and
/// reward apply to proposals made after the update.
#[cw_serde]
#[derive(Default)]
#[serde(deny_unknown_fields)]
pub struct ConfigUpdate {
    /// New minimum bond.
    pub min_bond: Option<Uint128>,
    /// New margins.
    pub margins: Option<Margins>,
    /// New reward rule.
    pub reward: Option<RewardRule>,
    /// New operation budget.
    pub max_inference_ops: Option<u64>,
    /// New `Check` gas budget (applies to models proposed after it).
    pub max_check_gas: Option<u64>,
    /// New deny threshold (applies to proposals made after it; an open
    /// proposal is judged, and if accepted enforced, at the threshold
    /// recorded when it was made): absent keeps it, `null` (`Some(None)`) returns to
    /// the model's own, a value sets it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub deny_threshold: Option<Option<Decimal>>,
    /// New paused behaviour.
    pub paused_check: Option<PausedCheck>,
    /// New class ratio.
    pub max_class_ratio: Option<Decimal>,
    /// New evaluation batch size.
    pub eval_batch: Option<u32>,
    /// New stall window (applies to proposals made after it).
    pub stall_blocks: Option<u64>,
    /// New stall fee (applies to proposals made after it).
    pub stall_fee: Option<Decimal>,
    /// New envelope margin (the envelope is recomputed from the test set
    /// when the change applies): absent keeps it, `null` (`Some(None)`) turns the envelope
    /// off, a value sets it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub envelope_margin: Option<Option<Decimal>>,
    /// New reveal delay (applies to proposals committed after it).
    pub reveal_delay: Option<u64>,
    /// New activation delay (applies to proposals committed after it).
    pub activation_delay: Option<u64>,
    /// New guardian (applies to proposals committed after it): absent
    /// keeps it, `null` removes it, an address sets it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub guardian: Option<Option<String>>,
    /// New governance delay (itself applied after the delay in force).
    pub governance_delay: Option<u64>,
    /// New curator (for batches committed after it): absent keeps it,
    /// `null` removes it, an address sets it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub curator: Option<Option<String>>,
}

/// Queries.
#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    /// Score one input vector with the active model. Answers while paused
    /// too: the circuit breaker governs `Check` only.
    #[returns(ScoreResponse)]
    Score {
        /// One decimal string per feature.
        features: Vec<String>,
    },
    /// Should this transaction be allowed? What other contracts call.
    #[returns(CheckResponse)]
    Check {
        /// One decimal string per feature.
        features: Vec<String>,
    },
    /// Information on the active model, or on a stored version.
    #[returns(ModelResponse)]
    Model {
        /// A version; the active one when absent.
        version: Option<u32>,
    },
    /// The configuration.
    #[returns(ConfigResponse)]
    Config {},
    /// Test samples by id.
    #[returns(TestSetResponse)]
    TestSet {
        /// Start after this id.
        start_after: Option<u32>,
        /// At most this many (default 30, max 100).
        limit: Option<u32>,
    },
    /// The hidden batch, if one was committed.
    #[returns(Option<BatchResponse>)]
    Batch {},
    /// Queued governance changes, in order.
    #[returns(GovernanceResponse)]
    Governance {
        /// Start after this id.
        start_after: Option<u64>,
        /// At most this many (default 30, max 100).
        limit: Option<u32>,
    },
    /// Proposals by id.
    #[returns(ProposalsResponse)]
    Proposals {
        /// Start after this id.
        start_after: Option<u64>,
        /// At most this many (default 30, max 100).
        limit: Option<u32>,
    },
    /// The cost bound of a blob (validates it first).
    #[returns(CostResponse)]
    Cost {
        /// The model blob.
        model: Binary,
    },
    /// A stored model's blob, in chunks of [`MODEL_BLOB_CHUNK_BYTES`]
    /// (most models are one chunk). Before use, check that the assembled
    /// blob parses and that its checksum is `hash` (the core's
    /// `Model::parse` verifies the checksum the blob carries; compare that
    /// with `hash`).
    #[returns(ModelBlobResponse)]
    ModelBlob {
        /// A version; the active one when absent.
        version: Option<u32>,
        /// Chunk index (default 0).
        chunk: Option<u32>,
    },
}

/// Bytes of a [`QueryMsg::ModelBlob`] chunk (the last may be shorter): one
/// storage value of the contract, so a chunk costs one read.
pub const MODEL_BLOB_CHUNK_BYTES: u32 = 128 * 1024;

/// Migration.
#[cw_serde]
pub struct MigrateMsg {}

/// `ModelBlob` answer.
#[cw_serde]
pub struct ModelBlobResponse {
    /// Model version.
    pub version: u32,
    /// The model's checksum (hex): the SHA-256 the blob carries, over every
    /// byte of it but the checksum itself; the same as `Model`'s `hash`.
    pub hash: String,
    /// Bytes of the whole blob.
    pub size: u32,
    /// This chunk's index.
    pub chunk: u32,
    /// Chunks in all.
    pub chunks: u32,
    /// This chunk's bytes.
    pub data: Binary,
}

/// One feature's share of the score.
#[cw_serde]
pub struct Contribution {
    /// Feature index.
    pub feature: u16,
    /// Contribution in the model's raw output units (logit for linear and
    /// GBDT models).
    pub value: SignedDecimal,
}

/// `Score` answer.
#[cw_serde]
pub struct ScoreResponse {
    /// Score in `[0, 1]` (rounded down to 18 decimals).
    pub score: Decimal,
    /// The exact score: `U1F31` bits (score = bits / 2^31).
    pub score_bits: u32,
    /// `score >= model threshold`.
    pub label: bool,
    /// Active model version.
    pub model_version: u32,
    /// The three largest contributions, largest first (empty for MLPs).
    pub contributions: Vec<Contribution>,
    /// Inputs outside the data envelope (clamped into it before scoring).
    #[serde(default)]
    pub out_of_envelope: u32,
    /// The first of them (at most 8), by feature index, ascending.
    #[serde(default)]
    pub out_of_envelope_features: Vec<u16>,
}

/// `Check` answer.
#[cw_serde]
pub struct CheckResponse {
    /// Let the transaction through.
    pub allow: bool,
    /// Score in `[0, 1]`; zero when paused.
    pub score: Decimal,
    /// The threshold applied.
    pub threshold: Decimal,
    /// Active model version (0 when paused).
    pub model_version: u32,
    /// The guard is paused: `allow` is the configured paused behaviour.
    pub paused: bool,
    /// Inputs outside the data envelope: clamped into it before scoring, so
    /// an out-of-range trigger reaches no model. An integrator may deny
    /// them ([`CheckResponse::in_envelope`]). Zero while paused.
    #[serde(default)]
    pub out_of_envelope: u32,
    /// The first of them (at most 8), by feature index, ascending.
    #[serde(default)]
    pub out_of_envelope_features: Vec<u16>,
}

impl CheckResponse {
    /// Every input was inside the data envelope (none was clamped).
    pub fn in_envelope(&self) -> bool {
        self.out_of_envelope == 0
    }
}

/// Metrics of a model on a test-set version.
#[cw_serde]
#[derive(Default, Copy)]
pub struct Metrics {
    /// True positives.
    pub tp: u32,
    /// False positives.
    pub fp: u32,
    /// True negatives.
    pub tn: u32,
    /// False negatives.
    #[serde(rename = "fn")]
    pub fn_: u32,
    /// (tp + tn) / n.
    pub accuracy: Decimal,
    /// 2·tp / (2·tp + fp + fn).
    pub f1: Decimal,
    /// tp / (tp + fp).
    pub precision: Decimal,
    /// tp / (tp + fn).
    pub recall: Decimal,
}

/// `Model` answer.
#[cw_serde]
pub struct ModelResponse {
    /// Version (1 = first accepted model).
    pub version: u32,
    /// Whether this is the active model.
    pub active: bool,
    /// The model's checksum (hex): the SHA-256 its blob carries, over every
    /// byte but the checksum itself (the model's identity).
    pub hash: String,
    /// Family name.
    pub family: String,
    /// Who proposed it (the admin for an initial model).
    pub proposer: String,
    /// Blob size in bytes.
    pub size: u32,
    /// Cost bound: wasm operations per inference.
    pub cost_ops: u64,
    /// Cost bound in cosmwasm-vm's units (operations at its prices).
    pub cosmwasm_units: u64,
    /// What a `Check` on this model costs, bounded: inputs of
    /// [`crate::gas::QUOTE_VALUE_CHARS`] characters, code not pinned.
    pub check_gas: CheckGas,
    /// Metrics when accepted, if evaluated.
    pub metrics: Option<Metrics>,
    /// Test-set version those metrics were measured on.
    pub test_set_version: Option<u32>,
}

/// `Config` answer.
#[cw_serde]
pub struct ConfigResponse {
    /// Admin.
    pub admin: String,
    /// Feature count.
    pub n_features: u16,
    /// Bond denom.
    pub bond_denom: String,
    /// Minimum bond.
    pub min_bond: Uint128,
    /// Margins.
    pub margins: Margins,
    /// Reward rule.
    pub reward: RewardRule,
    /// Operation budget.
    pub max_inference_ops: u64,
    /// `Check` gas budget (SDK gas above setup).
    pub max_check_gas: u64,
    /// Deny threshold override.
    pub deny_threshold: Option<Decimal>,
    /// Paused behaviour.
    pub paused_check: PausedCheck,
    /// Class ratio.
    pub max_class_ratio: Decimal,
    /// Evaluation batch.
    pub eval_batch: u32,
    /// Stall window (blocks).
    pub stall_blocks: u64,
    /// Stall fee (share of a bond).
    pub stall_fee: Decimal,
    /// Data envelope margin (`None`: off).
    pub envelope_margin: Option<Decimal>,
    /// Reveal delay (blocks).
    pub reveal_delay: u64,
    /// Activation delay (blocks).
    pub activation_delay: u64,
    /// Guardian.
    pub guardian: Option<String>,
    /// Governance delay (blocks).
    pub governance_delay: u64,
    /// Curator.
    pub curator: Option<String>,
    /// The guard this governor installs models on (`BindGuard`); none:
    /// not bound yet.
    #[serde(default)]
    pub guard: Option<String>,
    /// Paused now.
    pub paused: bool,
    /// Vault balance (rewards available).
    pub vault: Uint128,
    /// Active model version (0 = none).
    pub active_version: u32,
    /// Test-set version.
    pub test_set_version: u32,
    /// Test samples: positive class.
    pub positives: u32,
    /// Test samples: negative class.
    pub negatives: u32,
}

/// A stored sample.
#[cw_serde]
pub struct StoredSample {
    /// Id.
    pub id: u32,
    /// Inputs, as exact decimal strings.
    pub features: Vec<String>,
    /// Label.
    pub label: bool,
}

/// `TestSet` answer.
#[cw_serde]
pub struct TestSetResponse {
    /// Test-set version.
    pub version: u32,
    /// Samples.
    pub samples: Vec<StoredSample>,
}

/// Proposal state.
#[cw_serde]
pub enum ProposalStatus {
    /// Committed, bond held; the committer reveals it (`RevealProposal`).
    Committed,
    /// Revealed while another proposal was open: waits its turn
    /// (commitment order).
    Queued,
    /// Being evaluated; `ContinueEvaluation` advances it.
    Evaluating,
    /// Accepted, pending activation (`Activate`); the guardian may veto it.
    Pending,
    /// Accepted: became the active model.
    Accepted,
    /// Vetoed by the guardian while pending: bond moved to the vault.
    Vetoed,
    /// Withdrawn by its proposer after the curator missed a batch's reveal:
    /// bond refunded in full.
    Withdrawn,
    /// Rejected: bond moved to the vault.
    Rejected,
    /// Cancelled by the admin: bond refunded less the stall fee (to the
    /// vault).
    Cancelled,
    /// Closed as stalled (`CloseStalled`): the closer got the stall fee,
    /// the proposer the rest of the bond.
    Closed,
}

/// A proposal.
#[cw_serde]
pub struct ProposalResponse {
    /// Id.
    pub id: u64,
    /// Proposer.
    pub proposer: String,
    /// Bond attached.
    pub bond: Uint128,
    /// The commitment (hex; empty for proposals made before commit-reveal).
    pub commitment: String,
    /// Candidate checksum (hex); empty until revealed.
    pub hash: String,
    /// Status.
    pub status: ProposalStatus,
    /// Test-set version it is judged on.
    pub test_set_version: u32,
    /// Rows evaluated so far.
    pub evaluated: u32,
    /// Rows in total.
    pub total: u32,
    /// Candidate metrics (final once decided).
    pub candidate: Metrics,
    /// Incumbent metrics on the same rows.
    pub incumbent: Metrics,
    /// Model version it became, if accepted.
    pub accepted_version: Option<u32>,
    /// The threshold the candidate is judged at, which `Check` applies if
    /// it is accepted: the configured `deny_threshold` when the proposal was
    /// made, else the candidate's own. `None` only for proposals decided
    /// before a migration from 0.1 (their blob is gone).
    pub threshold: Option<Decimal>,
    /// The same threshold as `U1F31` score bits (exact).
    pub threshold_bits: Option<u32>,
    /// The configured `deny_threshold` it was judged at, for candidate and
    /// incumbent alike; `None`: each model at its own threshold.
    pub deny_threshold: Option<Decimal>,
    /// Stall window it was proposed under (blocks).
    pub stall_blocks: u64,
    /// Stall fee it was proposed under (share of its bond).
    pub stall_fee: Decimal,
    /// Block height of its last evaluation step (or of the migration that
    /// converted it).
    pub last_step_height: u64,
    /// While committed or being evaluated: the height from which
    /// `CloseStalled` may close it (for a commitment: its reveal deadline).
    pub closable_at: Option<u64>,
    /// Height of the commitment.
    pub committed_at: u64,
    /// While committed: the first height its reveal is accepted at.
    pub reveal_from: Option<u64>,
    /// Blocks it waits, accepted, before activation.
    pub activation_delay: u64,
    /// While pending: the height from which `Activate` activates it.
    pub activate_at: Option<u64>,
    /// Who may veto it while pending.
    pub guardian: Option<String>,
    /// Accepted without reward: its predictions on the test set equal an
    /// earlier decided proposal's (`same_predictions_as`).
    pub reward_withheld: bool,
    /// That earlier proposal.
    pub same_predictions_as: Option<u64>,
    /// Test rows on which candidate and incumbent disagree.
    pub disagreements: u32,
    /// The ids of the first of them (at most 16).
    pub disagreement_ids: Vec<u32>,
}

/// `Proposals` answer.
#[cw_serde]
pub struct ProposalsResponse {
    /// Proposals.
    pub proposals: Vec<ProposalResponse>,
}

/// `Cost` answer.
#[cw_serde]
pub struct CostResponse {
    /// Upper bound on wasm operations per inference.
    pub ops: u64,
    /// The same bound in cosmwasm-vm's units.
    pub cosmwasm_units: u64,
    /// Blob size.
    pub model_bytes: u64,
    /// What a `Check` on this model would cost, bounded: inputs of
    /// [`crate::gas::QUOTE_VALUE_CHARS`] characters, code not pinned.
    pub check_gas: CheckGas,
    /// Within the configured budgets: `ops` within `max_inference_ops` and
    /// `check_gas.above_setup()` within `max_check_gas`.
    pub within_budget: bool,
}

/// The SDK gas of one `Check`, an upper bound split as wasmd charges it.
#[cw_serde]
#[derive(Copy, Eq, Default)]
pub struct CheckGas {
    /// Instance setup ([`crate::gas::WasmdGas::setup`]).
    pub setup: u64,
    /// KV reads of the active record (exact).
    pub storage: u64,
    /// Wasm execution: the model's bound and the contract's own work.
    pub compute: u64,
}

impl CheckGas {
    /// setup + storage + compute.
    pub fn total(&self) -> u64 {
        self.setup
            .saturating_add(self.storage)
            .saturating_add(self.compute)
    }

    /// storage + compute: what the call costs beyond its setup.
    pub fn above_setup(&self) -> u64 {
        self.storage.saturating_add(self.compute)
    }
}

impl InstantiateMsg {
    /// The guard's settings in this message.
    pub fn settings(&self) -> Settings {
        Settings {
            n_features: self.n_features,
            bond_denom: self.bond_denom.clone(),
            min_bond: self.min_bond,
            margins: self.margins.clone(),
            reward: self.reward.clone(),
            max_inference_ops: self.max_inference_ops,
            max_check_gas: self.max_check_gas,
            deny_threshold: self.deny_threshold,
            paused_check: self.paused_check,
            max_class_ratio: self.max_class_ratio,
            eval_batch: self.eval_batch,
            stall_blocks: self.stall_blocks,
            stall_fee: self.stall_fee,
            envelope_margin: self.envelope_margin,
            reveal_delay: self.reveal_delay,
            activation_delay: self.activation_delay,
            guardian: self.guardian.clone(),
            governance_delay: self.governance_delay,
            curator: self.curator.clone(),
        }
    }

    /// The checks the contract makes of these settings at instantiation.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        self.settings().validate()
    }
}

impl ConfigUpdate {
    /// `current` with this update applied (absent fields stay), checked as
    /// the contract checks it.
    pub fn apply(&self, current: &Settings) -> Result<Settings, InvalidSetting> {
        let mut s = current.clone();
        if let Some(v) = self.min_bond {
            s.min_bond = v;
        }
        if let Some(v) = &self.margins {
            s.margins = v.clone();
        }
        if let Some(v) = &self.reward {
            s.reward = v.clone();
        }
        if let Some(v) = self.max_inference_ops {
            s.max_inference_ops = v;
        }
        if let Some(v) = self.max_check_gas {
            s.max_check_gas = v;
        }
        if let Some(v) = self.deny_threshold {
            s.deny_threshold = v;
        }
        if let Some(v) = self.paused_check {
            s.paused_check = v;
        }
        if let Some(v) = self.max_class_ratio {
            s.max_class_ratio = v;
        }
        if let Some(v) = self.eval_batch {
            s.eval_batch = v;
        }
        if let Some(v) = self.stall_blocks {
            s.stall_blocks = v;
        }
        if let Some(v) = self.stall_fee {
            s.stall_fee = v;
        }
        if let Some(v) = self.envelope_margin {
            s.envelope_margin = v;
        }
        if let Some(v) = self.reveal_delay {
            s.reveal_delay = v;
        }
        if let Some(v) = self.activation_delay {
            s.activation_delay = v;
        }
        if let Some(v) = &self.guardian {
            s.guardian = v.clone();
        }
        if let Some(v) = self.governance_delay {
            s.governance_delay = v;
        }
        if let Some(v) = &self.curator {
            s.curator = v.clone();
        }
        s.validate()?;
        Ok(s)
    }
}

impl ConfigResponse {
    /// The settings part of the configuration.
    pub fn settings(&self) -> Settings {
        Settings {
            n_features: self.n_features,
            bond_denom: self.bond_denom.clone(),
            min_bond: self.min_bond,
            margins: self.margins.clone(),
            reward: self.reward.clone(),
            max_inference_ops: self.max_inference_ops,
            max_check_gas: self.max_check_gas,
            deny_threshold: self.deny_threshold,
            paused_check: self.paused_check,
            max_class_ratio: self.max_class_ratio,
            eval_batch: self.eval_batch,
            stall_blocks: self.stall_blocks,
            stall_fee: self.stall_fee,
            envelope_margin: self.envelope_margin,
            reveal_delay: self.reveal_delay,
            activation_delay: self.activation_delay,
            guardian: self.guardian.clone(),
            governance_delay: self.governance_delay,
            curator: self.curator.clone(),
        }
    }
}

/// A field that is present deserialises to `Some`, even when it is `null`
/// (with `#[serde(default)]`, an absent one is `None`): `ConfigUpdate`'s
/// `deny_threshold` tells "keep" from "back to the model's own".
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::{from_json, to_json_vec};

    #[test]
    fn a_governance_change_reads_back_as_its_execute_message() {
        let changes = [
            GovernanceChange::UpdateConfig(ConfigUpdate {
                deny_threshold: Some(None),
                guardian: Some(Some("g".into())),
                min_bond: Some(Uint128::new(5)),
                ..ConfigUpdate::default()
            }),
            GovernanceChange::UpdateConfig(ConfigUpdate::default()),
            GovernanceChange::AddTestSamples {
                samples: vec![TestSample {
                    features: vec!["1.5".into(), "-2".into()],
                    label: true,
                }],
            },
            GovernanceChange::RemoveTestSamples { ids: vec![3, 1] },
            GovernanceChange::Rollback { version: 2 },
        ];
        for change in changes {
            let msg: ExecuteMsg = from_json(to_json_vec(&change).unwrap()).unwrap();
            assert_eq!(GovernanceChange::from_msg(msg), Some(change));
        }
        assert_eq!(GovernanceChange::from_msg(ExecuteMsg::Sweep {}), None);
    }

    #[test]
    fn a_null_threshold_is_not_an_absent_one() {
        let keep: ConfigUpdate = from_json(br#"{"min_bond":"5"}"#).unwrap();
        assert_eq!(keep.deny_threshold, None);
        let model: ConfigUpdate = from_json(br#"{"deny_threshold":null}"#).unwrap();
        assert_eq!(model.deny_threshold, Some(None));
        let set: ConfigUpdate = from_json(br#"{"deny_threshold":"0.7"}"#).unwrap();
        assert_eq!(set.deny_threshold, Some(Some(Decimal::percent(70))));
        // Written back, each reads the same.
        for u in [keep, model, set] {
            let again: ConfigUpdate = from_json(to_json_vec(&u).unwrap()).unwrap();
            assert_eq!(again, u);
        }
        // A misspelt setting is an error, not a silent no-op.
        assert!(from_json::<ConfigUpdate>(br#"{"min_bnd":"5"}"#).is_err());
    }

    #[test]
    fn the_envelope_is_on_unless_turned_off() {
        // Absent from a stored or sent Settings: the default margin.
        let keep: ConfigUpdate = from_json(br#"{"min_bond":"5"}"#).unwrap();
        assert_eq!(keep.envelope_margin, None);
        let off: ConfigUpdate = from_json(br#"{"envelope_margin":null}"#).unwrap();
        assert_eq!(off.envelope_margin, Some(None));
        let set: ConfigUpdate = from_json(br#"{"envelope_margin":"0.2"}"#).unwrap();
        assert_eq!(set.envelope_margin, Some(Some(Decimal::percent(20))));
        let old: CheckResponse = from_json(
            br#"{"allow":true,"score":"0","threshold":"0.5","model_version":1,"paused":false}"#,
        )
        .unwrap();
        assert!(old.in_envelope() && old.out_of_envelope_features.is_empty());
    }

    #[test]
    fn updates_are_checked_as_the_contract_checks_them() {
        let base = Settings {
            n_features: 2,
            bond_denom: "uvgl".into(),
            min_bond: Uint128::new(10),
            margins: Margins::default(),
            reward: RewardRule::None,
            max_inference_ops: 1_000,
            max_check_gas: 10_000,
            deny_threshold: None,
            paused_check: PausedCheck::Deny,
            max_class_ratio: Decimal::percent(300),
            eval_batch: 100,
            stall_blocks: 600,
            stall_fee: Decimal::percent(5),
            envelope_margin: Some(Decimal::percent(5)),
            reveal_delay: 10,
            activation_delay: 0,
            guardian: None,
            governance_delay: 0,
            curator: None,
        };
        base.validate().unwrap();
        let bad = ConfigUpdate {
            eval_batch: Some(0),
            ..ConfigUpdate::default()
        };
        assert_eq!(bad.apply(&base), Err(InvalidSetting::ZeroBatch));
        let good = ConfigUpdate {
            deny_threshold: Some(Some(Decimal::percent(40))),
            ..ConfigUpdate::default()
        };
        let next = good.apply(&base).unwrap();
        assert_eq!(next.deny_threshold, Some(Decimal::percent(40)));
        assert_eq!(next.eval_batch, 100);
        let share = ConfigUpdate {
            reward: Some(RewardRule::BondShare {
                share: Decimal::percent(10_001),
            }),
            ..ConfigUpdate::default()
        };
        assert_eq!(share.apply(&base), Err(InvalidSetting::RewardShareTooLarge));
        let gas = ConfigUpdate {
            max_check_gas: Some(0),
            ..ConfigUpdate::default()
        };
        assert_eq!(gas.apply(&base), Err(InvalidSetting::ZeroCheckGas));
    }

    #[test]
    fn gains_must_exceed_tolerances() {
        let m = |g: u64, t: u64| Margin {
            min_gain: Decimal::percent(g),
            tolerance: Decimal::percent(t),
        };
        // Zero and zero: a gain is always above zero, so 10^-18 > 0.
        assert!(Margins::default().validate().is_ok());
        assert!(Margins {
            f1: m(2, 1),
            ..Margins::default()
        }
        .validate()
        .is_ok());
        for (bad, metric) in [
            (
                Margins {
                    precision: m(5, 5),
                    ..Margins::default()
                },
                "precision",
            ),
            (
                Margins {
                    recall: m(0, 1),
                    ..Margins::default()
                },
                "recall",
            ),
            (
                Margins {
                    accuracy: m(1, 20),
                    f1: m(1, 20),
                    ..Margins::default()
                },
                "accuracy",
            ),
        ] {
            assert_eq!(
                bad.validate(),
                Err(InvalidSetting::GainNotAboveTolerance { metric })
            );
        }
    }
}
