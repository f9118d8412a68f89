#!/usr/bin/env bash
# Builds the library and every test with Rust 1.63 (Debian 12's rustc), for
# Linux and for Windows (x86_64-pc-windows-gnu, the mingw cross toolchain), so
# nothing newer than 1.63 sneaks into the code or the lockfile.
#
# Debian's cargo cannot reach the registry: the dependencies are vendored
# first with the normal cargo. The optional `header` feature (cbindgen) and `tls` feature
# (rustls), which need a newer compiler, are dropped from the copy that 1.63 builds.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/debian-rust.sh
debian_install /usr/bin/rustc rustc /usr/bin/cargo cargo \
    /usr/lib/rustlib/x86_64-pc-windows-gnu libstd-rust-dev-windows \
    x86_64-w64-mingw32-gcc gcc-mingw-w64-x86-64
/usr/bin/rustc --version

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
vendored_copy "$work/src" "$work/vendor" Cargo.lock
cd "$work/src"
export RUSTC=/usr/bin/rustc
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
echo "== Rust 1.63, Linux: library and tests"
/usr/bin/cargo build --offline --quiet
/usr/bin/cargo test --offline --quiet --no-run
echo "== Rust 1.63, Linux: the core's tests run (unit, io, framing, frames, readiness, ffi)"
/usr/bin/cargo test --offline --quiet --lib --test io --test framing --test frames \
    --test readiness --test ffi
echo "== Rust 1.63, Windows (x86_64-pc-windows-gnu): library and tests"
/usr/bin/cargo build --offline --quiet --target x86_64-pc-windows-gnu
/usr/bin/cargo test --offline --quiet --no-run --target x86_64-pc-windows-gnu
echo "msrv-check: Rust 1.63 builds sockhelp and its tests for Linux and Windows, and passes the core's tests on Linux"
