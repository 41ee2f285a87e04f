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
# (placeholder: the browser wasm package's npm dependencies go here)

# --- Chromium (headless browser tests) ----------------------------------------
# (placeholder: apt-get install of chromium for the browser tests goes here)

say "done"
