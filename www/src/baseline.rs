//! The guard's baselines in the browser: [`Baselines`] runs the core's
//! [`vigil_inference_core::baseline`] over a log of actions exactly as the
//! guard contract does on chain, so a page (or a training pipeline in
//! Node) derives the very seven features the guard appends to a caller's
//! before it scores an action.
//!
//! One [`Baseline`] per declared action kind; per action, in the
//! contract's order: [`Baseline::roll`] to the action's block height,
//! [`Baseline::derive`], then [`Baseline::record`] only if the action was
//! paid (or released). The caller is hashed from its address's UTF-8 bytes
//! ([`baseline::caller_hash`]) and the features come out in `Q16` (`i32`):
//! integer arithmetic only.
//!
//! This module is only the core's calls: the JavaScript wrapper
//! (`www/js/baseline.ts`) names the kinds (they cross as indices), splits
//! each `u128` amount into two `u64` halves (JS bigints) and writes the
//! `Q16` values as decimal strings, so the wasm carries no parser or
//! formatter for them (about 10 KB less).
use vigil_inference_core::baseline::{
    self, Action, Baseline, ParamError, Params, DERIVED_FEATURES,
};
use wasm_bindgen::prelude::*;

/// Why [`Baselines::create`] refused its parameters: the core's check, in
/// words (static, so no formatting code reaches the wasm).
pub fn param_error(e: ParamError) -> &'static str {
    match e {
        ParamError::ZeroWindow => "window_blocks must be at least 1",
        ParamError::AlphaShift => "alpha_shift must be from 1 to 16",
        ParamError::MaxRise => "max_rise must be above 0 and at most 1 (in Q16: 1 to 65536)",
    }
}

/// One protected contract's baselines, one per declared action kind (kinds
/// are indices here), fed a log of actions as the guard is.
#[wasm_bindgen]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Baselines {
    params: Params,
    baselines: Vec<Baseline>,
}

impl Baselines {
    /// Empty baselines for `kinds` action kinds (at least one), or why the
    /// core refuses `params`.
    pub fn create(params: Params, kinds: usize) -> Result<Baselines, &'static str> {
        params.validate().map_err(param_error)?;
        if kinds == 0 {
            return Err("declare at least one action kind");
        }
        Ok(Baselines {
            params,
            baselines: vec![Baseline::default(); kinds],
        })
    }

    /// The parameters.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The baseline of kind number `kind`.
    pub fn get(&self, kind: usize) -> Option<&Baseline> {
        self.baselines.get(kind)
    }

    /// One action, as the guard's `Observe`: roll the kind's baseline to
    /// `a.height`, derive the features, then record the action if it was
    /// paid (`record`). The derived features (`Q16`, in the core's
    /// `DERIVED_NAMES` order), or `None` for a kind out of range.
    pub fn observe_action(
        &mut self,
        kind: usize,
        a: &Action,
        record: bool,
    ) -> Option<[i64; DERIVED_FEATURES]> {
        let p = self.params;
        let b = self.baselines.get_mut(kind)?;
        b.roll(&p, a.height);
        let derived = b.derive(&p, a);
        if record {
            b.record(a);
        }
        Some(derived)
    }

    /// The features the guard's `Verdict` query would derive for `a`
    /// (rolled on a copy: nothing changes).
    pub fn preview_action(&self, kind: usize, a: &Action) -> Option<[i64; DERIVED_FEATURES]> {
        let mut b = *self.get(kind)?;
        b.roll(&self.params, a.height);
        Some(b.derive(&self.params, a))
    }
}

/// A `u128` from its high and low 64 bits.
fn u128_of(hi: u64, lo: u64) -> u128 {
    (u128::from(hi) << 64) | u128::from(lo)
}

/// The core's action from the wasm's arguments.
#[allow(clippy::too_many_arguments)]
fn action(
    height: u64,
    value_hi: u64,
    value_lo: u64,
    total_hi: u64,
    total_lo: u64,
    price_hi: u64,
    price_lo: u64,
    caller: &str,
) -> Action {
    Action {
        height,
        value: u128_of(value_hi, value_lo),
        total_value: u128_of(total_hi, total_lo),
        price: u128_of(price_hi, price_lo),
        caller: baseline::caller_hash(caller.as_bytes()),
    }
}

/// `Q16` features as `i32` (each is bounded by the core: at most 1024.0,
/// i.e. 2^26, in magnitude), or the error for a kind out of range.
fn to_i32(derived: Option<[i64; DERIVED_FEATURES]>) -> Result<Vec<i32>, JsError> {
    let derived = derived.ok_or_else(|| JsError::new("no such action kind"))?;
    Ok(derived
        .iter()
        .map(|&v| v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32)
        .collect())
}

#[wasm_bindgen]
impl Baselines {
    /// Empty baselines for `kinds` action kinds with the guard's baseline
    /// parameters (`max_rise` in `Q16`). Throws for parameters the core
    /// refuses or no kinds.
    #[wasm_bindgen(constructor)]
    pub fn new(
        window_blocks: u64,
        alpha_shift: u8,
        max_rise_q16: u32,
        warmup_windows: u32,
        kinds: u32,
    ) -> Result<Baselines, JsError> {
        let params = Params {
            window_blocks,
            alpha_shift,
            max_rise: max_rise_q16,
            warmup_windows,
        };
        Baselines::create(params, kinds as usize).map_err(JsError::new)
    }

    /// Observe one action of kind number `kind` at block `height` (the
    /// guard's `Observe`): `value`, `total_value` and `price` (0: none) as
    /// the high and low 64 bits of their `u128`, `caller` the caller's
    /// address; `paid`: whether the action went through (paid or
    /// released), so the baseline learns it. Returns the seven derived
    /// features in `Q16`.
    #[allow(clippy::too_many_arguments)]
    pub fn observe(
        &mut self,
        kind: u32,
        height: u64,
        value_hi: u64,
        value_lo: u64,
        total_hi: u64,
        total_lo: u64,
        price_hi: u64,
        price_lo: u64,
        caller: &str,
        paid: bool,
    ) -> Result<Vec<i32>, JsError> {
        let a = action(
            height, value_hi, value_lo, total_hi, total_lo, price_hi, price_lo, caller,
        );
        to_i32(self.observe_action(kind as usize, &a, paid))
    }

    /// The features the guard's `Verdict` query would derive for this
    /// action at `height`, changing nothing.
    #[allow(clippy::too_many_arguments)]
    pub fn preview(
        &self,
        kind: u32,
        height: u64,
        value_hi: u64,
        value_lo: u64,
        total_hi: u64,
        total_lo: u64,
        price_hi: u64,
        price_lo: u64,
        caller: &str,
    ) -> Result<Vec<i32>, JsError> {
        let a = action(
            height, value_hi, value_lo, total_hi, total_lo, price_hi, price_lo, caller,
        );
        to_i32(self.preview_action(kind as usize, &a))
    }

    /// Windows folded so far in kind `kind`'s baseline (0 for a kind out
    /// of range).
    pub fn windows(&self, kind: u32) -> u32 {
        self.get(kind as usize).map_or(0, |b| b.windows)
    }

    /// Whether kind `kind`'s warm-up is over (the features that compare
    /// with the baselines are live).
    pub fn warm(&self, kind: u32) -> bool {
        self.get(kind as usize)
            .is_some_and(|b| b.warm(&self.params))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Params = Params {
        window_blocks: 10,
        alpha_shift: 3,
        max_rise: 8192,
        warmup_windows: 2,
    };

    fn act(height: u64, value: u128, caller: &str) -> Action {
        Action {
            height,
            value,
            total_value: 1_000_000,
            price: 100,
            caller: baseline::caller_hash(caller.as_bytes()),
        }
    }

    #[test]
    fn amounts_cross_as_two_halves() {
        assert_eq!(u128_of(0, 0), 0);
        assert_eq!(u128_of(0, u64::MAX), u128::from(u64::MAX));
        assert_eq!(u128_of(1, 0), 1 << 64);
        assert_eq!(u128_of(u64::MAX, u64::MAX), u128::MAX);
        let a = action(7, 1, 2, 3, 4, 5, 6, "wasm1x");
        assert_eq!(a.height, 7);
        assert_eq!(a.value, (1 << 64) | 2);
        assert_eq!(a.total_value, (3 << 64) | 4);
        assert_eq!(a.price, (5 << 64) | 6);
        assert_eq!(a.caller, baseline::caller_hash(b"wasm1x"));
    }

    #[test]
    fn observe_is_roll_derive_then_record_if_paid() {
        let mut ours = Baselines::create(P, 2).unwrap();
        let mut core = Baseline::default();
        for h in 0..100u64 {
            let a = act(
                h,
                1000 + 37 * u128::from(h % 7),
                ["a", "b", "c"][h as usize % 3],
            );
            let paid = h % 5 != 0;
            let want_preview = {
                let mut c = core;
                c.roll(&P, h);
                c.derive(&P, &a)
            };
            let before = ours.clone();
            assert_eq!(ours.preview_action(0, &a), Some(want_preview));
            assert_eq!(ours, before, "a preview changes nothing");
            core.roll(&P, h);
            let want = core.derive(&P, &a);
            if paid {
                core.record(&a);
            }
            assert_eq!(ours.observe_action(0, &a, paid), Some(want));
            assert_eq!(*ours.get(0).unwrap(), core);
        }
        assert!(ours.warm(0));
        assert_eq!(ours.windows(0), core.windows);
        // The other kind learned nothing.
        assert_eq!(*ours.get(1).unwrap(), Baseline::default());
        assert!(!ours.warm(1));
        assert_eq!(ours.observe_action(2, &act(1, 1, "a"), true), None);
        assert_eq!(ours.preview_action(2, &act(1, 1, "a")), None);
        assert_eq!(ours.windows(2), 0);
        assert!(!ours.warm(2));
    }

    #[test]
    fn refuses_bad_params_and_no_kinds() {
        for (p, e) in [
            (
                Params {
                    window_blocks: 0,
                    ..P
                },
                "window_blocks must be at least 1",
            ),
            (
                Params {
                    alpha_shift: 0,
                    ..P
                },
                "alpha_shift must be from 1 to 16",
            ),
            (
                Params {
                    alpha_shift: 17,
                    ..P
                },
                "alpha_shift must be from 1 to 16",
            ),
            (
                Params { max_rise: 0, ..P },
                "max_rise must be above 0 and at most 1 (in Q16: 1 to 65536)",
            ),
            (
                Params {
                    max_rise: 65537,
                    ..P
                },
                "max_rise must be above 0 and at most 1 (in Q16: 1 to 65536)",
            ),
        ] {
            assert_eq!(Baselines::create(p, 1).unwrap_err(), e);
        }
        assert_eq!(
            Baselines::create(P, 0).unwrap_err(),
            "declare at least one action kind"
        );
        assert!(Baselines::create(
            Params {
                max_rise: 65536,
                ..P
            },
            1
        )
        .is_ok());
    }
}
