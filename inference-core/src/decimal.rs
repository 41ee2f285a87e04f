//! Deterministic decimal parsing of raw inputs into [`Wide`] (`I64F64`),
//! without floats.
//!
//! # Grammar
//!
//! ```text
//! value    = [sign] mantissa [exponent]
//! sign     = "+" | "-"
//! mantissa = digits ["." [digits]] | "." digits
//! exponent = ("e" | "E") [sign] digits
//! ```
//!
//! No whitespace, no digit separators, no hexadecimal. Accepted examples:
//! `"-15605352.04"`, `"0.000004"`, `"1000020000000"`, `"7"`, `"1e-6"`,
//! `"2.5E+12"`, `".5"`, `"5."`.
//!
//! # Value and rounding
//!
//! The decimal value is truncated to 19 fractional digits, then rounded to
//! the nearest multiple of 2^-64 (ties away from zero). Every target
//! therefore gets the same bits for the same string.
//!
//! # Errors
//!
//! | input | error |
//! |---|---|
//! | `""` | [`DecimalError::Empty`] |
//! | `"nan"`, `"-inf"`, `"Infinity"` (any case) | [`DecimalError::NotFinite`] |
//! | `"12a"`, `"1.2.3"`, `" 1"`, `"--1"` | [`DecimalError::InvalidCharacter`] with its byte position |
//! | `"-"`, `"."`, `"1e"`, `"e5"` | [`DecimalError::MissingDigits`] |
//! | magnitude ≥ 2^63 (about 9.22e18) | [`DecimalError::OutOfRange`] |
use crate::Wide;

/// Why a decimal string is not a valid input value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecimalError {
    /// The string is empty.
    Empty,
    /// `nan`, `inf` or `infinity` (any case, optionally signed): inputs must
    /// be finite numbers.
    NotFinite,
    /// A byte that does not fit the grammar, at this byte position.
    InvalidCharacter {
        /// Byte offset of the offending character.
        position: usize,
    },
    /// No digits where digits are required (mantissa or exponent).
    MissingDigits,
    /// The magnitude does not fit `I64F64` (|value| must be below 2^63,
    /// or equal to -2^63).
    OutOfRange,
}

impl core::fmt::Display for DecimalError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            DecimalError::Empty => f.write_str("empty number"),
            DecimalError::NotFinite => {
                f.write_str("not a finite number (nan/inf are not accepted)")
            }
            DecimalError::InvalidCharacter { position } => {
                write!(f, "invalid character at byte {position} of number")
            }
            DecimalError::MissingDigits => {
                f.write_str("number has no digits where digits are required")
            }
            DecimalError::OutOfRange => {
                f.write_str("number out of range (|x| must be below 9.22e18)")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for DecimalError {}

/// Fractional decimal digits kept before rounding to binary.
pub const FRACTION_DIGITS: u32 = 19;
const TEN_POW_FRACTION: u64 = 10_000_000_000_000_000_000;
/// Exponents are clamped to this magnitude while parsing; anything beyond is
/// out of range (or zero) anyway.
const EXPONENT_CLAMP: i64 = 100_000;

/// Parse a decimal string into [`Wide`]. See the module documentation for
/// the grammar, rounding and errors.
pub fn parse(s: &str) -> Result<Wide, DecimalError> {
    parse_bytes(s.as_bytes())
}

/// [`parse`] on bytes (ASCII).
pub fn parse_bytes(s: &[u8]) -> Result<Wide, DecimalError> {
    if s.is_empty() {
        return Err(DecimalError::Empty);
    }
    let (negative, body_start) = match s[0] {
        b'-' => (true, 1),
        b'+' => (false, 1),
        _ => (false, 0),
    };
    let body = &s[body_start..];
    if is_non_finite_word(body) {
        return Err(DecimalError::NotFinite);
    }

    // Pass 1: locate the mantissa digits, the point and the exponent.
    let mut int_digits: i64 = 0; // digits before the point
    let mut n_digits: i64 = 0; // all mantissa digits
    let mut seen_point = false;
    let mut exp_at = None;
    for (i, &c) in body.iter().enumerate() {
        match c {
            b'0'..=b'9' => {
                n_digits += 1;
                if !seen_point {
                    int_digits += 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            b'e' | b'E' => {
                exp_at = Some(i);
                break;
            }
            _ => {
                return Err(DecimalError::InvalidCharacter {
                    position: body_start + i,
                })
            }
        }
    }
    if n_digits == 0 {
        return Err(DecimalError::MissingDigits);
    }
    let mantissa_end = exp_at.unwrap_or(body.len());
    let exponent = match exp_at {
        None => 0,
        Some(at) => parse_exponent(&body[at + 1..], body_start + at + 1)?,
    };

    // Pass 2: digit j (0-based over mantissa digits) has decimal power
    // int_digits - 1 - j + exponent.
    let point_power = int_digits + exponent; // digits with index < this are integral
    let mut int: u128 = 0;
    let mut frac: u64 = 0; // the first FRACTION_DIGITS fractional digits
    let mut j: i64 = 0;
    for &c in &body[..mantissa_end] {
        if c == b'.' {
            continue;
        }
        let d = u64::from(c - b'0');
        if j < point_power {
            int = int * 10 + u128::from(d);
            if int > (1u128 << 63) {
                return Err(DecimalError::OutOfRange);
            }
        } else {
            let place = j - point_power + 1; // 1 = tenths
            if place <= i64::from(FRACTION_DIGITS) {
                frac += d * 10u64.pow(FRACTION_DIGITS - place as u32);
            }
        }
        j += 1;
    }
    // Zeros implied by a positive exponent beyond the last digit.
    let mut trailing = point_power - n_digits;
    while trailing > 0 && int != 0 {
        int *= 10;
        if int > (1u128 << 63) {
            return Err(DecimalError::OutOfRange);
        }
        trailing -= 1;
    }

    // frac < 10^19 < 2^64, so frac << 64 < 2^128.
    let scaled = (u128::from(frac) << 64) + u128::from(TEN_POW_FRACTION / 2);
    let frac_bits = scaled / u128::from(TEN_POW_FRACTION); // <= 2^64
    let magnitude = (int << 64)
        .checked_add(frac_bits)
        .ok_or(DecimalError::OutOfRange)?;
    let bits = if negative {
        if magnitude > 1u128 << 127 {
            return Err(DecimalError::OutOfRange);
        }
        0i128.wrapping_sub_unsigned(magnitude)
    } else {
        i128::try_from(magnitude).map_err(|_| DecimalError::OutOfRange)?
    };
    Ok(Wide::from_bits(bits))
}

fn parse_exponent(s: &[u8], offset: usize) -> Result<i64, DecimalError> {
    let (negative, start) = match s.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };
    if s.len() == start {
        return Err(DecimalError::MissingDigits);
    }
    let mut e: i64 = 0;
    for (i, &c) in s[start..].iter().enumerate() {
        if !c.is_ascii_digit() {
            return Err(DecimalError::InvalidCharacter {
                position: offset + start + i,
            });
        }
        e = (e * 10 + i64::from(c - b'0')).min(EXPONENT_CLAMP);
    }
    Ok(if negative { -e } else { e })
}

fn is_non_finite_word(s: &[u8]) -> bool {
    s.eq_ignore_ascii_case(b"nan")
        || s.eq_ignore_ascii_case(b"inf")
        || s.eq_ignore_ascii_case(b"infinity")
}

/// An integer input, exactly.
pub fn from_int(v: i64) -> Wide {
    Wide::from_bits(i128::from(v) << 64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(s: &str) -> i128 {
        parse(s).unwrap().to_bits()
    }

    #[test]
    fn integers_and_signs() {
        assert_eq!(bits("0"), 0);
        assert_eq!(bits("-0"), 0);
        assert_eq!(bits("+7"), 7i128 << 64);
        assert_eq!(bits("1000020000000"), 1_000_020_000_000i128 << 64);
        assert_eq!(bits("-15"), -15i128 << 64);
        assert_eq!(parse("42").unwrap(), from_int(42));
        assert_eq!(bits("007"), 7i128 << 64);
    }

    #[test]
    fn fractions_round_to_nearest() {
        assert_eq!(bits("0.5"), 1i128 << 63);
        assert_eq!(bits(".25"), 1i128 << 62);
        assert_eq!(bits("5."), 5i128 << 64);
        // 0.000004 * 2^64 = 73786976294838.206464 -> rounds down
        assert_eq!(bits("0.000004"), 73_786_976_294_838);
        // -15605352.04: 0.04 * 2^64 = 737869762948382064.64 -> 737869762948382065
        assert_eq!(
            bits("-15605352.04"),
            -((15_605_352i128 << 64) + 737_869_762_948_382_065)
        );
        // beyond 19 fractional digits: truncated before rounding
        assert_eq!(bits("0.00000000000000000009"), 0);
        assert_eq!(bits("0.0000000000000000001"), 2); // 1e-19 * 2^64 = 1.84 -> 2
    }

    #[test]
    fn exponents() {
        assert_eq!(parse("1e-6").unwrap(), parse("0.000001").unwrap());
        assert_eq!(parse("2.5E+12").unwrap(), from_int(2_500_000_000_000));
        assert_eq!(parse("25e11").unwrap(), from_int(2_500_000_000_000));
        assert_eq!(parse("0e999999999").unwrap(), from_int(0));
        assert_eq!(parse("1e-999999999").unwrap(), from_int(0));
        assert_eq!(parse("123.456e1").unwrap(), parse("1234.56").unwrap());
        assert_eq!(parse("1e18").unwrap(), from_int(1_000_000_000_000_000_000));
    }

    #[test]
    fn boundaries() {
        // Largest magnitude: just below 2^63 positive, exactly -2^63 negative.
        assert_eq!(parse("9223372036854775807").unwrap(), from_int(i64::MAX));
        // 19 nines: (1 - 1e-19)·2^64 = 2^64 - 1.84 rounds to 2^64 - 2
        assert_eq!(
            parse("9223372036854775807.99999999999999999999")
                .unwrap()
                .to_bits(),
            i128::MAX - 1
        );
        assert_eq!(parse("9223372036854775808"), Err(DecimalError::OutOfRange));
        assert_eq!(parse("-9223372036854775808").unwrap(), Wide::MIN);
        assert_eq!(
            parse("-9223372036854775808.0000000000000000001"),
            Err(DecimalError::OutOfRange)
        );
        assert_eq!(parse("1e19"), Err(DecimalError::OutOfRange));
        assert_eq!(parse("1e999999999"), Err(DecimalError::OutOfRange));
        assert_eq!(
            parse("1000000000000000"),
            Ok(from_int(1_000_000_000_000_000))
        );
        assert_eq!(parse("-1e15"), Ok(from_int(-1_000_000_000_000_000)));
        // resolution: 1e-6 distinct from its neighbours
        assert!(parse("0.000001").unwrap() > parse("0.0000009").unwrap());
    }

    #[test]
    fn errors_are_typed() {
        assert_eq!(parse(""), Err(DecimalError::Empty));
        for w in ["nan", "NaN", "-inf", "+Infinity", "INF"] {
            assert_eq!(parse(w), Err(DecimalError::NotFinite), "{w}");
        }
        assert_eq!(
            parse("12a"),
            Err(DecimalError::InvalidCharacter { position: 2 })
        );
        assert_eq!(
            parse("1.2.3"),
            Err(DecimalError::InvalidCharacter { position: 3 })
        );
        assert_eq!(
            parse(" 1"),
            Err(DecimalError::InvalidCharacter { position: 0 })
        );
        assert_eq!(
            parse("--1"),
            Err(DecimalError::InvalidCharacter { position: 1 })
        );
        assert_eq!(
            parse("1e5x"),
            Err(DecimalError::InvalidCharacter { position: 3 })
        );
        assert_eq!(
            parse("1,000"),
            Err(DecimalError::InvalidCharacter { position: 1 })
        );
        for m in ["-", "+", ".", "1e", "1e-", "e5", "-.e1"] {
            assert_eq!(parse(m), Err(DecimalError::MissingDigits), "{m}");
        }
    }
}
