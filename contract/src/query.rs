//! Query handlers.
use cosmwasm_std::{Binary, Decimal, Deps, StdResult};
use cw_storage_plus::Bound;
use vigil_guard_api::msg::{
    BatchResponse, CheckResponse, ConfigResponse, Contribution, CostResponse, GovernanceResponse,
    ModelBlobResponse, ModelResponse, PausedCheck, ProposalResponse, ProposalsResponse,
    ScoreResponse, StoredSample, TestSetResponse, MODEL_BLOB_CHUNK_BYTES,
};
use vigil_guard_api::units::score_decimal;
use vigil_inference_core::decimal::Exact;
use vigil_inference_core::{Act, Model, Score, Wide};

use crate::envelope;
use crate::error::{inference_failed, invalid_model, ContractError};
use crate::gas::quoted_check_gas;
use crate::models::stored_cost;
use crate::poim::{self, decode_sample};
use crate::state::active::{active_version, load_active, ActiveHeader, MODEL_THRESHOLD};
use crate::state::bound_guard::GUARD;
use crate::state::{
    load_blob_record, samples, ModelInfo, Proposal, CONFIG, MODELS, PROPOSALS, TEST_SET, VAULT,
};
use crate::units::{act_decimal, parse_features};

const DEFAULT_LIMIT: u32 = 30;
const MAX_LIMIT: u32 = 100;
const TOP_CONTRIBUTIONS: usize = 3;

/// The [`TOP_CONTRIBUTIONS`] largest contributions, largest first, the
/// lower feature index first among equals.
pub fn top_contributions(c: &[Act]) -> Vec<Contribution> {
    // One pass, keeping the best few in order: an insertion into a list of
    // at most TOP_CONTRIBUTIONS (a full sort's code is ~3.5 KB of the
    // artifact). Strictly greater moves ahead, so among equals the lower
    // index, seen first, stays first.
    let mut top: Vec<(usize, Act)> = Vec::with_capacity(TOP_CONTRIBUTIONS + 1);
    for (i, &v) in c.iter().enumerate() {
        let at = top.iter().take_while(|&&(_, t)| t >= v).count();
        if at < TOP_CONTRIBUTIONS {
            top.insert(at, (i, v));
            top.truncate(TOP_CONTRIBUTIONS);
        }
    }
    top.into_iter()
        .map(|(i, v)| Contribution {
            feature: i as u16,
            value: act_decimal(v),
        })
        .collect()
}

/// `Score`: score, label and (for explainable models) the top
/// contributions. Answers while paused too.
pub fn score(deps: Deps, features: &[String]) -> Result<ScoreResponse, ContractError> {
    let record = load_active(deps.storage).ok_or(ContractError::NoModel)?;
    let (header, blob) = ActiveHeader::decode(&record).ok_or(ContractError::NoModel)?;
    let model = Model::parse_without_checksum(blob).map_err(invalid_model)?;
    let mut inputs = parse_features(features, model.n_features())?;
    let report = envelope::clamp(deps.storage, &mut inputs)?;
    let mut scratch = vec![Act::ZERO; model.scratch_len()];
    let (out, contributions) = if model.explainable() {
        let mut c = vec![Act::ZERO; model.n_features()];
        let out = model
            .explain(&inputs, &mut scratch, &mut c)
            .map_err(inference_failed)?;
        (out, top_contributions(&c))
    } else {
        let out = model
            .infer(&inputs, &mut scratch)
            .map_err(inference_failed)?;
        (out, Vec::new())
    };
    Ok(ScoreResponse {
        score: score_decimal(out.score.to_bits()),
        score_bits: out.score.to_bits(),
        label: out.label,
        model_version: header.version,
        contributions,
        out_of_envelope: report.count,
        out_of_envelope_features: report.features().to_vec(),
    })
}

/// `Check`: one read of the active record, one of the data envelope, one
/// inference on the clamped inputs.
pub fn check(deps: Deps, features: &[String]) -> Result<CheckResponse, ContractError> {
    let record = load_active(deps.storage).ok_or(ContractError::NoModel)?;
    let (header, blob) = ActiveHeader::decode(&record).ok_or(ContractError::NoModel)?;
    // Paused: answer from the header alone, without touching the model.
    if header.paused {
        return match header.paused_check {
            PausedCheck::Error => Err(ContractError::Paused),
            behaviour => Ok(CheckResponse {
                allow: behaviour == PausedCheck::Allow,
                score: Decimal::zero(),
                threshold: Decimal::zero(),
                model_version: 0,
                paused: true,
                out_of_envelope: 0,
                out_of_envelope_features: Vec::new(),
            }),
        };
    }
    let model = Model::parse_without_checksum(blob).map_err(invalid_model)?;
    let mut inputs = parse_features(features, model.n_features())?;
    // Before the model's own preprocessing: an out-of-range trigger
    // reaches no model.
    let report = envelope::clamp(deps.storage, &mut inputs)?;
    let mut scratch = vec![Act::ZERO; model.scratch_len()];
    let out = model
        .infer(&inputs, &mut scratch)
        .map_err(inference_failed)?;
    let threshold = if header.threshold_bits == MODEL_THRESHOLD {
        model.threshold()
    } else {
        Score::from_bits(header.threshold_bits.min(1 << 31))
    };
    Ok(CheckResponse {
        allow: out.score < threshold,
        score: score_decimal(out.score.to_bits()),
        threshold: score_decimal(threshold.to_bits()),
        model_version: header.version,
        paused: false,
        out_of_envelope: report.count,
        out_of_envelope_features: report.features().to_vec(),
    })
}

/// A version asked for, or the active one.
fn version_or_active(deps: Deps, version: Option<u32>) -> Result<(u32, u32), ContractError> {
    let active = active_version(deps.storage)?;
    match version {
        Some(v) => Ok((v, active)),
        None if active == 0 => Err(ContractError::NoModel),
        None => Ok((active, active)),
    }
}

fn stored_info(deps: Deps, version: u32) -> Result<ModelInfo, ContractError> {
    MODELS
        .may_load(deps.storage, version)?
        .ok_or(ContractError::NoSuchVersion(version))
}

/// `Model`.
pub fn model(deps: Deps, version: Option<u32>) -> Result<ModelResponse, ContractError> {
    let (version, active) = version_or_active(deps, version)?;
    let info = stored_info(deps, version)?;
    let config = CONFIG.load(deps.storage)?;
    Ok(ModelResponse {
        version,
        active: version == active,
        check_gas: quoted_check_gas(&stored_cost(&info), config.settings.n_features),
        hash: info.hash,
        family: info.family,
        proposer: info.proposer.into_string(),
        size: info.size,
        cost_ops: info.cost_ops,
        cosmwasm_units: info.cosmwasm_units,
        metrics: info.counts.as_ref().map(poim::metrics),
        test_set_version: info.test_set_version,
    })
}

/// `ModelBlob`: chunk `chunk` of a stored blob, one storage read.
pub fn model_blob(
    deps: Deps,
    version: Option<u32>,
    chunk: Option<u32>,
) -> Result<ModelBlobResponse, ContractError> {
    // A named version needs no read of the active one.
    let version = match version {
        Some(v) => v,
        None => version_or_active(deps, None)?.0,
    };
    let info = stored_info(deps, version)?;
    let chunk = chunk.unwrap_or(0);
    let chunks = info.size.div_ceil(MODEL_BLOB_CHUNK_BYTES);
    let index =
        u16::try_from(chunk)
            .ok()
            .filter(|_| chunk < chunks)
            .ok_or(ContractError::NoSuchChunk {
                version,
                chunk,
                chunks,
            })?;
    let data = load_blob_record(deps.storage, version, index)
        .ok_or_else(|| ContractError::CorruptRecord(format!("blob {version} chunk {chunk}")))?;
    Ok(ModelBlobResponse {
        version,
        hash: info.hash,
        size: info.size,
        chunk,
        chunks,
        data: Binary::new(data),
    })
}

/// `Config`.
pub fn config(deps: Deps) -> StdResult<ConfigResponse> {
    let c = CONFIG.load(deps.storage)?;
    let meta = TEST_SET.load(deps.storage)?;
    let s = c.settings;
    Ok(ConfigResponse {
        admin: c.admin.into_string(),
        n_features: s.n_features,
        bond_denom: s.bond_denom,
        min_bond: s.min_bond,
        margins: s.margins,
        reward: s.reward,
        max_inference_ops: s.max_inference_ops,
        max_check_gas: s.max_check_gas,
        deny_threshold: s.deny_threshold,
        paused_check: s.paused_check,
        max_class_ratio: s.max_class_ratio,
        eval_batch: s.eval_batch,
        stall_blocks: s.stall_blocks,
        stall_fee: s.stall_fee,
        envelope_margin: s.envelope_margin,
        reveal_delay: s.reveal_delay,
        activation_delay: s.activation_delay,
        guardian: s.guardian,
        governance_delay: s.governance_delay,
        curator: s.curator,
        guard: GUARD.may_load(deps.storage)?.map(String::from),
        paused: c.paused,
        vault: VAULT.load(deps.storage)?,
        active_version: active_version(deps.storage)?,
        test_set_version: meta.version,
        positives: meta.positives,
        negatives: meta.negatives,
    })
}

/// `TestSet`: samples by id, features as exact decimal strings.
pub fn test_set(
    deps: Deps,
    start_after: Option<u32>,
    limit: Option<u32>,
) -> StdResult<TestSetResponse> {
    let config = CONFIG.load(deps.storage)?;
    let meta = TEST_SET.load(deps.storage)?;
    let limit = limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT) as usize;
    let mut out = Vec::new();
    let mut inputs = vec![Wide::ZERO; usize::from(config.settings.n_features)];
    samples::for_each(deps.storage, start_after, limit, &mut |id, record| {
        // Validates the record (label, feature count).
        let label = decode_sample(record, &mut inputs)?;
        let mut features = Vec::with_capacity(inputs.len());
        let mut rest = record.get(1..).unwrap_or(&[]);
        while let Ok((e, used)) = Exact::unpack(rest) {
            features.push(e.to_string());
            rest = rest.get(used..).unwrap_or(&[]);
        }
        out.push(StoredSample {
            id,
            features,
            label,
        });
        Ok(())
    })?;
    Ok(TestSetResponse {
        version: meta.version,
        samples: out,
    })
}

fn proposal_response(id: u64, p: Proposal) -> ProposalResponse {
    let committed = p.status == vigil_guard_api::msg::ProposalStatus::Committed;
    ProposalResponse {
        id,
        closable_at: p.closable_at(),
        reveal_from: committed.then(|| p.reveal_from()),
        proposer: p.proposer.into_string(),
        bond: p.bond,
        commitment: p.commitment.map(|c| c.to_hex()).unwrap_or_default(),
        hash: p.hash,
        status: p.status,
        test_set_version: p.test_set_version,
        evaluated: p.evaluated,
        total: p.total,
        candidate: poim::metrics(&p.candidate),
        incumbent: poim::metrics(&p.incumbent),
        accepted_version: p.accepted_version,
        threshold: p.threshold_bits.map(score_decimal),
        threshold_bits: p.threshold_bits,
        deny_threshold: p.deny_threshold,
        stall_blocks: p.stall_blocks,
        stall_fee: p.stall_fee,
        last_step_height: p.last_step,
        committed_at: p.committed_at,
        activation_delay: p.activation_delay,
        activate_at: p.activate_at,
        guardian: p.guardian.map(|g| g.into_string()),
        reward_withheld: p.same_predictions_as.is_some(),
        same_predictions_as: p.same_predictions_as,
        disagreements: p.disagreements,
        disagreement_ids: p.disagreement_ids,
    }
}

/// `Batch`: the curator's latest batch.
pub fn batch(deps: Deps, height: u64) -> StdResult<Option<BatchResponse>> {
    Ok(
        crate::state::batch::may_load(deps.storage)?.map(|b| BatchResponse {
            committed_at: b.committed_at,
            first_proposal: b.first_proposal,
            chunks: b.chunks.len() as u32,
            revealed: b.revealed.iter().filter(|&&r| r).count() as u32,
            reveal_from: b.reveal_from,
            deadline: b.deadline,
            state: if b.merged {
                "merged"
            } else if b.void(height) {
                "void"
            } else if b.complete() {
                "revealed"
            } else {
                "committed"
            }
            .into(),
        }),
    )
}

/// `Governance`: the queued changes, in order.
pub fn governance(
    deps: Deps,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> StdResult<GovernanceResponse> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT) as usize;
    let pending = crate::state::governance::range(deps.storage, start_after)
        .take(limit)
        .map(|item| item.and_then(|(id, p)| p.pending(id)))
        .collect::<StdResult<_>>()?;
    Ok(GovernanceResponse { pending })
}

/// `Proposals`: by id.
pub fn proposals(
    deps: Deps,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> StdResult<ProposalsResponse> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT) as usize;
    let proposals = PROPOSALS
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            cosmwasm_std::Order::Ascending,
        )
        .take(limit)
        .map(|item| item.map(|(id, p)| proposal_response(id, p)))
        .collect::<StdResult<_>>()?;
    Ok(ProposalsResponse { proposals })
}

/// `Cost`: validate a blob and quote its bounds.
pub fn cost(deps: Deps, blob: &Binary) -> Result<CostResponse, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let model = Model::parse(blob).map_err(invalid_model)?;
    let c = model.cost();
    let check_gas = quoted_check_gas(&c, config.settings.n_features);
    Ok(CostResponse {
        ops: c.ops,
        cosmwasm_units: c.cosmwasm_units,
        model_bytes: c.model_bytes,
        check_gas,
        within_budget: c.ops <= config.settings.max_inference_ops
            && check_gas.above_setup() <= config.settings.max_check_gas,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::SignedDecimal;

    #[test]
    fn top_contributions_are_a_stable_ranking() {
        let act = |bits: i32| Act::from_bits(bits);
        for (values, want) in [
            (vec![], vec![]),
            (vec![5], vec![0]),
            (vec![1, 2], vec![1, 0]),
            (vec![3, 3, 3, 3], vec![0, 1, 2]),
            (vec![-1, 7, 7, -8, 7, 0], vec![1, 2, 4]),
            (
                vec![i32::MIN, i32::MAX, 0, i32::MAX, i32::MIN],
                vec![1, 3, 2],
            ),
        ] {
            let c: Vec<Act> = values.iter().map(|&v| act(v)).collect();
            let got: Vec<(u16, SignedDecimal)> = top_contributions(&c)
                .into_iter()
                .map(|c| (c.feature, c.value))
                .collect();
            let want: Vec<(u16, SignedDecimal)> = want
                .into_iter()
                .map(|i: usize| (i as u16, act_decimal(c[i])))
                .collect();
            assert_eq!(got, want, "{values:?}");
        }
    }

    /// The one-pass selection ranks as a stable sort does, on inputs with
    /// many ties (values drawn from a small range).
    #[test]
    fn top_contributions_match_a_stable_sort() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for case in 0..2_000 {
            let n = (next() % 12) as usize;
            let spread = 1 + case % 5;
            let c: Vec<Act> = (0..n)
                .map(|_| Act::from_bits((next() % 11) as i32 - 5).saturating_mul_int(spread))
                .collect();
            let mut ranked: Vec<(usize, Act)> = c.iter().copied().enumerate().collect();
            ranked.sort_by_key(|a| core::cmp::Reverse(a.1));
            let want: Vec<u16> = ranked
                .iter()
                .take(TOP_CONTRIBUTIONS)
                .map(|&(i, _)| i as u16)
                .collect();
            let got: Vec<u16> = top_contributions(&c).iter().map(|x| x.feature).collect();
            assert_eq!(got, want, "{c:?}");
        }
    }
}
