//! The simulator's side of the localnet gas comparison: replays the guard
//! calls a node ran (written by the end-to-end suite, `www/e2e/`) on
//! `vigil-chain-sim` with the node's addresses and heights, and prints, for
//! each, the SDK gas the simulator charges (setup, storage, compute) and,
//! for `Check` queries, the bound `vigil_guard::gas::check_gas` quotes
//! before the call for those very inputs.
//!
//! ```sh
//! cargo run -p vigil-cli --example localnet_sim -- target/e2e/calls.json > target/e2e/sim.json
//! ```
//!
//! Input: `{ "prefix": "wasm", "contract": ADDRESS, "wasm": PATH, "lookup":
//! { "contract_info_bytes", "code_info_bytes" }, "contracts": [{ "address",
//! "wasm", "lookup" }, ...], "calls": [CALL, ...] }` (`lookup`: the sizes of
//! a contract's records on the node, for wasmd's lookup before every
//! execute and query; `contracts`, optional: further contracts beside the
//! first, e.g. the guard beside its governor, whose messages to them run in
//! the same transaction) with each CALL `{ "name", "kind": "instantiate" |
//! "execute" | "query", "contract", "sender", "funds": [{ "denom", "amount"
//! }], "msg", "height", "pinned" }` (`contract`: the address called,
//! default the first; `sender`, `funds`, `height` only for transactions;
//! `pinned`: the called code's pin state for this call). Output: the calls
//! in order, `{ "name", "kind", "contract", "ok", "error", "gas": { setup,
//! storage, compute, total, lookup, result_bytes, sub: { calls, lookup,
//! setup, storage, compute, total } }, "bound": { setup, storage, compute,
//! total } }`, `result_bytes` being the bytes of the raw result the VM
//! returned, whose deserialisation (1 SDK gas per byte) `compute`
//! includes; `sub` the contract calls its messages made (in `total`).
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use vigil_chain_sim::{Chain, ContractId, Gas, WasmdGas};
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

/// The active model's blob of `id`, read back through `ModelBlob` (gas
/// not counted).
fn active_model(chain: &mut Chain, id: ContractId) -> Result<Vec<u8>> {
    let mut blob = Vec::new();
    let mut chunk = 0u32;
    loop {
        let out = chain.query_on(
            id,
            &QueryMsg::ModelBlob {
                version: None,
                chunk: Some(chunk),
            },
        );
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
        "sub": {
            "calls": gas.sub.calls,
            "lookup": gas.sub.lookup,
            "setup": gas.sub.setup,
            "storage": gas.sub.storage,
            "compute": gas.sub.compute,
            "total": gas.sub.total(),
        },
    })
}

/// The sizes of `lookup` (`{ "contract_info_bytes", "code_info_bytes" }`),
/// if given.
fn lookup_sizes(lookup: &Value) -> Result<Option<(usize, usize)>> {
    match (
        lookup["contract_info_bytes"].as_u64(),
        lookup["code_info_bytes"].as_u64(),
    ) {
        (Some(contract), Some(code)) => {
            Ok(Some((usize::try_from(contract)?, usize::try_from(code)?)))
        }
        _ => Ok(None),
    }
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
    let wasm_path = input["wasm"].as_str().context("wasm")?;
    let wasm = std::fs::read(wasm_path).with_context(|| format!("read {wasm_path}"))?;
    let prefix = match input["prefix"].as_str() {
        Some("wasm") => "wasm",
        other => bail!("prefix {other:?}: only the localnet's `wasm` is known"),
    };
    let cache = std::env::temp_dir().join(format!("vigil-localnet-sim-{}", std::process::id()));
    let mut chain = Chain::new(&wasm, &cache, WasmdGas::DEFAULT).map_err(anyhow::Error::msg)?;
    chain.set_addresses(prefix, input["contract"].as_str().context("contract")?);
    // wasmd's lookup of the contract before each execute and query, with
    // the node's record sizes.
    if let Some((contract, code)) = lookup_sizes(&input["lookup"])? {
        chain.set_lookup(contract, code);
    }
    for (k, c) in input["contracts"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let address = c["address"].as_str().context("contracts: address")?;
        let path = c["wasm"].as_str().context("contracts: wasm")?;
        let wasm = std::fs::read(path).with_context(|| format!("read {path}"))?;
        let id = chain
            .add_contract(&wasm, &format!("contract-{k}"))
            .map_err(anyhow::Error::msg)?;
        chain.set_address(id, address).map_err(anyhow::Error::msg)?;
        if let Some((contract, code)) = lookup_sizes(&c["lookup"])? {
            chain.set_lookup_of(id, contract, code);
        }
    }
    let mut pinned = std::collections::HashMap::new();
    let mut out = Vec::new();
    for call in input["calls"].as_array().context("calls")? {
        let name = call["name"].as_str().unwrap_or("?");
        let kind = call["kind"].as_str().context("kind")?;
        let id = match call["contract"].as_str() {
            Some(address) => chain
                .contract_at(address)
                .with_context(|| format!("{name}: no contract at {address}"))?,
            None => ContractId::FIRST,
        };
        let want_pinned = call["pinned"].as_bool().unwrap_or(false);
        if want_pinned != *pinned.get(&id).unwrap_or(&false) {
            chain
                .set_pinned_on(id, want_pinned)
                .map_err(anyhow::Error::msg)?;
            pinned.insert(id, want_pinned);
        }
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
            "instantiate" => chain.instantiate_on(id, sender, &coins, msg, LIMIT),
            "execute" => chain.execute_on(id, sender, &coins, msg, LIMIT),
            "query" => {
                if let Some(features) = msg["check"]["features"].as_array() {
                    let features: Vec<&str> = features.iter().filter_map(Value::as_str).collect();
                    let blob = active_model(&mut chain, id)?;
                    let model = Model::parse(&blob).map_err(|e| anyhow::anyhow!("{e:?}"))?;
                    let b = check_gas(
                        &model.cost(),
                        features.len(),
                        check_message_bytes(&features),
                        envelope_bytes_bound(features.len()),
                        want_pinned,
                    );
                    bound = json!({
                        "setup": b.setup, "storage": b.storage, "compute": b.compute,
                        "total": b.total(),
                    });
                }
                chain.query_on(id, msg)
            }
            other => bail!("{name}: unknown kind {other}"),
        };
        let (ok, error) = match &outcome.result {
            Ok(_) => (true, Value::Null),
            Err(e) => (false, json!(e)),
        };
        out.push(json!({
            "name": name,
            "kind": kind,
            "contract": chain.address(id),
            "ok": ok,
            "error": error,
            "gas": gas_json(&outcome.gas),
            "bound": bound,
        }));
    }
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
