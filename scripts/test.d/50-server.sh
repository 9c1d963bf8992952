#!/usr/bin/env bash
# guard serve (host-runtime/server): unit tests, then the role matrix,
# workflow, whitelist, login, OpenAPI, log and SIGKILL-crash tests against
# BOTH SQLite and a throwaway PostgreSQL cluster started here (initdb into a
# temp dir, loopback port, stopped on exit). With CI=true a test that finds no
# PostgreSQL fails instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/../.."

source scripts/lib/postgres.sh
export GUARD_TEST_PG_URL="$PG_ADMIN_URL"
echo "50-server: PostgreSQL on 127.0.0.1:$PG_PORT"
# Each test binary runs its tests one at a time: the crash test and the race
# test time writes, and two cores are shared.
cargo test --locked -p guard-server -- --test-threads=2
