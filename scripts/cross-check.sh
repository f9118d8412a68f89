#!/usr/bin/env bash
# Type-checks the library and every test (`cargo check --all-targets`) for the platforms
# CI cannot run: macOS (x86_64, aarch64), FreeBSD, NetBSD, OpenBSD and illumos, with
# Debian 12's Rust 1.63 and `-Zbuild-std` (std built from Debian's rust-src; no linker,
# no SDK, nothing from the network but the crates registry). A type error in any
# platform's code (kqueue through `polling`, SO_NOSIGPIPE, the keepalive options, event
# ports) fails it.
#
#   scripts/cross-check.sh [--lock FILE] [TARGET...]
#
# --lock FILE checks with FILE as the lock file instead of Cargo.lock (minimal-versions.sh
# passes its minimal lock). A TARGET whose std Debian ships (x86_64-unknown-linux-gnu,
# x86_64-pc-windows-gnu) is checked against that std, without -Zbuild-std. Work and caches live in target/cross-check (CROSS_CHECK_DIR):
# a private sysroot (the host's std by symlink, a copy of rust-src's library/, and
# scripts/cross-std's manifest and committed lock file), std's and our vendored
# dependencies, a `rustc --sysroot` wrapper, and the build directory, so std is built
# once per target and reused by later runs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

lock=$root/Cargo.lock
if [ "${1:-}" = --lock ]; then
    lock=$(realpath "$2")
    shift 2
fi
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
    targets=(x86_64-apple-darwin aarch64-apple-darwin x86_64-unknown-freebsd
        x86_64-unknown-netbsd x86_64-unknown-openbsd x86_64-unknown-illumos)
fi

. scripts/debian-rust.sh
windows=()
case " ${targets[*]} " in
    *" x86_64-pc-windows-gnu "*) windows=(/usr/lib/rustlib/x86_64-pc-windows-gnu libstd-rust-dev-windows) ;;
esac
debian_install /usr/bin/rustc rustc /usr/bin/cargo cargo \
    /usr/lib/rustlib/src/rust/library rust-src "${windows[@]}"
/usr/bin/rustc --version

cache=${CROSS_CHECK_DIR:-$root/target/cross-check}
sysroot=$cache/sysroot
std_src=$sysroot/lib/rustlib/src/rust
host=$(/usr/bin/rustc -vV | sed -n 's/^host: //p')
mkdir -p "$sysroot/lib/rustlib"
ln -sfn "/usr/lib/rustlib/$host" "$sysroot/lib/rustlib/$host"
# std's sources, copied again when Debian's rust-src changes (cp -a keeps their times,
# so cargo's fingerprints of std stay valid from run to run).
rust_src=$(dpkg-query -W -f '${Version}' rust-src)
if [ "$(cat "$std_src/.rust-src-version" 2>/dev/null)" != "$rust_src" ]; then
    rm -rf "$std_src"
    mkdir -p "$std_src"
    cp -a /usr/lib/rustlib/src/rust/library "$std_src/"
    echo "$rust_src" >"$std_src/.rust-src-version"
fi
cp scripts/cross-std/Cargo.toml scripts/cross-std/Cargo.lock "$std_src/"
cat >"$cache/rustc" <<WRAP
#!/bin/sh
exec /usr/bin/rustc --sysroot "$sysroot" "\$@"
WRAP
chmod +x "$cache/rustc"
# Warnings in our code (dead code on one platform, an unused import) fail the check too;
# std and the dependencies are built as usual.
cat >"$cache/deny-warnings" <<'WRAP'
#!/bin/sh
exec "$@" -D warnings
WRAP
chmod +x "$cache/deny-warnings"

# Our dependencies and std's in one vendor directory; std's lock file must come out of
# it unchanged (else std's dependencies would drift from run to run).
vendored_copy "$cache/src" "$cache/vendor" "$lock" --sync "$std_src/Cargo.toml"
if ! cmp -s "$std_src/Cargo.lock" scripts/cross-std/Cargo.lock; then
    echo "cross-check: scripts/cross-std/Cargo.lock no longer fits std's manifests:" >&2
    diff scripts/cross-std/Cargo.lock "$std_src/Cargo.lock" >&2 || true
    exit 1
fi

cd "$cache/src"
export RUSTC=$cache/rustc RUSTC_WORKSPACE_WRAPPER=$cache/deny-warnings RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR=$cache/target
for t in "${targets[@]}"; do
    # A target Debian ships std for (Linux, x86_64-pc-windows-gnu) is checked against it.
    if [ -d "/usr/lib/rustlib/$t/lib" ]; then
        ln -sfn "/usr/lib/rustlib/$t" "$sysroot/lib/rustlib/$t"
        build_std=()
        echo "== Rust 1.63, $t: cargo check --all-targets"
    else
        build_std=(-Zbuild-std=std,panic_abort)
        echo "== Rust 1.63, $t: cargo check --all-targets (std built from rust-src)"
    fi
    start=$SECONDS
    /usr/bin/cargo check --offline --quiet "${build_std[@]}" --target "$t" --all-targets
    echo "   $t: $((SECONDS - start)) s"
done
echo "cross-check: the library and its tests type-check for ${targets[*]}"
