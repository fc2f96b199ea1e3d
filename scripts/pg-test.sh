#!/usr/bin/env bash
# A private, throw-away PostgreSQL server for the store tests (PostgreSQL backend).
#
#   scripts/pg-test.sh start          start it (initdb on first use), print its URL on stdout
#   scripts/pg-test.sh url            print the URL of the running server (exit 1 if stopped)
#   scripts/pg-test.sh status         exit 0 when running
#   scripts/pg-test.sh stop           stop it and delete its state dir (data included)
#   scripts/pg-test.sh run -- CMD...  start, run CMD with SMS_TEST_STORE_URL exported, stop
#                                     (also on failure or Ctrl-C); exits with CMD's status
#
# start and stop are idempotent. The server listens on 127.0.0.1 only, on a free port from
# PG_TEST_PORT up (and on a unix socket in the state dir), with fsync on, password (SCRAM)
# authentication and a random password kept in the state dir (mode 0600). initdb refuses to
# run as root, so as root the server runs as PG_TEST_USER (default: postgres), which must
# exist; the state dir is then owned by that user.
#
# Env (all optional):
#   PG_TEST_DIR   state dir (default ${TMPDIR:-/tmp}/iexec-sms-pg-test.<uid>)
#   PG_TEST_PORT  first port tried (default 54329)
#   PG_TEST_BIN   PostgreSQL server binaries (default: newest /usr/lib/postgresql/*/bin)
#   PG_TEST_USER  system user running the server when invoked as root (default postgres)
set -euo pipefail

STATE="${PG_TEST_DIR:-${TMPDIR:-/tmp}/iexec-sms-pg-test.$(id -u)}"
DATA="$STATE/data"
SOCK="$STATE/sock"
LOG="$STATE/server.log"
DB_NAME=sms_test
DB_USER=sms

die() { echo "pg-test: $*" >&2; exit 1; }
note() { echo "pg-test: $*" >&2; }

find_bin() {
  if [ -n "${PG_TEST_BIN:-}" ]; then echo "$PG_TEST_BIN"; return; fi
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  [ -n "$d" ] || d=$(dirname "$(command -v pg_ctl 2>/dev/null || echo /nonexistent/pg_ctl)")
  echo "$d"
}
BIN=$(find_bin)

# Runs a command as the server's user (root: PG_TEST_USER; otherwise ourselves).
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "${PG_TEST_USER:-postgres}" -- "$@"
  else
    "$@"
  fi
}

# Serialises start/stop of one state dir (two callers must not initdb or stop together).
lock() {
  mkdir -p "$(dirname "$STATE")"
  exec 9>"$STATE.lock"
  flock -w 120 9 || die "cannot lock $STATE.lock"
}

running() {
  [ -f "$DATA/PG_VERSION" ] && as_owner "$BIN/pg_ctl" status -D "$DATA" >/dev/null 2>&1
}

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_port() {
  local p=${PG_TEST_PORT:-54329}
  for _ in $(seq 1 200); do
    if port_free "$p"; then echo "$p"; return; fi
    p=$((p + 1))
  done
  die "no free port from ${PG_TEST_PORT:-54329}"
}

url() {
  [ -f "$STATE/password" ] && [ -f "$STATE/port" ] || return 1
  printf 'postgresql://%s:%s@127.0.0.1:%s/%s\n' "$DB_USER" "$(cat "$STATE/password")" "$(cat "$STATE/port")" "$DB_NAME"
}

init_cluster() {
  local owner port
  [ -x "$BIN/initdb" ] || die "no initdb in $BIN (install postgresql or set PG_TEST_BIN)"
  rm -rf "$STATE"
  mkdir -p "$STATE"
  chmod 700 "$STATE"
  if [ "$(id -u)" -eq 0 ]; then
    owner=${PG_TEST_USER:-postgres}
    id "$owner" >/dev/null 2>&1 || die "running as root needs a system user '$owner' (set PG_TEST_USER)"
    chown "$owner" "$STATE"
    as_owner test -w "$STATE" || die "$owner cannot write $STATE (set PG_TEST_DIR to a dir it can reach)"
  fi
  # Hex only: the password goes into a URL unescaped.
  as_owner sh -c 'umask 077; od -An -N16 -tx1 /dev/urandom | tr -d " \n" >"$1"' sh "$STATE/password"
  as_owner sh -c 'umask 077; cp "$1" "$2"' sh "$STATE/password" "$STATE/pwfile"
  as_owner mkdir -m 700 "$SOCK"
  as_owner "$BIN/initdb" -D "$DATA" -U "$DB_USER" --pwfile="$STATE/pwfile" --auth=scram-sha-256 --no-sync \
    -E UTF8 --locale=C.UTF-8 >"$STATE/initdb.log" 2>&1 || { cat "$STATE/initdb.log" >&2; die "initdb failed"; }
  as_owner rm -f "$STATE/pwfile"
  port=$(pick_port)
  as_owner sh -c 'echo "$1" >"$2"' sh "$port" "$STATE/port"
  # fsync and synchronous_commit stay on: the durability tests are meaningful only then.
  as_owner sh -c 'cat >>"$1"' sh "$DATA/postgresql.conf" <<EOF

# pg-test.sh
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$SOCK'
fsync = on
synchronous_commit = on
full_page_writes = on
max_connections = 100
shared_buffers = 32MB
logging_collector = off
log_min_messages = warning
EOF
}

start() {
  local port
  lock
  if running; then url; return 0; fi
  if [ -f "$DATA/PG_VERSION" ] && [ -f "$STATE/port" ]; then
    # Stopped (or crashed) earlier: restart on the same port when it is still free.
    port=$(cat "$STATE/port")
    port_free "$port" || init_cluster
  else
    init_cluster
  fi
  port=$(cat "$STATE/port")
  # 9>&-: the server must not inherit (and hold forever) the lock of this script.
  as_owner "$BIN/pg_ctl" start -D "$DATA" -l "$LOG" -w -t 60 -o "-p $port" >/dev/null 9>&- ||
    { tail -20 "$LOG" >&2 || true; die "server did not start (log: $LOG)"; }
  if ! PGPASSWORD=$(cat "$STATE/password") as_owner "$BIN/psql" -X -q -h "$SOCK" -p "$port" -U "$DB_USER" \
       -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" | grep -q 1; then
    PGPASSWORD=$(cat "$STATE/password") as_owner "$BIN/createdb" -h "$SOCK" -p "$port" -U "$DB_USER" \
      -E UTF8 "$DB_NAME" || die "createdb failed"
  fi
  note "PostgreSQL $(cat "$DATA/PG_VERSION") running on 127.0.0.1:$port (state $STATE)"
  url
}

# pid of the postmaster of our data dir, if that process is alive and is a postgres.
postmaster_pid() {
  local pid
  [ -f "$DATA/postmaster.pid" ] || return 1
  pid=$(head -1 "$DATA/postmaster.pid")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "postgres" || return 1
  echo "$pid"
}

stop() {
  local pid
  lock
  if [ -f "$DATA/PG_VERSION" ]; then
    if ! as_owner "$BIN/pg_ctl" stop -D "$DATA" -m fast -w -t 30 >/dev/null 2>&1; then
      # Not running, or not answering: end the recorded postmaster itself (ours only).
      if pid=$(postmaster_pid); then
        kill -QUIT "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
      fi
    fi
  fi
  rm -rf "$STATE"
  rm -f "$STATE.lock"
}

cmd=${1:-}
case "$cmd" in
  start) start ;;
  stop) stop ;;
  url) running || die "not running (scripts/pg-test.sh start)"; url ;;
  status) running ;;
  run)
    shift
    [ "${1:-}" = "--" ] && shift
    [ $# -gt 0 ] || die "usage: $0 run -- CMD..."
    trap 'stop' EXIT
    trap 'exit 130' INT TERM
    SMS_TEST_STORE_URL=$(start)
    export SMS_TEST_STORE_URL
    set +e
    "$@"
    rc=$?
    set -e
    exit "$rc"
    ;;
  *) echo "usage: $0 start|stop|url|status|run -- CMD..." >&2; exit 2 ;;
esac
