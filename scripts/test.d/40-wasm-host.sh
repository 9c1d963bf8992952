#!/usr/bin/env bash
# wasmtime host: the very .wasm the npm package ships, run natively. Its tests
# (limits, rebuilds, threads, every vector), the cross-runtime agreement test
# (vector files + >=100,000 generated calls: guard-core, wasmtime and Node
# through js/ must answer identically; the seed is printed, replay with
# GUARD_SEED=<n>), the embedding example, and the CLI's `--engine wasm`.
set -euo pipefail
# Idempotent: rewrites js/pkg (and js/pkg-tools) only when the guard-wasm build changed.
bash js/scripts/build-wasm.sh
cargo test --locked -p guard-wasm-host -- --skip generated_calls_agree_in_every_runtime
# With --show-output the generated-calls agreement prints its seed
# (GUARD_SEED=<n>) and coverage even when it passes, so any run can be replayed.
cargo test --locked -p guard-wasm-host --test agreement generated_calls_agree_in_every_runtime -- --exact --show-output
cargo run --locked -q -p guard-wasm-host --example embed
cargo build --locked -q -p guard-cli
guard=${CARGO_TARGET_DIR:-target}/debug/guard
"$guard" wasm-info
# Contract v3 key sets through the CLI: signed by a root, rotated, tampered
# and foreign ones refused (the README's "Key sets" walk-through).
bash scripts/demo-keysets.sh "$guard" >/dev/null
# Every vector folder, v1 to v3 (the shared ones when ../shared has them),
# through each engine that runs the .wasm.
dirs=(tests/vectors tests/vectors-v3)
for d in ../shared/vectors ../shared/vectors-v2 ../shared/vectors-v3; do
  if [ -d "$d" ]; then dirs+=("$d"); fi
done
"$guard" vectors --engine wasm "${dirs[@]}"
# The same .wasm in wasmtime's Pulley interpreter, as a phone without JIT
# runs it: one run over every folder.
"$guard" vectors --engine pulley "${dirs[@]}"
echo "wasm-host: tests, agreement (Cranelift and Pulley), example and wasm vectors passed"
