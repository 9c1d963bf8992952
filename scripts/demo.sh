#!/usr/bin/env bash
# The demo: the whole loop on loopback. Does the set-up it needs itself
# (scripts/setup.sh, idempotent), builds guard serve and the wasm, then runs
# the harness (js/harness/server.mjs), which starts guard serve, seeds the
# demo superapp through its JSON API (js/harness/seed.mjs), and serves the
# page whose guard syncs from it. Prints what to open and the API calls that
# approve and revoke; Ctrl-C to stop.
#   PORT=8377 bash scripts/demo.sh                 # a fresh guard serve in a temp dir
#   DATA_DIR=.data/demo bash scripts/demo.sh       # keep its data (and what people decided) across runs
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== demo: building guard serve"
cargo build --locked -q -p guard-server
echo "== demo: key sets (contract v3) with the guard CLI: signed by a root, rotated, tampered"
bash scripts/demo-keysets.sh
args=(--port "${PORT:-8377}")
if [ -n "${DATA_DIR:-}" ]; then args+=(--data-dir "$DATA_DIR"); fi
exec node js/harness/server.mjs "${args[@]}"
