//! What one guarded inference (`Check`) costs its caller on a wasmd chain,
//! bounded before it is sent: setup, storage and compute, in Cosmos SDK gas,
//! priced with wasmd's prices as `vigil_guard_api::gas::WasmdGas` defines
//! them (the one definition).
//!
//! The core's [`Cost`] bounds the model's own work (parse + inference, in
//! cosmwasm-vm units) and the bytes of its blob. [`check_gas`] adds the rest:
//!
//! * **setup**: wasmd's lookup of the guard before the call (its contract
//!   and code records and the pinned check, [`WasmdGas::contract_lookup`],
//!   for records of up to [`CONTRACT_INFO_MAX_BYTES`] and
//!   [`CODE_INFO_MAX_BYTES`]: measured on a wasmd node by the localnet
//!   suite, where it was missing) and wasmd's instance cost
//!   ([`WasmdGas::setup`]);
//! * **storage**: the reads of the active record (its [`ACTIVE_HEADER_LEN`]
//!   header and the blob, split into records of
//!   [`WasmdGas::max_value_bytes`]) and of the data envelope
//!   ([`ENVELOPE_KEY`], read whether or not there is one), each charged
//!   1,000 plus 3 per byte of key and value, where the key `gaskv` sees is
//!   wasmd's 33-byte contract prefix followed by the contract's own key.
//!   This part is exact for the envelope's size;
//! * **compute**: the model's units priced as cosmwasm-vm prices them, plus
//!   the contract's own work around it: the entry point, the `Env`, the
//!   JSON message and every feature's decimal parse, the active record's
//!   copies, and the answer, plus what wasmvm charges to deserialise the
//!   answer ([`CHECK_RESULT_MAX_BYTES`] at one SDK gas per byte: measured
//!   on a wasmd node by the localnet suite, where it was missing). That work is bounded by [`CALL_VM_GAS`] +
//!   [`FEATURE_VM_GAS`] per feature + [`MESSAGE_BYTE_VM_GAS`] per byte of
//!   the query message + [`RECORD_BYTE_VM_GAS`] per byte of the active
//!   record (+ [`SPLIT_RECORD_BYTE_VM_GAS`] per byte for each read after
//!   the first, when the record spans several storage values).
//!
//! These constants are measured on the shipped artifact in cosmwasm-vm
//! (`cargo test -p host-tests --test check_gas -- --nocapture` prints the
//! fit), and that test holds `measured <= bound <= 1.10 x measured` (above
//! setup) for every model family and size, for one to 300 features, and for
//! decimal inputs of every shape the core accepts.

use vigil_guard_api::gas::WasmdGas;
use vigil_guard_api::msg::CheckGas;
use vigil_inference_core::cost::Cost;
use vigil_inference_core::envelope::{EnvelopeCoefficients, MAX_FEATURE_BYTES};

use crate::state::envelope::ENVELOPE_KEY;
use crate::state::{ACTIVE_HEADER_LEN, ACTIVE_KEY};

/// CosmWasm gas of a `Check` beyond the model, the message and the
/// record: the entry point, region allocation, the `Env`, the header, the
/// read of the data envelope's key and the answer. Refitted with the data
/// envelope: the 720 cases of `check_gas` need at least 25,269,970
/// (21,856,330 before the envelope's key was read); with the breaker's
/// queries in the guard's query message (a larger dispatch) 26,213,775.
pub const CALL_VM_GAS: u64 = 26_500_000;
/// CosmWasm gas per feature beyond its bytes: one string of the message's
/// list and its decimal parse (an exponent costs most).
pub const FEATURE_VM_GAS: u64 = 720_000;
/// CosmWasm gas per byte of the query message (JSON reading and decimal
/// digits).
pub const MESSAGE_BYTE_VM_GAS: u64 = 80_000;
/// CosmWasm gas per byte of the active record (header and blob): the copy
/// the storage read leaves in the contract's memory.
pub const RECORD_BYTE_VM_GAS: u64 = 1_300;
/// CosmWasm gas per byte of the active record for each read after the
/// first: a record larger than one storage value is reassembled, its
/// buffer grown and copied.
pub const SPLIT_RECORD_BYTE_VM_GAS: u64 = 3_800;

/// The largest `ContractInfo` record of the guard this bound assumes, in
/// bytes (protobuf): code id (11), creator and admin addresses of up to
/// 75 characters each (a 32-byte address under a prefix of up to 16
/// characters: 78 each with their tags), a label of up to 128 bytes
/// (wasmd's default `MaxLabelSize`: 131), the creation position (24) and
/// two IBC port ids (`wasm.` + the address: 83 each) is 488.
pub const CONTRACT_INFO_MAX_BYTES: usize = 512;

/// The largest `CodeInfo` record of the guard's code this bound assumes, in
/// bytes (protobuf): the code hash (34), the creator (78) and an
/// instantiate permission naming at most one address (84) is 196.
pub const CODE_INFO_MAX_BYTES: usize = 256;

/// The largest `Check` answer as JSON: `CheckResponse` with the longest
/// value of every field (scores and thresholds in `[0, 1]` with 18
/// fractional digits, a `u32` version).
const CHECK_ANSWER_MAX_JSON: usize = concat!(
    r#"{"allow":false,"score":"0.999999999999999999","#,
    r#""threshold":"0.999999999999999999","model_version":4294967295,"paused":false,"#,
    r#""out_of_envelope":4294967295,"out_of_envelope_features":"#,
    r#"[65535,65535,65535,65535,65535,65535,65535,65535]}"#
)
.len();

/// Bytes of the largest raw result of a `Check` (the `ContractResult`
/// wasmvm deserialises, `{"ok":"<the answer in base64>"}`), charged at
/// [`WasmdGas::deserialization_per_byte`].
pub const CHECK_RESULT_MAX_BYTES: usize =
    r#"{"ok":""}"#.len() + CHECK_ANSWER_MAX_JSON.div_ceil(3) * 4;

/// CosmWasm gas of the data envelope's part of a `Check` when there is one
/// (`vigil_inference_core::envelope::Envelope::cost`'s shape): its bytes
/// copied out of storage and decoded once as they are validated and
/// applied (`Envelope::parse_and_clamp`; the coefficients were fitted when
/// it was decoded twice, so they stay an upper bound), per
/// feature two bounds converted and compared, the input clamped and
/// reported, and the report written into the answer (at most eight
/// indexes). Measured on the artifact by `check_gas` (every input shape, in
/// and out of the envelope).
pub const ENVELOPE_VM_GAS: EnvelopeCoefficients = EnvelopeCoefficients {
    per_call: 3_400_000,
    per_feature: 1_000_000,
    per_byte: 20_000,
};

/// The CosmWasm gas of the envelope's part of a `Check` on `n_features`
/// inputs with an envelope of `envelope_bytes` (0: none; the read of its
/// absent key is part of [`CALL_VM_GAS`]).
pub fn envelope_vm_gas(n_features: usize, envelope_bytes: usize) -> u64 {
    match envelope_bytes {
        0 => 0,
        bytes => ENVELOPE_VM_GAS.bound(n_features, bytes),
    }
}

/// The largest envelope of `n_features` features, in bytes: what a quote
/// assumes when it does not read the stored one (two packed bounds of at
/// most 20 bytes per feature; a typical one takes 3-6 bytes a bound).
pub fn envelope_bytes_bound(n_features: usize) -> usize {
    n_features.saturating_mul(MAX_FEATURE_BYTES)
}

/// The SDK gas of one `Check` on a model of cost `cost` (its
/// [`Cost::of`]), with `n_features` inputs sent in a query message of
/// `message_bytes` bytes ([`check_message_bytes`]) on a guard whose data
/// envelope is `envelope_bytes` long (0: none): an upper bound, split as
/// wasmd charges it, priced with [`WasmdGas::DEFAULT`].
pub fn check_gas(
    cost: &Cost,
    n_features: usize,
    message_bytes: usize,
    envelope_bytes: usize,
    pinned: bool,
) -> CheckGas {
    let wasmd = WasmdGas::DEFAULT;
    let max_value = wasmd.max_value_bytes as u128;
    let record = ACTIVE_HEADER_LEN as u128 + u128::from(cost.model_bytes);
    // The contract reads record after record while each is full, so a
    // record of exactly k full records costs one more (empty) read.
    let reads = record / max_value + 1;
    // Continuation keys are the first key, 0xFF and a 2-byte index.
    let key_bytes = (wasmd.key_prefix as u128 + ACTIVE_KEY.len() as u128) * reads + 3 * (reads - 1);
    // The envelope: one more read, of its key and bytes (none when absent).
    let envelope = envelope_bytes as u128;
    let envelope_key = wasmd.key_prefix as u128 + ENVELOPE_KEY.len() as u128;
    let storage = u128::from(wasmd.read_flat) * (reads + 1)
        + u128::from(wasmd.read_per_byte) * (key_bytes + record + envelope_key + envelope);
    let model = u128::from(cost.cosmwasm_units) * u128::from(wasmd.vm_gas_per_op);
    let call = u128::from(CALL_VM_GAS)
        + u128::from(FEATURE_VM_GAS) * n_features as u128
        + u128::from(MESSAGE_BYTE_VM_GAS) * message_bytes as u128
        + u128::from(RECORD_BYTE_VM_GAS) * record
        + u128::from(SPLIT_RECORD_BYTE_VM_GAS) * record * (reads - 1)
        + u128::from(envelope_vm_gas(n_features, envelope_bytes));
    // wasmvm adds the deserialisation of the answer to the VM gas.
    let answer = u128::from(wasmd.deserialization_vm_gas(CHECK_RESULT_MAX_BYTES));
    CheckGas {
        // wasmd looks the guard up before the call; then the instance.
        setup: wasmd
            .setup(pinned)
            .saturating_add(wasmd.contract_lookup(CONTRACT_INFO_MAX_BYTES, CODE_INFO_MAX_BYTES)),
        storage: u64::try_from(storage).unwrap_or(u64::MAX),
        compute: wasmd.sdk_gas_ceil(model + call + answer),
    }
}

/// The quoted `Check` bound of a model of cost `cost` on a guard of
/// `n_features` inputs: inputs of `QUOTE_VALUE_CHARS` characters, the
/// largest data envelope ([`envelope_bytes_bound`]: the quote holds
/// whatever the test set becomes), code not pinned (what `Model` and `Cost`
/// answer, and what `max_check_gas` bounds above setup).
pub fn quoted_check_gas(cost: &Cost, n_features: u16) -> CheckGas {
    let n = usize::from(n_features);
    check_gas(
        cost,
        n,
        check_message_bytes_for(n, vigil_guard_api::gas::QUOTE_VALUE_CHARS),
        envelope_bytes_bound(n),
        false,
    )
}

/// The compact `Check` query without its values.
const CHECK_FRAME: usize = r#"{"check":{"features":[]}}"#.len();

/// Bytes of the compact JSON query `{"check":{"features":[...]}}` carrying
/// `features` (strings that need no JSON escape, as decimals never do).
pub fn check_message_bytes<S: AsRef<str>>(features: &[S]) -> usize {
    let values: usize = features.iter().map(|f| f.as_ref().len() + 2).sum();
    CHECK_FRAME + values + features.len().saturating_sub(1)
}

/// Bytes of the query message when each of `n_features` values is
/// `chars_per_value` characters long: the message a bound is quoted for
/// when the inputs are not known yet.
pub fn check_message_bytes_for(n_features: usize, chars_per_value: usize) -> usize {
    CHECK_FRAME + n_features * (chars_per_value + 3) - n_features.min(1)
}

/// The largest `Protected` record (settings and a pending change, JSON):
/// eight kinds of 32 characters, a unit of 32, a guardian's address of 90
/// and every rule on, twice (`tests::the_largest_protected_record_fits`).
pub const PROTECTED_MAX_BYTES: usize = 2_200;
/// The longest protected contract's or caller's address this bound assumes
/// (bech32 of 32 bytes under a long prefix).
pub const ADDRESS_MAX_CHARS: usize = 90;
/// CosmWasm gas of an `Observe` beyond a `Check`'s own work: the action's
/// JSON frame, the settings' JSON, the address checks and caller hash, the
/// baseline's roll (at most `MAX_EMPTY_FOLDS + 1` folds), the derived
/// features, the breaker's judgement, the two records' encodings, the
/// events and the answer (`host-tests`' `gas_budget` holds measured <=
/// bound).
pub const OBSERVE_VM_GAS: u64 = 60_000_000;
/// The largest `Observe` result: the `VerdictResponse` as the response's
/// data (base64), its attributes and two events.
pub const OBSERVE_RESULT_MAX_BYTES: usize = 2_048;

/// The SDK gas of one `Observe` (an execute) of an action with
/// `n_features` features on a model of cost `cost`, quoted before the call
/// as [`quoted_check_gas`] quotes `Check`: the `Check` it contains (the
/// action's message instead of the query, the largest envelope), plus the
/// reads of the protected contract's record ([`PROTECTED_MAX_BYTES`]), the
/// kind's baseline and the contract's breaker, the writes of the last two,
/// and [`OBSERVE_VM_GAS`] of their arithmetic and the answer. Setup is an
/// unpinned contract's.
pub fn observe_gas_bound(cost: &Cost, n_features: usize) -> CheckGas {
    use vigil_inference_core::baseline::Baseline;
    use vigil_inference_core::breaker::Breaker;
    let wasmd = WasmdGas::DEFAULT;
    let n = n_features;
    let message = check_message_bytes_for(n, vigil_guard_api::gas::QUOTE_VALUE_CHARS)
        + 400
        + 2 * ADDRESS_MAX_CHARS;
    let check = check_gas(cost, n, message, envelope_bytes_bound(n), false);
    // Keys: wasmd's prefix, the map's 2-byte length and name, the address
    // (and for a baseline, the address's 2-byte length and the kind).
    let prefix = wasmd.key_prefix;
    let protected_key = prefix + 2 + "protected".len() + ADDRESS_MAX_CHARS;
    let baseline_key =
        prefix + 2 + 2 + 2 + ADDRESS_MAX_CHARS + vigil_guard_api::breaker::MAX_KIND_LEN;
    let breaker_key = prefix + 2 + 2 + ADDRESS_MAX_CHARS;
    let (b, k) = (Baseline::ENCODED_LEN, Breaker::ENCODED_LEN);
    let reads = 3 * wasmd.read_flat
        + wasmd.read_per_byte
            * (protected_key + PROTECTED_MAX_BYTES + baseline_key + b + breaker_key + k) as u64;
    let writes =
        2 * wasmd.write_flat + wasmd.write_per_byte * (baseline_key + b + breaker_key + k) as u64;
    let vm = u128::from(OBSERVE_VM_GAS)
        + u128::from(wasmd.deserialization_vm_gas(OBSERVE_RESULT_MAX_BYTES));
    CheckGas {
        setup: check.setup,
        storage: check.storage + reads + writes,
        compute: check.compute + wasmd.sdk_gas_ceil(vm),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_protected_record_fits() {
        use crate::state::protected::Protected;
        use vigil_guard_api::breaker::{
            PendingProtected, ProtectedSettings, MAX_KINDS, MAX_KIND_LEN, MAX_UNIT_LEN,
        };
        let mut s = ProtectedSettings::with_kinds(
            (0..MAX_KINDS)
                .map(|i| format!("{i}").repeat(MAX_KIND_LEN))
                .collect(),
            "u".repeat(MAX_UNIT_LEN),
        );
        s.guardian = Some("g".repeat(ADDRESS_MAX_CHARS));
        s.window_blocks = u64::MAX;
        s.cooldown_blocks = u64::MAX;
        s.half_open_blocks = u64::MAX;
        s.delay_blocks = u64::MAX;
        s.warmup_windows = u32::MAX;
        s.max_rise = cosmwasm_std::Decimal::from_ratio(1u128, 3u128);
        let p = Protected {
            settings: s.clone(),
            pending: Some(PendingProtected {
                effective_at: u64::MAX,
                settings: Some(s),
            }),
        };
        let bytes = cosmwasm_std::to_json_vec(&p).unwrap().len();
        assert!(bytes <= PROTECTED_MAX_BYTES, "{bytes}");
    }

    #[test]
    fn the_largest_check_result_is_what_the_bound_charges() {
        let longest = cosmwasm_std::Decimal::from_atomics(999_999_999_999_999_999u128, 18).unwrap();
        let answer = crate::msg::CheckResponse {
            allow: false,
            score: longest,
            threshold: longest,
            model_version: u32::MAX,
            paused: false,
            out_of_envelope: u32::MAX,
            out_of_envelope_features: vec![u16::MAX; vigil_inference_core::envelope::REPORTED],
        };
        let json = cosmwasm_std::to_json_binary(&answer).unwrap();
        assert_eq!(json.len(), CHECK_ANSWER_MAX_JSON);
        // What the VM hands wasmvm: the query's ContractResult, the answer in base64.
        let result = cosmwasm_std::ContractResult::Ok(json);
        assert_eq!(
            cosmwasm_std::to_json_vec(&result).unwrap().len(),
            CHECK_RESULT_MAX_BYTES
        );
        // Any other answer is no longer.
        let short = crate::msg::CheckResponse {
            allow: true,
            score: cosmwasm_std::Decimal::one(),
            threshold: cosmwasm_std::Decimal::percent(50),
            model_version: 1,
            paused: false,
            out_of_envelope: 0,
            out_of_envelope_features: Vec::new(),
        };
        let short = cosmwasm_std::ContractResult::Ok(cosmwasm_std::to_json_binary(&short).unwrap());
        assert!(cosmwasm_std::to_json_vec(&short).unwrap().len() < CHECK_RESULT_MAX_BYTES);
    }

    #[test]
    fn message_bytes_match_serde_json() {
        for features in [vec![], vec!["1"], vec!["0", "12.5", "-3e7"]] {
            let msg = crate::msg::QueryMsg::Check {
                features: features.iter().map(|f| f.to_string()).collect(),
            };
            let json = cosmwasm_std::to_json_vec(&msg).unwrap();
            assert_eq!(check_message_bytes(&features), json.len(), "{features:?}");
            if let Some(first) = features.first() {
                if features.iter().all(|f| f.len() == first.len()) {
                    assert_eq!(
                        check_message_bytes_for(features.len(), first.len()),
                        json.len()
                    );
                }
            }
        }
        assert_eq!(
            check_message_bytes_for(0, 10),
            check_message_bytes::<&str>(&[])
        );
        assert_eq!(
            check_message_bytes_for(3, 4),
            check_message_bytes(&["1234"; 3])
        );
    }

    #[test]
    fn storage_counts_every_record_and_the_empty_read_after_a_full_one() {
        let cost = |bytes: u64| Cost {
            ops: 0,
            cosmwasm_units: 0,
            model_bytes: bytes,
        };
        let wasmd = WasmdGas::DEFAULT;
        let max_value = wasmd.max_value_bytes as u64;
        let prefix_and_key = wasmd.key_prefix as u64 + ACTIVE_KEY.len() as u64;
        // Every Check also reads the envelope's key (absent here: no bytes).
        let envelope = 1_000 + 3 * (wasmd.key_prefix as u64 + ENVELOPE_KEY.len() as u64);
        let one = check_gas(&cost(155), 8, 0, 0, false);
        assert_eq!(
            one.storage,
            1_000 + 3 * (prefix_and_key + 10 + 155) + envelope
        );
        // An envelope of 100 bytes: 3 gas a byte more, and its compute.
        let with = check_gas(&cost(155), 8, 0, 100, false);
        assert_eq!(with.storage, one.storage + 300);
        assert!(with.compute > one.compute);
        // A record of exactly one full value: a second, empty read of the
        // first continuation key (3 bytes longer).
        let full = max_value - ACTIVE_HEADER_LEN as u64;
        let two = check_gas(&cost(full), 8, 0, 0, false);
        assert_eq!(
            two.storage,
            2 * 1_000 + 3 * (2 * prefix_and_key + 3 + max_value) + envelope
        );
        // One byte less: a single read.
        assert_eq!(
            check_gas(&cost(full - 1), 8, 0, 0, false).storage,
            1_000 + 3 * (prefix_and_key + max_value - 1) + envelope
        );
        let lookup = wasmd.contract_lookup(CONTRACT_INFO_MAX_BYTES, CODE_INFO_MAX_BYTES);
        assert_eq!(one.setup, wasmd.setup(false) + lookup);
        assert_eq!(
            check_gas(&cost(155), 8, 0, 0, true).setup,
            wasmd.setup(true) + lookup
        );
    }

    #[test]
    fn compute_grows_with_the_model_the_features_and_the_message() {
        let base = Cost {
            ops: 10_000,
            cosmwasm_units: 25_000,
            model_bytes: 100,
        };
        let b = |c: &Cost, n, m| check_gas(c, n, m, 0, false).compute;
        let heavier = Cost {
            cosmwasm_units: 2_500_000,
            ..base
        };
        assert!(b(&heavier, 8, 100) > b(&base, 8, 100));
        assert!(b(&base, 300, 100) > b(&base, 8, 100));
        assert!(b(&base, 8, 10_000) > b(&base, 8, 100));
        // The model's share is at least its own units at cosmwasm-vm's prices.
        let wasmd = WasmdGas::DEFAULT;
        let units = |c: &Cost| wasmd.sdk_gas_ceil(u128::from(c.cosmwasm_units) * 115);
        assert!(b(&heavier, 0, 0) >= units(&heavier));
        let huge = Cost {
            ops: u64::MAX,
            cosmwasm_units: u64::MAX,
            model_bytes: u64::MAX / 2,
        };
        // No overflow: the storage saturates, and so does the total.
        assert!(b(&huge, 1, 1) >= units(&huge));
        assert_eq!(check_gas(&huge, 1, 1, usize::MAX, false).total(), u64::MAX);
    }
}
