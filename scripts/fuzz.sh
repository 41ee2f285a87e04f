#!/usr/bin/env bash
# Coverage-guided fuzzing of the core (fuzz/, cargo-fuzz targets `blob`,
# `metadata`, `decimal`): writes the seed corpora from the golden vectors,
# builds the instrumented targets and runs each for SECONDS (default 10).
#
#   scripts/fuzz.sh            # 10 s per target (what scripts/test.sh runs)
#   scripts/fuzz.sh 300        # a longer run
#   scripts/fuzz.sh 60 blob    # one target
#
# Runs on the pinned stable toolchain: `--sanitizer none` (AddressSanitizer
# needs nightly's -Zsanitizer; the core has no `unsafe`, so what a fuzz run
# looks for is panics, overflows (overflow checks are on) and failed
# properties). cargo-fuzz is installed into target/tools by scripts/setup.sh.
# A failure leaves the input in fuzz/artifacts/<target>/; reproduce with
#   target/tools/bin/cargo-fuzz run --fuzz-dir fuzz --target-dir target --sanitizer none -O TARGET fuzz/artifacts/TARGET/FILE
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SECONDS_PER_TARGET="${1:-10}"
shift || true
TARGETS=("$@")
if [[ ${#TARGETS[@]} -eq 0 ]]; then
    TARGETS=(blob metadata decimal)
fi
FUZZ="$ROOT/target/tools/bin/cargo-fuzz"
if [[ ! -x "$FUZZ" ]]; then
    echo "cargo-fuzz not found at $FUZZ: run scripts/setup.sh" >&2
    exit 1
fi
ARGS=(--fuzz-dir fuzz --target-dir target --sanitizer none -O)

cargo run -q --manifest-path fuzz/Cargo.toml --target-dir target --example seed-corpus
"$FUZZ" build "${ARGS[@]}"
for t in "${TARGETS[@]}"; do
    log="target/fuzz-$t.log"
    echo "fuzz $t: ${SECONDS_PER_TARGET}s (log: $log)"
    if ! "$FUZZ" run "${ARGS[@]}" "$t" -- -max_total_time="$SECONDS_PER_TARGET" \
        -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
        tail -n 60 "$log" >&2
        echo "fuzz $t FAILED: see $log and fuzz/artifacts/$t/" >&2
        exit 1
    fi
    # libFuzzer's closing figures: executions, coverage, corpus.
    grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::new_units_added)' "$log" | sed "s/^/  $t: /"
done
