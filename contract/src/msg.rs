//! Messages. Numbers that are model inputs travel as decimal strings
//! (`"-15605352.04"`), as CosmWasm messages carry numbers; models travel as
//! base64 `Binary` blobs in the Vigil format, never JSON.
//!
//! The entry-point messages ([`InstantiateMsg`], [`ExecuteMsg`],
//! [`QueryMsg`], [`MigrateMsg`], and [`ConfigUpdate`] inside `ExecuteMsg`)
//! derive `Serialize` and `JsonSchema` as `cw_serde` does, but their
//! `Deserialize` is hand-written (module `json`): the same JSON accepted,
//! with one parser instead of one per message type and variant. Every other
//! type here is plain `cw_serde`.
use cosmwasm_schema::schemars::JsonSchema;
use cosmwasm_schema::serde::Serialize;
use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Binary, Decimal, SignedDecimal, Uint128};

/// How a metric must move for a candidate to count as better.
#[cw_serde]
#[derive(Default)]
pub struct Margin {
    /// A candidate improves this metric when it beats the incumbent by more
    /// than zero and by at least this much.
    pub min_gain: Decimal,
    /// A candidate worsens this metric when it falls below the incumbent by
    /// more than this.
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
#[allow(clippy::derive_partial_eq_without_eq)]
#[derive(Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(crate = "::cosmwasm_schema::serde")]
#[schemars(crate = "::cosmwasm_schema::schemars")]
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
    /// A first model (admin-installed, no evaluation).
    pub initial_model: Option<Binary>,
    /// A first test set (checked by the class-balance rule like any other).
    #[serde(default)]
    pub initial_test_set: Vec<TestSample>,
}

/// Execute messages.
// `UpdateConfig` is the large variant; a message is deserialised once per
// call, so boxing it would only cost an allocation.
#[allow(clippy::large_enum_variant, clippy::derive_partial_eq_without_eq)]
#[derive(Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(crate = "::cosmwasm_schema::serde")]
#[schemars(crate = "::cosmwasm_schema::schemars")]
#[serde(rename_all = "snake_case")]
pub enum ExecuteMsg {
    /// Propose a model; attach at least `min_bond` of `bond_denom`. The
    /// contract evaluates it against the incumbent on the test set (in
    /// `eval_batch`-row steps), then accepts it (bond returned plus reward) or
    /// rejects it (bond to the vault).
    ProposeModel {
        /// The model blob.
        model: Binary,
    },
    /// Evaluate the next batch of an open proposal. Anyone may call it.
    ContinueEvaluation {
        /// The proposal.
        proposal_id: u64,
    },
    /// Admin: withdraw an open proposal, refunding its bond.
    CancelProposal {
        /// The proposal.
        proposal_id: u64,
    },
    /// Admin: add labelled samples (class-balance rule applies).
    AddTestSamples {
        /// Samples to add.
        samples: Vec<TestSample>,
    },
    /// Admin: remove samples by id.
    RemoveTestSamples {
        /// Sample ids.
        ids: Vec<u32>,
    },
    /// Admin: make an earlier accepted model active again.
    Rollback {
        /// Model version.
        version: u32,
    },
    /// Admin: circuit breaker on.
    Pause {},
    /// Admin: circuit breaker off.
    Unpause {},
    /// Admin: change settings (absent fields stay).
    UpdateConfig(ConfigUpdate),
    /// Admin: hand governance to another address.
    UpdateAdmin {
        /// New admin.
        admin: String,
    },
    /// Deposit reward funds (bond denom) into the vault.
    Fund {},
}

/// Settings `UpdateConfig` may change. Unknown fields are refused, so a
/// misspelt setting is an error rather than a silent no-op. Margins and
/// reward apply to proposals made after the update.
#[allow(clippy::derive_partial_eq_without_eq)]
#[derive(Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(crate = "::cosmwasm_schema::serde")]
#[schemars(crate = "::cosmwasm_schema::schemars")]
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
    /// New deny threshold: absent keeps it, `null` (`Some(None)`) returns to
    /// the model's own, a value sets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny_threshold: Option<Option<Decimal>>,
    /// New paused behaviour.
    pub paused_check: Option<PausedCheck>,
    /// New class ratio.
    pub max_class_ratio: Option<Decimal>,
    /// New evaluation batch size.
    pub eval_batch: Option<u32>,
}

/// Queries.
#[allow(clippy::derive_partial_eq_without_eq)]
#[derive(Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(crate = "::cosmwasm_schema::serde")]
#[schemars(crate = "::cosmwasm_schema::schemars")]
#[serde(rename_all = "snake_case")]
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
}

/// Migration.
#[allow(clippy::derive_partial_eq_without_eq)]
#[derive(Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(crate = "::cosmwasm_schema::serde")]
#[schemars(crate = "::cosmwasm_schema::schemars")]
pub struct MigrateMsg {}

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
    /// Model checksum (SHA-256, hex).
    pub hash: String,
    /// Family name.
    pub family: String,
    /// Who proposed it (the admin for an initial model).
    pub proposer: String,
    /// Blob size in bytes.
    pub size: u32,
    /// Cost bound: wasm operations per inference.
    pub cost_ops: u64,
    /// Estimated SDK gas of one inference above the call's setup: reading
    /// the model plus computing.
    pub inference_sdk_gas: u64,
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
    /// Deny threshold override.
    pub deny_threshold: Option<Decimal>,
    /// Paused behaviour.
    pub paused_check: PausedCheck,
    /// Class ratio.
    pub max_class_ratio: Decimal,
    /// Evaluation batch.
    pub eval_batch: u32,
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
    /// Being evaluated; `ContinueEvaluation` advances it.
    Evaluating,
    /// Accepted: became the active model.
    Accepted,
    /// Rejected: bond moved to the vault.
    Rejected,
    /// Cancelled by the admin: bond refunded.
    Cancelled,
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
    /// Candidate checksum (hex).
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
    /// Blob size.
    pub model_bytes: u64,
    /// SDK gas of the computation alone.
    pub compute_sdk_gas: u64,
    /// SDK gas of reading the model from storage.
    pub read_sdk_gas: u64,
    /// Within the configured budget.
    pub within_budget: bool,
}
