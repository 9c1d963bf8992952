#!/usr/bin/env bash
# Builds guard-wasm for wasm32 with the `wasm-release` profile and generates
# the ESM bindings into js/pkg/ (gitignored). The module the native wasmtime
# host loads is the very same file: js/pkg/guard_wasm_bg.wasm.
# Run from anywhere; skips the bindgen step when the .wasm is unchanged.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --locked -p guard-wasm --target wasm32-unknown-unknown --profile wasm-release
src=${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/wasm-release/guard_wasm.wasm
stamp=js/pkg/.source-sha256
sum=$(sha256sum "$src" | cut -d' ' -f1)
if [ -f js/pkg/guard_wasm_bg.wasm ] && [ -f js/pkg/guard_wasm.js ] && [ "$(cat "$stamp" 2>/dev/null)" = "$sum" ]; then
  exit 0
fi
# --target web: one ESM file that runs unchanged in Chromium and in Node 20
# (where js/src/load-node.js hands it the bytes via initSync).
wasm-bindgen --target web --out-dir js/pkg "$src"
echo "$sum" > "$stamp"
raw=$(stat -c %s js/pkg/guard_wasm_bg.wasm)
gz=$(gzip -9 -c js/pkg/guard_wasm_bg.wasm | wc -c)
echo "js/pkg/guard_wasm_bg.wasm: $raw bytes raw, $gz bytes gzip -9"
