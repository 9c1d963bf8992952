#!/usr/bin/env bash
# The web console in a real browser: builds guard-server, then the Playwright
# walks (host-runtime/server/tests/browser/, Debian's chromium) against a real
# `guard serve` process on SQLite: each role's workflows, forbidden buttons
# and posts, the guard checking the bundles, escaping, CSP, axe-core on every
# screen, screenshots (UPDATE_SCREENSHOTS=1 writes them to docs/console/).
# Then the walk of every role's workflows (console.test.mjs) once more on a
# throwaway PostgreSQL cluster: the console's pages run the same statements
# on either store, and what differs between the stores is tested in Rust on
# both (scripts/test.d/50-server.sh; decision 341 in docs/decisions.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --locked -p guard-server
BIN="${CARGO_TARGET_DIR:-target}/debug/guard-server"
export GUARD_SERVER_BIN="$BIN"
echo "55-console: SQLite"
node --test --test-concurrency=1 host-runtime/server/tests/browser/
source scripts/lib/postgres.sh
echo "55-console: PostgreSQL on 127.0.0.1:$PG_PORT"
# A database of its own: the walk's server is a new deployment (its own
# key-encryption key), which must not meet another's sealed signing keys.
walk=host-runtime/server/tests/browser/console.test.mjs
"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U guard console_walk
GUARD_CONSOLE_PG_URL="postgres://guard@127.0.0.1:$PG_PORT/console_walk" UPDATE_SCREENSHOTS=0 \
  node --test --test-concurrency=1 "$walk"
echo "55-console: browser walks passed on SQLite, the roles' walk on PostgreSQL"
