#!/usr/bin/env bash
# The one test command of the project: setup, format, lint, schema
# freshness, the contract artifact build (size budget), tests (including
# cosmwasm-vm validation of that artifact), no_std builds of the core, and the
# no-float scans. Fails fast.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

START=$SECONDS
step() {
    printf '\n==> %s\n' "$*"
    local t=$SECONDS
    "$@"
    printf '<== ok (%ss): %s\n' "$((SECONDS - t))" "$*"
}

step scripts/setup.sh

step cargo fmt --all --check
step cargo clippy --workspace --all-targets -- -D warnings
# The shim's wasm-only code (no_std, panic handler) is linted on its target.
step cargo clippy -p vigil-wasm-shim --target wasm32-unknown-unknown -- -D warnings

# The committed JSON schema must match the messages.
schema_is_fresh() {
    cargo schema >/dev/null
    if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        echo "not a git work tree: schema/ regenerated, not compared"
        return 0
    fi
    local changes
    changes="$(git status --porcelain -- schema/)"
    if [[ -n "$changes" ]]; then
        printf '%s\n' "$changes"
        git --no-pager diff --stat -- schema/
        echo "schema/ is stale: run cargo schema (from the workspace root) and commit schema/" >&2
        return 1
    fi
}
step schema_is_fresh

# The contracts exactly as uploaded (cargo + wasm-opt): the guard
# (artifacts/vigil_guard.wasm, <= 400 KiB) and its governor
# (artifacts/vigil_governor.wasm, its own budget), so host-tests'
# contract_artifact test checks the fresh files.
step scripts/build-contract.sh
step scripts/build-contract.sh --governor
# CosmWasm's own artifact checker (installed by setup.sh), on both.
step target/tools/bin/cosmwasm-check artifacts/vigil_guard.wasm artifacts/vigil_governor.wasm

# Includes host-tests' no_float_instructions test (it builds the shim wasm)
# and contract_artifact (cosmwasm-vm validation and a Check query).
step cargo test --workspace
# The fuzz targets (fuzz/, a package of its own): format, lint, their
# properties on every seed and kept corpus input (stable, no libFuzzer),
# then a short coverage-guided run of each target (scripts/fuzz.sh).
step cargo fmt --manifest-path fuzz/Cargo.toml --check
step cargo clippy --manifest-path fuzz/Cargo.toml --target-dir target --all-targets -- -D warnings
step cargo test --manifest-path fuzz/Cargo.toml --target-dir target
step scripts/fuzz.sh 8
# The browser package: its wasm-only code linted on its target, then build
# (wasm-bindgen, wasm-opt, float scan, tsc) and the headless-Chromium tests.
step cargo clippy -p vigil-web --lib --target wasm32-unknown-unknown -- -D warnings
step www/scripts/test.sh
# The guard on a real wasmd node: scripts/e2e.sh starts the localnet, runs
# www/e2e/ (CosmJS transactions, governance, Chromium, the gas table in
# target/e2e/gas-table.md) and stops the node, also when a test fails.
step scripts/e2e.sh

# The core must build without std/alloc for wasm and for bare metal, and with
# alloc on bare metal.
step cargo build -p vigil-inference-core --no-default-features --target wasm32-unknown-unknown
# (.cargo/config.toml selects sha2's portable backend for x86_64-unknown-none.)
step cargo build -p vigil-inference-core --no-default-features --target x86_64-unknown-none
step cargo build -p vigil-inference-core --no-default-features --features alloc --target x86_64-unknown-none

# The wasm instruction scan (host-tests/tests/no_float_instructions.rs) and the
# artifact check under cosmwasm-vm (host-tests/tests/contract_artifact.rs) ran
# in `cargo test --workspace` above; for their printed summaries run
#   cargo test -p host-tests --test no_float_instructions -- --nocapture
#   cargo test -p host-tests --test contract_artifact -- --nocapture

printf '\nall checks passed in %ss\n' "$((SECONDS - START))"
