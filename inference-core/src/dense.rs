//! Dense layers: linear/logistic regression and MLPs.
//!
//! A layer with inputs `x` (`I16F16` bits), stored weights `q` (`i8` or
//! `i16`), scale `s = m · 2^-shift` (one per layer or one per output) and
//! biases `b` (`I16F16` bits) computes, for each output `j`:
//!
//! ```text
//! acc_j = Σ_i x_i · q_ji                         (exact, i64)
//! pre_j = sat_i32(round(acc_j · m_j / 2^shift_j) + b_j)
//! out_j = activation(pre_j)
//! ```
//!
//! `|x_i| <= 2^31`, `|q| <= 2^15` and at most 65,535 inputs bound `|acc|`
//! by 2^62, and `|acc · m|` by 2^93: no step can overflow.
use crate::format::{le_i32, Activation, Reader, WeightKind, MAX_LAYERS};
use crate::math::{
    hard_sigmoid_q30, hard_tanh_q16, mul_shift_i128, sat_i32, sigmoid_q16, sigmoid_q30, tanh_q16,
    ONE_Q16,
};
use crate::{Act, FormatError};

/// Bytes per stored scale: mantissa `i32` then shift `u8`.
pub const SCALE_LEN: usize = 5;
/// Bytes of a layer's fixed header.
pub const LAYER_HEADER_LEN: usize = 5;

/// A validated, zero-copy view of one layer.
#[derive(Clone, Copy, Debug, Default)]
pub struct Layer<'a> {
    /// Inputs.
    pub fan_in: usize,
    /// Outputs.
    pub fan_out: usize,
    /// Stored weight type.
    pub weight_kind: Option<WeightKind>,
    /// Activation.
    pub activation: Option<Activation>,
    /// One scale per output (else one for the layer).
    pub per_channel: bool,
    scales: &'a [u8],
    biases: &'a [u8],
    weights: &'a [u8],
}

/// The layers of a dense model.
#[derive(Clone, Copy, Debug)]
pub struct Layers<'a> {
    layers: [Layer<'a>; MAX_LAYERS],
    count: usize,
}

impl<'a> Layers<'a> {
    /// The layers, input side first.
    pub fn as_slice(&self) -> &[Layer<'a>] {
        &self.layers[..self.count.min(MAX_LAYERS)]
    }

    /// Widest layer output.
    pub fn max_width(&self) -> usize {
        self.as_slice().iter().map(|l| l.fan_out).max().unwrap_or(0)
    }

    /// Multiply-accumulates per inference.
    pub fn macs(&self) -> u64 {
        self.as_slice()
            .iter()
            .map(|l| (l.fan_in * l.fan_out) as u64)
            .sum()
    }

    /// Stored parameters (weights, biases, scales).
    pub fn params(&self) -> u64 {
        self.as_slice()
            .iter()
            .map(|l| (l.fan_in * l.fan_out + l.fan_out + l.scales.len() / SCALE_LEN) as u64)
            .sum()
    }
}

impl<'a> Layer<'a> {
    /// Scale `(mantissa, shift)` for output `j`.
    pub fn scale(&self, j: usize) -> (i32, u8) {
        let at = if self.per_channel { j * SCALE_LEN } else { 0 };
        let shift = self.scales.get(at + 4).copied().unwrap_or(1);
        (le_i32(self.scales, at), shift)
    }

    /// Bias of output `j`, `I16F16` bits.
    pub fn bias(&self, j: usize) -> i32 {
        le_i32(self.biases, j * 4)
    }

    /// Stored weight `(j, i)` widened to i32.
    pub fn weight(&self, j: usize, i: usize) -> i32 {
        let k = j * self.fan_in + i;
        match self.weight_kind {
            Some(WeightKind::I16) => crate::format::le_u16(self.weights, 2 * k) as i16 as i32,
            _ => self.weights.get(k).map_or(0, |&b| b as i8 as i32),
        }
    }

    /// Exact dot product of output `j`'s weight row with `x`.
    #[inline]
    fn dot(&self, j: usize, x: &[Act]) -> i64 {
        let mut acc: i64 = 0;
        match self.weight_kind {
            Some(WeightKind::I16) => {
                let row = self
                    .weights
                    .get(2 * j * self.fan_in..2 * (j + 1) * self.fan_in);
                for (w, x) in row.unwrap_or(&[]).as_chunks::<2>().0.iter().zip(x) {
                    let w = i64::from(i16::from_le_bytes(*w));
                    // |x·w| <= 2^46 and at most 2^16 terms: no overflow (module docs).
                    acc = acc.wrapping_add(i64::from(x.to_bits()).wrapping_mul(w));
                }
            }
            _ => {
                let row = self.weights.get(j * self.fan_in..(j + 1) * self.fan_in);
                for (&w, x) in row.unwrap_or(&[]).iter().zip(x) {
                    acc = acc.wrapping_add(i64::from(x.to_bits()).wrapping_mul(i64::from(w as i8)));
                }
            }
        }
        acc
    }

    /// Pre-activation of output `j`, `I16F16` bits.
    #[inline]
    fn pre(&self, j: usize, x: &[Act]) -> i32 {
        let (m, shift) = self.scale(j);
        let scaled = mul_shift_i128(i128::from(self.dot(j, x)), m, u32::from(shift));
        sat_i32(scaled.saturating_add(i64::from(self.bias(j))))
    }

    /// Compute all outputs with the hidden-layer activation.
    pub(crate) fn forward(&self, x: &[Act], out: &mut [Act]) {
        let act = self.activation.unwrap_or(Activation::Identity);
        for (j, o) in out.iter_mut().take(self.fan_out).enumerate() {
            *o = Act::from_bits(activate(act, self.pre(j, x)));
        }
    }

    /// The single output of an output layer as a score, `U1F31` bits.
    pub(crate) fn score_bits(&self, x: &[Act]) -> u32 {
        output_score_bits(
            self.activation.unwrap_or(Activation::Identity),
            self.pre(0, x),
        )
    }

    /// Per-input contributions to output 0's pre-activation, `I16F16` bits
    /// (`x_i · w_0i · s`, without the bias).
    pub(crate) fn contributions(&self, x: &[Act], out: &mut [Act]) {
        let (m, shift) = self.scale(0);
        for (i, (o, xi)) in out.iter_mut().zip(x).enumerate() {
            let term = i64::from(xi.to_bits()) * i64::from(self.weight(0, i));
            *o = Act::from_bits(sat_i32(mul_shift_i128(
                i128::from(term),
                m,
                u32::from(shift),
            )));
        }
    }
}

/// A hidden activation on `I16F16` bits.
pub fn activate(act: Activation, x: i32) -> i32 {
    match act {
        Activation::Identity => x,
        Activation::Relu => x.max(0),
        Activation::Sigmoid => sigmoid_q16(x),
        Activation::Tanh => tanh_q16(x),
        Activation::HardSigmoid => ((hard_sigmoid_q30(x) + (1 << 13)) >> 14) as i32,
        Activation::HardTanh => hard_tanh_q16(x),
    }
}

/// An output activation on `I16F16` bits, as `U1F31` score bits in
/// `[0, 2^31]`.
pub fn output_score_bits(act: Activation, x: i32) -> u32 {
    match act {
        Activation::Sigmoid => (sigmoid_q30(x) << 1) as u32,
        Activation::HardSigmoid => (hard_sigmoid_q30(x) << 1) as u32,
        // Identity (the only other output activation): clamp to [0, 1].
        _ => (x.clamp(0, ONE_Q16) as u32) << 15,
    }
}

/// Validate the dense body for `n_features` inputs. `linear` demands one
/// layer.
pub(crate) fn validate<'a>(
    r: &mut Reader<'a>,
    n_features: usize,
    linear: bool,
) -> Result<Layers<'a>, FormatError> {
    let count = r.u8()?;
    if count == 0 || usize::from(count) > MAX_LAYERS || (linear && count != 1) {
        return Err(FormatError::LayerCount(count));
    }
    let mut layers = [Layer::default(); MAX_LAYERS];
    let mut fan_in = n_features;
    for (index, slot) in layers.iter_mut().take(usize::from(count)).enumerate() {
        let fan_out = usize::from(r.u16()?);
        if fan_out == 0 {
            return Err(FormatError::ZeroWidth { layer: index });
        }
        let weight_kind = WeightKind::from_code(r.u8()?)
            .ok_or(FormatError::UnknownWeightKind { layer: index })?;
        let activation = Activation::from_code(r.u8()?)
            .ok_or(FormatError::UnknownActivation { layer: index })?;
        let per_channel = match r.u8()? {
            0 => false,
            1 if fan_out > 1 => true,
            _ => return Err(FormatError::BadScaleMode { layer: index }),
        };
        let n_scales = if per_channel { fan_out } else { 1 };
        let scales_at = r.pos();
        let scales = r.take(n_scales * SCALE_LEN)?;
        for (k, s) in scales.as_chunks::<SCALE_LEN>().0.iter().enumerate() {
            if s[4] == 0 || s[4] > crate::format::MAX_LAYER_SHIFT {
                return Err(FormatError::ShiftOutOfRange {
                    offset: scales_at + k * SCALE_LEN + 4,
                });
            }
        }
        let biases = r.take(fan_out * 4)?;
        // fan_out, fan_in < 2^16 and size <= 2, but usize may be 32 bits.
        let n_weights =
            (fan_out * fan_in)
                .checked_mul(weight_kind.size())
                .ok_or(FormatError::Truncated {
                    offset: r.pos(),
                    needed: usize::MAX,
                })?;
        let weights = r.take(n_weights)?;
        *slot = Layer {
            fan_in,
            fan_out,
            weight_kind: Some(weight_kind),
            activation: Some(activation),
            per_channel,
            scales,
            biases,
            weights,
        };
        fan_in = fan_out;
    }
    let last = &layers[usize::from(count) - 1];
    if last.fan_out != 1 || !last.activation.is_some_and(Activation::is_output) {
        return Err(FormatError::BadOutputLayer);
    }
    Ok(Layers {
        layers,
        count: usize::from(count),
    })
}

/// Run the layers: `scratch` holds the features in `scratch[..n_features]`
/// and has room for two buffers of `width` (the larger of the feature count
/// and the widest layer). Returns the score bits.
pub(crate) fn run(layers: &Layers<'_>, scratch: &mut [Act], width: usize) -> u32 {
    let (mut a, mut b) = scratch.split_at_mut(width.min(scratch.len()));
    let all = layers.as_slice();
    let Some((last, hidden)) = all.split_last() else {
        return 0;
    };
    for layer in hidden {
        layer.forward(a, b);
        core::mem::swap(&mut a, &mut b);
    }
    last.score_bits(a)
}
