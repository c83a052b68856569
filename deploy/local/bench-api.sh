#!/usr/bin/env bash
# Issue 4's benchmark: ChatAPI through nginx with wrk (keep-alive), on the local stack.
#  1. GET /api/v1/users/me with a real access token: requests/s, p99, and the share of the
#     database reads the replica served (chat_db_queries_total{target} of every ChatAPI
#     instance, read before and after the run).
#  2. POST /api/v1/tokens/refresh: requests/s; refresh tokens rotate, so bench/api/refresh.lua
#     gives every request an unspent one (each response's new token goes back to the pool).
# Uses a running `make run` stack (the LOCAL_* ports of lib.sh), or starts one from the release
# build and stops it at the end. Loopback only; about 30 s.
#
# The refresh limit per client address (CHAT_RATE_REFRESH_PER_ADDRESS, 1,200 a minute) would
# turn most of a 10 s run into 429s. A stack this script starts gets a high limit; on a stack
# that was already running, the counter of the benchmark's own address is deleted from the
# local Redis twice a second instead. The rate-limit script still runs for every request.
#
# Knobs: BENCH_DURATION=10s BENCH_THREADS=2 BENCH_CONNECTIONS=32 BENCH_REFRESH_CONNECTIONS=16
set -euo pipefail
source "$(dirname "$0")/lib.sh"
DURATION=${BENCH_DURATION:-10s}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-32}
REFRESH_CONNS=${BENCH_REFRESH_CONNECTIONS:-16}
front="http://127.0.0.1:$NGINX_PORT"
for tool in wrk curl redis-cli python3; do
  command -v "$tool" >/dev/null || die "bench-api: $tool is missing (make deps)"
done

TMP=$(mktemp -d /tmp/bench-api.XXXXXX)
started_here="" limiter=""
cleanup() {
  [ -n "$limiter" ] && kill "$limiter" 2>/dev/null
  [ -n "$started_here" ] && { echo "== stopping the stack bench-api started"; "$here/stop.sh" >/dev/null; }
  rm -rf "$TMP"
}
trap cleanup EXIT

if http_ok "$front/actuator/health"; then
  echo "== using the running stack at $front"
else
  echo "== no stack at $front: starting one ($API_BIN)"
  started_here=1
  export CHAT_RATE_REFRESH_PER_ADDRESS=100000000
  "$here/start-infra.sh" >/dev/null
  "$here/start-services.sh" >/dev/null
fi

# post PATH JSON: the response body; fails on a non-2xx answer.
post() { curl -fsS --max-time 10 -H 'Content-Type: application/json' --data "$2" "$front$1"; }
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

# Users and tokens: one access token for the reads; REFRESH_CONNS + THREADS refresh tokens (one
# session each) spread over users logging in at most 5 times (the login limit is 10 a minute).
stamp=$(date +%s)
password="bench-password-$stamp"
tokens_needed=$((REFRESH_CONNS + THREADS))
users=$(((tokens_needed + 4) / 5))
: > "$TMP/refresh-tokens"
for u in $(seq 1 "$users"); do
  name="bench_${stamp}_$u"
  post /api/v1/users "{\"username\":\"$name\",\"password\":\"$password\",\"displayName\":\"Bench $u\"}" > /dev/null
  for _ in 1 2 3 4 5; do
    [ "$(wc -l < "$TMP/refresh-tokens")" -ge "$tokens_needed" ] && break
    pair=$(post /api/v1/tokens "{\"username\":\"$name\",\"password\":\"$password\"}")
    field "$pair" refreshToken >> "$TMP/refresh-tokens"
    access=$(field "$pair" accessToken)
  done
done
curl -fsS -o /dev/null -H "Authorization: Bearer $access" "$front/api/v1/users/me" \
  || die "GET /api/v1/users/me with the bench token failed"

# db_reads: "primary_read replica_read" summed over every ChatAPI instance, straight from each.
db_reads() {
  local port primary=0 replica=0 p r
  for port in $API_PORTS; do
    read -r p r < <(curl -fsS --max-time 5 "http://127.0.0.1:$port/actuator/prometheus" | awk '
      /^chat_db_queries_total\{.*target="primary_read"/ {p = $NF}
      /^chat_db_queries_total\{.*target="replica_read"/ {r = $NF}
      END {printf "%d %d\n", p, r}')
    primary=$((primary + p)) replica=$((replica + r))
  done
  echo "$primary $replica"
}
to_ms() {
  awk -v v="$1" 'BEGIN { n = v + 0
    if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000
    printf "%.2f", n }'
}
# report NAME FILE: the figures of one wrk run.
report() {
  local rps p99 requests non2xx errors
  rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$2")
  requests=$(awk '/requests in/ {print $1}' "$2")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$2")")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$2")
  errors=$(grep -E 'Socket errors' "$2" | sed 's/^ *//' || true)
  echo "   $1: $rps requests/s, p99 $p99 ms, $requests requests, ${non2xx:-0} non-2xx${errors:+, $errors}"
}

echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); wrk -t$THREADS, keep-alive, through nginx :$NGINX_PORT"
echo "== GET /api/v1/users/me, $CONNS connections, $DURATION"
wrk -t"$THREADS" -c"$CONNS" -d2s -H "Authorization: Bearer $access" "$front/api/v1/users/me" > /dev/null   # warm-up
read -r primary0 replica0 < <(db_reads)
wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -H "Authorization: Bearer $access" \
  "$front/api/v1/users/me" > "$TMP/me.txt"
read -r primary1 replica1 < <(db_reads)
report "GET /users/me" "$TMP/me.txt"
awk -v p=$((primary1 - primary0)) -v r=$((replica1 - replica0)) 'BEGIN {
  printf "   database reads during the run: replica %d, primary %d -> replica share %.1f %%\n", r, p, (p + r) ? 100 * r / (p + r) : 0 }'

echo "== POST /api/v1/tokens/refresh, $REFRESH_CONNS connections, $DURATION (one unspent token per request)"
limit_key="chat:ratelimit:refresh-addr:127.0.0.1"
( while true; do redis-cli -p "$REDIS_PORT" DEL "$limit_key" > /dev/null; sleep 0.5; done ) &
limiter=$!
wrk -t"$THREADS" -c"$REFRESH_CONNS" -d"$DURATION" --latency -s "$here/bench/api/refresh.lua" \
  "$front/api/v1/tokens/refresh" -- "$TMP/refresh-tokens" "$THREADS" > "$TMP/refresh.txt"
kill "$limiter" 2>/dev/null; wait "$limiter" 2>/dev/null || true
limiter=""
report "POST /tokens/refresh" "$TMP/refresh.txt"
