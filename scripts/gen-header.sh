#!/usr/bin/env bash
# Regenerates include/sockhelp.h from the Rust sources with cbindgen.
set -euo pipefail
cd "$(dirname "$0")/.."
SOCKHELP_HEADER_OUT="$PWD/include/sockhelp.h" cargo build --quiet --features header --target-dir target/header
echo "wrote include/sockhelp.h"
