#!/usr/bin/env bash
# PostgreSQL server binaries for the server's store tests (guard serve runs on
# SQLite by default and on PostgreSQL with --database-url). Idempotent.
set -euo pipefail
pg_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1
}
if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update
  $SUDO apt-get install -y postgresql
fi
echo "postgres: $(pg_bin)"
