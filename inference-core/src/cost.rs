//! The cost model's vocabulary: [`Cost`] (an upper bound on the wasm
//! operations one inference executes, from the parsed model's shape alone)
//! and the per-part coefficients it is computed with ([`OpCoefficients`],
//! measured twice: [`WASM_OPS`] and [`COSMWASM_UNITS`]).
//!
//! This module knows no model: each kernel's part of the bound lives beside
//! the code it mirrors, and [`Model::cost`](crate::Model::cost) sums them:
//!
//! - per feature (clip, `log1p`, the affine standardisation):
//!   [`FeatureTransform::cost`](crate::preprocess::FeatureTransform::cost);
//! - a dense body (its call's fixed cost, per layer, scale, chunk, block,
//!   row, dot product, activation):
//!   [`Layers::cost`](crate::dense::Layers::cost) and
//!   [`Layer::cost`](crate::dense::Layer::cost);
//! - a tree ensemble (its call's fixed cost by family, per tree, node and
//!   step): [`Ensemble::cost`](crate::tree::Ensemble::cost);
//! - the header's parse and the argument checks are part of each body's
//!   fixed call cost (`dense_call`, `trees_call`).
//!
//! The bound covers one call that parses the blob with
//! [`Model::parse_without_checksum`](crate::Model::parse_without_checksum)
//! (every structural check) and runs one inference: the per-query work of a
//! contract that verified the checksum at upload. Parsing is a large share
//! of it (about 10-25% for dense models and most of it for tree ensembles,
//! whose every node is validated). [`Model::parse`](crate::Model::parse)
//! adds the SHA-256, about 86 operations per byte hashed, which this bound
//! does not include.
//!
//! The bound mirrors the code: a fixed cost per call (by body kind, and for
//! tree ensembles by family), then a cost per feature, per dense layer,
//! scale, chunk, chunk-block, row, row-block, group of eight and leftover
//! multiply-accumulate, activation evaluation, and per tree, stored node
//! and walk step ([`OpCoefficients`]). Every part whose cost depends on the
//! data is charged its dearest path: the requantisation
//! (`math::mul_shift_i128`) of a negative sum at its shift's class (below
//! 64, or not: [`OpCoefficients::per_short_shift`]), clipping, `log1p`'s
//! full 24 squarings, sigmoid/tanh unsaturated, the dearer branch of every
//! tree step, the tree families' aggregation on its dearest path, and every
//! tree walked to its own deepest leaf
//! ([`Ensemble::max_steps`](crate::tree::Ensemble::max_steps)). Nothing is
//! a residual: each coefficient is one part's measured cost.
//!
//! The coefficients are measured with wasmtime fuel metering of the wasm
//! build in `host-tests` (the workspace `wasm` profile; `cargo run -p
//! host-tests --bin cost-calibration` derives each by differencing models
//! that differ in that part, driven down its dearest path), whose
//! `cost_bound` test asserts, for every family and size and for generated
//! models, that measured operations never exceed the bound and that the
//! bound is at most 1.05 times them (with walks charged the steps they
//! took, for trees that are not complete: no input need reach every tree's
//! deepest leaf at once). Measured: within 1.03 of the worst input over the
//! test's models, small and large.
//!
//! The same parts are measured a second time as cosmwasm-vm meters them
//! ([`COSMWASM_UNITS`]: every branch, call and block end costs 14 times an
//! ordinary operation), by the same differencing (`cost-calibration
//! --cosmwasm`) and held by the same test: [`Cost::cosmwasm_units`] bounds
//! what a chain charges for the work. Pricing it in gas, and what a whole
//! `Check` call costs (setup, the contract's message handling, its storage
//! keys), is the contract's: `vigil_guard_api::gas` and `vigil_guard::gas`.

/// Worst-case wasm operations of each part of an inference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpCoefficients {
    /// Fixed cost of a call on a dense model: argument checks, the header,
    /// copies of the parsed `Model` view (byte loops: the precompiled core
    /// library's `memory.copy`s, lowered), the kernel's sums zeroed, and
    /// the output layer's fixed work (its header at parse and inference,
    /// the row's setup, requantisation with a shift of 64 or more, identity
    /// output).
    pub dense_call: u64,
    /// Fixed cost of a call on a tree ensemble, per family (GBDT, random
    /// forest, isolation forest): argument checks, the header and ensemble
    /// header, the validation stack zeroed (a lowered `memory.fill`, byte by
    /// byte), and the family's aggregation of
    /// the leaves on its dearest path (the GBDT sigmoid, the isolation
    /// forest's division and exponential, the random forest's mean).
    pub trees_call: [u64; 3],
    /// Per feature: decoding and validating its record at parse, decoding
    /// it again at inference, and the affine step (a 160-bit product in
    /// 64-bit limbs, and a shift by `48 + shift`) on its dearest path for a
    /// shift of 64 or more.
    pub per_feature: u64,
    /// Extra per clip bound (each): decoding and comparing an `i128`.
    pub per_clip: u64,
    /// Extra for `log1p`: the integer logarithm, normalisation and 24
    /// squarings (skipped when `1 + |x|` is a power of two, e.g. at 0).
    pub per_log1p: u64,
    /// Per hidden layer: its header at parse, decoding it at inference, and
    /// the layer's setup (the dearer of per-layer and per-channel scales).
    pub per_layer: u64,
    /// Per stored requantisation scale (one per layer, or one per output
    /// neuron with per-channel scales): its check at parse, and finding a
    /// row's own scale at inference.
    pub per_scale: u64,
    /// Per chunk of up to [`CHUNK`](crate::dense::CHUNK) output rows of a hidden layer: the
    /// chunk's setup.
    pub per_chunk: u64,
    /// Per chunk and whole block of [`BLOCK`](crate::dense::BLOCK) inputs of a hidden layer: the
    /// block's inputs loaded into locals.
    pub per_chunk_block: u64,
    /// Per output row (neuron) of a hidden layer: the call of the
    /// single-row kernel on the row's tail (even an empty one), the
    /// requantisation (a product in 64-bit limbs and a shift) on its
    /// dearest path for a shift of 64 or more, bias, saturation, identity
    /// activation and the store.
    pub per_row: u64,
    /// Extra per requantisation (a feature's affine step, a dense row's,
    /// the output row's included) whose shift is below 64: the dearer path
    /// of `mul_shift_i128`, which shifts two 64-bit words into one.
    pub per_short_shift: u64,
    /// Per output row and whole block of [`BLOCK`](crate::dense::BLOCK) inputs of a hidden
    /// layer, `i8` weights: the block's 64 multiply-accumulates (five
    /// operations each) and the row's step through the block loop
    /// ([`crate::dense`]).
    pub per_block_i8: u64,
    /// As `per_block_i8`, `i16` weights.
    pub per_block_i16: u64,
    /// Per eight multiply-accumulates outside whole blocks (the last
    /// `fan_in mod 64` inputs of each hidden row, every input of the output
    /// layer), `i8` weights.
    pub per_dot8_i8: u64,
    /// As `per_dot8_i8`, `i16` weights.
    pub per_dot8_i16: u64,
    /// Per multiply-accumulate left over after those groups of eight
    /// (`fan_in mod 8` per row), either weight type.
    pub per_dot1: u64,
    /// Per evaluation of an activation (hidden or output) over identity's
    /// cheapest, indexed by its code (`Activation as usize`: identity,
    /// ReLU, sigmoid, tanh, hard sigmoid, hard tanh): the dearest over
    /// pre-activations of its hidden and output forms, sigmoid and tanh on
    /// their full (unsaturated) path.
    pub per_activation: [u64; 6],
    /// Per tree: its node count at parse, the validation's and the walk's
    /// setup, decoding the root, the last check of a walk that reaches its
    /// leaf before `max_depth` steps, adding its leaf; and, since a tree of
    /// `n` nodes has `(n + 1) / 2` leaves and `(n - 1) / 2` splits, half
    /// the difference between validating a leaf and a split.
    pub per_tree: u64,
    /// Per stored tree node: its structural validation at parse (the mean
    /// of a leaf's and a split's).
    pub per_node: u64,
    /// Per step of a walk (the dearer branch), charged for every tree to
    /// its deepest leaf ([`crate::tree::Ensemble::max_steps`]).
    pub per_step: u64,
    /// Extra per stored tree node when nodes carry explanation values:
    /// decoding and checking the value at parse. (An inference walks the
    /// trees without them: [`Model::infer`](crate::Model::infer) costs the same per step either
    /// way; only [`Model::explain`](crate::Model::explain) reads them.)
    pub per_node_explain: u64,
}

/// Coefficients for `wasm32-unknown-unknown` built with the workspace
/// `wasm` profile (`opt-level = "z"`, LTO) and `-C target-cpu=mvp`, then
/// `wasm-opt` as the contract is, in wasmtime fuel: 1 per operator except
/// `nop`, `drop`, `block`, `loop`, `end`, `else`, `return` and
/// `unreachable` (free), 1 per function entry, and 1 per byte of
/// `memory.copy`/`memory.fill`. Derived by `cost-calibration`: each the
/// measured cost of its part on its dearest path, rounded up.
pub const WASM_OPS: OpCoefficients = OpCoefficients {
    dense_call: 5375,
    trees_call: [6971, 6698, 6936],
    per_feature: 694,
    per_clip: 115,
    per_log1p: 739,
    per_layer: 1087,
    per_scale: 39,
    per_chunk: 112,
    per_chunk_block: 253,
    per_row: 369,
    per_short_shift: 16,
    per_block_i8: 347,
    per_block_i16: 349,
    per_dot8_i8: 66,
    per_dot8_i16: 66,
    per_dot1: 23,
    per_activation: [1, 8, 276, 292, 26, 14],
    per_tree: 290,
    per_node: 134,
    per_step: 95,
    per_node_explain: 32,
};

/// The same parts metered as cosmwasm-vm meters them, in units of its
/// base price per operation (115 CosmWasm gas): 1 per operator, and 14 per
/// "accounting" operator, where its metering middleware checks the gas
/// left (`loop`, `end`, `if`, `else`, `br`, `br_if`, `br_table`, `call`,
/// `call_indirect`, `return`). Branchy code (tree walks, validation loops)
/// costs several times its operation count. Derived by `cost-calibration
/// --cosmwasm` as [`WASM_OPS`] is.
pub const COSMWASM_UNITS: OpCoefficients = OpCoefficients {
    dense_call: 14787,
    trees_call: [21304, 20610, 21216],
    per_feature: 1276,
    per_clip: 220,
    per_log1p: 1457,
    per_layer: 2953,
    per_scale: 105,
    per_chunk: 313,
    per_chunk_block: 360,
    per_row: 821,
    per_short_shift: 17,
    per_block_i8: 373,
    per_block_i16: 375,
    per_dot8_i8: 92,
    per_dot8_i16: 92,
    per_dot1: 49,
    per_activation: [1, 21, 698, 714, 39, 28],
    per_tree: 683,
    per_node: 316,
    per_step: 298,
    per_node_explain: 100,
};

/// The cost bound of one inference of a model ([`Model::cost`](crate::Model::cost)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cost {
    /// Upper bound on wasm operations executed by one inference
    /// ([`WASM_OPS`]).
    pub ops: u64,
    /// Upper bound on the same work as cosmwasm-vm meters it, in units of
    /// its base price per operation ([`COSMWASM_UNITS`]: control flow costs
    /// 14). What that costs in gas is the chain's price list
    /// (`vigil_guard_api::gas::WasmdGas`), not the core's.
    pub cosmwasm_units: u64,
    /// Model blob size in bytes.
    pub model_bytes: u64,
}
