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
# The TLS tests (tests/tls.rs): certificates made with the openssl command line tool, and
# `openssl s_server` as one of the real TLS servers (no test or example links libssl).
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# The example servers' tests (tests/example_servers.rs): real clients from Debian's packages.
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
command -v redis-benchmark >/dev/null 2>&1 || need+=(redis-tools)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v ab >/dev/null 2>&1 || need+=(apache2-utils)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
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

# Python's cffi (tests/interop.rs), for the python3 that the tests run: Debian's package when
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

# The real-protocol tests (tests/real_servers.rs) run the protocol examples against real
# PostgreSQL, Redis, mosquitto and nginx servers, each started by the test itself as a child
# process on a free loopback port. Installing the packages must not leave system services
# running that hold ports: a policy-rc.d that refuses every start is in place while apt runs.
servers=()
{ command -v postgres >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; } \
    || servers+=(postgresql)
command -v redis-server >/dev/null 2>&1 || servers+=(redis-server)
command -v mosquitto >/dev/null 2>&1 || servers+=(mosquitto)
command -v nginx >/dev/null 2>&1 || servers+=(nginx-light)
if [ "${#servers[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "installing servers for the real-protocol tests: ${servers[*]}"
        own_policy=
        if [ ! -e /usr/sbin/policy-rc.d ]; then
            printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
            chmod 755 /usr/sbin/policy-rc.d
            own_policy=1
            trap 'rm -f /usr/sbin/policy-rc.d' EXIT
        fi
        apt-get update -qq -o DPkg::Lock::Timeout=600
        # nginx-light (Debian) has every module the tests use; Ubuntu only has nginx.
        if [[ " ${servers[*]} " == *" nginx-light "* ]] && ! apt-cache show nginx-light >/dev/null 2>&1; then
            servers=("${servers[@]/nginx-light/nginx}")
        fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
            "${servers[@]}" >/dev/null
        if [ -n "$own_policy" ]; then rm -f /usr/sbin/policy-rc.d; trap - EXIT; fi
    else
        echo "missing servers: ${servers[*]} (install them, e.g. sudo apt-get install ${servers[*]})" >&2
        exit 1
    fi
fi

# TLS (the cargo feature tls: rustls 0.23 needs Rust 1.71): on whenever this compiler has it,
# so tests/tls_core.rs and tests/tls_hostile.rs run too (tests/tls.rs builds its own TLS
# library either way). Said out loud when the compiler is too old.
features=()
rustc_minor=$(rustc --version | sed -n 's/^rustc 1\.\([0-9]*\).*/\1/p')
if [ -n "$rustc_minor" ] && [ "$rustc_minor" -ge 71 ]; then
    features=(--features tls)
else
    echo "test.sh: $(rustc --version) is older than 1.71: testing without the tls feature" \
        "(tests/tls.rs will fail: it needs the feature)" >&2
fi
cargo test "${features[@]}" "$@"
