//! Wasmtime fuel metering of the shim's exports: how many wasm operations
//! one call executes.
//!
//! With [`Config::consume_fuel`], wasmtime charges fuel per wasm operator
//! executed: 1 for almost every operator, 0 for `nop`, `drop`, `block`,
//! `loop`, `end`, `else`, `return` and `unreachable` (wasmtime 50's default
//! `OperatorCostStrategy`), plus 1 on entry to every function, plus, for
//! `memory.copy`/`memory.fill`, 1 per byte copied or written. cosmwasm-vm's
//! metering charges every operator (including those wasmtime leaves free)
//! and bulk-memory operators flatly; reconciling the two is separate work.
//! What is measured here is the fuel consumed by one exported call, nothing
//! subtracted: argument checks, parse and inference included.

use vigil_inference_core::{Act, Wide};
use wasmtime::{Config, Engine, Instance, Memory, Module, OperatorCost, Store, TypedFunc};

/// Wasm page size in bytes.
const PAGE: u64 = 65_536;

/// Fuel poured into the store before each call; far above any call's use.
const FUEL: u64 = 1 << 50;

/// `VIGIL_ERROR` of the shim: the result of a failed call.
pub const VIGIL_ERROR: u64 = u64::MAX;

/// Which export to call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Export {
    /// `vigil_infer`: parse with the SHA-256 checksum, then infer.
    Infer,
    /// `vigil_infer_no_checksum`: structural parse, then infer. The call
    /// `Model::cost` bounds.
    InferNoChecksum,
    /// `vigil_parse` with `verify_checksum = 0`: structural parse only.
    Parse,
    /// `vigil_parse` with `verify_checksum = 1`: parse with checksum only.
    ParseChecksum,
}

/// The shim module compiled once with fuel metering on; cheap to
/// instantiate many times.
pub struct Meter {
    engine: Engine,
    module: Module,
}

type InferFn = TypedFunc<(i32, i32, i32, i32, i32, i32), i64>;
type ParseFn = TypedFunc<(i32, i32, i32), i64>;

/// One instance of the shim, with the host's region (pages added by
/// `memory.grow` above the module's own data and stack) reused call after
/// call.
pub struct Runner {
    store: Store<()>,
    memory: Memory,
    infer: InferFn,
    infer_no_checksum: InferFn,
    parse: ParseFn,
    /// First byte of the host region.
    base: u64,
    /// Bytes of the host region grown so far.
    grown: u64,
}

/// One metered call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Measured {
    /// The export's return value (`u64`), [`VIGIL_ERROR`] on failure.
    pub result: u64,
    /// Fuel the call consumed.
    pub fuel: u64,
}

impl Meter {
    /// Compile `wasm` (the shim) with fuel metering at wasmtime's default
    /// operator costs.
    pub fn new(wasm: &[u8]) -> wasmtime::Result<Meter> {
        Meter::build(wasm, None)
    }

    /// Compile `wasm` with fuel metering at the given operator costs (e.g.
    /// free `memory.copy` bytes, to see what bulk copies contribute).
    pub fn with_operator_cost(wasm: &[u8], cost: OperatorCost) -> wasmtime::Result<Meter> {
        Meter::build(wasm, Some(cost))
    }

    fn build(wasm: &[u8], cost: Option<OperatorCost>) -> wasmtime::Result<Meter> {
        let mut config = Config::new();
        config.consume_fuel(true);
        if let Some(cost) = cost {
            config.operator_cost(cost);
        }
        let engine = Engine::new(&config)?;
        let module = Module::new(&engine, wasm)?;
        Ok(Meter { engine, module })
    }

    /// A fresh instance.
    pub fn runner(&self) -> wasmtime::Result<Runner> {
        let mut store = Store::new(&self.engine, ());
        store.set_fuel(FUEL)?;
        let instance = Instance::new(&mut store, &self.module, &[])?;
        let memory = instance
            .get_memory(&mut store, "memory")
            .ok_or_else(|| wasmtime::format_err!("the shim exports no `memory`"))?;
        let infer = instance.get_typed_func(&mut store, "vigil_infer")?;
        let infer_no_checksum = instance.get_typed_func(&mut store, "vigil_infer_no_checksum")?;
        let parse = instance.get_typed_func(&mut store, "vigil_parse")?;
        // The module exports no `__heap_base`: its data and stack lie below
        // its initial size, so everything from there up is the host's.
        let base = memory.data_size(&store) as u64;
        Ok(Runner {
            store,
            memory,
            infer,
            infer_no_checksum,
            parse,
            base,
            grown: 0,
        })
    }
}

fn align_up(v: u64, to: u64) -> u64 {
    v.div_ceil(to) * to
}

fn ptr(v: u64) -> wasmtime::Result<i32> {
    // wasm32 addresses are u32, passed as i32 bits.
    let v = u32::try_from(v).map_err(|_| wasmtime::format_err!("address {v} beyond 4 GiB"))?;
    Ok(v as i32)
}

impl Runner {
    /// Make the host region at least `len` bytes.
    fn reserve(&mut self, len: u64) -> wasmtime::Result<()> {
        if len > self.grown {
            let pages = (len - self.grown).div_ceil(PAGE);
            self.memory.grow(&mut self.store, pages)?;
            self.grown += pages * PAGE;
        }
        Ok(())
    }

    /// Call `export` once on `model` with `inputs` and a scratch area of
    /// `scratch_acts` [`Act`] values, and meter it. Parse-only exports
    /// ignore `inputs` and `scratch_acts`.
    pub fn measure(
        &mut self,
        export: Export,
        model: &[u8],
        inputs: &[Wide],
        scratch_acts: usize,
    ) -> wasmtime::Result<Measured> {
        // Layout of the host region: inputs (16-aligned, as the shim
        // requires), scratch (4-aligned), model.
        let inputs_at = self.base; // a page boundary
        let inputs_len = size_of_val(inputs) as u64;
        let scratch_at = align_up(inputs_at + inputs_len, 16);
        let scratch_len = (scratch_acts * size_of::<Act>()) as u64;
        let model_at = align_up(scratch_at + scratch_len, 16);
        let end = model_at + model.len() as u64;
        self.reserve(end - self.base)?;

        let wire: Vec<u8> = inputs
            .iter()
            .flat_map(|x| x.to_bits().to_le_bytes())
            .collect();
        self.memory
            .write(&mut self.store, inputs_at as usize, &wire)?;
        self.memory.write(
            &mut self.store,
            scratch_at as usize,
            &vec![0u8; scratch_len as usize],
        )?;
        self.memory
            .write(&mut self.store, model_at as usize, model)?;

        self.store.set_fuel(FUEL)?;
        let result = match export {
            Export::Infer | Export::InferNoChecksum => {
                let f = if export == Export::Infer {
                    &self.infer
                } else {
                    &self.infer_no_checksum
                };
                f.call(
                    &mut self.store,
                    (
                        ptr(model_at)?,
                        ptr(model.len() as u64)?,
                        ptr(inputs_at)?,
                        ptr(inputs.len() as u64)?,
                        ptr(scratch_at)?,
                        ptr(scratch_len)?,
                    ),
                )?
            }
            Export::Parse | Export::ParseChecksum => self.parse.call(
                &mut self.store,
                (
                    ptr(model_at)?,
                    ptr(model.len() as u64)?,
                    i32::from(export == Export::ParseChecksum),
                ),
            )?,
        };
        let fuel = FUEL - self.store.get_fuel()?;
        Ok(Measured {
            result: result as u64,
            fuel,
        })
    }

    /// The most fuel `export` consumed over `input_sets` (each call measured
    /// twice: metering must be deterministic), with the index of the input
    /// set that drove it. Errors if a call fails or two runs disagree.
    pub fn worst(
        &mut self,
        export: Export,
        model: &[u8],
        input_sets: &[Vec<Wide>],
        scratch_acts: usize,
    ) -> wasmtime::Result<(u64, usize)> {
        let mut worst = (0, 0);
        for (i, inputs) in input_sets.iter().enumerate() {
            let a = self.measure(export, model, inputs, scratch_acts)?;
            let b = self.measure(export, model, inputs, scratch_acts)?;
            if a != b {
                wasmtime::bail!("non-deterministic metering: {a:?} then {b:?}");
            }
            if a.result == VIGIL_ERROR {
                wasmtime::bail!("{export:?} failed on input set {i}");
            }
            if a.fuel > worst.0 {
                worst = (a.fuel, i);
            }
        }
        Ok(worst)
    }
}
