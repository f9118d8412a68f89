#!/bin/sh
# Runs the echo demo: the server on a loopback port chosen by the OS, one client against
# it, then waits for the server (told to stop after one client) to exit.
# Exits 0 when the client saw every echo intact and the server exited cleanly.
set -u
cd "$(dirname "$0")"

out=echo_server.out
rm -f "$out"
./echo_server 0 1 >"$out" &
server=$!

# The server prints "listening on PORT" once it is ready.
port=""
tries=0
while [ -z "$port" ] && [ $tries -lt 100 ]; do
    port=$(sed -n 's/^listening on \([0-9][0-9]*\)$/\1/p' "$out" 2>/dev/null)
    if [ -z "$port" ]; then
        if ! kill -0 "$server" 2>/dev/null; then
            echo "demo: the server exited before listening" >&2
            exit 1
        fi
        sleep 0.1
        tries=$((tries + 1))
    fi
done
if [ -z "$port" ]; then
    echo "demo: the server did not say which port it listens on" >&2
    kill "$server" 2>/dev/null
    exit 1
fi
echo "demo: server listening on 127.0.0.1:$port"

./echo_client 127.0.0.1 "$port"
client=$?

wait "$server"
server_status=$?
echo "demo: server said:"
sed 's/^/  /' "$out"
rm -f "$out"

if [ $client -ne 0 ] || [ $server_status -ne 0 ]; then
    echo "demo: FAILED (client exit $client, server exit $server_status)" >&2
    exit 1
fi

echo
echo "demo: framed_rpc (length-prefixed messages, pipelined requests)"
./framed_rpc demo || { echo "demo: framed_rpc FAILED" >&2; exit 1; }

echo
echo "demo: line_chat (newline-delimited messages, 3 clients)"
./line_chat demo || { echo "demo: line_chat FAILED" >&2; exit 1; }

echo
# Runs select_server --poller --conns CONNS, then CLIENT PORT ARGS... against it; shows the
# server's summary (and its first client lines: it names every client it served).
serve_with() {
    local conns=$1 client=$2
    shift 2
    local out=select_server.out port="" tries=0 server client_status server_status
    rm -f "$out"
    ./select_server --poller --conns "$conns" >"$out" &
    server=$!
    while [ -z "$port" ] && [ $tries -lt 100 ]; do
        port=$(sed -n 's/^listening on \([0-9][0-9]*\)$/\1/p' "$out" 2>/dev/null)
        [ -n "$port" ] || { sleep 0.1; tries=$((tries + 1)); }
    done
    if [ -z "$port" ]; then
        echo "demo: select_server did not start" >&2
        kill "$server" 2>/dev/null
        exit 1
    fi
    "./$client" "$port" "$@"
    client_status=$?
    wait "$server"
    server_status=$?
    { grep '^client ' "$out" | head -3; grep -v '^client ' "$out"; } | sed 's/^/  /'
    rm -f "$out"
    if [ $client_status -ne 0 ] || [ $server_status -ne 0 ]; then
        echo "demo: $client FAILED (client exit $client_status, server exit $server_status)" >&2
        exit 1
    fi
}

echo "demo: select_server --poller (one thread, non-blocking) with load_client 200 x 50"
serve_with 200 load_client 200 50

echo
echo "demo: connect_many (100 non-blocking connects through the poller) against select_server"
serve_with 100 connect_many 100
echo
echo "demo: OK"
