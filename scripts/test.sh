#!/usr/bin/env bash
# Every test of the project: set-up (idempotent), formatting, clippy, the Rust
# suites, the wasm build, Node and browser tests, the wasmtime and server
# tests. Each part lives in scripts/test.d/NN-*.sh; the run stops at the first
# failing part and ends with that part's summary line. Every part prints its
# wall time, and the run ends with a table of them and the total.
#
#   scripts/test.sh          the full run (what CI runs, via .ci/run)
#   scripts/test.sh quick    the inner loop: fmt, clippy, guard-core and the
#                            conformance vectors, the server's unit tests, the
#                            Node tests (see scripts/test.d/quick.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
times=()
start_all=$SECONDS
timed() {
  local name=$1
  shift
  local t0=$SECONDS
  echo "== test: $name"
  "$@"
  local dt=$((SECONDS - t0))
  times+=("$(printf '%-22s %4dm%02ds' "$name" $((dt / 60)) $((dt % 60)))")
  echo "== test: $name took ${dt}s"
}
report() {
  local total=$((SECONDS - start_all))
  echo "== test: time per part"
  printf '   %s\n' "${times[@]}"
  printf '== test: total %dm%02ds\n' $((total / 60)) $((total % 60))
}
trap report EXIT
case "${1:-full}" in
  quick)
    timed setup bash scripts/setup.sh
    timed quick bash scripts/test.d/quick.sh
    ;;
  full)
    timed setup bash scripts/setup.sh
    # Clippy lints the workspace's crates while the parts compile them:
    # clippy-driver wraps rustc for workspace members only, so dependencies
    # are built once, for the tests, instead of once more as clippy's
    # metadata-only check (decision 342). CLIPPY_ARGS is how `cargo clippy`
    # itself hands the driver `-D warnings`.
    RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver)"
    export RUSTC_WORKSPACE_WRAPPER
    export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
    for step in scripts/test.d/[0-9]*.sh; do
      timed "${step##*/}" bash "$step"
    done
    echo "== test: all parts passed"
    ;;
  *)
    echo "usage: scripts/test.sh [quick]" >&2
    exit 2
    ;;
esac
