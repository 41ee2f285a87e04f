#!/usr/bin/env bash
# The eth-fraud acceptance figures of `vigil train` (issue 6), in release:
#
#     cli/eth-fraud-acceptance.sh            # data from ../shared/datasets/eth-fraud
#     VIGIL_ETH_FRAUD=/path/to/eth-fraud cli/eth-fraud-acceptance.sh
#
# Trains the MLP (38-32-16-1) and the GBDT (100 trees, depth 3) with vigil's
# defaults on train.csv and fails unless, on test.csv, the fixed-point model
# reaches F1 >= 0.87 and AUC >= 0.98 and agrees with its float version on
# >= 99.9% of labels; then trains the logistic-regression baseline, and
# evaluates and inspects every model. The data is read in place, never
# copied. Without it the script prints a notice and exits 0.
#
# The same checks as tests/eth_fraud.rs in release:
#     cargo test --release -p vigil-cli --test eth_fraud -- --include-ignored --nocapture
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${VIGIL_ETH_FRAUD:-$ROOT/../shared/datasets/eth-fraud}"
if [[ ! -f "$DATA/train.csv" || ! -f "$DATA/test.csv" ]]; then
    echo "NOTICE: eth-fraud data not found at $DATA (set VIGIL_ETH_FRAUD); skipped"
    exit 0
fi
OUT="${OUT:-$ROOT/target/eth-fraud}"
mkdir -p "$OUT"
cd "$ROOT"
cargo build --release -q -p vigil-cli
VIGIL="$ROOT/target/release/vigil"
REQUIRE="f1=0.87,auc=0.98,agreement=0.999"
for family in mlp gbdt logreg; do
    echo "==> vigil train --family $family"
    req=()
    [[ $family != logreg ]] && req=(--require "$REQUIRE")
    TIMEFORMAT="    (vigil train: %R s)"
    time "$VIGIL" train --data "$DATA/train.csv" --family "$family" --test "$DATA/test.csv" \
        --out "$OUT/$family.vgm" "${req[@]}"
    echo "==> vigil eval --model $OUT/$family.vgm"
    "$VIGIL" eval --model "$OUT/$family.vgm" --data "$DATA/test.csv" --roc "$OUT/$family.roc.svg"
    "$VIGIL" inspect "$OUT/$family.vgm"
done
echo "eth-fraud acceptance: ok (models and ROC charts in $OUT)"
