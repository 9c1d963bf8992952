#!/usr/bin/env bash
# Formatting; the checks of what is generated or allowed: every package
# selection of the test parts builds each dependency with one feature set
# (scripts/workspace-hack.py), build-time code is named at opt-level 0
# (scripts/build-profile.py), unsafe code only in its two places, and
# docs/server.md's code layout is what the files say (scripts/code-layout.py),
# every decision in docs/decisions.md names its tests and every citation of one
# exists (scripts/decisions.py, after its self-test shows it fails when it
# should), no crate has an import circle and no server module imports a
# floor above its own
# (scripts/import-circles.py, after its self-test); then clippy,
# native (in the full run, a build of every target under clippy-driver) and
# wasm32.
set -euo pipefail
cargo fmt --all -- --check
python3 scripts/workspace-hack.py
python3 scripts/build-profile.py
python3 scripts/code-layout.py
python3 scripts/decisions.py --self-test
python3 scripts/decisions.py
python3 scripts/import-circles.py --self-test
python3 scripts/import-circles.py
# Unsafe code is denied workspace-wide ([workspace.lints]); these two files
# are the only ones that allow it (decision 343).
allowed=$'guard-wasm/src/raw_abi.rs\nhost-runtime/wasm-host/src/precompiled.rs'
found=$(git grep -l -e 'allow(unsafe_code)' -- '*.rs' ':!fuzz' | sort)
if [ "$found" != "$allowed" ]; then
  echo "unsafe code allowed outside its two places:" >&2
  echo "$found" >&2
  exit 1
fi
# Under the full run's clippy-driver wrapper (scripts/test.sh), a build of
# every target is clippy -D warnings and the build the later parts reuse;
# run alone, the part asks clippy itself.
if [ -n "${RUSTC_WORKSPACE_WRAPPER:-}" ] && [ -n "${CLIPPY_ARGS:-}" ]; then
  cargo build --workspace --all-targets --locked
else
  cargo clippy --workspace --all-targets --locked -- -D warnings
fi
cargo clippy -p guard-wasm --target wasm32-unknown-unknown --locked -- -D warnings
# The tools-only build with the wasm-bindgen façade (decision 590).
cargo clippy -p guard-wasm --target wasm32-unknown-unknown --features facade --locked -- -D warnings
