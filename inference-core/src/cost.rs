//! The cost model: an upper bound on the wasm operations one inference
//! executes, from the parsed model's shape alone, and the Cosmos SDK gas it
//! implies.
//!
//! The bound is a sum of per-part worst cases ([`OpCoefficients`]), each
//! covering the most expensive path through that part (every feature clipped
//! and log-transformed where its flags say so, every tree walked to
//! `max_depth`). The coefficients are calibrated against wasmtime fuel
//! metering of the release wasm build in `host-tests`, which asserts that
//! measured operations never exceed the bound.
use crate::format::{Activation, WeightKind};
use crate::model::Body;
use crate::Model;

/// Worst-case wasm operations of each part of an inference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpCoefficients {
    /// Fixed cost of a call: argument checks, dispatch, output.
    pub base: u64,
    /// Decoding a feature record and its affine step.
    pub per_feature: u64,
    /// Extra for a clipped bound (each).
    pub per_clip: u64,
    /// Extra for `log1p`.
    pub per_log1p: u64,
    /// Per layer: setup.
    pub per_layer: u64,
    /// Per output neuron: dot-product setup and requantisation.
    pub per_neuron: u64,
    /// Per multiply-accumulate, `i8` weights.
    pub per_mac_i8: u64,
    /// Per multiply-accumulate, `i16` weights.
    pub per_mac_i16: u64,
    /// Per sigmoid or tanh evaluation (hidden or output).
    pub per_transcendental: u64,
    /// Per tree: decoding its count, the root, and adding its leaf.
    pub per_tree: u64,
    /// Per node visited below the root.
    pub per_step: u64,
}

/// Coefficients for `wasm32-unknown-unknown` built with the workspace
/// release profile.
pub const WASM_OPS: OpCoefficients = OpCoefficients {
    base: 400,
    per_feature: 260,
    per_clip: 12,
    per_log1p: 520,
    per_layer: 40,
    per_neuron: 200,
    per_mac_i8: 12,
    per_mac_i16: 14,
    per_transcendental: 260,
    per_tree: 40,
    per_step: 40,
};

/// CosmWasm gas per wasm operation (cosmwasm-vm).
pub const COSMWASM_GAS_PER_OP: u64 = 115;
/// CosmWasm gas per Cosmos SDK gas unit (wasmd, CosmWasm >= 2).
pub const COSMWASM_GAS_PER_SDK_GAS: u64 = 140_000;
/// SDK gas for one KV read, plus [`SDK_GAS_PER_READ_BYTE`] per byte.
pub const SDK_GAS_PER_READ: u64 = 1_000;
/// SDK gas per byte read from the KV store.
pub const SDK_GAS_PER_READ_BYTE: u64 = 3;

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
                for l in layers.as_slice() {
                    let per_mac = match l.weight_kind {
                        Some(WeightKind::I16) => k.per_mac_i16,
                        _ => k.per_mac_i8,
                    };
                    ops += k.per_layer
                        + l.fan_out as u64 * k.per_neuron
                        + (l.fan_in * l.fan_out) as u64 * per_mac;
                    if matches!(l.activation, Some(Activation::Sigmoid | Activation::Tanh)) {
                        ops += l.fan_out as u64 * k.per_transcendental;
                    }
                }
            }
            Body::Trees(e) => {
                ops += e.n_trees as u64 * (k.per_tree + u64::from(e.max_depth) * k.per_step);
                ops += k.per_transcendental;
            }
        }
        Cost {
            ops,
            model_bytes: model.bytes().len() as u64,
        }
    }

    /// SDK gas of the computation alone (rounded up).
    pub fn compute_sdk_gas(&self) -> u64 {
        (self.ops * COSMWASM_GAS_PER_OP).div_ceil(COSMWASM_GAS_PER_SDK_GAS)
    }

    /// SDK gas of reading the model from one KV entry.
    pub fn read_sdk_gas(&self) -> u64 {
        SDK_GAS_PER_READ + SDK_GAS_PER_READ_BYTE * self.model_bytes
    }

    /// Read plus compute: the model-dependent SDK gas of one guarded
    /// inference, above the call's fixed setup and message parsing.
    pub fn sdk_gas(&self) -> u64 {
        self.read_sdk_gas() + self.compute_sdk_gas()
    }
}
