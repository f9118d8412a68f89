#!/bin/sh
# Installs a built sockhelp into a prefix, the way libuv and libevent install:
#
#   PREFIX/include/sockhelp.h
#   PREFIX/lib/libsockhelp.a
#   PREFIX/lib/libsockhelp.so.X.Y.Z        the shared library (SONAME libsockhelp.so.ABI)
#   PREFIX/lib/libsockhelp.so.ABI -> libsockhelp.so.X.Y.Z   what programs load at run time
#   PREFIX/lib/libsockhelp.so     -> libsockhelp.so.ABI     what `-lsockhelp` finds
#   PREFIX/lib/pkgconfig/sockhelp.pc
#   PREFIX/lib/cmake/sockhelp/sockhelpConfig.cmake, sockhelpConfigVersion.cmake
#
# ABI is 0.MINOR before 1.0 and MAJOR after (build.rs sets the same SONAME). The .pc and
# CMake files find the prefix from their own location, so the tree can be moved.
#
# Usually run through the root Makefile (`make install PREFIX=...`), which builds first:
#
#   scripts/install.sh --prefix DIR [--libdir lib] [--includedir include]
#                      [--destdir STAGING] [--target-dir target] [--uninstall]
#
# --libdir and --includedir are relative to the prefix. --destdir stages the files
# under STAGING/PREFIX (for packagers). Needs no root unless the prefix does.
set -eu

prefix=
libdir=lib
includedir=include
destdir=
target_dir=${CARGO_TARGET_DIR:-target}
uninstall=no

usage() {
    sed -n '2,25p' "$0" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case $1 in
        --prefix) prefix=$2; shift 2 ;;
        --prefix=*) prefix=${1#*=}; shift ;;
        --libdir) libdir=$2; shift 2 ;;
        --libdir=*) libdir=${1#*=}; shift ;;
        --includedir) includedir=$2; shift 2 ;;
        --includedir=*) includedir=${1#*=}; shift ;;
        --destdir) destdir=$2; shift 2 ;;
        --destdir=*) destdir=${1#*=}; shift ;;
        --target-dir) target_dir=$2; shift 2 ;;
        --target-dir=*) target_dir=${1#*=}; shift ;;
        --uninstall) uninstall=yes; shift ;;
        -h|--help) usage ;;
        *) echo "install.sh: unknown argument: $1" >&2; usage ;;
    esac
done

die() {
    echo "install.sh: $*" >&2
    exit 1
}

[ -n "$prefix" ] || die "--prefix is required (e.g. --prefix /usr/local or --prefix \$HOME/.local)"

# Paths given relative are relative to where we were started.
case $prefix in /*) ;; *) prefix=$(pwd)/$prefix ;; esac
case $target_dir in /*) ;; *) target_dir=$(pwd)/$target_dir ;; esac
prefix=${prefix%/}
[ -n "$prefix" ] || prefix=/

# libdir / includedir: relative to the prefix (an absolute path inside the prefix is accepted).
relative_to_prefix() {
    case $1 in
        "$prefix"/*) echo "${1#"$prefix"/}" ;;
        /*) die "$2 $1 must be inside the prefix $prefix (or relative to it)" ;;
        *) echo "${1%/}" ;;
    esac
}
libdir=$(relative_to_prefix "$libdir" --libdir)
includedir=$(relative_to_prefix "$includedir" --includedir)
case "/$libdir/$includedir/" in
    */../*|*/./*|//*) die "--libdir and --includedir must be plain relative paths" ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)

[ "$(uname -s)" = Linux ] || die "installing is supported on Linux only for now (found $(uname -s))"

version=$(sed -n 's/^version = "\([^"]*\)".*/\1/p' "$root/Cargo.toml" | head -n 1)
[ -n "$version" ] || die "no version in $root/Cargo.toml"
major=${version%%.*}
rest=${version#*.}
minor=${rest%%.*}
if [ "$major" = 0 ]; then abi=0.$minor; else abi=$major; fi

shared_real=libsockhelp.so.$version
shared_soname=libsockhelp.so.$abi
# What libsockhelp.a needs (rustc --print native-static-libs: -lgcc_s -lutil -lrt -lpthread
# -lm -ldl -lc; the compiler driver adds -lc and -lgcc_s itself).
libs_private="-lpthread -ldl -lm -lrt -lutil"
cmake_libs_private="dl;m;rt;util"

# "../" once per directory level of $1: from $prefix/$1 back up to $prefix.
ups() {
    echo "$1" | awk -F/ '{ s = ".."; for (i = 2; i <= NF; i++) s = s "/.."; print s }'
}

dest=$destdir$prefix
inc_dir=$dest/$includedir
lib_dir=$dest/$libdir
pc_dir=$lib_dir/pkgconfig
cmake_dir=$lib_dir/cmake/sockhelp

if [ "$uninstall" = yes ]; then
    for f in "$inc_dir/sockhelp.h" "$lib_dir/libsockhelp.a" "$lib_dir/$shared_real" \
             "$lib_dir/$shared_soname" "$lib_dir/libsockhelp.so" "$pc_dir/sockhelp.pc" \
             "$cmake_dir/sockhelpConfig.cmake" "$cmake_dir/sockhelpConfigVersion.cmake"; do
        if [ -e "$f" ] || [ -L "$f" ]; then rm -f "$f" && echo "removed $f"; fi
    done
    rmdir "$cmake_dir" 2>/dev/null || true
    exit 0
fi

built=$target_dir/release
for f in "$built/libsockhelp.a" "$built/libsockhelp.so"; do
    [ -f "$f" ] || die "$f is missing: build first (make, or cargo build --release --lib)"
done
# A library built before build.rs set the SONAME would install but not load.
if command -v readelf >/dev/null 2>&1; then
    readelf -d "$built/libsockhelp.so" | grep -q "SONAME.*\[$shared_soname\]" \
        || die "$built/libsockhelp.so has no SONAME $shared_soname: rebuild it (make)"
fi

sizeof_void_p=$(($(getconf LONG_BIT) / 8))

fill() { # template output: replaces the @NAME@ placeholders
    sed -e "s|@VERSION@|$version|g" \
        -e "s|@ABI@|$abi|g" \
        -e "s|@LIBDIR@|$libdir|g" \
        -e "s|@INCLUDEDIR@|$includedir|g" \
        -e "s|@PC_TO_PREFIX@|$(ups "$libdir/pkgconfig")|g" \
        -e "s|@CMAKE_TO_PREFIX@|$(ups "$libdir/cmake/sockhelp")|g" \
        -e "s|@SHARED_REAL@|$shared_real|g" \
        -e "s|@SHARED_SONAME@|$shared_soname|g" \
        -e "s|@LIBS_PRIVATE@|$libs_private|g" \
        -e "s|@CMAKE_LIBS_PRIVATE@|$cmake_libs_private|g" \
        -e "s|@SIZEOF_VOID_P@|$sizeof_void_p|g" \
        "$1" > "$2.tmp"
    if grep -q '@[A-Z_]*@' "$2.tmp"; then
        rm -f "$2.tmp"
        die "unfilled placeholder in $1"
    fi
    chmod 644 "$2.tmp"
    mv -f "$2.tmp" "$2"
    echo "installed $2"
}

put() { # mode source destination
    install -m "$1" "$2" "$3"
    echo "installed $3"
}

link() { # target name
    ln -sfn "$1" "$2"
    echo "installed $2 -> $1"
}

install -d "$inc_dir" "$lib_dir" "$pc_dir" "$cmake_dir"
put 644 "$root/include/sockhelp.h" "$inc_dir/sockhelp.h"
put 644 "$built/libsockhelp.a" "$lib_dir/libsockhelp.a"
# A fresh file, not an overwrite in place: programs running from the old one keep working.
rm -f "$lib_dir/$shared_real"
put 755 "$built/libsockhelp.so" "$lib_dir/$shared_real"
link "$shared_real" "$lib_dir/$shared_soname"
link "$shared_soname" "$lib_dir/libsockhelp.so"
fill "$root/sockhelp.pc.in" "$pc_dir/sockhelp.pc"
fill "$root/cmake/sockhelpConfig.cmake.in" "$cmake_dir/sockhelpConfig.cmake"
fill "$root/cmake/sockhelpConfigVersion.cmake.in" "$cmake_dir/sockhelpConfigVersion.cmake"

case $prefix in
    /usr|/usr/local)
        if [ -z "$destdir" ] && [ "$(id -u)" = 0 ] && command -v ldconfig >/dev/null 2>&1; then
            ldconfig || true
        fi ;;
esac
echo "sockhelp $version installed into $dest (SONAME $shared_soname)"
