#!/bin/bash
# /docker-entrypoint-initdb.d/ of the replica: replicate from mariadb-primary by GTID
# (deploy/mariadb/replica.sql.template); users and database arrive by replication.
set -euo pipefail
sed -e "s/@@PRIMARY_HOST@@/mariadb-primary/g" -e "s/@@PRIMARY_PORT@@/3306/g" \
    -e "s/@@REPL_PASSWORD@@/${CHAT_DB_REPL_PASSWORD}/g" /chat/replica.sql.template \
  | mariadb -uroot -p"${MARIADB_ROOT_PASSWORD}"
