//! The governor's one message to the guard (the guard/governor split,
//! `docs/split.md`): [`InstallModel`] sets the whole record `Check` reads
//! (model version, threshold, data envelope). A new model, a rollback and
//! an envelope or threshold change all go through it. Only the governor
//! address the guard stores may send it; `sequence` orders the installs so
//! that none can be replayed.
//!
//! Not yet dispatched: the single contract keeps its own governance, and
//! the guard's handler (`vigil_guard::execute::install`) is tested alone.
use cosmwasm_schema::cw_serde;
use cosmwasm_std::Binary;
use thiserror::Error;

use crate::units::SCORE_ONE_BITS;

/// Threshold bits meaning "the model's own threshold" (the active record's
/// convention).
pub const OWN_THRESHOLD: u32 = u32::MAX;

/// Install (or re-activate) a model version, with the threshold and
/// envelope `Check` applies to it.
#[cw_serde]
pub struct InstallModel {
    /// The guard's last accepted sequence plus one (the first is 1).
    pub sequence: u64,
    /// With `blob`: the new version, the guard's latest plus one. Without:
    /// a version the guard stores, re-activated (a rollback, or a new
    /// envelope or threshold for the active model).
    pub version: u32,
    /// A new model (Vigil format), validated by the guard as at upload.
    #[serde(default)]
    pub blob: Option<Binary>,
    /// The deny threshold as score bits (`U1F31`: at most 2^31), or
    /// [`OWN_THRESHOLD`].
    pub threshold_bits: u32,
    /// The envelope's bounds in the core's packed form
    /// (`vigil_inference_core::envelope::pack`, one pair per feature);
    /// absent: no envelope.
    #[serde(default)]
    pub envelope: Option<Binary>,
}

/// An install that cannot be right whatever the guard's state.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum InvalidInstall {
    /// Sequences start at 1.
    #[error("an install's sequence starts at 1")]
    ZeroSequence,
    /// Versions start at 1.
    #[error("model versions start at 1")]
    ZeroVersion,
    /// Threshold bits above one and not the model's own.
    #[error("threshold bits {0} are above 2^31 (a score of one)")]
    ThresholdBits(u32),
    /// An empty blob.
    #[error("an installed blob is not empty")]
    EmptyBlob,
    /// An empty envelope (absent means none).
    #[error("an envelope is not empty (omit it for none)")]
    EmptyEnvelope,
}

impl InstallModel {
    /// The checks that need no state (the guard makes them first).
    pub fn validate(&self) -> Result<(), InvalidInstall> {
        if self.sequence == 0 {
            return Err(InvalidInstall::ZeroSequence);
        }
        if self.version == 0 {
            return Err(InvalidInstall::ZeroVersion);
        }
        if self.threshold_bits > SCORE_ONE_BITS && self.threshold_bits != OWN_THRESHOLD {
            return Err(InvalidInstall::ThresholdBits(self.threshold_bits));
        }
        if self.blob.as_ref().is_some_and(|b| b.is_empty()) {
            return Err(InvalidInstall::EmptyBlob);
        }
        if self.envelope.as_ref().is_some_and(|e| e.is_empty()) {
            return Err(InvalidInstall::EmptyEnvelope);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok() -> InstallModel {
        InstallModel {
            sequence: 1,
            version: 1,
            blob: Some(Binary::from(b"x".as_slice())),
            threshold_bits: OWN_THRESHOLD,
            envelope: None,
        }
    }

    /// A change to a valid message, and the fault it makes.
    type Case = (fn(&mut InstallModel), InvalidInstall);

    #[test]
    fn validate_refuses_each_stateless_fault() {
        assert_eq!(ok().validate(), Ok(()));
        let cases: [Case; 5] = [
            (|m| m.sequence = 0, InvalidInstall::ZeroSequence),
            (|m| m.version = 0, InvalidInstall::ZeroVersion),
            (
                |m| m.threshold_bits = SCORE_ONE_BITS + 1,
                InvalidInstall::ThresholdBits(SCORE_ONE_BITS + 1),
            ),
            (
                |m| m.blob = Some(Binary::default()),
                InvalidInstall::EmptyBlob,
            ),
            (
                |m| m.envelope = Some(Binary::default()),
                InvalidInstall::EmptyEnvelope,
            ),
        ];
        for (break_it, want) in cases {
            let mut m = ok();
            break_it(&mut m);
            assert_eq!(m.validate(), Err(want));
        }
        // The edges that are valid: a score of one, a re-activation.
        let mut m = ok();
        m.threshold_bits = SCORE_ONE_BITS;
        m.blob = None;
        assert_eq!(m.validate(), Ok(()));
    }

    #[test]
    fn blob_and_envelope_may_be_absent_in_json() {
        let m: InstallModel =
            cosmwasm_std::from_json(br#"{"sequence":2,"version":1,"threshold_bits":4294967295}"#)
                .unwrap();
        assert_eq!(m.blob, None);
        assert_eq!(m.envelope, None);
        assert_eq!(m.validate(), Ok(()));
    }
}
