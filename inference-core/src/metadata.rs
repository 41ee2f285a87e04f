//! The optional metadata section (section C of `FORMAT.md`): a name per
//! feature, and optionally a human label and a unit per feature.
//!
//! It follows the family body and is present exactly when the header's
//! [`FLAG_METADATA`](crate::format::FLAG_METADATA) bit is set. It ends
//! with its own length (the blob's last 4 bytes), so [`Model::parse_without_checksum`]
//! (the per-query path) checks only that frame, in O(1), and never reads
//! the text; [`Model::parse`] validates every byte of it (UTF-8, lengths,
//! limits, one record per feature, unique names).
//!
//! [`Model::parse`]: crate::Model::parse
//! [`Model::parse_without_checksum`]: crate::Model::parse_without_checksum
use crate::format::{FormatError, Reader};

/// Section flag: every record carries a label.
pub const META_LABELS: u8 = 1;
/// Section flag: every record carries a unit.
pub const META_UNITS: u8 = 2;
/// Longest feature name, in bytes (UTF-8). Names are at least 1 byte.
pub const MAX_NAME_LEN: usize = 64;
/// Longest label, in bytes (UTF-8).
pub const MAX_LABEL_LEN: usize = 128;
/// Longest unit, in bytes (UTF-8).
pub const MAX_UNIT_LEN: usize = 32;
/// Most features a model with a metadata section may have (bounds the
/// names' uniqueness check).
pub const MAX_NAMED_FEATURES: usize = 4096;
/// Bytes of the section besides its records: `flags` (u8), `count` (u16)
/// before them, `meta_len` (u32) after.
pub const META_FIXED_LEN: usize = 7;

/// Worst-case operations of the section's frame check in
/// [`Model::parse_without_checksum`](crate::Model::parse_without_checksum)
/// (the header flag test, one u32 read, one comparison, one slice;
/// measured +270 ops on a one-feature linear model, `cost_bound`), as
/// `[WASM_OPS, COSMWASM_UNITS]` ([`crate::cost`]); charged by
/// [`Model::ops_bound`](crate::Model::ops_bound) only for models that have
/// the section, the `COSMWASM_UNITS` figure for any other coefficients.
pub const FRAME_COST: [u64; 2] = [320, 4000];

/// The validated metadata section of a model: borrowed, nothing decoded up
/// front.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metadata<'a> {
    flags: u8,
    count: usize,
    records: &'a [u8],
}

/// One feature's metadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeatureInfo<'a> {
    /// The feature's name (the CSV column / record key), never empty.
    pub name: &'a str,
    /// A human label, if the model stores one for this feature.
    pub label: Option<&'a str>,
    /// A unit, if the model stores one for this feature.
    pub unit: Option<&'a str>,
}

/// Check a text field's bytes: UTF-8, no control character.
fn text(bytes: &[u8], offset: usize) -> Result<&str, FormatError> {
    let s = core::str::from_utf8(bytes).map_err(|_| FormatError::MetadataText { offset })?;
    if s.chars().any(char::is_control) {
        return Err(FormatError::MetadataText { offset });
    }
    Ok(s)
}

/// Read one length-prefixed text field whose length must be in
/// `min..=max`.
fn field<'a>(
    r: &mut Reader<'a>,
    min: usize,
    max: usize,
    check: bool,
) -> Result<&'a [u8], FormatError> {
    let offset = r.pos();
    let len = usize::from(r.u8()?);
    if check && (len < min || len > max) {
        return Err(FormatError::MetadataTextLength { offset });
    }
    let bytes = r.take(len)?;
    if check {
        text(bytes, offset)?;
    }
    Ok(bytes)
}

/// The frame of section C, at the reader's position (the end of section
/// B): at least 4 bytes remain and the blob's last 4 bytes, `meta_len`,
/// equal the bytes between here and them. O(1). Returns the section's
/// bytes before `meta_len` and their absolute offset, and leaves the
/// reader at the end of the blob.
pub(crate) fn frame<'a>(r: &mut Reader<'a>) -> Result<(&'a [u8], usize), FormatError> {
    let at = r.pos();
    let rest = r.rest().len();
    let Some(actual) = rest.checked_sub(4) else {
        return Err(FormatError::Truncated {
            offset: at,
            needed: 4,
        });
    };
    let body = r.take(actual)?;
    let declared = r.u32()?;
    if declared as usize != actual {
        return Err(FormatError::MetadataLength { declared, actual });
    }
    Ok((body, at))
}

/// Where a framed section is: its bytes before `meta_len` and their
/// absolute offset, from the blob's last 4 bytes (empty if they do not
/// fit, which a framed blob rules out).
pub(crate) fn located(blob: &[u8]) -> (&[u8], usize) {
    let n = blob.len();
    let len = match n.checked_sub(4).and_then(|at| blob.get(at..)) {
        Some(t) => u32::from_le_bytes([t[0], t[1], t[2], t[3]]) as usize,
        None => return (&[], n),
    };
    match n.checked_sub(4 + len) {
        Some(at) if len <= n - 4 => (blob.get(at..n - 4).unwrap_or(&[]), at),
        _ => (&[], n),
    }
}

/// Validate a whole section body (the bytes after `meta_len`, which
/// start at absolute offset `at`) for a model of `n_features` features.
pub(crate) fn validate(
    body: &[u8],
    at: usize,
    n_features: usize,
) -> Result<Metadata<'_>, FormatError> {
    // The reader works on the body slice; offsets are made absolute here.
    let rebase = |e: FormatError| match e {
        FormatError::Truncated { offset, needed } => FormatError::Truncated {
            offset: offset + at,
            needed,
        },
        FormatError::ReservedNonZero { offset } => FormatError::ReservedNonZero {
            offset: offset + at,
        },
        FormatError::MetadataText { offset } => FormatError::MetadataText {
            offset: offset + at,
        },
        FormatError::MetadataTextLength { offset } => FormatError::MetadataTextLength {
            offset: offset + at,
        },
        FormatError::TrailingBytes { offset } => FormatError::TrailingBytes {
            offset: offset + at,
        },
        other => other,
    };
    validate_rel(body, n_features).map_err(rebase)
}

fn validate_rel(body: &[u8], n_features: usize) -> Result<Metadata<'_>, FormatError> {
    let mut r = Reader::new(body, 0);
    let flags = r.u8()?;
    if flags & !(META_LABELS | META_UNITS) != 0 {
        return Err(FormatError::ReservedNonZero { offset: 0 });
    }
    let count = usize::from(r.u16()?);
    if count != n_features || count > MAX_NAMED_FEATURES {
        return Err(FormatError::MetadataCount {
            declared: count,
            expected: n_features,
        });
    }
    let records_at = r.pos();
    for feature in 0..count {
        let name = field(&mut r, 1, MAX_NAME_LEN, true)?;
        // Unique names: compared with every earlier one (count is bounded
        // by MAX_NAMED_FEATURES).
        let mut earlier = Reader::new(body, records_at);
        for first in 0..feature {
            let other = field(&mut earlier, 0, usize::MAX, false)?;
            if other == name {
                return Err(FormatError::DuplicateFeatureName { feature, first });
            }
            skip_extras(&mut earlier, flags)?;
        }
        if flags & META_LABELS != 0 {
            field(&mut r, 0, MAX_LABEL_LEN, true)?;
        }
        if flags & META_UNITS != 0 {
            field(&mut r, 0, MAX_UNIT_LEN, true)?;
        }
    }
    if !r.rest().is_empty() {
        return Err(FormatError::TrailingBytes { offset: r.pos() });
    }
    Ok(Metadata {
        flags,
        count,
        records: body.get(records_at..).unwrap_or(&[]),
    })
}

fn skip_extras(r: &mut Reader<'_>, flags: u8) -> Result<(), FormatError> {
    if flags & META_LABELS != 0 {
        field(r, 0, usize::MAX, false)?;
    }
    if flags & META_UNITS != 0 {
        field(r, 0, usize::MAX, false)?;
    }
    Ok(())
}

impl<'a> Metadata<'a> {
    /// Number of records (the model's feature count).
    pub fn len(&self) -> usize {
        self.count
    }

    /// No records (never the case for a valid model).
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Whether records carry labels.
    pub fn has_labels(&self) -> bool {
        self.flags & META_LABELS != 0
    }

    /// Whether records carry units.
    pub fn has_units(&self) -> bool {
        self.flags & META_UNITS != 0
    }

    /// Every feature's metadata, in input order.
    pub fn features(&self) -> Features<'a> {
        Features {
            r: Reader::new(self.records, 0),
            flags: self.flags,
            left: self.count,
        }
    }

    /// Every feature's name, in input order.
    pub fn names(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.features().map(|f| f.name)
    }

    /// The index of the feature called `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.names().position(|n| n == name)
    }
}

/// Iterator over a validated section's records ([`Metadata::features`]).
#[derive(Clone, Debug)]
pub struct Features<'a> {
    r: Reader<'a>,
    flags: u8,
    left: usize,
}

impl<'a> Iterator for Features<'a> {
    type Item = FeatureInfo<'a>;

    fn next(&mut self) -> Option<FeatureInfo<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        // The section was validated: these reads cannot fail; if they did,
        // iteration just ends.
        let mut text = |present: bool| -> Option<Option<&'a str>> {
            if !present {
                return Some(None);
            }
            let b = field(&mut self.r, 0, usize::MAX, false).ok()?;
            let s = core::str::from_utf8(b).ok()?;
            Some((!s.is_empty()).then_some(s))
        };
        let name = text(true)??;
        let label = text(self.flags & META_LABELS != 0)?;
        let unit = text(self.flags & META_UNITS != 0)?;
        Some(FeatureInfo { name, label, unit })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.left))
    }
}
