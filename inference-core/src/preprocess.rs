//! Per-feature preprocessing inside the model: clip, signed `log1p`, affine
//! standardisation, from a raw [`Wide`] input to an [`Act`] feature.
//!
//! For one feature with transform `t` and raw input `x`:
//!
//! ```text
//! y = clamp(x, t.clip_lo, t.clip_hi)            (each bound optional)
//! y = sign(y) · ln(1 + |y|)        if t.log1p   (Q30 precision, then Q64)
//! z = sat_i32(round(y_bits · t.scale / 2^(48 + t.shift)) + t.offset)
//! ```
//!
//! `y_bits` is `y` as `I64F64` bits, so `z` is `I16F16` bits of
//! `y · scale · 2^-shift + offset/2^16`. A standardiser `(y - mean) / std`
//! is encoded as `scale · 2^-shift ≈ 1/std` and `offset = -mean/std · 2^16`.
use crate::cost::OpCoefficients;
use crate::format::{Reader, CLIP_HI, CLIP_LO, LOG1P, MAX_FEATURE_SHIFT};
use crate::math::{ln1p_q64_to_q30, mul_shift_i128, sat_i32};
use crate::{Act, FormatError, Wide};

/// One feature's transform, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeatureTransform {
    /// Lower clip bound.
    pub clip_lo: Option<Wide>,
    /// Upper clip bound.
    pub clip_hi: Option<Wide>,
    /// Apply signed `log1p` after clipping.
    pub log1p: bool,
    /// Scale mantissa.
    pub scale: i32,
    /// Scale exponent: the scale is `scale · 2^-shift`, `shift <= 63`.
    pub shift: u8,
    /// Offset added after scaling, `I16F16` bits.
    pub offset: i32,
}

impl FeatureTransform {
    /// The transform that passes a value through unchanged (saturating to
    /// the `I16F16` range).
    pub const IDENTITY: FeatureTransform = FeatureTransform {
        clip_lo: None,
        clip_hi: None,
        log1p: false,
        scale: 1,
        shift: 0,
        offset: 0,
    };

    /// Stored size in bytes.
    pub fn encoded_len(&self) -> usize {
        10 + 16 * (usize::from(self.clip_lo.is_some()) + usize::from(self.clip_hi.is_some()))
    }

    /// Decode the record at the start of `bytes`: the transform and its
    /// length, or `None` if a flag bit is unknown or the bytes are too
    /// short. The one decoder of the layout; range rules are in
    /// [`read`](Self::read).
    #[inline]
    pub fn decode(bytes: &[u8]) -> Option<(FeatureTransform, usize)> {
        let head: &[u8; 10] = bytes.first_chunk()?;
        let flags = head[0];
        if flags & !(CLIP_LO | CLIP_HI | LOG1P) != 0 {
            return None;
        }
        let mut len = 10;
        let mut bound = |present: bool| -> Option<Option<Wide>> {
            if !present {
                return Some(None);
            }
            let b: &[u8; 16] = bytes.get(len..)?.first_chunk()?;
            len += 16;
            Some(Some(Wide::from_bits(i128::from_le_bytes(*b))))
        };
        let clip_lo = bound(flags & CLIP_LO != 0)?;
        let clip_hi = bound(flags & CLIP_HI != 0)?;
        let t = FeatureTransform {
            clip_lo,
            clip_hi,
            log1p: flags & LOG1P != 0,
            scale: i32::from_le_bytes([head[2], head[3], head[4], head[5]]),
            shift: head[1],
            offset: i32::from_le_bytes([head[6], head[7], head[8], head[9]]),
        };
        Some((t, len))
    }

    /// Read and validate one record.
    pub(crate) fn read(r: &mut Reader<'_>, feature: usize) -> Result<Self, FormatError> {
        let at = r.pos();
        let (t, len) = match Self::decode(r.rest()) {
            Some(decoded) => decoded,
            None => {
                // Say why: an unknown flag, or the first field that is cut.
                let flags = r.u8()?;
                if flags & !(CLIP_LO | CLIP_HI | LOG1P) != 0 {
                    return Err(FormatError::ReservedNonZero { offset: at });
                }
                r.take(9)?; // shift, scale, offset
                for present in [flags & CLIP_LO != 0, flags & CLIP_HI != 0] {
                    if present {
                        r.take(16)?;
                    }
                }
                return Err(FormatError::Truncated {
                    offset: at,
                    needed: 10,
                });
            }
        };
        if t.shift > MAX_FEATURE_SHIFT {
            return Err(FormatError::ShiftOutOfRange { offset: at + 1 });
        }
        if let (Some(lo), Some(hi)) = (t.clip_lo, t.clip_hi) {
            if lo > hi {
                return Err(FormatError::ClipOrder { feature });
            }
        }
        r.take(len)?;
        Ok(t)
    }

    /// Append the stored form.
    #[cfg(feature = "alloc")]
    pub(crate) fn write(&self, out: &mut alloc::vec::Vec<u8>) {
        let flags = if self.clip_lo.is_some() { CLIP_LO } else { 0 }
            | if self.clip_hi.is_some() { CLIP_HI } else { 0 }
            | if self.log1p { LOG1P } else { 0 };
        out.push(flags);
        out.push(self.shift);
        out.extend_from_slice(&self.scale.to_le_bytes());
        out.extend_from_slice(&self.offset.to_le_bytes());
        for b in [self.clip_lo, self.clip_hi].into_iter().flatten() {
            out.extend_from_slice(&b.to_bits().to_le_bytes());
        }
    }

    /// Clip and `log1p` only: the value the affine step scales.
    pub fn transform_wide(&self, x: Wide) -> Wide {
        let mut y = x;
        if let Some(lo) = self.clip_lo {
            y = y.max(lo);
        }
        if let Some(hi) = self.clip_hi {
            y = y.min(hi);
        }
        if self.log1p {
            let bits = y.to_bits();
            let ln = i128::from(ln1p_q64_to_q30(bits.unsigned_abs())) << 34; // Q30 -> Q64
            y = Wide::from_bits(if bits < 0 { -ln } else { ln });
        }
        y
    }

    /// The whole transform: raw input to feature.
    pub fn apply(&self, x: Wide) -> Act {
        let y = self.transform_wide(x);
        let scaled = mul_shift_i128(y.to_bits(), self.scale, 48 + u32::from(self.shift));
        Act::from_bits(sat_i32(scaled.saturating_add(i64::from(self.offset))))
    }

    /// This feature's part of the bound on a parse and one inference, with
    /// coefficients `k` ([`OpCoefficients`]), mirroring `read`
    /// and [`apply`](Self::apply): its record decoded and validated at
    /// parse and decoded again at inference, each clip bound, `log1p` with
    /// all its squarings, and the affine step on its dearest path (the
    /// dearer one when its shift, `48 + shift`, is below 64).
    pub fn cost(&self, k: &OpCoefficients) -> u64 {
        let mut ops = k.per_feature;
        ops += k.per_clip * (u64::from(self.clip_lo.is_some()) + u64::from(self.clip_hi.is_some()));
        if self.shift < 64 - 48 {
            ops += k.per_short_shift;
        }
        if self.log1p {
            ops += k.per_log1p;
        }
        ops
    }
}

/// Validate `n` records starting at the reader's position.
pub(crate) fn validate(r: &mut Reader<'_>, n: usize) -> Result<(), FormatError> {
    for feature in 0..n {
        FeatureTransform::read(r, feature)?;
    }
    Ok(())
}

/// Apply the validated records in `section` to `inputs`, writing `out`.
/// `inputs` and `out` have the model's feature count.
pub(crate) fn apply_all(section: &[u8], inputs: &[Wide], out: &mut [Act]) {
    let mut rest = section;
    for (x, z) in inputs.iter().zip(out.iter_mut()) {
        // Validated at parse: decoding cannot fail here.
        let (t, len) = FeatureTransform::decode(rest).unwrap_or((FeatureTransform::IDENTITY, 0));
        rest = rest.get(len..).unwrap_or(&[]);
        *z = t.apply(*x);
    }
}

/// Iterate the transforms of a validated section.
pub(crate) fn iter(section: &[u8], n: usize) -> impl Iterator<Item = FeatureTransform> + '_ {
    let mut rest = section;
    (0..n).map_while(move |_| {
        let (t, len) = FeatureTransform::decode(rest)?;
        rest = rest.get(len..)?;
        Some(t)
    })
}
