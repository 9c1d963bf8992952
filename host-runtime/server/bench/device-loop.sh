#!/usr/bin/env bash
# The device loop under load (not run in CI): 10,000 simulated devices
# long-polling one `guard serve` on loopback, then one change (server CPU
# and RSS while they are held; p50/p99 of the change reaching them), against
# the baseline of the same devices polling with a plain If-None-Match every
# 25 s, measured in the same run; and report ingestion per second against
# plain 304 polls back to back. SQLite and PostgreSQL, a fresh server per
# measurement. Prints the lines docs/benchmarks.md is written from.
# Usage: host-runtime/server/bench/device-loop.sh   (needs python3, curl and
# PostgreSQL's server binaries; builds the release binaries)
set -euo pipefail
cd "$(dirname "$0")/../../.."
DEVICES=${DEVICES:-10000}
HOLD=${HOLD:-10}
SECS=${SECS:-10}
CONNS=${CONNS:-16}
BACKENDS=${BACKENDS:-sqlite postgres}
# 10,000 client sockets here, 10,000 in the server: raise the limit.
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -gt $((DEVICES + 1000)) ] || { echo "ulimit -n $(ulimit -n) is too low for $DEVICES devices" >&2; exit 1; }
cargo build --release -p guard-server --bin guard-server --example device-load >&2
T=${CARGO_TARGET_DIR:-$PWD/target}/release
BIN=$T/guard-server
LOAD=$T/examples/device-load
WORK=$(mktemp -d /tmp/guard-devloop.XXXXXX)
chmod 755 "$WORK"
SERVER=
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
AS=(); [ "$(id -u)" -eq 0 ] && AS=(runuser -u postgres --)
stop_server() { [ -n "$SERVER" ] && { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; }; SERVER=; }
cleanup() {
  stop_server
  [ -d "$WORK/pg" ] && "${AS[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

PGPORT=$(port)
mkdir "$WORK/pg"; [ "$(id -u)" -eq 0 ] && chown postgres "$WORK/pg"
"${AS[@]}" "$PG_BIN/initdb" -D "$WORK/pg" -U guard --auth=trust >/dev/null
"${AS[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/log" -w -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $WORK/pg" start >/dev/null
PGURL="postgres://guard@127.0.0.1:$PGPORT/postgres"
KEK=$(python3 -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode())')
# Report limits out of the way: ingestion itself is measured.
OPTS=(--reports-per-minute-per-address 1000000000 --report-burst-per-address 1000000
      --reports-per-minute-per-app 1000000000 --report-burst-per-app 1000000)

start_server() { # backend -> sets S, ADDR, SERVER (and ADMIN on the first start)
  local p; p=$(port)
  : > "$WORK/$1.out"
  if [ "$1" = postgres ]; then
    GUARD_DATABASE_URL=$PGURL GUARD_KEK=$KEK RUST_LOG=warn "$BIN" --listen 127.0.0.1:$p "${OPTS[@]}" > "$WORK/$1.out" 2>"$WORK/$1.err" &
  else
    GUARD_KEK=$KEK RUST_LOG=warn "$BIN" --listen 127.0.0.1:$p --data-dir "$WORK/sqlite" "${OPTS[@]}" > "$WORK/$1.out" 2>"$WORK/$1.err" &
  fi
  SERVER=$!
  for _ in $(seq 400); do grep -q "listening on" "$WORK/$1.out" && break; sleep 0.05; done
  ADDR=127.0.0.1:$p; S=http://$ADDR
  local t; t=$(sed -n 's/^bootstrap admin token (shown once): //p' "$WORK/$1.out")
  [ -n "$t" ] && ADMIN=$t
  return 0
}

j() { curl -sfS -H "authorization: Bearer $1" -H 'content-type: application/json' "${@:2}"; }

seed() {
  j "$ADMIN" -X POST $S/api/v1/superapps -d '{"id":"bench","name":"b","secret_key":"k3yK3yk3yK3yk3y1","backend_domain":"https://api.bench.example"}' >/dev/null
  j "$ADMIN" -X POST $S/api/v1/teams -d '{"id":"t","name":"t"}' >/dev/null
  SA=$(j "$ADMIN" -X POST $S/api/v1/accounts -d '{"id":"sa","name":"sa","role":"superapp_admin","superapp_id":"bench"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  for i in $(seq 1 20); do
    BID=$(j "$ADMIN" -X POST $S/api/v1/superapps/bench/apps -d "{\"id\":\"mp$i\",\"name\":\"m\",\"kind\":\"mini_program\",\"team_id\":\"t\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["binding"]["id"])')
    j "$SA" -X POST $S/api/v1/bindings/$BID/decision -d '{"decision":"approve"}' >/dev/null
  done
  for i in $(seq 1 20); do
    j "$SA" -X POST $S/api/v1/apps/mp1/whitelists/server_domains -d "{\"value\":\"https://api$i.bench.example\",\"remark\":\"r\"}" >/dev/null
  done
}

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; devices=$DEVICES"
MODE=report
for backend in $BACKENDS; do
  ADMIN=
  start_server "$backend"; seed; stop_server
  BUNDLE=/api/v1/superapps/bench/bundle
  start_server "$backend"
  echo "[$backend] $("$LOAD" --addr "$ADDR" --pid "$SERVER" poll --devices "$DEVICES" --path $BUNDLE --interval 25 --hold "$HOLD")"
  stop_server
  start_server "$backend"
  echo "[$backend] $("$LOAD" --addr "$ADDR" --pid "$SERVER" longpoll --devices "$DEVICES" --path $BUNDLE --wait 25 --hold "$HOLD" --token "$SA" --change "PUT /api/v1/apps/mp1/mode {\"mode\":\"$MODE\"}")"
  stop_server
  MODE=$([ $MODE = report ] && echo enforce || echo report)
  start_server "$backend"
  echo "[$backend] $("$LOAD" --addr "$ADDR" --pid "$SERVER" poll --devices "$CONNS" --path $BUNDLE --interval 0 --hold "$SECS")"
  stop_server
  start_server "$backend"
  echo "[$backend] $("$LOAD" --addr "$ADDR" --pid "$SERVER" reports --conns "$CONNS" --path /api/v1/superapps/bench/reports --secs "$SECS" --batch 10)"
  stop_server
done
