#!/usr/bin/env bash
# Runs the C tests and examples under memory checkers:
#   scripts/sanitize.sh valgrind   valgrind memcheck: no invalid access, no definite leak
#   scripts/sanitize.sh asan       gcc -fsanitize=address,undefined on the C side
#   scripts/sanitize.sh            both
# Each program is built against the release static library and must exit 0
# with no error reported. Programs whose assertions are about elapsed time
# (timeouts) are left out of the valgrind pass, which runs ~20x slower.
set -euo pipefail
cd "$(dirname "$0")/.."

passes=("$@")
[ "${#passes[@]}" -gt 0 ] || passes=(valgrind asan)

if ! command -v valgrind >/dev/null 2>&1; then
    echo "installing valgrind"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
fi

cargo build --release --lib --quiet
lib=target/release/libsockhelp.a
out=target/sanitize
mkdir -p "$out"
cflags=(-std=c99 -Wall -Wextra -Werror -pedantic -D_POSIX_C_SOURCE=200809L -pthread -g -O1 -Iinclude -Itests/c -Ic_examples)
libs=("$lib" -lpthread -ldl -lm)

# name: source, then arguments
tests=(
    "framing_formats:tests/c/framing_formats.c"
    "bad_args:tests/c/bad_args.c"
    "invalid_socket_bytes:tests/c/invalid_socket_bytes.c"
    "peer_closed:tests/c/peer_closed.c"
    "peer_reset:tests/c/peer_reset.c"
    "no_sigpipe:tests/c/no_sigpipe.c"
    "socket_options:tests/c/socket_options.c"
    "connect_refused:tests/c/connect_refused.c"
    "framing_length_field:tests/c/framing_length_field.c"
    "frames_control:tests/c/frames_control.c"
    "addresses:tests/c/addresses.c"
    "addresses_escaped:tests/c/addresses_escaped.c"
    "connect_finish_not_connecting:tests/c/connect_finish_not_connecting.c"
    "server_calls:tests/c/server_calls.c"
    "framed_rpc:c_examples/framed_rpc.c:demo"
    "line_chat:c_examples/line_chat.c:demo"
)
timed=(
    "timeout_zero:tests/c/timeout_zero.c"
    "silent_peer_timeout:tests/c/silent_peer_timeout.c"
    "accept_timeout:tests/c/accept_timeout.c"
    "close_graceful:tests/c/close_graceful.c"
    "socket_mode_kept:tests/c/socket_mode_kept.c"
    "unix_sockets:tests/c/unix_sockets.c"
    "connect_nonblocking:tests/c/connect_nonblocking.c"
    "accept_shared_listener:tests/c/accept_shared_listener.c"
    "poller_wake:tests/c/poller_wake.c"
    "poller_shared_socket:tests/c/poller_shared_socket.c"
    "server_sockets_accept_ex:tests/c/server_sockets.c:accept_ex"
    "server_sockets_reuseport:tests/c/server_sockets.c:reuseport"
    "server_sockets_timers:tests/c/server_sockets.c:timers"
    "server_sockets_pass:tests/c/server_sockets.c:pass"
    "server_sockets_timers_10k:tests/c/server_sockets.c:timers_10k"
    "resolver_bounded_threads:tests/c/resolver_bounded.c:threads"
    "resolver_bounded_listen:tests/c/resolver_bounded.c:listen"
    "close_graceful_flood:tests/c/close_graceful_flood.c"
    # ASan only, as every timed test; under valgrind too the userfaultfd handler would not
    # do (valgrind does not know the userfaultfd system call, and its ~20x slowdown of the
    # fault handler and the flooding peer would measure valgrind, not the deadline).
    "deadline_flood_recvall:tests/c/deadline_flood.c:recvall"
    "deadline_flood_reader_recvall:tests/c/deadline_flood.c:reader_recvall"
    "deadline_flood_recv_frame:tests/c/deadline_flood.c:recv_frame"
    "deadline_flood_recv_batch:tests/c/deadline_flood.c:recv_batch"
    "deadline_flood_send_frames:tests/c/deadline_flood.c:send_frames"
    "deadline_flood_recvall_plain:tests/c/deadline_flood.c:recvall_plain"
    "connect_race_blackhole:tests/c/connect_race.c:blackhole"
    "connect_race_refused:tests/c/connect_race.c:refused"
    "connect_race_localhost:tests/c/connect_race.c:localhost"
    "connect_race_hang:tests/c/connect_race.c:hang"
    "connect_race_tryagain:tests/c/connect_race.c:tryagain"
    "connect_race_connector:tests/c/connect_race.c:connector"
)

run_pass() {
    local pass=$1; shift
    local extra=() runner=()
    case "$pass" in
        valgrind)
            runner=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
                    --show-leak-kinds=definite --trace-children=yes --child-silent-after-fork=no)
            ;;
        asan)
            extra=(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
            export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=98
            export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
            ;;
        *) echo "unknown pass $pass" >&2; exit 2 ;;
    esac
    local count=0
    for spec in "$@"; do
        IFS=: read -r name src args <<<"$spec"
        local exe="$out/$pass-$name"
        gcc "${cflags[@]}" "${extra[@]}" "$src" -o "$exe" "${libs[@]}"
        # shellcheck disable=SC2086
        if ! timeout 600 "${runner[@]}" "$exe" $args >"$exe.log" 2>&1; then
            echo "$pass: $name FAILED"; cat "$exe.log"; exit 1
        fi
        echo "$pass: $name clean"
        count=$((count + 1))
    done
    # The inside-out server and its load client, 50 connections x 20 round trips.
    gcc "${cflags[@]}" "${extra[@]}" c_examples/select_server.c -o "$out/$pass-select_server" "${libs[@]}"
    gcc "${cflags[@]}" "${extra[@]}" c_examples/load_client.c -o "$out/$pass-load_client" "${libs[@]}"
    "${runner[@]}" "$out/$pass-select_server" --poller --conns 50 >"$out/$pass-server.log" 2>&1 &
    local server=$!
    local port="" tries=0
    while [ -z "$port" ] && [ $tries -lt 300 ]; do
        port=$(sed -n 's/^listening on \([0-9][0-9]*\)$/\1/p' "$out/$pass-server.log" 2>/dev/null)
        [ -n "$port" ] || { sleep 0.1; tries=$((tries + 1)); }
    done
    [ -n "$port" ] || { echo "$pass: select_server did not start"; cat "$out/$pass-server.log"; kill $server; exit 1; }
    if ! timeout 600 "${runner[@]}" "$out/$pass-load_client" "$port" 50 20 >"$out/$pass-client.log" 2>&1; then
        echo "$pass: load_client FAILED"; cat "$out/$pass-client.log"; kill $server 2>/dev/null; exit 1
    fi
    if ! wait $server; then echo "$pass: select_server FAILED"; cat "$out/$pass-server.log"; exit 1; fi
    count=$((count + 2))
    echo "$pass: select_server + load_client clean"
    echo "$pass: $count programs ran clean"
}

for pass in "${passes[@]}"; do
    case "$pass" in
        valgrind) run_pass valgrind "${tests[@]}" ;;
        asan) run_pass asan "${tests[@]}" "${timed[@]}" ;;
    esac
done
