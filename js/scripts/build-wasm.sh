#!/usr/bin/env bash
# Builds guard-wasm for wasm32 with the `wasm-release` profile, twice
# (decision 590):
#
# - js/pkg/guard_wasm_bg.wasm, the module that ships: the raw ABI alone, no
#   imports, no JS glue. The JS bridge (js/src/raw.js) and the native
#   wasmtime host load this very file.
# - js/pkg-tools/ (feature `facade`): the same guard with the wasm-bindgen
#   façade (`WasmGuard`, `decide`, `explain`) and its ESM glue, for trusted
#   tools only (the JS tests' oracle, the harness's "Try a call"). Never
#   shipped: package.json's `files` leave it out.
#
# Both folders are gitignored and always built from source. Run from
# anywhere; each folder is rewritten only when its cargo output changed.
# The two builds share every dependency's build: switching the feature
# recompiles guard-wasm alone (about 1 s each way on the CI machine).
set -euo pipefail
cd "$(dirname "$0")/../.."
src=${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/wasm-release/guard_wasm.wasm

# wasm-bindgen runs on both: for the shipped module it only rewrites the
# .wasm (drops rustc's `__data_end`/`__heap_base` exports and custom
# sections, −30 KB raw) and the JS it writes is discarded.
# Sets `changed` to whether it wrote anything (not through its status:
# `set -e` does not reach into a function called as a condition).
bindgen() { # <out dir>
  local out=$1 stamp=$1/.source-sha256 sum tmp
  changed=false
  sum=$(sha256sum "$src" | cut -d' ' -f1)
  if [ -f "$out/guard_wasm_bg.wasm" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$sum" ]; then
    return 0
  fi
  tmp=$(mktemp -d)
  # --target web: one ESM file that runs unchanged in Chromium and in Node 20
  # (the tools hand it the bytes through initSync).
  wasm-bindgen --target web --out-dir "$tmp" "$src"
  mkdir -p "$out"
  if [ "$out" = js/pkg ]; then
    # The shipped package: the .wasm alone (a glue left by an older build goes).
    rm -f js/pkg/guard_wasm.js js/pkg/guard_wasm.d.ts js/pkg/guard_wasm_bg.wasm.d.ts
    cp "$tmp/guard_wasm_bg.wasm" js/pkg/
  else
    cp "$tmp"/* "$out/"
  fi
  rm -rf "$tmp"
  echo "$sum" > "$stamp"
  changed=true
}

cargo build --locked -p guard-wasm --target wasm32-unknown-unknown --profile wasm-release
bindgen js/pkg
if [ "$changed" = true ]; then
  raw=$(stat -c %s js/pkg/guard_wasm_bg.wasm)
  gz=$(gzip -9 -c js/pkg/guard_wasm_bg.wasm | wc -c)
  echo "js/pkg/guard_wasm_bg.wasm: $raw bytes raw, $gz bytes gzip -9"
fi
cargo build --locked -p guard-wasm --features facade --target wasm32-unknown-unknown --profile wasm-release
bindgen js/pkg-tools
