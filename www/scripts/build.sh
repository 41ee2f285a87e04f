#!/usr/bin/env bash
# Builds the @vigil-ml/web package into www/dist/ (`npm run build`):
#
#   1. the engine crate (www/, crate vigil-web) for wasm32-unknown-unknown,
#      the workspace `wasm` profile at opt-level 3 (speed; see README
#      "Build"), our code
#      restricted to the wasm MVP (`-C target-cpu=mvp`);
#   2. wasm-bindgen (the CLI must be exactly the wasm-bindgen version in
#      Cargo.lock; www/scripts/setup.sh installs it) -> JS glue + .d.ts, on
#      the module without its `target_features` section (which lists the
#      precompiled std's features too, and would make wasm-bindgen use
#      reference types);
#   3. wasm-opt (npm binaryen): bulk memory and sign extension lowered to
#      MVP code (as scripts/build-contract.sh does), then
#      `--low-memory-unused -Oz` (why: at that step below) ->
#      build/wasm/vigil_web_bg.named.wasm (with names), stripped ->
#      dist/wasm/vigil_web_bg.wasm;
#   4. the instruction scan of that wasm (fails the build on any float,
#      SIMD, bulk-memory or reference-types construct, naming the functions
#      from the named twin);
#   5. dist/wasm/inline.js: the optimised wasm inlined, so the package
#      makes no network request for its own code: raw DEFLATE then base64
#      (js/inflate.ts unpacks it), 25 % fewer gzipped bytes than plain
#      base64, whose 6-bit characters hide the wasm's byte structure from
#      gzip;
#   6. tsc: js/*.ts -> dist/*.js + .d.ts (the glue's .d.ts is kept for
#      typing only; the package ships it too);
#   7. terser: the shipped JS minified (the .d.ts keep their docs).
set -euo pipefail

WWW="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="$(cd "$WWW/.." && pwd)"
cd "$WWW"

say() { printf '[build] %s\n' "$*"; }

# --- tools -------------------------------------------------------------------
WANT="$(node scripts/wasm-bindgen-version.mjs "$ROOT/Cargo.lock")"
WASM_BINDGEN="${WASM_BINDGEN:-wasm-bindgen}"
if ! command -v "$WASM_BINDGEN" >/dev/null 2>&1; then
    say "ERROR: wasm-bindgen not found; run www/scripts/setup.sh (installs wasm-bindgen-cli $WANT)" >&2
    exit 1
fi
HAVE="$("$WASM_BINDGEN" --version | awk '{print $2}')"
if [[ "$HAVE" != "$WANT" ]]; then
    say "ERROR: wasm-bindgen CLI is $HAVE but Cargo.lock has wasm-bindgen $WANT;" >&2
    say "       run www/scripts/setup.sh (cargo install wasm-bindgen-cli --version =$WANT)" >&2
    exit 1
fi
WASM_OPT="$WWW/node_modules/.bin/wasm-opt"
TSC="$WWW/node_modules/.bin/tsc"
TERSER="$WWW/node_modules/.bin/terser"
for tool in "$WASM_OPT" "$TSC" "$TERSER"; do
    if [[ ! -x "$tool" ]]; then
        say "ERROR: $tool missing; run \`npm ci\` in www/ (www/scripts/setup.sh does)" >&2
        exit 1
    fi
done

# --- 1. the engine -------------------------------------------------------------
# - the `wasm` profile (LTO, panic abort, overflow checks, as every wasm we
#   ship) with opt-level 3 instead of its "z": faster inference for about
#   the same size after wasm-opt;
# - sha2's compact software backend (the checksum runs once per model load):
#   1 KB of code instead of 8 KB. The --config array is merged with
#   .cargo/config.toml's rustflags for wasm32 (which stay in force);
# - --lib: dev-dependencies (the host tools, which enable the core's `float`
#   feature) never reach this build.
say "cargo build -p vigil-web --lib --profile wasm --target wasm32-unknown-unknown (opt-level 3)"
(cd "$ROOT" && CARGO_PROFILE_WASM_OPT_LEVEL=3 \
    cargo build -q -p vigil-web --lib --profile wasm --target wasm32-unknown-unknown \
        --config 'target.wasm32-unknown-unknown.rustflags=["--cfg","sha2_backend_soft=\"compact\"","-C","target-cpu=mvp"]')
RAW="${CARGO_TARGET_DIR:-$ROOT/target}/wasm32-unknown-unknown/wasm/vigil_web.wasm"

# --- 2. bindings -----------------------------------------------------------------
rm -rf build dist
mkdir -p build/wasm dist/wasm
say "wasm-bindgen $HAVE --target web"
node scripts/strip-target-features.mjs "$RAW" build/wasm/vigil_web.mvp.wasm
"$WASM_BINDGEN" --target web --out-dir build/wasm --out-name vigil_web build/wasm/vigil_web.mvp.wasm

# --- 3. optimise -----------------------------------------------------------------
# Without a target_features section wasm-opt must be told which features
# the input uses (the precompiled std's memcpy/memset may be bulk memory);
# the lowering passes then remove them before the result is optimised.
# --low-memory-unused (as for the contract, see scripts/build-contract.sh:
# Rust's wasm32 layout leaves addresses below 1024 unused) lets wasm-opt
# fold constant offsets into loads and stores: measured in Chromium, about
# 4 % faster inference. -Oz rather than -O3: as fast here (the hot code is
# LLVM's, at opt-level 3), 0.4 KB smaller.
say "wasm-opt: lower bulk memory and sign-ext, --low-memory-unused -Oz"
"$WASM_OPT" --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
    --llvm-memory-copy-fill-lowering --signext-lowering \
    --low-memory-unused -Oz -g --strip-producers \
    build/wasm/vigil_web_bg.wasm -o build/wasm/vigil_web_bg.named.wasm
"$WASM_OPT" --enable-mutable-globals --strip-debug \
    build/wasm/vigil_web_bg.named.wasm -o dist/wasm/vigil_web_bg.wasm

# --- 4. instruction scan -----------------------------------------------------------
say "instruction scan (float, SIMD, bulk memory, reference types)"
(cd "$ROOT" && cargo run -q -p vigil-web --example scan-wasm -- \
    "$WWW/dist/wasm/vigil_web_bg.wasm" "$WWW/build/wasm/vigil_web_bg.named.wasm")

# --- 5. inline wasm + glue ---------------------------------------------------------
node scripts/inline-wasm.mjs dist/wasm/vigil_web_bg.wasm dist/wasm/inline.js
cp build/wasm/vigil_web.js build/wasm/vigil_web.d.ts dist/wasm/
# tsc resolves the glue's types from js/wasm/ (generated, git-ignored).
mkdir -p js/wasm
cp build/wasm/vigil_web.d.ts js/wasm/
cp dist/wasm/inline.d.ts js/wasm/

# --- 6. TypeScript -----------------------------------------------------------------
# Two passes: declarations keep their doc comments (for editors), the JS
# ships without comments (smaller package).
say "tsc"
"$TSC" -p tsconfig.json --emitDeclarationOnly
"$TSC" -p tsconfig.json --removeComments --declaration false

# --- 7. minify ---------------------------------------------------------------------
# The shipped JS (ours and the wasm-bindgen glue; not inline.js, which is
# data) through terser: local names mangled, code compressed; exports,
# properties and class names kept. About 5 KB fewer gzipped bytes in the
# npm tarball (gzip_bytes, `npm run bench`).
say "terser"
for js in dist/index.js dist/widget.js dist/chain.js dist/baseline.js dist/inflate.js dist/wasm/vigil_web.js; do
    "$TERSER" "$js" --module --ecma 2022 --compress passes=2 --mangle --keep-classnames \
        --comments false --output "$js"
done

say "done: $(cd dist && find . -type f | sort | xargs ls -l | awk '{printf "%s %s, ", $9, $5}')"
