#!/usr/bin/env bash
# guard serve (host-runtime/server): unit tests, then the role matrix,
# workflow, whitelist, login, OpenAPI, log and SIGKILL-crash tests against
# BOTH SQLite and a throwaway PostgreSQL cluster started here (initdb into a
# temp dir, loopback port, stopped on exit). With CI=true a test that finds no
# PostgreSQL fails instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/../.."

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
  echo "50-server: no PostgreSQL server binaries (run scripts/setup.d/30-postgres.sh)" >&2
  exit 1
fi

PGDIR=$(mktemp -d /tmp/guard-pg.XXXXXX)
# postgres refuses to run as root: run the cluster as the `postgres` user.
AS=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$PGDIR"
  AS=(runuser -u postgres --)
fi
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

stop_pg() {
  "${AS[@]}" "$PG_BIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PGDIR"
}
trap stop_pg EXIT

"${AS[@]}" "$PG_BIN/initdb" -D "$PGDIR/data" -U guard --auth=trust -E UTF8 >/dev/null
"${AS[@]}" "$PG_BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $PGDIR -c max_connections=300 -c fsync=on" start >/dev/null

export GUARD_TEST_PG_URL="postgres://guard@127.0.0.1:$PORT/postgres"
echo "50-server: PostgreSQL on 127.0.0.1:$PORT"
# Each test binary runs its tests one at a time: the crash test and the race
# test time writes, and two cores are shared.
cargo test --locked -p guard-server -- --test-threads=2
