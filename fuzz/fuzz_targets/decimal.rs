//! cargo-fuzz target `decimal`: see [`vigil_fuzz::decimal`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    vigil_fuzz::decimal(data);
});
