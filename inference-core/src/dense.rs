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
use crate::cost::OpCoefficients;
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

    /// Bytes of one stored weight row.
    fn row_len(&self) -> usize {
        self.fan_in * self.weight_kind.size()
    }

    /// Pre-activation of output `j` from its exact sum, `I16F16` bits.
    #[inline]
    fn pre(&self, j: usize, acc: i64) -> i32 {
        let (m, shift) = self.scale(j);
        let scaled = mul_shift_i128(i128::from(acc), m, u32::from(shift));
        sat_i32(scaled.saturating_add(i64::from(self.bias(j))))
    }

    /// Compute all outputs with the hidden-layer activation. `x` holds at
    /// least `fan_in` inputs.
    ///
    /// Outputs are taken [`CHUNK`] at a time, their exact sums in a stack
    /// array; see [`dot_rows`] for the order of work.
    pub(crate) fn forward(&self, x: &[Act], out: &mut [Act], acc: &mut [i64; CHUNK]) {
        let x = x.get(..self.fan_in).unwrap_or(x);
        // Exactly `fan_out` outputs: `out` may be wider (the scratch is
        // sized for the widest layer), and rows past `fan_out` would only
        // compute values no one reads.
        let n_out = self.fan_out.min(out.len());
        let out = &mut out[..n_out];
        let rows = self.weights.chunks(CHUNK * self.row_len().max(1));
        let mut j = 0;
        for (w, out) in rows.zip(out.chunks_mut(CHUNK)) {
            let acc = acc.get_mut(..out.len()).unwrap_or(&mut []);
            match self.weight_kind {
                WeightKind::I8 => dot_rows::<1, BLOCK>(w, x, acc, dot_i8, block_i8),
                WeightKind::I16 => dot_rows::<2, { 2 * BLOCK }>(w, x, acc, dot_i16, block_i16),
            }
            for (o, &a) in out.iter_mut().zip(acc.iter()) {
                *o = Act::from_bits(activate(self.activation, self.pre(j, a)));
                j += 1;
            }
        }
    }

    /// The single output of an output layer as a score, `U1F31` bits.
    pub(crate) fn score_bits(&self, x: &[Act]) -> u32 {
        let x = x.get(..self.fan_in).unwrap_or(x);
        let row = self.weights.get(..self.row_len()).unwrap_or(&[]);
        let acc = match self.weight_kind {
            WeightKind::I8 => dot_i8(row, x),
            WeightKind::I16 => dot_i16(row, x),
        };
        output_score_bits(self.activation, self.pre(0, acc))
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

impl Layer<'_> {
    /// This layer's part of the bound on a parse and one inference
    /// ([`Layers::cost`]), with coefficients `k`: its scales (each checked
    /// at parse and found at inference, every requantisation whose shift is
    /// below 64 on the dearer path), an activation per output, and then
    /// either the output layer's single-row dot product (`score_bits`,
    /// `output`) or the blocked kernel of a hidden layer (`dot_rows`): the
    /// layer's setup, per [`CHUNK`] of rows its setup and its [`BLOCK`]s of
    /// inputs loaded, per row its requantisation, whole blocks and the
    /// tail's groups of eight and single multiply-accumulates.
    pub fn cost(&self, k: &OpCoefficients, output: bool) -> u64 {
        let (per_block, per_dot8) = match self.weight_kind {
            WeightKind::I16 => (k.per_block_i16, k.per_dot8_i16),
            WeightKind::I8 => (k.per_block_i8, k.per_dot8_i8),
        };
        let (fan_in, fan_out) = (self.fan_in as u64, self.fan_out as u64);
        let dot = |n: u64| (n / 8) * per_dot8 + (n % 8) * k.per_dot1;
        let short = (0..self.n_scales())
            .filter(|&j| self.scale(j).1 < 64)
            .count() as u64;
        let short_rows = if self.per_channel {
            short
        } else {
            short * fan_out
        };
        let mut ops = self.n_scales() as u64 * k.per_scale
            + short_rows * k.per_short_shift
            + fan_out * k.per_activation[self.activation as usize];
        if output {
            // One row, single-row kernel.
            ops += dot(fan_in);
        } else {
            let blocks = fan_in / BLOCK as u64;
            let chunks = fan_out.div_ceil(CHUNK as u64);
            ops += k.per_layer
                + chunks * (k.per_chunk + blocks * k.per_chunk_block)
                + fan_out * (k.per_row + blocks * per_block + dot(fan_in % BLOCK as u64));
        }
        ops
    }
}

impl Layers<'_> {
    /// The dense body's part of the bound on a parse and one inference,
    /// with coefficients `k` ([`OpCoefficients`]): the fixed cost of a call
    /// on a dense model (`dense_call`) and each layer's
    /// ([`Layer::cost`]; the last is the output layer). The features'
    /// preprocessing is [`crate::preprocess`]'s.
    pub fn cost(&self, k: &OpCoefficients) -> u64 {
        let mut hidden = self.len();
        let mut ops = k.dense_call;
        for l in self.iter() {
            hidden -= 1;
            ops += l.cost(k, hidden == 0);
        }
        ops
    }
}

/// Inputs per block of the blocked kernel ([`dot_rows`]).
pub const BLOCK: usize = 64;
/// Outputs per chunk of the blocked kernel: their exact sums wait in a
/// stack array of this many `i64` (512 bytes).
pub const CHUNK: usize = 64;

// The kernels below are written for the wasm operation count (wasmtime fuel,
// i.e. what a CosmWasm chain charges), and read best with the wasm in mind.
//
// One multiply-accumulate of a block in [`dot_rows`] compiles to five
// operations, `local.get x_k; local.get w; i64.load8_s offset=k; i64.mul;
// i64.add` (`i64.load16_s offset=2k` for `i16`), with the running sum on the
// value stack: the block's 32 inputs sit in wasm locals, loaded once per
// block for up to [`CHUNK`] rows, and the shipped build's `wasm-opt
// --low-memory-unused` folds the constant offsets into the loads. Around
// that, each (row, block) pair costs about 20 operations (the row's partial
// sum loaded and stored, the weight slice advanced and checked, the loop),
// so a large layer runs at 5 + 20/32 plus its per-chunk input loads.
//
// Five per MAC is the floor of any kernel that multiplies each stored weight
// by a 32-bit activation, whatever the unrolling: every product needs its
// weight loaded (an address and a load), the activation (at least a
// `local.get`), the multiply and the add into a sum, and wasm has no dup,
// fused multiply-add or addressing mode beyond a constant offset. Going
// below five needs more than one product per `i64.mul` (SIMD is not allowed
// on chain): two weights per multiply is impossible in this format, where a
// weight is 8 or 16 bits wide and an activation up to 32 (a product of up to
// 47 bits, so two do not fit 64 bits, and the weights of neighbouring rows
// are `fan_in` bytes apart, not adjacent). A layout that stored weights
// pre-split and interleaved for lane-packed products would be a format
// change (a new version, FORMAT.md section 9).
//
// The sums are exact: wrapping `i64` arithmetic never wraps (`|acc| < 2^62`,
// module docs), so any order of summation gives the same bits.

/// Writes `acc[r]`, the exact sum of weight row `r` of `w` (rows stored back
/// to back, `WS` bytes per weight, `BW = BLOCK · WS` bytes per block) with
/// `x` (exactly `fan_in` inputs), for every `r < acc.len() <= CHUNK`.
///
/// First, row by row, the inputs past the last whole block ([`dot_i8`]:
/// this also initialises every sum); then block by block: the block's inputs
/// into locals, and for each row the block's products added to its sum.
#[inline(always)]
fn dot_rows<const WS: usize, const BW: usize>(
    w: &[u8],
    x: &[Act],
    acc: &mut [i64],
    dot: impl Fn(&[u8], &[Act]) -> i64,
    block: impl Fn(&[i64; BLOCK], &[u8; BW]) -> i64,
) {
    let row_len = x.len().wrapping_mul(WS);
    let (blocks, tail) = x.as_chunks::<BLOCK>();
    let tail_len = tail.len().wrapping_mul(WS);
    let mut at = blocks.len().wrapping_mul(BW);
    for a in acc.iter_mut() {
        *a = w
            .get(at..at.wrapping_add(tail_len))
            .map_or(0, |row_tail| dot(row_tail, tail));
        at = at.wrapping_add(row_len);
    }
    // Every block at offset `at <= last` is in bounds.
    let Some(last) = w.len().checked_sub(BW) else {
        return;
    };
    for (b, xb) in blocks.iter().enumerate() {
        let xs = widen(xb);
        let mut at = b.wrapping_mul(BW);
        for a in acc.iter_mut() {
            if at > last {
                break;
            }
            let Some(wb) = w.get(at..).and_then(|r| r.first_chunk::<BW>()) else {
                break;
            };
            *a = a.wrapping_add(block(&xs, wb));
            at = at.wrapping_add(row_len);
        }
    }
}

/// `Σ_k t(k)` over the listed `k`, wrapping (exact: see [`dot_rows`]), as
/// one chain of adds (the running sum stays on the wasm value stack).
macro_rules! sum_of {
    ($t:ident; $first:literal $($k:literal)*) => {{
        let mut s: i64 = $t($first);
        $(s = s.wrapping_add($t($k));)*
        s
    }};
}

const _: () = assert!(BLOCK == 64, "the unrolled kernels list 64 indices");

/// A block of inputs widened to `i64`, one local each once inlined.
#[inline(always)]
fn widen(x: &[Act; BLOCK]) -> [i64; BLOCK] {
    macro_rules! widen_all {
        ($($k:literal)*) => { [$(i64::from(x[$k].to_bits())),*] };
    }
    widen_all!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63)
}

/// One block of `i8` weights: 32 products summed.
#[inline(always)]
fn block_i8(x: &[i64; BLOCK], w: &[u8; BLOCK]) -> i64 {
    let t = |k: usize| x[k].wrapping_mul(i64::from(w[k] as i8));
    sum_of!(t; 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63)
}

/// One block of `i16` weights (little-endian pairs): 32 products summed.
#[inline(always)]
fn block_i16(x: &[i64; BLOCK], w: &[u8; 2 * BLOCK]) -> i64 {
    let t = |k: usize| x[k].wrapping_mul(i64::from(i16::from_le_bytes([w[2 * k], w[2 * k + 1]])));
    sum_of!(t; 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63)
}

/// Exact dot product of `i8` weights `w` with `x` (`w.len() == x.len()`),
/// eight at a time with the sum on the value stack.
#[inline]
fn dot_i8(w: &[u8], x: &[Act]) -> i64 {
    let (w8, w_rest) = w.as_chunks::<8>();
    let (x8, x_rest) = x.as_chunks::<8>();
    let mut acc: i64 = 0;
    for (w, x) in w8.iter().zip(x8) {
        let t = |k: usize| i64::from(x[k].to_bits()).wrapping_mul(i64::from(w[k] as i8));
        acc = acc.wrapping_add(sum_of!(t; 0 1 2 3 4 5 6 7));
    }
    for (&w, x) in w_rest.iter().zip(x_rest) {
        acc = acc.wrapping_add(i64::from(x.to_bits()).wrapping_mul(i64::from(w as i8)));
    }
    acc
}

/// Exact dot product of `i16` weights `w` (little-endian pairs,
/// `w.len() == 2 · x.len()`) with `x`, eight at a time.
#[inline]
fn dot_i16(w: &[u8], x: &[Act]) -> i64 {
    let (w8, w_rest) = w.as_chunks::<16>();
    let (x8, x_rest) = x.as_chunks::<8>();
    let mut acc: i64 = 0;
    for (w, x) in w8.iter().zip(x8) {
        let t = |k: usize| {
            i64::from(x[k].to_bits())
                .wrapping_mul(i64::from(i16::from_le_bytes([w[2 * k], w[2 * k + 1]])))
        };
        acc = acc.wrapping_add(sum_of!(t; 0 1 2 3 4 5 6 7));
    }
    for (w, x) in w_rest.as_chunks::<2>().0.iter().zip(x_rest) {
        acc = acc
            .wrapping_add(i64::from(x.to_bits()).wrapping_mul(i64::from(i16::from_le_bytes(*w))));
    }
    acc
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
    // The hidden layers' exact sums, one chunk at a time. Filled with an
    // opaque zero so that it compiles to a loop of 64 stores, not a memset
    // (which the contract's bulk-memory lowering would turn into a far
    // dearer byte loop); every sum is written before it is read.
    let mut acc = [core::hint::black_box(0i64); CHUNK];
    let mut remaining = layers.len();
    for layer in layers.iter() {
        remaining -= 1;
        if remaining == 0 {
            return layer.score_bits(a);
        }
        layer.forward(a, b, &mut acc);
        core::mem::swap(&mut a, &mut b);
    }
    0
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::model::Body;
    use crate::preprocess::FeatureTransform;
    use crate::spec::{BodySpec, LayerSpec, ModelSpec, Weights};
    use crate::{Model, Score};
    use proptest::prelude::*;
    use std::vec::Vec;

    /// The layer's pre-activations by the definition (module docs), one
    /// plain `i128` sum per output.
    fn naive_pre(l: &Layer<'_>, x: &[Act]) -> Vec<i32> {
        (0..l.fan_out)
            .map(|j| {
                let acc: i128 = (0..l.fan_in)
                    .map(|i| i128::from(x[i].to_bits()) * i128::from(l.weight(j, i)))
                    .sum();
                let (m, shift) = l.scale(j);
                let scaled = mul_shift_i128(acc, m, u32::from(shift));
                sat_i32(scaled.saturating_add(i64::from(l.bias(j))))
            })
            .collect()
    }

    fn model(fan_in: usize, fan_out: usize, wide: bool, seed: u64, shift: u8) -> Vec<u8> {
        let mut s = seed | 1;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let mut weights = |n: usize| {
            if wide {
                Weights::I16((0..n).map(|_| next() as i16).collect())
            } else {
                Weights::I8((0..n).map(|_| next() as i8).collect())
            }
        };
        let hidden = LayerSpec {
            weights: weights(fan_in * fan_out),
            scales: (0..fan_out)
                .map(|j| ((j as i32 * 7919) - 100_000, shift))
                .collect(),
            biases: (0..fan_out).map(|j| (j as i32) << 12).collect(),
            activation: Activation::Identity,
        };
        let output = LayerSpec {
            weights: weights(fan_out),
            scales: std::vec![(12_345, shift)],
            biases: std::vec![-7],
            activation: Activation::Identity,
        };
        let per_channel = fan_out > 1;
        let hidden = if per_channel {
            hidden
        } else {
            LayerSpec {
                scales: std::vec![hidden.scales[0]],
                ..hidden
            }
        };
        ModelSpec {
            threshold: Score::from_bits(1 << 30),
            features: std::vec![FeatureTransform::IDENTITY; fan_in],
            body: BodySpec::Mlp(std::vec![hidden, output]),
        }
        .to_bytes()
        .expect("valid spec")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// The blocked kernel ([`dot_rows`], in [`Layer::forward`]) and the
        /// single-row one ([`Layer::score_bits`]) compute exactly the
        /// definition, across block and chunk boundaries, for activations
        /// anywhere in the `I16F16` range.
        #[test]
        fn kernels_match_the_definition(
            fan_in in 1usize..=200,
            fan_out in 1usize..=150,
            wide: bool,
            seed: u64,
            shift in 1u8..=40,
            extreme in 0u32..3,
        ) {
            let bytes = model(fan_in, fan_out, wide, seed, shift);
            let m = Model::parse(&bytes).unwrap();
            let Body::Dense(layers) = m.body() else { unreachable!() };
            let mut it = layers.iter();
            let (hidden, output) = (it.next().unwrap(), it.next().unwrap());
            let mut r = seed.rotate_left(17) | 1;
            let x: Vec<Act> = (0..fan_in)
                .map(|i| {
                    r = r.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    let v = (r >> 32) as i32;
                    Act::from_bits(match extreme {
                        0 => v,
                        1 => if i % 2 == 0 { i32::MAX } else { i32::MIN },
                        _ => v >> 12,
                    })
                })
                .collect();
            let mut out = std::vec![Act::ZERO; fan_out];
            hidden.forward(&x, &mut out, &mut [0; CHUNK]);
            let got: Vec<i32> = out.iter().map(|a| a.to_bits()).collect();
            prop_assert_eq!(&got, &naive_pre(&hidden, &x));
            let pre = naive_pre(&output, &out)[0];
            prop_assert_eq!(output.score_bits(&out), output_score_bits(Activation::Identity, pre));
        }
    }
}
