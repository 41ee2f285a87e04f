//! Proof-of-Improvement: metrics from confusion counts, the acceptance rule,
//! and the evaluation step that scores candidate and incumbent on stored
//! test samples. The same arithmetic runs whether a test set is evaluated
//! in one transaction or in many steps: counts only accumulate.
use cosmwasm_std::{Decimal, StdError, StdResult, Storage};
use vigil_inference_core::decimal::Exact;
use vigil_inference_core::{Act, Model, Score, Wide};

use vigil_guard_api::msg::{Margin, Margins, Metrics};

use crate::state::{samples, Counts};

/// `num / den` as a `Decimal` (rounded down), zero when `den` is.
fn ratio(num: u64, den: u64) -> Decimal {
    Decimal::checked_from_ratio(num, den).unwrap_or_default()
}

/// Metrics of confusion counts. Undefined ratios (no positives predicted,
/// no positives present) are zero.
pub fn metrics(c: &Counts) -> Metrics {
    let (tp, fp, tn, fn_) = (
        u64::from(c.tp),
        u64::from(c.fp),
        u64::from(c.tn),
        u64::from(c.fn_),
    );
    Metrics {
        tp: c.tp,
        fp: c.fp,
        tn: c.tn,
        fn_: c.fn_,
        // (u64: 2·tp overflows u32 from 2^31 rows on.)
        accuracy: ratio(tp + tn, tp + fp + tn + fn_),
        f1: ratio(2 * tp, 2 * tp + fp + fn_),
        precision: ratio(tp, tp + fp),
        recall: ratio(tp, tp + fn_),
    }
}

/// How one metric moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Movement {
    /// Better by more than zero and at least `min_gain`.
    Improved,
    /// Worse by more than `tolerance`.
    Worsened,
    /// Neither.
    Unchanged,
}

impl Movement {
    /// Lower-case name, as in the `vigil_poim` event.
    pub fn as_str(self) -> &'static str {
        match self {
            Movement::Improved => "improved",
            Movement::Worsened => "worsened",
            Movement::Unchanged => "unchanged",
        }
    }
}

/// The PoIm rule, with its ratchet. For each metric k (accuracy, f1,
/// precision, recall), with `c` the candidate's value, `i` the incumbent's
/// and `b` the best ever accepted on this test-set version (`best`; when
/// there is none, `b = i`), and the reference `r = max(i, b)`:
///
/// - k **improved** when `c > r` and `c - r >= max(min_gain, 10^-18)`;
/// - k **worsened** when `i > c` and `i - c > tolerance`.
///
/// Accept when at least one metric improved and none worsened. A candidate
/// must therefore improve some metric beyond the best ever accepted on this
/// test-set version, not only beyond the incumbent: a `Rollback` cannot make
/// an improvement that was already rewarded count again, and two models that
/// trade precision for recall cannot each count as better than the other
/// (the settings also require `min_gain > tolerance`, which alone stops a
/// pair). Returns the decision and each metric's movement.
pub fn judge(
    candidate: &Metrics,
    incumbent: &Metrics,
    best: Option<&[Decimal; 4]>,
    margins: &Margins,
) -> (bool, [Movement; 4]) {
    let (c, i) = (ratios(candidate), ratios(incumbent));
    let r = reference(&i, best);
    let m = [
        &margins.accuracy,
        &margins.f1,
        &margins.precision,
        &margins.recall,
    ];
    let mut moves = [Movement::Unchanged; 4];
    for (k, mv) in moves.iter_mut().enumerate() {
        *mv = movement(c[k], i[k], r[k], m[k]);
    }
    let improved = moves.contains(&Movement::Improved);
    let worsened = moves.contains(&Movement::Worsened);
    (improved && !worsened, moves)
}

/// The per-metric reference of [`judge`]: the better of the incumbent and
/// the best ever accepted.
pub fn reference(incumbent: &[Decimal; 4], best: Option<&[Decimal; 4]>) -> [Decimal; 4] {
    let mut r = *incumbent;
    if let Some(b) = best {
        for (x, y) in r.iter_mut().zip(b) {
            *x = (*x).max(*y);
        }
    }
    r
}

fn movement(candidate: Decimal, incumbent: Decimal, reference: Decimal, m: &Margin) -> Movement {
    if candidate > reference && candidate - reference >= m.smallest_gain() {
        Movement::Improved
    } else if incumbent > candidate && incumbent - candidate > m.tolerance {
        Movement::Worsened
    } else {
        Movement::Unchanged
    }
}

/// Accuracy, F1, precision and recall, in that order.
pub fn ratios(m: &Metrics) -> [Decimal; 4] {
    [m.accuracy, m.f1, m.precision, m.recall]
}

/// Decode a stored sample record: the label, and the features written to
/// `out` (which has the guard's feature count).
pub fn decode_sample(record: &[u8], out: &mut [Wide]) -> StdResult<bool> {
    let corrupt = || StdError::generic_err("corrupt test sample");
    let (&label, mut rest) = record.split_first().ok_or_else(corrupt)?;
    for slot in out.iter_mut() {
        let (exact, used) = Exact::unpack(rest).map_err(|_| corrupt())?;
        *slot = exact.to_wide().map_err(|_| corrupt())?;
        rest = rest.get(used..).ok_or_else(corrupt)?;
    }
    if !rest.is_empty() {
        return Err(corrupt());
    }
    Ok(label != 0)
}

/// Encode a sample record.
pub fn encode_sample(label: bool, features: &[Exact]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + 4 * features.len());
    out.push(u8::from(label));
    for f in features {
        f.pack(&mut out);
    }
    out
}

/// Progress of an evaluation step.
pub struct Step {
    /// Last sample id evaluated.
    pub cursor: Option<u32>,
    /// Rows evaluated in this step.
    pub rows: u32,
}

/// One evaluated row: sample id, its label, the candidate's and the
/// incumbent's labels (the incumbent's is `false` when there is none).
pub type Row = (u32, bool, bool, bool);

/// Score up to `limit` samples after `cursor` with the candidate and (when
/// there is one) the incumbent, handing each row to `on_row`. A row is
/// labelled positive as `Check` denies it: score at or above `threshold`
/// when one is given (the configured `deny_threshold`), else at or above
/// the model's own threshold.
#[allow(clippy::too_many_arguments)]
pub fn evaluate(
    storage: &dyn Storage,
    candidate: &Model<'_>,
    incumbent: Option<&Model<'_>>,
    threshold: Option<Score>,
    n_features: usize,
    cursor: Option<u32>,
    limit: u32,
    on_row: &mut dyn FnMut(Row),
) -> StdResult<Step> {
    let mut inputs = vec![Wide::ZERO; n_features];
    let scratch_len = candidate
        .scratch_len()
        .max(incumbent.map_or(0, |m| m.scratch_len()));
    let mut scratch = vec![Act::ZERO; scratch_len];
    let mut step = Step { cursor, rows: 0 };
    samples::for_each(storage, cursor, limit as usize, &mut |id, record| {
        let label = decode_sample(record, &mut inputs)?;
        let cand = predict(candidate, &inputs, &mut scratch, threshold)?;
        // No incumbent: it predicts nothing positive.
        let inc = match incumbent {
            Some(m) => predict(m, &inputs, &mut scratch, threshold)?,
            None => false,
        };
        on_row((id, label, cand, inc));
        step.cursor = Some(id);
        step.rows = step.rows.saturating_add(1);
        Ok(())
    })?;
    Ok(step)
}

/// `m`'s label of `inputs` at `threshold` (else its own). A function of
/// its own, not inlined into `evaluate`'s row closure: inlined, the
/// governor build's closure had 101 wasm locals, over cosmwasm-vm's limit
/// of 100 (`cosmwasm-check`: "more than 100 locals").
#[inline(never)]
fn predict(
    m: &Model<'_>,
    inputs: &[Wide],
    scratch: &mut [Act],
    threshold: Option<Score>,
) -> StdResult<bool> {
    let t = threshold.unwrap_or_else(|| m.threshold());
    m.infer(inputs, scratch)
        .map(|o| o.score >= t)
        .map_err(|e| StdError::generic_err(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(acc: &str, f1: &str, p: &str, r: &str) -> Metrics {
        Metrics {
            accuracy: acc.parse().unwrap(),
            f1: f1.parse().unwrap(),
            precision: p.parse().unwrap(),
            recall: r.parse().unwrap(),
            ..Metrics::default()
        }
    }

    #[test]
    fn undefined_ratios_are_zero() {
        assert_eq!(ratio(0, 0), Decimal::zero());
        assert_eq!(ratio(u64::MAX, u64::MAX), Decimal::one());
        assert_eq!(ratio(1, 3), Decimal::from_ratio(1u8, 3u8));
    }

    #[test]
    fn metrics_from_counts() {
        let c = Counts {
            tp: 8,
            fp: 2,
            tn: 85,
            fn_: 5,
        };
        let x = metrics(&c);
        assert_eq!(x.accuracy, Decimal::percent(93));
        assert_eq!(x.precision, Decimal::percent(80));
        assert_eq!(x.recall, Decimal::from_ratio(8u32, 13u32));
        assert_eq!(x.f1, Decimal::from_ratio(16u32, 23u32));
        assert_eq!(metrics(&Counts::default()).f1, Decimal::zero());
    }

    #[test]
    fn rule_in_every_direction() {
        let zero = Margins::default();
        let base = m("0.9", "0.8", "0.8", "0.8");
        // tie: nothing improved
        assert!(!judge(&base, &base, None, &zero).0);
        // each metric improving alone is enough
        for better in [
            m("0.91", "0.8", "0.8", "0.8"),
            m("0.9", "0.81", "0.8", "0.8"),
            m("0.9", "0.8", "0.81", "0.8"),
            m("0.9", "0.8", "0.8", "0.81"),
        ] {
            assert!(judge(&better, &base, None, &zero).0, "{better:?}");
            // ... and any metric worsening vetoes it
            for worse in [
                Metrics {
                    accuracy: "0.89".parse().unwrap(),
                    ..better
                },
                Metrics {
                    recall: "0.79".parse().unwrap(),
                    ..better
                },
            ] {
                if worse != better {
                    assert!(!judge(&worse, &base, None, &zero).0, "{worse:?}");
                }
            }
        }
        // margins: a gain below min_gain is not an improvement, a loss within
        // tolerance is not a worsening
        let margins = Margins {
            accuracy: Margin {
                min_gain: Decimal::percent(2),
                tolerance: Decimal::zero(),
            },
            recall: Margin {
                min_gain: Decimal::zero(),
                tolerance: Decimal::percent(1),
            },
            ..Margins::default()
        };
        assert!(!judge(&m("0.91", "0.8", "0.8", "0.8"), &base, None, &margins).0);
        assert!(judge(&m("0.92", "0.8", "0.8", "0.795"), &base, None, &margins).0);
        assert!(!judge(&m("0.92", "0.8", "0.8", "0.78"), &base, None, &margins).0);
    }

    /// The ratchet: with the attack's margins (tolerance >= min_gain, which
    /// the settings now refuse, but a store migrated from 0.1 may hold), a
    /// precision/recall pair alternates no more once one was accepted.
    #[test]
    fn the_ratchet_stops_an_alternating_pair() {
        let lax = Margin {
            min_gain: Decimal::percent(1),
            tolerance: Decimal::percent(40),
        };
        let margins = Margins {
            accuracy: lax.clone(),
            f1: lax.clone(),
            precision: lax.clone(),
            recall: lax,
        };
        // k = 5 and k = 9 of the synthetic set: recall 1 vs precision 1.
        let a = m("0.833333333333333333", "0.857142857142857142", "0.75", "1");
        let b = m("0.833333333333333333", "0.8", "1", "0.666666666666666666");
        // Judged against the incumbent alone, each beats the other.
        assert!(judge(&b, &a, None, &margins).0);
        assert!(judge(&a, &b, None, &margins).0);
        // With the best ever accepted (a, then b), the swap back is refused.
        let best = reference(&ratios(&a), Some(&ratios(&b)));
        assert!(!judge(&a, &b, Some(&best), &margins).0);
        assert!(!judge(&b, &a, Some(&best), &margins).0);
        // A real improvement beyond the best still counts.
        let c = m("0.9", "0.9", "1", "1");
        assert!(judge(&c, &b, Some(&best), &margins).0);
    }
}
