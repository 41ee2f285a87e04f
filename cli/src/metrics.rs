//! Binary classification metrics, the ROC curve and threshold choice.
use serde::Serialize;

/// Counts of a binary confusion matrix.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Confusion {
    /// True positives.
    pub tp: u64,
    /// False positives.
    pub fp: u64,
    /// True negatives.
    pub tn: u64,
    /// False negatives.
    #[serde(rename = "fn")]
    pub fn_: u64,
}

impl Confusion {
    /// Count predictions against truth.
    pub fn of(pred: &[bool], truth: &[bool]) -> Confusion {
        let mut c = Confusion::default();
        for (&p, &t) in pred.iter().zip(truth) {
            match (p, t) {
                (true, true) => c.tp += 1,
                (true, false) => c.fp += 1,
                (false, false) => c.tn += 1,
                (false, true) => c.fn_ += 1,
            }
        }
        c
    }

    /// Rows counted.
    pub fn n(&self) -> u64 {
        self.tp + self.fp + self.tn + self.fn_
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// The metrics of one set of scores and labels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Metrics {
    /// Rows.
    pub n: u64,
    /// (tp + tn) / n.
    pub accuracy: f64,
    /// 2tp / (2tp + fp + fn) (0 when undefined).
    pub f1: f64,
    /// tp / (tp + fp) (0 when undefined).
    pub precision: f64,
    /// tp / (tp + fn) (0 when undefined).
    pub recall: f64,
    /// Area under the ROC curve of the scores (ties count half); `None`
    /// (JSON `null`) when the data has one class only: it is undefined.
    pub auc: Option<f64>,
    /// The confusion matrix.
    pub confusion: Confusion,
}

impl Metrics {
    /// Metrics of scores, the labels they were given, and the truth.
    pub fn of(scores: &[f64], pred: &[bool], truth: &[bool]) -> Metrics {
        let c = Confusion::of(pred, truth);
        Metrics {
            n: c.n(),
            accuracy: ratio(c.tp + c.tn, c.n()),
            f1: ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn_),
            precision: ratio(c.tp, c.tp + c.fp),
            recall: ratio(c.tp, c.tp + c.fn_),
            auc: auc(scores, truth),
            confusion: c,
        }
    }
}

/// Indices sorted by score, highest first.
fn by_score_desc(scores: &[f64]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    idx
}

/// ROC AUC (the Mann–Whitney statistic; tied scores count half). `None`
/// when one class is absent: the AUC is then undefined (not 0.5).
pub fn auc(scores: &[f64], truth: &[bool]) -> Option<f64> {
    let pos = truth.iter().filter(|&&t| t).count() as f64;
    let neg = truth.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return None;
    }
    let idx = by_score_desc(scores);
    // For each group of tied scores: positives above it times its negatives,
    // plus half of the pairs within the group.
    let (mut above_pos, mut area) = (0.0, 0.0);
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        let (mut gp, mut gn) = (0.0, 0.0);
        while j < idx.len() && scores[idx[j]] == scores[idx[i]] {
            if truth[idx[j]] {
                gp += 1.0;
            } else {
                gn += 1.0;
            }
            j += 1;
        }
        area += gn * (above_pos + gp / 2.0);
        above_pos += gp;
        i = j;
    }
    Some(area / (pos * neg))
}

/// An AUC for text output: four decimals, or `undefined` (one class).
pub fn fmt_auc(auc: Option<f64>, width: usize) -> String {
    match auc {
        Some(a) => format!("{a:>width$.4}"),
        None => format!("{:>width$}", "undefined"),
    }
}

/// The ROC curve: `(false positive rate, true positive rate)` from `(0, 0)`
/// to `(1, 1)`, one point per distinct score.
pub fn roc_curve(scores: &[f64], truth: &[bool]) -> Vec<(f64, f64)> {
    let pos = truth.iter().filter(|&&t| t).count().max(1) as f64;
    let neg = (truth.len() - truth.iter().filter(|&&t| t).count()).max(1) as f64;
    let idx = by_score_desc(scores);
    let mut pts = vec![(0.0, 0.0)];
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut i = 0;
    while i < idx.len() {
        let s = scores[idx[i]];
        while i < idx.len() && scores[idx[i]] == s {
            if truth[idx[i]] {
                tp += 1.0;
            } else {
                fp += 1.0;
            }
            i += 1;
        }
        pts.push((fp / neg, tp / pos));
    }
    pts
}

/// The threshold that maximises F1 when `label = score >= threshold`, and
/// that F1. The threshold is placed halfway between the lowest score
/// labelled positive and the next lower score, so small score changes
/// (quantisation) do not move rows across it.
pub fn best_f1_threshold(scores: &[f64], truth: &[bool]) -> (f64, f64) {
    let pos = truth.iter().filter(|&&t| t).count() as u64;
    let idx = by_score_desc(scores);
    let (mut tp, mut fp) = (0u64, 0u64);
    let (mut best_f1, mut best_t) = (-1.0, 0.5);
    let mut i = 0;
    while i < idx.len() {
        let s = scores[idx[i]];
        while i < idx.len() && scores[idx[i]] == s {
            if truth[idx[i]] {
                tp += 1;
            } else {
                fp += 1;
            }
            i += 1;
        }
        let f1 = ratio(2 * tp, tp + fp + pos);
        if f1 > best_f1 {
            best_f1 = f1;
            let next = if i < idx.len() { scores[idx[i]] } else { 0.0 };
            best_t = (s + next) / 2.0;
        }
    }
    (best_t, best_f1.max(0.0))
}

/// A steadier F1-maximising threshold: the median of the
/// [`best_f1_threshold`]s of `rounds` bootstrap resamples of the rows. The
/// F1 curve is flat near its maximum, so the plain argmax jumps between
/// distant thresholds with a handful of rows; bagging it removes most of
/// that variance. Returns the threshold and the F1 it gives on all rows.
pub fn bagged_f1_threshold(
    scores: &[f64],
    truth: &[bool],
    rounds: usize,
    rng: &mut crate::rng::Rng,
) -> (f64, f64) {
    let n = scores.len();
    if n == 0 {
        return (0.5, 0.0);
    }
    let mut ts: Vec<f64> = (0..rounds.max(1))
        .map(|_| {
            let idx: Vec<usize> = (0..n).map(|_| rng.below(n as u64) as usize).collect();
            let s: Vec<f64> = idx.iter().map(|&i| scores[i]).collect();
            let t: Vec<bool> = idx.iter().map(|&i| truth[i]).collect();
            best_f1_threshold(&s, &t).0
        })
        .collect();
    ts.sort_by(f64::total_cmp);
    let t = ts[ts.len() / 2];
    let pred: Vec<bool> = scores.iter().map(|&s| s >= t).collect();
    (t, Metrics::of(scores, &pred, truth).f1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_by_hand() {
        let truth = [true, true, false, false, true];
        let pred = [true, false, false, true, true];
        let m = Metrics::of(&[0.9, 0.4, 0.1, 0.6, 0.8], &pred, &truth);
        assert_eq!(
            m.confusion,
            Confusion {
                tp: 2,
                fp: 1,
                tn: 1,
                fn_: 1
            }
        );
        assert!((m.accuracy - 0.6).abs() < 1e-12);
        assert!((m.precision - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.recall - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.f1 - 2.0 / 3.0).abs() < 1e-12);
        // Pairs (pos, neg): 0.9>0.1, 0.9>0.6, 0.4>0.1, 0.4<0.6, 0.8>0.1, 0.8>0.6.
        assert!((m.auc.unwrap() - 5.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn auc_ties_and_extremes() {
        assert_eq!(auc(&[0.5, 0.5], &[true, false]), Some(0.5));
        assert_eq!(auc(&[0.9, 0.1], &[true, false]), Some(1.0));
        assert_eq!(auc(&[0.1, 0.9], &[true, false]), Some(0.0));
        // One class: undefined, not 0.5.
        assert_eq!(auc(&[0.1, 0.9], &[true, true]), None);
        assert_eq!(auc(&[0.1, 0.9], &[false, false]), None);
        assert_eq!(fmt_auc(None, 9), "undefined");
        assert_eq!(fmt_auc(Some(0.5), 9), "   0.5000");
        let roc = roc_curve(&[0.9, 0.5, 0.5, 0.1], &[true, true, false, false]);
        assert_eq!(roc, [(0.0, 0.0), (0.0, 0.5), (0.5, 1.0), (1.0, 1.0)]);
    }

    #[test]
    fn best_threshold_separates() {
        let (t, f1) = best_f1_threshold(&[0.9, 0.7, 0.3, 0.2], &[true, true, false, false]);
        assert_eq!(f1, 1.0);
        assert!((t - 0.5).abs() < 1e-12);
    }
}
