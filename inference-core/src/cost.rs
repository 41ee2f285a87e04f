//! The cost model: an upper bound on the wasm operations one inference
//! executes, from the parsed model's shape alone, and the Cosmos SDK gas it
//! implies.
//!
//! The bound covers one call that parses the blob with
//! [`Model::parse_without_checksum`] (every structural check) and runs one
//! inference: the per-query work of a contract that verified the checksum at
//! upload. Parsing is a large share of it (about 10-25% for dense models and
//! most of it for tree ensembles, whose every node is validated).
//! [`Model::parse`] adds the SHA-256, about 86 operations per byte hashed,
//! which this bound does not include.
//!
//! The bound is a sum of per-part worst cases ([`OpCoefficients`]), each
//! covering the most expensive path through that part (every feature clipped
//! and log-transformed where its flags say so, sigmoid/tanh on their full
//! path, every tree walked to `max_depth`). The coefficients are calibrated
//! against wasmtime fuel metering of the release wasm build in `host-tests`
//! (`cargo run -p host-tests --bin cost-calibration` derives them by
//! differencing), whose `cost_bound` test asserts that measured operations
//! never exceed the bound.
use crate::dense::{BLOCK, CHUNK};
use crate::format::{Activation, WeightKind};
use crate::model::Body;
use crate::Model;

/// Worst-case wasm operations of each part of an inference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpCoefficients {
    /// Fixed cost of a call: argument checks, header parse, dispatch,
    /// output, and copies of the parsed `Model` view between functions.
    pub base: u64,
    /// Per feature: decoding its record (at parse and again at inference)
    /// and the affine step (a 160-bit product in 64-bit limbs, and a shift).
    pub per_feature: u64,
    /// Extra per clip bound (each): decoding and comparing an `i128`.
    pub per_clip: u64,
    /// Extra for `log1p`: the integer logarithm (normalisation and 24
    /// squarings, 64-bit arithmetic).
    pub per_log1p: u64,
    /// Per layer: its header at parse, setup at inference.
    pub per_layer: u64,
    /// Per output neuron: weight-row setup, the requantisation (a product in
    /// 64-bit limbs and a shift), bias and saturation.
    pub per_neuron: u64,
    /// Per stored requantisation scale (one per layer, or one per output
    /// neuron with per-channel scales): its check at parse and read.
    pub per_scale: u64,
    /// Extra per output neuron whose requantisation shift exceeds 64 (very
    /// small weight scales): measured 0 since the limb arithmetic, kept so a
    /// future path difference has a place.
    pub per_long_shift: u64,
    /// Per ReLU, hard-sigmoid or hard-tanh evaluation (hidden or output),
    /// over identity.
    pub per_hard_activation: u64,
    /// Per output row and whole block of [`BLOCK`] inputs of a hidden
    /// layer, `i8` weights: the block's 64 multiply-accumulates (five
    /// operations each) and the row's step through the block loop, i.e.
    /// ops per 64 MACs ([`crate::dense`]).
    pub per_block_i8: u64,
    /// As `per_block_i8`, `i16` weights.
    pub per_block_i16: u64,
    /// Per chunk of up to [`CHUNK`] output rows and whole block: the
    /// block's inputs loaded into locals.
    pub per_chunk_block: u64,
    /// Per chunk of up to [`CHUNK`] output rows of a hidden layer: setting
    /// up its sums. Calibrated as what one more chunk of 64 rows costs
    /// beyond their blocks and neurons; that measures about 20k operations
    /// (some 320 per row), far above the chunk's own setup: rows past the
    /// first chunk (and past the model's feature count) meter dearer than
    /// the per-neuron slope measured inside the first chunk, for reasons not
    /// yet pinned down, and this coefficient carries the difference.
    pub per_chunk: u64,
    /// Per eight multiply-accumulates outside whole blocks (the last
    /// `fan_in mod 64` inputs of each hidden row, every input of the output
    /// layer), `i8` weights.
    pub per_dot8_i8: u64,
    /// As `per_dot8_i8`, `i16` weights.
    pub per_dot8_i16: u64,
    /// Per multiply-accumulate left over after those groups of eight
    /// (`fan_in mod 8` per row), either weight type.
    pub per_dot1: u64,
    /// Per sigmoid or tanh evaluation (hidden or output), over identity;
    /// also charged once for a tree ensemble's final aggregation.
    pub per_transcendental: u64,
    /// Per tree: its node count at parse, the iterator step, decoding the
    /// root, adding its leaf.
    pub per_tree: u64,
    /// Per node visited below the root (either branch).
    pub per_step: u64,
    /// Per stored tree node: its structural validation at parse.
    pub per_node: u64,
    /// Extra per tree node decoded when nodes carry explanation values:
    /// every stored node once at parse, plus the root and one node per step
    /// of every walk.
    pub per_node_explain: u64,
}

/// Coefficients for `wasm32-unknown-unknown` built with the workspace
/// release profile (`opt-level = "z"`, LTO) and `-C target-cpu=mvp`, in
/// wasmtime fuel: 1 per operator except `nop`, `drop`, `block`, `loop`,
/// `end`, `else`, `return` and `unreachable` (free), 1 per function entry,
/// and 1 per byte of `memory.copy`/`memory.fill`. Derived by
/// `cost-calibration`: measured maxima per part (per-neuron ones with 1%
/// headroom; the dense kernel's per-block, per-chunk and single-row costs
/// are fixed by shape), `base` the largest residual plus 5%. The `cost_bound` test
/// holds bound >= fuel for every model it measures and bound <= 1.10 x fuel
/// above 200k operations; `cost-calibration` prints the per-family ratios.
pub const WASM_OPS: OpCoefficients = OpCoefficients {
    base: 15750,
    per_feature: 709,
    per_clip: 115,
    per_log1p: 812,
    per_layer: 0,
    per_neuron: 70,
    per_scale: 36,
    per_long_shift: 2,
    per_hard_activation: 2,
    per_block_i8: 348,
    per_block_i16: 350,
    per_chunk_block: 184,
    per_chunk: 20619,
    per_dot8_i8: 67,
    per_dot8_i16: 67,
    per_dot1: 21,
    per_transcendental: 292,
    per_tree: 234,
    per_step: 96,
    per_node: 131,
    per_node_explain: 32,
};

/// CosmWasm gas per wasm operation (cosmwasm-vm).
pub const COSMWASM_GAS_PER_OP: u64 = 115;
/// CosmWasm gas per Cosmos SDK gas unit (wasmd, CosmWasm >= 2).
pub const COSMWASM_GAS_PER_SDK_GAS: u64 = 140_000;
/// SDK gas for one KV read, plus [`SDK_GAS_PER_READ_BYTE`] per byte.
pub const SDK_GAS_PER_READ: u64 = 1_000;
/// SDK gas per byte read from the KV store.
pub const SDK_GAS_PER_READ_BYTE: u64 = 3;
/// The largest value one storage record holds (cosmwasm-vm refuses larger
/// writes): a larger model is stored, and read, as several records.
pub const KV_MAX_VALUE_BYTES: u64 = 128 * 1024;
/// What cosmwasm-vm charges for the core's wasm operations, in thousandths
/// of [`COSMWASM_GAS_PER_OP`] per operation counted by [`Cost::ops`]: it
/// charges 14 times the flat price for every branch, call and block end
/// (its metering's "accounting" operators), which wasmtime fuel counts
/// once. Measured: the core's worst calls cost 1.5-2.6 times their
/// operation count priced that way (`cargo run -p host-tests --bin
/// gas-report`, column `cosmwasm-priced/ops`); `host-tests`' `gas_budget`
/// test holds cosmwasm-priced fuel <= bound x this factor on every family.
pub const COSMWASM_PRICE_PER_OP_MILLI: u64 = 2_750;

/// The cost bound of one inference of a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cost {
    /// Upper bound on wasm operations executed by one inference.
    pub ops: u64,
    /// Model blob size in bytes.
    pub model_bytes: u64,
}

impl Cost {
    /// The bound for a parsed model with [`WASM_OPS`].
    pub fn of(model: &Model<'_>) -> Cost {
        Cost::with(model, &WASM_OPS)
    }

    /// The bound with explicit coefficients.
    pub fn with(model: &Model<'_>, k: &OpCoefficients) -> Cost {
        let mut ops = k.base;
        for t in model.feature_transforms() {
            ops += k.per_feature;
            ops += k.per_clip * (u64::from(t.clip_lo.is_some()) + u64::from(t.clip_hi.is_some()));
            if t.log1p {
                ops += k.per_log1p;
            }
        }
        match model.body() {
            Body::Dense(layers) => {
                let n_layers = layers.len();
                for (index, l) in layers.iter().enumerate() {
                    let (per_block, per_dot8) = match l.weight_kind {
                        WeightKind::I16 => (k.per_block_i16, k.per_dot8_i16),
                        WeightKind::I8 => (k.per_block_i8, k.per_dot8_i8),
                    };
                    let (fan_in, fan_out) = (l.fan_in as u64, l.fan_out as u64);
                    let dot = |n: u64| (n / 8) * per_dot8 + (n % 8) * k.per_dot1;
                    ops += k.per_layer + fan_out * k.per_neuron;
                    if index + 1 == n_layers {
                        // The output layer: one row, single-row kernel.
                        ops += dot(fan_in);
                    } else {
                        let blocks = fan_in / BLOCK as u64;
                        let chunks = fan_out.div_ceil(CHUNK as u64);
                        ops += fan_out * (blocks * per_block + dot(fan_in % BLOCK as u64))
                            + chunks * (k.per_chunk + blocks * k.per_chunk_block);
                    }
                    let n_scales = if l.per_channel { l.fan_out } else { 1 };
                    ops += n_scales as u64 * k.per_scale;
                    let long_shifts = (0..n_scales).filter(|&j| l.scale(j).1 > 64).count();
                    let long_neurons = if l.per_channel {
                        long_shifts
                    } else {
                        long_shifts * l.fan_out
                    };
                    ops += long_neurons as u64 * k.per_long_shift;
                    ops += l.fan_out as u64
                        * match l.activation {
                            Activation::Sigmoid | Activation::Tanh => k.per_transcendental,
                            Activation::Relu | Activation::HardSigmoid | Activation::HardTanh => {
                                k.per_hard_activation
                            }
                            Activation::Identity => 0,
                        };
                }
            }
            Body::Trees(e) => {
                ops += e.n_trees as u64 * (k.per_tree + u64::from(e.max_depth) * k.per_step);
                ops += e.total_nodes() as u64 * k.per_node;
                if e.explain {
                    // Each stored node is decoded once at parse; each walk
                    // decodes its root and one node per step.
                    let decoded =
                        e.total_nodes() as u64 + e.n_trees as u64 * (u64::from(e.max_depth) + 1);
                    ops += decoded * k.per_node_explain;
                }
                ops += k.per_transcendental;
            }
        }
        Cost {
            ops,
            model_bytes: model.bytes().len() as u64,
        }
    }

    /// SDK gas of the computation alone, an upper bound: the operation
    /// bound priced as cosmwasm-vm prices the core's code (see
    /// [`COSMWASM_PRICE_PER_OP_MILLI`]), rounded up.
    pub fn compute_sdk_gas(&self) -> u64 {
        let milli_gas = u128::from(self.ops)
            * u128::from(COSMWASM_GAS_PER_OP)
            * u128::from(COSMWASM_PRICE_PER_OP_MILLI);
        let sdk = milli_gas.div_ceil(1_000 * u128::from(COSMWASM_GAS_PER_SDK_GAS));
        u64::try_from(sdk).unwrap_or(u64::MAX)
    }

    /// SDK gas of reading the model: one read per storage record (models of
    /// [`KV_MAX_VALUE_BYTES`] or more span several) plus every byte.
    pub fn read_sdk_gas(&self) -> u64 {
        let records = self.model_bytes / KV_MAX_VALUE_BYTES + 1;
        SDK_GAS_PER_READ * records + SDK_GAS_PER_READ_BYTE * self.model_bytes
    }

    /// Read plus compute: the model-dependent SDK gas of one guarded
    /// inference, above the call's fixed setup and message parsing.
    pub fn sdk_gas(&self) -> u64 {
        self.read_sdk_gas() + self.compute_sdk_gas()
    }
}
