//! The shipped contracts run the way a wasmd chain runs them, with the gas
//! a chain charges.
//!
//! [`Chain`] holds contracts ([`ContractId`]), each with its code, address
//! and state across calls. Each call gets
//! a fresh cosmwasm-vm instance (as a node creates one per call) from a
//! [`Cache`] that validated and compiled the code exactly as `StoreCode`
//! does, over [`KvStore`], a storage backend that charges the Cosmos SDK's
//! KV gas (`gaskv`, `storetypes.KVGasConfig`) as *externally used* gas, the
//! way wasmvm reports the SDK meter back to the VM. A call's SDK gas is then
//! what wasmd charges it ([`Gas`]):
//!
//! * **setup**: 60,000 (`DefaultInstanceCost`), or 2,000 when the code is
//!   pinned (`DefaultInstanceCostDiscount`);
//! * **storage**: the KV gas below, in SDK gas;
//! * **compute**: VM gas used internally (115 per wasm operation, 14 times
//!   that for control-flow "accounting" operators, plus host-call costs) /
//!   140,000 (`DefaultGasMultiplier`), rounded down as wasmd does.
//!
//! KV gas (`KVGasConfig`): a read costs 1,000 + 3 per byte of key and of
//! value; a write 2,000 + 30 per byte of key and value; a delete 1,000; an
//! iterator 30 on creation and 30 per step, plus 3 per byte of each record
//! it passes over (gaskv charges the record under the cursor when the
//! iterator is created and on each `Next`). The key is the one `gaskv`
//! sees: wasmd's 33-byte contract prefix, then the contract's own key
//! ([`WasmdGas::key_prefix`]). CosmWasm has no `has` import, so
//! the `has` cost (1,000) never arises.
//!
//! A response's `WasmMsg::Execute` runs, after the call, on the contract it
//! names, with the caller as sender and what is left of the transaction's
//! limit, charged as wasmd charges an execute (its lookup, at
//! [`SUB_CALL_LOOKUP_BYTES`] unless [`Chain::set_lookup_of`] gave the
//! sizes; its setup, storage and compute, its result's deserialisation):
//! [`Gas::sub`], included in [`Gas::total`]. Replies are not simulated.
//!
//! Not modelled: the transaction's own gas (signature, 10 per byte of tx),
//! wasmd's charges for events and attributes, and the cost of the bank
//! transfers a response asks for. [`Chain`] does settle those transfers in
//! its own ledger ([`Chain::balance`]) so bonds and rewards can be followed.
//! A failed transaction (its call or any message's) reverts every
//! contract's writes and the ledger, as the SDK does.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use cosmwasm_std::Checksum;
use cosmwasm_vm::testing::{mock_env, MockApi, MockQuerier};
use cosmwasm_vm::{
    call_execute_raw, call_instantiate_raw, call_migrate_raw, call_query_raw,
    capabilities_from_csv, Backend, BackendError, BackendResult, Cache, CacheOptions, GasInfo,
    InstanceOptions, Size, Storage, VmError,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use vigil_guard_api::gas::WasmdGas;

/// What one call did to storage, and the SDK gas it was charged for it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KvTally {
    /// Reads (`db_read`).
    pub reads: u64,
    /// Bytes of key and value read (the contract's keys, without wasmd's
    /// prefix).
    pub read_bytes: u64,
    /// Writes (`db_write`).
    pub writes: u64,
    /// Bytes of key and value written (without wasmd's prefix).
    pub write_bytes: u64,
    /// Deletes (`db_remove`).
    pub deletes: u64,
    /// Iterators created (`db_scan`).
    pub scans: u64,
    /// Records an iterator returned (`db_next`).
    pub steps: u64,
    /// Bytes of key and value iterators passed over (without wasmd's
    /// prefix).
    pub step_bytes: u64,
    /// The SDK gas of all of the above.
    pub gas: u64,
}

/// A key-value record.
pub type Record = (Vec<u8>, Vec<u8>);

/// The contract's key-value store, charging [`WasmdGas`] KV costs as
/// externally used gas (SDK gas × multiplier, as wasmvm reports it).
#[derive(Default)]
pub struct KvStore {
    data: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Open iterators: a snapshot of their range and the cursor.
    iterators: Vec<(Vec<Record>, usize)>,
    gas: WasmdGas,
    tally: Cell<KvTally>,
}

impl KvStore {
    /// An empty store with `gas`'s prices.
    pub fn new(gas: WasmdGas) -> KvStore {
        KvStore {
            gas,
            ..KvStore::default()
        }
    }

    /// The tally since the last [`KvStore::take_tally`].
    pub fn take_tally(&mut self) -> KvTally {
        self.tally.take()
    }

    /// Every record, for inspection.
    pub fn records(&self) -> &BTreeMap<Vec<u8>, Vec<u8>> {
        &self.data
    }

    fn charge(&self, sdk_gas: u64, update: impl FnOnce(&mut KvTally)) -> GasInfo {
        let mut tally = self.tally.get();
        update(&mut tally);
        tally.gas += sdk_gas;
        self.tally.set(tally);
        GasInfo::with_externally_used(sdk_gas * self.gas.multiplier)
    }
}

impl Storage for KvStore {
    fn get(&self, key: &[u8]) -> BackendResult<Option<Vec<u8>>> {
        let value = self.data.get(key).cloned();
        let value_bytes = value.as_ref().map_or(0, Vec::len);
        let bytes = key.len() + value_bytes;
        let gas = self.charge(self.gas.read(key.len(), value_bytes), |t| {
            t.reads += 1;
            t.read_bytes += bytes as u64;
        });
        (Ok(value), gas)
    }

    fn scan(
        &mut self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: cosmwasm_std::Order,
    ) -> BackendResult<u32> {
        use std::ops::Bound;
        let lower = start.map_or(Bound::Unbounded, |s| Bound::Included(s.to_vec()));
        let upper = end.map_or(Bound::Unbounded, |e| Bound::Excluded(e.to_vec()));
        let empty = matches!((start, end), (Some(s), Some(e)) if s >= e);
        let mut records: Vec<Record> = if empty {
            Vec::new()
        } else {
            self.data
                .range((lower, upper))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        if order == cosmwasm_std::Order::Descending {
            records.reverse();
        }
        let first = records.first().map(|(k, v)| k.len() + v.len());
        let gas = self.charge(self.gas.iter_step(first), |t| {
            t.scans += 1;
            t.step_bytes += first.unwrap_or(0) as u64;
        });
        self.iterators.push((records, 0));
        (Ok(self.iterators.len() as u32 - 1), gas)
    }

    fn next(&mut self, iterator_id: u32) -> BackendResult<Option<Record>> {
        let Some((records, position)) = self.iterators.get_mut(iterator_id as usize) else {
            return (
                Err(BackendError::iterator_does_not_exist(iterator_id)),
                GasInfo::free(),
            );
        };
        let Some(record) = records.get(*position).cloned() else {
            return (Ok(None), GasInfo::free());
        };
        *position += 1;
        let bytes = record.0.len() + record.1.len();
        let gas = self.charge(self.gas.iter_step(Some(bytes)), |t| {
            t.steps += 1;
            t.step_bytes += bytes as u64;
        });
        (Ok(Some(record)), gas)
    }

    fn set(&mut self, key: &[u8], value: &[u8]) -> BackendResult<()> {
        let bytes = key.len() + value.len();
        self.data.insert(key.to_vec(), value.to_vec());
        let gas = self.charge(self.gas.write(key.len(), value.len()), |t| {
            t.writes += 1;
            t.write_bytes += bytes as u64;
        });
        (Ok(()), gas)
    }

    fn remove(&mut self, key: &[u8]) -> BackendResult<()> {
        self.data.remove(key);
        let gas = self.charge(self.gas.delete, |t| t.deletes += 1);
        (Ok(()), gas)
    }
}

/// The SDK gas of one call, as wasmd charges it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Gas {
    /// Instance setup (60,000, or 2,000 pinned).
    pub setup: u64,
    /// KV reads, writes, deletes and iteration.
    pub storage: u64,
    /// Wasm execution and host calls, and the deserialisation of the
    /// call's result: (VM gas used internally + [`Gas::result_bytes`] x
    /// [`WasmdGas::deserialization_vm_gas`]) / multiplier, as wasmd charges
    /// the gas report wasmvm returns.
    pub compute: u64,
    /// Bytes of the call's raw result (the `ContractResult` JSON), which
    /// wasmvm charges to deserialise; 0 when the VM returned nothing.
    pub result_bytes: u64,
    /// wasmd's lookup of the contract before an execute or a query
    /// ([`WasmdGas::contract_lookup`]), when the chain was told the sizes
    /// of the records ([`Chain::set_lookup`]); 0 otherwise.
    pub lookup: u64,
    /// VM gas used internally (CosmWasm gas), before conversion.
    pub vm_internal: u64,
    /// What the call did to storage.
    pub kv: KvTally,
    /// The contract calls its response's messages made
    /// (`WasmMsg::Execute`, e.g. the governor's `InstallModel` to its
    /// guard), each charged as wasmd charges an execute: included in
    /// [`Gas::total`], not in the fields above.
    pub sub: SubCalls,
}

impl Gas {
    /// lookup + setup + storage + compute, and the sub-calls': what the
    /// transaction (or query) is charged.
    pub fn total(&self) -> u64 {
        self.own_total() + self.sub.total()
    }

    /// lookup + setup + storage + compute of this call alone (no
    /// sub-calls).
    pub fn own_total(&self) -> u64 {
        self.lookup + self.setup + self.storage + self.compute
    }

    /// storage + compute: what the contract's own work costs.
    pub fn above_setup(&self) -> u64 {
        self.storage + self.compute
    }

    /// Wasm operations equivalent of the internal VM gas
    /// ([`WasmdGas::vm_gas_per_op`] per operation; control flow costs 14
    /// times that, so this overstates the count of operations for branchy
    /// code).
    pub fn vm_operations(&self, prices: &WasmdGas) -> u64 {
        self.vm_internal / prices.vm_gas_per_op.max(1)
    }
}

/// The gas of the contract calls a call's messages made (each
/// `WasmMsg::Execute`, and theirs in turn), summed: a node charges each as
/// an execute of its own within the transaction: wasmd's lookup of the
/// called contract (always, with [`SUB_CALL_LOOKUP_BYTES`] unless
/// [`Chain::set_lookup_of`] gave its records' sizes), its setup, storage,
/// compute and the deserialisation of its result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SubCalls {
    /// Contract calls made.
    pub calls: u32,
    /// wasmd's lookups of the called contracts.
    pub lookup: u64,
    /// Their setups.
    pub setup: u64,
    /// Their storage.
    pub storage: u64,
    /// Their compute (result deserialisation included).
    pub compute: u64,
    /// Their VM gas used internally.
    pub vm_internal: u64,
    /// What they did to storage.
    pub kv: KvTally,
}

impl SubCalls {
    /// lookup + setup + storage + compute.
    pub fn total(&self) -> u64 {
        self.lookup + self.setup + self.storage + self.compute
    }

    /// Adds one call's gas (and its own sub-calls').
    fn add(&mut self, g: &Gas) {
        self.calls += 1 + g.sub.calls;
        self.lookup += g.lookup + g.sub.lookup;
        self.setup += g.setup + g.sub.setup;
        self.storage += g.storage + g.sub.storage;
        self.compute += g.compute + g.sub.compute;
        self.vm_internal += g.vm_internal + g.sub.vm_internal;
        for kv in [g.kv, g.sub.kv] {
            self.kv.reads += kv.reads;
            self.kv.read_bytes += kv.read_bytes;
            self.kv.writes += kv.writes;
            self.kv.write_bytes += kv.write_bytes;
            self.kv.deletes += kv.deletes;
            self.kv.scans += kv.scans;
            self.kv.steps += kv.steps;
            self.kv.step_bytes += kv.step_bytes;
            self.kv.gas += kv.gas;
        }
    }
}

/// Bytes of the `ContractInfo` and `CodeInfo` records wasmd reads to look
/// up a contract a message calls, when [`Chain::set_lookup_of`] gave none:
/// the largest records the guard's `Check` bound assumes
/// (`vigil_guard::gas::CONTRACT_INFO_MAX_BYTES`, `CODE_INFO_MAX_BYTES`;
/// host-tests holds the two equal), so a sub-call is never under-charged.
pub const SUB_CALL_LOOKUP_BYTES: (usize, usize) = (512, 256);

/// A call's outcome: the contract's answer (or its error) and the gas.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// For execute/instantiate, the `Response` as JSON; for a query, the
    /// answer decoded from its base64 `Binary` as JSON. `Err` carries the
    /// contract's error message, or the VM's (e.g. out of gas).
    pub result: Result<Value, String>,
    /// What the call cost.
    pub gas: Gas,
}

impl Outcome {
    /// The answer, or a panic naming `what` and the error.
    pub fn expect(self, what: &str) -> Value {
        match self.result {
            Ok(value) => value,
            Err(e) => panic!("{what}: {e}"),
        }
    }

    /// The answer as a `T` (an api response type for a query, e.g.
    /// `vigil_guard_api::msg::CheckResponse`), or the call's error, or why
    /// the answer is not a `T`.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, String> {
        let value = self.result.as_ref().map_err(Clone::clone)?;
        T::deserialize(value)
            .map_err(|e| format!("the answer is not a {}: {e}", std::any::type_name::<T>()))
    }

    /// The answer as a `T`, or a panic naming `what` and the error.
    pub fn expect_parsed<T: DeserializeOwned>(&self, what: &str) -> T {
        self.parse().unwrap_or_else(|e| panic!("{what}: {e}"))
    }

    /// The value of the first attribute named `key` in the response's
    /// attributes or events.
    pub fn attribute(&self, key: &str) -> Option<String> {
        let response = self.result.as_ref().ok()?;
        let mut lists = vec![&response["attributes"]];
        if let Some(events) = response["events"].as_array() {
            lists.extend(events.iter().map(|e| &e["attributes"]));
        }
        lists
            .into_iter()
            .filter_map(Value::as_array)
            .flatten()
            .find(|a| a["key"] == key)
            .and_then(|a| a["value"].as_str().map(str::to_owned))
    }
}

type VmCache = Cache<MockApi, KvStore, MockQuerier>;

/// A contract of a [`Chain`]: [`ContractId::FIRST`] is the one
/// [`Chain::new`] stores; [`Chain::add_contract`] adds others.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ContractId(usize);

impl ContractId {
    /// The contract [`Chain::new`] stores, which the methods without a
    /// contract argument (`execute`, `query`, `migrate`, `storage`, ...)
    /// call.
    pub const FIRST: ContractId = ContractId(0);
    /// The second contract stored ([`Chain::add_contract`] numbers them
    /// in order): the guard of [`crate::split`].
    pub const SECOND: ContractId = ContractId(1);
}

/// One contract: its code, state and address.
struct Contract {
    checksum: Checksum,
    storage: Option<KvStore>,
    address: String,
    /// The name its address is made of ([`Chain::add_contract`]); `None`:
    /// the first contract, at the mock environment's address, or a contract
    /// put at an address ([`Chain::set_address`]).
    name: Option<String>,
    pinned: bool,
    /// Bytes of the contract's `ContractInfo` and `CodeInfo` records, when
    /// wasmd's lookup is charged.
    lookup: Option<(usize, usize)>,
}

/// Contracts on a simulated wasmd chain. See the module documentation.
pub struct Chain {
    cache: VmCache,
    contracts: Vec<Contract>,
    api: MockApi,
    gas: WasmdGas,
    height: u64,
    /// Bank balances: (address, denom) -> amount.
    balances: HashMap<(String, String), u128>,
    /// Smart-query answers other contracts give during the next call:
    /// (address, query JSON, answer JSON). See [`CONFIG_QUERY`].
    answers: Vec<(String, Vec<u8>, Vec<u8>)>,
    /// Messages to contracts this chain does not run are left to another
    /// chain (see [`Chain::set_calls_elsewhere`]).
    calls_elsewhere: bool,
}

/// The one query a contract of this workspace sends another: the governor
/// reads its guard's `Config` at `BindGuard`. On a chain of several
/// contracts the simulator answers it, during every execute, from the other
/// contracts' state as it is before the call; the nested query's gas is
/// not charged to the caller, as wasmd would (the localnet suite measures
/// `BindGuard` on the node). Any other contract query fails as if the
/// contract did not exist.
pub const CONFIG_QUERY: &[u8] = br#"{"config":{}}"#;

/// The capabilities a chain offers the guard: every CosmWasm chain offers
/// `iterator`.
pub const CAPABILITIES: &str = "iterator";

/// How deep contract calls may nest (a message's call making a message's
/// call ...) before the transaction fails.
pub const MAX_CALL_DEPTH: usize = 8;

/// What a transaction's first call is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Entry {
    Instantiate,
    Execute,
    Migrate,
}

impl Chain {
    /// Stores `wasm` (with the static checks wasmd's `StoreCode` runs) in a
    /// fresh cache under `cache_dir`, which is emptied first and must not be
    /// used by anything else: its contract is [`ContractId::FIRST`].
    pub fn new(wasm: &[u8], cache_dir: &Path, gas: WasmdGas) -> Result<Chain, String> {
        let _ = std::fs::remove_dir_all(cache_dir);
        let options = CacheOptions::new(
            PathBuf::from(cache_dir),
            capabilities_from_csv(CAPABILITIES),
            Size::mebi(64),
            Size::mebi(64),
        );
        // SAFETY: `cache_dir` was just emptied and is documented as this
        // chain's alone, which is what `Cache::new` requires (no other
        // cache may use the directory at the same time).
        let cache: VmCache = unsafe { Cache::new(options) }.map_err(|e| e.to_string())?;
        let checksum = cache
            .store_code(wasm, true, true)
            .map_err(|e| format!("the chain rejects the code: {e}"))?;
        let api = MockApi::default();
        let address = mock_env().contract.address.to_string();
        Ok(Chain {
            cache,
            contracts: vec![Contract {
                checksum,
                storage: Some(KvStore::new(gas)),
                address,
                name: None,
                pinned: false,
                lookup: None,
            }],
            api,
            gas,
            height: 12_345,
            balances: HashMap::new(),
            answers: Vec::new(),
            calls_elsewhere: false,
        })
    }

    /// Stores `wasm` (the same checks as [`Chain::new`]) as another
    /// contract, at the address [`Chain::addr`] makes of `name`, with an
    /// empty state: instantiate it with [`Chain::instantiate_on`].
    pub fn add_contract(&mut self, wasm: &[u8], name: &str) -> Result<ContractId, String> {
        let checksum = self
            .cache
            .store_code(wasm, true, true)
            .map_err(|e| format!("the chain rejects the code: {e}"))?;
        let address = self.addr(name);
        if self.contracts.iter().any(|c| c.address == address) {
            return Err(format!("a contract is at {address} already"));
        }
        self.contracts.push(Contract {
            checksum,
            storage: Some(KvStore::new(self.gas)),
            address,
            name: Some(name.to_owned()),
            pinned: false,
            lookup: None,
        });
        Ok(ContractId(self.contracts.len() - 1))
    }

    /// The contracts, in the order they were stored.
    pub fn contracts(&self) -> impl Iterator<Item = ContractId> {
        (0..self.contracts.len()).map(ContractId)
    }

    /// The contract at `address`, if any.
    pub fn contract_at(&self, address: &str) -> Option<ContractId> {
        self.contracts
            .iter()
            .position(|c| c.address == address)
            .map(ContractId)
    }

    fn at(&self, id: ContractId) -> &Contract {
        &self.contracts[id.0]
    }

    fn at_mut(&mut self, id: ContractId) -> &mut Contract {
        &mut self.contracts[id.0]
    }

    /// Forgets every contract's state and the ledger (the stored codes and
    /// the addresses stay): the next calls can instantiate new contracts.
    pub fn reset(&mut self) {
        for c in &mut self.contracts {
            c.storage = Some(KvStore::new(self.gas));
        }
        self.balances.clear();
    }

    /// Pins (or unpins) the first contract's code: setup costs 2,000
    /// instead of 60,000.
    pub fn set_pinned(&mut self, pinned: bool) -> Result<(), String> {
        self.set_pinned_on(ContractId::FIRST, pinned)
    }

    /// Pins (or unpins) `id`'s code (every contract of that code).
    pub fn set_pinned_on(&mut self, id: ContractId, pinned: bool) -> Result<(), String> {
        let checksum = self.at(id).checksum;
        if pinned {
            self.cache.pin(&checksum).map_err(|e| e.to_string())?;
        } else {
            self.cache.unpin(&checksum).map_err(|e| e.to_string())?;
        }
        for c in &mut self.contracts {
            if c.checksum == checksum {
                c.pinned = pinned;
            }
        }
        Ok(())
    }

    /// Spells addresses as a real chain does: `prefix` for the mock API
    /// (what `addr_validate` accepts and [`Chain::addr`] makes) and
    /// `contract` for the first contract's address in every call's `Env`
    /// (the others' are made again with the new prefix). A replay of a
    /// node's transactions uses the node's addresses, so that stored
    /// addresses, and so storage gas, are the node's.
    pub fn set_addresses(&mut self, prefix: &'static str, contract: &str) {
        self.api = MockApi::default().with_prefix(prefix);
        for i in 0..self.contracts.len() {
            let address = match &self.contracts[i].name {
                Some(name) => self.addr(name),
                None if i == 0 => contract.to_owned(),
                None => continue,
            };
            self.contracts[i].address = address;
        }
    }

    /// Puts `id` at `address` (e.g. a node's address of a second contract
    /// in a replay), kept by later [`Chain::set_addresses`].
    pub fn set_address(&mut self, id: ContractId, address: &str) -> Result<(), String> {
        if let Some(other) = self.contract_at(address).filter(|&other| other != id) {
            return Err(format!("{address} is the address of {other:?} already"));
        }
        let c = self.at_mut(id);
        c.address = address.to_owned();
        c.name = None;
        Ok(())
    }

    /// Charges wasmd's lookup of the first contract
    /// ([`WasmdGas::contract_lookup`]: its `ContractInfo` of
    /// `contract_info_bytes` and `CodeInfo` of `code_info_bytes`) on every
    /// execute and query, as a node does (a replay of a node's calls passes
    /// the node's record sizes).
    pub fn set_lookup(&mut self, contract_info_bytes: usize, code_info_bytes: usize) {
        self.set_lookup_of(ContractId::FIRST, contract_info_bytes, code_info_bytes);
    }

    /// [`Chain::set_lookup`] for `id`.
    pub fn set_lookup_of(
        &mut self,
        id: ContractId,
        contract_info_bytes: usize,
        code_info_bytes: usize,
    ) {
        self.at_mut(id).lookup = Some((contract_info_bytes, code_info_bytes));
    }

    /// wasmd's lookup of `id`: when its sizes are set; for a sub-call
    /// (`always`), else at [`SUB_CALL_LOOKUP_BYTES`].
    fn lookup_gas(&self, id: ContractId, always: bool) -> u64 {
        let sizes = match self.at(id).lookup {
            Some(sizes) => sizes,
            None if always => SUB_CALL_LOOKUP_BYTES,
            None => return 0,
        };
        self.gas.contract_lookup(sizes.0, sizes.1)
    }

    /// The block height of the next call (each transaction then moves it
    /// on by one).
    pub fn set_height(&mut self, height: u64) {
        self.height = height;
    }

    /// The block height the next call runs at (every transaction moves it
    /// one block on).
    pub fn height(&self) -> u64 {
        self.height
    }

    /// Move `blocks` blocks on without a transaction (e.g. past a reveal or
    /// activation delay).
    pub fn advance(&mut self, blocks: u64) {
        self.height = self.height.saturating_add(blocks);
    }

    /// The gas parameters.
    pub fn gas(&self) -> WasmdGas {
        self.gas
    }

    /// A valid bech32 address for `name` (the mock API's prefix).
    pub fn addr(&self, name: &str) -> String {
        self.api.addr_make(name).to_string()
    }

    /// The first contract's address.
    pub fn contract(&self) -> &str {
        self.address(ContractId::FIRST)
    }

    /// `id`'s address.
    pub fn address(&self, id: ContractId) -> &str {
        &self.at(id).address
    }

    /// `address`'s balance of `denom` in this chain's ledger.
    pub fn balance(&self, address: &str, denom: &str) -> u128 {
        self.balances
            .get(&(address.to_owned(), denom.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// Credits `address` (e.g. to give a proposer funds for a bond).
    pub fn mint(&mut self, address: &str, denom: &str, amount: u128) {
        *self
            .balances
            .entry((address.to_owned(), denom.to_owned()))
            .or_default() += amount;
    }

    /// Moves `amount` of `denom` from `from` to `to` in the ledger (as
    /// much as `from` holds).
    fn transfer(&mut self, from: &str, to: &str, denom: &str, amount: u128) {
        let held = self
            .balances
            .entry((from.to_owned(), denom.to_owned()))
            .or_default();
        *held = held.saturating_sub(amount);
        self.mint(to, denom, amount);
    }

    /// The first contract's storage.
    pub fn storage(&self) -> &KvStore {
        self.storage_of(ContractId::FIRST)
    }

    /// `id`'s storage.
    pub fn storage_of(&self, id: ContractId) -> &KvStore {
        self.at(id)
            .storage
            .as_ref()
            .expect("storage is back after every call")
    }

    fn env(&self, id: ContractId) -> Vec<u8> {
        let mut env = serde_json::to_value(mock_env()).expect("env serialises");
        env["block"]["height"] = json!(self.height);
        env["contract"]["address"] = json!(self.at(id).address);
        let nanos = 1_700_000_000_000_000_000u64 + self.height * 5_000_000_000;
        env["block"]["time"] = json!(nanos.to_string());
        serde_json::to_vec(&env).expect("env serialises")
    }

    fn info(sender: &str, funds: &[(String, u128)]) -> Vec<u8> {
        let funds: Vec<Value> = funds
            .iter()
            .map(|(denom, amount)| json!({ "denom": denom, "amount": amount.to_string() }))
            .collect();
        serde_json::to_vec(&json!({ "sender": sender, "funds": funds })).expect("info")
    }

    /// Runs one call of `id` on a fresh instance with `limit` SDK gas
    /// (setup included), and returns its raw result and gas.
    fn call(
        &mut self,
        id: ContractId,
        limit: u64,
        run: impl FnOnce(
            &mut cosmwasm_vm::Instance<MockApi, KvStore, MockQuerier>,
        ) -> Result<Vec<u8>, VmError>,
    ) -> (Result<Vec<u8>, String>, Gas) {
        let setup = self.gas.setup(self.at(id).pinned);
        let mut gas = Gas {
            setup,
            ..Gas::default()
        };
        let Some(vm_limit) = limit
            .checked_sub(setup)
            .and_then(|l| l.checked_mul(self.gas.multiplier))
        else {
            return (Err(out_of_gas(limit)), gas);
        };
        let checksum = self.at(id).checksum;
        let storage = self
            .at_mut(id)
            .storage
            .take()
            .expect("storage present between calls");
        let mut querier = MockQuerier::new(&[]);
        let answers = std::mem::take(&mut self.answers);
        if !answers.is_empty() {
            querier.update_wasm(move |q| {
                use cosmwasm_std::{Binary, ContractResult, SystemError, SystemResult, WasmQuery};
                match q {
                    WasmQuery::Smart { contract_addr, msg } => answers
                        .iter()
                        .find(|(a, m, _)| a == contract_addr && m.as_slice() == msg.as_slice())
                        .map_or_else(
                            || {
                                SystemResult::Err(SystemError::NoSuchContract {
                                    addr: contract_addr.clone(),
                                })
                            },
                            |(_, _, answer)| {
                                SystemResult::Ok(ContractResult::Ok(Binary::new(answer.clone())))
                            },
                        ),
                    _ => SystemResult::Err(SystemError::UnsupportedRequest {
                        kind: "wasm query other than smart".into(),
                    }),
                }
            });
        }
        let backend = Backend {
            api: self.api,
            storage,
            querier,
        };
        let mut instance = match self.cache.get_instance(
            &checksum,
            backend,
            InstanceOptions {
                gas_limit: vm_limit,
            },
        ) {
            Ok(instance) => instance,
            Err(e) => panic!("instantiate the stored module: {e}"),
        };
        let raw = run(&mut instance);
        let report = instance.create_gas_report();
        // Gas can run out in a host call (`GasDepletion`) or in wasm code
        // (a runtime error from the metering middleware): both leave none.
        let raw = raw.map_err(|e| match e {
            VmError::GasDepletion { .. } => out_of_gas(limit),
            _ if report.remaining == 0 => out_of_gas(limit),
            other => other.to_string(),
        });
        let mut backend = instance
            .recycle()
            .expect("the instance hands its backend back");
        gas.kv = backend.storage.take_tally();
        gas.storage = gas.kv.gas;
        gas.vm_internal = report.used_internally;
        gas.result_bytes = raw.as_ref().map_or(0, |r| r.len() as u64);
        gas.compute = report
            .used_internally
            .saturating_add(self.gas.deserialization_vm_gas(gas.result_bytes as usize))
            / self.gas.multiplier;
        self.at_mut(id).storage = Some(backend.storage);
        (raw, gas)
    }

    /// One transaction: its first call on `id`, then the calls and
    /// transfers its response's messages ask for, in order, as one unit:
    /// if any call fails (the first or a message's), every contract's
    /// state and the ledger are as before and the transaction reports the
    /// error. The chain moves one block on.
    fn transact(
        &mut self,
        id: ContractId,
        sender: &str,
        funds: &[(&str, u128)],
        limit: u64,
        entry: Entry,
        msg: &[u8],
    ) -> Outcome {
        let before: Vec<BTreeMap<Vec<u8>, Vec<u8>>> = self
            .contracts
            .iter()
            .map(|c| {
                c.storage
                    .as_ref()
                    .map(|s| s.data.clone())
                    .unwrap_or_default()
            })
            .collect();
        let balances = self.balances.clone();
        let funds: Vec<(String, u128)> = funds.iter().map(|(d, a)| ((*d).to_owned(), *a)).collect();
        let (result, gas) = self.dispatch(id, sender, &funds, limit, entry, msg, 0);
        self.height += 1;
        if result.is_err() {
            for (c, data) in self.contracts.iter_mut().zip(before) {
                if let Some(storage) = c.storage.as_mut() {
                    storage.data = data;
                }
            }
            self.balances = balances;
        }
        Outcome { result, gas }
    }

    /// A call of `id` (`depth` 0: the transaction's own; deeper: a
    /// message's, always looked up), then its response's messages.
    #[allow(clippy::too_many_arguments)]
    fn dispatch(
        &mut self,
        id: ContractId,
        sender: &str,
        funds: &[(String, u128)],
        limit: u64,
        entry: Entry,
        msg: &[u8],
        depth: usize,
    ) -> (Result<Value, String>, Gas) {
        let address = self.at(id).address.clone();
        for (denom, amount) in funds {
            self.transfer(sender, &address, denom, *amount);
        }
        let env = self.env(id);
        let info = Chain::info(sender, funds);
        if entry == Entry::Execute && self.contracts.len() > 1 {
            // Answers given beforehand (`answer_next_call`) stay; the
            // queries made to compute these would take them otherwise.
            let given = std::mem::take(&mut self.answers);
            let computed = self.config_answers(id);
            self.answers = given;
            self.answers.extend(computed);
        }
        let (raw, mut gas) = self.call(id, limit, |instance| match entry {
            Entry::Instantiate => call_instantiate_raw(instance, &env, &info, msg),
            Entry::Execute => call_execute_raw(instance, &env, &info, msg),
            Entry::Migrate => call_migrate_raw(instance, &env, msg),
        });
        if entry == Entry::Execute {
            gas.lookup = self.lookup_gas(id, depth > 0);
        }
        let response = match raw.and_then(|raw| contract_result(&raw)) {
            Ok(response) => response,
            Err(e) => return (Err(e), gas),
        };
        let messages = response["messages"].as_array().cloned().unwrap_or_default();
        for message in &messages {
            if let Err(e) = self.run_message(&address, message, limit, &mut gas, depth) {
                return (Err(e), gas);
            }
        }
        (Ok(response), gas)
    }

    /// A smart query of `id` (`msg`, JSON) within `limit`: the answer's
    /// bytes (the contract's `Binary`, decoded) and the call's gas.
    fn smart_query(
        &mut self,
        id: ContractId,
        limit: u64,
        msg: &[u8],
    ) -> (Result<Vec<u8>, String>, Gas) {
        let env = self.env(id);
        let (raw, gas) = self.call(id, limit, |instance| {
            instance.set_storage_readonly(true);
            call_query_raw(instance, &env, msg)
        });
        let answer = raw.and_then(|raw| contract_result(&raw)).and_then(|ok| {
            let b64 = ok.as_str().ok_or("a query answers a base64 string")?;
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| format!("query answer is not base64: {e}"))
        });
        (answer, gas)
    }

    /// Whether a message to a contract this chain does not run is skipped
    /// (a replay that runs each contract on a chain of its own, and replays
    /// such a call there) instead of failing the transaction (the default,
    /// as a node does).
    pub fn set_calls_elsewhere(&mut self, on: bool) {
        self.calls_elsewhere = on;
    }

    /// During the next call, a smart query `query` (JSON) of the contract
    /// at `address` answers `answer` (JSON): for a contract this chain does
    /// not run, e.g. a guard replayed on a chain of its own.
    pub fn answer_next_call(&mut self, address: &str, query: &[u8], answer: Vec<u8>) {
        self.answers
            .push((address.to_owned(), query.to_vec(), answer));
    }

    /// Every contract's answer to [`CONFIG_QUERY`] but `id`'s (those that
    /// answer), for a call of `id` that may ask.
    fn config_answers(&mut self, id: ContractId) -> Vec<(String, Vec<u8>, Vec<u8>)> {
        let mut answers = Vec::new();
        for k in 0..self.contracts.len() {
            let other = ContractId(k);
            if other == id {
                continue;
            }
            let (answer, _) = self.smart_query(other, self.gas.query_limit, CONFIG_QUERY);
            if let Ok(answer) = answer {
                let address = self.at(other).address.clone();
                answers.push((address, CONFIG_QUERY.to_vec(), answer));
            }
        }
        answers
    }

    /// One message of `from`'s response: a `BankMsg::Send` moves coins in
    /// the ledger; a `WasmMsg::Execute` runs the named contract's
    /// `execute` with `from` as the sender, within what is left of
    /// `limit`, its gas added to `gas.sub`. Replies are not simulated (a
    /// message asking for one fails the transaction); other messages are
    /// ignored.
    fn run_message(
        &mut self,
        from: &str,
        message: &Value,
        limit: u64,
        gas: &mut Gas,
        depth: usize,
    ) -> Result<(), String> {
        if message["reply_on"].as_str().is_some_and(|r| r != "never") {
            return Err(format!(
                "the simulated chain runs no replies: {}",
                message["reply_on"]
            ));
        }
        let send = &message["msg"]["bank"]["send"];
        if let (Some(to), Some(amounts)) = (send["to_address"].as_str(), send["amount"].as_array())
        {
            for (denom, amount) in coins(amounts) {
                self.transfer(from, to, &denom, amount);
            }
            return Ok(());
        }
        let execute = &message["msg"]["wasm"]["execute"];
        let Some(to) = execute["contract_addr"].as_str() else {
            return Ok(());
        };
        if depth + 1 >= MAX_CALL_DEPTH {
            return Err(format!("contract calls nest deeper than {MAX_CALL_DEPTH}"));
        }
        let Some(target) = self.contract_at(to) else {
            // A replay that runs each contract on a chain of its own
            // (`set_calls_elsewhere`) replays this call there.
            if self.calls_elsewhere {
                return Ok(());
            }
            return Err(format!("dispatch: no contract at {to}"));
        };
        let msg = base64::engine::general_purpose::STANDARD
            .decode(execute["msg"].as_str().unwrap_or_default())
            .map_err(|e| format!("dispatch: the message to {to} is not base64: {e}"))?;
        let funds = coins(execute["funds"].as_array().map_or(&[][..], Vec::as_slice));
        let left = limit.saturating_sub(gas.total());
        let (result, sub) =
            self.dispatch(target, from, &funds, left, Entry::Execute, &msg, depth + 1);
        gas.sub.add(&sub);
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_out_of_gas(&e) => Err(out_of_gas(limit)),
            Err(e) => Err(format!("dispatch: submessages: {e}")),
        }
    }

    /// `instantiate` of the first contract from `sender` with `funds`,
    /// within `limit` SDK gas. `msg` is any serialisable message, normally
    /// `vigil_guard_api::msg::InstantiateMsg`.
    pub fn instantiate(
        &mut self,
        sender: &str,
        funds: &[(&str, u128)],
        msg: &impl Serialize,
        limit: u64,
    ) -> Outcome {
        self.instantiate_on(ContractId::FIRST, sender, funds, msg, limit)
    }

    /// `instantiate` of `id`.
    pub fn instantiate_on(
        &mut self,
        id: ContractId,
        sender: &str,
        funds: &[(&str, u128)],
        msg: &impl Serialize,
        limit: u64,
    ) -> Outcome {
        match to_json(msg) {
            Ok(msg) => self.transact(id, sender, funds, limit, Entry::Instantiate, &msg),
            Err(error) => unsent(error),
        }
    }

    /// `execute` of the first contract from `sender` with `funds`, within
    /// `limit` SDK gas. `msg` is normally a
    /// `vigil_guard_api::msg::ExecuteMsg`.
    pub fn execute(
        &mut self,
        sender: &str,
        funds: &[(&str, u128)],
        msg: &impl Serialize,
        limit: u64,
    ) -> Outcome {
        self.execute_on(ContractId::FIRST, sender, funds, msg, limit)
    }

    /// `execute` of `id`; the contract calls of its response's messages
    /// run in the same transaction (their gas in [`Gas::sub`]).
    pub fn execute_on(
        &mut self,
        id: ContractId,
        sender: &str,
        funds: &[(&str, u128)],
        msg: &impl Serialize,
        limit: u64,
    ) -> Outcome {
        match to_json(msg) {
            Ok(msg) => self.transact(id, sender, funds, limit, Entry::Execute, &msg),
            Err(error) => unsent(error),
        }
    }

    /// A smart query of the first contract within wasmd's default query
    /// limit ([`WasmdGas::query_limit`]). `msg` is normally a
    /// `vigil_guard_api::msg::QueryMsg`; [`Outcome::parse`] reads the
    /// answer as its response type.
    pub fn query(&mut self, msg: &impl Serialize) -> Outcome {
        let limit = self.gas.query_limit;
        self.query_with_limit(msg, limit)
    }

    /// A smart query of the first contract within `limit` SDK gas.
    pub fn query_with_limit(&mut self, msg: &impl Serialize, limit: u64) -> Outcome {
        self.query_on_with_limit(ContractId::FIRST, msg, limit)
    }

    /// A smart query of `id` within wasmd's default query limit.
    pub fn query_on(&mut self, id: ContractId, msg: &impl Serialize) -> Outcome {
        let limit = self.gas.query_limit;
        self.query_on_with_limit(id, msg, limit)
    }

    /// A smart query of `id` within `limit` SDK gas.
    pub fn query_on_with_limit(
        &mut self,
        id: ContractId,
        msg: &impl Serialize,
        limit: u64,
    ) -> Outcome {
        let msg = match to_json(msg) {
            Ok(msg) => msg,
            Err(error) => return unsent(error),
        };
        let (answer, mut gas) = self.smart_query(id, limit, &msg);
        gas.lookup = self.lookup_gas(id, false);
        let result = answer.and_then(|bytes| {
            serde_json::from_slice(&bytes).map_err(|e| format!("query answer is not JSON: {e}"))
        });
        Outcome { result, gas }
    }

    /// The checksum (SHA-256) of the code the first contract runs.
    pub fn checksum(&self) -> Checksum {
        self.checksum_of(ContractId::FIRST)
    }

    /// The checksum of the code `id` runs.
    pub fn checksum_of(&self, id: ContractId) -> Checksum {
        self.at(id).checksum
    }

    /// wasmd's `MigrateContract` of the first contract: stores `new_wasm`
    /// (with the same static checks as [`Chain::new`], as `StoreCode` runs
    /// them; the same code again is the same checksum) and calls the new
    /// code's `migrate` export with `msg` (normally
    /// `vigil_guard_api::msg::MigrateMsg`) over the contract's state,
    /// within `limit` SDK gas. On success every later call runs the new
    /// code; on failure (code refused, `migrate` erring, out of gas) the
    /// state and the code stay as they were.
    pub fn migrate(&mut self, new_wasm: &[u8], msg: &impl Serialize, limit: u64) -> Outcome {
        self.migrate_on(ContractId::FIRST, new_wasm, msg, limit)
    }

    /// [`Chain::migrate`] of `id`.
    pub fn migrate_on(
        &mut self,
        id: ContractId,
        new_wasm: &[u8],
        msg: &impl Serialize,
        limit: u64,
    ) -> Outcome {
        let msg = match to_json(msg) {
            Ok(msg) => msg,
            Err(error) => return unsent(error),
        };
        let new = match self.cache.store_code(new_wasm, true, true) {
            Ok(checksum) => checksum,
            Err(e) => return unsent(format!("the chain rejects the new code: {e}")),
        };
        if self.at(id).pinned {
            if let Err(e) = self.cache.pin(&new) {
                return unsent(format!("pin the new code: {e}"));
            }
        }
        let old = std::mem::replace(&mut self.at_mut(id).checksum, new);
        let outcome = self.transact(id, "", &[], limit, Entry::Migrate, &msg);
        if outcome.result.is_err() {
            self.at_mut(id).checksum = old;
        }
        outcome
    }
}

/// `(denom, amount)` of a JSON list of coins.
fn coins(amounts: &[Value]) -> Vec<(String, u128)> {
    amounts
        .iter()
        .map(|coin| {
            let denom = coin["denom"].as_str().unwrap_or_default().to_owned();
            let amount = coin["amount"]
                .as_str()
                .and_then(|a| a.parse().ok())
                .unwrap_or(0);
            (denom, amount)
        })
        .collect()
}

/// `msg` as JSON bytes, or why it cannot be sent.
fn to_json(msg: &impl Serialize) -> Result<Vec<u8>, String> {
    serde_json::to_vec(msg).map_err(|e| format!("the message does not serialise: {e}"))
}

/// The outcome of a call that never ran (nothing charged).
fn unsent(error: String) -> Outcome {
    Outcome {
        result: Err(error),
        gas: Gas::default(),
    }
}

/// The error of a call that ran out of gas.
fn out_of_gas(limit: u64) -> String {
    format!("out of gas (limit {limit} SDK gas)")
}

/// Is `error` (an [`Outcome`]'s) running out of gas?
pub fn is_out_of_gas(error: &str) -> bool {
    error.starts_with("out of gas")
}

/// The `ok` of a raw `ContractResult`, or its `error`.
fn contract_result(raw: &[u8]) -> Result<Value, String> {
    let value: Value =
        serde_json::from_slice(raw).map_err(|e| format!("ContractResult is not JSON: {e}"))?;
    match value {
        Value::Object(mut map) => {
            if let Some(ok) = map.remove("ok") {
                Ok(ok)
            } else if let Some(Value::String(error)) = map.remove("error") {
                Err(error)
            } else {
                Err(format!("unexpected ContractResult: {}", Value::Object(map)))
            }
        }
        other => Err(format!("unexpected ContractResult: {other}")),
    }
}

/// Standard base64 (the JSON encoding of `Binary`).
pub fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kv_store_charges_the_sdk_prices() {
        // Every key as gaskv sees it: wasmd's 33-byte contract prefix first.
        const P: u64 = 33;
        let mut store = KvStore::new(WasmdGas::DEFAULT);
        let (_, gas) = store.set(b"key", b"value");
        assert_eq!(gas.externally_used, (2_000 + 30 * (P + 8)) * 140_000);
        let (value, gas) = store.get(b"key");
        assert_eq!(value.unwrap().as_deref(), Some(&b"value"[..]));
        assert_eq!(gas.externally_used, (1_000 + 3 * (P + 8)) * 140_000);
        let (_, gas) = store.get(b"nope");
        assert_eq!(gas.externally_used, (1_000 + 3 * (P + 4)) * 140_000);
        let _ = store.set(b"kez", b"v");
        let (id, gas) = store.scan(None, None, cosmwasm_std::Order::Ascending);
        let id = id.unwrap();
        assert_eq!(gas.externally_used, (30 + 3 * (P + 8)) * 140_000);
        let (first, gas) = store.next(id);
        assert_eq!(first.unwrap().unwrap().0, b"key");
        assert_eq!(gas.externally_used, (30 + 3 * (P + 8)) * 140_000);
        let (second, _) = store.next(id);
        assert_eq!(second.unwrap().unwrap().0, b"kez");
        let (end, gas) = store.next(id);
        assert!(end.unwrap().is_none());
        assert_eq!(gas.externally_used, 0);
        let (_, gas) = store.remove(b"key");
        assert_eq!(gas.externally_used, 1_000 * 140_000);
        let tally = store.take_tally();
        assert_eq!((tally.reads, tally.writes, tally.deletes), (2, 2, 1));
        assert_eq!((tally.scans, tally.steps), (1, 2));
        assert_eq!(store.take_tally(), KvTally::default());
    }

    #[test]
    fn descending_and_empty_ranges() {
        let mut store = KvStore::new(WasmdGas::DEFAULT);
        for k in [b"a", b"b", b"c"] {
            let _ = store.set(k, b"");
        }
        let (id, _) = store.scan(Some(b"a"), Some(b"c"), cosmwasm_std::Order::Descending);
        let id = id.unwrap();
        assert_eq!(store.next(id).0.unwrap().unwrap().0, b"b");
        assert_eq!(store.next(id).0.unwrap().unwrap().0, b"a");
        assert!(store.next(id).0.unwrap().is_none());
        let (id, gas) = store.scan(Some(b"c"), Some(b"a"), cosmwasm_std::Order::Ascending);
        assert_eq!(gas.externally_used, 30 * 140_000);
        assert!(store.next(id.unwrap()).0.unwrap().is_none());
        assert!(store.next(99).0.is_err());
    }
}
