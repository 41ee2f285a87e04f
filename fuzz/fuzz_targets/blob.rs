//! cargo-fuzz target `blob`: see [`vigil_fuzz::blob`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    vigil_fuzz::blob(data);
});
