#!/usr/bin/env bash
# Rust side: clippy and rustfmt (a minimal rustup profile has neither; the
# lint part needs both), the wasm32 target and the wasm-bindgen CLI pinned to
# the exact version of the wasm-bindgen crate in Cargo.lock (they must match).
set -euo pipefail
installed=$(rustup component list --installed)
for component in clippy rustfmt; do
  if ! grep -q "^$component" <<<"$installed"; then
    rustup component add "$component"
  fi
done
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
want=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p' | head -n1)
want=${want:-0.2.130}
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  # Not --locked: the registry mirror may lack a transitive version locked
  # upstream; the version that must match (wasm-bindgen itself) is pinned.
  cargo install wasm-bindgen-cli --version "$want" --force
fi
