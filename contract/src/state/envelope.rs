//! The data envelope's records (`crate::envelope`): raw keys, compact, in
//! the core's packed form (`vigil_inference_core::envelope::pack`: per
//! feature, two packed exact decimals).
//!
//! - [`RANGE_KEY`]: the test set's per-feature minimum and maximum; absent
//!   while the test set is empty.
//! - [`ENVELOPE_KEY`]: the bounds `Check` and `Score` clamp to (the range
//!   widened by `envelope_margin`); absent when there are none. The only
//!   record of the two a query reads: one read of, typically, 3-6 bytes per
//!   bound.
use cosmwasm_std::Storage;
use vigil_inference_core::decimal::Exact;
use vigil_inference_core::envelope;

use crate::error::ContractError;

/// Key of the test set's range (not under the samples' `ts` prefix, which
/// their range walk covers).
pub const RANGE_KEY: &[u8] = b"sample_range";

/// Key of the envelope `Check` reads.
pub const ENVELOPE_KEY: &[u8] = b"envelope";

/// The stored range of `n` features, if any.
pub fn load_range(
    storage: &dyn Storage,
    n: usize,
) -> Result<Option<Vec<(Exact, Exact)>>, ContractError> {
    let Some(bytes) = storage.get(RANGE_KEY) else {
        return Ok(None);
    };
    let corrupt = || ContractError::CorruptRecord("test set range".into());
    let mut rest = &bytes[..];
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let (lo, a) = Exact::unpack(rest).map_err(|_| corrupt())?;
        let (hi, b) = Exact::unpack(rest.get(a..).unwrap_or(&[])).map_err(|_| corrupt())?;
        out.push((lo, hi));
        rest = rest.get(a + b..).unwrap_or(&[]);
    }
    if !rest.is_empty() {
        return Err(corrupt());
    }
    Ok(Some(out))
}

/// Store the range (`None`: the test set is empty).
pub fn save_range(storage: &mut dyn Storage, range: Option<&[(Exact, Exact)]>) {
    match range {
        Some(r) => {
            let mut bytes = Vec::with_capacity(8 * r.len());
            for (lo, hi) in r {
                envelope::pack(lo, hi, &mut bytes);
            }
            storage.set(RANGE_KEY, &bytes);
        }
        None => storage.remove(RANGE_KEY),
    }
}

/// The envelope's bytes, if there is one.
pub fn load_envelope(storage: &dyn Storage) -> Option<Vec<u8>> {
    storage.get(ENVELOPE_KEY)
}

/// Store the envelope.
pub fn save_envelope(storage: &mut dyn Storage, bytes: &[u8]) {
    storage.set(ENVELOPE_KEY, bytes);
}

/// No envelope.
pub fn remove_envelope(storage: &mut dyn Storage) {
    storage.remove(ENVELOPE_KEY);
}
