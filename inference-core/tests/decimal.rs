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
