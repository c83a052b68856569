#!/usr/bin/env bash
# The issue-2 benchmark in one run (see docs/capacity.md for how to read it):
#  1. throughput: wrk with keep-alive against KitBench's GET /hello (kit, access log on) and
#     against nginx `return 200` (same worker count, access_log buffer=64k), alternating
#     kit/nginx BENCH_ROUNDS times; the best run of each is compared (target kit >= 70 %).
#  2. idle memory: a fresh KitBench, BENCH_IDLE keep-alive connections each used for one
#     request then held idle by a separate client process; (VmRSS after - before) / N
#     (target <= 4 KiB per connection).
# Loopback only; everything started here is stopped on exit; about 75 s with the defaults.
#
# Knobs (environment): BENCH_LOOPS=2 BENCH_THREADS=2 BENCH_CONNECTIONS=64 BENCH_DURATION=10s
#                      BENCH_ROUNDS=2 BENCH_IDLE=10000 BENCH_KEEP=1 (keep the temp dir)
set -euo pipefail

LOOPS=${BENCH_LOOPS:-2}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-64}
DURATION=${BENCH_DURATION:-10s}
ROUNDS=${BENCH_ROUNDS:-2}
IDLE=${BENCH_IDLE:-10000}
NGINX=${NGINX:-/usr/sbin/nginx}

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/deploy/local/bench"
for tool in wrk gcc python3 "$NGINX"; do
    command -v "$tool" >/dev/null || { echo "bench-kit: $tool is missing (apt-get install wrk nginx gcc)" >&2; exit 1; }
done

TMP=$(mktemp -d /tmp/bench-kit.XXXXXX)
PIDS=()
cleanup() {
    exec 3>&- 2>/dev/null || true
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [[ -n ${BENCH_KEEP:-} ]]; then echo "logs kept in $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

say() { printf '%s\n' "$*"; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_http URL: up to 10 s for a 200.
wait_http() {
    for _ in $(seq 100); do
        curl -fs -o /dev/null "$1" && return 0
        sleep 0.1
    done
    echo "bench-kit: nothing answers at $1" >&2
    exit 1
}

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# ---- build --------------------------------------------------------------------------------
say "== build (release)"
(cd "$ROOT" && swift build -c release --product KitBench 2>&1 | grep -Ev 'prohibited flag' | tail -1)
BIN=$(cd "$ROOT" && swift build -c release --show-bin-path 2>/dev/null)/KitBench
gcc -O2 -Wall -o "$TMP/idle-client" "$HERE/idle-client.c"

# start_kit NAME: starts KitBench on a free port; sets KIT_PID and KIT_PORT.
start_kit() {
    "$BIN" --port 0 --loops "$LOOPS" --log "$TMP/$1-access.log" >"$TMP/$1.out" 2>"$TMP/$1.err" &
    KIT_PID=$!
    PIDS+=("$KIT_PID")
    for _ in $(seq 100); do
        grep -q '^ready' "$TMP/$1.out" 2>/dev/null && break
        sleep 0.1
    done
    KIT_PORT=$(sed -n 's/^ready port=\([0-9]*\).*/\1/p' "$TMP/$1.out")
    [[ -n $KIT_PORT ]] || { echo "bench-kit: KitBench did not start:" >&2; cat "$TMP/$1.err" >&2; exit 1; }
    wait_http "http://127.0.0.1:$KIT_PORT/hello"
}

# stop_pid PID: stops one process started here and forgets it (so cleanup never signals a reused pid).
stop_pid() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    local kept=() pid
    for pid in "${PIDS[@]}"; do [[ $pid == "$1" ]] || kept+=("$pid"); done
    PIDS=("${kept[@]}")
}

# ---- servers ------------------------------------------------------------------------------
start_kit kit
NGINX_PORT=$(free_port)
mkdir -p "$TMP/nginx"
sed -e "s|@PREFIX@|$TMP/nginx|g" -e "s|@PORT@|$NGINX_PORT|g" -e "s|@WORKERS@|$LOOPS|g" \
    "$HERE/nginx.conf.in" >"$TMP/nginx/nginx.conf"
"$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log" 2>"$TMP/nginx/stderr" &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
wait_http "http://127.0.0.1:$NGINX_PORT/hello"

KIT_URL="http://127.0.0.1:$KIT_PORT/hello"
NGINX_URL="http://127.0.0.1:$NGINX_PORT/hello"

# ---- throughput ---------------------------------------------------------------------------
# to_ms VALUE: wrk latency ("850.00us", "1.20ms", "1.01s") in milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000
        printf "%.2f", n }'
}

# bench NAME URL LABEL: one wrk run; appends "rps p99ms" to $TMP/NAME.results.
bench() {
    local out="$TMP/wrk-$1-$3.txt"
    wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$2" >"$out"
    local rps p99 errors
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
    p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
    errors=$(grep -E 'Socket errors|Non-2xx' "$out" | tr -s ' ' | tr '\n' ';' || true)
    printf '%s %s\n' "$rps" "$p99" >>"$TMP/$1.results"
    printf '  %-5s run %-6s %10.0f req/s   p99 %7s ms  %s\n' "$1" "$3" "$rps" "$p99" "$errors"
}

say "== throughput: wrk -t$THREADS -c$CONNS -d$DURATION --latency, kit $LOOPS loops vs nginx $LOOPS workers"
say "   machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
# A short warm-up for both (page cache, allocator, branch predictors), not counted.
wrk -t"$THREADS" -c"$CONNS" -d2s "$KIT_URL" >/dev/null
wrk -t"$THREADS" -c"$CONNS" -d2s "$NGINX_URL" >/dev/null
for round in $(seq "$ROUNDS"); do
    bench kit "$KIT_URL" "$round"
    bench nginx "$NGINX_URL" "$round"
done

# best NAME: the run with the highest requests/s ("rps p99").
best() { sort -k1,1 -g -r "$TMP/$1.results" | head -1; }
read -r KIT_RPS KIT_P99 <<<"$(best kit)"
read -r NGINX_RPS NGINX_P99 <<<"$(best nginx)"
RATIO=$(awk -v k="$KIT_RPS" -v n="$NGINX_RPS" 'BEGIN {printf "%.3f", k / n}')
VERDICT=$(awk -v r="$RATIO" 'BEGIN {print (r >= 0.70 ? "meets" : "MISSES")}')

# The kit's access log must really have been written (not dropped) for the figure to count.
sleep 0.5
KIT_LINES=$(grep -c '"msg":"request"' "$TMP/kit-access.log" || true)
KIT_DROPPED=$({ grep -o '"dropped":[0-9]*' "$TMP/kit-access.log" || true; } | awk -F: '{s += $2} END {print s + 0}')
NGINX_LINES=$(wc -l <"$TMP/nginx/access.log" || echo 0)
stop_pid "$NGINX_PID"

say "   best of $ROUNDS (highest req/s of each; p99 from that same run):"
say "   kit    $KIT_RPS req/s  p99 $KIT_P99 ms  (access-log lines $KIT_LINES, dropped $KIT_DROPPED)"
say "   nginx  $NGINX_RPS req/s  p99 $NGINX_P99 ms  (access-log lines $NGINX_LINES; the last <=64k may sit in its buffer)"
say "   ratio kit/nginx $RATIO ($VERDICT the 0.70 target)"
stop_pid "$KIT_PID"

# ---- idle memory --------------------------------------------------------------------------
say "== idle memory: $IDLE keep-alive connections, one request each, then idle (client in its own process)"
start_kit idle
curl -fs -o /dev/null "http://127.0.0.1:$KIT_PORT/hello"
sleep 0.5
RSS_BEFORE=$(rss_kib "$KIT_PID")
mkfifo "$TMP/hold"
"$TMP/idle-client" 127.0.0.1 "$KIT_PORT" "$IDLE" /hello <"$TMP/hold" >"$TMP/idle-client.out" 2>"$TMP/idle-client.err" &
CLIENT_PID=$!
PIDS+=("$CLIENT_PID")
exec 3>"$TMP/hold"  # the client holds its connections until this closes
for _ in $(seq 600); do
    grep -q '^held' "$TMP/idle-client.out" && break
    kill -0 "$CLIENT_PID" 2>/dev/null || { echo "bench-kit: idle client failed:" >&2; cat "$TMP/idle-client.err" >&2; exit 1; }
    sleep 0.1
done
grep -q '^held' "$TMP/idle-client.out" || { echo "bench-kit: idle client never held its connections" >&2; exit 1; }
sleep 1  # let the loops finish their bookkeeping and the log writer drain
RSS_AFTER=$(rss_kib "$KIT_PID")
OPEN=$(curl -fs "http://127.0.0.1:$KIT_PORT/connections" | sed 's/[^0-9]//g')
exec 3>&-
CLIENT_RC=0
wait "$CLIENT_PID" || CLIENT_RC=$?
[[ $CLIENT_RC == 0 ]] || { echo "bench-kit: idle client:" >&2; cat "$TMP/idle-client.err" >&2; exit 1; }
PER_CONN=$(awk -v a="$RSS_AFTER" -v b="$RSS_BEFORE" -v n="$IDLE" 'BEGIN {printf "%.2f", (a - b) / n}')
IDLE_VERDICT=$(awk -v p="$PER_CONN" 'BEGIN {print (p <= 4 ? "meets" : "MISSES")}')
say "   VmRSS before $RSS_BEFORE KiB, with $IDLE idle connections $RSS_AFTER KiB (server counted $OPEN open, incl. the probe)"
say "   per connection $PER_CONN KiB ($IDLE_VERDICT the 4 KiB target)"
stop_pid "$KIT_PID"

say "== summary"
say "kit_rps=$KIT_RPS kit_p99_ms=$KIT_P99 nginx_rps=$NGINX_RPS nginx_p99_ms=$NGINX_P99 ratio=$RATIO idle_kib_per_conn=$PER_CONN"
