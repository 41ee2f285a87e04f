//! Writes the contract's JSON schema to `schema/` (run `cargo schema` from
//! the workspace root).
use cosmwasm_schema::write_api;
use vigil_guard_api::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

fn main() {
    write_api! {
        instantiate: InstantiateMsg,
        execute: ExecuteMsg,
        query: QueryMsg,
        migrate: MigrateMsg,
    }
}
