#!/usr/bin/env bash
set -euo pipefail
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy -p guard-wasm --target wasm32-unknown-unknown --locked -- -D warnings
