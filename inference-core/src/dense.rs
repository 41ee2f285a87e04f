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

/// A zero-copy view of one layer, decoded from a validated body.
#[derive(Clone, Copy, Debug)]
pub struct Layer<'a> {
    /// Inputs.
    pub fan_in: usize,
    /// Outputs.
    pub fan_out: usize,
    /// Stored weight type.
    pub weight_kind: WeightKind,
    /// Activation.
    pub activation: Activation,
    /// One scale per output (else one for the layer).
    pub per_channel: bool,
    scales: &'a [u8],
    biases: &'a [u8],
    weights: &'a [u8],
}

impl<'a> Layer<'a> {
    /// Decode the layer at the start of `bytes` with `fan_in` inputs: the
    /// layer and its encoded length, or `None` if a code is unknown or the
    /// bytes are too short. Range rules are [`validate`]'s.
    fn decode(bytes: &'a [u8], fan_in: usize) -> Option<(Layer<'a>, usize)> {
        let header = bytes.get(..LAYER_HEADER_LEN)?;
        let fan_out = usize::from(u16::from_le_bytes([header[0], header[1]]));
        let weight_kind = WeightKind::from_code(header[2])?;
        let activation = Activation::from_code(header[3])?;
        let per_channel = match header[4] {
            0 => false,
            1 => true,
            _ => return None,
        };
        let n_scales = if per_channel { fan_out } else { 1 };
        let scales_at = LAYER_HEADER_LEN;
        let biases_at = scales_at.checked_add(n_scales.checked_mul(SCALE_LEN)?)?;
        let weights_at = biases_at.checked_add(fan_out.checked_mul(4)?)?;
        let end = weights_at.checked_add(
            fan_out
                .checked_mul(fan_in)?
                .checked_mul(weight_kind.size())?,
        )?;
        let layer = Layer {
            fan_in,
            fan_out,
            weight_kind,
            activation,
            per_channel,
            scales: bytes.get(scales_at..biases_at)?,
            biases: bytes.get(biases_at..weights_at)?,
            weights: bytes.get(weights_at..end)?,
        };
        Some((layer, end))
    }

    /// Scale `(mantissa, shift)` for output `j`.
    pub fn scale(&self, j: usize) -> (i32, u8) {
        let at = if self.per_channel { j * SCALE_LEN } else { 0 };
        let shift = self.scales.get(at + 4).copied().unwrap_or(1);
        (le_i32(self.scales, at), shift)
    }

    /// Number of stored scales.
    pub fn n_scales(&self) -> usize {
        self.scales.len() / SCALE_LEN
    }

    /// Bias of output `j`, `I16F16` bits.
    pub fn bias(&self, j: usize) -> i32 {
        le_i32(self.biases, j * 4)
    }

    /// Stored weight `(j, i)` widened to i32.
    pub fn weight(&self, j: usize, i: usize) -> i32 {
        let k = j * self.fan_in + i;
        match self.weight_kind {
            WeightKind::I16 => crate::format::le_u16(self.weights, 2 * k) as i16 as i32,
            WeightKind::I8 => self.weights.get(k).map_or(0, |&b| b as i8 as i32),
        }
    }

    /// Exact dot product of one stored weight row with `x`.
    ///
    /// `|x·w| <= 2^31·2^15` and at most 2^16 terms keep `|acc| < 2^62`
    /// (module docs), so the wrapping operations never wrap.
    #[inline]
    fn dot(&self, row: &[u8], x: &[Act]) -> i64 {
        #[inline(always)]
        fn mac(acc: i64, x: Act, w: i64) -> i64 {
            acc.wrapping_add(i64::from(x.to_bits()).wrapping_mul(w))
        }
        let mut acc: i64 = 0;
        match self.weight_kind {
            WeightKind::I16 => {
                let (w4, w_rest) = row.as_chunks::<8>();
                let (x4, x_rest) = x.as_chunks::<4>();
                for (w, x) in w4.iter().zip(x4) {
                    acc = mac(acc, x[0], i64::from(i16::from_le_bytes([w[0], w[1]])));
                    acc = mac(acc, x[1], i64::from(i16::from_le_bytes([w[2], w[3]])));
                    acc = mac(acc, x[2], i64::from(i16::from_le_bytes([w[4], w[5]])));
                    acc = mac(acc, x[3], i64::from(i16::from_le_bytes([w[6], w[7]])));
                }
                for (w, x) in w_rest.as_chunks::<2>().0.iter().zip(x_rest) {
                    acc = mac(acc, *x, i64::from(i16::from_le_bytes(*w)));
                }
            }
            WeightKind::I8 => {
                // Four at a time: one bounds check per four MACs.
                let (w4, w_rest) = row.as_chunks::<4>();
                let (x4, x_rest) = x.as_chunks::<4>();
                for (w, x) in w4.iter().zip(x4) {
                    acc = mac(acc, x[0], i64::from(w[0] as i8));
                    acc = mac(acc, x[1], i64::from(w[1] as i8));
                    acc = mac(acc, x[2], i64::from(w[2] as i8));
                    acc = mac(acc, x[3], i64::from(w[3] as i8));
                }
                for (&w, x) in w_rest.iter().zip(x_rest) {
                    acc = mac(acc, *x, i64::from(w as i8));
                }
            }
        }
        acc
    }

    /// Pre-activation of output `j` from its weight row, `I16F16` bits.
    #[inline]
    fn pre(&self, j: usize, row: &[u8], x: &[Act]) -> i32 {
        let (m, shift) = self.scale(j);
        let scaled = mul_shift_i128(i128::from(self.dot(row, x)), m, u32::from(shift));
        sat_i32(scaled.saturating_add(i64::from(self.bias(j))))
    }

    fn rows(&self) -> core::slice::ChunksExact<'a, u8> {
        self.weights
            .chunks_exact((self.fan_in * self.weight_kind.size()).max(1))
    }

    /// Compute all outputs with the hidden-layer activation. `x` holds at
    /// least `fan_in` inputs.
    pub(crate) fn forward(&self, x: &[Act], out: &mut [Act]) {
        let x = x.get(..self.fan_in).unwrap_or(x);
        for (j, (o, row)) in out.iter_mut().zip(self.rows()).enumerate() {
            *o = Act::from_bits(activate(self.activation, self.pre(j, row, x)));
        }
    }

    /// The single output of an output layer as a score, `U1F31` bits.
    pub(crate) fn score_bits(&self, x: &[Act]) -> u32 {
        let x = x.get(..self.fan_in).unwrap_or(x);
        let row = self.rows().next().unwrap_or(&[]);
        output_score_bits(self.activation, self.pre(0, row, x))
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

/// The layers of a validated dense body, decoded lazily (no copies, no
/// allocation).
#[derive(Clone, Copy, Debug)]
pub struct Layers<'a> {
    section: &'a [u8],
    count: usize,
    n_features: usize,
    max_width: usize,
}

impl<'a> Layers<'a> {
    /// The layers, input side first.
    pub fn iter(&self) -> impl Iterator<Item = Layer<'a>> + 'a {
        let mut rest = self.section;
        let mut fan_in = self.n_features;
        (0..self.count).map_while(move |_| {
            let (layer, len) = Layer::decode(rest, fan_in)?;
            rest = rest.get(len..)?;
            fan_in = layer.fan_out;
            Some(layer)
        })
    }

    /// Number of layers.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Never true for a validated model.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Widest layer output.
    pub fn max_width(&self) -> usize {
        self.max_width
    }

    /// Multiply-accumulates per inference.
    pub fn macs(&self) -> u64 {
        self.iter().map(|l| (l.fan_in * l.fan_out) as u64).sum()
    }

    /// Stored parameters (weights, biases, scales).
    pub fn params(&self) -> u64 {
        self.iter()
            .map(|l| (l.fan_in * l.fan_out + l.fan_out + l.n_scales()) as u64)
            .sum()
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
    let section_at = r.pos();
    let mut fan_in = n_features;
    let mut max_width = 0;
    let mut last = None;
    for index in 0..usize::from(count) {
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
        r.take(fan_out * 4)?;
        // fan_out, fan_in < 2^16 and size <= 2, but usize may be 32 bits.
        let n_weights =
            (fan_out * fan_in)
                .checked_mul(weight_kind.size())
                .ok_or(FormatError::Truncated {
                    offset: r.pos(),
                    needed: usize::MAX,
                })?;
        r.take(n_weights)?;
        max_width = max_width.max(fan_out);
        last = Some((fan_out, activation));
        fan_in = fan_out;
    }
    if !last.is_some_and(|(w, a)| w == 1 && a.is_output()) {
        return Err(FormatError::BadOutputLayer);
    }
    let layers = Layers {
        section: r.bytes_between(section_at),
        count: usize::from(count),
        n_features,
        max_width,
    };
    Ok(layers)
}

/// Run the layers: `scratch` holds the features in `scratch[..n_features]`
/// and has room for two buffers of `width` (the larger of the feature count
/// and the widest layer). Returns the score bits.
pub(crate) fn run(layers: &Layers<'_>, scratch: &mut [Act], width: usize) -> u32 {
    let (mut a, mut b) = scratch.split_at_mut(width.min(scratch.len()));
    let mut remaining = layers.len();
    for layer in layers.iter() {
        remaining -= 1;
        if remaining == 0 {
            return layer.score_bits(a);
        }
        layer.forward(a, b);
        core::mem::swap(&mut a, &mut b);
    }
    0
}
