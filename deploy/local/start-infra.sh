#!/usr/bin/env bash
# Starts MariaDB primary + replica (GTID replication), Redis (AOF) and nginx in $RUN_DIR on
# loopback ports. Idempotent over a data folder that already exists (users/replication are
# set up once). Stop with stop.sh.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

check_ports_free $(all_ports)
mkdir -p "$RUN_DIR" "$PIDS" "$LOGS"
me=$(id -un)

start_mariadb() { # name port cnf
  local name=$1 port=$2 cnf=$3 dir="$RUN_DIR/$1"
  if [ ! -d "$dir/mysql" ]; then
    mariadb-install-db --no-defaults --user="$me" --datadir="$dir" --skip-test-db \
      --auth-root-authentication-method=socket --skip-name-resolve \
      --innodb-log-file-size=16M > "$LOGS/$name-install.log" 2>&1 \
      || die "mariadb-install-db for $name failed, see $LOGS/$name-install.log"
  fi
  spawn "$name" "$dir" mariadbd --defaults-file="$top/deploy/mariadb/$cnf" \
    --user="$me" --datadir="$dir" --port="$port" --bind-address=127.0.0.1 \
    --socket="$dir/mariadbd.sock" --pid-file="$dir/mariadbd.pid" \
    --log-error="$LOGS/$name.err" --innodb-log-file-size=16M --innodb-buffer-pool-size=128M
}

log "MariaDB primary :$DB_PRIMARY_PORT and replica :$DB_REPLICA_PORT"
start_mariadb mariadb-primary "$DB_PRIMARY_PORT" primary.cnf
start_mariadb mariadb-replica "$DB_REPLICA_PORT" replica.cnf

log "Redis :$REDIS_PORT (appendonly)"
mkdir -p "$RUN_DIR/redis"
spawn redis "$RUN_DIR/redis" redis-server --bind 127.0.0.1 --port "$REDIS_PORT" \
  --dir "$RUN_DIR/redis" --appendonly yes --appendfsync everysec --save "" \
  --daemonize no --protected-mode yes --logfile ""

log "nginx :$NGINX_PORT"
api_list="" relay_list=""
for p in $API_PORTS; do api_list+="${api_list:+,}127.0.0.1:$p"; done
for p in $RELAY_PORTS; do relay_list+="${relay_list:+,}127.0.0.1:$p"; done
mkdir -p "$RUN_DIR/nginx/logs" "$RUN_DIR/nginx/temp"
"$top/deploy/nginx/render.sh" --listen "127.0.0.1:$NGINX_PORT" --api "$api_list" \
  --relay "$relay_list" > "$RUN_DIR/nginx/nginx.conf"
nginx -t -q -p "$RUN_DIR/nginx/" -c "$RUN_DIR/nginx/nginx.conf" || die "nginx configuration test failed"
spawn nginx "$RUN_DIR/nginx/nginx.conf" nginx -p "$RUN_DIR/nginx/" -c "$RUN_DIR/nginx/nginx.conf" -g "daemon off;"

primary="$RUN_DIR/mariadb-primary" replica="$RUN_DIR/mariadb-replica"
wait_for "MariaDB primary" "$READY_TIMEOUT" mariadb_ping "$primary" \
  || die "MariaDB primary did not start, see $LOGS/mariadb-primary.err"
wait_for "MariaDB replica" "$READY_TIMEOUT" mariadb_ping "$replica" \
  || die "MariaDB replica did not start, see $LOGS/mariadb-replica.err"

if [ ! -f "$RUN_DIR/.replication-configured" ]; then
  render "$top/deploy/mariadb/users.sql.template" APP_PASSWORD="$APP_PASSWORD" \
    MIGRATE_PASSWORD="$MIGRATE_PASSWORD" REPL_PASSWORD="$REPL_PASSWORD" | mariadb_root "$primary"
  render "$top/deploy/mariadb/replica.sql.template" PRIMARY_HOST=127.0.0.1 \
    PRIMARY_PORT="$DB_PRIMARY_PORT" REPL_PASSWORD="$REPL_PASSWORD" | mariadb_root "$replica"
  touch "$RUN_DIR/.replication-configured"
fi
gtid=$(mariadb_root "$primary" <<< "SELECT @@gtid_binlog_pos")
caught_up=$(mariadb_root "$replica" <<< "SELECT MASTER_GTID_WAIT('$gtid', $READY_TIMEOUT)")
[ "$caught_up" = 0 ] || die "the replica did not catch up with the primary ($gtid), see $LOGS/mariadb-replica.err"
echo "    replication running (GTID $gtid)"

wait_for "Redis" "$READY_TIMEOUT" redis-cli -p "$REDIS_PORT" ping || die "Redis did not start, see $LOGS/redis.log"
wait_for "nginx" "$READY_TIMEOUT" port_in_use "$NGINX_PORT" || die "nginx did not start, see $RUN_DIR/nginx/logs/error.log"
