#!/usr/bin/env bash
# Installs everything Vigil's build and tests need. Idempotent: safe to run
# on every test run; steps that are already satisfied are cheap no-ops.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '[setup] %s\n' "$*"; }

# --- Rust toolchain (pinned in rust-toolchain.toml) -------------------------
# rustup does not auto-install the pinned toolchain when RUSTUP_AUTO_INSTALL=0
# (as on CI), so install it explicitly, with its components and targets.
if ! command -v rustup >/dev/null 2>&1; then
    say "ERROR: rustup not found on PATH; install rustup first" >&2
    exit 1
fi

toml_value() { # toml_value KEY -> the quoted string(s) of `KEY = ...` in rust-toolchain.toml
    sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" rust-toolchain.toml |
        head -n1 | tr -d '[]",' | xargs
}
CHANNEL="$(toml_value channel)"
PROFILE="$(toml_value profile)"
COMPONENTS="$(toml_value components | tr ' ' ',')"
TARGETS="$(toml_value targets | tr ' ' ',')"
if [[ -z "$CHANNEL" || -z "$TARGETS" ]]; then
    say "ERROR: could not read channel/targets from rust-toolchain.toml" >&2
    exit 1
fi

say "rustup toolchain install $CHANNEL --profile ${PROFILE:-minimal} -c $COMPONENTS -t $TARGETS"
rustup toolchain install "$CHANNEL" --profile "${PROFILE:-minimal}" \
    ${COMPONENTS:+-c "$COMPONENTS"} -t "$TARGETS" --no-self-update
say "toolchain in use: $(rustc --version)"
say "installed targets: $(rustup target list --installed --toolchain "$CHANNEL" | xargs)"

# --- Node / npm packages ------------------------------------------------------
# Root package.json (`vigil-tools`): build tools pinned in package-lock.json,
# today binaryen's wasm-opt for scripts/build-contract.sh. `npm ci` only when
# the lockfile changed since the last install (stamp in node_modules/).
if ! command -v npm >/dev/null 2>&1; then
    say "ERROR: npm not found on PATH; install Node.js (>= 18) and npm first" >&2
    exit 1
fi
LOCK_SUM="$(sha256sum package-lock.json | cut -d' ' -f1)"
STAMP=node_modules/.vigil-npm-ci.sha256
if [[ -x node_modules/.bin/wasm-opt && -f "$STAMP" && "$(cat "$STAMP")" == "$LOCK_SUM" ]]; then
    say "npm packages up to date (package-lock.json unchanged)"
else
    say "npm ci (node $(node --version), npm $(npm --version 2>/dev/null))"
    npm ci --no-audit --no-fund --loglevel=error
    printf '%s\n' "$LOCK_SUM" >"$STAMP"
fi
say "wasm-opt: $(node_modules/.bin/wasm-opt --version)"

# --- cosmwasm-check ------------------------------------------------------------
# CosmWasm's own checker of contract artifacts (the static checks a chain
# runs on upload, for every capability set it knows), pinned; installed
# into target/tools so it stays out of the user's cargo home. Built once per
# machine (a few minutes: it compiles cosmwasm-vm).
CW_CHECK_VERSION=3.0.10
CW_CHECK="$ROOT/target/tools/bin/cosmwasm-check"
if [[ -x "$CW_CHECK" ]] && "$CW_CHECK" --version 2>/dev/null | grep -q "$CW_CHECK_VERSION"; then
    say "cosmwasm-check $CW_CHECK_VERSION present"
else
    say "cargo install cosmwasm-check $CW_CHECK_VERSION (into target/tools)"
    cargo install cosmwasm-check --version "$CW_CHECK_VERSION" --locked \
        --root "$ROOT/target/tools" --quiet
fi

# --- cargo-fuzz ------------------------------------------------------------------
# The fuzz targets' runner (fuzz/, scripts/fuzz.sh), pinned, into target/tools
# like cosmwasm-check. Runs on the pinned stable toolchain with
# `--sanitizer none`.
CARGO_FUZZ_VERSION=0.13.2
CARGO_FUZZ="$ROOT/target/tools/bin/cargo-fuzz"
if [[ -x "$CARGO_FUZZ" ]] && "$CARGO_FUZZ" --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
    say "cargo-fuzz $CARGO_FUZZ_VERSION present"
else
    say "cargo install cargo-fuzz $CARGO_FUZZ_VERSION (into target/tools)"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked \
        --root "$ROOT/target/tools" --quiet
fi

# --- wasmd for the localnet (scripts/localnet.sh, scripts/e2e.sh) -------------
# Built from the Go module proxy at the version localnet/go.mod pins (a
# module of ours requiring wasmd with wasmd's replace directives), with the
# libwasmvm its wasmvm module ships; once per machine: cached under
# ~/.cache/vigil-localnet, keyed by localnet/go.mod and go.sum. Needs Go
# >= 1.24 and a C compiler (cgo).
if ! command -v go >/dev/null 2>&1; then
    say "ERROR: go not found on PATH; install Go (>= 1.24) first: it builds the localnet's wasmd" >&2
    exit 1
fi
scripts/localnet.sh build

# --- Browser package (www/): Debian chromium, www/'s npm packages, -------------
# wasm-bindgen-cli pinned to the wasm-bindgen version in Cargo.lock.
www/scripts/setup.sh

say "done"
