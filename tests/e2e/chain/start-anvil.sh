#!/usr/bin/env bash
# Start a local anvil node (npm @foundry-rs/anvil-linux-amd64) bound to 127.0.0.1 only,
# on a free port, with a bounded life time. Prints the RPC URL on stdout.
#
# Writes into $CHAIN_STATE_DIR (default: tests/e2e/state):
#   anvil.pid        pid to signal for a stop: the `timeout` wrapper (it forwards SIGTERM to anvil),
#                    or anvil itself when CHAIN_TTL=0
#   anvil.child.pid  pid of the anvil process itself (what SIGSTOP/SIGCONT must target)
#   anvil.log        anvil's output
#   chain.env        RPC_URL=, CHAIN_ID=, CHAIN_PORT=, ANVIL_PID=, ANVIL_CHILD_PID= (bash-sourceable)
#
# Env:
#   CHAIN_STATE_DIR   state directory (created)
#   CHAIN_ID          chain id (default 31337)
#   CHAIN_PORT        port (default: a free one picked on 127.0.0.1)
#   CHAIN_TTL         seconds after which anvil is stopped whatever happens (default 3600; 0 = none)
#   CHAIN_BLOCK_TIME  seconds between extra empty blocks on top of instant mining (default 1; 0 = off).
#                     Why: a tx.wait() that polls just before its tx is mined otherwise waits for a
#                     next block that never comes on an idle chain.
#   CHAIN_LOAD_STATE  anvil state file to start from (written earlier through CHAIN_DUMP_STATE)
#   CHAIN_DUMP_STATE  where anvil writes its whole state when it stops (SIGTERM)
#   CHAIN_READY_TIMEOUT seconds to wait for the first JSON-RPC answer (default 30)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
E2E="$(cd "$HERE/.." && pwd)"
STATE_DIR="${CHAIN_STATE_DIR:-$E2E/state}"
CHAIN_ID="${CHAIN_ID:-31337}"
CHAIN_TTL="${CHAIN_TTL:-3600}"
CHAIN_BLOCK_TIME="${CHAIN_BLOCK_TIME:-1}"
READY_TIMEOUT="${CHAIN_READY_TIMEOUT:-30}"
mkdir -p "$STATE_DIR"

# Refuse to start a second node on the same state dir: its files would be overwritten.
if [ -f "$STATE_DIR/anvil.pid" ]; then
  old="$(cat "$STATE_DIR/anvil.pid")"
  if kill -0 "$old" 2>/dev/null && grep -qa anvil "/proc/$old/cmdline" 2>/dev/null; then
    echo "start-anvil: anvil already running for $STATE_DIR (pid $old); run stop-anvil.sh first" >&2
    exit 1
  fi
  rm -f "$STATE_DIR/anvil.pid" "$STATE_DIR/anvil.child.pid"
fi

ANVIL="${ANVIL_BIN:-$E2E/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil}"
if [ ! -x "$ANVIL" ]; then
  echo "start-anvil: no anvil binary at $ANVIL (run 'npm ci' in $E2E)" >&2
  exit 1
fi

if [ -z "${CHAIN_PORT:-}" ]; then
  # The kernel hands out a free ephemeral port; the tiny window before anvil binds it is
  # covered by the readiness check below (anvil exits if the port got taken).
  CHAIN_PORT="$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
fi

# Anvil's public test mnemonic: accounts and keys are deterministic (lib/accounts.mjs).
MNEMONIC="test test test test test test test test test test test junk"
args=(--host 127.0.0.1 --port "$CHAIN_PORT" --chain-id "$CHAIN_ID"
      --accounts 10 --balance 10000 --mnemonic "$MNEMONIC")
if [ "$CHAIN_BLOCK_TIME" != "0" ]; then args+=(--mixed-mining --block-time "$CHAIN_BLOCK_TIME"); fi
if [ -n "${CHAIN_LOAD_STATE:-}" ]; then args+=(--load-state "$CHAIN_LOAD_STATE"); fi
if [ -n "${CHAIN_DUMP_STATE:-}" ]; then args+=(--dump-state "$CHAIN_DUMP_STATE"); fi

t0=$(date +%s%N)
if [ "$CHAIN_TTL" != "0" ]; then
  # The TTL bounds the node's life even if whoever started it dies without stopping it.
  nohup timeout -k 5 "$CHAIN_TTL" "$ANVIL" "${args[@]}" >"$STATE_DIR/anvil.log" 2>&1 </dev/null &
else
  nohup "$ANVIL" "${args[@]}" >"$STATE_DIR/anvil.log" 2>&1 </dev/null &
fi
pid=$!
echo "$pid" >"$STATE_DIR/anvil.pid"

rpc="http://127.0.0.1:$CHAIN_PORT"
ready=""
deadline=$(( $(date +%s) + READY_TIMEOUT ))
while [ "$(date +%s)" -lt "$deadline" ]; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "start-anvil: anvil exited early; its log:" >&2
    cat "$STATE_DIR/anvil.log" >&2
    rm -f "$STATE_DIR/anvil.pid"
    exit 1
  fi
  if curl -s -m 1 -H 'content-type: application/json' \
      -d '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' "$rpc" 2>/dev/null | grep -q '"result"'; then
    ready=1
    break
  fi
  sleep 0.1
done
if [ -z "$ready" ]; then
  echo "start-anvil: no answer on $rpc within ${READY_TIMEOUT} s; stopping it" >&2
  kill "$pid" 2>/dev/null || true
  rm -f "$STATE_DIR/anvil.pid"
  exit 1
fi

# The anvil process itself: the wrapper's only child (or the wrapper when there is none).
child="$pid"
if [ "$CHAIN_TTL" != "0" ]; then
  kids="$(cat "/proc/$pid/task/$pid/children" 2>/dev/null || true)"
  for k in $kids; do
    if grep -qa anvil "/proc/$k/cmdline" 2>/dev/null; then child="$k"; fi
  done
fi
echo "$child" >"$STATE_DIR/anvil.child.pid"

cat >"$STATE_DIR/chain.env" <<EOF
RPC_URL=$rpc
CHAIN_ID=$CHAIN_ID
CHAIN_PORT=$CHAIN_PORT
ANVIL_PID=$pid
ANVIL_CHILD_PID=$child
EOF
echo "start-anvil: pid $pid (anvil $child) on $rpc, chain id $CHAIN_ID, ready in $(( ($(date +%s%N) - t0) / 1000000 )) ms" >&2
echo "$rpc"
