//! The simulator's side of the localnet gas comparison: replays the
//! contract calls a node ran (written by the end-to-end suite, `www/e2e/`)
//! on `vigil-chain-sim`, each contract (the guard, its governor) on a chain
//! of its own running its own code, with the node's addresses and heights,
//! and prints, for each, the SDK gas the simulator charges (setup, storage,
//! compute) and, for `Check` queries, the bound `vigil_guard::gas::check_gas`
//! quotes before the call for those very inputs. The simulator runs one
//! contract per chain and sends no contract its submessages: the governor's
//! `InstallModel` to the guard is replayed as a call of its own on the
//! guard's chain, from the governor's address (the suite rebuilds it from
//! what the guard held after the node ran it).
//!
//! ```sh
//! cargo run -p vigil-cli --example localnet_sim -- target/e2e/calls.json > target/e2e/sim.json
//! ```
//!
//! Input: `{ "prefix": "wasm", "contracts": { NAME: { "address", "wasm":
//! PATH, "lookup": { "contract_info_bytes", "code_info_bytes" } }, ... },
//! "calls": [CALL, ...] }` (NAME: `guard`, `governor`; `lookup`: the sizes
//! of the contract's records on the node, for wasmd's lookup before every
//! execute and query) with each CALL `{ "contract": NAME, "name", "kind":
//! "instantiate" | "execute" | "query", "sender", "funds": [{ "denom",
//! "amount" }], "msg", "height", "pinned" }` (`sender`, `funds`, `height`
//! only for transactions; `pinned`: the contract's code's pin state for this
//! call). Output: the calls in order, `{ "contract", "name", "kind", "ok",
//! "error", "gas": { setup, storage, compute, total, lookup, result_bytes },
//! "bound": { setup, storage, compute, total } }`,
//! `result_bytes` being the bytes of the raw result the VM returned, whose
//! deserialisation (1 SDK gas per byte) `compute` includes.
use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use vigil_chain_sim::{Chain, Gas, WasmdGas};
use vigil_guard::gas::{
    check_gas, check_message_bytes, envelope_bytes_bound, CODE_INFO_MAX_BYTES,
    CONTRACT_INFO_MAX_BYTES,
};
use vigil_guard_api::msg::{ModelBlobResponse, QueryMsg};
use vigil_inference_core::Model;

/// Gas limit of a replayed transaction: more than any the suite sends.
const LIMIT: u64 = 100_000_000;

fn funds(call: &Value) -> Result<Vec<(String, u128)>> {
    let mut out = Vec::new();
    for c in call["funds"].as_array().into_iter().flatten() {
        let denom = c["denom"].as_str().context("funds: denom")?.to_owned();
        let amount = c["amount"]
            .as_str()
            .context("funds: amount")?
            .parse::<u128>()?;
        out.push((denom, amount));
    }
    Ok(out)
}

/// The active model's blob, read back through `ModelBlob` (gas not counted).
fn active_model(chain: &mut Chain) -> Result<Vec<u8>> {
    let mut blob = Vec::new();
    let mut chunk = 0u32;
    loop {
        let out = chain.query(&QueryMsg::ModelBlob {
            version: None,
            chunk: Some(chunk),
        });
        let answer: ModelBlobResponse = out.parse().map_err(anyhow::Error::msg)?;
        blob.extend_from_slice(answer.data.as_slice());
        chunk += 1;
        if chunk >= answer.chunks {
            return Ok(blob);
        }
    }
}

fn gas_json(gas: &Gas) -> Value {
    json!({
        "setup": gas.setup,
        "storage": gas.storage,
        "compute": gas.compute,
        "total": gas.total(),
        "lookup": gas.lookup,
        "result_bytes": gas.result_bytes,
    })
}

/// One contract's chain and its code's pin state.
struct Contract {
    chain: Chain,
    pinned: bool,
}

/// A chain running `spec`'s code at `spec`'s address, charging wasmd's
/// lookup with the node's record sizes.
fn contract(name: &str, prefix: &'static str, spec: &Value, cache: PathBuf) -> Result<Contract> {
    let wasm_path = spec["wasm"]
        .as_str()
        .with_context(|| format!("contracts.{name}.wasm"))?;
    let wasm = std::fs::read(wasm_path).with_context(|| format!("read {wasm_path}"))?;
    let mut chain = Chain::new(&wasm, &cache, WasmdGas::DEFAULT).map_err(anyhow::Error::msg)?;
    // The governor's install on the guard is replayed on the guard's own
    // chain, as a call of its own.
    chain.set_calls_elsewhere(true);
    chain.set_addresses(
        prefix,
        spec["address"]
            .as_str()
            .with_context(|| format!("contracts.{name}.address"))?,
    );
    if let (Some(contract), Some(code)) = (
        spec["lookup"]["contract_info_bytes"].as_u64(),
        spec["lookup"]["code_info_bytes"].as_u64(),
    ) {
        chain.set_lookup(usize::try_from(contract)?, usize::try_from(code)?);
    }
    Ok(Contract {
        chain,
        pinned: false,
    })
}

fn main() -> Result<()> {
    let path = PathBuf::from(
        std::env::args()
            .nth(1)
            .context("usage: localnet_sim CALLS.json")?,
    );
    let input: Value = serde_json::from_slice(
        &std::fs::read(&path).with_context(|| format!("read {}", path.display()))?,
    )?;
    let prefix = match input["prefix"].as_str() {
        Some("wasm") => "wasm",
        other => bail!("prefix {other:?}: only the localnet's `wasm` is known"),
    };
    let cache = std::env::temp_dir().join(format!("vigil-localnet-sim-{}", std::process::id()));
    let mut contracts = BTreeMap::new();
    for (name, spec) in input["contracts"].as_object().context("contracts")? {
        let c = contract(name, prefix, spec, cache.join(name))?;
        contracts.insert(name.clone(), c);
    }
    let mut out = Vec::new();
    for call in input["calls"].as_array().context("calls")? {
        let name = call["name"].as_str().unwrap_or("?");
        let kind = call["kind"].as_str().context("kind")?;
        let target = call["contract"].as_str().context("contract")?;
        // The governor reads its guard's Config (at BindGuard), which
        // another chain here holds: answered from it as it is now, as the
        // node's querier does (once the guard exists).
        if kind == "execute" && target != "guard" {
            if let (Some(address), Some(guard)) = (
                input["contracts"]["guard"]["address"].as_str(),
                contracts.get_mut("guard"),
            ) {
                if let Ok(answer) = guard.chain.query(&json!({ "config": {} })).result {
                    let caller = contracts.get_mut(target).context("the called contract")?;
                    caller.chain.answer_next_call(
                        address,
                        vigil_chain_sim::CONFIG_QUERY,
                        serde_json::to_vec(&answer)?,
                    );
                }
            }
        }
        let Some(Contract { chain, pinned }) = contracts.get_mut(target) else {
            bail!("{name}: no contract {target:?} in `contracts`");
        };
        let want_pinned = call["pinned"].as_bool().unwrap_or(false);
        if want_pinned != *pinned {
            chain.set_pinned(want_pinned).map_err(anyhow::Error::msg)?;
            *pinned = want_pinned;
        }
        let pinned = *pinned;
        if let Some(h) = call["height"].as_u64() {
            chain.set_height(h);
        }
        let msg = &call["msg"];
        let funds = funds(call)?;
        let coins: Vec<(&str, u128)> = funds.iter().map(|(d, a)| (d.as_str(), *a)).collect();
        let sender = call["sender"].as_str().unwrap_or_default();
        for (denom, amount) in &coins {
            chain.mint(sender, denom, *amount);
        }
        let mut bound = Value::Null;
        let outcome = match kind {
            "instantiate" => chain.instantiate(sender, &coins, msg, LIMIT),
            "execute" => chain.execute(sender, &coins, msg, LIMIT),
            "query" => {
                if let Some(features) = msg["check"]["features"].as_array() {
                    let features: Vec<&str> = features.iter().filter_map(Value::as_str).collect();
                    let blob = active_model(chain)?;
                    let model = Model::parse(&blob).map_err(|e| anyhow::anyhow!("{e:?}"))?;
                    let b = check_gas(
                        &model.cost(),
                        features.len(),
                        check_message_bytes(&features),
                        envelope_bytes_bound(features.len()),
                        pinned,
                    );
                    bound = json!({
                        "setup": b.setup, "storage": b.storage, "compute": b.compute,
                        "total": b.total(),
                    });
                }
                chain.query(msg)
            }
            other => bail!("{name}: unknown kind {other}"),
        };
        let (ok, error) = match &outcome.result {
            Ok(_) => (true, Value::Null),
            Err(e) => (false, json!(e)),
        };
        out.push(json!({
            "contract": target,
            "name": name,
            "kind": kind,
            "ok": ok,
            "error": error,
            "gas": gas_json(&outcome.gas),
            "bound": bound,
        }));
    }
    drop(contracts);
    let _ = std::fs::remove_dir_all(&cache);
    let caps = json!({
        "contract_info_bytes": CONTRACT_INFO_MAX_BYTES,
        "code_info_bytes": CODE_INFO_MAX_BYTES,
        "gas": WasmdGas::DEFAULT.contract_lookup(CONTRACT_INFO_MAX_BYTES, CODE_INFO_MAX_BYTES),
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({ "calls": out, "lookup_caps": caps }))?
    );
    Ok(())
}
