#!/usr/bin/env bash
# Builds and tests sockhelp with every dependency at the lowest version Cargo.toml allows
# (`-Zminimal-versions`), so the lower bounds there are true: a user whose resolver picks
# them gets a working build.
#
# 1. A copy of the tree (without the bench member, which users never build) gets a lock file
#    from `cargo generate-lockfile -Zminimal-versions` (today's cargo, RUSTC_BOOTSTRAP=1).
# 2. Linux, today's toolchain: every test built (with the `tls` feature), the tests of the
#    core run (unit tests, io, framing, frames, readiness, ffi, tls_core: what the
#    dependencies' code reaches; the C, packaging and real-server suites link the same
#    library and run in scripts/test.sh at the normal versions), and the `header` feature
#    (cbindgen at its lowest) type-checked.
# 3. The same lock type-checked by Rust 1.63 (scripts/cross-check.sh --lock) for Linux,
#    Windows (x86_64-pc-windows-gnu), macOS, the BSDs and illumos.
#
# Work and caches live in target/minimal-versions (the test build) and target/cross-check.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$root/target/minimal-versions

rm -rf "$work/src"
mkdir -p "$work/src"
git ls-files -z | xargs -0 -I{} cp --parents {} "$work/src/"
cd "$work/src"
sed -i 's/^members = \[".", "bench"\]/members = ["."]/' Cargo.toml
RUSTC_BOOTSTRAP=1 cargo generate-lockfile --quiet -Zminimal-versions
echo "== minimal versions:" $(cargo tree --quiet --depth 1 --target all -e normal,build,dev \
    --prefix none --features header | sort -u | grep -v '^sockhelp ' | tr '\n' ' ')

export CARGO_TARGET_DIR=$work/target
echo "== minimal versions, Linux: every test built, the core's tests run (feature tls)"
cargo test --quiet --features tls --no-run
cargo test --quiet --features tls --lib --test io --test framing --test frames --test readiness \
    --test ffi --test tls_core
echo "== minimal versions, Linux: cargo check --features header (cbindgen)"
cargo check --quiet --features header
unset CARGO_TARGET_DIR

cd "$root"
scripts/cross-check.sh --lock "$work/src/Cargo.lock" x86_64-unknown-linux-gnu \
    x86_64-pc-windows-gnu x86_64-apple-darwin aarch64-apple-darwin x86_64-unknown-freebsd \
    x86_64-unknown-netbsd x86_64-unknown-openbsd x86_64-unknown-illumos
echo "minimal-versions: sockhelp builds and passes its tests with its lowest dependencies"
