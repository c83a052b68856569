#!/usr/bin/env bash
# Issue 5's fan-out benchmark, ChatRelay and the seed's Node peer side by side in one run (see
# docs/capacity.md "Relay fan-out" for how to read it):
#  1. FANOUT_CONNECTIONS WebSocket clients (wsload, C/epoll) in FANOUT_ROOMS rooms, events
#     published at fixed rates: ChatRelay runs every rate of FANOUT_RATES (and
#     FANOUT_COMPARE_RATE); the highest where its p99 <= FANOUT_P99_MS is the fixed rate,
#     and the Node peer runs at that rate and at FANOUT_COMPARE_RATE. Per step: deliveries/s,
#     latency p50/p99, deliveries per server CPU-second (utime+stime from /proc over the
#     publishing window).
#  2. idle RSS per connection of each fresh server at FANOUT_CONNECTIONS, and of a fresh
#     ChatRelay at FANOUT_IDLE_CONNECTIONS.
# Its own redis-server on a free loopback port in a temp dir; loopback only; everything
# started here is stopped on exit; about 3-4 minutes with the defaults (plus the build).
#
# Knobs (environment, defaults in brackets): FANOUT_CONNECTIONS [10000] FANOUT_ROOMS [10]
#   FANOUT_RATES ["50 100 150 200 400 800"] FANOUT_COMPARE_RATE [100]
#   FANOUT_SECONDS [6] per step, FANOUT_ROUNDS [2] runs of each side at the fixed rate
#   (alternating; the best counts), FANOUT_P99_MS [50], FANOUT_IDLE_CONNECTIONS [18000],
#   FANOUT_LOOPS [nproc] relay event loops, FANOUT_SOURCES [20] client source addresses
#   127.0.0.1..127.0.0.K, FANOUT_SHARED (the shared bench kit; default ../shared/bench
#   beside the repo), FANOUT_KEEP=1 keeps the temp dir (logs, step JSON).
set -euo pipefail

CONNS=${FANOUT_CONNECTIONS:-10000}
ROOMS=${FANOUT_ROOMS:-10}
RATES=${FANOUT_RATES:-50 100 150 200 400 800}
COMPARE=${FANOUT_COMPARE_RATE:-100}
SECS=${FANOUT_SECONDS:-6}
ROUNDS=${FANOUT_ROUNDS:-2}
P99=${FANOUT_P99_MS:-50}
IDLE=${FANOUT_IDLE_CONNECTIONS:-18000}
LOOPS=${FANOUT_LOOPS:-$(nproc)}
SOURCES=${FANOUT_SOURCES:-20}
SECRET='bench-secret-bench-secret-bench-secret!!'   # the shared kit's default (mktokens.py, the peer)
CONNECT_BUDGET=10   # seconds a step allows for all connections to open
SETTLE=2            # then seconds before publishing: welcome frames, subscriptions

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/deploy/local/bench/fanout"
say() { printf '%s\n' "$*"; }
die() { printf 'bench-fanout: %s\n' "$*" >&2; exit 1; }

for v in CONNS ROOMS COMPARE SECS ROUNDS P99 IDLE LOOPS SOURCES; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
for r in $RATES; do [[ $r =~ ^[1-9][0-9]*$ ]] || die "rates must be positive integers (got '$r')"; done
(( CONNS % ROOMS == 0 )) || die "FANOUT_CONNECTIONS must be a multiple of FANOUT_ROOMS"
(( SOURCES <= 254 )) || die "FANOUT_SOURCES must be at most 254"

# ---- what it needs ------------------------------------------------------------------------
# The shared kit is read-only and carries no licence: it is referenced where it is, not copied.
SHARED=${FANOUT_SHARED:-}
if [[ -z $SHARED ]]; then
    for candidate in "$ROOT/../shared/bench" "$ROOT/../../shared/bench"; do
        [[ -f $candidate/wsload.c ]] && { SHARED=$(cd "$candidate" && pwd); break; }
    done
fi
[[ -n $SHARED && -f $SHARED/wsload.c && -f $SHARED/mktokens.py && -f $SHARED/peer_node_relay.js ]] \
    || die "the shared bench kit (wsload.c, mktokens.py, peer_node_relay.js) is not at ../shared/bench; set FANOUT_SHARED"

need_debs=()
for p in nodejs node-ws node-redis redis-server gcc curl iproute2; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_debs+=("$p")
done
if (( ${#need_debs[@]} )); then
    [[ $(id -u) -eq 0 ]] || die "missing Debian packages: ${need_debs[*]} (apt-get install them as root)"
    say "== installing ${need_debs[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_debs[@]}" >/dev/null \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_debs[@]}" >/dev/null; }
fi
PY="$ROOT/.venv/bin/python"
if ! "$PY" -c 'import redis' 2>/dev/null; then
    say "== preparing the project venv (deploy/local/install-deps.sh)"
    "$ROOT/deploy/local/install-deps.sh"
    "$PY" -c 'import redis' || die "python redis is still missing from $ROOT/.venv"
fi
NODE_PATH=/usr/share/nodejs node -e 'require("ws"); require("redis")' 2>/dev/null \
    || die "node cannot load ws and redis from /usr/share/nodejs (node-ws, node-redis)"

HARD=$(ulimit -Hn)
ulimit -n "$HARD"   # wsload asks for 2^20 and keeps the soft limit when that is refused
PER_CLIENT=$(( HARD - 64 ))

TMP=$(mktemp -d /tmp/bench-fanout.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [[ -n ${FANOUT_KEEP:-} ]]; then echo "kept: $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

forget() { local keep=() p; for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done; PIDS=("${keep[@]}"); }
stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; forget "$1"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
user_ticks() { awk '{print $14}' "/proc/$1/stat"; }
established() { ss -Htn state established "sport = :$1" | wc -l; }
now_ms() { date +%s%3N; }
sleep_until_ms() { local left=$(( $1 - $(now_ms) )); (( left > 0 )) && sleep "$(printf '%d.%03d' $((left / 1000)) $((left % 1000)))"; return 0; }
neighbours() {
    say "  load average: $(cut -d' ' -f1-3 /proc/loadavg); busiest processes over 1 s (%CPU of one core):"
    # The second frame of top: CPU over its 1 s interval, not since each process started.
    top -bn2 -d1 -w 200 2>/dev/null | awk '/^top -/ {frame++} frame == 2 && $1 ~ /^[0-9]+$/ && $9 + 0 >= 3 {print "    " $1, $9, $12}' \
        | head -8 || true
}

say "== bench-fanout $(date -u +%FT%TZ) on $(nproc) cores; kit from $SHARED; temp $TMP"
neighbours

# ---- build --------------------------------------------------------------------------------
say "== build (release ChatRelay, wsload)"
start=$SECONDS
(cd "$ROOT" && swift build -c release --product ChatRelay 2>&1 | grep -Ev 'prohibited flag' | tail -1)
RELAY_BIN=$(cd "$ROOT" && swift build -c release --show-bin-path 2>/dev/null)/ChatRelay
[[ -x $RELAY_BIN ]] || die "no ChatRelay at $RELAY_BIN"
cc -O2 -o "$TMP/wsload" "$SHARED/wsload.c"
cc -O2 -o "$TMP/floor_relay" "$HERE/floor_relay.c" -lcrypto
say "  built in $(( SECONDS - start )) s"

# ---- redis and tokens ---------------------------------------------------------------------
REDIS_PORT=$(free_port)
mkdir -p "$TMP/redis"
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$TMP/redis" --save '' --appendonly no \
    --maxclients 1000 --loglevel warning >"$TMP/redis.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG || die "redis-server did not start: $(cat "$TMP/redis.log")"
export REDIS_PORT
TOKENS=$(( IDLE > CONNS ? IDLE : CONNS ))
"$PY" "$SHARED/mktokens.py" "$TOKENS" "$ROOMS" "$SECRET" > "$TMP/tokens"
say "  redis on 127.0.0.1:$REDIS_PORT; $TOKENS users, user i in room i % $ROOMS + 1"

start_relay() {
    RELAY_PORT=$(free_port)
    CHAT_HOST=127.0.0.1 CHAT_RELAY_PORT=$RELAY_PORT CHAT_REDIS_URL="redis://127.0.0.1:$REDIS_PORT" \
        CHAT_JWT_SECRET="$SECRET" CHAT_EVENT_LOOPS=$LOOPS "$RELAY_BIN" >>"$TMP/relay.log" 2>&1 </dev/null &
    RELAY_PID=$!
    PIDS+=("$RELAY_PID")
    for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$RELAY_PORT/actuator/health" && return 0; sleep 0.1; done
    die "ChatRelay did not become healthy: $(tail -5 "$TMP/relay.log")"
}

# The floor: a C server that only writes each frame to each member (floor_relay.c).
start_floor() {
    FLOOR_PORT=$(free_port)
    "$TMP/floor_relay" "$FLOOR_PORT" "$REDIS_PORT" "$ROOMS" >>"$TMP/floor.log" 2>&1 </dev/null &
    FLOOR_PID=$!
    PIDS+=("$FLOOR_PID")
    for _ in $(seq 100); do grep -q "floor relay on" "$TMP/floor.log" && return 0; sleep 0.1; done
    die "the floor relay did not start: $(tail -5 "$TMP/floor.log")"
}

start_node() {
    NODE_PORT=$(free_port)
    CHAT_JWT_SECRET="$SECRET" NODE_PATH=/usr/share/nodejs node "$SHARED/peer_node_relay.js" "$NODE_PORT" \
        >>"$TMP/node.log" 2>&1 </dev/null &
    NODE_PID=$!
    PIDS+=("$NODE_PID")
    for _ in $(seq 100); do grep -q "peer node relay on" "$TMP/node.log" && return 0; sleep 0.1; done
    die "the Node peer did not start: $(tail -5 "$TMP/node.log")"
}

# step SIDE PID PORT N RATE: N clients (split over processes of at most PER_CLIENT), then
# RATE events/s for SECS (RATE 0: idle, memory only). Appends a JSON line to steps.jsonl.
step() {
    local side=$1 pid=$2 port=$3 n=$4 rate=$5
    local procs=$(( (n + PER_CLIENT - 1) / PER_CLIENT )) i from count loads=() lpids=()
    local publish_s=$(( rate > 0 ? SECS : 0 ))
    local duration=$(( CONNECT_BUDGET + SETTLE + publish_s + 2 ))
    local rss0 rss1 c0 c1 u0 u1 t0 published="-"
    rss0=$(rss_kib "$pid")
    t0=$(now_ms)
    for (( i = 0; i < procs; i++ )); do
        from=$(( i * n / procs )); count=$(( (i + 1) * n / procs - from ))
        sed -n "$(( from + 1 )),$(( from + count ))p" "$TMP/tokens" > "$TMP/tokens.$i"
        "$TMP/wsload" 127.0.0.1 "$port" '/ws?token=%s' "$count" "$duration" "$TMP/tokens.$i" "$SOURCES" \
            > "$TMP/wsload.$i.json" 2>"$TMP/wsload.$i.err" &
        lpids+=($!); PIDS+=($!)
    done
    while (( $(established "$port") < n && $(now_ms) < t0 + CONNECT_BUDGET * 1000 )); do sleep 0.2; done
    sleep_until_ms $(( t0 + (CONNECT_BUDGET + SETTLE) * 1000 ))
    rss1=$(rss_kib "$pid"); c0=$(cpu_ticks "$pid"); u0=$(user_ticks "$pid")
    local client_ticks=0 lp
    for lp in "${lpids[@]}"; do client_ticks=$(( client_ticks - $(cpu_ticks "$lp" 2>/dev/null || echo 0) )); done
    if (( rate > 0 )); then
        published=$("$PY" "$HERE/publish_events.py" "$ROOMS" "$rate" "$SECS")
    fi
    # CPU is read just before the clients' deadline: the backlog is drained by then and the
    # clients' exit (n closes to handle) is not counted.
    sleep_until_ms $(( t0 + duration * 1000 - 300 ))
    c1=$(cpu_ticks "$pid"); u1=$(user_ticks "$pid")
    for lp in "${lpids[@]}"; do client_ticks=$(( client_ticks + $(cpu_ticks "$lp" 2>/dev/null || echo 0) )); done
    for i in "${lpids[@]}"; do wait "$i" || true; forget "$i"; done
    for (( i = 0; i < procs; i++ )); do
        [[ -s $TMP/wsload.$i.json ]] || die "wsload produced nothing: $(cat "$TMP/wsload.$i.err")"
        loads+=("$(cat "$TMP/wsload.$i.json")")
    done
    FANOUT_CLIENT_TICKS=$client_ticks FANOUT_USER_TICKS=$(( u1 - u0 )) "$PY" "$HERE/step_result.py" "$side" "$n" "$ROOMS" "$rate" "$(getconf CLK_TCK)" "$c0" "$c1" "$rss0" "$rss1" \
        "$published" "${loads[@]}" >> "$TMP/steps.jsonl"
    export FANOUT_FRESH=0
    # Let the server see every close before the next step measures it.
    for _ in $(seq 50); do (( $(established "$port") == 0 )) && break; sleep 0.1; done
}

# holds: the last step kept p99 within the target with everything delivered and no failures.
holds() {
    "$PY" -c 'import json,sys; s=json.loads(open(sys.argv[1]).readlines()[-1]); t=float(sys.argv[2])
sys.exit(0 if s["p99_ms"] is not None and s["p99_ms"] <= t and s["delivered_fraction"] >= 0.99 and s["failed"] == 0 else 1)' \
        "$TMP/steps.jsonl" "$P99"
}
# saturated: the last step delivered under 95 % of what was published (a higher rate only adds backlog).
saturated() { "$PY" -c 'import json,sys; sys.exit(0 if json.loads(open(sys.argv[1]).readlines()[-1])["delivered_fraction"] < 0.95 else 1)' "$TMP/steps.jsonl"; }

# ---- ChatRelay: every rate, the best one holding the p99 target is the fixed rate -----------
say "== ChatRelay ($LOOPS loops), $CONNS connections in $ROOMS rooms, ${SECS} s per rate"
start_relay
export FANOUT_FRESH=1
FIXED=""
for rate in $(tr ' ' '\n' <<<"$RATES $COMPARE" | sort -nu); do
    step ChatRelay "$RELAY_PID" "$RELAY_PORT" "$CONNS" "$rate"
    holds && FIXED=$rate
    (( rate >= COMPARE )) && saturated && break
done
if [[ -n $FIXED ]]; then
    say "  fixed rate: $FIXED events/s (the highest tried where ChatRelay holds p99 <= $P99 ms)"
else
    FIXED=$COMPARE
    say "  ChatRelay held p99 <= $P99 ms at no rate tried; comparing at $COMPARE events/s"
fi

# ---- the Node peer at the comparison rate and the fixed rate ----------------------------
say "== node-peer, $CONNS connections in $ROOMS rooms"
start_node
export FANOUT_FRESH=1
for rate in $(printf '%s\n' "$COMPARE" "$FIXED" | sort -nu); do step node-peer "$NODE_PID" "$NODE_PORT" "$CONNS" "$rate"; done

# ---- more rounds at the fixed rate, alternating (neighbours come and go) --------------------
for (( round = 2; round <= ROUNDS; round++ )); do
    say "== round $round at $FIXED events/s"
    step ChatRelay "$RELAY_PID" "$RELAY_PORT" "$CONNS" "$FIXED"
    step node-peer "$NODE_PID" "$NODE_PORT" "$CONNS" "$FIXED"
done
stop_pid "$RELAY_PID"
stop_pid "$NODE_PID"

# ---- the floor at the same rates: what one write per delivery costs on this machine --------
say "== floor (C, one write per delivery, nothing else), $CONNS connections in $ROOMS rooms"
start_floor
export FANOUT_FRESH=1
for rate in $(printf '%s\n' "$COMPARE" "$FIXED" | sort -nu); do step floor "$FLOOR_PID" "$FLOOR_PORT" "$CONNS" "$rate"; done
stop_pid "$FLOOR_PID"
grep -h '"short_writes"' "$TMP/floor.log" | tail -1 | sed 's/^/  floor: /'

# ---- ChatRelay idle at IDLE connections ---------------------------------------------------
say "== ChatRelay idle, $IDLE connections (fresh process; fd limit $HARD)"
start_relay
export FANOUT_FRESH=1
step ChatRelay "$RELAY_PID" "$RELAY_PORT" "$IDLE" 0
grep -h '"open files limit"' "$TMP/relay.log" | tail -1 | sed 's/^/  relay log: /'
stop_pid "$RELAY_PID"

"$PY" "$HERE/summary.py" "$P99" "$COMPARE" "$FIXED" < "$TMP/steps.jsonl"
neighbours
say "  total $(( SECONDS )) s"
