//! Writes the JSON schema of both contracts this crate builds
//! (`docs/split.md`) to `schema/` (run `cargo schema` from the workspace
//! root):
//!
//! - `schema/vigil-guard.json`: the guard (`vigil_guard.wasm`), the address
//!   integrators call: `GuardInstantiateMsg`, `GuardExecuteMsg`,
//!   `GuardQueryMsg` and its answers, `MigrateMsg`;
//! - `schema/vigil-governor.json`: the governor (`vigil_governor.wasm`):
//!   `InstantiateMsg`, `ExecuteMsg`, `QueryMsg` and its answers,
//!   `MigrateMsg`;
//! - `schema/raw/guard/` and `schema/raw/governor/`: each message and answer
//!   as a file of its own.
//!
//! Everything under `schema/` that is not written is removed first, so a
//! message that is gone leaves no file behind.
use std::fs::{create_dir_all, remove_dir_all, remove_file, write};
use std::path::Path;

use cosmwasm_schema::{generate_api, Api};
use vigil_guard_api::guard_msg::{GuardExecuteMsg, GuardInstantiateMsg, GuardQueryMsg};
use vigil_guard_api::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

/// `schema/NAME.json` (NAME: the API's contract name) and
/// `schema/raw/DIR/*.json`.
fn write_api(out: &Path, raw: &str, api: Api) {
    let path = out.join(format!("{}.json", api.contract_name));
    let api = api.render();
    write(&path, api.to_string().expect("render") + "\n").expect("write");
    println!("Exported {}", path.display());
    let raw_dir = out.join("raw").join(raw);
    create_dir_all(&raw_dir).expect("create schema/raw");
    for (file, json) in api.to_schema_files().expect("render") {
        let path = raw_dir.join(file);
        write(&path, json + "\n").expect("write");
        println!("Exported {}", path.display());
    }
}

fn main() {
    let out = std::env::current_dir().expect("cwd").join("schema");
    create_dir_all(&out).expect("create schema/");
    // What an earlier layout or a removed message left.
    for entry in std::fs::read_dir(&out).expect("read schema/").flatten() {
        let path = entry.path();
        if path.is_dir() {
            remove_dir_all(&path).expect("clean schema/");
        } else if path.extension().is_some_and(|e| e == "json") {
            remove_file(&path).expect("clean schema/");
        }
    }
    write_api(
        &out,
        "guard",
        generate_api! {
            name: "vigil-guard",
            instantiate: GuardInstantiateMsg,
            execute: GuardExecuteMsg,
            query: GuardQueryMsg,
            migrate: MigrateMsg,
        },
    );
    write_api(
        &out,
        "governor",
        generate_api! {
            name: "vigil-governor",
            instantiate: InstantiateMsg,
            execute: ExecuteMsg,
            query: QueryMsg,
            migrate: MigrateMsg,
        },
    );
}
