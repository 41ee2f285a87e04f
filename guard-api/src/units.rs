//! Scores on the wire: a score is a `U1F31` fixed-point number (its bits
//! `b` mean `b / 2^31`); messages carry it as a `Decimal` and, where
//! exactness matters, as its bits.
use cosmwasm_std::Decimal;

/// `Decimal`'s fixed-point unit: atomics per 1.
const UNIT: u128 = 1_000_000_000_000_000_000;

/// The largest score's bits: 1.0.
pub const SCORE_ONE_BITS: u32 = 1 << 31;

/// A score's exact bits as a `Decimal` (rounded down to 18 decimals).
pub fn score_decimal(bits: u32) -> Decimal {
    // bits <= 2^32: bits * 10^18 < 2^92.
    Decimal::raw((u128::from(bits) * UNIT) >> 31)
}

/// The smallest score bits at or above a decimal threshold (thresholds
/// above 1 are 1).
pub fn threshold_bits(d: Decimal) -> u32 {
    let atomics = d.atomics().u128().min(UNIT);
    // atomics <= 10^18: atomics * 2^31 < 2^91; the quotient is <= 2^31.
    (atomics << 31).div_ceil(UNIT) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_round_up_and_scores_down() {
        assert_eq!(threshold_bits(Decimal::zero()), 0);
        assert_eq!(threshold_bits(Decimal::one()), SCORE_ONE_BITS);
        assert_eq!(threshold_bits(Decimal::percent(200)), SCORE_ONE_BITS);
        assert_eq!(threshold_bits(Decimal::percent(50)), 1 << 30);
        assert_eq!(threshold_bits(Decimal::raw(1)), 1);
        assert_eq!(score_decimal(1 << 30), Decimal::percent(50));
        assert_eq!(score_decimal(SCORE_ONE_BITS), Decimal::one());
        for bits in [0, 1, 7, 1 << 20, (1 << 31) - 1, 1 << 31] {
            // A score is at or above the threshold of its own decimal.
            assert!(threshold_bits(score_decimal(bits)) <= bits, "{bits}");
        }
    }
}
