#!/usr/bin/env bash
# JS side: guard-wasm's own Rust tests, the bridge's types (tsc), its unit tests (node --test; the sync's
# against a real guard serve, the native back end out of process), the decision vectors through
# the wasm (the project's own, and the contract's at ../shared/vectors when
# that folder exists, as it does in CI, with ../shared/vectors-v2 and -v3; the
# project's v3 vectors in tests/vectors-v3), and the
# Playwright tests in Debian's chromium (harness with its mini programs in
# realms of their own and its key sets, web-view, screenshot, URL
# differential, the containment and hostile attacks, the honest mini
# program's scenarios, the sync takeover, and every vector file run in the page).
set -euo pipefail
cargo test --locked -p guard-wasm -p guard-abi
bash js/scripts/build-wasm.sh
# The built-in API catalogue matches the pinned typings (decision 381).
node js/scripts/gen-catalogue.mjs --check
# index.d.ts, checked against a usage file that exercises every exported type.
(cd js && npx --no-install tsc -p types)
# The sync's tests drive a real guard serve.
cargo build --locked -q -p guard-server -p guard-sdk --bins
node --test js/test/*.test.mjs
# Real mini program code through the bridge: @vant/weapp and tdesign components
# under miniprogram-simulate, and a sweep of every typed API in every call style,
# each diffed against the same mock base library without the bridge.
node --test js/test-real/*.test.mjs
# The native back end's tests again, against the SDK's real guard-sdk-native.
GUARD_NATIVE="${CARGO_TARGET_DIR:-target}/debug/guard-sdk-native" node --test js/test/native.test.mjs
node js/bin/guard-vectors.mjs tests/vectors
node js/bin/guard-vectors.mjs tests/vectors-v3
for d in ../shared/vectors ../shared/vectors-v2 ../shared/vectors-v3; do
  if [ -d "$d" ]; then
    node js/bin/guard-vectors.mjs "$d"
  fi
done

node --test js/test-browser/*.test.mjs
echo "js: unit tests, vectors and browser test passed"
