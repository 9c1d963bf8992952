# Sourced: starts a throwaway PostgreSQL cluster (initdb into a temp dir, as
# the `postgres` user when run as root, a free loopback port), stopped and
# removed on exit. Sets PG_BIN, PG_PORT and PG_ADMIN_URL.
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
  echo "no PostgreSQL server binaries (run scripts/setup.d/30-postgres.sh)" >&2
  exit 1
fi
PG_DIR=$(mktemp -d /tmp/guard-pg.XXXXXX)
PG_AS=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$PG_DIR"
  PG_AS=(runuser -u postgres --)
fi
PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
pg_stop() {
  "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
trap pg_stop EXIT
"${PG_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U guard --auth=trust -E UTF8 >/dev/null
"${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c max_connections=300 -c fsync=on" start >/dev/null
PG_ADMIN_URL="postgres://guard@127.0.0.1:$PG_PORT/postgres"
