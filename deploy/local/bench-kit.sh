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
    forget_pid "$1"
}
forget_pid() {
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

# cpu_ctx PID...: "cpu_ticks context_switches" summed over the processes and all their threads
# (utime+stime from /proc/PID/stat, voluntary+involuntary switches from each task's status).
cpu_ctx() {
    local ticks=0 ctx=0 pid
    for pid in "$@"; do
        ticks=$((ticks + $(sed 's/^.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}')))
        ctx=$((ctx + $(cat /proc/"$pid"/task/*/status | awk '/ctxt_switches/ {s += $2} END {print s + 0}')))
    done
    echo "$ticks $ctx"
}
HZ=$(getconf CLK_TCK)

# bench NAME URL LABEL PID...: one wrk run; appends "rps p99ms" to $TMP/NAME.results and
# prints the server's CPU time and context switches per request (less noisy than req/s on a
# shared machine: they do not depend on how much CPU the neighbours left us).
bench() {
    local name=$1 url=$2 label=$3
    shift 3
    local out="$TMP/wrk-$name-$label.txt" t0 c0 t1 c1
    read -r t0 c0 <<<"$(cpu_ctx "$@")"
    wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$url" >"$out"
    read -r t1 c1 <<<"$(cpu_ctx "$@")"
    local rps p99 requests errors
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
    requests=$(awk '/requests in/ {print $1}' "$out")
    p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
    errors=$(grep -E 'Socket errors|Non-2xx' "$out" | tr -s ' ' | tr '\n' ';' || true)
    printf '%s %s\n' "$rps" "$p99" >>"$TMP/$name.results"
    awk -v n="$name" -v l="$label" -v rps="$rps" -v p99="$p99" -v r="$requests" -v hz="$HZ" \
        -v dt=$((t1 - t0)) -v dc=$((c1 - c0)) -v e="$errors" 'BEGIN {
        printf "  %-5s run %-2s %9.0f req/s   p99 %6.2f ms   server CPU %5.2f us/req   ctx switches %.3f/req  %s\n",
               n, l, rps, p99, dt * 1e6 / hz / r, dc / r, e }'
}

say "== throughput: wrk -t$THREADS -c$CONNS -d$DURATION --latency, kit $LOOPS loops vs nginx $LOOPS workers"
say "   machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
# A short warm-up for both (page cache, allocator, branch predictors), not counted.
wrk -t"$THREADS" -c"$CONNS" -d2s "$KIT_URL" >/dev/null
wrk -t"$THREADS" -c"$CONNS" -d2s "$NGINX_URL" >/dev/null
NGINX_WORKERS=$(pgrep -P "$NGINX_PID" | tr '\n' ' ')
for round in $(seq "$ROUNDS"); do
    bench kit "$KIT_URL" "$round" "$KIT_PID"
    # shellcheck disable=SC2086 # one argument per worker pid
    bench nginx "$NGINX_URL" "$round" $NGINX_WORKERS
done

# best NAME: the run with the highest requests/s ("rps p99").
best() { sort -k1,1 -g -r "$TMP/$1.results" | head -1; }
read -r KIT_RPS KIT_P99 <<<"$(best kit)"
read -r NGINX_RPS NGINX_P99 <<<"$(best nginx)"
RATIO=$(awk -v k="$KIT_RPS" -v n="$NGINX_RPS" 'BEGIN {printf "%.3f", k / n}')
VERDICT=$(awk -v r="$RATIO" 'BEGIN {print (r >= 0.70 ? "meets" : "MISSES")}')

# The kit's access log must really have been written (not dropped) for the figure to count.
stop_pid "$KIT_PID"
KIT_LINES=$(grep -c '"msg":"request"' "$TMP/kit-access.log" || true)
KIT_DROPPED=$({ grep -o '"dropped":[0-9]*' "$TMP/kit-access.log" || true; } | awk -F: '{s += $2} END {print s + 0}')
KIT_REQUESTS=$(cat "$TMP"/wrk-kit-*.txt | awk '/requests in/ {s += $1} END {print s}')

say "   best of $ROUNDS (highest req/s of each; p99 from that same run):"
say "   kit    $KIT_RPS req/s  p99 $KIT_P99 ms  (access-log lines $KIT_LINES for $KIT_REQUESTS measured requests + warm-up; dropped $KIT_DROPPED)"
say "   nginx  $NGINX_RPS req/s  p99 $NGINX_P99 ms"
say "   ratio kit/nginx $RATIO ($VERDICT the 0.70 target)"

# ---- idle memory --------------------------------------------------------------------------
# hold_idle NAME PORT PID...: holds $IDLE used keep-alive connections to PORT from a separate
# client process; prints the summed VmRSS of PID... before and after, and the difference per
# connection. Sets PER_CONN.
hold_idle() {
    local name=$1 port=$2
    shift 2
    curl -fs -o /dev/null "http://127.0.0.1:$port/hello"
    sleep 0.5
    local before=0 after=0 pid
    for pid in "$@"; do before=$((before + $(rss_kib "$pid"))); done
    rm -f "$TMP/hold"
    mkfifo "$TMP/hold"
    "$TMP/idle-client" 127.0.0.1 "$port" "$IDLE" /hello <"$TMP/hold" >"$TMP/idle-$name.out" 2>"$TMP/idle-$name.err" &
    local client=$!
    PIDS+=("$client")
    exec 3>"$TMP/hold"  # the client holds its connections until this closes
    for _ in $(seq 600); do
        grep -q '^held' "$TMP/idle-$name.out" && break
        kill -0 "$client" 2>/dev/null || break
        sleep 0.1
    done
    if ! grep -q '^held' "$TMP/idle-$name.out"; then
        echo "bench-kit: the idle client could not hold $IDLE connections to $name:" >&2
        cat "$TMP/idle-$name.err" >&2
        exit 1
    fi
    sleep 1  # let the server finish its bookkeeping (and the kit's log writer drain)
    for pid in "$@"; do after=$((after + $(rss_kib "$pid"))); done
    local open=""
    [[ $name == kit ]] && open=", server counts $(curl -fs "http://127.0.0.1:$port/connections" | tr -dc '0-9') open incl. the probe"
    exec 3>&-
    local rc=0
    wait "$client" || rc=$?
    forget_pid "$client"
    [[ $rc == 0 ]] || { echo "bench-kit: idle client ($name):" >&2; cat "$TMP/idle-$name.err" >&2; exit 1; }
    PER_CONN=$(awk -v a="$after" -v b="$before" -v n="$IDLE" 'BEGIN {printf "%.2f", (a - b) / n}')
    say "   $name: VmRSS before $before KiB, holding $IDLE $after KiB$open -> $PER_CONN KiB per connection"
}

say "== idle memory: $IDLE keep-alive connections, one request each, then idle (client in its own process)"
# shellcheck disable=SC2086 # one argument per worker pid
hold_idle nginx "$NGINX_PORT" $NGINX_WORKERS
NGINX_PER_CONN=$PER_CONN
stop_pid "$NGINX_PID"
start_kit idle
hold_idle kit "$KIT_PORT" "$KIT_PID"
KIT_PER_CONN=$PER_CONN
stop_pid "$KIT_PID"
IDLE_VERDICT=$(awk -v p="$KIT_PER_CONN" 'BEGIN {print (p <= 4 ? "meets" : "MISSES")}')
say "   kit $KIT_PER_CONN KiB per idle connection ($IDLE_VERDICT the 4 KiB target; nginx workers $NGINX_PER_CONN KiB for reference)"

say "== summary"
say "kit_rps=$KIT_RPS kit_p99_ms=$KIT_P99 nginx_rps=$NGINX_RPS nginx_p99_ms=$NGINX_P99 ratio=$RATIO kit_idle_kib_per_conn=$KIT_PER_CONN nginx_idle_kib_per_conn=$NGINX_PER_CONN"
