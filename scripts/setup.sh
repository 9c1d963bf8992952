#!/usr/bin/env bash
# One-time (idempotent) set-up of everything the project needs on a fresh
# machine of this kind: the wasm32 target, the pinned wasm-bindgen CLI, npm
# packages, Debian's chromium and PostgreSQL. Each part lives in
# scripts/setup.d/NN-*.sh and is safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
for step in scripts/setup.d/*.sh; do
  echo "== setup: ${step##*/}"
  bash "$step"
done
echo "== setup: done"
