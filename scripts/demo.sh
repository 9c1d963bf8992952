#!/usr/bin/env bash
# The demo: builds the wasm and bindings if needed, then serves the browser
# harness (a sample mini program, the guard, a simulated base library and a
# local "internet") on loopback. Open the printed address; Ctrl-C to stop.
#   PORT=8377 bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d js/node_modules ]; then
  (cd js && npm ci --no-audit --no-fund)
fi
bash js/scripts/build-wasm.sh
exec node js/harness/server.mjs --port "${PORT:-8377}"
