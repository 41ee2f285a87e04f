#!/usr/bin/env bash
# The one test command of the project: setup, format, lint, tests, no_std
# builds of the core, and the no-float scan of the core's wasm. Fails fast.
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

# Includes host-tests' no_float_instructions test (it builds the shim wasm).
step cargo test --workspace

# The core must build without std/alloc for wasm and for bare metal, and with
# alloc on bare metal.
step cargo build -p vigil-inference-core --no-default-features --target wasm32-unknown-unknown
# (.cargo/config.toml selects sha2's portable backend for x86_64-unknown-none.)
step cargo build -p vigil-inference-core --no-default-features --target x86_64-unknown-none
step cargo build -p vigil-inference-core --no-default-features --features alloc --target x86_64-unknown-none

# No float / SIMD / reference-types instruction in the core's wasm; bulk
# memory is fatal only without LTO (see host-tests/tests/no_float_instructions.rs).
# Already part of `cargo test --workspace`; re-run to show its summary.
# (`--workspace` keeps feature unification identical, so nothing rebuilds.)
step cargo test --workspace --test no_float_instructions -- --nocapture

printf '\nall checks passed in %ss\n' "$((SECONDS - START))"
