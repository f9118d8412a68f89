#!/bin/sh
# Installs a built sockhelp into a prefix, the way libuv and libevent install. It copies
# only: nothing here runs cargo (run `make` first, as yourself; then `make install`, as
# root if the prefix needs it: sudo's minimal PATH is enough). On Linux:
#
#   PREFIX/include/sockhelp.h
#   PREFIX/lib/libsockhelp.a                                 debug info stripped
#   PREFIX/lib/libsockhelp.so.X.Y.Z                          the shared library, stripped
#   PREFIX/lib/libsockhelp.so.ABI -> libsockhelp.so.X.Y.Z    its SONAME: what programs load
#   PREFIX/lib/libsockhelp.so     -> libsockhelp.so.ABI      what `-lsockhelp` finds
#   PREFIX/lib/pkgconfig/sockhelp.pc, sockhelp-static.pc
#   PREFIX/lib/cmake/sockhelp/sockhelpConfig.cmake, sockhelpConfigVersion.cmake
#   PREFIX/share/man/man3/sockhelp.3, sockhelp_*.3         (built by `make docs`)
#   PREFIX/share/sockhelp/sockhelp_cffi.h                  declarations for Python's cffi
#   PREFIX/share/doc/sockhelp/LICENSE-MIT, LICENSE-APACHE, README.md, INSTALL.md, CHANGELOG.md, html/
#
# ABI is 0.MINOR before 1.0 and MAJOR after (build.rs sets the same SONAME). The .pc and
# CMake files find the prefix from their own location, so the tree can be moved.
#
# Other systems (written from their conventions; only Linux is tested here):
#   macOS    libsockhelp.X.Y.Z.dylib, libsockhelp.ABI.dylib -> it, libsockhelp.dylib -> that;
#            the install name (otool -D) is PREFIX/LIBDIR/libsockhelp.ABI.dylib
#   BSDs     as Linux; FreeBSD's .pc files go to libdata/pkgconfig, OpenBSD's man pages to man
#   Windows  (mingw: --os windows, e.g. for a cross-built tree) PREFIX/bin/sockhelp.dll,
#            PREFIX/lib/libsockhelp.dll.a (its import library), PREFIX/lib/libsockhelp.a
#
#   scripts/install.sh --prefix DIR [--libdir lib] [--includedir include]
#       [--mandir share/man] [--docdir share/doc/sockhelp] [--pkgconfigdir LIBDIR/pkgconfig]
#       [--bindir bin] [--destdir STAGING] [--target-dir target] [--built DIR]
#       [--os linux|darwin|freebsd|openbsd|netbsd|dragonfly|windows] [--strip PROGRAM]
#       [--uninstall]
#
# The directories are relative to the prefix. --destdir stages the files under
# STAGING/PREFIX (for packagers). --built is where the libraries are (default
# TARGET_DIR/release; TARGET_DIR/x86_64-pc-windows-gnu/release for a cross build).
# --strip "" installs the libraries as built (for packagers whose tools strip them and
# keep the debug info apart). Needs no root unless the prefix does.
set -eu

prefix=
libdir=
includedir=
mandir=
docdir=
pkgconfigdir=
bindir=
destdir=
target_dir=${CARGO_TARGET_DIR:-target}
built=
os=
strip_prog=strip
uninstall=no

usage() {
    sed -n '2,41p' "$0" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case $1 in
        --*=*) opt=${1%%=*}; val=${1#*=}; shift; set -- "$opt" "$val" "$@" ;;
    esac
    case $1 in
        --prefix) prefix=$2; shift 2 ;;
        --libdir) libdir=$2; shift 2 ;;
        --includedir) includedir=$2; shift 2 ;;
        --mandir) mandir=$2; shift 2 ;;
        --docdir) docdir=$2; shift 2 ;;
        --pkgconfigdir) pkgconfigdir=$2; shift 2 ;;
        --bindir) bindir=$2; shift 2 ;;
        --destdir) destdir=$2; shift 2 ;;
        --target-dir) target_dir=$2; shift 2 ;;
        --built) built=$2; shift 2 ;;
        --os) os=$2; shift 2 ;;
        --strip) strip_prog=$2; shift 2 ;;
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

if [ -z "$os" ]; then
    case $(uname -s) in
        Linux) os=linux ;;
        Darwin) os=darwin ;;
        FreeBSD) os=freebsd ;;
        OpenBSD) os=openbsd ;;
        NetBSD) os=netbsd ;;
        DragonFly) os=dragonfly ;;
        MINGW*|MSYS*|CYGWIN*) os=windows ;;
        *) die "unknown system $(uname -s): pass --os (linux, darwin, freebsd, openbsd, netbsd, dragonfly, windows)" ;;
    esac
fi
case $os in
    linux|darwin|freebsd|openbsd|netbsd|dragonfly|windows) ;;
    *) die "--os $os: expected linux, darwin, freebsd, openbsd, netbsd, dragonfly or windows" ;;
esac

# The OS's conventions, unless given.
[ -n "$libdir" ] || libdir=lib
[ -n "$includedir" ] || includedir=include
[ -n "$bindir" ] || bindir=bin
[ -n "$docdir" ] || docdir=share/doc/sockhelp
if [ -z "$mandir" ]; then
    case $os in openbsd) mandir=man ;; *) mandir=share/man ;; esac
fi
if [ -z "$pkgconfigdir" ]; then
    case $os in freebsd) pkgconfigdir=libdata/pkgconfig ;; *) pkgconfigdir=$libdir/pkgconfig ;; esac
fi

# Paths given relative are relative to where we were started.
case $prefix in /*) ;; [A-Za-z]:/*) ;; *) prefix=$(pwd)/$prefix ;; esac
case $target_dir in /*) ;; *) target_dir=$(pwd)/$target_dir ;; esac
[ -n "$built" ] || built=$target_dir/release
case $built in /*) ;; *) built=$(pwd)/$built ;; esac
prefix=${prefix%/}

# Directories: relative to the prefix (an absolute path inside the prefix is accepted).
relative_to_prefix() {
    case $1 in
        "$prefix"/*) echo "${1#"$prefix"/}" ;;
        /*) die "$2 $1 must be inside the prefix $prefix (or relative to it)" ;;
        *) echo "${1%/}" ;;
    esac
}
libdir=$(relative_to_prefix "$libdir" --libdir)
includedir=$(relative_to_prefix "$includedir" --includedir)
mandir=$(relative_to_prefix "$mandir" --mandir)
docdir=$(relative_to_prefix "$docdir" --docdir)
pkgconfigdir=$(relative_to_prefix "$pkgconfigdir" --pkgconfigdir)
bindir=$(relative_to_prefix "$bindir" --bindir)
for d in "$libdir" "$includedir" "$mandir" "$docdir" "$pkgconfigdir" "$bindir"; do
    case "/$d/" in
        */../*|*/./*|//*) die "directory $d: must be a plain relative path" ;;
    esac
done

root=$(cd "$(dirname "$0")/.." && pwd)

version=$(sed -n 's/^version = "\([^"]*\)".*/\1/p' "$root/Cargo.toml" | head -n 1)
[ -n "$version" ] || die "no version in $root/Cargo.toml"
major=${version%%.*}
rest=${version#*.}
minor=${rest%%.*}
if [ "$major" = 0 ]; then abi=0.$minor; else abi=$major; fi

# Per OS: the shared library as cargo builds it, the installed names, and what
# libsockhelp.a needs from the system (rustc --print native-static-libs, minus what the
# compiler driver adds by itself).
shared_implib=
shared_soname=
case $os in
    linux|freebsd|openbsd|netbsd|dragonfly)
        shared_built=libsockhelp.so
        shared_real=libsockhelp.so.$version
        shared_soname=libsockhelp.so.$abi
        shared_links="$shared_soname:$shared_real libsockhelp.so:$shared_soname"
        shared_dir=$libdir ;;
    darwin)
        shared_built=libsockhelp.dylib
        shared_real=libsockhelp.$version.dylib
        shared_links="libsockhelp.$abi.dylib:$shared_real libsockhelp.dylib:libsockhelp.$abi.dylib"
        shared_dir=$libdir ;;
    windows)
        shared_built=sockhelp.dll
        shared_real=sockhelp.dll
        shared_implib=libsockhelp.dll.a
        shared_links=
        shared_dir=$bindir ;;
esac
case $os in
    linux) libs_private="-lpthread -ldl -lm -lrt -lutil"; cmake_libs_private="dl;m;rt;util" ;;
    darwin) libs_private="-liconv -lm"; cmake_libs_private="iconv;m" ;;
    freebsd|dragonfly) libs_private="-lpthread -lm -lrt -lutil -lexecinfo"; cmake_libs_private="m;rt;util;execinfo" ;;
    openbsd|netbsd) libs_private="-lpthread -lm -lexecinfo"; cmake_libs_private="m;execinfo" ;;
    windows)
        libs_private="-lws2_32 -luserenv -lntdll -lbcrypt -ladvapi32 -lkernel32"
        cmake_libs_private="ws2_32;userenv;ntdll;bcrypt;advapi32;kernel32" ;;
esac

# "../" once per directory level of $1: from $prefix/$1 back up to $prefix.
ups() {
    echo "$1" | awk -F/ '{ s = ".."; for (i = 2; i <= NF; i++) s = s "/.."; print s }'
}

dest=$destdir$prefix
inc_dir=$dest/$includedir
lib_dir=$dest/$libdir
shared_dest=$dest/$shared_dir
pc_dir=$dest/$pkgconfigdir
cmake_dir=$lib_dir/cmake/sockhelp
man_dir=$dest/$mandir/man3
doc_dir=$dest/$docdir
data_dir=$dest/share/sockhelp
docs_built=$target_dir/docs

if [ "$uninstall" = yes ]; then
    links=
    for l in $shared_links; do links="$links $shared_dest/${l%%:*}"; done
    # shellcheck disable=SC2086
    for f in "$inc_dir/sockhelp.h" "$lib_dir/libsockhelp.a" "$shared_dest/$shared_real" $links \
             ${shared_implib:+"$lib_dir/$shared_implib"} \
             "$pc_dir/sockhelp.pc" "$pc_dir/sockhelp-static.pc" \
             "$cmake_dir/sockhelpConfig.cmake" "$cmake_dir/sockhelpConfigVersion.cmake" \
             "$man_dir"/sockhelp.3 "$man_dir"/sockhelp_*.3 \
             "$doc_dir/LICENSE-MIT" "$doc_dir/LICENSE-APACHE" "$doc_dir/README.md" \
             "$doc_dir/INSTALL.md" "$doc_dir/CHANGELOG.md" "$data_dir/sockhelp_cffi.h"; do
        if [ -e "$f" ] || [ -L "$f" ]; then rm -f "$f" && echo "removed $f"; fi
    done
    if [ -d "$doc_dir/html" ]; then rm -rf "$doc_dir/html" && echo "removed $doc_dir/html"; fi
    rmdir "$cmake_dir" "$doc_dir" "$data_dir" 2>/dev/null || true
    exit 0
fi

# Only what `make` built is installed; nothing is built here.
for f in "$built/libsockhelp.a" "$built/$shared_built" ${shared_implib:+"$built/$shared_implib"}; do
    [ -f "$f" ] || die "$f is missing: run make first (as yourself, not as root), then make install"
done
for f in "$docs_built/man/man3/sockhelp.3" "$docs_built/html/index.html"; do
    [ -f "$f" ] || die "$f is missing: run make first (or make docs), then make install"
done
# A library built before build.rs set the SONAME would install but not load.
if [ "$os" = linux ] && command -v readelf >/dev/null 2>&1; then
    readelf -d "$built/$shared_built" | grep -q "SONAME.*\[$shared_soname\]" \
        || die "$built/$shared_built has no SONAME $shared_soname: rebuild it (make)"
fi
# The docs must describe the header being installed.
header_macro() { sed -n "s/^#define SOCKHELP_VERSION_$1 \\([0-9]*\\)\$/\\1/p" "$root/include/sockhelp.h"; }
header_version=$(header_macro MAJOR).$(header_macro MINOR).$(header_macro PATCH)
[ "$header_version" = "$version" ] || die "include/sockhelp.h says $header_version, Cargo.toml $version: regenerate the header (scripts/gen-header.sh)"
grep -q "sockhelp $version" "$docs_built/man/man3/sockhelp.3" \
    || die "the man pages in $docs_built are not for $version: run make (or make docs) again"
[ "$root/include/sockhelp.h" -nt "$docs_built/man/man3/sockhelp.3" ] \
    && die "the man pages in $docs_built are older than include/sockhelp.h: run make (or make docs) again"

if [ "$os" = windows ] || [ "$(getconf LONG_BIT 2>/dev/null || echo 64)" = 64 ]; then
    sizeof_void_p=8
else
    sizeof_void_p=4
fi

fill() { # template output: replaces the @NAME@ placeholders
    sed -e "s|@VERSION@|$version|g" \
        -e "s|@ABI@|$abi|g" \
        -e "s|@LIBDIR@|$libdir|g" \
        -e "s|@INCLUDEDIR@|$includedir|g" \
        -e "s|@PC_TO_PREFIX@|$(ups "$pkgconfigdir")|g" \
        -e "s|@CMAKE_TO_PREFIX@|$(ups "$libdir/cmake/sockhelp")|g" \
        -e "s|@SHARED_LOCATION@|$shared_dir/$shared_real|g" \
        -e "s|@SHARED_IMPLIB@|${shared_implib:+$libdir/$shared_implib}|g" \
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

# Debug info stays out of what is installed (the release profile has none of its own,
# but libsockhelp.a carries the Rust standard library's).
strip_lib() { # static|shared file
    [ -n "$strip_prog" ] || return 0
    if ! command -v "$strip_prog" >/dev/null 2>&1; then
        echo "install.sh: warning: $strip_prog not found: $2 keeps its debug info" >&2
        return 0
    fi
    case $os:$1 in
        darwin:static) "$strip_prog" -S "$2" ;;
        darwin:shared) "$strip_prog" -S -x "$2" ;;
        *:static) "$strip_prog" --strip-debug "$2" ;;
        *:shared) "$strip_prog" --strip-unneeded "$2" ;;
    esac
}

install -d "$inc_dir" "$lib_dir" "$shared_dest" "$pc_dir" "$cmake_dir" "$man_dir" "$doc_dir/html" \
    "$data_dir"
put 644 "$root/include/sockhelp.h" "$inc_dir/sockhelp.h"
put 644 "$root/include/sockhelp_cffi.h" "$data_dir/sockhelp_cffi.h"
put 644 "$built/libsockhelp.a" "$lib_dir/libsockhelp.a"
strip_lib static "$lib_dir/libsockhelp.a"
# A fresh file, not an overwrite in place: programs running from the old one keep working.
rm -f "$shared_dest/$shared_real"
put 755 "$built/$shared_built" "$shared_dest/$shared_real"
strip_lib shared "$shared_dest/$shared_real"
if [ "$os" = darwin ]; then
    command -v install_name_tool >/dev/null 2>&1 \
        || die "install_name_tool not found (xcode-select --install)"
    install_name_tool -id "$prefix/$libdir/libsockhelp.$abi.dylib" "$shared_dest/$shared_real"
    echo "install name of $shared_real: $prefix/$libdir/libsockhelp.$abi.dylib"
fi
for l in $shared_links; do
    link "${l#*:}" "$shared_dest/${l%%:*}"
done
if [ -n "$shared_implib" ]; then
    put 644 "$built/$shared_implib" "$lib_dir/$shared_implib"
fi
fill "$root/sockhelp.pc.in" "$pc_dir/sockhelp.pc"
fill "$root/sockhelp-static.pc.in" "$pc_dir/sockhelp-static.pc"
fill "$root/cmake/sockhelpConfig.cmake.in" "$cmake_dir/sockhelpConfig.cmake"
fill "$root/cmake/sockhelpConfigVersion.cmake.in" "$cmake_dir/sockhelpConfigVersion.cmake"

# Pages of functions an older install had but this version lacks must go.
rm -f "$man_dir"/sockhelp_*.3
for f in "$docs_built"/man/man3/*.3; do
    put 644 "$f" "$man_dir/$(basename "$f")"
done
rm -rf "$doc_dir/html"
install -d "$doc_dir/html"
for f in "$docs_built"/html/*.html; do
    install -m 644 "$f" "$doc_dir/html/"
done
echo "installed $doc_dir/html ($(ls "$doc_dir/html" | wc -l | tr -d ' ') pages)"
for f in LICENSE-MIT LICENSE-APACHE README.md INSTALL.md CHANGELOG.md; do
    put 644 "$root/$f" "$doc_dir/$f"
done

case $os:$prefix in
    linux:/usr|linux:/usr/local)
        # sudo's PATH may lack /sbin: look there too.
        if [ -z "$destdir" ] && [ "$(id -u)" = 0 ]; then
            for l in ldconfig /sbin/ldconfig /usr/sbin/ldconfig; do
                if command -v "$l" >/dev/null 2>&1; then "$l" || true; break; fi
            done
        fi ;;
esac
echo "sockhelp $version installed into $dest ($os layout${shared_soname:+, SONAME $shared_soname})"
