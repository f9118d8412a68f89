#!/usr/bin/env bash
# Regenerates include/sockhelp.h from the Rust sources with cbindgen (style: cbindgen.toml),
# then include/sockhelp_cffi.h, the same declarations for Python's cffi, from the header.
# Both are committed; tests/packaging.rs (the header) and tests/interop.rs (the cffi
# declarations) fail when they are stale.
set -euo pipefail
cd "$(dirname "$0")/.."
SOCKHELP_HEADER_OUT="$PWD/include/sockhelp.h" cargo build --quiet --features header --target-dir target/header
echo "wrote include/sockhelp.h"
python3 scripts/gen-cffi.py
