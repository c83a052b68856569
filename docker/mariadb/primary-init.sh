#!/bin/bash
# /docker-entrypoint-initdb.d/ of the primary: the same users and database as deploy/local
# (deploy/mariadb/users.sql.template, mounted at /chat/), passwords from the environment.
set -euo pipefail
sed -e "s/@@APP_PASSWORD@@/${CHAT_DB_APP_PASSWORD}/g" \
    -e "s/@@MIGRATE_PASSWORD@@/${CHAT_DB_MIGRATE_PASSWORD}/g" \
    -e "s/@@REPL_PASSWORD@@/${CHAT_DB_REPL_PASSWORD}/g" /chat/users.sql.template \
  | mariadb -uroot -p"${MARIADB_ROOT_PASSWORD}"
