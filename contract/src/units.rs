//! The contract's own conversions between the core's numbers and the
//! messages' (score conversions are the api's `vigil_guard_api::units`):
//! feature strings to the core's fixed-point inputs, and an activation to a
//! `SignedDecimal`.
use cosmwasm_std::{Decimal, SignedDecimal};
use vigil_inference_core::decimal::{self, Exact};
use vigil_inference_core::{Act, DecimalError, Wide};

use vigil_guard_api::msg::MAX_FEATURE_CHARS;

use crate::error::ContractError;

/// Decimal atomics (10^-18) per unit of a `Q16` value: 10^18 / 2^16,
/// exactly, so every `Q16` value has an exact decimal.
const Q16_ATOMICS: i128 = 15_258_789_062_500;

/// A `Q16` value (16 fractional bits) as a `SignedDecimal`, exact.
pub fn q16_decimal(v: i64) -> SignedDecimal {
    SignedDecimal::raw(i128::from(v) * Q16_ATOMICS)
}

/// A non-negative `Q16` value as a `Decimal`, exact (saturating past
/// `Decimal::MAX`).
pub fn q16_unsigned_decimal(v: u128) -> Decimal {
    Decimal::raw(v.saturating_mul(Q16_ATOMICS as u128))
}

/// An activation (`Act`, 16 fractional bits) as a `SignedDecimal`, exact.
pub fn act_decimal(a: Act) -> SignedDecimal {
    q16_decimal(i64::from(a.to_bits()))
}

/// Parse one decimal string per feature (`n` of them, each at most
/// `MAX_FEATURE_CHARS` long) with `parse`.
fn features<T>(
    features: &[String],
    n: usize,
    parse: fn(&str) -> Result<T, DecimalError>,
) -> Result<Vec<T>, ContractError> {
    if features.len() != n {
        return Err(ContractError::FeatureCount {
            expected: n,
            got: features.len(),
        });
    }
    let mut out = Vec::with_capacity(n);
    for (index, s) in features.iter().enumerate() {
        // Before any parse: a long string costs its length in every step.
        if s.len() > MAX_FEATURE_CHARS {
            return Err(ContractError::FeatureTooLong {
                index,
                len: s.len(),
                max: MAX_FEATURE_CHARS,
            });
        }
        match parse(s) {
            Ok(v) => out.push(v),
            Err(e) => {
                return Err(ContractError::BadNumber {
                    index,
                    reason: e.to_string(),
                })
            }
        }
    }
    Ok(out)
}

/// A model's inputs: `n` decimal strings.
pub fn parse_features(f: &[String], n: usize) -> Result<Vec<Wide>, ContractError> {
    features(f, n, decimal::parse)
}

/// A sample's inputs as exact decimals (stored packed).
pub fn exact_features(f: &[String], n: usize) -> Result<Vec<Exact>, ContractError> {
    features(f, n, Exact::parse)
}
