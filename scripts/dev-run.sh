#!/usr/bin/env bash
# `make run`: a development instance of the SMS on a local chain.
#
#   1. a local anvil node (tests/e2e/chain/start-anvil.sh) with the real PoCo 6.1.0 contracts
#      (tests/e2e/chain/deploy.mjs) and an app, a dataset and a workerpool (chain/fixtures.mjs);
#      the chain's state is saved in run/chain/anvil-state.json when it stops and loaded again at
#      the next start, so the secrets stored in run/sms.sqlite keep matching on-chain assets;
#   2. build/iexec-sms in the foreground, with its SQLite database and AES key under run/.
# Ctrl-C (or SIGTERM) stops the daemon, then the chain.
#
# Env (all optional):
#   SMS_BIN      daemon binary (default build/iexec-sms)
#   SMS_PORT     SMS port on 127.0.0.1 (default 13300)
#   RUN_DIR      where state goes (default <repo>/run, git-ignored)
#   DEV_FRESH=1  forget the previous chain state and database (start from scratch)
#   DEV_CHAIN_TTL seconds after which the chain stops anyway (default 43200)
#   any IEXEC_* variable of the daemon overrides the defaults set here
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
E2E="$ROOT/tests/e2e"
RUN_DIR="${RUN_DIR:-$ROOT/run}"
SMS_BIN="${SMS_BIN:-$ROOT/build/iexec-sms}"
SMS_PORT="${SMS_PORT:-13300}"
export CHAIN_STATE_DIR="$RUN_DIR/chain"
CHAIN_DUMP="$CHAIN_STATE_DIR/anvil-state.json"

die() { echo "dev-run: $*" >&2; exit 1; }
[ -x "$SMS_BIN" ] || die "no daemon binary at $SMS_BIN (run 'make build')"
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || die "node and npm are required"
[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] || die "node >= 20 required"

if [ ! -x "$E2E/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil" ] || [ ! -d "$E2E/node_modules/iexec" ]; then
  echo "dev-run: installing the chain tooling (npm ci in tests/e2e)" >&2
  (cd "$E2E" && timeout 600 npm ci --no-audit --no-fund --loglevel=error </dev/null)
fi

if [ -n "${DEV_FRESH:-}" ]; then
  "$E2E/chain/stop-anvil.sh"
  rm -rf "$CHAIN_STATE_DIR" "$RUN_DIR"/sms.sqlite* "$RUN_DIR/aes.key"
fi
mkdir -p "$RUN_DIR" "$CHAIN_STATE_DIR"
# A previous run killed without its trap may have left its node: stop it (recorded pid only).
"$E2E/chain/stop-anvil.sh"

SMS_PID=""
cleanup() {
  trap - EXIT INT TERM
  if [ -n "$SMS_PID" ] && kill -0 "$SMS_PID" 2>/dev/null; then
    kill -TERM "$SMS_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$SMS_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SMS_PID" 2>/dev/null || true
  fi
  echo "dev-run: stopping the chain (state saved in $CHAIN_DUMP)" >&2
  "$E2E/chain/stop-anvil.sh"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fresh_chain=1
if [ -s "$CHAIN_DUMP" ] && [ -f "$CHAIN_STATE_DIR/deployment.json" ]; then
  fresh_chain=""
  CHAIN_LOAD_STATE="$CHAIN_DUMP" CHAIN_DUMP_STATE="$CHAIN_DUMP" CHAIN_TTL="${DEV_CHAIN_TTL:-43200}" \
    "$E2E/chain/start-anvil.sh" >/dev/null
  # The saved state must still hold the hub; otherwise start over.
  # shellcheck disable=SC1091
  . "$CHAIN_STATE_DIR/chain.env"
  hub="$(node -p "require('$CHAIN_STATE_DIR/deployment.json').hub")"
  code="$(curl -s -m 5 -H 'content-type: application/json' \
    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getCode\",\"params\":[\"$hub\",\"latest\"]}" "$RPC_URL" || true)"
  if ! grep -q '"result":"0x[0-9a-f]' <<<"$code"; then
    echo "dev-run: saved chain state has no PoCo hub; deploying again" >&2
    "$E2E/chain/stop-anvil.sh"
    rm -f "$CHAIN_DUMP" "$CHAIN_STATE_DIR/deployment.json" "$CHAIN_STATE_DIR/fixtures.json"
    fresh_chain=1
  fi
fi
if [ -n "$fresh_chain" ]; then
  # A new chain invalidates the stored secrets' assets: start the database over as well.
  rm -f "$RUN_DIR"/sms.sqlite "$RUN_DIR"/sms.sqlite-wal "$RUN_DIR"/sms.sqlite-shm
  CHAIN_DUMP_STATE="$CHAIN_DUMP" CHAIN_TTL="${DEV_CHAIN_TTL:-43200}" "$E2E/chain/start-anvil.sh" >/dev/null
  echo "dev-run: deploying PoCo and creating an app, a dataset and a workerpool (log: $CHAIN_STATE_DIR/deploy.log)" >&2
  (cd "$E2E" && node chain/deploy.mjs && node chain/fixtures.mjs) >/dev/null 2>"$CHAIN_STATE_DIR/deploy.log" \
    || { cat "$CHAIN_STATE_DIR/deploy.log" >&2; die "chain set-up failed"; }
fi
# shellcheck disable=SC1091
. "$CHAIN_STATE_DIR/chain.env"
summary="$(node -e '
const d = require(process.argv[1]); const f = require(process.argv[2]);
const a = f.accounts;
console.log(`hub           ${d.hub}`);
console.log(`app           ${f.app.address}  (owner ${f.app.owner}, key ${a.appOwner.privateKey})`);
console.log(`dataset       ${f.dataset.address}  (owner ${f.dataset.owner}, key ${a.datasetOwner.privateKey})`);
console.log(`workerpool    ${f.workerpool.address}  (owner ${f.workerpool.owner}, key ${a.workerpoolOwner.privateKey})`);
console.log(`requester     ${a.requester.address}  (key ${a.requester.privateKey})`);
' "$CHAIN_STATE_DIR/deployment.json" "$CHAIN_STATE_DIR/fixtures.json")"
HUB="$(node -p "require('$CHAIN_STATE_DIR/deployment.json').hub")"

export IEXEC_SMS_PORT="${IEXEC_SMS_PORT:-$SMS_PORT}"
export IEXEC_SMS_LISTEN_ADDRESS="${IEXEC_SMS_LISTEN_ADDRESS:-127.0.0.1}"
export IEXEC_SMS_DATABASE_URL="${IEXEC_SMS_DATABASE_URL:-sqlite:$RUN_DIR/sms.sqlite}"
export IEXEC_SMS_STORAGE_ENCRYPTION_AES_KEY_PATH="${IEXEC_SMS_STORAGE_ENCRYPTION_AES_KEY_PATH:-$RUN_DIR/aes.key}"
export IEXEC_SMS_BLOCKCHAIN_NODE_ADDRESS="$RPC_URL"
export IEXEC_HUB_ADDRESS="$HUB"
export IEXEC_CHAIN_ID="$CHAIN_ID"

cat >&2 <<EOF
dev-run: ------------------------------------------------------------------------
SMS URL       http://$IEXEC_SMS_LISTEN_ADDRESS:$IEXEC_SMS_PORT
chain RPC     $RPC_URL  (chain id $CHAIN_ID, anvil log $CHAIN_STATE_DIR/anvil.log)
$summary
database      $IEXEC_SMS_DATABASE_URL
AES key       $IEXEC_SMS_STORAGE_ENCRYPTION_AES_KEY_PATH
SDK           new IExec({ ethProvider: utils.getSignerFromPrivateKey('$RPC_URL', KEY) },
                        { hubAddress: '$HUB', smsURL: 'http://$IEXEC_SMS_LISTEN_ADDRESS:$IEXEC_SMS_PORT' })
Ctrl-C stops the SMS and the chain.
dev-run: ------------------------------------------------------------------------
EOF

# In the foreground, but as a child rather than exec: the trap must still stop the chain.
"$SMS_BIN" &
SMS_PID=$!
set +e
wait "$SMS_PID"
rc=$?
set -e
SMS_PID=""
exit "$rc"
