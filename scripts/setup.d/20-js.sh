#!/usr/bin/env bash
# JS side (idempotent): Debian's chromium for the browser test, the npm
# packages of js/ (exactly as locked), and the wasm modules: the
# shipped module in js/pkg/ and the tools-only one with its glue in js/pkg-tools/
# built from guard-wasm (needs 00-rust.sh's target and CLI).
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
  sudo_cmd=""
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then sudo_cmd=sudo; fi
  $sudo_cmd apt-get update
  $sudo_cmd apt-get install -y chromium
fi
lock_sum=$(sha256sum js/package-lock.json | cut -d' ' -f1)
if [ "$(cat js/node_modules/.guard-lock-sha256 2>/dev/null)" != "$lock_sum" ]; then
  (cd js && npm ci --no-audit --no-fund)
  echo "$lock_sum" > js/node_modules/.guard-lock-sha256
fi
# The real-code harness (js/test-real: @vant/weapp, tdesign-miniprogram and
# miniprogram-simulate over a mock base library) has its own lock, so js/
# stays lean.
real_sum=$(sha256sum js/test-real/package-lock.json | cut -d' ' -f1)
if [ "$(cat js/test-real/node_modules/.guard-lock-sha256 2>/dev/null)" != "$real_sum" ]; then
  (cd js/test-real && npm ci --no-audit --no-fund)
  echo "$real_sum" > js/test-real/node_modules/.guard-lock-sha256
fi
bash js/scripts/build-wasm.sh
