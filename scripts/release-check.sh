#!/bin/sh
# What a release must pass (RELEASING.md). From the source tree, with cargo on PATH:
#
#   scripts/release-check.sh              every check, then the whole test suite
#   scripts/release-check.sh --no-tests   every check but the test suite
#
# Checks that the version in Cargo.toml is the one everything else says: Cargo.lock, the
# header's SOCKHELP_VERSION_* macros, a dated CHANGELOG.md section; and, after `make` and
# a `make install` into a scratch DESTDIR: sockhelp.pc, sockhelp-static.pc, the CMake
# version file, the shared library's SONAME (libsockhelp.so.0.MINOR before 1.0, MAJOR
# after), sockhelp_version() at run time, the man pages; that the installed libraries
# carry no debug info; and that the license files are installed. Then scripts/test.sh.
# Exits 1 naming every check that failed. TARGET_DIR (default target) is cargo's.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)

run_tests=yes
case ${1:-} in
    --no-tests) run_tests=no ;;
    "") ;;
    *) echo "usage: scripts/release-check.sh [--no-tests]" >&2; exit 2 ;;
esac
target_dir=${TARGET_DIR:-${CARGO_TARGET_DIR:-target}}
case $target_dir in /*) ;; *) target_dir=$root/$target_dir ;; esac

failed=0
ok() { echo "  ok    $*"; }
bad() { echo "  FAIL  $*"; failed=$((failed + 1)); }
check() { # description, expected, actual
    if [ "$2" = "$3" ]; then ok "$1: $3"; else bad "$1: expected '$2', found '$3'"; fi
}

version=$(sed -n 's/^version = "\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)
major=${version%%.*}
rest=${version#*.}
minor=${rest%%.*}
if [ "$major" = 0 ]; then abi=0.$minor; else abi=$major; fi
echo "== sockhelp $version (ABI $abi)"

echo "== sources"
lock=$(awk '/^name = "sockhelp"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
check "Cargo.lock" "$version" "$lock"
macro() { sed -n "s/^#define SOCKHELP_VERSION_$1 \([0-9]*\)\$/\1/p" include/sockhelp.h; }
check "include/sockhelp.h SOCKHELP_VERSION_*" "$version" "$(macro MAJOR).$(macro MINOR).$(macro PATCH)"
if grep -Eq "^## \[$version\] - [0-9]{4}-[0-9]{2}-[0-9]{2}\$" CHANGELOG.md; then
    ok "CHANGELOG.md has a dated [$version] section"
else
    bad "CHANGELOG.md has no '## [$version] - YYYY-MM-DD' section"
fi
for f in LICENSE-MIT LICENSE-APACHE; do
    if [ -s "$f" ]; then ok "$f"; else bad "$f is missing"; fi
done
if grep -q '^license = "MIT OR Apache-2.0"$' Cargo.toml; then ok "Cargo.toml license"; else bad "Cargo.toml license is not MIT OR Apache-2.0"; fi

echo "== make, make install DESTDIR=..."
stage=$target_dir/release-check
rm -rf "$stage"
make --no-print-directory TARGET_DIR="$target_dir" >"$target_dir/release-check.log" 2>&1 \
    || { cat "$target_dir/release-check.log" >&2; echo "release-check: make failed" >&2; exit 1; }
make --no-print-directory install PREFIX=/usr/local DESTDIR="$stage" TARGET_DIR="$target_dir" \
    >>"$target_dir/release-check.log" 2>&1 \
    || { cat "$target_dir/release-check.log" >&2; echo "release-check: make install failed" >&2; exit 1; }
p=$stage/usr/local
for pc in sockhelp sockhelp-static; do
    check "$pc.pc Version" "$version" "$(sed -n 's/^Version: //p' "$p/lib/pkgconfig/$pc.pc")"
done
check "sockhelpConfigVersion.cmake" "$version" \
    "$(sed -n 's/^set(PACKAGE_VERSION "\([^"]*\)")$/\1/p' "$p/lib/cmake/sockhelp/sockhelpConfigVersion.cmake")"
so=$p/lib/libsockhelp.so.$version
if [ -f "$so" ]; then
    check "SONAME" "libsockhelp.so.$abi" \
        "$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
    check "debug sections in the installed .so" "0" "$(readelf -S "$so" | grep -c '\.debug' || true)"
else
    bad "$so was not installed"
fi
check "debug sections in the installed .a" "0" "$(readelf -S "$p/lib/libsockhelp.a" 2>/dev/null | grep -c '\.debug' || true)"
check "man page sockhelp(3) version" "1" "$(grep -c "sockhelp $version" "$p/share/man/man3/sockhelp.3")"
for f in LICENSE-MIT LICENSE-APACHE CHANGELOG.md; do
    if [ -f "$p/share/doc/sockhelp/$f" ]; then ok "installed $f"; else bad "$f not installed"; fi
done
prog=$target_dir/release-check/version
printf '#include <sockhelp.h>\n#include <stdio.h>\nint main(void) { puts(sockhelp_version()); return 0; }\n' >"$prog.c"
if cc -std=c99 -I"$p/include" "$prog.c" -o "$prog" -L"$p/lib" -lsockhelp 2>&1; then
    check "sockhelp_version()" "$version" "$(LD_LIBRARY_PATH=$p/lib "$prog")"
else
    bad "a program calling sockhelp_version() did not build"
fi

if [ "$run_tests" = yes ]; then
    echo "== tests: scripts/test.sh"
    if scripts/test.sh; then ok "scripts/test.sh"; else bad "scripts/test.sh"; fi
fi

if [ "$failed" -gt 0 ]; then
    echo "release-check: $failed check(s) FAILED" >&2
    exit 1
fi
echo "release-check: sockhelp $version is ready to tag (v$version)"
