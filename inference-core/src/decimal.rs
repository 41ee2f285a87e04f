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
    /// [`Exact::parse`] only: more than 19 fractional digits are needed.
    TooPrecise,
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
            DecimalError::TooPrecise => f.write_str("number has more than 19 fractional digits"),
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
    // int_digits - 1 - j + exponent. Integer part in u64: it never exceeds
    // 2^63 (checked before each step), so `int * 10 + d` cannot overflow.
    // (u128 arithmetic compiles to calls on 32-bit targets and wasm, and
    // every call and branch costs 14 operations' gas on CosmWasm.)
    let point_power = int_digits + exponent; // digits with index < this are integral
    let mut int: u64 = 0;
    let mut frac: u64 = 0; // the first FRACTION_DIGITS fractional digits
    let mut j: i64 = 0;
    for &c in &body[..mantissa_end] {
        if c == b'.' {
            continue;
        }
        let d = u64::from(c - b'0');
        if j < point_power {
            int = times_ten_plus(int, d)?;
        } else {
            let place = j - point_power + 1; // 1 = tenths
            if place <= i64::from(FRACTION_DIGITS) {
                // place in 1..=19: d · 10^(19 - place) <= 9 · 10^18 and frac
                // stays below 10^19, so neither step can wrap.
                let unit = POW10[(FRACTION_DIGITS as i64 - place) as usize];
                frac = frac.wrapping_add(d.wrapping_mul(unit));
            }
        }
        j += 1;
    }
    // Zeros implied by a positive exponent beyond the last digit.
    let mut trailing = point_power - n_digits;
    while trailing > 0 && int != 0 {
        int = times_ten_plus(int, 0)?;
        trailing -= 1;
    }

    assemble(negative, u128::from(int), frac)
}

/// Powers of ten that fit a u64: `POW10[k] = 10^k`, k in 0..=19.
const POW10: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut k = 1;
    while k < 20 {
        t[k] = t[k - 1] * 10;
        k += 1;
    }
    t
};

/// `int * 10 + d`, or `OutOfRange` once it exceeds 2^63 (the largest
/// magnitude `Wide` holds); `int` must be at most 2^63 and `d` at most 9.
fn times_ten_plus(int: u64, d: u64) -> Result<u64, DecimalError> {
    // Beyond 2^63 / 10 the product alone exceeds 2^63; below it the sum
    // is at most 2^63 + 9, which fits a u64.
    if int > (1u64 << 63) / 10 {
        return Err(DecimalError::OutOfRange);
    }
    let next = int * 10 + d;
    if next > 1u64 << 63 {
        return Err(DecimalError::OutOfRange);
    }
    Ok(next)
}

/// 5^19: 10^19 = 2^19 · 5^19.
const FIVE_POW_FRACTION: u64 = 19_073_486_328_125;

/// `round(frac · 2^64 / 10^19)`, halves rounded up, for `frac < 10^19`:
/// `floor((frac · 2^64 + 10^19 / 2) / 10^19)`, at most 2^64.
///
/// Without a 128-bit division: dividing numerator and denominator by 2^19
/// gives `floor((frac · 2^45 + ⌊5^19 / 2⌋) / 5^19)` (exact, since
/// `frac · 2^45` is an integer). `frac · 2^45 / 5^19` is a long division in
/// three 15-bit steps whose partial dividends stay below `5^19 · 2^15 <
/// 2^60`; the rounding term then adds 1 exactly when the remainder is at
/// least `5^19 - ⌊5^19 / 2⌋`.
fn fraction_bits(frac: u64) -> u128 {
    const D: u64 = FIVE_POW_FRACTION;
    if frac == 0 {
        return 0; // integers: no division
    }
    let mut q = frac / D; // < 2^19
    let mut r = frac % D;
    for _ in 0..3 {
        let t = r << 15; // r < D < 2^45
        q = (q << 15) | (t / D); // t / D < 2^15
        r = t % D;
    }
    u128::from(q) + u128::from(r + D / 2 >= D)
}

/// `±(int + frac / 10^19)` as `Wide`, rounding to nearest (ties away from
/// zero): the last step shared by every decimal conversion.
fn assemble(negative: bool, int: u128, frac: u64) -> Result<Wide, DecimalError> {
    if int > 1u128 << 63 {
        return Err(DecimalError::OutOfRange);
    }
    debug_assert!(frac < TEN_POW_FRACTION);
    let frac_bits = fraction_bits(frac); // <= 2^64
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
        // e <= EXPONENT_CLAMP before each step: no overflow.
        e = e
            .wrapping_mul(10)
            .wrapping_add(i64::from(c - b'0'))
            .min(EXPONENT_CLAMP);
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

/// A decimal value held exactly: `±mantissa · 10^-scale`, with at most
/// [`FRACTION_DIGITS`] fractional digits and no trailing fractional zeros
/// (so each value has one representation). What stored test sets and
/// messages carry instead of strings: it converts to the same [`Wide`] as
/// [`parse`] of its decimal string, prints back to that string, and packs
/// into a few bytes ([`Exact::pack`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Exact {
    /// Sign (never set for zero).
    pub negative: bool,
    /// Digits without the point.
    pub mantissa: u128,
    /// Fractional digits, `0..=19`.
    pub scale: u8,
}

/// Why packed bytes do not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PackedError {
    /// The bytes end inside a value.
    Truncated,
    /// A tag with a scale above 19, reserved bits set, a mantissa of more
    /// than 128 bits, or a non-canonical encoding.
    Invalid,
}

impl core::fmt::Display for PackedError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            PackedError::Truncated => "packed decimal truncated",
            PackedError::Invalid => "invalid packed decimal",
        })
    }
}

#[cfg(feature = "std")]
impl std::error::Error for PackedError {}

const TAG_NEGATIVE: u8 = 0x80;
const TAG_ZERO: u8 = 0x40;
const TAG_SCALE: u8 = 0x1F;

impl Exact {
    /// Parse a decimal string exactly. Same grammar and errors as [`parse`];
    /// additionally [`DecimalError::TooPrecise`] when the value needs more
    /// than 19 fractional digits, and [`DecimalError::OutOfRange`] when it
    /// does not fit `Wide`.
    pub fn parse(s: &str) -> Result<Exact, DecimalError> {
        let wide = parse(s)?; // grammar, range and non-finite checks
        let body = s.as_bytes();
        let body = match body.first() {
            Some(b'-' | b'+') => &body[1..],
            _ => body,
        };
        let negative = s.starts_with('-') && wide != Wide::ZERO;
        let mantissa_end = body
            .iter()
            .position(|&c| c == b'e' || c == b'E')
            .unwrap_or(body.len());
        let exponent = if mantissa_end < body.len() {
            parse_exponent(&body[mantissa_end + 1..], 0)?
        } else {
            0
        };
        let digits = &body[..mantissa_end];
        let point = digits.iter().position(|&c| c == b'.');
        let frac_digits = point.map_or(0, |p| digits.len() - p - 1) as i64;
        // Trailing zeros of the digit string carry no value.
        let mut trailing = 0i64;
        for &c in digits.iter().rev() {
            match c {
                b'0' => trailing += 1,
                b'.' => {}
                _ => break,
            }
        }
        let n_digits = digits.iter().filter(|c| c.is_ascii_digit()).count() as i64;
        let significant = n_digits - trailing;
        // value = significant digits · 10^(trailing - frac_digits + exponent)
        let mut power = trailing - frac_digits + exponent;
        let all_zero = digits.iter().all(|&c| c == b'0' || c == b'.');
        if all_zero {
            return Ok(Exact::default());
        }
        if -power > i64::from(FRACTION_DIGITS) {
            return Err(DecimalError::TooPrecise);
        }
        let mut mantissa: u128 = 0;
        for &c in digits
            .iter()
            .filter(|c| c.is_ascii_digit())
            .take(significant.max(0) as usize)
        {
            mantissa = mantissa
                .checked_mul(10)
                .and_then(|m| m.checked_add(u128::from(c - b'0')))
                .ok_or(DecimalError::OutOfRange)?;
        }
        while power > 0 {
            mantissa = mantissa.checked_mul(10).ok_or(DecimalError::OutOfRange)?;
            power -= 1;
        }
        Ok(Exact {
            negative,
            mantissa,
            scale: (-power) as u8,
        })
    }

    /// The value as [`Wide`]: identical to [`parse`] of its decimal string.
    pub fn to_wide(&self) -> Result<Wide, DecimalError> {
        if self.scale > FRACTION_DIGITS as u8 {
            return Err(DecimalError::TooPrecise);
        }
        let scale = usize::from(self.scale);
        let unit = POW10[scale];
        // Most mantissas fit a u64: divide in 64 bits (one instruction on
        // wasm, where a u128 division is a long library call).
        let (int, rest) = match u64::try_from(self.mantissa) {
            Ok(m) => (u128::from(m / unit), m % unit),
            Err(_) => (
                self.mantissa / u128::from(unit),
                (self.mantissa % u128::from(unit)) as u64,
            ),
        };
        let frac = rest * POW10[FRACTION_DIGITS as usize - scale];
        assemble(self.negative, int, frac)
    }

    /// Append the packed form: a tag byte (bit 7 sign, bit 6 zero, bits 0-4
    /// scale) then, unless zero, the mantissa as LEB128. Zero takes one
    /// byte, `0.127649` four, `190984.02` five, `-15605352.04` six.
    pub fn pack(&self, out: &mut impl Extend<u8>) {
        if self.mantissa == 0 {
            out.extend([TAG_ZERO]);
            return;
        }
        let tag = if self.negative { TAG_NEGATIVE } else { 0 } | (self.scale & TAG_SCALE);
        out.extend([tag]);
        let mut m = self.mantissa;
        loop {
            let byte = (m & 0x7F) as u8;
            m >>= 7;
            if m == 0 {
                out.extend([byte]);
                break;
            }
            out.extend([byte | 0x80]);
        }
    }

    /// Decode one packed value at the start of `bytes`; returns it and the
    /// bytes it used. Only canonical encodings (what [`pack`](Self::pack)
    /// writes) are accepted.
    pub fn unpack(bytes: &[u8]) -> Result<(Exact, usize), PackedError> {
        let tag = *bytes.first().ok_or(PackedError::Truncated)?;
        if tag == TAG_ZERO {
            return Ok((Exact::default(), 1));
        }
        let scale = tag & TAG_SCALE;
        if tag & !(TAG_NEGATIVE | TAG_SCALE) != 0 || u32::from(scale) > FRACTION_DIGITS {
            return Err(PackedError::Invalid);
        }
        let mut mantissa: u128 = 0;
        let mut shift = 0u32;
        let mut used = 1;
        loop {
            let byte = *bytes.get(used).ok_or(PackedError::Truncated)?;
            used += 1;
            let part = u128::from(byte & 0x7F);
            if shift >= 128 || (shift > 121 && part >> (128 - shift) != 0) {
                return Err(PackedError::Invalid);
            }
            mantissa |= part << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                // canonical: no trailing zero groups, no zero mantissa
                if (byte == 0 && used > 2) || mantissa == 0 {
                    return Err(PackedError::Invalid);
                }
                break;
            }
        }
        if scale > 0 && mantissa.is_multiple_of(10) {
            return Err(PackedError::Invalid);
        }
        let negative = tag & TAG_NEGATIVE != 0;
        Ok((
            Exact {
                negative,
                mantissa,
                scale,
            },
            used,
        ))
    }
}

impl core::fmt::Display for Exact {
    /// The plain decimal string (no exponent), e.g. `-15605352.04`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.negative {
            f.write_str("-")?;
        }
        let unit = 10u128.pow(u32::from(self.scale.min(FRACTION_DIGITS as u8)));
        write!(f, "{}", self.mantissa / unit)?;
        if self.scale > 0 {
            write!(
                f,
                ".{:0width$}",
                self.mantissa % unit,
                width = usize::from(self.scale)
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
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

    #[test]
    fn exact_values_pack_and_print() {
        for (text, packed_len, printed) in [
            ("0", 1, "0"),
            ("-0.000", 1, "0"),
            ("0.127649", 4, "0.127649"),
            ("190984.02", 5, "190984.02"),
            ("-15605352.04", 6, "-15605352.04"),
            ("1e12", 7, "1000000000000"),
            ("2.50", 2, "2.5"),
            ("1e-19", 2, "0.0000000000000000001"),
            ("-9223372036854775808", 11, "-9223372036854775808"),
        ] {
            let e = Exact::parse(text).unwrap();
            assert_eq!(e.to_wide().unwrap(), parse(text).unwrap(), "{text}");
            let mut bytes = std::vec::Vec::new();
            e.pack(&mut bytes);
            assert_eq!(bytes.len(), packed_len, "{text}");
            assert_eq!(Exact::unpack(&bytes), Ok((e, packed_len)));
            assert_eq!(std::format!("{e}"), printed);
        }
        assert_eq!(Exact::parse("1e-20"), Err(DecimalError::TooPrecise));
        assert_eq!(
            Exact::parse("0.12345678901234567891"),
            Err(DecimalError::TooPrecise)
        );
        assert_eq!(Exact::parse("1e19"), Err(DecimalError::OutOfRange));
        assert_eq!(Exact::parse("nan"), Err(DecimalError::NotFinite));
        assert_eq!(Exact::unpack(&[]), Err(PackedError::Truncated));
        assert_eq!(Exact::unpack(&[0x02]), Err(PackedError::Truncated));
        assert_eq!(Exact::unpack(&[0x14, 1]), Err(PackedError::Invalid)); // scale 20
        assert_eq!(Exact::unpack(&[0x20, 1]), Err(PackedError::Invalid)); // reserved bit
        assert_eq!(
            Exact::unpack(&[0x00, 0x80, 0x00]),
            Err(PackedError::Invalid)
        ); // overlong
        assert_eq!(Exact::unpack(&[0x01, 10]), Err(PackedError::Invalid)); // 1.0 not canonical
        assert_eq!(Exact::unpack(&[0x00, 0x00]), Err(PackedError::Invalid)); // zero not canonical
    }
}
