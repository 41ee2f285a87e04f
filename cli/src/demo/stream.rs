//! Phase 4: the guarded stream, `Check` and `Score` per transaction.
use std::io::Write;

use anyhow::Result;
use serde::Serialize;
use vigil_chain_sim::Gas;
use vigil_guard_api::msg::{CheckResponse, QueryMsg, ScoreResponse};

use super::data::StreamTx;
use super::guard::Guard;
use super::text::{dec, say, sdec};
use crate::report::thousands;

/// One guarded transaction.
#[derive(Clone, Debug, Serialize)]
pub struct Guarded {
    /// What it is.
    pub name: String,
    /// Whether it is an attack (its label).
    pub attack: bool,
    /// Its features, as sent to `Check`.
    pub features: Vec<String>,
    /// `Check`'s answer with the incumbent.
    pub allow: bool,
    /// The score.
    pub score: f64,
    /// SDK gas of the `Check`.
    pub check_gas: u64,
    /// The top contributions from `Score`: feature name, value.
    pub reasons: Vec<(String, f64)>,
    /// `Check`'s answer after the PoIm round (the active model then).
    pub allow_after: bool,
}

/// The gas-log kind of `Check` with the incumbent.
pub(super) const CHECK_V1: &str = "check (v1 logreg)";

/// Guard the stream with the active model: `Check` and `Score` per
/// transaction.
pub(super) fn guard_stream(
    g: &mut Guard,
    stream: &[StreamTx],
    features: &[String],
    o: &mut dyn Write,
) -> Result<Vec<Guarded>> {
    say!(o);
    say!(
        o,
        "[4/5] guard: {} transactions, Check (verdict, gas) and Score (top reasons, logit units)",
        stream.len()
    );
    say!(
        o,
        "  {:>2}  {:<24} {:<6} {:<6} {:>6}  {:>9}  top reasons",
        "#",
        "transaction",
        "truth",
        "verdict",
        "score",
        "Check gas"
    );
    let mut guarded = Vec::new();
    for (i, tx) in stream.iter().enumerate() {
        let (check, gas): (CheckResponse, Gas) = g.query(
            Some(CHECK_V1),
            &QueryMsg::Check {
                features: tx.features.clone(),
            },
        )?;
        let (score, _): (ScoreResponse, Gas) = g.query(
            Some("score (v1)"),
            &QueryMsg::Score {
                features: tx.features.clone(),
            },
        )?;
        let reasons: Vec<(String, f64)> = score
            .contributions
            .iter()
            .take(2)
            .map(|c| {
                (
                    features
                        .get(usize::from(c.feature))
                        .cloned()
                        .unwrap_or_else(|| format!("#{}", c.feature)),
                    sdec(c.value),
                )
            })
            .collect();
        let text: Vec<String> = reasons
            .iter()
            .map(|(n, v)| format!("{n} {v:+.2}"))
            .collect();
        say!(
            o,
            "  {:>2}  {:<24} {:<6} {:<6} {:>7.4} {:>9}  {}",
            i + 1,
            tx.name,
            if tx.attack { "attack" } else { "normal" },
            if check.allow { "allow" } else { "DENY" },
            dec(check.score),
            thousands(gas.total()),
            text.join(", ")
        );
        guarded.push(Guarded {
            name: tx.name.clone(),
            attack: tx.attack,
            features: tx.features.clone(),
            allow: check.allow,
            score: dec(check.score),
            check_gas: gas.total(),
            reasons,
            allow_after: check.allow,
        });
    }
    Ok(guarded)
}

/// "denied x of y attacks, allowed ..." before or after the PoIm round.
pub(super) fn stream_summary(g: &[Guarded], after: bool) -> String {
    let allow = |x: &Guarded| if after { x.allow_after } else { x.allow };
    let attacks = g.iter().filter(|x| x.attack).count();
    let denied = g.iter().filter(|x| x.attack && !allow(x)).count();
    let normal = g.len() - attacks;
    let allowed = g.iter().filter(|x| !x.attack && allow(x)).count();
    format!(
        "denied {denied} of {attacks} attacks, allowed {allowed} of {normal} normal transactions"
    )
}
