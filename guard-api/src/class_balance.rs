//! The test set's class-balance rule: while one class outnumbers the other
//! by more than `max_class_ratio × max(other, 1)`, only samples of the other
//! class may be added. One definition: the contract enforces it, the CLI
//! orders samples by it.
use cosmwasm_std::Decimal;

/// Whether `ratio` can be a `max_class_ratio`: at least one (a smaller
/// one would refuse every sample once the first is in).
pub fn valid_ratio(ratio: Decimal) -> bool {
    ratio >= Decimal::one()
}

/// Whether `major > ratio × max(minor, 1)` (a limit beyond `Decimal::MAX`
/// bounds nothing).
pub fn beyond(ratio: Decimal, major: u32, minor: u32) -> bool {
    ratio
        .checked_mul(Decimal::from_ratio(minor.max(1), 1u128))
        .is_ok_and(|limit| Decimal::from_ratio(major, 1u128) > limit)
}

/// Whether a sample labelled `label` may be added to a test set holding
/// `positives` and `negatives` under `ratio`.
pub fn admits(ratio: Decimal, positives: u32, negatives: u32, label: bool) -> bool {
    if label {
        !beyond(ratio, positives, negatives)
    } else {
        !beyond(ratio, negatives, positives)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_majority_waits_for_the_minority() {
        let two = Decimal::percent(200);
        // Empty: either class may start.
        assert!(admits(two, 0, 0, true) && admits(two, 0, 0, false));
        // 2 positives, 0 negatives: 2 <= 2 * max(0, 1), one more positive fits.
        assert!(admits(two, 2, 0, true));
        // 3 positives: beyond 2 * 1, only negatives.
        assert!(!admits(two, 3, 0, true));
        assert!(admits(two, 3, 0, false));
        assert!(!admits(two, 0, 3, false));
        assert!(admits(two, 4, 2, true));
        assert!(!admits(two, 5, 2, true));
        assert!(valid_ratio(Decimal::one()) && !valid_ratio(Decimal::percent(99)));
        // A limit past Decimal::MAX bounds nothing.
        assert!(admits(Decimal::MAX, u32::MAX, 2, true));
    }
}
