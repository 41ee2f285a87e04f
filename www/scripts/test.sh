#!/usr/bin/env bash
# The browser package's checks: the engine crate's Rust tests (golden
# vectors and the baselines' golden logs re-derived by the native core), build (`npm run build`: wasm,
# float scan, JS), then `npm test` (headless Chromium + Node tests).
# Assumes www/scripts/setup.sh has run.
set -euo pipefail

WWW="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="$(cd "$WWW/.." && pwd)"

START=$SECONDS
step() {
    printf '\n==> %s\n' "$*"
    local t=$SECONDS
    "$@"
    printf '<== ok (%ss): %s\n' "$((SECONDS - t))" "$*"
}

cd "$ROOT"
step cargo test -p vigil-web --test golden --test baseline_golden --lib
cd "$WWW"
step npm run build
# Re-scan the shipped wasm from the Rust side too.
(cd "$ROOT" && step cargo test -p vigil-web --test shipped_wasm -- --nocapture)
step npm test

printf '\nwww: all checks passed in %ss (screenshots in www/test-results/)\n' "$((SECONDS - START))"
