//! What normal looks like: a protected contract's baseline for one action
//! kind, learned on chain from its observed actions, and the features
//! derived from it ([`Baseline::derive`]) that a model scores beside the
//! caller's own.
//!
//! Everything is integer arithmetic (the same bits on every target), in
//! fixed point where a fraction is needed (`Q16`: 16 fractional bits).
//!
//! ## Windows
//! Time is cut into windows of [`Params::window_blocks`] blocks. Within the
//! current window the record sums what it sees (calls, outflow, distinct
//! callers, the log-values and the prices); when a later window begins
//! the sums are folded into the exponentially weighted baselines, once per
//! window, and empty windows in between fold as windows with no calls (at
//! most [`MAX_EMPTY_FOLDS`] of them: bounded work).
//!
//! ## Bounded adaptation
//! A baseline moves only when a window closes, by at most `alpha`
//! (`2^-alpha_shift`) of the way to the window's value, and after the
//! warm-up it may *rise* (become more permissive) by at most
//! [`Params::max_rise`] per window: a share of its value for the rates and
//! outflow, that many `log2` units for the mean log-value, and either way for
//! the price's moving average. An attacker who spreads many small steps
//! over many calls moves it no faster than the governed rate, because calls
//! do not move it at all; only windows do.
//!
//! ## Warm-up
//! Until [`Params::warmup_windows`] windows have closed the baselines are a
//! plain running average (no rise limit) and are not trusted: the derived
//! features that compare with them read neutral (z = 0, ratios 1,
//! deviation 0). The window's outflow share of total value needs no
//! baseline and is always live.

/// Features [`Baseline::derive`] appends to the caller's.
pub const DERIVED_FEATURES: usize = 7;

/// Their names, in order (the CLI's column names, the browser's labels).
pub const DERIVED_NAMES: [&str; DERIVED_FEATURES] = [
    "value_z",
    "window_outflow_share",
    "outflow_ratio",
    "call_rate_ratio",
    "caller_ratio",
    "price_deviation",
    "recent_outflow_ratio",
];

/// 1.0 in `Q16`.
pub const ONE: i64 = 1 << 16;

/// Empty windows folded at most between two observed ones (after 64 empty
/// windows at `alpha >= 1/16` a rate baseline keeps under 2% of its value).
pub const MAX_EMPTY_FOLDS: u64 = 64;

/// The least variance of the log-value (`Q32`, log2 units squared): a
/// standard deviation of 1/16 of a doubling, so identical values do not
/// make every other value infinitely unusual.
pub const VAR_FLOOR: u64 = 1 << 24;

/// Bounds of the derived features (`Q16`): a z-score within ±64, ratios
/// at most 1024, shares and deviations at most 4.
pub const Z_LIMIT: i64 = 64 * ONE;
/// See [`Z_LIMIT`].
pub const RATIO_LIMIT: i64 = 1024 * ONE;
/// See [`Z_LIMIT`].
pub const SHARE_LIMIT: i64 = 4 * ONE;

/// How a baseline learns (governed per protected contract).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// Blocks per window (at least 1).
    pub window_blocks: u64,
    /// `alpha = 2^-alpha_shift` (1 to 16).
    pub alpha_shift: u8,
    /// The most a baseline may rise per window after the warm-up, `Q16`
    /// (e.g. `ONE / 8`: 12.5% of a rate, or 1/8 of a doubling of the mean
    /// value).
    pub max_rise: u32,
    /// Windows closed before the baselines are trusted.
    pub warmup_windows: u32,
}

/// Why [`Params`] are refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamError {
    /// `window_blocks` is 0.
    ZeroWindow,
    /// `alpha_shift` is not in 1..=16.
    AlphaShift,
    /// `max_rise` is 0 (nothing could ever rise) or above 1.0.
    MaxRise,
}

impl Params {
    /// The checks [`Baseline`] relies on.
    pub fn validate(&self) -> Result<(), ParamError> {
        if self.window_blocks == 0 {
            return Err(ParamError::ZeroWindow);
        }
        if !(1..=16).contains(&self.alpha_shift) {
            return Err(ParamError::AlphaShift);
        }
        if self.max_rise == 0 || self.max_rise as i64 > ONE {
            return Err(ParamError::MaxRise);
        }
        Ok(())
    }

    /// The window a block height falls in.
    pub fn window_of(&self, height: u64) -> u64 {
        height / self.window_blocks.max(1)
    }
}

/// One action as the protected contract reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Action {
    /// Block height.
    pub height: u64,
    /// Value at risk (leaving the protocol), in the contract's declared unit.
    pub value: u128,
    /// The protocol's total value, same unit.
    pub total_value: u128,
    /// The price the action used (0: none).
    pub price: u128,
    /// [`caller_hash`] of the caller's address.
    pub caller: u64,
}

/// FNV-1a (64-bit) of an address: which of the 128 bits of the window's
/// caller set it sets. Not a defence against chosen addresses (an attacker
/// can grind addresses that share a bit, and so look like fewer callers);
/// only an estimate of how many distinct callers a window had.
pub fn caller_hash(address: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in address {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// `log2(1 + v)` in `Q16`: integer part by normalisation, 16 fractional bits
/// by repeated squaring (exact to the last bit: no rounding step).
pub fn log2_q16(v: u128) -> i64 {
    let x = v.saturating_add(1);
    let int = 127 - x.leading_zeros() as i64;
    // Mantissa in [1, 2) as Q62.
    let mut m: u128 = if int >= 62 {
        x >> (int - 62)
    } else {
        x << (62 - int)
    };
    let mut frac: i64 = 0;
    for bit in (0..16).rev() {
        m = (m * m) >> 62;
        if m >= 2u128 << 62 {
            m >>= 1;
            frac |= 1 << bit;
        }
    }
    (int << 16) | frac
}

/// `⌊√v⌋` (integer Newton iteration).
pub fn isqrt(v: u128) -> u128 {
    if v < 2 {
        return v;
    }
    let mut x = 1u128 << ((128 - v.leading_zeros()).div_ceil(2));
    loop {
        let y = (x + v / x) / 2;
        if y >= x {
            return x;
        }
        x = y;
    }
}

/// A protected contract's baseline for one action kind: the current
/// window's sums and the folded baselines.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Baseline {
    /// The current window.
    pub window: u64,
    /// Calls recorded in it.
    pub calls: u32,
    /// Outflow in it.
    pub outflow: u128,
    /// Its callers (bit `caller_hash % 128`).
    pub callers: u128,
    /// Sum of its calls' `log2_q16(value)`.
    pub sum_log: i64,
    /// Sum of their squared deviations from `mean_log` (`Q32`).
    pub sum_sq_dev: u128,
    /// Sum of its calls' prices, and how many had one.
    pub price_sum: u128,
    /// See `price_sum`.
    pub priced: u32,
    /// Baseline: mean `log2(1 + value)` (`Q16`).
    pub mean_log: i64,
    /// Baseline: its variance (`Q32`).
    pub var_log: u64,
    /// Baseline: calls per window (`Q16`).
    pub mean_calls: u64,
    /// Baseline: outflow per window.
    pub mean_outflow: u128,
    /// Outflow per window over the last few windows: an EWMA with alpha
    /// 1/2 and no rise limit (what persists, beside the slow baseline).
    pub recent_outflow: u128,
    /// Baseline: distinct callers per window (`Q16`).
    pub mean_callers: u64,
    /// Baseline: the price's moving average (0: none seen).
    pub price_ma: u128,
    /// Windows folded so far (saturating).
    pub windows: u32,
    /// Whether anything was recorded yet (the first action opens the first
    /// window without folding an empty history).
    pub started: bool,
}

/// A baseline's rise limit: `max(base, floor) * max_rise`.
fn rise_limit(base: u128, floor: u128, max_rise: u32) -> u128 {
    base.max(floor).saturating_mul(max_rise as u128) >> 16
}

/// One EWMA step of an unsigned baseline towards `x`, rises limited once
/// `limited`.
fn fold_u(old: u128, x: u128, shift: u32, limited: bool, floor: u128, max_rise: u32) -> u128 {
    if x >= old {
        let mut step = (x - old) >> shift;
        if limited {
            step = step.min(rise_limit(old, floor, max_rise));
        }
        old.saturating_add(step)
    } else {
        old - ((old - x) >> shift)
    }
}

impl Baseline {
    /// Bytes of [`Baseline::encode`].
    pub const ENCODED_LEN: usize =
        8 + 4 + 16 + 16 + 8 + 16 + 16 + 4 + 8 + 8 + 8 + 16 + 16 + 8 + 16 + 4 + 1;

    /// Whether the baselines are trusted (the warm-up is over).
    pub fn warm(&self, p: &Params) -> bool {
        self.windows >= p.warmup_windows
    }

    /// Moves to the window of `height`, folding the windows that closed.
    /// A height in an earlier window than the current one (it cannot happen
    /// on a chain) is treated as the current window.
    pub fn roll(&mut self, p: &Params, height: u64) {
        let w = p.window_of(height);
        if !self.started {
            self.started = true;
            self.window = w;
            return;
        }
        if w <= self.window {
            return;
        }
        self.fold(p);
        let empty = (w - self.window - 1).min(MAX_EMPTY_FOLDS);
        for _ in 0..empty {
            self.fold(p);
        }
        self.window = w;
    }

    /// Folds the current window's sums into the baselines and clears them.
    fn fold(&mut self, p: &Params) {
        let limited = self.warm(p);
        // A running average during the warm-up: alpha = 1 / (windows + 1),
        // never below 2^-alpha_shift.
        let shift = if limited {
            p.alpha_shift as u32
        } else {
            let n = self.windows.saturating_add(1);
            (31 - n.leading_zeros()).min(p.alpha_shift as u32)
        };
        let rise = p.max_rise;
        if self.calls > 0 {
            let calls = self.calls as i64;
            let x = self.sum_log / calls;
            let mut step = (x - self.mean_log) >> shift;
            if limited {
                step = step.clamp(-(rise as i64), rise as i64);
            }
            self.mean_log += step;
            let mut msd = self.sum_sq_dev / self.calls as u128;
            if self.windows == 0 {
                // The first window's deviations were measured from a mean not
                // set yet: its own variance is their mean square less the
                // square of its mean's distance from that one.
                let d = (x - (self.mean_log - step)).unsigned_abs() as u128;
                msd = msd.saturating_sub(d * d);
            }
            let msd = msd.min(u64::MAX as u128);
            self.var_log = fold_u(
                self.var_log as u128,
                msd,
                shift,
                limited,
                VAR_FLOOR as u128,
                rise,
            ) as u64;
        }
        if self.priced > 0 {
            let x = self.price_sum / self.priced as u128;
            self.price_ma = if self.price_ma == 0 {
                x
            } else if limited {
                // Both ways: a moving average walked down is as permissive
                // as one walked up.
                let lim = rise_limit(self.price_ma, 1, rise);
                if x >= self.price_ma {
                    self.price_ma + ((x - self.price_ma) >> shift).min(lim)
                } else {
                    self.price_ma - ((self.price_ma - x) >> shift).min(lim)
                }
            } else {
                fold_u(self.price_ma, x, shift, false, 1, rise)
            };
        }
        let ones = ONE as u128;
        self.mean_calls = fold_u(
            self.mean_calls as u128,
            (self.calls as u128) << 16,
            shift,
            limited,
            ones,
            rise,
        ) as u64;
        self.mean_callers = fold_u(
            self.mean_callers as u128,
            (self.callers.count_ones() as u128) << 16,
            shift,
            limited,
            ones,
            rise,
        ) as u64;
        // A baseline outflow may rise by a share of one typical action at
        // least (2^floor(mean log2 value)): a sparse kind's baseline,
        // decayed by empty windows, can rise again.
        let typical = 1u128 << (self.mean_log.max(0) >> 16).min(126);
        self.mean_outflow = fold_u(
            self.mean_outflow,
            self.outflow,
            shift,
            limited,
            typical,
            rise,
        );
        self.recent_outflow = (self.recent_outflow >> 1)
            + (self.outflow >> 1)
            + (self.recent_outflow & self.outflow & 1);
        self.windows = self.windows.saturating_add(1);
        self.calls = 0;
        self.outflow = 0;
        self.callers = 0;
        self.sum_log = 0;
        self.sum_sq_dev = 0;
        self.price_sum = 0;
        self.priced = 0;
    }

    /// The derived features of `a` (`Q16`, in [`DERIVED_NAMES`] order),
    /// as if `a` were recorded in the current window: call [`roll`](Self::roll)
    /// first.
    pub fn derive(&self, p: &Params, a: &Action) -> [i64; DERIVED_FEATURES] {
        let outflow = self.outflow.saturating_add(a.value);
        let share = ratio_q16(outflow, a.total_value.max(1), SHARE_LIMIT);
        if !self.warm(p) {
            return [0, share, ONE, ONE, ONE, 0, ONE];
        }
        let sd = isqrt(self.var_log.max(VAR_FLOOR) as u128) as i64; // Q16
        let z = (((log2_q16(a.value) - self.mean_log) << 16) / sd).clamp(-Z_LIMIT, Z_LIMIT);
        let outflow_ratio = ratio_q16(outflow, self.mean_outflow.max(1), RATIO_LIMIT);
        let calls = ((self.calls as u128).saturating_add(1)) << 16;
        let call_ratio = ratio_q16(calls, (self.mean_calls as u128).max(1 << 16), RATIO_LIMIT);
        let callers = ((self.callers | caller_bit(a.caller)).count_ones() as u128) << 16;
        let caller_ratio = ratio_q16(
            callers,
            (self.mean_callers as u128).max(1 << 16),
            RATIO_LIMIT,
        );
        let deviation = if a.price == 0 || self.price_ma == 0 {
            0
        } else {
            ratio_q16(a.price.abs_diff(self.price_ma), self.price_ma, SHARE_LIMIT)
        };
        let recent = ratio_q16(self.recent_outflow, self.mean_outflow.max(1), RATIO_LIMIT);
        [
            z,
            share,
            outflow_ratio,
            call_ratio,
            caller_ratio,
            deviation,
            recent,
        ]
    }

    /// Adds `a` to the current window (call [`roll`](Self::roll) first);
    /// `outflow` is the value that left (0 for an action parked or refused,
    /// which the baseline does not learn from: [`record`](Self::record) it
    /// only for actions that went through).
    pub fn record(&mut self, a: &Action) {
        let lv = log2_q16(a.value);
        self.calls = self.calls.saturating_add(1);
        self.outflow = self.outflow.saturating_add(a.value);
        self.callers |= caller_bit(a.caller);
        self.sum_log = self.sum_log.saturating_add(lv);
        let d = (lv - self.mean_log).unsigned_abs() as u128;
        self.sum_sq_dev = self.sum_sq_dev.saturating_add(d * d);
        if a.price > 0 {
            self.price_sum = self.price_sum.saturating_add(a.price);
            self.priced = self.priced.saturating_add(1);
        }
    }

    /// Fixed-length little-endian encoding ([`ENCODED_LEN`](Self::ENCODED_LEN) bytes).
    pub fn encode(&self) -> [u8; Self::ENCODED_LEN] {
        let mut out = [0u8; Self::ENCODED_LEN];
        let mut w = Writer {
            out: &mut out,
            at: 0,
        };
        w.put(&self.window.to_le_bytes());
        w.put(&self.calls.to_le_bytes());
        w.put(&self.outflow.to_le_bytes());
        w.put(&self.callers.to_le_bytes());
        w.put(&self.sum_log.to_le_bytes());
        w.put(&self.sum_sq_dev.to_le_bytes());
        w.put(&self.price_sum.to_le_bytes());
        w.put(&self.priced.to_le_bytes());
        w.put(&self.mean_log.to_le_bytes());
        w.put(&self.var_log.to_le_bytes());
        w.put(&self.mean_calls.to_le_bytes());
        w.put(&self.mean_outflow.to_le_bytes());
        w.put(&self.recent_outflow.to_le_bytes());
        w.put(&self.mean_callers.to_le_bytes());
        w.put(&self.price_ma.to_le_bytes());
        w.put(&self.windows.to_le_bytes());
        w.put(&[self.started as u8]);
        out
    }

    /// The inverse of [`encode`](Self::encode); `None` for another length
    /// or a flag byte other than 0 or 1.
    pub fn decode(bytes: &[u8]) -> Option<Baseline> {
        if bytes.len() != Self::ENCODED_LEN {
            return None;
        }
        let mut r = Reader { bytes, at: 0 };
        Some(Baseline {
            window: u64::from_le_bytes(r.take()),
            calls: u32::from_le_bytes(r.take()),
            outflow: u128::from_le_bytes(r.take()),
            callers: u128::from_le_bytes(r.take()),
            sum_log: i64::from_le_bytes(r.take()),
            sum_sq_dev: u128::from_le_bytes(r.take()),
            price_sum: u128::from_le_bytes(r.take()),
            priced: u32::from_le_bytes(r.take()),
            mean_log: i64::from_le_bytes(r.take()),
            var_log: u64::from_le_bytes(r.take()),
            mean_calls: u64::from_le_bytes(r.take()),
            mean_outflow: u128::from_le_bytes(r.take()),
            recent_outflow: u128::from_le_bytes(r.take()),
            mean_callers: u64::from_le_bytes(r.take()),
            price_ma: u128::from_le_bytes(r.take()),
            windows: u32::from_le_bytes(r.take()),
            started: match r.take::<1>()[0] {
                0 => false,
                1 => true,
                _ => return None,
            },
        })
    }
}

/// The bit of the window's caller set a caller hash sets.
fn caller_bit(hash: u64) -> u128 {
    1u128 << (hash % 128)
}

/// `num / den` in `Q16`, at most `limit` (`den > 0`).
pub fn ratio_q16(num: u128, den: u128, limit: i64) -> i64 {
    let q = num / den;
    if q > (limit as u128 >> 16) {
        return limit;
    }
    let rem = num % den;
    // rem < den: shifting it by 16 overflows only for den >= 2^112, where
    // a fraction of den / 2^16 steps is as fine as the answer can show.
    let frac = if den >> 112 == 0 {
        (rem << 16) / den
    } else {
        rem / ((den >> 16) + 1)
    };
    (((q << 16) + frac) as i64).min(limit)
}

/// The derived features as fixed-point model inputs.
pub fn to_inputs(derived: &[i64; DERIVED_FEATURES]) -> [crate::Wide; DERIVED_FEATURES] {
    derived.map(|v| crate::Wide::from_bits((v as i128) << 48))
}

pub(crate) struct Writer<'a> {
    pub(crate) out: &'a mut [u8],
    pub(crate) at: usize,
}

impl Writer<'_> {
    pub(crate) fn put(&mut self, b: &[u8]) {
        self.out[self.at..self.at + b.len()].copy_from_slice(b);
        self.at += b.len();
    }
}

pub(crate) struct Reader<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) at: usize,
}

impl Reader<'_> {
    pub(crate) fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut b = [0u8; N];
        b.copy_from_slice(&self.bytes[self.at..self.at + N]);
        self.at += N;
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Params = Params {
        window_blocks: 10,
        alpha_shift: 3,
        max_rise: (ONE / 8) as u32,
        warmup_windows: 4,
    };

    fn act(height: u64, value: u128) -> Action {
        Action {
            height,
            value,
            total_value: 1_000_000,
            price: 100,
            caller: caller_hash(&(height as u32 ^ value as u32).to_le_bytes()),
        }
    }

    #[test]
    fn log2_matches_float_to_the_last_bit_but_one() {
        for v in [
            0u128,
            1,
            2,
            3,
            7,
            1000,
            123_456_789,
            u64::MAX as u128,
            u128::MAX - 1,
        ] {
            let exact = ((v as f64) + 1.0).log2();
            let got = log2_q16(v) as f64 / 65536.0;
            assert!(
                (got - exact).abs() <= 2.0 / 65536.0,
                "{v}: {got} vs {exact}"
            );
        }
        assert_eq!(log2_q16(0), 0);
        assert_eq!(log2_q16(1), 1 << 16);
        // 1 + u128::MAX saturates: just under 128.
        assert_eq!(log2_q16(u128::MAX), (128 << 16) - 1);
    }

    #[test]
    fn isqrt_is_the_floor() {
        for v in [
            0u128,
            1,
            2,
            3,
            4,
            15,
            16,
            17,
            1 << 40,
            (1 << 40) + 1,
            u128::MAX,
        ] {
            let r = isqrt(v);
            assert!(r * r <= v, "{v}");
            assert!((r + 1).checked_mul(r + 1).is_none_or(|s| s > v), "{v}");
        }
    }

    #[test]
    fn ratios_are_exact_and_bounded() {
        assert_eq!(ratio_q16(3, 2, RATIO_LIMIT), 3 * ONE / 2);
        assert_eq!(ratio_q16(u128::MAX, 1, RATIO_LIMIT), RATIO_LIMIT);
        assert_eq!(ratio_q16(1, u128::MAX, SHARE_LIMIT), 0);
        assert_eq!(
            ratio_q16(u128::MAX / 2, u128::MAX, SHARE_LIMIT),
            ONE / 2 - 1
        );
    }

    #[test]
    fn encoding_round_trips_and_refuses_bad_bytes() {
        let mut b = Baseline::default();
        for h in 0..200 {
            b.roll(&P, h);
            b.record(&act(h, 1000 + h as u128 * 7));
        }
        let bytes = b.encode();
        assert_eq!(Baseline::decode(&bytes), Some(b));
        assert_eq!(Baseline::decode(&bytes[1..]), None);
        let mut bad = bytes;
        bad[Baseline::ENCODED_LEN - 1] = 2;
        assert_eq!(Baseline::decode(&bad), None);
    }

    /// Steady traffic: 5 calls of about 1,000 per window.
    fn steady(windows: u64) -> Baseline {
        let mut b = Baseline::default();
        for w in 0..windows {
            for i in 0..5 {
                let h = w * 10 + i;
                b.roll(&P, h);
                b.record(&act(h, 900 + 50 * i as u128));
            }
        }
        b
    }

    #[test]
    fn warm_up_reads_neutral_then_learns_the_rate() {
        let mut b = Baseline::default();
        b.roll(&P, 0);
        let d = b.derive(&P, &act(0, 1_000_000));
        assert_eq!(
            d,
            [0, ONE, ONE, ONE, ONE, 0, ONE],
            "cold: only the share is live"
        );
        let mut b = steady(40);
        b.roll(&P, 400);
        assert!(b.warm(&P));
        // About 5 calls per window: the first call of a window reads 1/5.
        let d = b.derive(&P, &act(400, 1000));
        assert!((d[3] - ONE / 5).abs() < ONE / 50, "{}", d[3]);
        // A typical value scores near 0; a value 1,000 times larger is far out.
        assert!(d[0].abs() < 2 * ONE, "{}", d[0]);
        let d = b.derive(&P, &act(400, 1_000_000));
        assert!(d[0] > 8 * ONE, "{}", d[0]);
        // Price on its average: no deviation; 30% above: 0.3.
        assert_eq!(d[5], 0);
        let mut a = act(400, 1000);
        a.price = 130;
        let d = b.derive(&P, &a);
        assert!((d[5] - 3 * ONE / 10).abs() < 16, "{}", d[5]);
    }

    #[test]
    fn a_patient_attacker_cannot_walk_the_baseline_faster_than_the_rise_limit() {
        let mut b = steady(40);
        let start = b.mean_outflow;
        // Every window, 1,000 calls of 1,000 each (200 times the normal
        // outflow): each window's rise is capped at 1/8.
        for w in 40..60u64 {
            for i in 0..1000 {
                let h = w * 10 + (i % 10);
                b.roll(&P, h);
                b.record(&act(h, 1000));
            }
        }
        b.roll(&P, 600);
        let cap = (start as f64) * (1.0f64 + 1.0 / 8.0).powi(20);
        assert!(
            (b.mean_outflow as f64) <= cap * 1.001,
            "{} > {cap}",
            b.mean_outflow
        );
        assert!(b.mean_calls <= ((5.0 * 1.125f64.powi(20) + 1.0) * ONE as f64) as u64);
        // A burst within one window does not move the baseline at all until
        // the window closes.
        let mut c = steady(40);
        c.roll(&P, 400);
        let before = c;
        for _ in 0..10_000 {
            c.record(&act(400, 1000));
        }
        assert_eq!(c.mean_outflow, before.mean_outflow);
        assert_eq!(c.mean_log, before.mean_log);
    }

    #[test]
    fn the_first_window_sets_the_variance_around_its_own_mean() {
        // Identical values: no spread, so at the end of a short warm-up a
        // doubled value is as far out as the variance floor allows.
        let p = Params {
            warmup_windows: 4,
            ..P
        };
        let mut b = Baseline::default();
        for w in 0..4u64 {
            for i in 0..5 {
                b.roll(&p, w * 10 + i);
                b.record(&act(w * 10 + i, 1000));
            }
        }
        b.roll(&p, 40);
        assert!(b.warm(&p));
        assert_eq!(b.var_log, 0, "no spread was seen");
        let z = b.derive(&p, &act(40, 2001))[0];
        assert!(z >= 15 * ONE, "{}", z as f64 / ONE as f64);
    }

    #[test]
    fn empty_windows_decay_the_rates_and_the_work_is_bounded() {
        let mut b = steady(40);
        let m = b.mean_calls;
        b.roll(&P, u64::MAX);
        assert!(b.mean_calls < m / 100, "{} vs {m}", b.mean_calls);
        assert_eq!(b.window, P.window_of(u64::MAX));
    }

    #[test]
    fn deterministic_replay() {
        let a = steady(30);
        let b = steady(30);
        assert_eq!(a.encode(), b.encode());
    }
}
