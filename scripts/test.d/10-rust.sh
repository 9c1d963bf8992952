#!/usr/bin/env bash
# guard-core unit and doc tests, the vector corpus, property and WHATWG tests,
# and the `guard` CLI.
set -euo pipefail
cargo test --locked -p guard-core -p guard-conformance -p guard-cli
