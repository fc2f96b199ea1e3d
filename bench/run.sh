#!/usr/bin/env bash
# iexec-sms benchmark (issue 2): measures, in one run on this machine,
#   1. HEAD /secrets/web2 requests/s with wrk, against nginx returning a static 204 with
#      the same wrk settings (target ratio >= 0.7);
#   2. signed POST /secrets/web2 writes/s from 16 concurrent clients (sms-loadgen), against
#      the in-process floor (sms-floor: same recoveries, encryptions and inserts, no HTTP,
#      one thread per core, 16 records per durable transaction) (target ratio >= 0.5);
#   3. resident memory of the daemon idle and under the write load;
#   4. the same signed POST load on PostgreSQL (a private server, scripts/pg-test.sh): one
#      daemon, then two daemons on the same database and AES key with the clients split
#      between them, beside SQLite (issue 4);
#   5. session generation (bench/sessions.mjs, issue 3): POST /tee/sessions/s and latency
#      with 8 workers on the local chain, JSON-RPC requests per session counted at the node,
#      beside the node's own eth_call round trip.
# Prints figures, not a verdict: the exit status is 0 whatever the ratios (non-zero only
# when the bench itself cannot run). See bench/README.md.
#
# Environment (all optional):
#   BUILD_DIR       where iexec-sms, sms-loadgen and sms-floor are (default: <repo>/build)
#   BENCH_TMPDIR    parent of the scratch directory; should be on the disk a real store
#                   would use, since fsync cost dominates the write figures (default /tmp)
#   BENCH_WRITES    signed POSTs, and floor records (default 20000)
#   BENCH_CLIENTS   concurrent write clients (default 16)
#   BENCH_ROUNDS    interleaved rounds of each measurement, medians kept (default 3)
#   BENCH_MAX_SECONDS  time budget: steps are cut short and rounds skipped past it (300)
#   BENCH_PG        1 (default) to measure on PostgreSQL too, 0 to skip
#   BENCH_PG_WRITES signed POSTs per PostgreSQL measurement (default BENCH_WRITES)
#   BENCH_SESSIONS  1 (default) to run the session-generation stage, 0 to skip; its own
#                   settings (BENCH_SESSIONS_WORKERS, _TASKS, _COUNT) are in bench/sessions.mjs
#   BENCH_NICE      niceness of the bench and everything it starts (default -10 when
#                   allowed; "" to leave it)
#   WRK_THREADS, WRK_CONNECTIONS, WRK_SECONDS   wrk settings (default 2, 64, 5)
set -u
set -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
SMS_BIN=$BUILD_DIR/iexec-sms
LOADGEN_BIN=$BUILD_DIR/sms-loadgen
FLOOR_BIN=$BUILD_DIR/sms-floor
WRITES=${BENCH_WRITES:-20000}
CLIENTS=${BENCH_CLIENTS:-16}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-64}
WRK_SECONDS=${WRK_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-3}
HEAD_TARGET_RATIO=0.7
WRITE_TARGET_RATIO=0.5
HUB=0x5FC8d32690cc91D4c39d9d3abcBD16989F875707

# Every step is bounded so that the whole run stays within BENCH_MAX_SECONDS (a hung
# daemon costs at most the budget, then the figures measured so far are printed).
DEADLINE=$((SECONDS + ${BENCH_MAX_SECONDS:-300}))
BENCH_PG=${BENCH_PG:-1}
PG_WRITES=${BENCH_PG_WRITES:-$WRITES}
BENCH_SESSIONS=${BENCH_SESSIONS:-1}
# Time kept for the session stage (set-up ~15 s, rounds a few seconds) when it runs.
SESSIONS_RESERVE=0
[[ $BENCH_SESSIONS == 1 ]] && SESSIONS_RESERVE=60
budget() {
    local cap=$1 left=$((DEADLINE - SECONDS))
    ((left < 1)) && left=1
    if ((cap < left)); then echo "$cap"; else echo "$left"; fi
}
# out_of_time WHAT [RESERVE]: true (and says so) once fewer than RESERVE seconds are left.
out_of_time() {
    if ((SECONDS + ${2:-0} >= DEADLINE)); then
        echo "bench: time budget exhausted, skipping $1" >&2
        return 0
    fi
    return 1
}

die() {
    echo "bench: $*" >&2
    exit 1
}

for bin in "$SMS_BIN" "$LOADGEN_BIN" "$FLOOR_BIN"; do
    [[ -x $bin ]] || die "$bin not found: build it (make; cmake --build $BUILD_DIR --target sms-loadgen sms-floor) or set BUILD_DIR"
done
command -v wrk >/dev/null || die "wrk not found (Debian package wrk)"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[[ -x $NGINX ]] || die "nginx not found (Debian package nginx-light)"

# The session stage reuses the e2e harness: its node modules, installed as tests/e2e/run.sh
# does (exactly the lockfile), once. Not counted in the time budget.
E2E_DIR=$ROOT/tests/e2e
SESSIONS_SKIP=""
if [[ $BENCH_SESSIONS == 1 ]]; then
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        SESSIONS_SKIP="node and npm not found (scripts/install-deps.sh bench)"
    elif [[ ! -f $E2E_DIR/node_modules/.package-lock.json || $E2E_DIR/package-lock.json -nt $E2E_DIR/node_modules/.package-lock.json ||
        ! -x $E2E_DIR/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil ]]; then
        echo "bench: installing the e2e node dependencies for the session stage (npm ci in tests/e2e)" >&2
        (cd "$E2E_DIR" && timeout 600 npm ci --no-audit --no-fund --loglevel=error </dev/null) >&2 ||
            SESSIONS_SKIP="npm ci in tests/e2e failed"
        DEADLINE=$((SECONDS + ${BENCH_MAX_SECONDS:-300}))
    fi
fi

TMP=$(mktemp -d "${BENCH_TMPDIR:-/tmp}/sms-bench.XXXXXX") || die "cannot create a scratch directory"
PIDS=()
# The private PostgreSQL server's state dir: not under $TMP, since as root the server runs as
# the postgres user, which must reach it (pg-test.sh); stopped and deleted on exit.
PG_DIR=""

# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
    local pid
    # The session stage first: it stops its own chain, daemon and stand-ins on SIGTERM, which
    # takes a few seconds (its own hard limit ends it in any case).
    if [[ -n ${S_PID:-} ]] && kill -0 "$S_PID" 2>/dev/null; then
        kill "$S_PID" 2>/dev/null
        for _ in $(seq 1 300); do
            kill -0 "$S_PID" 2>/dev/null || break
            sleep 0.1
        done
    fi
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    for pid in "${PIDS[@]}"; do
        # nginx and the daemon drain on SIGTERM; give them a moment, then insist.
        for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    if [[ -n $PG_DIR ]]; then
        PG_TEST_DIR=$PG_DIR timeout 60 "$ROOT/scripts/pg-test.sh" stop >/dev/null 2>&1 ||
            echo "bench: stopping the PostgreSQL server of $PG_DIR failed" >&2
    fi
    rm -rf "$TMP"
}

# Drops a finished process from PIDS (so that cleanup never signals a recycled pid).
forget_pid() {
    local keep=() p
    for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
    PIDS=("${keep[@]}")
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A TCP port nobody listens on (checked, then used at once; races are unlikely on a
# bench machine and would show as a start failure).
# Below the kernel's ephemeral range (ip_local_port_range, 32768 up by default): a port taken
# from that range may be handed by the kernel to an outgoing connection (e.g. a daemon's to
# PostgreSQL) between the check and the bind.
free_port() {
    local port lo
    read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || lo=32768
    ((lo > 21000)) || lo=32768
    for _ in $(seq 1 50); do
        port=$((20000 + RANDOM % (lo - 20000)))
        if ! ss -Htln "sport = :$port" 2>/dev/null | grep -q .; then
            echo "$port"
            return 0
        fi
    done
    return 1
}

# new_port VAR: sets VAR to a free port that is none of those handed out before.
USED_PORTS=" "
new_port() {
    local port
    for _ in $(seq 1 20); do
        port=$(free_port) || return 1
        if [[ $USED_PORTS != *" $port "* ]]; then
            USED_PORTS="$USED_PORTS$port "
            printf -v "$1" '%s' "$port"
            return 0
        fi
    done
    return 1
}

# Wait until url answers (any HTTP status), at most $2 tenths of a second.
wait_http() {
    local url=$1 tries=$2
    for _ in $(seq 1 "$tries"); do
        curl -s -o /dev/null --max-time 1 "$url" && return 0
        sleep 0.1
    done
    return 1
}

rss_kib() {
    local key value _
    while read -r key value _; do
        if [[ $key == VmRSS: ]]; then
            echo "$value"
            return 0
        fi
    done <"/proc/$1/status" 2>/dev/null
    echo 0
}

# CPU time (user + system, clock ticks) used so far by the given processes, all threads.
cpu_ticks() {
    local pid stat total=0 fields
    for pid in "$@"; do
        stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
        read -r -a fields <<<"${stat##*) }" # after "(comm) ": field 3 onwards
        total=$((total + fields[11] + fields[12]))
    done
    echo "$total"
}
CLK_TCK=$(getconf CLK_TCK)

# Microseconds of CPU per operation: cpu_us_per_op TICKS OPS
cpu_us_per_op() {
    awk -v t="$1" -v n="$2" -v hz="$CLK_TCK" 'BEGIN { if (n > 0) printf "%.1f", t / hz * 1e6 / n; else printf "n/a" }'
}

# Background sampler: highest VmRSS of pid every 100 ms until $TMP/stop-sampling exists.
sample_rss_peak() {
    local pid=$1 out=$2 peak=0 v
    while [[ ! -e $TMP/stop-sampling ]] && kill -0 "$pid" 2>/dev/null; do
        v=$(rss_kib "$pid")
        ((v > peak)) && peak=$v
        echo "$peak" >"$out"
        sleep 0.1
    done
}

# wrk's "Requests/sec:" figure and request count for HEAD $2 on base URL $1; non-2xx responses are reported
# on stderr since a 404 or 500 would be fast and meaningless.
wrk_head() {
    local base=$1 path=$2 log=$3
    timeout "$(budget $((WRK_SECONDS + 30)))" wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" --timeout 5s \
        -s "$TMP/head.lua" "$base$path" >"$log" 2>&1
    if grep -q "Non-2xx\|Socket errors" "$log"; then
        echo "bench: wrk on $base reported errors:" >&2
        grep "Non-2xx\|Socket errors" "$log" >&2
    fi
    awk '/ requests in / {n = $1} /^Requests\/sec:/ {r = $2} END {print r, n}' "$log"
}

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "") printf "%.2f", a / b; else printf "n/a" }'
}

verdict() {
    awk -v r="$1" -v t="$2" 'BEGIN { if (r == "n/a") print "n/a"; else if (r + 0 >= t + 0) print "PASS"; else print "MISS" }'
}

mib() {
    awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'
}

# Other processes on the machine take CPU from the measured ones, and unevenly: under
# contention a server with one thread per connection gets a larger CFS share than nginx's
# one process per core. Running the bench, both servers and the clients above normal
# priority keeps the figures close to those of an idle machine.
BENCH_NICE=${BENCH_NICE--10}
if [[ -n $BENCH_NICE ]] && ! renice -n "$BENCH_NICE" -p $$ >/dev/null 2>&1; then
    echo "bench: cannot set niceness $BENCH_NICE (not privileged?): figures may suffer more from other load" >&2
fi

NCPU=$(nproc)
LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
echo "iexec-sms benchmark: $NCPU cores ($CPU_MODEL), scratch on $(df -PT "$TMP" | awk 'NR==2 {print $2 " " $1}')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (other processes skew the figures; rounds: $ROUNDS," \
    "medians kept; niceness $(ps -o ni= -p $$ | tr -d ' '))"
echo

cat >"$TMP/head.lua" <<'EOF'
wrk.method = "HEAD"
EOF

# ---- nginx reference ----
new_port NGINX_PORT || die "no free port"
mkdir -p "$TMP/nginx"
sed -e "s|@PREFIX@|$TMP/nginx|g" -e "s|@PORT@|$NGINX_PORT|g" -e "s|@WORKERS@|$NCPU|g" \
    "$ROOT/bench/nginx.conf.in" >"$TMP/nginx/nginx.conf"
"$NGINX" -p "$TMP/nginx" -e "$TMP/nginx/nginx-error.log" -c "$TMP/nginx/nginx.conf" >"$TMP/nginx/stdout.log" 2>&1 &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
wait_http "http://127.0.0.1:$NGINX_PORT/" 50 || die "nginx did not start: $(cat "$TMP/nginx/nginx-error.log" "$TMP/nginx/stdout.log" 2>/dev/null)"

# ---- the daemon ----
new_port SMS_PORT || die "no free port"
SMS_URL=http://127.0.0.1:$SMS_PORT
mkdir -p "$TMP/sms" "$TMP/backup" "$TMP/floor"
env IEXEC_SMS_PORT="$SMS_PORT" IEXEC_SMS_LISTEN_ADDRESS=127.0.0.1 \
    IEXEC_SMS_DATABASE_URL="sqlite:$TMP/sms/sms.sqlite" \
    IEXEC_SMS_STORAGE_ENCRYPTION_AES_KEY_PATH="$TMP/sms/aes.key" \
    IEXEC_SMS_BLOCKCHAIN_NODE_ADDRESS=http://127.0.0.1:1 IEXEC_HUB_ADDRESS=$HUB \
    IEXEC_SMS_ADMIN_STORAGE_LOCATION="$TMP/backup" \
    "$SMS_BIN" >"$TMP/sms.log" 2>&1 &
SMS_PID=$!
PIDS+=("$SMS_PID")
wait_http "$SMS_URL/actuator/health" 100 || die "iexec-sms did not start: $(tail -5 "$TMP/sms.log")"

# Warm-up: health, a missing secret, then idle memory.
for _ in $(seq 1 20); do
    out_of_time "the warm-up" && break
    curl -s -o /dev/null --max-time 1 "$SMS_URL/actuator/health"
    curl -s -o /dev/null --max-time 1 -I "$SMS_URL/secrets/web2?ownerAddress=0x0000000000000000000000000000000000000001&secretName=warmup"
done
sleep 1
RSS_IDLE=$(rss_kib "$SMS_PID")

# ---- PostgreSQL: a private server, two daemons on it sharing one AES key file ----
# start_pg_daemon NAME PORT: a daemon on the PostgreSQL database, otherwise configured as the
# SQLite one; sets PG_DAEMON_PID.
start_pg_daemon() {
    local name=$1 port=$2
    mkdir -p "$TMP/$name-backup"
    env IEXEC_SMS_PORT="$port" IEXEC_SMS_LISTEN_ADDRESS=127.0.0.1 \
        IEXEC_SMS_DATABASE_URL="$PG_URL" \
        IEXEC_SMS_STORAGE_ENCRYPTION_AES_KEY_PATH="$TMP/pg-aes.key" \
        IEXEC_SMS_BLOCKCHAIN_NODE_ADDRESS=http://127.0.0.1:1 IEXEC_HUB_ADDRESS=$HUB \
        IEXEC_SMS_ADMIN_STORAGE_LOCATION="$TMP/$name-backup" \
        "$SMS_BIN" >"$TMP/$name.log" 2>&1 &
    PG_DAEMON_PID=$!
    PIDS+=("$PG_DAEMON_PID")
    wait_http "http://127.0.0.1:$port/actuator/health" 100
}

# PostgreSQL server processes: the postmaster of our data dir and its children (backends).
pg_server_pids() {
    local pm
    pm=$(head -1 "$PG_DIR/data/postmaster.pid" 2>/dev/null) || return 0
    [[ $pm =~ ^[0-9]+$ ]] || return 0
    echo "$pm"
    pgrep -P "$pm"
}
# pg_cpu_mark: remembers the CPU ticks of every server process; pg_cpu_since prints the ticks
# used since the mark (processes started after it count from zero).
declare -A PG_MARK=()
pg_cpu_mark() {
    local pid
    PG_MARK=()
    for pid in $(pg_server_pids); do PG_MARK[$pid]=$(cpu_ticks "$pid"); done
}
pg_cpu_since() {
    local pid total=0 now
    for pid in $(pg_server_pids); do
        now=$(cpu_ticks "$pid")
        total=$((total + now - ${PG_MARK[$pid]:-0}))
    done
    echo "$total"
}

PG_OK=0 PG_SKIP=""
if [[ $BENCH_PG != 1 ]]; then
    PG_SKIP="skipped (BENCH_PG=$BENCH_PG)"
elif out_of_time "PostgreSQL" $((SESSIONS_RESERVE + 60)); then
    PG_SKIP="skipped: no time left"
else
    PG_DIR=$(mktemp -u "${BENCH_TMPDIR:-/tmp}/sms-bench-pg.XXXXXX")
    new_port PG_PORT || die "no free port"
    if ! PG_URL=$(PG_TEST_DIR=$PG_DIR PG_TEST_PORT=$PG_PORT timeout "$(budget 90)" "$ROOT/scripts/pg-test.sh" start 2>"$TMP/pg-start.err"); then
        PG_SKIP="skipped: the PostgreSQL server did not start ($(tail -1 "$TMP/pg-start.err"))"
    else
        new_port PG_A_PORT || die "no free port"
        new_port PG_B_PORT || die "no free port"
        # One after the other: the first one creates the shared key file.
        if ! start_pg_daemon pg-a "$PG_A_PORT"; then
            PG_SKIP="skipped: iexec-sms on PostgreSQL did not start ($(tail -1 "$TMP/pg-a.log"))"
        else
            PG_A_PID=$PG_DAEMON_PID
            if ! start_pg_daemon pg-b "$PG_B_PORT"; then
                PG_SKIP="skipped: a second iexec-sms on PostgreSQL did not start ($(tail -1 "$TMP/pg-b.log"))"
            else
                PG_B_PID=$PG_DAEMON_PID
                PG_OK=1
                for port in "$PG_A_PORT" "$PG_B_PORT"; do
                    for _ in $(seq 1 20); do
                        curl -s -o /dev/null --max-time 1 -I "http://127.0.0.1:$port/secrets/web2?ownerAddress=0x0000000000000000000000000000000000000001&secretName=warmup"
                    done
                done
            fi
        fi
    fi
fi
[[ -z $PG_SKIP ]] || echo "bench: PostgreSQL $PG_SKIP" >&2

# Other processes may share this machine (builds, tests): every measurement is repeated
# in ROUNDS interleaved rounds (daemon, then its reference, close in time so that both
# see about the same foreign load); figures and ratios reported are the medians over the
# rounds, so that one disturbed round does not decide.
median() {
    local v
    for v in "$@"; do [[ -n $v && $v != n/a ]] && echo "$v"; done | sort -g |
        awk '{ a[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print a[(NR + 1) / 2];
                                  else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# result_field FILE KEY: KEY's value on the RESULT line of an sms-loadgen output.
result_field() {
    sed -n "s/^RESULT .*\b$2=\([0-9.]*\).*/\1/p" "$1"
}

# pg_round ROUND SQLITE_WRITES_PER_S: the write load on PostgreSQL, one daemon then two
# (clients split, started together through a gate file); appends to P1, P1C, P1S, P2, P2S,
# P2C, P2SV, PR, P2R.
P1=() P1C=() P1S=() P2=() P2S=() P2C=() P2SV=() PR=() P2R=() PG_ERRORS=""
pg_round() {
    local round=$1 c0 c1 s rc w1 w2 wa wb oka okb sa sb pa pb half lat1 ok1 sqlite_w=$2
    # One daemon, all the clients.
    c0=$(cpu_ticks "$PG_A_PID")
    pg_cpu_mark
    timeout "$(budget 90)" "$LOADGEN_BIN" -p "$PG_A_PORT" -c "$CLIENTS" -n "$PG_WRITES" -r "p$round-$$" \
        >"$TMP/pg1.out" 2>"$TMP/pg1.err"
    rc=$?
    s=$(pg_cpu_since)
    c1=$(cpu_ticks "$PG_A_PID")
    [[ $rc -eq 0 ]] || { echo "bench: sms-loadgen on PostgreSQL failed (status $rc):" >&2; cat "$TMP/pg1.err" >&2; }
    w1=$(result_field "$TMP/pg1.out" writes_per_s)
    ok1=$(result_field "$TMP/pg1.out" ok)
    lat1="p50 $(result_field "$TMP/pg1.out" p50_ms) ms, p99 $(result_field "$TMP/pg1.out" p99_ms) ms"
    P1+=("$w1")
    P1C+=("$(cpu_us_per_op $((c1 - c0)) "${ok1:-0}")")
    P1S+=("$(cpu_us_per_op "$s" "${ok1:-0}")")
    [[ $(result_field "$TMP/pg1.out" non204)/$(result_field "$TMP/pg1.out" neterr) == 0/0 ]] ||
        PG_ERRORS="$PG_ERRORS round $round, one daemon: $(grep -h "status [0-9]\|network" "$TMP/pg1.err" | tr '\n' ' ');"

    # Two daemons, half the clients each, distinct run ids (distinct secret names).
    half=$((CLIENTS / 2))
    rm -f "$TMP/gate"
    timeout "$(budget 90)" "$LOADGEN_BIN" -p "$PG_A_PORT" -c "$half" -n $((PG_WRITES / 2)) -r "qa$round-$$" \
        -g "$TMP/gate" >"$TMP/pg2a.out" 2>"$TMP/pg2a.err" &
    pa=$!
    timeout "$(budget 90)" "$LOADGEN_BIN" -p "$PG_B_PORT" -c $((CLIENTS - half)) -n $((PG_WRITES - PG_WRITES / 2)) \
        -r "qb$round-$$" -g "$TMP/gate" >"$TMP/pg2b.out" 2>"$TMP/pg2b.err" &
    pb=$!
    PIDS+=("$pa" "$pb")
    # Both sign first (on every core): the load starts once both are ready.
    for _ in $(seq 1 600); do
        grep -q '^READY' "$TMP/pg2a.out" 2>/dev/null && grep -q '^READY' "$TMP/pg2b.out" 2>/dev/null && break
        if ! kill -0 "$pa" 2>/dev/null || ! kill -0 "$pb" 2>/dev/null; then break; fi
        sleep 0.1
    done
    c0=$(cpu_ticks "$PG_A_PID" "$PG_B_PID")
    pg_cpu_mark
    touch "$TMP/gate"
    wait "$pa"
    wait "$pb"
    s=$(pg_cpu_since)
    c1=$(cpu_ticks "$PG_A_PID" "$PG_B_PID")
    forget_pid "$pa"
    forget_pid "$pb"
    wa=$(result_field "$TMP/pg2a.out" writes_per_s)
    wb=$(result_field "$TMP/pg2b.out" writes_per_s)
    oka=$(result_field "$TMP/pg2a.out" ok)
    okb=$(result_field "$TMP/pg2b.out" ok)
    sa=$(result_field "$TMP/pg2a.out" seconds)
    sb=$(result_field "$TMP/pg2b.out" seconds)
    for f in pg2a pg2b; do
        [[ $(result_field "$TMP/$f.out" non204)/$(result_field "$TMP/$f.out" neterr) == 0/0 ]] ||
            PG_ERRORS="$PG_ERRORS round $round, two daemons: $(grep -h "status [0-9]\|network\|failed\|gate" "$TMP/$f.err" | tr '\n' ' ');"
    done
    # Both writers' acknowledged writes over the longer of the two runs (the shorter one's
    # daemon idles at the end: summing the two rates would overstate the pair slightly).
    w2=$(awk -v a="${oka:-0}" -v b="${okb:-0}" -v x="${sa:-0}" -v y="${sb:-0}" \
        'BEGIN { t = (x > y) ? x : y; if (t > 0 && a + b > 0) printf "%.1f", (a + b) / t }')
    P2+=("$w2")
    P2C+=("$(cpu_us_per_op $((c1 - c0)) $((${oka:-0} + ${okb:-0})))")
    P2SV+=("$(cpu_us_per_op "$s" $((${oka:-0} + ${okb:-0})))")
    P2S+=("$(awk -v a="$wa" -v b="$wb" 'BEGIN { if (a != "" && b != "") printf "%.1f", a + b }')")
    PR+=("$(ratio "$w1" "$sqlite_w")")
    P2R+=("$(ratio "$w2" "$w1")")
    echo "  round $round, PostgreSQL: one daemon ${w1:-n/a} writes/s ($lat1; CPU/write: daemon ${P1C[-1]} us," \
        "server ${P1S[-1]} us), two daemons ${w2:-n/a} writes/s (${wa:-n/a} + ${wb:-n/a}, $half + $((CLIENTS - half)) clients;" \
        "CPU/write: daemons ${P2C[-1]} us, server ${P2SV[-1]} us)," \
        "PostgreSQL/SQLite ${PR[-1]}, two/one ${P2R[-1]}"
}

# ---- writes: daemon under sms-loadgen (RSS sampled), then the in-process floor ----
echo "running: $ROUNDS x ($WRITES signed POST /secrets/web2 from $CLIENTS clients, then sms-floor with $WRITES records)..."
((PG_OK)) && echo "         each round also: $PG_WRITES signed POSTs on PostgreSQL, one daemon then two daemons at once"
W=() WC=() F=() FC=() FS=() WR=() WRS=() RSS_PEAK=0 WRITE_ERRORS="" HEAD_PATH=""
for round in $(seq 1 "$ROUNDS"); do
    # Keep time for the HEAD rounds.
    out_of_time "write round $round" $((ROUNDS * (2 * WRK_SECONDS + 3) + 5 + SESSIONS_RESERVE)) && break
    rm -f "$TMP/stop-sampling" "$TMP/rss-peak"
    sample_rss_peak "$SMS_PID" "$TMP/rss-peak" &
    SAMPLER_PID=$!
    PIDS+=("$SAMPLER_PID")
    c0=$(cpu_ticks "$SMS_PID")
    timeout "$(budget 60)" "$LOADGEN_BIN" -p "$SMS_PORT" -c "$CLIENTS" -n "$WRITES" -r "r$round-$$" \
        >"$TMP/loadgen.out" 2>"$TMP/loadgen.err"
    rc=$?
    c1=$(cpu_ticks "$SMS_PID")
    touch "$TMP/stop-sampling"
    wait "$SAMPLER_PID" 2>/dev/null
    peak=$(cat "$TMP/rss-peak" 2>/dev/null || echo 0)
    ((peak > RSS_PEAK)) && RSS_PEAK=$peak
    [[ $rc -eq 0 ]] || { echo "bench: sms-loadgen failed (status $rc):" >&2; cat "$TMP/loadgen.err" >&2; }
    w=$(sed -n 's/^RESULT writes_per_s=\([0-9.]*\).*/\1/p' "$TMP/loadgen.out")
    errs=$(sed -n 's/^RESULT .* non204=\([0-9]*\) neterr=\([0-9]*\).*/\1 non-204, \2 network errors/p' "$TMP/loadgen.out")
    lat=$(sed -n 's/^RESULT .* p50_ms=\([0-9.]*\) p99_ms=\([0-9.]*\).*/p50 \1 ms, p99 \2 ms/p' "$TMP/loadgen.out")
    [[ -n $HEAD_PATH ]] || HEAD_PATH=$(sed -n 's/^HEAD_TARGET //p' "$TMP/loadgen.out")
    grep -q "status [0-9]" "$TMP/loadgen.err" && sed 's/^/  /' "$TMP/loadgen.err" >&2
    W+=("$w")
    ok=$(sed -n 's/^RESULT .* ok=\([0-9]*\).*/\1/p' "$TMP/loadgen.out")
    WC+=("$(cpu_us_per_op $((c1 - c0)) "${ok:-0}")")
    [[ $errs == "0 non-204, 0 network errors" ]] || WRITE_ERRORS="$WRITE_ERRORS round $round: ${errs:-no result};"

    timeout "$(budget 60)" "$FLOOR_BIN" -d "$TMP/floor" -n "$WRITES" -b 16 -m shared >"$TMP/floor.out" 2>"$TMP/floor.err" ||
        echo "bench: sms-floor failed: $(cat "$TMP/floor.err")" >&2
    f=$(sed -n 's/^RESULT records_per_s=\([0-9.]*\).*/\1/p' "$TMP/floor.out")
    F+=("$f")
    FC+=("$(sed -n 's/^RESULT .* cpu_us_per_record=\([0-9.]*\).*/\1/p' "$TMP/floor.out")")
    # For information: one database file per thread (commits overlap; no single store can).
    timeout "$(budget 60)" "$FLOOR_BIN" -d "$TMP/floor" -n "$WRITES" -b 16 -m split >"$TMP/floor.out" 2>"$TMP/floor.err" ||
        echo "bench: sms-floor -m split failed: $(cat "$TMP/floor.err")" >&2
    fs=$(sed -n 's/^RESULT records_per_s=\([0-9.]*\).*/\1/p' "$TMP/floor.out")
    FS+=("$fs")
    WR+=("$(ratio "$w" "$f")")
    WRS+=("$(ratio "$w" "$fs")")
    echo "  round $round: iexec-sms ${w:-n/a} writes/s ($lat; ${WC[-1]} us CPU/write)," \
        "floor ${f:-n/a} records/s (${FC[-1]:-n/a} us CPU/record; db per thread: ${fs:-n/a}), ratio ${WR[-1]}"
    if ((PG_OK)) && ! out_of_time "PostgreSQL round $round" $((ROUNDS * (2 * WRK_SECONDS + 3) + 25 + SESSIONS_RESERVE)); then
        pg_round "$round" "$w"
    fi
    rm -f "$TMP"/floor/*
done
sleep 1
RSS_AFTER=$(rss_kib "$SMS_PID")

# ---- HEAD: daemon then nginx, same wrk settings ----
# The secret exists (written above), so the daemon answers 204 like nginx.
[[ -n $HEAD_PATH ]] || HEAD_PATH="/secrets/web2?ownerAddress=0x0000000000000000000000000000000000000001&secretName=warmup"
HEAD_STATUS=$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' -I "$SMS_URL$HEAD_PATH")
[[ $HEAD_STATUS == 204 ]] || echo "bench: HEAD on the daemon answers $HEAD_STATUS, not 204" >&2
echo "running: $ROUNDS x (wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d${WRK_SECONDS}s HEAD on iexec-sms, then on nginx)..."
mapfile -t NGINX_PIDS < <(echo "$NGINX_PID"; pgrep -P "$NGINX_PID")
H=() HC=() N=() NC=() HR=()
for round in $(seq 1 "$ROUNDS"); do
    out_of_time "HEAD round $round" && break
    c0=$(cpu_ticks "$SMS_PID")
    read -r h hn <<<"$(wrk_head "$SMS_URL" "$HEAD_PATH" "$TMP/wrk-sms.log")"
    c1=$(cpu_ticks "$SMS_PID")
    d0=$(cpu_ticks "${NGINX_PIDS[@]}")
    read -r n nn <<<"$(wrk_head "http://127.0.0.1:$NGINX_PORT" "$HEAD_PATH" "$TMP/wrk-nginx.log")"
    d1=$(cpu_ticks "${NGINX_PIDS[@]}")
    H+=("$h")
    N+=("$n")
    HC+=("$(cpu_us_per_op $((c1 - c0)) "${hn:-0}")")
    NC+=("$(cpu_us_per_op $((d1 - d0)) "${nn:-0}")")
    HR+=("$(ratio "$h" "$n")")
    echo "  round $round: iexec-sms ${h:-n/a} req/s (${HC[-1]} us CPU/req), nginx ${n:-n/a} req/s" \
        "(${NC[-1]} us CPU/req), ratio ${HR[-1]}"
done
RSS_AFTER_HEAD=$(rss_kib "$SMS_PID")

# ---- session generation: bench/sessions.mjs (its own chain, daemon and stand-ins) ----
S_RESULT="" S_SKIP="" S_PID=""
if [[ $BENCH_SESSIONS != 1 ]]; then
    S_SKIP="skipped (BENCH_SESSIONS=$BENCH_SESSIONS)"
elif [[ -n $SESSIONS_SKIP ]]; then
    S_SKIP="skipped: $SESSIONS_SKIP"
elif out_of_time "the session-generation run" 30; then
    S_SKIP="skipped: no time left"
else
    s_budget=$(budget 180)
    echo "running: session generation (bench/sessions.mjs: anvil + PoCo, a Gramine daemon behind a counting" \
        "JSON-RPC proxy, ${BENCH_SESSIONS_WORKERS:-8} workers, $ROUNDS rounds)..."
    # The script ends its measurement 25 s before the budget, then stops what it started.
    env SMS_BIN="$SMS_BIN" BENCH_TMPDIR="${BENCH_TMPDIR:-/tmp}" BENCH_ROUNDS="$ROUNDS" \
        BENCH_SESSIONS_SECONDS=$((s_budget > 45 ? s_budget - 25 : 20)) \
        timeout -k 5 "$s_budget" node "$ROOT/bench/sessions.mjs" >"$TMP/sessions.out" 2>"$TMP/sessions.err" &
    S_PID=$!
    PIDS+=("$S_PID")
    wait "$S_PID"
    rc=$?
    forget_pid "$S_PID"
    S_PID=""
    grep -E '^(sessions: |  round |  one worker|  floor)' "$TMP/sessions.out"
    [[ -s $TMP/sessions.err ]] && sed 's/^/  /' "$TMP/sessions.err" >&2
    S_RESULT=$(grep '^RESULT ' "$TMP/sessions.out")
    [[ -n $S_RESULT ]] || S_SKIP="failed (status $rc; see above)"
fi
[[ -z $S_SKIP ]] || echo "bench: session generation $S_SKIP" >&2
# sfield KEY: KEY's value on the session stage's RESULT line.
sfield() {
    sed -n "s/^RESULT .*\b$1=\([^ ]*\).*/\1/p" <<<"$S_RESULT"
}

SMS_HEAD=$(median "${H[@]}")
NGINX_HEAD=$(median "${N[@]}")
WRITES_PER_S=$(median "${W[@]}")
FLOOR_PER_S=$(median "${F[@]}")
FLOOR_SPLIT_PER_S=$(median "${FS[@]}")
SMS_HEAD_CPU=$(median "${HC[@]}")
NGINX_HEAD_CPU=$(median "${NC[@]}")
WRITE_CPU=$(median "${WC[@]}")
FLOOR_CPU=$(median "${FC[@]}")
HEAD_RATIO=$(median "${HR[@]}")
WRITE_RATIO=$(median "${WR[@]}")
WRITE_RATIO_SPLIT=$(median "${WRS[@]}")
[[ -n $HEAD_RATIO ]] || HEAD_RATIO=n/a
[[ -n $WRITE_RATIO ]] || WRITE_RATIO=n/a
[[ -n $WRITE_RATIO_SPLIT ]] || WRITE_RATIO_SPLIT=n/a
PG1_PER_S=$(median "${P1[@]}")
PG2_PER_S=$(median "${P2[@]}")
PG2_SUM_PER_S=$(median "${P2S[@]}")
PG1_CPU=$(median "${P1C[@]}")
PG1_SERVER_CPU=$(median "${P1S[@]}")
PG2_CPU=$(median "${P2C[@]}")
PG2_SERVER_CPU=$(median "${P2SV[@]}")
PG_RATIO=$(median "${PR[@]}")
PG2_RATIO=$(median "${P2R[@]}")
[[ -n $PG_RATIO ]] || PG_RATIO=n/a
[[ -n $PG2_RATIO ]] || PG2_RATIO=n/a

echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf '%-52s %14s\n' "figure (median of $ROUNDS rounds)" "value"
printf '%-52s %14s\n' "----------------------------------------------------" "--------------"
printf '%-52s %14s\n' "HEAD /secrets/web2, iexec-sms (req/s)" "${SMS_HEAD:-n/a}"
printf '%-52s %14s\n' "HEAD, nginx static 204 (req/s)" "${NGINX_HEAD:-n/a}"
printf '%-52s %14s\n' "POST /secrets/web2, $CLIENTS clients (writes/s)" "${WRITES_PER_S:-n/a}"
[[ -z $WRITE_ERRORS ]] || printf '  write errors:%s\n' "$WRITE_ERRORS"
printf '%-52s %14s\n' "floor, shared db, $NCPU threads, 16/tx (records/s)" "${FLOOR_PER_S:-n/a}"
printf '%-52s %14s\n' "floor, db per thread, for information (records/s)" "${FLOOR_SPLIT_PER_S:-n/a}"
printf '%-52s %14s\n' "CPU per HEAD, iexec-sms / nginx (us)" "${SMS_HEAD_CPU:-n/a} / ${NGINX_HEAD_CPU:-n/a}"
printf '%-52s %14s\n' "CPU per write, iexec-sms / floor (us)" "${WRITE_CPU:-n/a} / ${FLOOR_CPU:-n/a}"
printf '%-52s %14s\n' "RSS idle (after start and warm-up)" "$(mib "$RSS_IDLE")"
printf '%-52s %14s\n' "RSS peak under write load" "$(mib "$RSS_PEAK")"
printf '%-52s %14s\n' "RSS after write load / after HEAD load" "$(mib "$RSS_AFTER") / $(mib "$RSS_AFTER_HEAD")"
if ((PG_OK)); then
    printf '%-52s %14s\n' "POST PostgreSQL, one daemon, $CLIENTS clients (writes/s)" "${PG1_PER_S:-n/a}"
    printf '%-52s %14s\n' "POST PostgreSQL, two daemons, $((CLIENTS / 2))+$((CLIENTS - CLIENTS / 2)) clients (writes/s)" "${PG2_PER_S:-n/a}"
    printf '%-52s %14s\n' "  (sum of the two clients' own rates)" "${PG2_SUM_PER_S:-n/a}"
    printf '%-52s %14s\n' "CPU/write PostgreSQL, 1 daemon: daemon/server (us)" "${PG1_CPU:-n/a} / ${PG1_SERVER_CPU:-n/a}"
    printf '%-52s %14s\n' "CPU/write PostgreSQL, 2 daemons: daemons/server (us)" "${PG2_CPU:-n/a} / ${PG2_SERVER_CPU:-n/a}"
    [[ -z $PG_ERRORS ]] || printf '  PostgreSQL write errors:%s\n' "$PG_ERRORS"
else
    printf '%-52s %14s\n' "POST on PostgreSQL" "n/a"
    echo "  $PG_SKIP"
fi
if [[ -n $S_RESULT ]]; then
    printf '%-52s %14s\n' "sessions/s, Gramine, $(sfield workers) workers, hot caches" "$(sfield sessions_per_s)"
    printf '%-52s %14s\n' "session latency p50 / p99, $(sfield workers) workers (ms)" "$(sfield p50_ms) / $(sfield p99_ms)"
    printf '%-52s %14s\n' "session latency p50 / p99, 1 worker (ms)" "$(sfield seq_p50_ms) / $(sfield seq_p99_ms)"
    printf '%-52s %14s\n' "CPU per session, daemon / anvil (us)" "$(sfield cpu_us) / $(sfield anvil_cpu_us)"
    printf '%-52s %14s\n' "CPU per session, SPS + proxy / workers (us)" "$(sfield standins_cpu_us) / $(sfield client_cpu_us)"
    printf '%-52s %14s\n' "JSON-RPC requests/session: hot, 1st of task, of deal" \
        "$(sfield rpc_per_session) / $(sfield rpc_first_task) / $(sfield rpc_first_deal)"
    printf '%-52s %14s\n' "JSON-RPC requests/challenge: 1st of deal, others" "$(sfield rpc_challenge_first) / $(sfield rpc_challenge)"
    printf '%-52s %14s\n' "node eth_call round trip p50 / p99 (ms)" "$(sfield ethcall_p50_ms) / $(sfield ethcall_p99_ms)"
    printf '%-52s %14s\n' "floor: 1 round trip/session, $(sfield workers) workers (sessions/s)" "$(sfield floor_per_s)"
    [[ $(sfield failures) == 0 ]] || printf '  failed sessions: %s\n' "$(sfield failures)"
else
    printf '%-52s %14s\n' "session generation" "n/a"
    echo "  $S_SKIP"
fi
echo
printf '%-52s %6s %8s %6s\n' "ratio (median of the rounds' ratios)" "value" "target" ""
printf '%-52s %6s %8s %6s\n' "HEAD iexec-sms / nginx" "$HEAD_RATIO" ">= $HEAD_TARGET_RATIO" \
    "$(verdict "$HEAD_RATIO" "$HEAD_TARGET_RATIO")"
printf '%-52s %6s %8s %6s\n' "POST iexec-sms / floor (shared db)" "$WRITE_RATIO" ">= $WRITE_TARGET_RATIO" \
    "$(verdict "$WRITE_RATIO" "$WRITE_TARGET_RATIO")"
printf '%-52s %6s %8s %6s\n' "  (POST iexec-sms / floor with a db per thread)" "$WRITE_RATIO_SPLIT" "" ""
if ((PG_OK)); then
    printf '%-52s %6s %8s %6s\n' "POST PostgreSQL / SQLite, one daemon" "$PG_RATIO" "" ""
    printf '%-52s %6s %8s %6s\n' "POST two daemons / one daemon, PostgreSQL" "$PG2_RATIO" "" ""
fi
if [[ -n $S_RESULT ]]; then
    S_RPC=$(sfield rpc_per_session)
    printf '%-52s %6s %8s %6s\n' "JSON-RPC round trips per session, hot" "$S_RPC" "<= 2" \
        "$(awk -v r="$S_RPC" 'BEGIN { if (r == "n/a" || r == "") print "n/a"; else if (r + 0 <= 2) print "PASS"; else print "MISS" }')"
    printf '%-52s %6s %8s %6s\n' "session p50, 1 worker / node eth_call p50" \
        "$(ratio "$(sfield seq_p50_ms)" "$(sfield ethcall_p50_ms)")" "" ""
fi
if awk -v l="$LOAD_BEFORE" 'BEGIN { exit !(l >= 1.0) }'; then
    echo "WARNING: load average $LOAD_BEFORE before the run: other processes competed for the CPU and the disk,"
    echo "         so the throughput ratios above are unreliable (under contention nginx loses more than the"
    echo "         daemon's thread per connection). The CPU cost ratios below are not affected."
fi
echo "for diagnosis, CPU cost ratios (hardly affected by other load; for HEAD, where both sides are"
echo "CPU-bound with wrk, close to the throughput ratio of an idle machine):"
printf '%-52s %6s\n' "  CPU per HEAD, nginx / iexec-sms" "$(ratio "$NGINX_HEAD_CPU" "$SMS_HEAD_CPU")"
printf '%-52s %6s\n' "  CPU per write, floor / iexec-sms" "$(ratio "$FLOOR_CPU" "$WRITE_CPU")"
exit 0
