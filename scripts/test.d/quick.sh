#!/usr/bin/env bash
# The inner loop (`scripts/test.sh quick`): formatting, clippy, guard-core and
# the conformance vectors natively, the server's unit tests, and the Node tests
# of the bridge. A few minutes on a warm target; the full run (`scripts/test.sh`)
# stays what CI runs.
set -euo pipefail
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --locked -p guard-core -p guard-conformance
cargo test --locked -p guard-server --lib
bash js/scripts/build-wasm.sh
cargo build --locked -q -p guard-server -p guard-sdk --bins
node --test js/test/*.test.mjs
echo "quick: fmt, clippy, guard-core, conformance, server unit and Node tests passed"
