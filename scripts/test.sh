#!/usr/bin/env bash
# The README's test command: installs what a fresh machine lacks, then runs
# every test (Rust tests, C tests compiled against the library, header and
# lockfile checks) with `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v cc >/dev/null 2>&1 || need+=(gcc)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v make >/dev/null 2>&1 || need+=(make)
command -v python3 >/dev/null 2>&1 || need+=(python3)
# The packaging tests (tests/packaging.rs): CMake and pkg-config consumers, the header
# under clang as well as gcc.
command -v cmake >/dev/null 2>&1 || need+=(cmake)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v clang >/dev/null 2>&1 || need+=(clang)
# The rendered docs (tests/packaging.rs: man pages shown by man, checked by groff).
command -v man >/dev/null 2>&1 || need+=(man-db)
command -v groff >/dev/null 2>&1 || need+=(groff-base)
command -v readelf >/dev/null 2>&1 || need+=(binutils)
if [ "${#need[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "installing: ${need[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    else
        echo "missing tools: ${need[*]} (install them, e.g. sudo apt-get install ${need[*]})" >&2
        exit 1
    fi
fi

# Python's cffi (tests/cffi.rs), for the python3 that the tests run: Debian's package when
# that is the system's python3, else pip.
if ! python3 -c 'import cffi' >/dev/null 2>&1; then
    if [ "$(command -v python3)" = /usr/bin/python3 ] && [ "$(id -u)" = 0 ]; then
        echo "installing: python3-cffi"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-cffi >/dev/null
    else
        echo "installing: cffi (python3 -m pip install --user cffi)"
        python3 -m pip install --quiet --user cffi \
            || python3 -m pip install --quiet --user --break-system-packages cffi \
            || { echo "cannot install cffi for $(command -v python3): install python3-cffi" >&2; exit 1; }
    fi
fi

cargo test "$@"
