//! A minimal C-ABI export of `vigil-inference-core` for `wasm32-unknown-unknown`.
//!
//! It exists so the host tests can compile the core (without `alloc`, `std`
//! or `float`) to wasm, prove the result contains no float instruction, and
//! meter what its calls cost (wasmtime fuel). There is no allocator: the host
//! writes the model, the inputs and a scratch area into the module's exported
//! `memory` itself, then calls an export. The module uses no memory beyond
//! its stack and static data, so pages the host adds with `memory.grow` (e.g.
//! `Memory::grow` in the embedder) are free for that.
//!
//! Exports:
//!
//! * [`vigil_infer`] runs [`Model::parse`] (SHA-256 checksum included), then
//!   one inference: what a caller holding an untrusted blob runs.
//! * [`vigil_infer_no_checksum`] runs [`Model::parse_without_checksum`]
//!   (every structural check, no hash), then one inference: the per-query
//!   work of a contract that verified the checksum once at upload. This is
//!   the call `Model::cost` bounds.
//! * [`vigil_parse`] runs the parse alone, with or without checksum, so the
//!   host can split a call's cost into parse and inference.
//!
//! On the host this crate builds as an ordinary `std` library so that
//! `cargo test --workspace` and `cargo clippy --workspace` keep working; it is
//! `no_std` with its own panic handler only on `wasm32`.
#![cfg_attr(all(target_arch = "wasm32", not(test)), no_std)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, clippy::undocumented_unsafe_blocks)]

use core::mem::{align_of, size_of};
use core::ops::Range;
use core::slice;

use vigil_inference_core::{Act, FormatError, Model, Wide};

/// Returned by [`vigil_infer`] on any error. A success never equals it: bits
/// 33..64 of a success are zero.
pub const VIGIL_ERROR: u64 = u64::MAX;

/// Bytes per input value: one little-endian `i128`, the raw bits of
/// [`Wide`] (`I64F64`).
pub const INPUT_BYTES: usize = size_of::<Wide>();

/// Aborts the instance (`unreachable` trap) on panic; the core itself is
/// written not to panic, and overflow checks are on in the `wasm` profile.
#[cfg(all(target_arch = "wasm32", not(test)))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

// Inputs are reinterpreted in place, which matches the "little-endian i128"
// wire format only on little-endian targets (wasm always is).
#[cfg(target_endian = "big")]
compile_error!("vigil-wasm-shim assumes a little-endian target");

/// Runs one inference.
///
/// * `model_ptr`/`model_len`: the serialised model (bytes).
/// * `inputs_ptr`/`n_inputs`: `n_inputs` little-endian `i128` values (16
///   bytes each), the raw bits of [`Wide`]; `inputs_ptr` must be aligned to
///   `align_of::<Wide>()`.
/// * `scratch_ptr`/`scratch_len`: a writable scratch area of `scratch_len`
///   **bytes**, aligned to `align_of::<Act>()` (4); it must hold at least
///   `Model::scratch_len()` [`Act`] values. It must not overlap the model or
///   the inputs.
///
/// Returns the score's bits (`u32`) in bits 0..32 and the label in bit 32, or
/// [`VIGIL_ERROR`] if a pointer is null, misaligned or out of range, the
/// regions overlap, the model does not parse, or inference fails.
///
/// # Safety
///
/// For each of the three regions, the pointer must be valid for reads (and
/// for `scratch`, writes) of its whole length in bytes for the duration of
/// the call, and no other code may write the model or input regions or
/// access the scratch region during the call. On wasm32 this holds whenever
/// the regions lie inside the instance's linear memory: the module is
/// single-threaded and nothing but this call runs while it does.
#[no_mangle]
pub unsafe extern "C" fn vigil_infer(
    model_ptr: *const u8,
    model_len: usize,
    inputs_ptr: *const u8,
    n_inputs: usize,
    scratch_ptr: *mut u8,
    scratch_len: usize,
) -> u64 {
    // SAFETY: this function's own contract is exactly `infer`'s.
    let result = unsafe {
        infer(
            model_ptr,
            model_len,
            inputs_ptr,
            n_inputs,
            scratch_ptr,
            scratch_len,
            true,
        )
    };
    result.unwrap_or(VIGIL_ERROR)
}

/// As [`vigil_infer`], but the model is parsed with
/// [`Model::parse_without_checksum`]: every structural check runs (so the
/// inference stays safe), the SHA-256 of the payload is not recomputed.
///
/// # Safety
///
/// As [`vigil_infer`].
#[no_mangle]
pub unsafe extern "C" fn vigil_infer_no_checksum(
    model_ptr: *const u8,
    model_len: usize,
    inputs_ptr: *const u8,
    n_inputs: usize,
    scratch_ptr: *mut u8,
    scratch_len: usize,
) -> u64 {
    // SAFETY: this function's own contract is exactly `infer`'s.
    let result = unsafe {
        infer(
            model_ptr,
            model_len,
            inputs_ptr,
            n_inputs,
            scratch_ptr,
            scratch_len,
            false,
        )
    };
    result.unwrap_or(VIGIL_ERROR)
}

/// Parses (validates) a model and does nothing else: with
/// [`Model::parse`] when `verify_checksum` is non-zero, else with
/// [`Model::parse_without_checksum`].
///
/// Returns the model's feature count, or [`VIGIL_ERROR`] if the pointer is
/// null or the range wraps, or the model does not parse.
///
/// # Safety
///
/// `model_ptr` must be valid for reads of `model_len` bytes for the duration
/// of the call, and no other code may write those bytes during the call (on
/// wasm32: the region lies inside the instance's linear memory).
#[no_mangle]
pub unsafe extern "C" fn vigil_parse(
    model_ptr: *const u8,
    model_len: usize,
    verify_checksum: u32,
) -> u64 {
    let Some(_) = region(model_ptr as usize, model_len, 1) else {
        return VIGIL_ERROR;
    };
    // SAFETY: `model_ptr` is non-null, `model_len <= isize::MAX` and the
    // range does not wrap (checked by `region`); the caller guarantees it is
    // valid for reads of `model_len` bytes and not written during the call.
    // `u8` has alignment 1 and every bit pattern is a valid `u8`.
    let bytes = unsafe { slice::from_raw_parts(model_ptr, model_len) };
    parse(bytes, verify_checksum != 0).map_or(VIGIL_ERROR, |m| m.n_features() as u64)
}

#[inline(always)]
fn parse(bytes: &[u8], verify_checksum: bool) -> Result<Model<'_>, FormatError> {
    if verify_checksum {
        Model::parse(bytes)
    } else {
        Model::parse_without_checksum(bytes)
    }
}

/// Checks that `len` bytes at `ptr` form a region a slice may be built on
/// (non-null, aligned, at most `isize::MAX` bytes, no address wrap-around)
/// and returns its address range.
fn region(ptr: usize, len: usize, align: usize) -> Option<Range<usize>> {
    if ptr == 0 || !ptr.is_multiple_of(align) || len > isize::MAX as usize {
        return None;
    }
    Some(ptr..ptr.checked_add(len)?)
}

fn overlap(a: &Range<usize>, b: &Range<usize>) -> bool {
    !a.is_empty() && !b.is_empty() && a.start < b.end && b.start < a.end
}

/// Parses with [`Model::parse`] if `verify_checksum`, else with
/// [`Model::parse_without_checksum`].
///
/// # Safety
///
/// As [`vigil_infer`].
#[inline(always)]
unsafe fn infer(
    model_ptr: *const u8,
    model_len: usize,
    inputs_ptr: *const u8,
    n_inputs: usize,
    scratch_ptr: *mut u8,
    scratch_len: usize,
    verify_checksum: bool,
) -> Option<u64> {
    let model_region = region(model_ptr as usize, model_len, 1)?;
    let inputs_bytes = n_inputs.checked_mul(INPUT_BYTES)?;
    let inputs_region = region(inputs_ptr as usize, inputs_bytes, align_of::<Wide>())?;
    let scratch_region = region(scratch_ptr as usize, scratch_len, align_of::<Act>())?;
    if overlap(&scratch_region, &model_region) || overlap(&scratch_region, &inputs_region) {
        return None;
    }

    // SAFETY: `model_ptr` is non-null, `model_len <= isize::MAX` and the
    // range does not wrap (checked by `region`); the caller guarantees it is
    // valid for reads of `model_len` bytes and not written during the call.
    // `u8` has alignment 1 and every bit pattern is a valid `u8`.
    let model_bytes = unsafe { slice::from_raw_parts(model_ptr, model_len) };

    // SAFETY: `inputs_ptr` is non-null and aligned to `align_of::<Wide>()`,
    // and `n_inputs * size_of::<Wide>()` neither overflows nor exceeds
    // `isize::MAX` nor wraps (checked above). The caller guarantees those
    // bytes are readable and not written during the call. `Wide` is
    // `FixedI128<U64>`, documented `#[repr(transparent)]` over `i128` (same
    // size, alignment and ABI), and every bit pattern is a valid `i128`, so
    // the bytes form `n_inputs` valid `Wide`s (read as little-endian `i128`s
    // on this little-endian target).
    let inputs = unsafe { slice::from_raw_parts(inputs_ptr.cast::<Wide>(), n_inputs) };

    // SAFETY: `scratch_ptr` is non-null and aligned to `align_of::<Act>()`;
    // `scratch_len / size_of::<Act>()` elements fit in `scratch_len` bytes,
    // which is at most `isize::MAX` and does not wrap. The caller guarantees
    // the region is readable and writable and that nothing else accesses it
    // during the call; it does not overlap the model or input slices (checked
    // above), so this `&mut` aliases nothing. `Act` is `FixedI32<U16>`,
    // `#[repr(transparent)]` over `i32`, for which any bit pattern is valid,
    // so whatever the memory holds is a valid `Act`.
    let scratch = unsafe {
        slice::from_raw_parts_mut(scratch_ptr.cast::<Act>(), scratch_len / size_of::<Act>())
    };

    let model = parse(model_bytes, verify_checksum).ok()?;
    let output = model.infer(inputs, scratch).ok()?;
    Some(u64::from(output.score.to_bits()) | (u64::from(output.label) << 32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_null_misaligned_and_overlapping_regions() {
        let model = [0u8; 8];
        let inputs = [Wide::ZERO; 2];
        let mut scratch = [Act::ZERO; 8];
        let inputs_ptr = inputs.as_ptr().cast::<u8>();
        let scratch_ptr = scratch.as_mut_ptr().cast::<u8>();
        let scratch_len = size_of_val(&scratch);
        // SAFETY: every non-null pointer below points into a live local array
        // valid for the length passed with it.
        unsafe {
            assert_eq!(
                vigil_infer(
                    core::ptr::null(),
                    0,
                    inputs_ptr,
                    2,
                    scratch_ptr,
                    scratch_len
                ),
                VIGIL_ERROR
            );
            assert_eq!(
                vigil_infer(model.as_ptr(), 8, inputs_ptr.add(1), 1, scratch_ptr, 16),
                VIGIL_ERROR,
                "misaligned inputs"
            );
            assert_eq!(
                vigil_infer(scratch_ptr, 8, inputs_ptr, 2, scratch_ptr, scratch_len),
                VIGIL_ERROR,
                "scratch overlaps model"
            );
            assert_eq!(
                vigil_infer(model.as_ptr(), 8, inputs_ptr, 2, scratch_ptr, scratch_len),
                VIGIL_ERROR,
                "zeroed bytes are not a model"
            );
        }
    }

    fn logistic_model() -> Vec<u8> {
        use vigil_inference_core::format::Activation;
        use vigil_inference_core::preprocess::FeatureTransform;
        use vigil_inference_core::spec::{BodySpec, LayerSpec, ModelSpec, Weights};
        use vigil_inference_core::Score;

        ModelSpec {
            threshold: Score::from_bits(1 << 30), // 0.5
            features: vec![FeatureTransform::IDENTITY; 3],
            body: BodySpec::Linear(LayerSpec {
                weights: Weights::I8(vec![64, -32, 17]),
                scales: vec![(1, 6)],
                biases: vec![1 << 14],
                activation: Activation::Sigmoid,
            }),
        }
        .to_bytes()
        .expect("valid linear model")
    }

    #[test]
    fn matches_the_core_called_directly() {
        let bytes = logistic_model();
        let model = Model::parse(&bytes).unwrap();
        let n = model.n_features();
        for raw in [
            [0i128, 0, 0],
            [3 << 64, -(1 << 63), 5 << 60],
            [-(7 << 64), 1 << 66, 0],
        ] {
            let inputs: Vec<Wide> = raw.iter().map(|&b| Wide::from_bits(b)).collect();
            let mut scratch = vec![Act::ZERO; model.scratch_len()];
            let direct = model.infer(&inputs, &mut scratch).unwrap();
            let expected = u64::from(direct.score.to_bits()) | (u64::from(direct.label) << 32);

            // The wire format: little-endian i128s, 16 bytes each.
            let wire: Vec<u8> = raw.iter().flat_map(|b| b.to_le_bytes()).collect();
            let mut aligned = vec![Wide::ZERO; n];
            // SAFETY: `aligned` owns exactly `n * INPUT_BYTES` bytes and
            // `wire` has the same length; the two allocations are distinct.
            unsafe {
                core::ptr::copy_nonoverlapping(
                    wire.as_ptr(),
                    aligned.as_mut_ptr().cast::<u8>(),
                    n * INPUT_BYTES,
                );
            }
            let mut scratch = vec![Act::ZERO; model.scratch_len()];
            // SAFETY: all three regions are live, distinct allocations of
            // the lengths passed.
            let got = unsafe {
                vigil_infer(
                    bytes.as_ptr(),
                    bytes.len(),
                    aligned.as_ptr().cast::<u8>(),
                    n,
                    scratch.as_mut_ptr().cast::<u8>(),
                    size_of_val(scratch.as_slice()),
                )
            };
            assert_eq!(got, expected, "inputs {raw:?}");

            // Wrong feature count and a too-small scratch are errors.
            // SAFETY: as above, with shorter lengths.
            unsafe {
                let scratch_ptr = scratch.as_mut_ptr().cast::<u8>();
                let scratch_len = size_of_val(scratch.as_slice());
                let inputs_ptr = aligned.as_ptr().cast::<u8>();
                let model_ptr = bytes.as_ptr();
                assert_eq!(
                    vigil_infer(
                        model_ptr,
                        bytes.len(),
                        inputs_ptr,
                        n - 1,
                        scratch_ptr,
                        scratch_len
                    ),
                    VIGIL_ERROR
                );
                if scratch_len > 0 {
                    assert_eq!(
                        vigil_infer(
                            model_ptr,
                            bytes.len(),
                            inputs_ptr,
                            n,
                            scratch_ptr,
                            scratch_len - 1
                        ),
                        VIGIL_ERROR
                    );
                }
            }
        }
    }

    #[test]
    fn region_checks() {
        assert_eq!(region(16, 32, 16), Some(16..48));
        assert_eq!(region(0, 0, 1), None);
        assert_eq!(region(17, 0, 16), None);
        assert_eq!(region(usize::MAX - 1, 4, 1), None);
        assert!(overlap(&(0..4), &(3..8)));
        assert!(!overlap(&(0..4), &(4..8)));
        assert!(!overlap(&(4..4), &(0..8)));
    }
}
