#!/usr/bin/env bash
# The end-to-end suite against a real wasmd node (www/e2e/):
#
#     scripts/e2e.sh
#
# 1. the contract artifacts: artifacts/vigil_guard.wasm and
#    artifacts/vigil_governor.wasm (built by scripts/build-contract.sh,
#    --governor, when missing; scripts/test.sh builds them just before; the
#    demo of step 3 runs both) and the example vault,
#    artifacts/vigil_example_vault.wasm;
# 2. the `vigil` CLI and the simulator's replay tool (cli/examples/localnet_sim.rs);
# 3. the data and models: `vigil demo --out target/e2e/demo` trains the
#    incumbent (logistic regression), a better (boosted trees) and a worse
#    model (shuffled labels) on the eth-fraud dataset when
#    ../shared/datasets/eth-fraud (or $VIGIL_E2E_DATA) holds train.csv and
#    test.csv, else on the demo's generated synthetic data (seed 7), which
#    needs nothing outside the repository; the suite says which it used
#    (the demo's own run on the simulated chain is not this suite's: when
#    it fails after writing the three models and test.csv, the suite says
#    so and goes on; without them it stops);
# 4. the browser package's dist/ (built when missing);
# 5. the node: scripts/localnet.sh stop (a node left running), start (a
#    fresh chain), and stop on exit, whatever the tests did (trap);
# 6. node --test www/e2e/localnet.test.mjs: the governor, the guard naming
#    it and BindGuard, the example vault asking the guard, a
#    Proof-of-Improvement round (commit, reveal, evaluation, activation) on
#    the governor and the guard following it; the gas table lands in
#    target/e2e/gas-table.md (and gas.json, calls.json, sim.json).
#
# VIGIL_LOCALNET_PORT_BASE moves the node's ports (scripts/localnet.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '[e2e] %s\n' "$*"; }
START=$SECONDS
OUT="$ROOT/target/e2e"
mkdir -p "$OUT"

# 1. artifacts
if [[ ! -f artifacts/vigil_guard.wasm ]]; then
    scripts/build-contract.sh
fi
if [[ ! -f artifacts/vigil_governor.wasm ]]; then
    scripts/build-contract.sh --governor
fi
scripts/build-contract.sh vigil-example-vault

# 2. the CLI and the replay tool (dev profile: what `cargo test` builds)
cargo build -q -p vigil-cli --bin vigil --example localnet_sim
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
VIGIL_BIN="$TARGET_DIR/debug/vigil"
SIM_BIN="$TARGET_DIR/debug/examples/localnet_sim"

# 3. data and models
DATA="${VIGIL_E2E_DATA:-$ROOT/../shared/datasets/eth-fraud}"
MODELS="$OUT/demo"
rm -rf "$MODELS"
t=$SECONDS
DEMO_ARGS=(demo --out "$MODELS" --artifact artifacts/vigil_guard.wasm --json)
if [[ -f "$DATA/train.csv" && -f "$DATA/test.csv" ]]; then
    DATA="$(cd "$DATA" && pwd)"
    DATASET="eth-fraud ($DATA)"
    TEST_CSV="$DATA/test.csv"
    DEMO_ARGS+=(--data "$DATA")
else
    DATASET="synthetic DeFi transactions, seed 7 (vigil demo's generator; $DATA not found)"
    TEST_CSV="$MODELS/test.csv"
fi
if ! "$VIGIL_BIN" "${DEMO_ARGS[@]}" >"$OUT/demo.json" 2>"$OUT/demo.log"; then
    for f in incumbent.vgm better.vgm worse.vgm; do
        if [[ ! -f "$MODELS/$f" ]]; then
            tail -n 20 "$OUT/demo.log" >&2
            say "vigil demo failed before training $f (log: $OUT/demo.log)"
            exit 1
        fi
    done
    if [[ ! -f "$TEST_CSV" ]]; then
        say "vigil demo failed before writing $TEST_CSV (log: $OUT/demo.log)"
        exit 1
    fi
    say "note: vigil demo's simulated chain failed after training the models ($(tail -n 1 "$OUT/demo.log")); its models are used"
fi
say "data: $DATASET; models trained in $((SECONDS - t)) s ($MODELS)"

# 4. the browser package
if [[ ! -f www/dist/chain.js || ! -f www/dist/widget.js ]]; then
    (cd www && npm run build)
fi

# 5. a fresh chain (a node left running is stopped first: the suite needs
#    a new chain), stopped on exit whatever happens
scripts/localnet.sh stop
cleanup() { scripts/localnet.sh stop || true; }
trap cleanup EXIT
# An interrupt or a kill of this script ends it through the EXIT trap too
# (the node runs in its own session: nothing else would stop it).
trap 'exit 130' INT
trap 'exit 143' TERM
scripts/localnet.sh start
eval "$(scripts/localnet.sh env)"

# 6. the suite
t=$SECONDS
VIGIL_LOCALNET_RPC="$VIGIL_LOCALNET_RPC" \
    VIGIL_LOCALNET_ACCOUNTS="$VIGIL_LOCALNET_ACCOUNTS" \
    VIGIL_E2E_OUT="$OUT" \
    VIGIL_E2E_MODELS="$MODELS" \
    VIGIL_E2E_TEST_CSV="$TEST_CSV" \
    VIGIL_E2E_DATASET="$DATASET" \
    VIGIL_BIN="$VIGIL_BIN" \
    VIGIL_LOCALNET_SIM="$SIM_BIN" \
    VIGIL_GUARD_WASM="$ROOT/artifacts/vigil_guard.wasm" \
    VIGIL_GOVERNOR_WASM="$ROOT/artifacts/vigil_governor.wasm" \
    VIGIL_VAULT_WASM="$ROOT/artifacts/vigil_example_vault.wasm" \
    node --test --test-concurrency=1 www/e2e/localnet.test.mjs
say "suite passed in $((SECONDS - t)) s ($((SECONDS - START)) s in all); gas table: target/e2e/gas-table.md"
