//! The data envelope's properties, for random test sets, margins and
//! inputs: an input inside the envelope is never changed (so a model scores
//! it exactly as without the envelope), every clamped input lies inside it,
//! and the report counts exactly the inputs that were outside.
use proptest::prelude::*;
use vigil_inference_core::decimal::{self, Exact};
use vigil_inference_core::envelope::{self, Envelope, MARGIN_ONE, REPORTED};
use vigil_inference_core::float::{FloatBody, FloatFeature, FloatLayer, FloatModel};
use vigil_inference_core::format::Activation;
use vigil_inference_core::{Act, Model, Wide};

/// A decimal of up to 12 digits, up to 6 of them fractional, either sign.
fn value() -> impl Strategy<Value = String> {
    (any::<bool>(), 0u64..1_000_000_000_000, 0u32..=6).prop_map(|(neg, m, scale)| {
        let digits = format!("{m:0>7}");
        let (int, frac) = digits.split_at(digits.len() - scale as usize);
        let sign = if neg { "-" } else { "" };
        if frac.is_empty() {
            format!("{sign}{int}")
        } else {
            format!("{sign}{int}.{frac}")
        }
    })
}

/// A logistic model over `n` features with signed log1p, standardised.
fn model(n: usize, seed: u64) -> Vec<u8> {
    let mut s = seed | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let features = (0..n)
        .map(|_| FloatFeature {
            clip_lo: None,
            clip_hi: None,
            log1p: true,
            mean: next() * 4.0,
            std: 1.0 + next().abs() * 3.0,
        })
        .collect();
    let model = FloatModel {
        threshold: 0.5,
        features,
        body: FloatBody::Linear(FloatLayer {
            weights: (0..n).map(|_| next() * 2.0).collect(),
            biases: vec![next()],
            activation: Activation::Sigmoid,
        }),
    };
    model
        .quantize(&Default::default())
        .to_bytes()
        .expect("a valid model")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn clamping_never_changes_an_in_envelope_input_or_its_score(
        n in 1usize..12,
        rows in proptest::collection::vec(proptest::collection::vec(value(), 12), 1..20),
        probes in proptest::collection::vec((proptest::collection::vec(value(), 12), proptest::collection::vec(0u8..3, 12)), 1..8),
        margin_pct in 0u128..60,
        seed in any::<u64>(),
    ) {
        // The envelope of the rows' first n values, widened by the margin.
        let exact = |s: &String| Exact::parse(s).expect("a decimal");
        let mut bytes = Vec::new();
        let mut bounds = Vec::new();
        for i in 0..n {
            let mut lo = exact(&rows[0][i]);
            let mut hi = lo;
            for r in &rows {
                let v = exact(&r[i]);
                if envelope::cmp_exact(&v, &lo).is_lt() { lo = v; }
                if envelope::cmp_exact(&v, &hi).is_gt() { hi = v; }
            }
            let (lo, hi) = envelope::widen(&lo, &hi, margin_pct * MARGIN_ONE / 100);
            envelope::pack(&lo, &hi, &mut bytes);
            bounds.push((lo.to_wide().unwrap(), hi.to_wide().unwrap()));
        }
        let env = Envelope::parse(&bytes, n).expect("what pack writes parses");
        prop_assert_eq!(env.bounds().collect::<Vec<_>>(), bounds.clone());
        // Every stored row is inside its own envelope.
        for r in &rows {
            let mut x: Vec<Wide> = r[..n].iter().map(|s| decimal::parse(s).unwrap()).collect();
            let before = x.clone();
            prop_assert_eq!(env.clamp(&mut x).count, 0);
            prop_assert_eq!(x, before);
        }
        let blob = model(n, seed);
        let m = Model::parse(&blob).expect("the model parses");
        let mut scratch = vec![Act::ZERO; m.scratch_len()];
        for (values, kinds) in &probes {
            // Each probe feature: a random value, a row's value, or a bound.
            let mut x: Vec<Wide> = (0..n)
                .map(|i| match kinds[i] {
                    0 => decimal::parse(&values[i]).unwrap(),
                    1 => decimal::parse(&rows[i % rows.len()][i]).unwrap(),
                    _ => bounds[i].1,
                })
                .collect();
            let raw = x.clone();
            // The contract's one-walk path clamps and reports the same.
            let mut one_walk = raw.clone();
            let walked = Envelope::parse_and_clamp(&bytes, &mut one_walk).expect("valid bytes");
            let mut two_walks = raw.clone();
            let parsed = env.clamp(&mut two_walks);
            prop_assert_eq!(&one_walk, &two_walks);
            prop_assert_eq!(walked.count, parsed.count);
            prop_assert_eq!(walked.features(), parsed.features());
            // And refuses what parse refuses: a cut or padded record.
            prop_assert_eq!(
                Envelope::parse_and_clamp(&bytes[..bytes.len() - 1], &mut raw.clone()).err(),
                Envelope::parse(&bytes[..bytes.len() - 1], n).err()
            );
            let mut padded = bytes.clone();
            padded.push(0);
            prop_assert_eq!(
                Envelope::parse_and_clamp(&padded, &mut raw.clone()).err(),
                Envelope::parse(&padded, n).err()
            );
            let outside: Vec<usize> = (0..n)
                .filter(|&i| raw[i] < bounds[i].0 || raw[i] > bounds[i].1)
                .collect();
            let report = env.clamp(&mut x);
            prop_assert_eq!(report.count as usize, outside.len());
            let listed: Vec<usize> = report.features().iter().map(|&i| usize::from(i)).collect();
            prop_assert_eq!(&listed[..], &outside[..outside.len().min(REPORTED)]);
            for i in 0..n {
                prop_assert!(bounds[i].0 <= x[i] && x[i] <= bounds[i].1);
                if !outside.contains(&i) {
                    prop_assert_eq!(x[i], raw[i], "feature {} inside, unchanged", i);
                }
            }
            // Clamping is idempotent.
            let again = x.clone();
            prop_assert_eq!(env.clamp(&mut x).count, 0);
            prop_assert_eq!(&x, &again);
            // In the envelope: the score is the unclamped input's, bit for bit.
            if outside.is_empty() {
                let a = m.infer(&raw, &mut scratch).unwrap();
                let b = m.infer(&x, &mut scratch).unwrap();
                prop_assert_eq!(a, b);
            }
        }
    }
}
