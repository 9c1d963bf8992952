#!/usr/bin/env bash
# JS side: guard-wasm's own Rust tests, the bridge's unit tests (node --test), the decision vectors through
# the wasm (the project's own, and the contract's at ../shared/vectors when
# that folder exists, as it does in CI), and the Playwright test in Debian's
# chromium (harness, web-view, screenshot, URL differential).
set -euo pipefail
cargo test --locked -p guard-wasm
bash js/scripts/build-wasm.sh
node --test js/test/*.test.mjs
node js/bin/guard-vectors.mjs tests/vectors
if [ -d ../shared/vectors ]; then
  node js/bin/guard-vectors.mjs ../shared/vectors
fi
node --test js/test-browser/*.test.mjs
echo "js: unit tests, vectors and browser test passed"
