#!/usr/bin/env bash
# Stop the anvil node that start-anvil.sh started for $CHAIN_STATE_DIR (default tests/e2e/state),
# by its recorded pid only (never by name). SIGTERM first (anvil then writes CHAIN_DUMP_STATE
# if it was given one), SIGKILL after 10 s.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE_DIR="${CHAIN_STATE_DIR:-$HERE/../state}"
f="$STATE_DIR/anvil.pid"
[ -f "$f" ] || exit 0
pid="$(cat "$f")"
child="$(cat "$STATE_DIR/anvil.child.pid" 2>/dev/null || echo "")"
if kill -0 "$pid" 2>/dev/null && grep -qa anvil "/proc/$pid/cmdline" 2>/dev/null; then
  # A node paused with SIGSTOP (chain-outage tests) would never handle SIGTERM.
  if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then kill -CONT "$child" 2>/dev/null || true; fi
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid" 2>/dev/null || true
    if [ -n "$child" ]; then kill -9 "$child" 2>/dev/null || true; fi
  fi
  echo "stop-anvil: stopped pid $pid" >&2
fi
rm -f "$f" "$STATE_DIR/anvil.child.pid" "$STATE_DIR/chain.env"
exit 0
