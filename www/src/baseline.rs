//! The guard's baselines in the browser: [`Baselines`] runs the core's
//! [`vigil_inference_core::baseline`] over a log of actions exactly as the
//! guard contract does on chain, so a page (or a training pipeline in
//! Node) derives the very six features the guard appends to a caller's
//! before it scores an action.
//!
//! One [`Baseline`] per declared action kind; per action, in the
//! contract's order: [`Baseline::roll`] to the action's block height,
//! [`Baseline::derive`], then [`Baseline::record`] only if the action was
//! paid (or released). Values are `u128` decimal strings (a JavaScript
//! number cannot hold them), the caller is hashed from its address's UTF-8
//! bytes ([`baseline::caller_hash`]), and the features come out in `Q16`
//! (`i32`), with [`q16_decimal`] for their exact decimal strings: all
//! integer arithmetic, no float.
use vigil_inference_core::baseline::{
    self, Action, Baseline, ParamError, Params, DERIVED_FEATURES, DERIVED_NAMES, ONE,
};
use wasm_bindgen::prelude::*;

/// The most fractional digits a decimal parameter may have (those of
/// cosmwasm's `Decimal`, the type of the guard's `max_rise`).
pub const MAX_DECIMAL_PLACES: usize = 18;

/// Why a baseline call was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BaselineError {
    /// The baseline parameters (`window_blocks`, `alpha_shift`, `max_rise`).
    Params(ParamError),
    /// `max_rise` (or another decimal parameter) is not a decimal of at most
    /// [`MAX_DECIMAL_PLACES`] fractional digits.
    BadDecimal {
        /// The string given.
        value: String,
    },
    /// No kind, an empty kind, or a kind twice.
    Kinds {
        /// Why.
        reason: &'static str,
    },
    /// An action of a kind that was not declared.
    UnknownKind {
        /// The kind given.
        kind: String,
    },
    /// An amount (`value`, `total_value`, `price`) that is not a whole
    /// number from 0 to `u128::MAX` in decimal digits.
    BadAmount {
        /// Which field.
        field: &'static str,
        /// The string given.
        value: String,
    },
}

impl core::fmt::Display for BaselineError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            BaselineError::Params(ParamError::ZeroWindow) => {
                f.write_str("window_blocks must be at least 1")
            }
            BaselineError::Params(ParamError::AlphaShift) => {
                f.write_str("alpha_shift must be from 1 to 16")
            }
            BaselineError::Params(ParamError::MaxRise) => {
                f.write_str("max_rise must be above 0 and at most 1 (in Q16: 1 to 65536)")
            }
            BaselineError::BadDecimal { value } => write!(
                f,
                "{value:?} is not a decimal number with at most {MAX_DECIMAL_PLACES} fractional digits"
            ),
            BaselineError::Kinds { reason } => write!(f, "kinds: {reason}"),
            BaselineError::UnknownKind { kind } => {
                write!(f, "action kind {kind:?} was not declared")
            }
            BaselineError::BadAmount { field, value } => write!(
                f,
                "{field}: {value:?} is not a whole number from 0 to 2^128 - 1 in decimal digits"
            ),
        }
    }
}

impl From<BaselineError> for JsError {
    fn from(e: BaselineError) -> JsError {
        JsError::new(&e.to_string())
    }
}

/// A `Q16` value (as [`Baseline::derive`] gives) as its exact decimal
/// string: `-` for a negative value, the integer part, then `.` and the
/// fraction's digits without trailing zeros when it has one (`Q16` values
/// have at most 16 fractional digits). The rendering of cosmwasm's
/// `SignedDecimal`, so the strings are the guard's `derived`; parsed by the
/// core's `decimal::parse` they are the model inputs
/// [`baseline::to_inputs`] gives, bit for bit.
pub fn q16_decimal(v: i64) -> String {
    let a = v.unsigned_abs();
    let mut s = String::with_capacity(24);
    if v < 0 {
        s.push('-');
    }
    s.push_str(&(a >> 16).to_string());
    let frac = a & 0xffff;
    if frac != 0 {
        // frac / 2^16 = frac * 5^16 / 10^16, exactly: 16 digits.
        let digits = format!("{:016}", frac * 152_587_890_625);
        s.push('.');
        s.push_str(digits.trim_end_matches('0'));
    }
    s
}

/// A non-negative decimal string (digits, optionally `.` and at most
/// [`MAX_DECIMAL_PLACES`] digits) in `Q16`, rounded down: the guard's
/// `max_rise` (a `Decimal`) as the core's [`Params::max_rise`]. Values of
/// 65536 or more (in Q16) are refused as out of range.
pub fn decimal_q16(s: &str) -> Result<u32, BaselineError> {
    let bad = || BaselineError::BadDecimal { value: s.into() };
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || (s.contains('.') && !digits(frac)) || frac.len() > MAX_DECIMAL_PLACES {
        return Err(bad());
    }
    let int = int.trim_start_matches('0');
    // Anything of 5 integer digits or more is far above 1.0 (65536 in Q16).
    if int.len() > 4 {
        return Err(BaselineError::Params(ParamError::MaxRise));
    }
    let scale = 10u128.pow(frac.len() as u32);
    let whole: u128 = int.bytes().fold(0, |n, b| n * 10 + u128::from(b - b'0'));
    let part: u128 = frac.bytes().fold(0, |n, b| n * 10 + u128::from(b - b'0'));
    // Below 10^4 * 10^18 * 2^16 < 2^94: no overflow.
    let q = ((whole * scale + part) << 16) / scale;
    u32::try_from(q).map_err(|_| BaselineError::Params(ParamError::MaxRise))
}

/// A `u128` from its decimal digits (no sign, no separators, no fraction).
pub fn parse_amount(field: &'static str, s: &str) -> Result<u128, BaselineError> {
    let bad = || BaselineError::BadAmount {
        field,
        value: s.into(),
    };
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    s.bytes().try_fold(0u128, |n, b| {
        n.checked_mul(10)
            .and_then(|n| n.checked_add(u128::from(b - b'0')))
            .ok_or_else(bad)
    })
}

/// One protected contract's baselines, one per declared action kind, fed
/// a log of actions as the guard is.
#[wasm_bindgen]
#[derive(Clone, Debug)]
pub struct Baselines {
    params: Params,
    kinds: Vec<String>,
    baselines: Vec<Baseline>,
}

impl Baselines {
    /// Baselines for `kinds` (at least one, distinct, non-empty), all empty.
    pub fn create(params: Params, kinds: Vec<String>) -> Result<Baselines, BaselineError> {
        params.validate().map_err(BaselineError::Params)?;
        if kinds.is_empty() {
            return Err(BaselineError::Kinds {
                reason: "declare at least one action kind",
            });
        }
        if kinds.iter().any(String::is_empty) {
            return Err(BaselineError::Kinds {
                reason: "a kind is empty",
            });
        }
        if kinds
            .iter()
            .enumerate()
            .any(|(i, k)| kinds[..i].contains(k))
        {
            return Err(BaselineError::Kinds {
                reason: "a kind is declared twice",
            });
        }
        let baselines = vec![Baseline::default(); kinds.len()];
        Ok(Baselines {
            params,
            kinds,
            baselines,
        })
    }

    /// The parameters.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The baseline of `kind`.
    pub fn get(&self, kind: &str) -> Result<&Baseline, BaselineError> {
        self.index(kind).map(|i| &self.baselines[i])
    }

    fn index(&self, kind: &str) -> Result<usize, BaselineError> {
        self.kinds
            .iter()
            .position(|k| k == kind)
            .ok_or_else(|| BaselineError::UnknownKind { kind: kind.into() })
    }

    /// One action, as the guard's `Observe`: roll the kind's baseline to
    /// `a.height`, derive the features, then record the action if it was
    /// paid (`record`). Returns the derived features (`Q16`, in
    /// [`DERIVED_NAMES`] order).
    pub fn observe_action(
        &mut self,
        kind: &str,
        a: &Action,
        record: bool,
    ) -> Result<[i64; DERIVED_FEATURES], BaselineError> {
        let i = self.index(kind)?;
        let p = self.params;
        let b = &mut self.baselines[i];
        b.roll(&p, a.height);
        let derived = b.derive(&p, a);
        if record {
            b.record(a);
        }
        Ok(derived)
    }

    /// The features the guard's `Verdict` query would derive for `a`
    /// (rolled on a copy: nothing changes).
    pub fn preview_action(
        &self,
        kind: &str,
        a: &Action,
    ) -> Result<[i64; DERIVED_FEATURES], BaselineError> {
        let mut b = *self.get(kind)?;
        b.roll(&self.params, a.height);
        Ok(b.derive(&self.params, a))
    }
}

/// The core's action from the wire's strings.
fn action(
    height: u64,
    value: &str,
    total_value: &str,
    price: &str,
    caller: &str,
) -> Result<Action, BaselineError> {
    Ok(Action {
        height,
        value: parse_amount("value", value)?,
        total_value: parse_amount("total_value", total_value)?,
        price: parse_amount("price", price)?,
        caller: baseline::caller_hash(caller.as_bytes()),
    })
}

/// `Q16` features as `i32` (each is bounded by the core: at most 1024.0,
/// i.e. 2^26, in magnitude).
fn to_i32(derived: [i64; DERIVED_FEATURES]) -> Vec<i32> {
    derived
        .iter()
        .map(|&v| v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32)
        .collect()
}

#[wasm_bindgen]
impl Baselines {
    /// Empty baselines for `kinds` with the guard's baseline parameters
    /// (`max_rise` in `Q16`: see [`decimal_q16`]). Throws for parameters
    /// the core refuses, no kinds, an empty kind or a kind twice.
    #[wasm_bindgen(constructor)]
    pub fn new(
        window_blocks: u64,
        alpha_shift: u8,
        max_rise_q16: u32,
        warmup_windows: u32,
        kinds: Vec<String>,
    ) -> Result<Baselines, JsError> {
        let params = Params {
            window_blocks,
            alpha_shift,
            max_rise: max_rise_q16,
            warmup_windows,
        };
        Ok(Baselines::create(params, kinds)?)
    }

    /// Observe one action at block `height` (the guard's `Observe`):
    /// `value`, `total_value` and `price` are `u128` decimal strings
    /// (`"0"`: no price), `caller` the caller's address; `paid`: whether the
    /// action went through (paid or released), so the baseline learns it.
    /// Returns the six derived features in `Q16`, in [`DERIVED_NAMES`]
    /// order.
    #[allow(clippy::too_many_arguments)]
    pub fn observe(
        &mut self,
        kind: &str,
        height: u64,
        value: &str,
        total_value: &str,
        price: &str,
        caller: &str,
        paid: bool,
    ) -> Result<Vec<i32>, JsError> {
        let a = action(height, value, total_value, price, caller)?;
        Ok(to_i32(self.observe_action(kind, &a, paid)?))
    }

    /// The features the guard's `Verdict` query would derive for this
    /// action at `height`, changing nothing.
    pub fn preview(
        &self,
        kind: &str,
        height: u64,
        value: &str,
        total_value: &str,
        price: &str,
        caller: &str,
    ) -> Result<Vec<i32>, JsError> {
        let a = action(height, value, total_value, price, caller)?;
        Ok(to_i32(self.preview_action(kind, &a)?))
    }

    /// The declared kinds, in order.
    #[wasm_bindgen(getter)]
    pub fn kinds(&self) -> Vec<String> {
        self.kinds.clone()
    }

    /// Windows folded so far in `kind`'s baseline.
    pub fn windows(&self, kind: &str) -> Result<u32, JsError> {
        Ok(self.get(kind)?.windows)
    }

    /// Whether `kind`'s warm-up is over (the features that compare with
    /// the baselines are live).
    pub fn warm(&self, kind: &str) -> Result<bool, JsError> {
        Ok(self.get(kind)?.warm(&self.params))
    }
}

/// [`q16_decimal`] for JavaScript.
#[wasm_bindgen(js_name = q16Decimal)]
pub fn q16_decimal_js(v: i32) -> String {
    q16_decimal(i64::from(v))
}

/// [`decimal_q16`] for JavaScript: throws for a malformed decimal or one
/// of 65536 or more (the range check of `max_rise` itself, (0, 1], is the
/// constructor's).
#[wasm_bindgen(js_name = decimalQ16)]
pub fn decimal_q16_js(s: &str) -> Result<u32, JsError> {
    Ok(decimal_q16(s)?)
}

/// The core's [`DERIVED_NAMES`].
#[wasm_bindgen(js_name = derivedNames)]
pub fn derived_names() -> Vec<String> {
    DERIVED_NAMES.iter().map(|s| String::from(*s)).collect()
}

/// `1.0` in `Q16` (the core's [`ONE`]).
#[wasm_bindgen(js_name = q16One)]
pub fn q16_one() -> i32 {
    ONE as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q16_decimals_are_exact() {
        assert_eq!(q16_decimal(0), "0");
        assert_eq!(q16_decimal(ONE), "1");
        assert_eq!(q16_decimal(-ONE), "-1");
        assert_eq!(q16_decimal(ONE / 2), "0.5");
        assert_eq!(q16_decimal(-ONE / 2), "-0.5");
        assert_eq!(q16_decimal(1), "0.0000152587890625");
        assert_eq!(q16_decimal(-1), "-0.0000152587890625");
        assert_eq!(q16_decimal(3 * ONE + ONE / 8), "3.125");
        assert_eq!(q16_decimal(1024 * ONE), "1024");
        assert_eq!(q16_decimal(i64::MIN), "-140737488355328");
    }

    #[test]
    fn decimals_to_q16_round_down_and_refuse_bad_strings() {
        assert_eq!(decimal_q16("0.125"), Ok(8192));
        assert_eq!(decimal_q16("1"), Ok(65536));
        assert_eq!(decimal_q16("1.000000000000000000"), Ok(65536));
        assert_eq!(decimal_q16("0.1"), Ok(6553)); // 6553.6
        assert_eq!(decimal_q16("0.0000152587890625"), Ok(1));
        assert_eq!(decimal_q16("0.0000152587890624"), Ok(0));
        assert_eq!(decimal_q16("0000.5"), Ok(32768));
        assert_eq!(
            decimal_q16("65536"),
            Err(BaselineError::Params(ParamError::MaxRise))
        );
        assert_eq!(decimal_q16("9999"), Ok(9999 << 16));
        for bad in [
            "",
            ".",
            "1.",
            ".5",
            "-0.1",
            "+1",
            "1e-3",
            "0,1",
            " 1",
            "0.1234567890123456789",
        ] {
            assert!(
                matches!(decimal_q16(bad), Err(BaselineError::BadDecimal { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn amounts_are_u128_digits() {
        assert_eq!(parse_amount("value", "0"), Ok(0));
        assert_eq!(
            parse_amount("value", "340282366920938463463374607431768211455"),
            Ok(u128::MAX)
        );
        for bad in [
            "",
            "-1",
            "+1",
            "1.0",
            "1e3",
            " 1",
            "340282366920938463463374607431768211456",
        ] {
            assert_eq!(
                parse_amount("price", bad),
                Err(BaselineError::BadAmount {
                    field: "price",
                    value: bad.into()
                }),
                "{bad:?}"
            );
        }
    }

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
    fn observe_is_roll_derive_then_record_if_paid() {
        let kinds = vec!["withdraw".to_string(), "borrow".to_string()];
        let mut ours = Baselines::create(P, kinds).unwrap();
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
            assert_eq!(ours.preview_action("withdraw", &a).unwrap(), want_preview);
            core.roll(&P, h);
            let want = core.derive(&P, &a);
            if paid {
                core.record(&a);
            }
            assert_eq!(ours.observe_action("withdraw", &a, paid).unwrap(), want);
            assert_eq!(*ours.get("withdraw").unwrap(), core);
        }
        assert!(ours.get("withdraw").unwrap().warm(&P));
        // The other kind learned nothing.
        assert_eq!(*ours.get("borrow").unwrap(), Baseline::default());
        assert_eq!(
            ours.observe_action("swap", &act(1, 1, "a"), true),
            Err(BaselineError::UnknownKind {
                kind: "swap".into()
            })
        );
    }

    #[test]
    fn refuses_bad_params_and_kinds() {
        let k = || vec!["withdraw".to_string()];
        for (p, e) in [
            (
                Params {
                    window_blocks: 0,
                    ..P
                },
                ParamError::ZeroWindow,
            ),
            (
                Params {
                    alpha_shift: 17,
                    ..P
                },
                ParamError::AlphaShift,
            ),
            (Params { max_rise: 0, ..P }, ParamError::MaxRise),
            (
                Params {
                    max_rise: 65537,
                    ..P
                },
                ParamError::MaxRise,
            ),
        ] {
            assert_eq!(
                Baselines::create(p, k()).unwrap_err(),
                BaselineError::Params(e)
            );
        }
        for kinds in [vec![], vec![String::new()], vec!["a".into(), "a".into()]] {
            assert!(matches!(
                Baselines::create(P, kinds),
                Err(BaselineError::Kinds { .. })
            ));
        }
    }
}
