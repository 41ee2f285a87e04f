//! Deterministic integer math: the transcendental functions and rescaling
//! steps the models use, on raw fixed-point bits.
//!
//! Every function here is total (defined for every input, no panic, no
//! unchecked overflow) and uses integer instructions only. Formats are named
//! by their fractional bits: `q16` is [`Act`](crate::Act) bits (`I16F16`),
//! `q30` has 30 fractional bits, `q64` is [`Wide`](crate::Wide) bits.
//!
//! Accuracy (measured by the tests in this module against `f64`):
//! `sigmoid_q30` and `exp2_neg_q30` within 4 units of 2^-30, `ln1p_q30`
//! within 2^-23 absolute.

/// 1.0 in Q30.
pub const ONE_Q30: i64 = 1 << 30;
/// 1.0 in Q16.
pub const ONE_Q16: i32 = 1 << 16;
/// ln 2 in Q30 (0.693147180...).
pub const LN2_Q30: u64 = 744_261_118;
/// log2(e) in Q30 (1.442695040...).
pub const LOG2E_Q30: u64 = 1_549_082_005;

/// `e^-y` for `y` in Q30 with `0 <= y < ln 2`, as Q30. Taylor series to
/// degree 10 (truncation error below 2^-31) evaluated by Horner's rule.
fn exp_neg_small_q30(y: u64) -> u64 {
    let y = y as i64; // < 2^30
    let mut acc: i64 = ONE_Q30;
    let mut k = 10;
    while k > 0 {
        // acc stays in (0, 2^30]; y * acc < 2^60.
        acc = ONE_Q30 - ((y * acc) >> 30) / k;
        k -= 1;
    }
    acc as u64
}

/// `2^-t` for `t >= 0` in Q30, as Q30 (in `[0, 2^30]`).
pub fn exp2_neg_q30(t: u64) -> u64 {
    let whole = t >> 30;
    if whole > 31 {
        return 0;
    }
    let frac = t & ((1 << 30) - 1);
    let y = (frac * LN2_Q30) >> 30; // frac·ln2 < ln2, Q30
    let e = exp_neg_small_q30(y); // (2^29, 2^30]
    if whole == 0 {
        e
    } else {
        (e + (1 << (whole - 1))) >> whole
    }
}

/// `e^-x` for `x >= 0` given in Q16, as Q30.
pub fn exp_neg_q16_to_q30(x: u32) -> u64 {
    // x·log2(e): x < 2^32, LOG2E_Q30 < 2^31, product < 2^63; Q46 -> Q30.
    let t = (u64::from(x) * LOG2E_Q30) >> 16;
    exp2_neg_q30(t)
}

/// The logistic function `1 / (1 + e^-x)` for `x` in Q16, as Q30 in
/// `[0, 2^30]`.
pub fn sigmoid_q30(x: i32) -> u64 {
    let e = exp_neg_q16_to_q30(x.unsigned_abs()); // e^-|x|, Q30 in [0, 2^30]
    let den = (1u64 << 30) + e; // in [2^30, 2^31]
    let num = if x >= 0 { 1u64 << 60 } else { e << 30 };
    (num + den / 2) / den
}

/// Round a Q30 value to Q16.
#[inline]
pub fn q30_to_q16(v: i64) -> i32 {
    // |v| <= 2^31 here, so the result fits comfortably.
    ((v + (1 << 13)) >> 14) as i32
}

/// The logistic function on Q16, as Q16.
pub fn sigmoid_q16(x: i32) -> i32 {
    q30_to_q16(sigmoid_q30(x) as i64)
}

/// `tanh(x) = 2·sigmoid(2x) - 1` on Q16, as Q16.
pub fn tanh_q16(x: i32) -> i32 {
    let x2 = x.saturating_mul(2);
    q30_to_q16(2 * sigmoid_q30(x2) as i64 - ONE_Q30)
}

/// PyTorch's hard sigmoid `clamp(x/6 + 1/2, 0, 1)` on Q16, as Q30.
pub fn hard_sigmoid_q30(x: i32) -> u64 {
    let shifted = (i64::from(x) + 3 * i64::from(ONE_Q16)).clamp(0, 6 * i64::from(ONE_Q16));
    ((shifted as u64) << 14) / 6
}

/// `clamp(x, -1, 1)` on Q16.
pub fn hard_tanh_q16(x: i32) -> i32 {
    x.clamp(-ONE_Q16, ONE_Q16)
}

/// Fractional bits of `log2` computed by [`ln1p_q64_to_q30`]: 24 (error
/// below 2^-24, far under the `I16F16` resolution of the features).
pub const LOG2_FRACTION_BITS: u32 = 24;

/// The least integer whose square is at least 2^61: a Q30 mantissa `m`
/// squares to 2 or more (`m² / 2^30 >= 2^31`) exactly when `m` is at least
/// this.
const SQRT_2_61_CEIL: u64 = 1_518_500_250;
const _: () = assert!(
    SQRT_2_61_CEIL * SQRT_2_61_CEIL >= 1 << 61
        && (SQRT_2_61_CEIL - 1) * (SQRT_2_61_CEIL - 1) < 1 << 61
);

/// `ln(1 + m)` for a non-negative magnitude `m` in Q64 (`m < 2^127`), as
/// Q30. Integer log2 by normalisation, then [`LOG2_FRACTION_BITS`]
/// fractional bits by repeated squaring; 64-bit arithmetic only.
///
/// Each squaring step is `s = ⌊mant² / 2^30⌋`, then, when `s >= 2^31`, the
/// bit is 1 and `mant = ⌊s / 2⌋` (`= ⌊mant² / 2^31⌋`), else the bit is 0 and
/// `mant = s`. The bit is decided from `mant` itself (`mant >=`
/// [`SQRT_2_61_CEIL`]) so the comparison runs beside the multiplication
/// instead of after it: the same bits, a shorter chain of dependent
/// instructions.
pub fn ln1p_q64_to_q30(m: u128) -> i64 {
    let m = m.min((1u128 << 127) - 1);
    // v = 1 + m as (hi, lo) words of Q64: hi = integer part >= 1.
    let hi = (m >> 64) as u64 + 1;
    let lo = m as u64;
    let whole = 63 - hi.leading_zeros(); // floor(log2 v), 0..=63
                                         // The 64 bits of v from its leading one down: leading one at bit 63.
    let top = (hi << (63 - whole)) | ((lo >> whole) >> 1);
    // Round to Q30 in [2^30, 2^31].
    let mut mant = (top >> 33) + ((top >> 32) & 1);
    let mut whole = u64::from(whole);
    if mant == 1 << 31 {
        mant = 1 << 30;
        whole += 1;
    }
    let mut frac: u64 = 0;
    // mant = 2^30 (v a power of two, e.g. an input of 0) stays 2^30: every
    // further bit is 0.
    if mant != 1 << 30 {
        for _ in 0..LOG2_FRACTION_BITS {
            let high = mant >= SQRT_2_61_CEIL;
            // mant < 2^31: the square is below 2^62 (cannot wrap), and the
            // new mant is again below 2^31.
            let square = mant.wrapping_mul(mant);
            mant = if high { square >> 31 } else { square >> 30 };
            frac = (frac << 1) | u64::from(high);
        }
    }
    // ln v = (whole + frac / 2^24) · ln 2, in Q30; whole <= 64 and
    // frac_q30 < 2^30, so no product reaches 2^61.
    let frac_q30 = frac << (30 - LOG2_FRACTION_BITS);
    let frac_ln = frac_q30.wrapping_mul(LN2_Q30).wrapping_add(1 << 29) >> 30;
    whole.wrapping_mul(LN2_Q30).wrapping_add(frac_ln) as i64
}

/// `round(y · m / 2^shift)` saturated to `i64`, exact for every `y`, `m`
/// and `shift` in `1..=127`. Rounds half away from zero.
///
/// The 160-bit product is formed in 32-bit limbs with 64-bit arithmetic:
/// no 128-bit multiply or variable shift (which wasm runs as library calls).
pub fn mul_shift_i128(y: i128, m: i32, shift: u32) -> i64 {
    const LOW32: u64 = 0xFFFF_FFFF;
    let shift = shift.clamp(1, 127);
    let negative = (y < 0) != (m < 0);
    let a = y.unsigned_abs();
    let b = u64::from(m.unsigned_abs()); // <= 2^31
    let (a_lo, a_hi) = (a as u64, (a >> 64) as u64);
    // |y|·|m| < 2^159 as three words (w0, w1, w2), from 32-bit partial
    // products (each < 2^63 plus a 32-bit carry: no overflow).
    let p0 = (a_lo & LOW32) * b;
    let p1 = (a_lo >> 32) * b + (p0 >> 32);
    let p2 = (a_hi & LOW32) * b + (p1 >> 32);
    let p3 = (a_hi >> 32) * b + (p2 >> 32);
    let mut w0 = (p0 & LOW32) | (p1 << 32);
    let mut w1 = (p2 & LOW32) | (p3 << 32);
    let mut w2 = p3 >> 32;
    // Add 2^(shift-1) for rounding.
    let half = shift - 1;
    if half < 64 {
        let (sum, carry) = w0.overflowing_add(1 << half);
        w0 = sum;
        let (sum, carry) = w1.overflowing_add(u64::from(carry));
        w1 = sum;
        w2 += u64::from(carry);
    } else {
        let (sum, carry) = w1.overflowing_add(1 << (half - 64));
        w1 = sum;
        w2 += u64::from(carry);
    }
    // Take bits [shift, shift + 64); anything above saturates.
    let (low, above) = if shift < 64 {
        let s = shift; // 1..=63
        ((w0 >> s) | (w1 << (64 - s)), (w1 >> s) | w2)
    } else if shift == 64 {
        (w1, w2)
    } else {
        let s = shift - 64; // 1..=63
        ((w1 >> s) | (w2 << (64 - s)), w2 >> s)
    };
    if negative {
        if above != 0 || low > 1 << 63 {
            i64::MIN
        } else {
            0i64.wrapping_sub_unsigned(low)
        }
    } else if above != 0 || low > i64::MAX as u64 {
        i64::MAX
    } else {
        low as i64
    }
}

/// Saturate an `i64` into `i32`.
#[inline]
pub fn sat_i32(v: i64) -> i32 {
    v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    fn q30(v: u64) -> f64 {
        v as f64 / (1u64 << 30) as f64
    }

    #[test]
    fn sigmoid_matches_f64() {
        let mut worst: f64 = 0.0;
        let mut x: i64 = -40 << 16;
        while x <= 40 << 16 {
            let got = q30(sigmoid_q30(x as i32));
            let want = 1.0 / (1.0 + (-(x as f64) / 65536.0).exp());
            worst = worst.max((got - want).abs());
            x += 977;
        }
        assert!(worst < 4.0 / (1u64 << 30) as f64, "worst {worst}");
        assert_eq!(sigmoid_q30(0), 1 << 29);
        assert_eq!(sigmoid_q30(i32::MAX), 1 << 30);
        assert_eq!(sigmoid_q30(i32::MIN), 0);
    }

    #[test]
    fn exp2_matches_f64() {
        for t in (0..(40u64 << 30)).step_by(7_777_777) {
            let got = q30(exp2_neg_q30(t));
            let want = (-(t as f64) / (1u64 << 30) as f64).exp2();
            assert!((got - want).abs() < 4.0 / (1u64 << 30) as f64, "t {t}");
        }
    }

    #[test]
    fn tanh_and_hard_variants() {
        for x in [-300_000, -65_536, -1, 0, 1, 12_345, 65_536, 400_000] {
            let want = ((x as f64) / 65536.0).tanh();
            let got = tanh_q16(x) as f64 / 65536.0;
            assert!((got - want).abs() < 2.0 / 65536.0, "{x}");
        }
        assert_eq!(hard_sigmoid_q30(0), 1 << 29);
        assert_eq!(hard_sigmoid_q30(3 << 16), 1 << 30);
        assert_eq!(hard_sigmoid_q30(-(3 << 16)), 0);
        assert_eq!(hard_tanh_q16(5 << 16), 1 << 16);
        assert_eq!(hard_tanh_q16(-5 << 16), -(1 << 16));
    }

    #[test]
    fn ln1p_matches_f64() {
        let cases: [f64; 10] = [0.0, 1e-6, 0.5, 1.0, 2.0, 10.0, 1234.5, 1e9, 1e12, 9e18];
        for v in cases {
            let m = (v * 18446744073709551616.0) as u128;
            let got = ln1p_q64_to_q30(m) as f64 / (1u64 << 30) as f64;
            let want = v.ln_1p();
            assert!(
                (got - want).abs() < 1.0 / (1u64 << 23) as f64,
                "{v}: {got} vs {want}"
            );
        }
        // total at the extremes
        let _ = ln1p_q64_to_q30(u128::MAX);
    }

    #[test]
    fn mul_shift_exact_and_saturating() {
        assert_eq!(mul_shift_i128(3 << 64, 5, 64), 15);
        assert_eq!(mul_shift_i128(-(3 << 64), 5, 64), -15);
        assert_eq!(mul_shift_i128(1, 1, 1), 1); // 0.5 rounds away from zero
        assert_eq!(mul_shift_i128(-1, 1, 1), -1);
        assert_eq!(
            mul_shift_i128(i128::MAX, i32::MAX, 127),
            i64::from(i32::MAX)
        );
        assert_eq!(mul_shift_i128(i128::MAX, i32::MAX, 2), i64::MAX);
        assert_eq!(mul_shift_i128(i128::MIN, i32::MAX, 2), i64::MIN);
        assert_eq!(mul_shift_i128(i128::MIN, i32::MIN, 100), 1 << 58);
        assert_eq!(mul_shift_i128(i128::MIN, i32::MIN, 60), i64::MAX);
        // matches i128 arithmetic where that does not overflow
        for (y, m, s) in [
            (123_456_789i128 << 40, -77, 50u32),
            (-(5i128 << 90), 1 << 20, 100),
        ] {
            let want = {
                let p = y * i128::from(m);
                let h = 1i128 << (s - 1);
                if p >= 0 {
                    (p + h) >> s
                } else {
                    -((-p + h) >> s)
                }
            };
            assert_eq!(i128::from(mul_shift_i128(y, m, s)), want);
        }
    }

    /// [`ln1p_q64_to_q30`] as first written (one branch per bit): the
    /// reference the faster loop is held to, bit for bit.
    fn ln1p_reference(m: u128) -> i64 {
        let m = m.min((1u128 << 127) - 1);
        let hi = (m >> 64) as u64 + 1;
        let lo = m as u64;
        let whole = 63 - hi.leading_zeros();
        let top = (hi << (63 - whole)) | ((lo >> whole) >> 1);
        let mut mant = (top >> 33) + ((top >> 32) & 1);
        let mut whole = u64::from(whole);
        if mant == 1 << 31 {
            mant = 1 << 30;
            whole += 1;
        }
        let mut frac: u64 = 0;
        let mut bit = 1u64 << (LOG2_FRACTION_BITS - 1);
        while bit != 0 {
            mant = (mant * mant) >> 30;
            if mant >= 1 << 31 {
                mant >>= 1;
                frac |= bit;
            }
            bit >>= 1;
        }
        let frac_q30 = frac << (30 - LOG2_FRACTION_BITS);
        (whole * LN2_Q30 + ((frac_q30 * LN2_Q30 + (1 << 29)) >> 30)) as i64
    }

    #[test]
    fn ln1p_matches_reference_at_edges() {
        let mut cases = std::vec![0u128, 1, u128::MAX, (1u128 << 127) - 1, 1u128 << 127];
        for k in 0..127 {
            let p = 1u128 << k;
            cases.extend([p - 1, p, p + 1, p.wrapping_mul(3) >> 1]);
        }
        for i in 0u128..5000 {
            cases.push(i << 64); // integers
            cases.push(i.wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835));
        }
        for m in cases {
            assert_eq!(ln1p_q64_to_q30(m), ln1p_reference(m), "m = {m}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]
        /// The faster loop gives the reference's bits, for magnitudes of
        /// every size.
        #[test]
        fn ln1p_matches_reference(m: u128, shift in 0u32..128) {
            let m = m >> shift;
            proptest::prop_assert_eq!(ln1p_q64_to_q30(m), ln1p_reference(m));
        }
    }

    proptest::proptest! {
        /// Agrees with plain i128 arithmetic wherever the product fits it.
        #[test]
        fn mul_shift_matches_i128(y in -(1i128 << 95)..(1i128 << 95), m: i32, shift in 1u32..=127) {
            let p = y * i128::from(m);
            let h = 1i128 << (shift - 1);
            let q = if p >= 0 { (p + h) >> shift } else { -((-p + h) >> shift) };
            let want = q.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
            proptest::prop_assert_eq!(mul_shift_i128(y, m, shift), want);
        }
    }
}
