//! wasmd's gas prices, defined once: the contract's `Check` bound, its
//! `Model` and `Cost` answers, the CLI and the chain simulator all price
//! with [`WasmdGas::DEFAULT`].
//!
//! Sources: wasmd `x/wasm/types/gas_register.go` (instance costs, the
//! CosmWasm-to-SDK gas multiplier, the smart-query limit), the Cosmos SDK's
//! `storetypes.KVGasConfig` (KV reads, writes, deletes, iterator steps) and
//! `x/wasm/types/keys.go` (`GetContractStorePrefix`: every key of a
//! contract's store is charged with a 33-byte prefix before it).

/// wasmd's gas parameters, in SDK gas unless named otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WasmdGas {
    /// CosmWasm gas per SDK gas (`DefaultGasMultiplier`).
    pub multiplier: u64,
    /// CosmWasm gas per wasm operation (cosmwasm-vm's base cost; control
    /// flow costs more, which the core's `COSMWASM_UNITS` table prices).
    pub vm_gas_per_op: u64,
    /// Setup of a call to an unpinned contract (`DefaultInstanceCost`).
    pub instance_cost: u64,
    /// Setup of a call to a pinned contract (`DefaultInstanceCostDiscount`).
    pub instance_cost_pinned: u64,
    /// Flat cost of a read (`ReadCostFlat`).
    pub read_flat: u64,
    /// Per byte of key and value read (`ReadCostPerByte`).
    pub read_per_byte: u64,
    /// Flat cost of a write (`WriteCostFlat`).
    pub write_flat: u64,
    /// Per byte of key and value written (`WriteCostPerByte`).
    pub write_per_byte: u64,
    /// A delete (`DeleteCost`).
    pub delete: u64,
    /// An existence check (`HasCost`; CosmWasm has no such import; wasmd's
    /// `IsPinnedCode` is one, in [`WasmdGas::contract_lookup`]).
    pub has: u64,
    /// Iterator creation and each step (`IterNextCostFlat`).
    pub iter_next_flat: u64,
    /// wasmd's default smart-query gas limit (`SmartQueryGasLimit`).
    pub query_limit: u64,
    /// Bytes wasmd puts before every key of a contract's storage
    /// (`GetContractStorePrefix`: `0x03` and the 32-byte contract address).
    /// The contract's store is a `prefix.Store` over the gas-metered
    /// (`gaskv`) store, so every read, write and iterator step is charged
    /// for these bytes too.
    pub key_prefix: usize,
    /// The largest value cosmwasm-vm passes through a storage import
    /// (128 KiB): larger values are split over several records.
    pub max_value_bytes: usize,
    /// SDK gas per byte of a call's raw result (the `ContractResult` JSON
    /// the VM returns: a query's answer as base64 inside `{"ok":"..."}`,
    /// an execute's `Response`), which wasmvm charges to deserialise it
    /// (wasmd's `DefaultDeserializationCostPerByte`, added to the VM gas the
    /// call used). Measured on a wasmd node: the localnet suite's gas table.
    pub deserialization_per_byte: u64,
}

impl WasmdGas {
    /// wasmd's defaults (CosmWasm >= 2).
    pub const DEFAULT: WasmdGas = WasmdGas {
        multiplier: 140_000,
        vm_gas_per_op: 115,
        instance_cost: 60_000,
        instance_cost_pinned: 2_000,
        read_flat: 1_000,
        read_per_byte: 3,
        write_flat: 2_000,
        write_per_byte: 30,
        delete: 1_000,
        has: 1_000,
        iter_next_flat: 30,
        query_limit: 3_000_000,
        key_prefix: 33,
        max_value_bytes: 128 * 1024,
        deserialization_per_byte: 1,
    };

    /// SDK gas of reading one record: the contract's key of `key_bytes`
    /// and a value of `value_bytes` ([`WasmdGas::key_prefix`] is added
    /// here).
    pub fn read(&self, key_bytes: usize, value_bytes: usize) -> u64 {
        self.read_flat.saturating_add(
            self.read_per_byte.saturating_mul(
                (self.key_prefix as u64)
                    .saturating_add(key_bytes as u64)
                    .saturating_add(value_bytes as u64),
            ),
        )
    }

    /// SDK gas of writing one record (as [`WasmdGas::read`]).
    pub fn write(&self, key_bytes: usize, value_bytes: usize) -> u64 {
        self.write_flat.saturating_add(
            self.write_per_byte.saturating_mul(
                (self.key_prefix as u64)
                    .saturating_add(key_bytes as u64)
                    .saturating_add(value_bytes as u64),
            ),
        )
    }

    /// SDK gas of an iterator passing over one record of `record_bytes`
    /// (the contract's key and the value), or of its creation (`None` when
    /// there is no first record).
    pub fn iter_step(&self, record_bytes: Option<usize>) -> u64 {
        self.iter_next_flat
            + record_bytes.map_or(0, |b| self.read_per_byte * (self.key_prefix + b) as u64)
    }

    /// SDK gas of wasmd's lookup of the called contract before every
    /// execute and smart query (`Keeper::contractInstance`, then
    /// `IsPinnedCode`): its `ContractInfo` record (key
    /// [`CONTRACT_INFO_KEY_BYTES`], value `contract_info_bytes`) and its
    /// `CodeInfo` record (key [`CODE_INFO_KEY_BYTES`], value
    /// `code_info_bytes`) read from the wasm module's store, and the pinned
    /// code index checked with `Has`. Not under the contract's key prefix.
    /// Measured on a wasmd node: the localnet suite's gas table.
    pub fn contract_lookup(&self, contract_info_bytes: usize, code_info_bytes: usize) -> u64 {
        let bytes = (CONTRACT_INFO_KEY_BYTES + CODE_INFO_KEY_BYTES) as u64
            + contract_info_bytes as u64
            + code_info_bytes as u64;
        (2 * self.read_flat)
            .saturating_add(self.has)
            .saturating_add(self.read_per_byte.saturating_mul(bytes))
    }

    /// SDK gas of a call's setup.
    pub fn setup(&self, pinned: bool) -> u64 {
        if pinned {
            self.instance_cost_pinned
        } else {
            self.instance_cost
        }
    }

    /// CosmWasm gas in SDK gas, rounded up (a bound; wasmd itself rounds
    /// the gas it charges down).
    pub fn sdk_gas_ceil(&self, vm_gas: u128) -> u64 {
        u64::try_from(vm_gas.div_ceil(u128::from(self.multiplier))).unwrap_or(u64::MAX)
    }

    /// CosmWasm gas wasmvm adds to a call's VM gas to deserialise its raw
    /// result of `result_bytes` bytes.
    pub fn deserialization_vm_gas(&self, result_bytes: usize) -> u64 {
        (result_bytes as u64)
            .saturating_mul(self.deserialization_per_byte)
            .saturating_mul(self.multiplier)
    }

    /// CosmWasm gas in SDK gas, rounded down, as wasmd charges it.
    pub fn sdk_gas_floor(&self, vm_gas: u64) -> u64 {
        vm_gas / self.multiplier
    }
}

impl Default for WasmdGas {
    fn default() -> Self {
        WasmdGas::DEFAULT
    }
}

/// Bytes of the key of a contract's `ContractInfo` in wasmd's store
/// (`GetContractAddressKey`: `0x02` and the 32-byte contract address).
pub const CONTRACT_INFO_KEY_BYTES: usize = 33;

/// Bytes of the key of a code's `CodeInfo` in wasmd's store (`GetCodeKey`:
/// `0x01` and the 8-byte code id).
pub const CODE_INFO_KEY_BYTES: usize = 9;

/// Characters per input value that quoted `Check` bounds assume when the
/// inputs are not known yet (`Model` and `Cost` answers, `vigil inspect`):
/// `"-15605352.0412345678"` is 20.
pub const QUOTE_VALUE_CHARS: usize = 20;

/// The smallest `max_check_gas` the CLI proposes (SDK gas above setup): its
/// default is four times the initial model's quoted `Check` bound, at least
/// this (about the reads of a 25 KB model); a guard migrated from 0.1 gets
/// the same from its stored models.
pub const DEFAULT_MAX_CHECK_GAS_FLOOR: u64 = 100_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contract_lookup_is_two_reads_and_a_has() {
        let g = WasmdGas::DEFAULT;
        assert_eq!(g.contract_lookup(0, 0), 3_000 + 3 * (33 + 9));
        assert_eq!(
            g.contract_lookup(100, 80) - g.contract_lookup(0, 0),
            3 * 180
        );
    }

    #[test]
    fn prices_include_the_key_prefix() {
        let g = WasmdGas::DEFAULT;
        assert_eq!(g.read(6, 100), 1_000 + 3 * (33 + 6 + 100));
        assert_eq!(g.write(6, 100), 2_000 + 30 * (33 + 6 + 100));
        assert_eq!(g.iter_step(None), 30);
        assert_eq!(g.iter_step(Some(10)), 30 + 3 * 43);
        assert_eq!(g.setup(true), 2_000);
        assert_eq!(g.sdk_gas_ceil(140_001), 2);
        assert_eq!(g.sdk_gas_floor(140_001), 1);
        assert_eq!(g.read(usize::MAX, usize::MAX), u64::MAX);
    }
}
