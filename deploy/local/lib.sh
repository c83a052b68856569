# Shared by the deploy/local scripts: configuration, port checks, pid files, waiting.
# Every setting can be overridden by the environment, so tests run a second, isolated stack.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
shopt -u patsub_replacement 2>/dev/null || true   # render(): keep & and backslashes literal

RUN_DIR=${LOCAL_RUN_DIR:-$top/.run}
NGINX_PORT=${LOCAL_NGINX_PORT:-8080}
API_PORTS=${LOCAL_API_PORTS:-8081 8082}
RELAY_PORTS=${LOCAL_RELAY_PORTS:-8091 8092}
DB_PRIMARY_PORT=${LOCAL_DB_PRIMARY_PORT:-13306}
DB_REPLICA_PORT=${LOCAL_DB_REPLICA_PORT:-13307}
REDIS_PORT=${LOCAL_REDIS_PORT:-16379}
API_BIN=${LOCAL_API_BIN:-$top/.build/release/ChatAPI}
RELAY_BIN=${LOCAL_RELAY_BIN:-$top/.build/release/ChatRelay}
READY_TIMEOUT=${LOCAL_READY_TIMEOUT:-30}

# Local development credentials: loopback only, never used anywhere else.
APP_PASSWORD=${LOCAL_DB_APP_PASSWORD:-chat-local}
MIGRATE_PASSWORD=${LOCAL_DB_MIGRATE_PASSWORD:-chat-migrate-local}
REPL_PASSWORD=${LOCAL_DB_REPL_PASSWORD:-chat-repl-local}
JWT_SECRET=${LOCAL_JWT_SECRET:-local-development-secret-of-at-least-32-bytes}

PIDS="$RUN_DIR/pids"
LOGS="$RUN_DIR/logs"

die() { echo "error: $*" >&2; exit 1; }
log() { echo "==> $*"; }

# A port is taken when anything listens on it (on any address: the services bind loopback,
# but a wildcard listener would take their connections too).
port_in_use() {
  ss -Htln "sport = :$1" 2>/dev/null | grep -q . && return 0
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

check_ports_free() {
  local port
  for port in "$@"; do
    port_in_use "$port" && die "port $port is already in use (set LOCAL_*_PORT to move it, see deploy/local/README.md)"
  done
  return 0
}

all_ports() { echo "$NGINX_PORT $API_PORTS $RELAY_PORTS $DB_PRIMARY_PORT $DB_REPLICA_PORT $REDIS_PORT"; }

# Records a started process: its pid and a marker its command line must contain, so stop.sh
# never signals a recycled pid that now belongs to something else.
record_pid() { # name pid marker
  mkdir -p "$PIDS"
  echo "$2 $3" > "$PIDS/$1.pid"
}

# Redis rewrites its command line (process title), so its marker is its working directory.
pid_alive_with_marker() { # pid marker
  [ -r "/proc/$1/cmdline" ] || return 1
  [ "$(readlink "/proc/$1/cwd" 2>/dev/null)" = "$2" ] && return 0
  tr '\0' ' ' < "/proc/$1/cmdline" | grep -qF -- "$2"
}

# Starts a command in the background with its output in $LOGS/name.log and records it.
spawn() { # name marker command...
  local name=$1 marker=$2; shift 2
  mkdir -p "$LOGS"
  setsid "$@" >>"$LOGS/$name.log" 2>&1 < /dev/null &
  record_pid "$name" $! "$marker"
}

wait_for() { # description timeout-seconds command...
  local what=$1 timeout=$2; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1
  done
  echo "    $what ready"
}

http_ok() { curl -fsS --max-time 2 -o /dev/null "$1" 2>/dev/null; }

mariadb_ping() { mariadb-admin --no-defaults --socket="$1/mariadbd.sock" -uroot --connect-timeout=1 ping; }

mariadb_root() { # datadir, SQL on stdin
  mariadb --no-defaults --socket="$1/mariadbd.sock" -uroot --batch --skip-column-names
}

# Fills @@NAME@@ placeholders of a template from the environment-style pairs given.
render() { # template NAME=value...
  local template=$1; shift
  local text; text=$(cat "$template")
  local pair
  for pair in "$@"; do text=${text//@@${pair%%=*}@@/${pair#*=}}; done
  printf '%s\n' "$text"
}
