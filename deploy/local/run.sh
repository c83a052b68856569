#!/usr/bin/env bash
# `make run`: starts the whole stack (start-infra.sh, start-services.sh), prints where things
# are, then runs demo.sh. `make stop` (stop.sh) stops it. Ports: deploy/local/README.md.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
started=$EPOCHREALTIME

if [ -d "$PIDS" ] && ls "$PIDS"/*.pid >/dev/null 2>&1; then
  for f in "$PIDS"/*.pid; do
    read -r pid marker < "$f"
    pid_alive_with_marker "$pid" "$marker" && die "the stack is already running ($(basename "$f" .pid) pid $pid): make stop first"
  done
  rm -f "$PIDS"/*.pid
fi

# A failure half way leaves nothing running.
trap 'status=$?; [ $status -eq 0 ] || { echo "start-up failed: stopping what was started" >&2; "$here/stop.sh" >/dev/null; }' EXIT

"$here/start-infra.sh"
"$here/start-services.sh"
trap - EXIT
elapsed=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b - a}')

cat <<INFO

The chat stack is up (ready in ${elapsed}s). Data and logs: $RUN_DIR
  front door (nginx)  http://127.0.0.1:$NGINX_PORT   (/api/, /actuator/, /ws, /socket.io/)
  ChatAPI             $(for p in $API_PORTS; do printf 'http://127.0.0.1:%s  ' "$p"; done)
  ChatRelay           $(for p in $RELAY_PORTS; do printf 'http://127.0.0.1:%s  ' "$p"; done)
  MariaDB primary     127.0.0.1:$DB_PRIMARY_PORT  (replica 127.0.0.1:$DB_REPLICA_PORT, database chat,
                      app user chat / $APP_PASSWORD, migrations chat_migrate / $MIGRATE_PASSWORD)
  Redis               redis://127.0.0.1:$REDIS_PORT
  logs                $LOGS, $RUN_DIR/nginx/logs
  stop it with        make stop

INFO
"$here/demo.sh"
