#!/usr/bin/env bash
# Formatting, clippy (native and wasm32), and that every package selection of
# the test parts builds each dependency with one feature set
# (scripts/workspace-hack.py).
set -euo pipefail
cargo fmt --all -- --check
python3 scripts/workspace-hack.py
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy -p guard-wasm --target wasm32-unknown-unknown --locked -- -D warnings
