#!/bin/sh
# The C benchmark with contenders: sockhelp through its header against raw bulk transfer,
# the C floor (framed transfer by hand, one copy each way: c_examples/bench/floor_case.c),
# ZeroMQ, nng and libevent (throughput at 64 B to 1 MiB, 64 B ping-pong latency); then
# TLS: sockhelp's TLS streams (the feature `tls`) against OpenSSL's libssl used directly
# (c_examples/bench/tls/: bulk, 64 B frames batched, handshakes per second, memory per
# idle connection).
#
#   scripts/bench.sh [--tls-only] [--quick] [--reps N] [--time SECONDS] [--flush-at BYTES]
#
# --tls-only runs the TLS rows alone. Installs Debian's libzmq3-dev, libnng-dev,
# libevent-dev and libssl-dev when they are missing (as
# root, or through `sudo -n`), and fails, naming what is missing, when it cannot: no
# contender is ever skipped. Builds the library (cargo build --release --lib) and
# c_examples/build/bench_contenders, prints `uptime`, runs, prints `uptime` again. The
# output is markdown, ready for BENCHMARKS.md. Not part of `cargo test` nor of the demo.
# A full run takes about 2.5 minutes on 2 cores; --quick a few seconds (figures too
# rough to quote: a check that everything runs).
set -eu
cd "$(dirname "$0")/.."
tls_only_arg=""
if [ "${1:-}" = "--tls-only" ]; then
    tls_only_arg="--tls-only "
    shift
fi
CC=${CC:-cc}
PACKAGES="libzmq3-dev libnng-dev libevent-dev libssl-dev"

# have HEADER LIB: can a program include HEADER and link -lLIB?
have() {
    printf '#include <%s>\nint main(void) { return 0; }\n' "$1" |
        "$CC" -x c - -l"$2" -o /dev/null >/dev/null 2>&1
}
missing() {
    m=""
    have zmq.h zmq || m="$m libzmq3-dev"
    have nng/nng.h nng || m="$m libnng-dev"
    have event2/event.h event || m="$m libevent-dev"
    have openssl/ssl.h ssl || m="$m libssl-dev"
    echo "$m"
}

need=$(missing)
if [ -n "$need" ]; then
    echo "bench: installing$need (apt-get)" >&2
    if [ "$(id -u)" = 0 ]; then
        SUDO=""
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "bench: missing$need, and not root (nor sudo without a password) to install" \
            "them: apt-get install$need" >&2
        exit 1
    fi
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -o DPkg::Lock::Timeout=600 $need >&2 || {
        echo "bench: apt-get install$need failed (try: apt-get update first)" >&2
        exit 1
    }
    need=$(missing)
    if [ -n "$need" ]; then
        echo "bench: still missing after installing:$need (cannot include or link it)" >&2
        exit 1
    fi
fi

cargo build --release --lib --quiet
# Rows for calls the library may not have yet: measured when the header declares them.
DEFS=""
if grep -q 'sockhelp_send_frames(' include/sockhelp.h; then
    DEFS="$DEFS -DSOCKHELP_BENCH_SEND_FRAMES"
else
    echo "bench: include/sockhelp.h has no sockhelp_send_frames: its row is left out" >&2
fi
if grep -q 'sockhelp_reader_next_batch(' include/sockhelp.h; then
    DEFS="$DEFS -DSOCKHELP_BENCH_NEXT_BATCH"
else
    echo "bench: include/sockhelp.h has no sockhelp_reader_next_batch: its row is left out" >&2
fi
if grep -q 'sockhelp_writer_queue_many(' include/sockhelp.h; then
    DEFS="$DEFS -DSOCKHELP_BENCH_QUEUE_MANY"
else
    echo "bench: include/sockhelp.h has no sockhelp_writer_queue_many: its row is left out" >&2
fi
if grep -q 'sockhelp_recv_batch(' include/sockhelp.h; then
    DEFS="$DEFS -DSOCKHELP_BENCH_RECV_BATCH"
else
    echo "bench: include/sockhelp.h has no sockhelp_recv_batch: its rows are left out" >&2
fi
mkdir -p c_examples/build
# shellcheck disable=SC2086
"$CC" -std=c99 -O2 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -pthread $DEFS \
    -Iinclude c_examples/bench/*.c target/release/libsockhelp.a \
    -lzmq -lnng -levent -lpthread -ldl -lm -o c_examples/build/bench_contenders

# TLS: the library with the feature (its own target directory), the OpenSSL contender.
cargo build --release --lib --quiet --features tls --target-dir target/bench-tls
"$CC" -std=c99 -O2 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -pthread \
    -Iinclude c_examples/bench/tls/*.c target/bench-tls/release/libsockhelp.a \
    -lssl -lcrypto -lpthread -ldl -lm -o c_examples/build/bench_tls

# The TLS run's options: --time and --reps carry over; --quick is 3 short runs and 200
# idle sessions.
tls_args="--time 1 --reps 5 --idle 1000"
prev=""
for a in "$@"; do
    case "$prev" in
    --time) tls_args="$tls_args --time $a" ;;
    --reps) tls_args="$tls_args --reps $a" ;;
    esac
    [ "$a" = "--quick" ] && tls_args="--time 0.2 --reps 3 --idle 200"
    prev=$a
done

echo "Command: scripts/bench.sh $tls_only_arg$*"
echo
echo "uptime before: $(uptime)"
echo
[ -n "$tls_only_arg" ] || c_examples/build/bench_contenders "$@"
echo
echo "TLS (c_examples/build/bench_tls tests/tls_certs/server.pem server.key ca.pem $tls_args):"
echo
# shellcheck disable=SC2086
c_examples/build/bench_tls tests/tls_certs/server.pem tests/tls_certs/server.key \
    tests/tls_certs/ca.pem $tls_args
echo
echo "uptime after: $(uptime)"
