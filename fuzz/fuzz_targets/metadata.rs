//! cargo-fuzz target `metadata`: see [`vigil_fuzz::metadata`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    vigil_fuzz::metadata(data);
});
