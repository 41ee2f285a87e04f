//! The data envelope: per-feature bounds on the raw inputs, applied before
//! a model sees them.
//!
//! A model is judged on a public test set; a backdoor (a trigger value that
//! no sample exercises, e.g. `-1000000` on one feature) is invisible to that
//! judgement. The envelope clamps every raw input into the range the test
//! set covers, widened by a governed margin:
//!
//! ```text
//! lo_i = min_i - margin · (max_i - min_i)      (rounded down)
//! hi_i = max_i + margin · (max_i - min_i)      (rounded up)
//! x_i' = min(max(x_i, lo_i), hi_i)             (on the parsed raw value)
//! ```
//!
//! `min_i` and `max_i` are exact decimals ([`Exact`], as test samples are
//! stored), so are the bounds (at the finer of the two scales, saturated at
//! [`Wide`]'s range), and the clamp compares [`Wide`]s: the same bits on
//! every target, in the contract, the browser package and the CLI. A value
//! inside `[lo_i, hi_i]` is never changed ([`Envelope::clamp`]), so a model's
//! score on an in-envelope input is what it would be without the envelope.
//!
//! Stored form ([`pack`]): for each feature, `lo` then `hi`, each a packed
//! [`Exact`] (1-19 bytes, [`Exact::pack`]); nothing else. [`Envelope::parse`]
//! validates it once (every bound decodes, converts to [`Wide`] and
//! `lo <= hi`, nothing trailing); [`Envelope::clamp`] then cannot fail.
//!
//! What it does not stop: a backdoor on inputs inside the envelope that no
//! sample exercises (a trigger combination of in-range values, or a value
//! inside the margin band).
use core::cmp::Ordering;

use crate::decimal::{Exact, FRACTION_DIGITS};
use crate::Wide;

/// Out-of-envelope features reported by index, at most (the first, in
/// feature order); [`Report::count`] counts them all.
pub const REPORTED: usize = 8;

/// Largest packed size of one bound ([`Exact::pack`]: a tag byte and a
/// 128-bit LEB128 mantissa).
pub const MAX_BOUND_BYTES: usize = 1 + 19;

/// Largest stored size of one feature's bounds.
pub const MAX_FEATURE_BYTES: usize = 2 * MAX_BOUND_BYTES;

/// `margin` is in units of 10^-18 ([`MARGIN_ONE`] = a margin of 1, the
/// whole range on each side), as a `cosmwasm_std::Decimal`'s atomics.
pub const MARGIN_ONE: u128 = 1_000_000_000_000_000_000;

/// Why stored envelope bytes are not a valid envelope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnvelopeError {
    /// Feature `feature`'s bounds do not decode, are out of [`Wide`]'s
    /// range, or are the wrong way round (`lo > hi`).
    Bound {
        /// The feature.
        feature: usize,
    },
    /// Bytes after the last feature's bounds.
    Trailing,
}

impl core::fmt::Display for EnvelopeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            EnvelopeError::Bound { feature } => write!(f, "envelope bound {feature} is invalid"),
            EnvelopeError::Trailing => f.write_str("envelope has trailing bytes"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for EnvelopeError {}

/// Which inputs a clamp moved: how many, and the first [`REPORTED`]
/// feature indexes, ascending.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Features outside the envelope (clamped).
    pub count: u32,
    first: [u16; REPORTED],
}

impl Report {
    /// The first [`REPORTED`] out-of-envelope features, ascending.
    pub fn features(&self) -> &[u16] {
        let n = (self.count as usize).min(REPORTED);
        &self.first[..n]
    }

    fn note(&mut self, feature: usize) {
        if let Some(slot) = self.first.get_mut(self.count as usize) {
            *slot = u16::try_from(feature).unwrap_or(u16::MAX);
        }
        self.count = self.count.saturating_add(1);
    }
}

/// Clamp one value into `[lo, hi]`: the value, and whether it was outside.
pub fn clamp_value(x: Wide, lo: Wide, hi: Wide) -> (Wide, bool) {
    if x < lo {
        (lo, true)
    } else if x > hi {
        (hi, true)
    } else {
        (x, false)
    }
}

/// A validated, zero-copy view of stored envelope bytes.
#[derive(Clone, Copy, Debug)]
pub struct Envelope<'a> {
    bytes: &'a [u8],
    n_features: usize,
}

impl<'a> Envelope<'a> {
    /// Validate the bounds of `n_features` features ([`pack`]'s form).
    pub fn parse(bytes: &'a [u8], n_features: usize) -> Result<Self, EnvelopeError> {
        let mut rest = bytes;
        for feature in 0..n_features {
            let bad = EnvelopeError::Bound { feature };
            let (lo, hi, used) = decode_pair(rest).ok_or(bad)?;
            if lo > hi {
                return Err(bad);
            }
            rest = rest.get(used..).ok_or(bad)?;
        }
        if !rest.is_empty() {
            return Err(EnvelopeError::Trailing);
        }
        Ok(Envelope { bytes, n_features })
    }

    /// Features it bounds.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Its stored bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Each feature's `(lo, hi)`, in feature order.
    pub fn bounds(&self) -> impl Iterator<Item = (Wide, Wide)> + 'a {
        let mut rest = self.bytes;
        (0..self.n_features).map_while(move |_| {
            let (lo, hi, used) = decode_pair(rest)?;
            rest = rest.get(used..)?;
            Some((lo, hi))
        })
    }

    /// Clamp `inputs` (raw values, one per feature, as parsed) into the
    /// envelope in place and report which were outside. Inputs inside are
    /// left exactly as they are. Extra inputs (beyond
    /// [`n_features`](Self::n_features)) are left alone.
    pub fn clamp(&self, inputs: &mut [Wide]) -> Report {
        let mut report = Report::default();
        for (i, (x, (lo, hi))) in inputs.iter_mut().zip(self.bounds()).enumerate() {
            let (y, outside) = clamp_value(*x, lo, hi);
            if outside {
                *x = y;
                report.note(i);
            }
        }
        report
    }

    /// Validate stored `bytes` (as [`parse`](Self::parse)) and clamp
    /// `inputs` into them (as [`clamp`](Self::clamp)) in one walk: each
    /// bound is decoded once. On an error some inputs may already be
    /// clamped; a caller discards them with the error. This is the
    /// contract's per-`Check` path.
    pub fn parse_and_clamp(bytes: &[u8], inputs: &mut [Wide]) -> Result<Report, EnvelopeError> {
        let mut report = Report::default();
        let mut rest = bytes;
        for (feature, x) in inputs.iter_mut().enumerate() {
            let bad = EnvelopeError::Bound { feature };
            let (lo, hi, used) = decode_pair(rest).ok_or(bad)?;
            if lo > hi {
                return Err(bad);
            }
            rest = rest.get(used..).ok_or(bad)?;
            let (y, outside) = clamp_value(*x, lo, hi);
            if outside {
                *x = y;
                report.note(feature);
            }
        }
        if !rest.is_empty() {
            return Err(EnvelopeError::Trailing);
        }
        Ok(report)
    }

    /// The bound on one [`parse`](Self::parse) and one
    /// [`clamp`](Self::clamp) of this envelope with coefficients `k`:
    /// fixed, per feature and per stored byte.
    pub fn cost(&self, k: &EnvelopeCoefficients) -> u64 {
        k.bound(self.n_features, self.bytes.len())
    }
}

/// What a parse and a clamp of an envelope cost, per part (in the unit of
/// whoever measured them: the contract prices them in cosmwasm-vm gas,
/// `vigil_guard::gas`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnvelopeCoefficients {
    /// Fixed: the call, the report.
    pub per_call: u64,
    /// Per feature: two bounds decoded (twice by `parse` + `clamp`, once by
    /// `parse_and_clamp`), converted
    /// to [`Wide`], compared, and the input clamped and reported.
    pub per_feature: u64,
    /// Per stored byte: the packed mantissas' LEB128 loops.
    pub per_byte: u64,
}

impl EnvelopeCoefficients {
    /// The bound for `n_features` features stored in `bytes` bytes.
    pub fn bound(&self, n_features: usize, bytes: usize) -> u64 {
        self.per_call
            .saturating_add(self.per_feature.saturating_mul(n_features as u64))
            .saturating_add(self.per_byte.saturating_mul(bytes as u64))
    }
}

fn decode_pair(bytes: &[u8]) -> Option<(Wide, Wide, usize)> {
    let (lo, a) = Exact::unpack(bytes).ok()?;
    let (hi, b) = Exact::unpack(bytes.get(a..)?).ok()?;
    Some((lo.to_wide().ok()?, hi.to_wide().ok()?, a + b))
}

/// Widen `range` (per feature, the smallest and largest value seen) to
/// cover `row`: how a test set's range is kept, one row at a time.
pub fn cover(range: &mut [(Exact, Exact)], row: &[Exact]) {
    for ((lo, hi), v) in range.iter_mut().zip(row) {
        if cmp_exact(v, lo) == Ordering::Less {
            *lo = *v;
        }
        if cmp_exact(v, hi) == Ordering::Greater {
            *hi = *v;
        }
    }
}

/// Append the envelope of `range` widened by `margin` ([`widen`]) in the
/// stored form ([`pack`], feature by feature): the record `Check` reads.
pub fn pack_widened(range: &[(Exact, Exact)], margin: u128, out: &mut impl Extend<u8>) {
    for (lo, hi) in range {
        let (lo, hi) = widen(lo, hi, margin);
        pack(&lo, &hi, out);
    }
}

/// Append one feature's bounds in the stored form.
pub fn pack(lo: &Exact, hi: &Exact, out: &mut impl Extend<u8>) {
    lo.pack(out);
    hi.pack(out);
}

/// `v` as a signed integer count of `10^-scale` (`scale >= v.scale`,
/// `scale <= 19`): exact, since `|v| < 2^63` and `2^63 · 10^19 < 2^127`.
fn scaled(v: &Exact, scale: u8) -> Option<i128> {
    let up = 10i128.checked_pow(u32::from(scale.checked_sub(v.scale)?))?;
    let m = i128::try_from(v.mantissa).ok()?.checked_mul(up)?;
    Some(if v.negative { -m } else { m })
}

/// The [`Exact`] of `n · 10^-scale` (trailing zeros removed: the one
/// representation).
fn from_scaled(n: i128, scale: u8) -> Exact {
    let mut mantissa = n.unsigned_abs();
    let mut scale = scale;
    if mantissa == 0 {
        return Exact::default();
    }
    while scale > 0 && mantissa.is_multiple_of(10) {
        mantissa /= 10;
        scale -= 1;
    }
    Exact {
        negative: n < 0,
        mantissa,
        scale,
    }
}

/// Exact order of two decimals (not of their [`Wide`] roundings).
pub fn cmp_exact(a: &Exact, b: &Exact) -> Ordering {
    let scale = a.scale.max(b.scale).min(FRACTION_DIGITS as u8);
    match (scaled(a, scale), scaled(b, scale)) {
        (Some(x), Some(y)) => x.cmp(&y),
        // Beyond i128 at a common scale (never a valid input): by sign,
        // then by mantissa.
        _ => b.negative.cmp(&a.negative).then_with(|| {
            let m = a.mantissa.cmp(&b.mantissa);
            if a.negative {
                m.reverse()
            } else {
                m
            }
        }),
    }
}

/// The envelope of a feature whose test values span `[min, max]`:
/// `[min - margin · (max - min), max + margin · (max - min)]`, `margin` in
/// units of 10^-18 ([`MARGIN_ONE`] = 1). `lo` is rounded down and `hi` up,
/// at the finer of `min`'s and `max`'s scales, and both are saturated at
/// [`Wide`]'s range (`-2^63` and `2^63 - 1`). `min > max` is taken as
/// `[max, min]`.
pub fn widen(min: &Exact, max: &Exact, margin: u128) -> (Exact, Exact) {
    let (min, max) = if cmp_exact(min, max) == Ordering::Greater {
        (max, min)
    } else {
        (min, max)
    };
    let scale = min.scale.max(max.scale).min(FRACTION_DIGITS as u8);
    // Wide's range at this scale: -2^63 and 2^63 - 1, in units of 10^-scale.
    let unit = 10i128.pow(u32::from(scale));
    let floor = i128::from(i64::MIN) * unit;
    let ceil = i128::from(i64::MAX) * unit;
    let (Some(lo), Some(hi)) = (scaled(min, scale), scaled(max, scale)) else {
        return (from_scaled(floor, scale), from_scaled(ceil, scale));
    };
    let range = hi.abs_diff(lo);
    // w = ceil(range · margin / 10^18), saturating (then clamped below).
    let w = (range / MARGIN_ONE)
        .checked_mul(margin)
        .and_then(|a| {
            let b = ((range % MARGIN_ONE).checked_mul(margin)?).div_ceil(MARGIN_ONE);
            a.checked_add(b)
        })
        .unwrap_or(u128::MAX);
    let w = i128::try_from(w).unwrap_or(i128::MAX);
    let lo = lo.saturating_sub(w).max(floor);
    let hi = hi.saturating_add(w).min(ceil);
    (from_scaled(lo, scale), from_scaled(hi, scale))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decimal;
    use std::string::{String, ToString};
    use std::vec::Vec;

    fn e(s: &str) -> Exact {
        Exact::parse(s).unwrap()
    }

    fn packed(bounds: &[(&str, &str)]) -> Vec<u8> {
        let mut v = Vec::new();
        for (lo, hi) in bounds {
            pack(&e(lo), &e(hi), &mut v);
        }
        v
    }

    #[test]
    fn widening_is_exact_and_outward() {
        let w = |a: &str, b: &str, m: u128| -> (String, String) {
            let (lo, hi) = widen(&e(a), &e(b), m);
            (lo.to_string(), hi.to_string())
        };
        let pct = MARGIN_ONE / 100;
        assert_eq!(w("0", "1000", 5 * pct), ("-50".into(), "1050".into()));
        assert_eq!(w("0", "1000", 0), ("0".into(), "1000".into()));
        // 10% of 15,796,336.06 is 1,579,633.606: rounded outward to the
        // samples' scale (hundredths), 1,579,633.61 on each side.
        assert_eq!(
            w("-15605352.04", "190984.02", 10 * pct),
            ("-17184985.65".into(), "1770617.63".into())
        );
        // At the finer of the two scales: 0.1 x 0.3 = 0.03 rounds out to a
        // tenth; with a hundredth in play it is exact.
        assert_eq!(w("0.1", "0.4", 10 * pct), ("0".into(), "0.5".into()));
        assert_eq!(w("0.10", "0.41", 10 * pct), ("0.06".into(), "0.45".into()));
        // Order of the arguments does not matter; a point stays a point.
        assert_eq!(w("7", "-3", 0), ("-3".into(), "7".into()));
        assert_eq!(w("2.5", "2.5", MARGIN_ONE), ("2.5".into(), "2.5".into()));
        // Saturates at Wide's range.
        let (lo, hi) = widen(&e("-9e18"), &e("9e18"), MARGIN_ONE);
        assert_eq!(lo.to_wide().unwrap(), Wide::from_bits(i128::MIN));
        assert_eq!(hi.to_wide().unwrap(), decimal::from_int(i64::MAX));
        let (lo, hi) = widen(&e("-1"), &e("1"), u128::MAX);
        assert!(lo.to_wide().is_ok() && hi.to_wide().is_ok());
    }

    #[test]
    fn clamp_moves_only_what_is_outside_and_reports_it() {
        let bytes = packed(&[("0", "10"), ("-5.5", "5.5"), ("100", "100")]);
        let env = Envelope::parse(&bytes, 3).unwrap();
        let w = |s: &str| decimal::parse(s).unwrap();
        let mut x = [w("3"), w("-1000000"), w("100")];
        let r = env.clamp(&mut x);
        assert_eq!(x, [w("3"), w("-5.5"), w("100")]);
        assert_eq!((r.count, r.features()), (1, &[1u16][..]));
        let mut x = [w("11"), w("6"), w("99.9999")];
        let r = env.clamp(&mut x);
        assert_eq!(x, [w("10"), w("5.5"), w("100")]);
        assert_eq!((r.count, r.features()), (3, &[0u16, 1, 2][..]));
        let mut x = [w("0"), w("5.5"), w("100")];
        assert_eq!(env.clamp(&mut x).count, 0);
    }

    #[test]
    fn the_report_lists_the_first_few() {
        let bytes = packed(&[("0", "1"); 12]);
        let env = Envelope::parse(&bytes, 12).unwrap();
        let mut x = [Wide::from_num(5); 12];
        let r = env.clamp(&mut x);
        assert_eq!(r.count, 12);
        assert_eq!(r.features(), &[0u16, 1, 2, 3, 4, 5, 6, 7]);
    }

    #[test]
    fn bad_bytes_are_typed_errors() {
        let good = packed(&[("0", "1")]);
        let n = good.len();
        let mut long = good.clone();
        long.push(0x40);
        assert!(Envelope::parse(&good[..n], 1).is_ok());
        assert_eq!(
            Envelope::parse(&good[..n], 2).unwrap_err(),
            EnvelopeError::Bound { feature: 1 }
        );
        assert_eq!(
            Envelope::parse(&long, 1).unwrap_err(),
            EnvelopeError::Trailing
        );
        let reversed = packed(&[("1", "0")]);
        assert_eq!(
            Envelope::parse(&reversed, 1).unwrap_err(),
            EnvelopeError::Bound { feature: 0 }
        );
        assert_eq!(
            Envelope::parse(&good[..n - 1], 1).unwrap_err(),
            EnvelopeError::Bound { feature: 0 }
        );
    }

    #[test]
    fn exact_order() {
        for (a, b, o) in [
            ("1", "1.0", Ordering::Equal),
            ("-0.1", "0", Ordering::Less),
            ("0.1000000000000000001", "0.1", Ordering::Greater),
            ("-15605352.04", "-15605352.039", Ordering::Less),
        ] {
            assert_eq!(cmp_exact(&e(a), &e(b)), o, "{a} {b}");
            assert_eq!(cmp_exact(&e(b), &e(a)), o.reverse(), "{b} {a}");
        }
    }
}
