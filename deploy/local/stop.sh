#!/usr/bin/env bash
# Stops exactly what run.sh / start-infra.sh / start-services.sh started: the processes named
# in $RUN_DIR/pids whose command line still carries the recorded marker. Nothing else.
# SIGTERM first (MariaDB and Redis flush, the services drain), SIGKILL after a bound.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
[ -d "$PIDS" ] || { echo "nothing to stop (no $PIDS)"; exit 0; }

# Live members of a process group (an exited leader lingers as a zombie until it is reaped).
live_group_members() { # pgid
  local p state
  for p in $(pgrep -g "$1" 2>/dev/null); do
    state=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f1)
    [ -n "$state" ] && [ "$state" != Z ] && echo "$p"
  done
  return 0
}

stop_one() { # pid-file
  local file=$1 name pid marker
  name=$(basename "$file" .pid)
  read -r pid marker < "$file"
  if [ -n "$pid" ] && pid_alive_with_marker "$pid" "$marker"; then
    # spawn (setsid) made it a process group leader: its forks (nginx workers) are in the group.
    local group=""
    [ "$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ')" = "$pid" ] && group=$pid
    kill -TERM "$pid" 2>/dev/null
    local deadline=$((SECONDS + ${LOCAL_STOP_TIMEOUT:-20}))
    while pid_alive_with_marker "$pid" "$marker" && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    if pid_alive_with_marker "$pid" "$marker"; then
      echo "    $name ($pid) did not stop, killing it"
      # The whole group: a SIGKILLed nginx master leaves its workers serving otherwise.
      if [ -n "$group" ]; then kill -KILL -- "-$group" 2>/dev/null; else kill -KILL "$pid" 2>/dev/null; fi
    fi
    # Members of the group that outlived the leader. Checked at once: while any member lives the
    # group id cannot be handed to another process.
    if [ -n "$group" ]; then
      local stray
      for stray in $(live_group_members "$group"); do
        echo "    $name ($pid) left pid $stray behind, killing it"
        kill -KILL "$stray" 2>/dev/null
      done
    fi
    echo "    stopped $name ($pid)"
  fi
  rm -f "$file"
}

log "stopping what $RUN_DIR/pids names"
# Services first (they drain against the databases), then the front door, then the data.
for group in "chat-api-* chat-relay-*" "nginx" "redis mariadb-replica mariadb-primary"; do
  for pattern in $group; do
    for f in "$PIDS"/$pattern.pid; do
      [ -e "$f" ] && stop_one "$f" &
    done
  done
  wait
done
exit 0
