#!/usr/bin/env bash
# Builds the vigil-guard CosmWasm contract (the guard, artifacts/vigil_guard.wasm)
# exactly as it is uploaded to a chain:
#
#     scripts/build-contract.sh
#
# or, with `--governor`, its governor (the same crate, cargo feature
# `governor`; artifacts/vigil_governor.wasm, held to its own 512 KiB budget:
# it is on no integrator's path):
#
#     scripts/build-contract.sh --governor
#
# or another contract package of the workspace the same way, e.g. the example
# vault the localnet suite uploads (-> artifacts/vigil_example_vault.wasm):
#
#     scripts/build-contract.sh vigil-example-vault
#
# or, with `--from-0-1`, the upgrade build for a 0.1 guard (a single
# contract, which becomes the governor): the governor with the 0.1 store
# converter (cargo feature `from-0-1`, which the shipped artifacts leave
# out), written to artifacts/vigil_governor_from_0_1.wasm and held to the
# chains' limit (800 KiB).
#
# 1. `cargo build --profile wasm --target wasm32-unknown-unknown -p vigil-guard --lib`
#    with the workspace `wasm` profile (size: opt-level "z", LTO, panic
#    abort; root Cargo.toml) and .cargo/config.toml's wasm32
#    rustflags (`--allow-undefined` for cosmwasm-std's imports), plus
#    `--remap-path-prefix` so no local path (work tree, cargo home) ends up in
#    the wasm and the checksum does not depend on where the tree is (crates
#    from the registry become `/crates/<name>-<version>/...`: short panic
#    locations, and no registry directory name in the wasm), plus
#    `--cfg sha2_backend_soft="compact"`: sha2's compact (rolled) SHA-256,
#    ~7 KB smaller than the default unrolled one, same digests; the contract
#    hashes only when it validates a model (propose, instantiate, `Cost`);
#    plus `-C target-cpu=mvp`: our code (and every generic from core/alloc)
#    is compiled for the wasm MVP, so a memcpy/memset is a call to
#    compiler-builtins' word-at-a-time routine instead of a `memory.copy`
#    that step 2 must lower to a byte-at-a-time loop: measured on the
#    1,857-row Proof-of-Improvement evaluation, compute halves (2.17M ->
#    1.14M SDK gas) for ~3 KB of code (the precompiled std's own
#    `memory.copy`s are still lowered);
# 2. binaryen's wasm-opt (the version pinned in package-lock.json, installed
#    by scripts/setup.sh): reads the module with the MVP feature set plus
#    sign-ext and bulk memory only (anything else, e.g. reference types or
#    SIMD, fails the build), lowers sign-ext and bulk memory to MVP
#    instructions (CosmWasm rejects both; Rust >= 1.87 emits them), then -Oz
#    until it converges (`--converge`), and strips names, producers and
#    target features. `--low-memory-unused` lets -Oz fold constant address
#    offsets (`p + 4`) into load/store offsets (optimize-added-constants),
#    one operation less per such access (3 per unrolled multiply-accumulate):
#    sound because Rust's wasm32 layout leaves addresses 0..1024 unused
#    (wasm-ld --stack-first: the 1 MiB shadow stack grows down from 1 MiB
#    towards 0, data and heap lie above 1 MiB; only a stack within 1 KiB of
#    overflowing reaches them; see host-tests/src/shim.rs, whose metered
#    shim gets these same passes);
# 3. writes artifacts/vigil_guard.wasm and artifacts/checksums.txt
#    (`sha256sum -c` format, every artifacts/*.wasm), prints the sizes, and fails if the artifact is
#    larger than MAX_BYTES (400 KiB; chains accept up to 800 KiB).
#
# Respects CARGO_TARGET_DIR (tests building the artifact use their own target
# dir so they never wait on the outer cargo's lock). RUSTFLAGS and friends are
# ignored on purpose: they would replace the config's rustflags and change
# the artifact. Profile overrides (CARGO_PROFILE_WASM_*) still apply, for
# experiments.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

MAX_BYTES=$((400 * 1024))
# The governor is off every protected call's path (see README, "Two contracts").
GOVERNOR_KIB=512
TARGET=wasm32-unknown-unknown
PACKAGE="${1:-vigil-guard}"
OUT_NAME=""
FEATURES=(--no-default-features)
LIMIT_NAME="400 KiB"
if [[ "$PACKAGE" == "vigil-guard" ]]; then
    FEATURES=(--no-default-features --features guard)
elif [[ "$PACKAGE" == "--governor" ]]; then
    PACKAGE=vigil-guard
    OUT_NAME=vigil_governor
    FEATURES=(--no-default-features --features governor)
    MAX_BYTES=$((GOVERNOR_KIB * 1024))
    LIMIT_NAME="$GOVERNOR_KIB KiB, the governor's budget"
elif [[ "$PACKAGE" == "--from-0-1" ]]; then
    PACKAGE=vigil-guard
    OUT_NAME=vigil_governor_from_0_1
    FEATURES=(--no-default-features --features governor,from-0-1)
    MAX_BYTES=$((800 * 1024))
    LIMIT_NAME="800 KiB, the chains' limit"
elif [[ "$PACKAGE" == -* ]]; then
    echo "usage: $0 [PACKAGE | --governor | --from-0-1]" >&2
    exit 2
fi
CRATE="${PACKAGE//-/_}"
OUT_NAME="${OUT_NAME:-$CRATE}"
OUT_DIR="$ROOT/artifacts"
WASM_OPT="$ROOT/node_modules/.bin/wasm-opt"

say() { printf '[build-contract] %s\n' "$*"; }

if [[ ! -x "$WASM_OPT" ]]; then
    say "ERROR: $WASM_OPT not found: run scripts/setup.sh (npm ci) first" >&2
    exit 1
fi

for var in RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS; do
    if [[ -n "${!var:-}" ]]; then
        say "note: ignoring $var (the artifact is built with .cargo/config.toml's flags only)"
    fi
    unset "$var"
done

TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
CARGO_HOME_DIR="${CARGO_HOME:-$HOME/.cargo}"
# Added to (not replacing) the config file's target rustflags: cargo merges
# arrays from --config with those of .cargo/config.toml. Of several matching
# remaps rustc applies the last, so the registry ones follow the cargo home.
FLAGS="'--remap-path-prefix=$ROOT=/vigil', '--remap-path-prefix=$CARGO_HOME_DIR=/cargo'"
for registry in "$CARGO_HOME_DIR"/registry/src/*/; do
    if [[ -d "$registry" ]]; then
        FLAGS+=", '--remap-path-prefix=${registry%/}=/crates'"
    fi
done
FLAGS+=", '--cfg', 'sha2_backend_soft=\"compact\"', '-C', 'target-cpu=mvp'"
REMAP="target.$TARGET.rustflags=[$FLAGS]"

start=$SECONDS
say "cargo build --profile wasm --target $TARGET -p $PACKAGE --lib ${FEATURES[*]} ($(rustc --version))"
cargo build --profile wasm --locked --target "$TARGET" -p "$PACKAGE" --lib "${FEATURES[@]}" --config "$REMAP"
RAW="$TARGET_DIR/$TARGET/wasm/$CRATE.wasm"
raw_bytes=$(stat -c %s "$RAW")
say "cargo: $raw_bytes bytes ($((SECONDS - start))s): $RAW"

mkdir -p "$OUT_DIR"
TMP="$(mktemp "$OUT_DIR/.$OUT_NAME.wasm.XXXXXX")"
trap 'rm -f "$TMP"' EXIT
opt_start=$SECONDS
say "$("$WASM_OPT" --version)"
# Feature flags describe what the input may contain; passes run in order:
# lower first (so -Oz optimises the lowered loops), then optimise.
"$WASM_OPT" "$RAW" -o "$TMP" \
    --mvp-features --enable-sign-ext --enable-bulk-memory --enable-bulk-memory-opt \
    --signext-lowering --llvm-memory-copy-fill-lowering \
    --low-memory-unused -Oz --converge \
    --strip-debug --strip-producers --strip-target-features
chmod 644 "$TMP"
mv "$TMP" "$OUT_DIR/$OUT_NAME.wasm"
bytes=$(stat -c %s "$OUT_DIR/$OUT_NAME.wasm")
say "wasm-opt: $raw_bytes -> $bytes bytes ($((SECONDS - opt_start))s)"

(cd "$OUT_DIR" && sha256sum -- *.wasm >checksums.txt)
say "artifacts/$OUT_NAME.wasm: $bytes bytes ($((bytes / 1024)) KiB), sha256 $(sha256sum "$OUT_DIR/$OUT_NAME.wasm" | cut -d' ' -f1)"

if ((bytes > MAX_BYTES)); then
    say "ERROR: artifacts/$OUT_NAME.wasm is $bytes bytes, over the limit of $MAX_BYTES ($LIMIT_NAME)" >&2
    exit 1
fi
say "ok: within $MAX_BYTES bytes ($LIMIT_NAME) ($((SECONDS - start))s in all)"
