#!/usr/bin/env bash
# guard serve (host-runtime/server): unit tests, then the one integration-test
# binary (tests/it/): the role matrix, workflows, whitelists, login, OpenAPI,
# logs and the rest on SQLite, and what depends on the store on BOTH SQLite
# and a throwaway PostgreSQL cluster started here (initdb into a temp dir,
# loopback port, stopped on exit): transactions and races, counters, sealed
# keys, single-use codes, wake-ups (NOTIFY), several servers on one database,
# migrations, a SIGKILL mid-burst (decision 340 in docs/decisions.md). With
# CI=true a test that finds no PostgreSQL fails instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/../.."

source scripts/lib/postgres.sh
export GUARD_TEST_PG_URL="$PG_ADMIN_URL"
echo "50-server: PostgreSQL on 127.0.0.1:$PG_PORT"
# Two tests at a time: two cores are shared, and the crash and race tests
# time writes.
cargo test --locked -p guard-server -- --test-threads=2
