#!/usr/bin/env bash
# The web console in a real browser: builds guard-server, then the Playwright
# walks (host-runtime/server/tests/browser/, Debian's chromium) against a real
# `guard serve` process on SQLite, and again on a throwaway PostgreSQL
# cluster: each role's workflows, forbidden buttons and posts, the guard
# checking the bundles, escaping, CSP, axe-core on every screen, screenshots
# (UPDATE_SCREENSHOTS=1 writes them to docs/console/).
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --locked -p guard-server
BIN="${CARGO_TARGET_DIR:-target}/debug/guard-server"
export GUARD_SERVER_BIN="$BIN"
echo "55-console: SQLite"
node --test --test-concurrency=1 host-runtime/server/tests/browser/
source scripts/lib/postgres.sh
echo "55-console: PostgreSQL on 127.0.0.1:$PG_PORT"
# A database per test file: each file's server is a new deployment (its own
# key-encryption key), which must not meet another's sealed signing keys.
for f in host-runtime/server/tests/browser/*.test.mjs; do
  db="console_$(basename "$f" .test.mjs)"
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U guard "$db"
  GUARD_CONSOLE_PG_URL="postgres://guard@127.0.0.1:$PG_PORT/$db" UPDATE_SCREENSHOTS=0 \
    node --test --test-concurrency=1 "$f"
done
echo "55-console: browser walks passed on SQLite and PostgreSQL"
