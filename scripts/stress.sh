#!/usr/bin/env bash
# The full stress run of SECURITY.md (the test suite runs a smaller one):
#   scripts/stress.sh [CLIENTS] [FRAMES] [RESET_PERCENT]      default 1000 1000 10
# 1000 clients, each speaking one of five framings, requests of random sizes up to
# 64 KiB, RESET_PERCENT of the clients resetting mid-conversation, all through the
# single-threaded select_server (poller). Every other client must get every reply
# intact; prints the server's peak RSS. Takes several minutes at the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${1:-1000}
frames=${2:-1000}
resets=${3:-10}
cargo build --release --lib --quiet
out=target/stress
mkdir -p "$out"
for ex in select_server load_client; do
    cc -O2 -std=c99 -Wall -Wextra -Werror -pedantic -D_POSIX_C_SOURCE=200809L -pthread -Iinclude \
        "c_examples/$ex.c" -o "$out/$ex" target/release/libsockhelp.a -lpthread -ldl -lm
done
"$out/select_server" --poller --mixed --conns "$clients" >"$out/server.log" 2>&1 &
server=$!
port=""
for _ in $(seq 100); do
    port=$(sed -n 's/^listening on \([0-9][0-9]*\)$/\1/p' "$out/server.log")
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { echo "stress: the server did not start"; kill $server; exit 1; }
"$out/load_client" --mixed --resets "$resets" "$port" "$clients" "$frames"
wait $server
cat "$out/server.log"
