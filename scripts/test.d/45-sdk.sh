#!/usr/bin/env bash
# The superapp SDK (host-runtime/sdk): unit tests; the SDK against real
# `guard serve` processes (sync, a SIGKILLed and restarted server, tampered
# and truncated caches, a restored database backup, a revocation through the
# long-poll, a report flood); the JS bridge's native back end through the
# guard-sdk-native binary, hostile lines included; the embedding example; and
# the precompiled Pulley path (`guard precompile`, every vector run from the
# artifact).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash js/scripts/build-wasm.sh
# The SDK's server tests run this binary, found next to their executables.
cargo build --locked -q -p guard-server -p guard-cli
cargo test --locked -p guard-sdk
cargo run --locked -q -p guard-sdk --example superapp
guard="${CARGO_TARGET_DIR:-target}/debug/guard"
out=$(mktemp -d /tmp/guard-precompiled.XXXXXX)
trap 'rm -rf "$out"' EXIT
"$guard" precompile --engine pulley --out "$out/guard.cwasm"
dirs=(tests/vectors tests/vectors-v3)
for d in ../shared/vectors ../shared/vectors-v2 ../shared/vectors-v3; do
  if [ -d "$d" ]; then dirs+=("$d"); fi
done
"$guard" vectors --engine pulley --precompiled "$out/guard.cwasm" "${dirs[@]}"
echo "sdk: unit, server, native back end and example tests, and every vector from a precompiled Pulley artifact passed"
