#!/usr/bin/env bash
# Builds the library and every test with Rust 1.63 (Debian 12's rustc), for
# Linux and for Windows (x86_64-pc-windows-gnu, the mingw cross toolchain), so
# nothing newer than 1.63 sneaks into the code or the lockfile.
#
# Debian's cargo cannot reach the registry: the dependencies are vendored
# first with the normal cargo. The optional features that need a newer
# compiler, `header` (cbindgen) and `tls` (rustls 0.23: Rust 1.71), are dropped
# from the copy that 1.63 builds, with their crates (so their manifests and lock
# entries never reach 1.63's cargo).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/bin/rustc ] || need+=(rustc)
[ -x /usr/bin/cargo ] || need+=(cargo)
[ -d /usr/lib/rustlib/x86_64-pc-windows-gnu ] || need+=(libstd-rust-dev-windows)
command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || need+=(gcc-mingw-w64-x86-64)
if [ "${#need[@]}" -gt 0 ]; then
    echo "installing: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
/usr/bin/rustc --version

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git ls-files -z | xargs -0 -I{} cp --parents {} "$work/"
cd "$work"
sed -i '/^header = \["cbindgen"\]/d; /^cbindgen = /d' Cargo.toml
sed -i '/^tls = \[/d; /^rustls[a-z-]* = /d' Cargo.toml
grep -q '^rustls\|dep:rustls' Cargo.toml && { echo "msrv-check: tls lines left in Cargo.toml" >&2; exit 1; }
cargo vendor --quiet --versioned-dirs "$work/vendor" > /dev/null
# Crates of the dropped feature may use editions 1.63's cargo cannot parse.
for d in vendor/*/; do
    if grep -q '^edition = "2024"' "$d/Cargo.toml"; then rm -rf "$d"; fi
done
mkdir -p .cargo
cat > .cargo/config.toml <<CFG
[source.crates-io]
replace-with = "vendored-sources"
[source.vendored-sources]
directory = "$work/vendor"
CFG
export RUSTC=/usr/bin/rustc
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
echo "== Rust 1.63, Linux: library and tests"
/usr/bin/cargo build --offline --quiet
/usr/bin/cargo test --offline --quiet --no-run
echo "== Rust 1.63, Windows (x86_64-pc-windows-gnu): library and tests"
/usr/bin/cargo build --offline --quiet --target x86_64-pc-windows-gnu
/usr/bin/cargo test --offline --quiet --no-run --target x86_64-pc-windows-gnu
echo "msrv-check: Rust 1.63 builds sockhelp and its tests for Linux and Windows"
