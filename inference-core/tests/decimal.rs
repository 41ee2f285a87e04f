//! Decimal inputs: parsing agrees with the exact form, the packed encoding
//! round-trips, and nothing panics on arbitrary input.
use proptest::prelude::*;
use vigil_inference_core::decimal::{self, DecimalError, Exact};

/// Decimal strings of every shape the grammar allows.
fn decimal_string() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just(""), Just("-"), Just("+")],
        "[0-9]{0,20}",
        proptest::option::of("[0-9]{0,21}"),
        proptest::option::of((prop_oneof![Just("e"), Just("E")], -30i32..30)),
    )
        .prop_map(|(sign, int, frac, exp)| {
            let mut s = String::from(sign);
            s += &int;
            if let Some(f) = frac {
                s.push('.');
                s += &f;
            }
            if let Some((e, v)) = exp {
                s += e;
                s += &v.to_string();
            }
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn exact_agrees_with_parse(s in decimal_string()) {
        match Exact::parse(&s) {
            Ok(e) => {
                prop_assert_eq!(e.to_wide(), decimal::parse(&s), "{}", s);
                let mut packed = Vec::new();
                e.pack(&mut packed);
                prop_assert_eq!(Exact::unpack(&packed), Ok((e, packed.len())));
                // printing and re-parsing is the identity
                let printed = e.to_string();
                prop_assert_eq!(Exact::parse(&printed), Ok(e), "{} -> {}", s, printed);
            }
            Err(DecimalError::TooPrecise) => prop_assert!(decimal::parse(&s).is_ok()),
            Err(err) => prop_assert_eq!(decimal::parse(&s), Err(err), "{}", s),
        }
    }

    #[test]
    fn parse_never_panics(s in "\\PC{0,40}") {
        let _ = decimal::parse(&s);
        let _ = Exact::parse(&s);
    }

    #[test]
    fn unpack_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..24)) {
        if let Ok((e, used)) = Exact::unpack(&bytes) {
            prop_assert!(used <= bytes.len());
            let mut again = Vec::new();
            e.pack(&mut again);
            prop_assert_eq!(&again[..], &bytes[..used]);
        }
    }
}

/// The decimal parser as it was before its 64-bit rewrite (u128 integer
/// part, `10u64.pow` per fractional digit, a u128 division by 10^19): the
/// reference the rewrite must match bit for bit and error for error.
mod reference {
    use vigil_inference_core::decimal::{DecimalError, FRACTION_DIGITS};
    use vigil_inference_core::Wide;

    const TEN_POW_FRACTION: u64 = 10_000_000_000_000_000_000;
    const EXPONENT_CLAMP: i64 = 100_000;

    pub fn parse(s: &str) -> Result<Wide, DecimalError> {
        let s = s.as_bytes();
        if s.is_empty() {
            return Err(DecimalError::Empty);
        }
        let (negative, body_start) = match s[0] {
            b'-' => (true, 1),
            b'+' => (false, 1),
            _ => (false, 0),
        };
        let body = &s[body_start..];
        if body.eq_ignore_ascii_case(b"nan")
            || body.eq_ignore_ascii_case(b"inf")
            || body.eq_ignore_ascii_case(b"infinity")
        {
            return Err(DecimalError::NotFinite);
        }
        let mut int_digits: i64 = 0;
        let mut n_digits: i64 = 0;
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
        let point_power = int_digits + exponent;
        let mut int: u128 = 0;
        let mut frac: u64 = 0;
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
                let place = j - point_power + 1;
                if place <= i64::from(FRACTION_DIGITS) {
                    frac += d * 10u64.pow(FRACTION_DIGITS - place as u32);
                }
            }
            j += 1;
        }
        let mut trailing = point_power - n_digits;
        while trailing > 0 && int != 0 {
            int *= 10;
            if int > (1u128 << 63) {
                return Err(DecimalError::OutOfRange);
            }
            trailing -= 1;
        }
        if int > 1u128 << 63 {
            return Err(DecimalError::OutOfRange);
        }
        let scaled = (u128::from(frac) << 64) + u128::from(TEN_POW_FRACTION / 2);
        let frac_bits = scaled / u128::from(TEN_POW_FRACTION);
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
}

/// Digits that reach the boundaries: 2^63 and its neighbours, 19 and 20
/// fractional digits, nines that round up into the integer part.
fn boundary_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("9223372036854775808".to_owned()),
        Just("-9223372036854775808".to_owned()),
        Just("9223372036854775807.9999999999999999999".to_owned()),
        Just("9223372036854775808.0000000000000000001".to_owned()),
        Just("9223372036854775809".to_owned()),
        Just("922337203685477580.8e1".to_owned()),
        Just("0.99999999999999999995".to_owned()),
        Just("0.00000000000000000005".to_owned()),
        Just("0.0000000000000000000542101086242752217".to_owned()),
        (0u64..u64::MAX, 0u32..20).prop_map(|(m, k)| {
            let s = m.to_string();
            let k = (k as usize).min(s.len());
            format!("{}.{}", &s[..s.len() - k], &s[s.len() - k..])
        }),
        (0u64..10_000_000_000_000_000_000, -25i32..25).prop_map(|(m, e)| format!("0.{m:019}e{e}")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn parse_matches_the_reference(s in prop_oneof![decimal_string(), boundary_string()]) {
        prop_assert_eq!(decimal::parse(&s), reference::parse(&s), "{}", s);
    }
}
