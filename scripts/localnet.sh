#!/usr/bin/env bash
# A single-validator wasmd chain on loopback, for trying the guard, the
# example vault and the browser widget against a real node, and for the
# end-to-end suite (scripts/e2e.sh):
#
#     scripts/localnet.sh build    # build the pinned wasmd once (cached)
#     scripts/localnet.sh start    # build if needed, init a fresh chain, start it, wait for blocks
#     scripts/localnet.sh status   # height and endpoints, or "stopped"
#     scripts/localnet.sh env      # the endpoints as shell variables (eval "$(scripts/localnet.sh env)")
#     scripts/localnet.sh stop     # stop the node (SIGTERM, then SIGKILL after 20 s)
#
# wasmd is built from the Go module proxy at the version localnet/go.mod pins
# (a module of ours: `go install wasmd@version` refuses wasmd's replace
# directives), with the libwasmvm shared library its wasmvm module ships
# copied beside the binary. The binary is cached by the hash of
# localnet/go.mod and go.sum under ${XDG_CACHE_HOME:-~/.cache}/vigil-localnet
# (or $VIGIL_WASMD names a wasmd binary to use as it is), so a fresh clone on
# the same machine does not build again.
#
# The chain (home: target/localnet/home, recreated by every start): chain id
# vigil-localnet, denoms `stake` (staking, fees: minimum gas price 0) and
# `uvigil` (guard bonds, vault funds), the TEST-ONLY accounts of
# localnet/accounts.tsv funded with 10^12 of each, blocks every
# $VIGIL_LOCALNET_BLOCK_TIME (default 300ms), governance voting period
# $VIGIL_LOCALNET_VOTING_PERIOD (default 3s) and a deposit of 1000stake,
# so `MsgPinCodes` passes by proposal in seconds. Ports on 127.0.0.1 from
# $VIGIL_LOCALNET_PORT_BASE (default 36600): RPC +57, P2P +56, ABCI +58,
# gRPC +90, REST +17 (off), nothing else listens.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '[localnet] %s\n' "$*" >&2; }

CHAIN_ID=vigil-localnet
BASE="${VIGIL_LOCALNET_PORT_BASE:-36600}"
RPC_PORT=$((BASE + 57))
P2P_PORT=$((BASE + 56))
ABCI_PORT=$((BASE + 58))
GRPC_PORT=$((BASE + 90))
API_PORT=$((BASE + 17))
BLOCK_TIME="${VIGIL_LOCALNET_BLOCK_TIME:-300ms}"
VOTING_PERIOD="${VIGIL_LOCALNET_VOTING_PERIOD:-3s}"
DIR="$ROOT/target/localnet"
HOME_DIR="$DIR/home"
PID_FILE="$DIR/wasmd.pid"
LOG="$DIR/wasmd.log"
ACCOUNTS="$ROOT/localnet/accounts.tsv"
RPC="http://127.0.0.1:$RPC_PORT"

# The Go this machine has is used as it is (localnet/go.mod needs >= 1.24).
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

wasmd_version() { sed -n 's/^[[:space:]]*github.com\/CosmWasm\/wasmd \(v[^ ]*\).*/\1/p' localnet/go.mod | head -n1; }

cache_dir() {
    local sum
    sum="$(cat localnet/go.mod localnet/go.sum | sha256sum | cut -c1-16)"
    printf '%s/vigil-localnet/wasmd-%s-%s' "${XDG_CACHE_HOME:-$HOME/.cache}" "$(wasmd_version)" "$sum"
}

wasmd_bin() {
    if [[ -n "${VIGIL_WASMD:-}" ]]; then
        printf '%s' "$VIGIL_WASMD"
    else
        printf '%s/wasmd' "$(cache_dir)"
    fi
}

build() {
    local bin out tmp start lib
    bin="$(wasmd_bin)"
    if [[ -x "$bin" ]]; then
        say "wasmd $(wasmd_version) cached: $bin"
        return 0
    fi
    if [[ -n "${VIGIL_WASMD:-}" ]]; then
        say "ERROR: VIGIL_WASMD=$VIGIL_WASMD is not an executable" >&2
        return 1
    fi
    if ! command -v go >/dev/null 2>&1; then
        say "ERROR: go not found on PATH (Go >= 1.24 builds the pinned wasmd)" >&2
        return 1
    fi
    out="$(cache_dir)"
    mkdir -p "$(dirname "$out")"
    tmp="$(mktemp -d "$out.XXXXXX")"
    trap "rm -rf '$tmp'" EXIT
    start=$SECONDS
    say "building wasmd $(wasmd_version) from the Go module proxy ($(go version)); the first build takes minutes"
    (cd localnet && go mod download && CGO_ENABLED=1 go build -o "$tmp/wasmd" github.com/CosmWasm/wasmd/cmd/wasmd)
    # libwasmvm ships inside the wasmvm module; keep a copy beside the binary
    # (it is found through LD_LIBRARY_PATH below, not the module cache).
    lib="$(cd localnet && go list -m -f '{{.Dir}}' github.com/CosmWasm/wasmvm/v3)/internal/api/libwasmvm.$(uname -m).so"
    cp "$lib" "$tmp/"
    chmod -R u+w "$tmp"
    rm -rf "$out"
    mv "$tmp" "$out"
    printf '%s\n' "$((SECONDS - start))" >"$out/build-seconds"
    say "built in $((SECONDS - start)) s: $out/wasmd"
}

wasmd() {
    local bin
    bin="$(wasmd_bin)"
    LD_LIBRARY_PATH="$(dirname "$bin")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$bin" "$@"
}

running() { [[ -f "$PID_FILE" ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }

height() { curl -sf --max-time 2 "$RPC/status" | jq -r '.result.sync_info.latest_block_height' 2>/dev/null; }

init_chain() {
    rm -rf "$HOME_DIR"
    mkdir -p "$HOME_DIR"
    wasmd init vigil-localnet --chain-id "$CHAIN_ID" --default-denom stake --home "$HOME_DIR" >/dev/null 2>&1
    local name address mnemonic
    while IFS=$'\t' read -r name address mnemonic; do
        [[ -z "$name" || "$name" == \#* ]] && continue
        printf '%s\n' "$mnemonic" | wasmd keys add "$name" --recover --keyring-backend test \
            --home "$HOME_DIR" >/dev/null 2>&1
        local got
        got="$(wasmd keys show "$name" -a --keyring-backend test --home "$HOME_DIR")"
        if [[ "$got" != "$address" ]]; then
            say "ERROR: $ACCOUNTS: $name derives to $got, not $address" >&2
            return 1
        fi
        wasmd genesis add-genesis-account "$address" 1000000000000stake,1000000000000uvigil \
            --home "$HOME_DIR" >/dev/null
    done <"$ACCOUNTS"
    wasmd genesis gentx validator 100000000stake --chain-id "$CHAIN_ID" --keyring-backend test \
        --home "$HOME_DIR" >/dev/null 2>&1
    wasmd genesis collect-gentxs --home "$HOME_DIR" >/dev/null 2>&1

    # Governance in seconds (MsgPinCodes passes by proposal), small deposits.
    local g="$HOME_DIR/config/genesis.json"
    jq --arg vp "$VOTING_PERIOD" '
        .app_state.gov.params.voting_period = $vp
        | .app_state.gov.params.expedited_voting_period = "1s"
        | .app_state.gov.params.max_deposit_period = $vp
        | .app_state.gov.params.min_deposit = [{"denom": "stake", "amount": "1000"}]
        | .app_state.gov.params.expedited_min_deposit = [{"denom": "stake", "amount": "2000"}]
        | .app_state.gov.params.quorum = "0.000000000000000001"
        | .app_state.gov.params.threshold = "0.5"
    ' "$g" >"$g.tmp"
    mv "$g.tmp" "$g"
    wasmd genesis validate-genesis --home "$HOME_DIR" >/dev/null

    # Loopback only, fast blocks, no peers.
    local c="$HOME_DIR/config/config.toml" a="$HOME_DIR/config/app.toml"
    sed -i \
        -e "s#^laddr = \"tcp://127.0.0.1:26657\"#laddr = \"tcp://127.0.0.1:$RPC_PORT\"#" \
        -e "s#^laddr = \"tcp://0.0.0.0:26656\"#laddr = \"tcp://127.0.0.1:$P2P_PORT\"#" \
        -e "s#^proxy_app = .*#proxy_app = \"tcp://127.0.0.1:$ABCI_PORT\"#" \
        -e "s#^pprof_laddr = .*#pprof_laddr = \"\"#" \
        -e "s#^timeout_commit = .*#timeout_commit = \"$BLOCK_TIME\"#" \
        -e "s#^timeout_propose = .*#timeout_propose = \"1s\"#" \
        -e "s#^addr_book_strict = .*#addr_book_strict = false#" \
        -e "s#^pex = .*#pex = false#" \
        -e "s#^prometheus = .*#prometheus = false#" \
        "$c"
    sed -i \
        -e "s#^minimum-gas-prices = .*#minimum-gas-prices = \"0stake\"#" \
        -e "s#^address = \"tcp://localhost:1317\"#address = \"tcp://127.0.0.1:$API_PORT\"#" \
        -e "s#^address = \"localhost:9090\"#address = \"127.0.0.1:$GRPC_PORT\"#" \
        -e "s#^address = \"0.0.0.0:9090\"#address = \"127.0.0.1:$GRPC_PORT\"#" \
        "$a"
    # The REST API stays off; gRPC on loopback (the port is checked below).
    if ! grep -q "127.0.0.1:$RPC_PORT" "$c" || ! grep -q "127.0.0.1:$GRPC_PORT" "$a"; then
        say "ERROR: could not set the ports in $c / $a (config layout changed?)" >&2
        return 1
    fi
}

start() {
    if running; then
        say "already running (pid $(cat "$PID_FILE")), height $(height)"
        return 0
    fi
    build
    mkdir -p "$DIR"
    local port
    for port in "$RPC_PORT" "$P2P_PORT" "$ABCI_PORT" "$GRPC_PORT"; do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            say "ERROR: 127.0.0.1:$port is in use; set VIGIL_LOCALNET_PORT_BASE" >&2
            return 1
        fi
    done
    init_chain
    say "starting wasmd $(wasmd_version) on $RPC (home $HOME_DIR, log $LOG)"
    local bin
    bin="$(wasmd_bin)"
    LD_LIBRARY_PATH="$(dirname "$bin")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
        setsid "$bin" start --home "$HOME_DIR" --log_level info --log_no_color >"$LOG" 2>&1 </dev/null &
    echo $! >"$PID_FILE"
    local t=$SECONDS h
    while ((SECONDS - t < 90)); do
        if ! running; then
            say "ERROR: wasmd exited; the end of $LOG:" >&2
            tail -n 30 "$LOG" >&2
            rm -f "$PID_FILE"
            return 1
        fi
        h="$(height || true)"
        if [[ "$h" =~ ^[0-9]+$ ]] && ((h >= 2)); then
            say "producing blocks: height $h after $((SECONDS - t)) s; RPC $RPC"
            return 0
        fi
        sleep 0.3
    done
    say "ERROR: no blocks after 90 s; the end of $LOG:" >&2
    tail -n 30 "$LOG" >&2
    stop
    return 1
}

stop() {
    if ! running; then
        rm -f "$PID_FILE"
        say "stopped"
        return 0
    fi
    local pid t
    pid="$(cat "$PID_FILE")"
    kill -TERM "$pid" 2>/dev/null || true
    t=$SECONDS
    while kill -0 "$pid" 2>/dev/null && ((SECONDS - t < 20)); do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
        say "wasmd (pid $pid) did not stop on SIGTERM: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$PID_FILE"
    say "stopped (pid $pid)"
}

status() {
    if running; then
        say "running (pid $(cat "$PID_FILE")), height $(height), RPC $RPC, gRPC 127.0.0.1:$GRPC_PORT, chain id $CHAIN_ID"
    else
        say "stopped"
        return 3
    fi
}

env_vars() {
    printf 'VIGIL_LOCALNET_RPC=%s\nVIGIL_LOCALNET_CHAIN_ID=%s\nVIGIL_LOCALNET_HOME=%s\nVIGIL_LOCALNET_ACCOUNTS=%s\nVIGIL_WASMD=%s\n' \
        "$RPC" "$CHAIN_ID" "$HOME_DIR" "$ACCOUNTS" "$(wasmd_bin)"
}

case "${1:-}" in
build) build ;;
start) start ;;
stop) stop ;;
status) status ;;
env) env_vars ;;
wasmd)
    shift
    wasmd "$@"
    ;;
*)
    echo "usage: scripts/localnet.sh build|start|stop|status|env|wasmd ARGS..." >&2
    exit 2
    ;;
esac
