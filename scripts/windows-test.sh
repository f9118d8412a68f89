#!/usr/bin/env bash
# Runs sockhelp's portable tests on Windows, here under Wine:
#
#  1. builds the library and the Rust tests for x86_64-pc-windows-gnu with Debian's
#     Rust 1.63 (rustc, cargo, libstd-rust-dev-windows) and the mingw-w64 linker, from
#     vendored dependencies (Debian's cargo cannot reach the registry);
#  2. runs the Rust tests that can exist on Windows under wine64 (cargo's target runner):
#     the library's unit tests and the portable test files (listed below);
#  3. cross-compiles the portable C tests (tests/c/portable/*.c) and the C examples
#     (c_examples/*.c, unchanged) with x86_64-w64-mingw32-gcc against the Windows
#     static library, and runs the tests, framed_rpc's demo, line_chat's demo, the
#     echo pair and the select_server + load_client pair under wine64;
#  4. builds c_examples/consumer with CMake and the mingw toolchain file
#     (cmake/mingw-w64-x86_64.cmake): from source through add_subdirectory (the root
#     CMakeLists.txt runs cargo for the Windows target), shared (sockhelp.dll through its
#     import library, IMPORTED_IMPLIB) and static; and through find_package from a prefix
#     that scripts/install.sh --os windows filled (bin/sockhelp.dll, lib/libsockhelp.dll.a);
#     runs each consumer under wine64;
#  5. (TLS) builds tests/tls_core.rs with the feature tls and the rustup toolchain (Rust
#     >= 1.71, which rustls needs), and runs it under wine64 with a stand-in
#     bcryptprimitives.dll (scripts/windows/prng_shim.c; see the TLS step).
#
# Why not the rustup toolchain: Rust >= 1.78's std imports ProcessPrng from
# bcryptprimitives.dll, which Wine 8 (Debian 12) does not provide, so its test binaries
# do not even start there; Debian's 1.63 std uses BCryptGenRandom.
#
# The other Rust test files are POSIX-only (UnixStream, fork, libc, LD_PRELOAD) and are
# `#![cfg(unix)]` (tests/packaging.rs also checks the header and the lockfile, with cargo
# and python3 on the host).
#
# Usage: scripts/windows-test.sh           (from anywhere; installs what is missing)
# Environment: WINDOWS_TEST_KEEP=1 keeps the Wine prefix; the build cache lives in
# target/windows-test (delete it for a clean build).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

need=()
[ -x /usr/bin/rustc ] || need+=(rustc)
[ -x /usr/bin/cargo ] || need+=(cargo)
[ -d /usr/lib/rustlib/x86_64-pc-windows-gnu ] || need+=(libstd-rust-dev-windows)
command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || need+=(gcc-mingw-w64-x86-64)
[ -x /usr/lib/wine/wine64 ] || need+=(wine64)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
command -v cmake >/dev/null 2>&1 || need+=(cmake)
command -v make >/dev/null 2>&1 || need+=(make)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ "${#need[@]}" -gt 0 ]; then
    echo "installing: ${need[*]}"
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
/usr/bin/rustc --version
x86_64-w64-mingw32-gcc --version | head -1
/usr/lib/wine/wine64 --version

TARGET=x86_64-pc-windows-gnu
cache="$root/target/windows-test"
src="$cache/src"
mkdir -p "$cache"

# A copy of the sources (tracked and new, not ignored) that Rust 1.63 can build: the
# optional features that need a newer compiler, `header` (cbindgen) and `tls`, are dropped.
# Modification times are kept so cargo rebuilds only what changed since the last run.
rm -rf "$src"
mkdir -p "$src"
git ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do
    [ -e "$f" ] && cp -p --parents "$f" "$src/"
done
sed -i '/^header = \["cbindgen"\]/d; /^cbindgen = /d' "$src/Cargo.toml"
# And `tls` (rustls 0.23 needs Rust 1.71): its own step below builds it with rustup's cargo.
sed -i '/^tls = \[/d; /^rustls[a-z-]* = /d' "$src/Cargo.toml"
grep -q '^rustls\|dep:rustls' "$src/Cargo.toml" && { echo "windows-test: tls lines left in Cargo.toml" >&2; exit 1; }

# Vendor the dependencies once per lockfile (the normal cargo can reach the registry).
stamp=$(cat "$src/Cargo.toml" Cargo.lock | sha256sum | cut -d' ' -f1)
if [ "$(cat "$cache/vendor.stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "== vendoring dependencies"
    rm -rf "$cache/vendor"
    (cd "$src" && cargo vendor --quiet --versioned-dirs "$cache/vendor" >/dev/null)
    # Crates of the dropped feature may use editions 1.63's cargo cannot parse.
    for d in "$cache"/vendor/*/; do
        if grep -q '^edition = "2024"' "$d/Cargo.toml"; then rm -rf "$d"; fi
    done
    echo "$stamp" >"$cache/vendor.stamp"
fi
mkdir -p "$src/.cargo"
cat >"$src/.cargo/config.toml" <<CFG
[source.crates-io]
replace-with = "vendored-sources"
[source.vendored-sources]
directory = "$cache/vendor"
CFG

# Wine: a private prefix, quiet, started once up front (the first start takes seconds).
wineprefix=$(mktemp -d)
cleanup() {
    if [ -z "${WINDOWS_TEST_KEEP:-}" ]; then
        WINEPREFIX="$wineprefix" /usr/lib/wine/wineserver -k 2>/dev/null || true
        rm -rf "$wineprefix"
    fi
}
trap cleanup EXIT
export WINEPREFIX="$wineprefix" WINEDEBUG=-all
# A panicking test must not capture a backtrace: Wine 8's dbghelp crashes while
# symbolizing these binaries' DWARF (a page fault instead of the test's message).
export RUST_BACKTRACE=0
/usr/lib/wine/wine64 wineboot --init >/dev/null 2>&1 || true

export RUSTC=/usr/bin/rustc
export CARGO_TARGET_DIR="$cache/target"
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=/usr/lib/wine/wine64
cd "$src"

echo "== build: libsockhelp.a for $TARGET (Rust 1.63, release)"
/usr/bin/cargo build --offline --quiet --release --lib --target "$TARGET"
lib="$CARGO_TARGET_DIR/$TARGET/release/libsockhelp.a"
[ -f "$lib" ] || { echo "windows-test: $lib was not built" >&2; exit 1; }

# The Rust test files that run on Windows: portable by default, their POSIX-only cases
# marked #[cfg(unix)] inside (the other files are POSIX-only as a whole).
portable=(--test io --test framing --test frames --test readiness --test ffi)
echo "== build: Rust tests for $TARGET"
/usr/bin/cargo test --offline --quiet --no-run --target "$TARGET" --lib "${portable[@]}"

# Tests that cannot pass under Wine although they pass on Windows: skipped here only,
# each with its reason (never on Linux, never on real Windows).
skips=()
wine_skip() {
    echo "  wine-skip $1: $2"
    skips+=(--skip "$1")
}
echo "== Wine skips"
reset_reason="Wine 8 turns a peer's RST (SO_LINGER {1,0} + close) into an orderly EOF:
      recv returns 0 bytes (seen with WINEDEBUG=+winsock: WS2_recv_base status 0) instead of
      failing with WSAECONNRESET as Windows does, so sockhelp reports CLOSED, not RESET"
wine_skip peer_reset_is_an_error_not_a_hang "$reset_reason"
wine_skip socket_passes_over_af_unix_on_windows "Wine 8 has no AF_UNIX (socket(AF_UNIX, ..)
      fails with WSAEAFNOSUPPORT, so listen_unix is UNSUPPORTED); the Windows side of socket
      passing (WSADuplicateSocketW, WSASocketW FROM_PROTOCOL_INFO, the message, across
      processes too) runs here in the library's unit tests (sys::windows::fdpass::tests)"
[ "${#skips[@]}" -gt 0 ] || echo "  (none)"

echo "== Rust tests under wine64"
log="$cache/rust-tests.log"
set +e
/usr/bin/cargo test --offline --no-fail-fast --target "$TARGET" --lib "${portable[@]}" \
    -- --test-threads=1 "${skips[@]}" 2>&1 | tee "$log"
rust_status=${PIPESTATUS[0]}
set -e
sum_field() { # the word before "$1" on every "test result:" line, summed
    tr -d '\r' <"$log" | awk -v w="$1" '/^test result:/ {
        for (i = 2; i <= NF; i++) { f = $i; sub(/[;,.]$/, "", f); if (f == w) s += $(i - 1) } }
        END { print s + 0 }'
}
rust_passed=$(sum_field passed)
rust_failed=$(sum_field failed)
rust_skipped=$(sum_field filtered)

echo "== C tests and examples: x86_64-w64-mingw32-gcc against libsockhelp.a"
libs=(-lws2_32 -luserenv -lntdll -lbcrypt -ladvapi32 -lkernel32)
cflags=(-std=c99 -Wall -Wextra -Werror -pedantic -O2 -static -Iinclude)
bin="$cache/bin"
rm -rf "$bin"
mkdir -p "$bin"
for f in tests/c/portable/*.c; do
    n=$(basename "$f" .c)
    x86_64-w64-mingw32-gcc "${cflags[@]}" -Itests/c/portable "$f" -o "$bin/$n.exe" "$lib" "${libs[@]}"
done
# The examples, unchanged, with the flags of their Makefile (winpthreads stands in for
# pthreads; -static keeps libwinpthread-1.dll out of the picture).
for n in echo_server echo_client framed_rpc line_chat select_server load_client; do
    x86_64-w64-mingw32-gcc "${cflags[@]}" -D_POSIX_C_SOURCE=200809L -pthread \
        "c_examples/$n.c" -o "$bin/$n.exe" "$lib" -lpthread "${libs[@]}"
done

c_passed=0
c_failed=0
c_check() { # name, command...
    local name=$1
    shift
    if "$@" >"$bin/$name.out" 2>&1; then
        echo "  ok    $name"
        c_passed=$((c_passed + 1))
    else
        echo "  FAIL  $name (exit $?):"
        sed 's/^/        /' "$bin/$name.out"
        c_failed=$((c_failed + 1))
    fi
}
wine() { timeout 300 /usr/lib/wine/wine64 "$@"; }

# A server example in the background: prints "listening on PORT"; then its client.
server_pair() { # server-exe server-args client-exe client-args-before-port...
    local server=$1 sargs=$2 client=$3 cargs=$4 cargs_after=${5:-}
    local out="$bin/$(basename "$server" .exe).server.out"
    # shellcheck disable=SC2086
    wine "$server" $sargs >"$out" 2>&1 &
    local pid=$! port="" tries=0
    while [ -z "$port" ] && [ $tries -lt 300 ]; do
        port=$(tr -d '\r' <"$out" | sed -n 's/^listening on \([0-9][0-9]*\)$/\1/p')
        if [ -z "$port" ]; then
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
            tries=$((tries + 1))
        fi
    done
    if [ -z "$port" ]; then
        echo "server $server did not print its port:" >&2
        cat "$out" >&2
        kill "$pid" 2>/dev/null || true
        return 1
    fi
    # shellcheck disable=SC2086
    if ! wine "$client" $cargs "$port" $cargs_after; then
        kill "$pid" 2>/dev/null || true
        return 1
    fi
    wait "$pid" || { echo "server exited with $?" >&2; cat "$out" >&2; return 1; }
    tr -d '\r' <"$out"
}

# C programs skipped under Wine, each with its reason (as for the Rust tests above).
c_skips=" cw_reset "
c_skipped=0
echo "== C tests under wine64"
for f in tests/c/portable/*.c; do
    n=$(basename "$f" .c)
    case "$c_skips" in
    *" $n "*)
        echo "  wine-skip $n: $reset_reason"
        c_skipped=$((c_skipped + 1))
        continue
        ;;
    esac
    c_check "$n" wine "$bin/$n.exe"
done
c_tests_passed=$c_passed
echo "== C examples under wine64"
c_check "framed_rpc demo" wine "$bin/framed_rpc.exe" demo
c_check "line_chat demo" wine "$bin/line_chat.exe" demo
c_check "echo_server + echo_client" server_pair "$bin/echo_server.exe" "0 1" "$bin/echo_client.exe" "127.0.0.1"
c_check "select_server + load_client" server_pair "$bin/select_server.exe" "--conns 50" "$bin/load_client.exe" "" "50 20"
c_check "select_server --poller + load_client" server_pair "$bin/select_server.exe" "--poller --conns 50" "$bin/load_client.exe" "" "50 20"

echo "== CMake + mingw toolchain: c_examples/consumer under wine64"
toolchain="$root/cmake/mingw-w64-x86_64.cmake"
cmake_consumer() { # name, cmake arguments...
    local name=$1
    shift
    local build="$cache/cmake-$name"
    rm -rf "$build"
    cmake -S "$src/c_examples/consumer" -B "$build" -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
        -DCMAKE_BUILD_TYPE=Release "$@" >"$cache/cmake-$name.log" 2>&1 \
        && cmake --build "$build" -j2 >>"$cache/cmake-$name.log" 2>&1 \
        && [ -f "$build/consumer.exe" ] \
        || { tail -40 "$cache/cmake-$name.log"; return 1; }
}
consumer_runs() { # build directory, WINEPATH
    WINEPATH="$2" wine "$1/consumer.exe" | tr -d '\r' | grep "consumer: ok"
}
# Imports of a PE file, as objdump lists them.
imports() { x86_64-w64-mingw32-objdump -p "$1" | sed -n 's/^[[:space:]]*DLL Name: //p' | tr -d '\r'; }
from_source=(-DSOCKHELP_SOURCE_DIR="$src" -DSOCKHELP_CARGO=/usr/bin/cargo
    -DSOCKHELP_CARGO_TARGET_DIR="$CARGO_TARGET_DIR" -DSOCKHELP_CARGO_FLAGS=--offline)
c_check "cmake add_subdirectory, shared: configure + build" cmake_consumer subdir-shared "${from_source[@]}"
c_check "cmake add_subdirectory, shared: imports sockhelp.dll" \
    sh -c "x86_64-w64-mingw32-objdump -p '$cache/cmake-subdir-shared/consumer.exe' | grep -q 'DLL Name: sockhelp.dll'"
c_check "cmake add_subdirectory, shared: runs" consumer_runs "$cache/cmake-subdir-shared" "$cache/cmake-subdir-shared/sockhelp/bin"
c_check "cmake add_subdirectory, static: configure + build" cmake_consumer subdir-static "${from_source[@]}" -DCONSUMER_STATIC=ON
c_check "cmake add_subdirectory, static: does not import sockhelp.dll" \
    sh -c "! x86_64-w64-mingw32-objdump -p '$cache/cmake-subdir-static/consumer.exe' | grep -q 'DLL Name: sockhelp.dll'"
c_check "cmake add_subdirectory, static: runs" consumer_runs "$cache/cmake-subdir-static" ""

python3 scripts/gen-docs.py --out "$CARGO_TARGET_DIR/docs" >/dev/null
winprefix="$cache/prefix"
rm -rf "$winprefix"
c_check "install.sh --os windows" sh scripts/install.sh --os windows --prefix "$winprefix" \
    --target-dir "$CARGO_TARGET_DIR" --built "$CARGO_TARGET_DIR/$TARGET/release" \
    --strip x86_64-w64-mingw32-strip
c_check "installed layout: the DLL in bin, import and static libraries in lib" \
    test -f "$winprefix/bin/sockhelp.dll" -a -f "$winprefix/lib/libsockhelp.dll.a" -a -f "$winprefix/lib/libsockhelp.a"
c_check "cmake find_package, shared: configure + build" cmake_consumer find-shared -DCMAKE_PREFIX_PATH="$winprefix"
c_check "cmake find_package, shared: runs with the installed DLL" consumer_runs "$cache/cmake-find-shared" "$winprefix/bin"
c_check "cmake find_package, static: configure + build" cmake_consumer find-static -DCMAKE_PREFIX_PATH="$winprefix" -DCONSUMER_STATIC=ON
c_check "cmake find_package, static: runs" consumer_runs "$cache/cmake-find-static" ""
echo "  consumer.exe (shared) imports: $(imports "$cache/cmake-find-shared/consumer.exe" 2>/dev/null | tr '\n' ' ')"

# TLS (the feature `tls`): rustls needs Rust 1.71, so Debian's 1.63 above cannot build it;
# the rustup toolchain on PATH can (ring's C built by x86_64-w64-mingw32-gcc). Its std
# imports ProcessPrng from bcryptprimitives.dll, which Wine 8 lacks: scripts/windows/
# prng_shim.c stands in for it next to the test binary (Windows itself has the DLL).
# tests/tls_core.rs runs here (its real-server cases are Linux-only: #[cfg(target_os =
# "linux")]); tests/tls.rs (C programs against real TLS servers) is Linux-only.
echo "== TLS: tests/tls_core.rs for $TARGET (the rustup toolchain, feature tls) under wine64"
tls_passed=0
tls_failed=0
tls_status=0
host_rustc=$(env -u RUSTC bash -c 'command -v rustc' || true)
host_minor=$(env -u RUSTC "${host_rustc:-false}" --version 2>/dev/null | sed -n 's/^rustc 1\.\([0-9]*\).*/\1/p')
if [ -z "$host_minor" ] || [ "$host_minor" -lt 71 ] || [ "$host_rustc" = /usr/bin/rustc ]; then
    echo "windows-test: no Rust >= 1.71 (rustup) on PATH: the TLS feature cannot be built for $TARGET" >&2
    exit 1
fi
if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed | grep -qx "$TARGET"; then
    rustup target add "$TARGET"
fi
cd "$root"
tls_target="$cache/tls-target"
tls_exe=$(env -u RUSTC -u CARGO_TARGET_DIR cargo test --quiet --no-run --features tls \
    --target "$TARGET" --target-dir "$tls_target" --test tls_core --message-format=json |
    python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable"):
        print(m["executable"])' | tail -1)
[ -f "$tls_exe" ] || { echo "windows-test: the TLS test binary was not built" >&2; exit 1; }
x86_64-w64-mingw32-gcc -shared -O2 -o "$(dirname "$tls_exe")/bcryptprimitives.dll" \
    scripts/windows/prng_shim.c -lbcrypt
log="$cache/tls-tests.log"
set +e
timeout 600 /usr/lib/wine/wine64 "$tls_exe" --test-threads=1 2>&1 | tee "$log"
tls_status=${PIPESTATUS[0]}
set -e
tls_passed=$(sum_field passed)
tls_failed=$(sum_field failed)
[ "$tls_passed" -gt 0 ] || tls_status=1

echo
echo "windows-test: Rust tests under Wine: ${rust_passed:-0} passed, ${rust_failed:-0} failed, ${rust_skipped:-0} skipped (Wine skips listed above)"
echo "windows-test: C under Wine: $c_tests_passed C test programs and $((c_passed - c_tests_passed)) example runs and CMake consumer checks passed, $c_failed failed, $c_skipped skipped (Wine skips listed above)"
echo "windows-test: TLS (tests/tls_core.rs, rustup toolchain) under Wine: $tls_passed passed, $tls_failed failed"
if [ "$rust_status" -ne 0 ] || [ "$c_failed" -ne 0 ] || [ "$tls_status" -ne 0 ]; then
    echo "windows-test: FAILED" >&2
    exit 1
fi
echo "windows-test: OK"
