#!/usr/bin/env bash
# Migrates the schema, then starts two ChatAPI and two ChatRelay (CONTRACT.md "Running") and
# waits until each answers /actuator/health. Needs start-infra.sh first.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ -x "$API_BIN" ] || die "$API_BIN is missing: run 'swift build -c release' (or make run)"
[ -x "$RELAY_BIN" ] || die "$RELAY_BIN is missing: run 'swift build -c release' (or make run)"
check_ports_free $API_PORTS $RELAY_PORTS

db_url() { echo "mysql://$1:$2@127.0.0.1:$3/chat"; }
export CHAT_HOST=127.0.0.1
export CHAT_DB_PRIMARY=$(db_url chat "$APP_PASSWORD" "$DB_PRIMARY_PORT")
export CHAT_DB_REPLICAS=$(db_url chat "$APP_PASSWORD" "$DB_REPLICA_PORT")
export CHAT_DB_MIGRATE=$(db_url chat_migrate "$MIGRATE_PASSWORD" "$DB_PRIMARY_PORT")
export CHAT_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
export CHAT_JWT_SECRET=$JWT_SECRET
export CHAT_LOG_LEVEL=${CHAT_LOG_LEVEL:-info}
export CHAT_TRUSTED_PROXIES=${CHAT_TRUSTED_PROXIES:-127.0.0.0/8,::1/128}

# The schema first, once (the instances would also migrate at start-up, under a lock).
log "migrating the schema"
"$API_BIN" migrate > "$LOGS/migrate.log" 2>&1 || die "ChatAPI migrate failed, see $LOGS/migrate.log"
echo "    schema up to date"

i=0
for port in $API_PORTS; do
  i=$((i + 1))
  CHAT_API_PORT=$port spawn "chat-api-$i" "$API_BIN" "$API_BIN"
done
i=0
for port in $RELAY_PORTS; do
  i=$((i + 1))
  CHAT_RELAY_PORT=$port spawn "chat-relay-$i" "$RELAY_BIN" "$RELAY_BIN"
done

wait_service() { # name port
  local name=$1 port=$2 pid marker
  read -r pid marker < "$PIDS/$name.pid"
  local deadline=$((SECONDS + READY_TIMEOUT))
  until http_ok "http://127.0.0.1:$port/actuator/health"; do
    pid_alive_with_marker "$pid" "$marker" || { tail -5 "$LOGS/$name.log" >&2; die "$name exited before it was ready, see $LOGS/$name.log"; }
    [ $SECONDS -lt $deadline ] || die "$name is not healthy on :$port after ${READY_TIMEOUT}s, see $LOGS/$name.log"
    sleep 0.1
  done
  echo "    $name ready on :$port"
}
i=0; for port in $API_PORTS; do i=$((i + 1)); wait_service "chat-api-$i" "$port"; done
i=0; for port in $RELAY_PORTS; do i=$((i + 1)); wait_service "chat-relay-$i" "$port"; done
