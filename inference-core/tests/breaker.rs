//! Properties of the baselines and the breaker over random action
//! sequences, with a protected contract that follows every verdict.
use proptest::prelude::*;
use vigil_inference_core::baseline::{self, Baseline, Params, ONE};
use vigil_inference_core::breaker::{
    share_of, Breaker, Judged, Outcome, Response, Rules, Status, Verdict,
};

const TOTAL: u128 = 1_000_000_000;
const WINDOW: u64 = 10;

fn rules(share: u32, response: Response) -> Rules {
    Rules {
        outflow_share: Some((share, response)),
        denials: Some((3, Response::Delay)),
        mean_score: Some((3 << 29, 5, Response::Cap)),
        cooldown_blocks: 50,
        half_open_blocks: 30,
        half_open_cap: 20_000_000,
        delay_blocks: 20,
    }
}

/// (blocks to advance, value, model denies)
fn actions() -> impl Strategy<Value = Vec<(u64, u128, bool)>> {
    prop::collection::vec(
        (0u64..4, 1u128..60_000_000, prop::bool::weighted(0.1)),
        1..200,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// Whatever the sequence, what is paid in one window never exceeds the
    /// outflow line, nor the half-open cap while half-open; the verdict is
    /// a function of the state and the action; the record round-trips.
    #[test]
    fn paid_outflow_never_crosses_the_line(
        steps in actions(),
        share in 10_000_000u32..500_000_000,
        response in prop::sample::select(vec![Response::Cap, Response::Delay, Response::Deny]),
    ) {
        let r = rules(share, response);
        let mut b = Breaker::default();
        let mut height = 1_000;
        let mut paid_in_window = 0u128;
        let mut window = height / WINDOW;
        for (advance, value, denies) in steps {
            height += advance;
            if height / WINDOW != window {
                window = height / WINDOW;
                paid_in_window = 0;
            }
            let a = Judged {
                height,
                window,
                value,
                total_value: TOTAL,
                score: if denies { u32::MAX >> 1 } else { 1 << 20 },
                model_denies: denies,
            };
            let j = b.judge(&r, &a);
            prop_assert_eq!(j, b.judge(&r, &a));
            let outcome = match j.verdict {
                Verdict::Allow => Outcome::Paid,
                Verdict::Delay { .. } => Outcome::Parked,
                Verdict::Deny(_) => Outcome::Refused,
            };
            prop_assert!(Breaker::follows(&j.verdict, outcome));
            if denies {
                prop_assert!(j.verdict != Verdict::Allow, "a model denial is never paid");
            }
            b = j.next;
            b.apply(&a, outcome);
            if outcome == Outcome::Paid {
                paid_in_window += value;
                prop_assert!(paid_in_window <= share_of(TOTAL, share), "{} > line", paid_in_window);
                if matches!(b.status, Status::HalfOpen { .. }) {
                    prop_assert!(b.outflow <= share_of(TOTAL, r.half_open_cap));
                }
            }
            prop_assert_eq!(b.outflow, paid_in_window);
            prop_assert_eq!(Breaker::decode(&b.encode()), Some(b));
        }
    }

    /// However many calls an attacker makes and however large, a warm
    /// baseline's outflow and call rate rise by at most the governed share
    /// per window.
    #[test]
    fn baselines_rise_no_faster_than_the_governed_rate(
        burst in prop::collection::vec((1u32..500, 1u128..u64::MAX as u128), 1..30),
        rise in 1u32..(ONE as u32),
    ) {
        let p = Params { window_blocks: WINDOW, alpha_shift: 2, max_rise: rise, warmup_windows: 3 };
        let mut b = Baseline::default();
        // Warm up on steady traffic.
        for w in 0..10u64 {
            b.roll(&p, w * WINDOW);
            for i in 0..3u64 {
                b.record(&baseline::Action { height: w * WINDOW, value: 1000, total_value: TOTAL, price: 0, caller: i });
            }
        }
        for (i, (calls, value)) in burst.into_iter().enumerate() {
            let h = (10 + i as u64) * WINDOW;
            b.roll(&p, h);
            let (out, rate) = (b.mean_outflow, b.mean_calls);
            for c in 0..calls {
                b.record(&baseline::Action { height: h, value, total_value: TOTAL, price: 0, caller: c as u64 });
            }
            b.roll(&p, h + WINDOW);
            let grown = |old: u128, new: u128, floor: u128| new <= old + ((old.max(floor) * rise as u128) >> 16);
            // The outflow's floor: one typical action (as of the fold).
            let typical = 1u128 << (b.mean_log.max(0) >> 16);
            prop_assert!(grown(out, b.mean_outflow, typical), "{} -> {}", out, b.mean_outflow);
            prop_assert!(grown(rate as u128, b.mean_calls as u128, ONE as u128));
            prop_assert_eq!(Baseline::decode(&b.encode()), Some(b));
        }
    }
}
