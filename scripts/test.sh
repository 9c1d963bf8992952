#!/usr/bin/env bash
# Every test of the project: set-up (idempotent), formatting, clippy, the Rust
# suites, the wasm build, Node and browser tests, the wasmtime and server
# tests. Each part lives in scripts/test.d/NN-*.sh; the run stops at the first
# failing part and ends with that part's summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
for step in scripts/test.d/*.sh; do
  echo "== test: ${step##*/}"
  bash "$step"
done
echo "== test: all parts passed"
