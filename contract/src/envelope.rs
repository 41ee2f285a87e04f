//! The data envelope (issue 12, attack 2's second defence): every raw input
//! of `Check` and `Score` is clamped into the test set's range, widened by
//! `envelope_margin`, before any model sees it, and the inputs it clamped
//! are reported. The arithmetic is the core's
//! (`vigil_inference_core::envelope`), so the browser package and the CLI
//! clamp bit for bit as the contract does.
//!
//! Two raw records (`crate::state::envelope`), written only by the test-set
//! and settings changes, never by a `Check`:
//!
//! - the test set's per-feature minimum and maximum (exact decimals, as the
//!   samples are stored), kept up to date incrementally: an addition
//!   widens it with the new rows alone; a removal recomputes it (one walk
//!   of the test set) only when a removed sample held a minimum or a
//!   maximum, since otherwise it cannot change;
//! - the envelope itself (the range widened by the margin, rounded
//!   outward), which is all a `Check` reads: one small extra read.
//!
//! Every stored sample lies inside the envelope (it is built from them), so
//! evaluating a proposal on the test set never clamps: evaluation does not
//! read it. What it does not stop: a backdoor on inputs inside the envelope
//! that no sample exercises.
use std::cmp::Ordering;

use cosmwasm_std::Storage;
use vigil_guard_api::Settings;
use vigil_inference_core::decimal::Exact;
use vigil_inference_core::envelope::{self as core_envelope, Envelope, Report};
use vigil_inference_core::Wide;

use crate::error::ContractError;
use crate::state::{envelope as records, samples};

/// Per feature, the smallest and largest value of the test set.
pub type Range = Vec<(Exact, Exact)>;

fn corrupt(what: &str) -> ContractError {
    ContractError::CorruptRecord(what.into())
}

/// The range of `rows`, started from `range` (`None`: no row yet).
fn covered(mut range: Option<Range>, rows: &[Vec<Exact>]) -> Option<Range> {
    for row in rows {
        match &mut range {
            Some(r) => core_envelope::cover(r, row),
            None => range = Some(row.iter().map(|v| (*v, *v)).collect()),
        }
    }
    range
}

/// A stored sample's values (label byte skipped).
fn sample_values(record: &[u8], n: usize) -> Result<Vec<Exact>, ContractError> {
    let mut rest = record.get(1..).ok_or_else(|| corrupt("test sample"))?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let (v, used) = Exact::unpack(rest).map_err(|_| corrupt("test sample"))?;
        out.push(v);
        rest = rest.get(used..).unwrap_or(&[]);
    }
    Ok(out)
}

/// The range of a test set's rows (their values), if it has any.
pub fn range_of(rows: &[Vec<Exact>]) -> Option<Range> {
    covered(None, rows)
}

/// The stored envelope of `range` widened by `margin`: what the contract
/// writes and `Check` reads (also how a client sizes it, e.g. for
/// `crate::gas::check_gas`).
pub fn envelope_of(range: &[(Exact, Exact)], margin: cosmwasm_std::Decimal) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(8 * range.len());
    core_envelope::pack_widened(range, margin.atomics().u128(), &mut bytes);
    bytes
}

/// Write the envelope `settings` give the stored range: the range widened
/// by `envelope_margin`, or nothing (no envelope) when the margin is off or
/// the test set is empty. A new envelope is noted for the guard
/// (`state::bound_guard`); the same bytes are neither rewritten nor noted.
pub fn refresh(storage: &mut dyn Storage, settings: &Settings) -> Result<(), ContractError> {
    let n = usize::from(settings.n_features);
    let envelope = match (settings.envelope_margin, records::load_range(storage, n)?) {
        (Some(margin), Some(range)) => Some(envelope_of(&range, margin)),
        _ => None,
    };
    // Unchanged (most test-set changes stay inside the range): nothing to
    // write here, nothing to send the guard.
    if records::load_envelope(storage) == envelope {
        return Ok(());
    }
    match &envelope {
        Some(bytes) => records::save_envelope(storage, bytes),
        None => records::remove_envelope(storage),
    }
    crate::state::bound_guard::mark_changed(storage);
    Ok(())
}

/// After samples were added (`rows`, their values): widen the range and
/// refresh the envelope.
pub fn on_add(
    storage: &mut dyn Storage,
    settings: &Settings,
    rows: &[Vec<Exact>],
) -> Result<(), ContractError> {
    if rows.is_empty() {
        return Ok(());
    }
    let n = usize::from(settings.n_features);
    let range = covered(records::load_range(storage, n)?, rows);
    records::save_range(storage, range.as_deref());
    refresh(storage, settings)
}

/// After stored records (label byte, packed values) were added: as
/// [`on_add`].
pub fn on_add_records<'a>(
    storage: &mut dyn Storage,
    settings: &Settings,
    records: impl Iterator<Item = &'a [u8]>,
) -> Result<(), ContractError> {
    let n = usize::from(settings.n_features);
    let rows = records
        .map(|r| sample_values(r, n))
        .collect::<Result<Vec<_>, _>>()?;
    on_add(storage, settings, &rows)
}

/// After samples were removed (`removed`, their records): the range can
/// only shrink where a removed value was a bound, so it is recomputed from
/// the samples left (one walk of the test set) only then.
pub fn on_remove(
    storage: &mut dyn Storage,
    settings: &Settings,
    removed: &[Vec<u8>],
) -> Result<(), ContractError> {
    let n = usize::from(settings.n_features);
    let Some(range) = records::load_range(storage, n)? else {
        return Ok(());
    };
    let mut held_a_bound = false;
    for record in removed {
        let values = sample_values(record, n)?;
        held_a_bound |= values.iter().zip(&range).any(|(v, (lo, hi))| {
            core_envelope::cmp_exact(v, lo) != Ordering::Greater
                || core_envelope::cmp_exact(v, hi) != Ordering::Less
        });
    }
    if held_a_bound {
        rebuild(storage, settings)?;
    }
    Ok(())
}

/// Recompute the range from every stored sample (one walk of the test
/// set), then the envelope.
pub fn rebuild(storage: &mut dyn Storage, settings: &Settings) -> Result<(), ContractError> {
    let n = usize::from(settings.n_features);
    let mut range: Option<Range> = None;
    let mut bad = None;
    samples::for_each(storage, None, usize::MAX, &mut |_, record| {
        match sample_values(record, n) {
            Ok(row) => range = covered(range.take(), &[row]),
            Err(e) => bad = Some(e),
        }
        Ok(())
    })?;
    if let Some(e) = bad {
        return Err(e);
    }
    records::save_range(storage, range.as_deref());
    refresh(storage, settings)
}

/// Clamp `inputs` (parsed raw values, one per feature) into the stored
/// envelope, if there is one: one read of a few bytes per feature.
pub fn clamp(storage: &dyn Storage, inputs: &mut [Wide]) -> Result<Report, ContractError> {
    match records::load_envelope(storage) {
        Some(bytes) => Envelope::parse_and_clamp(&bytes, inputs)
            .map_err(|e| ContractError::CorruptRecord(e.to_string())),
        None => Ok(Report::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(s: &str) -> Exact {
        Exact::parse(s).unwrap()
    }

    #[test]
    fn the_range_covers_every_row() {
        let rows = vec![
            vec![e("3"), e("-1")],
            vec![e("-2.5"), e("7")],
            vec![e("10"), e("0")],
        ];
        let r = covered(None, &rows).unwrap();
        assert_eq!(r, vec![(e("-2.5"), e("10")), (e("-1"), e("7"))]);
        // Incrementally, the same.
        let r2 = covered(covered(None, &rows[..1]), &rows[1..]).unwrap();
        assert_eq!(r, r2);
        assert_eq!(covered(None, &[]), None);
    }
}
