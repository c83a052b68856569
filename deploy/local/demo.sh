#!/usr/bin/env bash
# The demo `make run` ends with: every instance's health, then a short conversation through
# nginx at the front door: two users sign up and log in, read /users/me, connect WebSockets
# (each to a different relay), and an event published into Redis reaches one of them.
# Rooms and messages have no endpoints yet: the event is published by hand, the way ChatAPI's
# publish script does it (XADD to the channel's log, then PUBLISH with the entry id).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
front="http://127.0.0.1:$NGINX_PORT"
py="$top/.venv/bin/python"
[ -x "$py" ] || die "$py is missing: run deploy/local/install-deps.sh (make deps)"

client_pid=""
trap '[ -n "$client_pid" ] && kill "$client_pid" 2>/dev/null; true' EXIT

# call METHOD PATH [JSON] [TOKEN]: sets STATUS, BODY and UPSTREAM (the X-Upstream nginx added).
call() {
  local args=(-sS --max-time 5 -X "$1" -D "$RUN_DIR/demo.head" -o "$RUN_DIR/demo.body" -w '%{http_code}' "$front$2")
  [ -n "${3:-}" ] && args+=(-H 'Content-Type: application/json' --data "$3")
  [ -n "${4:-}" ] && args+=(-H "Authorization: Bearer $4")
  STATUS=$(curl "${args[@]}")
  BODY=$(cat "$RUN_DIR/demo.body")
  UPSTREAM=$(tr -d '\r' < "$RUN_DIR/demo.head" | awk 'tolower($1)=="x-upstream:"{print $2}')
}
# field JSON NAME: one top-level field of a JSON object.
field() { "$py" -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
expect() { [ "$STATUS" = "$1" ] || die "expected HTTP $1, got $STATUS: $BODY"; }

log "demo: health of every instance, through nginx at $front"
declare -A seen=() relay_source=()
api_count=$(wc -w <<< "$API_PORTS")
for _ in $(seq 1 $((api_count * 3))); do
  call GET /actuator/health
  [ -n "$UPSTREAM" ] && [ -z "${seen[$UPSTREAM]:-}" ] && { seen[$UPSTREAM]=1; echo "    ChatAPI   $UPSTREAM  /actuator/health -> HTTP $STATUS"; }
done
# ChatRelay is sticky by client address (hash $remote_addr): clients from different loopback
# addresses reach different relays. Remember one address per relay for the WebSockets below.
relay_count=$(wc -w <<< "$RELAY_PORTS")
for n in $(seq 1 40); do
  line=$(curl -sS --max-time 3 --interface "127.0.0.$n" -o /dev/null -D - "$front/relay/actuator/health" -w '%{http_code}' \
    | tr -d '\r' | awk 'tolower($1)=="x-upstream:"{u=$2} /^[0-9]+$/{c=$1} END{print u, c}')
  up=${line% *}
  if [ -n "$up" ] && [ -z "${relay_source[$up]:-}" ]; then
    relay_source[$up]="127.0.0.$n"
    echo "    ChatRelay $up  /actuator/health -> HTTP ${line##* } (client 127.0.0.$n)"
  fi
  [ "${#relay_source[@]}" -ge "$relay_count" ] && break
done
sources=("${relay_source[@]}")

log "demo: a conversation through $front"
stamp=$(date +%s)
declare -A id=() access=()
for who in alice bob; do
  name="${who}_$stamp"
  call POST /api/v1/users "{\"username\":\"$name\",\"password\":\"demo-password-$stamp\",\"displayName\":\"${who^}\"}"
  expect 201
  id[$who]=$(field "$BODY" id)
  echo "    POST /api/v1/users    $name -> $STATUS, id ${id[$who]}  (served by $UPSTREAM)"
  call POST /api/v1/tokens "{\"username\":\"$name\",\"password\":\"demo-password-$stamp\"}"
  expect 200
  access[$who]=$(field "$BODY" accessToken)
  echo "    POST /api/v1/tokens   $name -> $STATUS, access token ${access[$who]:0:24}... (expires in $(field "$BODY" expiresIn) s)"
  call GET /api/v1/users/me "" "${access[$who]}"
  expect 200
  echo "    GET  /api/v1/users/me -> $STATUS $BODY"
done

# Bob listens on one relay (in the background, until one event after the welcome)...
out="$RUN_DIR/demo-ws-bob.out"
"$py" "$here/ws-client.py" --source "${sources[-1]}" --count 1 --timeout 5 \
  "ws://127.0.0.1:$NGINX_PORT/ws?token=${access[bob]}" > "$out" 2>&1 &
client_pid=$!
for _ in $(seq 50); do [ "$(wc -l < "$out")" -ge 2 ] && break; sleep 0.1; done
[ "$(wc -l < "$out")" -ge 2 ] || die "bob's WebSocket got no welcome: $(cat "$out")"
echo "    bob   /ws from ${sources[-1]} -> $(sed -n 1p "$out"): $(sed -n 2p "$out")"
# ...Alice connects from an address that reaches the other one, gets her welcome, and leaves.
alice=$("$py" "$here/ws-client.py" --source "${sources[0]}" --timeout 5 "ws://127.0.0.1:$NGINX_PORT/ws?token=${access[alice]}")
echo "    alice /ws from ${sources[0]} -> $(sed -n 1p <<< "$alice"): $(sed -n 2p <<< "$alice")"

# The event ChatAPI will publish when Alice adds Bob as a friend: logged, then published.
envelope="{\"v\":1,\"channel\":\"user:${id[bob]}\",\"type\":\"friend.added\",\"occurredAt\":\"$(date -u +%Y-%m-%dT%H:%M:%S.000Z)\",\"data\":{\"userId\":${id[alice]},\"username\":\"alice_$stamp\",\"displayName\":\"Alice\"}}"
entry=$(redis-cli -p "$REDIS_PORT" XADD "chat:user:${id[bob]}:log" '*' event "$envelope")
receivers=$(redis-cli -p "$REDIS_PORT" PUBLISH "chat:user:${id[bob]}" "${envelope/\{\"v\":1,/{\"v\":1,\"id\":\"$entry\",}")
echo "    redis XADD chat:user:${id[bob]}:log -> $entry; PUBLISH chat:user:${id[bob]} -> $receivers relay(s) subscribed"
status=0
wait "$client_pid" || status=$?
client_pid=""
[ "$status" = 0 ] || die "bob's WebSocket did not receive the event: $(cat "$out")"
echo "    bob   received: $(sed -n 3p "$out")"
echo "    not yet in this build: friends, rooms and messages endpoints (POST /api/v1/friends,"
echo "    /api/v1/rooms, /api/v1/rooms/{id}/messages); the event above was published by hand."
