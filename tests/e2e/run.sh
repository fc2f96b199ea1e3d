#!/usr/bin/env bash
# End-to-end tests: local anvil chain + real PoCo 6.1.0 contracts + real iExec SDK 9.0.1 driving
# the daemon (build/iexec-sms). Installs the node dependencies when needed, then runs every
# *.test.mjs here (or the files given as arguments) with node's built-in test runner.
#
#   tests/e2e/run.sh                      # all test files
#   tests/e2e/run.sh secrets.test.mjs     # one file
#
# Env:
#   SMS_BIN             daemon binary (default: <repo>/build/iexec-sms; relative = to the current directory)
#   E2E_TIMEOUT         global limit in seconds for the whole test run (default 300)
#   E2E_CHAIN_STATE_DIR reuse a running chain (state dir of chain/start-anvil.sh + chain/deploy.mjs)
#   E2E_KEEP=1          keep temporary files (daemon database, key and log, chain state)
# Exit status: 0 when every test passed; non-zero otherwise (124 when the global limit hit).
# Works non-interactively (CI=true, no stdin).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# A relative SMS_BIN is relative to the caller's directory (made absolute before the cd below).
export SMS_BIN="${SMS_BIN:-$ROOT/build/iexec-sms}"
case "$SMS_BIN" in /*) ;; *) SMS_BIN="$PWD/$SMS_BIN" ;; esac
# Test files given as arguments: relative to the caller's directory, or else to tests/e2e.
files=()
for f in "$@"; do
  if [ -f "$f" ]; then files+=("$(cd "$(dirname "$f")" && pwd)/$(basename "$f")"); else files+=("$f"); fi
done
cd "$HERE"
E2E_TIMEOUT="${E2E_TIMEOUT:-300}"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "e2e: node and npm are required (scripts/install-deps.sh check installs them)" >&2
  exit 2
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "e2e: node >= 20 required, found $(node --version)" >&2
  exit 2
fi

# Install exactly what the lockfile says when node_modules is missing or older than the lockfile.
stamp="node_modules/.package-lock.json"
if [ ! -d node_modules ] || [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] \
   || [ ! -x node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil ]; then
  echo "e2e: installing node dependencies (npm ci)" >&2
  timeout 600 npm ci --no-audit --no-fund --loglevel=error </dev/null
fi

if [ ! -x "$SMS_BIN" ]; then
  echo "e2e: daemon binary $SMS_BIN not found or not executable (run 'make build' first)" >&2
  exit 2
fi

if [ "${#files[@]}" -eq 0 ]; then files=(*.test.mjs); fi
echo "e2e: daemon $SMS_BIN; test files: ${files[*]}" >&2
t0=$(date +%s)
set +e
# --test-concurrency=1: each file starts its own chain and daemon; two at once would only
# compete for the 2 cores. timeout -k: the runner and its children are killed if it overruns.
timeout -k 10 "$E2E_TIMEOUT" node --test --test-concurrency=1 --test-reporter=spec "${files[@]}" </dev/null
rc=$?
set -e
echo "e2e: finished in $(( $(date +%s) - t0 )) s, exit status $rc" >&2
if [ "$rc" -eq 124 ]; then echo "e2e: global time limit of ${E2E_TIMEOUT} s reached" >&2; fi
exit "$rc"
