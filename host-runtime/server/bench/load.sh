#!/usr/bin/env bash
# Load benchmark of `guard serve` on loopback with wrk (not run in CI):
# jscode2session (each request redeems a fresh code) and bundle fetches with
# and without a matching If-None-Match, on SQLite and on PostgreSQL.
# Prints a Markdown table (req/s, p99) for docs/benchmarks.md.
# Usage: host-runtime/server/bench/load.sh   (needs wrk, python3, psql; builds
# the release binary of guard-server)
set -euo pipefail
cd "$(dirname "$0")/../../.."
DUR=${DUR:-10s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-16}
NCODES=${NCODES:-150000}
command -v wrk >/dev/null || { echo "install wrk: apt-get install -y wrk" >&2; exit 1; }
cargo build --release -p guard-server --bin guard-server >&2
BIN=$PWD/target/release/guard-server
WORK=$(mktemp -d /tmp/guard-load.XXXXXX)
chmod 755 "$WORK"
PIDS=()
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
AS=(); [ "$(id -u)" -eq 0 ] && AS=(runuser -u postgres --)
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  [ -d "$WORK/pg" ] && "${AS[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# A throwaway PostgreSQL cluster.
PGPORT=$(port)
mkdir "$WORK/pg"; [ "$(id -u)" -eq 0 ] && chown postgres "$WORK/pg"
"${AS[@]}" "$PG_BIN/initdb" -D "$WORK/pg" -U guard --auth=trust >/dev/null
"${AS[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/log" -w -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $WORK/pg" start >/dev/null
PGURL="postgres://guard@127.0.0.1:$PGPORT/postgres"
# The key-encryption key of the signing keys: PostgreSQL has no data directory for it.
PGKEK=$(python3 -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode())')

start_server() { # backend -> sets S, ADMIN
  local p; p=$(port)
  if [ "$1" = postgres ]; then
    GUARD_DATABASE_URL=$PGURL GUARD_KEK=$PGKEK RUST_LOG=warn "$BIN" --listen 127.0.0.1:$p > "$WORK/$1.out" 2>/dev/null &
  else
    RUST_LOG=warn "$BIN" --listen 127.0.0.1:$p --data-dir "$WORK/sqlite" > "$WORK/$1.out" 2>/dev/null &
  fi
  PIDS+=($!)
  for _ in $(seq 200); do grep -q "listening on" "$WORK/$1.out" && break; sleep 0.05; done
  S=http://127.0.0.1:$p
  ADMIN=$(sed -n 's/^bootstrap admin token (shown once): //p' "$WORK/$1.out")
}

j() { curl -sfS -H "authorization: Bearer $1" -H 'content-type: application/json' "${@:2}"; }

seed() { # backend
  local key=k3yK3yk3yK3yk3y1
  j "$ADMIN" -X POST $S/api/v1/superapps -d "{\"id\":\"bench\",\"name\":\"b\",\"secret_key\":\"$key\",\"backend_domain\":\"https://api.bench.example\"}" >/dev/null
  j "$ADMIN" -X POST $S/api/v1/teams -d '{"id":"t","name":"t"}' >/dev/null
  for i in $(seq 1 20); do
    j "$ADMIN" -X POST $S/api/v1/superapps/bench/apps -d "{\"id\":\"mp$i\",\"name\":\"m\",\"kind\":\"mini_program\",\"team_id\":\"t\"}" > "$WORK/app$i.json"
  done
  SA=$(j "$ADMIN" -X POST $S/api/v1/accounts -d '{"id":"sa","name":"sa","role":"superapp_admin","superapp_id":"bench"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  for i in $(seq 1 20); do # the superapp approves each app's binding
    BID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["binding"]["id"])' "$WORK/app$i.json")
    j "$SA" -X POST $S/api/v1/bindings/$BID/decision -d '{"decision":"approve"}' >/dev/null
  done
  for i in $(seq 1 20); do
    j "$SA" -X POST $S/api/v1/apps/mp1/whitelists/server_domains -d "{\"value\":\"https://api$i.bench.example\",\"remark\":\"r\"}" >/dev/null
  done
  j "$key" -X POST $S/api/v1/superapps/bench/users -d '{"user_id":"u1","phone":"+10000000000"}' >/dev/null
  APPSECRET=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["app_secret"])' "$WORK/app1.json")
  # Pre-mint the codes straight into the store (minting over HTTP would
  # dominate the run); the server stores only their SHA-256.
  python3 - "$1" "$WORK" "$NCODES" "$PGURL" <<'PY'
import hashlib, os, secrets, sqlite3, subprocess, sys
backend, work, n, pgurl = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
codes = [secrets.token_hex(16) for _ in range(n)]
rows = [(hashlib.sha256(c.encode()).hexdigest(), "login", "mp1", "u1", 4102444800, 0) for c in codes]
if backend == "sqlite":
    db = sqlite3.connect(os.path.join(work, "sqlite", "guard.db"))
    db.executemany("INSERT INTO codes VALUES (?,?,?,?,?,?)", rows); db.commit(); db.close()
else:
    data = "".join("\t".join(map(str, r)) + "\n" for r in rows)
    subprocess.run(["psql", "-q", pgurl, "-c", "COPY codes FROM STDIN"], input=data.encode(), check=True)
with open(os.path.join(work, "codes.lua"), "w") as f:
    f.write("return {\n" + ",\n".join(f'"{c}"' for c in codes) + "\n}\n")
PY
}

# wrk output -> "req/s | p99"
measure() {
  local out; out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DUR" --latency "$@")
  echo "$out" >&2
  local rps p99 errs
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  errs=$(echo "$out" | awk '/login_errors/ {print $2}')
  if [ -n "$errs" ] && [ "$errs" != 0 ]; then echo "$errs login errors" >&2; exit 1; fi
  echo "$rps | $p99"
}

echo "| store | endpoint | req/s | p99 |"
echo "|---|---|---|---|"
for backend in sqlite postgres; do
  start_server $backend
  seed $backend
  ETAG=$(curl -sfS -D - -o /dev/null $S/api/v1/superapps/bench/bundle | sed -n 's/^etag: //Ip' | tr -d '\r')
  [ "$(curl -s -o /dev/null -w '%{http_code}' -H "if-none-match: $ETAG" $S/api/v1/superapps/bench/bundle)" = 304 ]
  r=$(GUARD_CODES_LUA=$WORK/codes.lua GUARD_THREADS=$THREADS GUARD_JS_PATH="/openserver/sns/jscode2session?appid=mp1&secret=$APPSECRET&grant_type=authorization_code&js_code=" \
      measure -s host-runtime/server/bench/jscode.lua "$S/")
  echo "| $backend | jscode2session (fresh code each) | $r |"
  r=$(measure "$S/api/v1/superapps/bench/bundle")
  echo "| $backend | superapp bundle, 20 apps (200, signed) | $r |"
  r=$(measure -H "If-None-Match: $ETAG" "$S/api/v1/superapps/bench/bundle")
  echo "| $backend | superapp bundle, If-None-Match (304) | $r |"
  kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
done
