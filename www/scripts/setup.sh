#!/usr/bin/env bash
# Installs what the browser package (www/) needs to build and test.
# Idempotent: satisfied steps are cheap no-ops. Run as root or with sudo
# available for apt-get (Debian/Ubuntu).
#
#   - Debian's chromium (headless browser tests), if /usr/bin/chromium is
#     missing (override the binary with CHROMIUM_PATH);
#   - the npm packages of www/ (`npm ci`: package-lock.json);
#   - wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock.
set -euo pipefail

WWW="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="$(cd "$WWW/.." && pwd)"
say() { printf '[www setup] %s\n' "$*"; }

# --- Chromium ------------------------------------------------------------------
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [[ -x "$CHROMIUM" ]]; then
    say "chromium: $("$CHROMIUM" --version 2>/dev/null | head -n1)"
else
    SUDO=""
    if [[ "$(id -u)" != 0 ]]; then SUDO="sudo"; fi
    say "installing Debian chromium (apt-get)"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
        chromium fonts-liberation >/dev/null
    say "chromium: $("$CHROMIUM" --version 2>/dev/null | head -n1)"
fi

# --- npm packages ------------------------------------------------------------------
if ! command -v npm >/dev/null 2>&1; then
    say "ERROR: npm not found; install Node.js >= 18 (e.g. apt-get install nodejs npm)" >&2
    exit 1
fi
# `npm ci` only when the lock changed since the last install.
STAMP="$WWW/node_modules/.vigil-lock-sha256"
LOCK_SHA="$(sha256sum "$WWW/package-lock.json" | cut -d' ' -f1)"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$LOCK_SHA" ]]; then
    say "npm packages: up to date"
else
    say "npm ci (www/)"
    (cd "$WWW" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$LOCK_SHA" >"$STAMP"
fi

# --- wasm-bindgen-cli -----------------------------------------------------------------
WANT="$(node "$WWW/scripts/wasm-bindgen-version.mjs" "$ROOT/Cargo.lock")"
HAVE="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
if [[ "$HAVE" == "$WANT" ]]; then
    say "wasm-bindgen-cli $HAVE"
else
    say "cargo install wasm-bindgen-cli --version =$WANT (was: ${HAVE:-none}; takes a few minutes)"
    cargo install wasm-bindgen-cli --version "=$WANT"
fi

say "done"
