#!/bin/sh
# The example servers against the real ones, same run, interleaved round by round:
#   kv_server   vs redis-server (persistence off)   under redis-benchmark -P 1 and -P 16
#   http_server vs nginx (worker_processes 1, access_log off, the same 15 B / 64 KiB bodies)
#               under wrk
#
#   scripts/bench-servers.sh [--rounds N] [--requests N] [--seconds S] [--clients C]
#
# Every server runs on 127.0.0.1 on a port the system picks (the examples print theirs;
# redis-server and nginx get a free one), each in this script's temporary directory, and
# is stopped by PID at the end. Prints `uptime` before and after, then a markdown table: the
# median of the rounds for each contender and the ratio sockhelp / real server. Not part
# of `cargo test`. Debian packages: redis-server, redis-tools, nginx(-light), wrk.
set -eu
cd "$(dirname "$0")/.."
ROUNDS=3
REQUESTS=200000
SECONDS_EACH=5
CLIENTS=50
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) ROUNDS=$2; shift 2 ;;
        --requests) REQUESTS=$2; shift 2 ;;
        --seconds) SECONDS_EACH=$2; shift 2 ;;
        --clients) CLIENTS=$2; shift 2 ;;
        *) echo "usage: $0 [--rounds N] [--requests N] [--seconds S] [--clients C]" >&2; exit 2 ;;
    esac
done
for tool in redis-server redis-benchmark wrk; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench-servers: $tool is missing" >&2; exit 1; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "bench-servers: nginx is missing" >&2; exit 1; }

cargo build --release --lib --quiet
make -s -C c_examples kv_server http_server >/dev/null
TMP=$(mktemp -d)
PIDS=""
cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null || true; done
    sleep 0.5
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { # PORT: until something accepts there (at most 10 s)
    i=0
    until python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),1)" 2>/dev/null; do
        i=$((i + 1)); [ $i -lt 100 ] || { echo "bench-servers: nothing listens on $1" >&2; exit 1; }
        sleep 0.1
    done
}
start_example() { # NAME: starts c_examples/NAME, sets PORT
    "./c_examples/$1" >"$TMP/$1.out" 2>"$TMP/$1.err" &
    PIDS="$PIDS $!"
    i=0
    until grep -q "listening on" "$TMP/$1.out" 2>/dev/null; do
        i=$((i + 1)); [ $i -lt 100 ] || { echo "bench-servers: $1 did not start" >&2; exit 1; }
        sleep 0.1
    done
    PORT=$(sed -n 's/^listening on //p' "$TMP/$1.out")
}

start_example kv_server; KV=$PORT
start_example http_server; HTTP=$PORT
REDIS=$(free_port)
redis-server --port "$REDIS" --bind 127.0.0.1 --save '' --appendonly no --dir "$TMP" \
    --logfile "$TMP/redis.log" --daemonize no &
PIDS="$PIDS $!"
NGINX_PORT=$(free_port)
# nginx's worker runs as `nobody`: it must be able to read the files (mktemp -d is 0700;
# without this every request was a 403 of 153 bytes).
chmod 755 "$TMP"
mkdir -p "$TMP/www"
printf 'Hello, sockhelp' >"$TMP/www/small"
python3 -c "import sys; sys.stdout.write(''.join(chr(97 + i % 26) for i in range(65536)))" >"$TMP/www/big"
cat >"$TMP/nginx.conf" <<EOF
worker_processes 1;
error_log $TMP/nginx.err notice;
pid $TMP/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $TMP/tmp_body;
  proxy_temp_path $TMP/tmp_proxy;
  fastcgi_temp_path $TMP/tmp_fastcgi;
  uwsgi_temp_path $TMP/tmp_uwsgi;
  scgi_temp_path $TMP/tmp_scgi;
  default_type text/plain;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$NGINX_PORT; root $TMP/www; }
}
EOF
"$NGINX" -p "$TMP" -c "$TMP/nginx.conf" -e "$TMP/nginx.err" -g 'daemon off;' &
PIDS="$PIDS $!"
wait_port "$REDIS"
wait_port "$NGINX_PORT"
# Both HTTP servers must serve the same bodies (status 200, the same sizes) before they
# are compared.
for path in small big; do
    for p in "$HTTP" "$NGINX_PORT"; do
        got=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "http://127.0.0.1:$p/$path")
        want="200 $(wc -c <"$TMP/www/$path" | tr -d ' ')"
        [ "$got" = "$want" ] || { echo "bench-servers: port $p /$path: $got, not $want" >&2; exit 1; }
    done
done

rb() { # PORT TEST PIPELINE: requests per second
    redis-benchmark -p "$1" -q -c "$CLIENTS" -n "$REQUESTS" -P "$3" -t "$2" -d 16 2>/dev/null |
        tr '\r' '\n' | sed -n 's/^[A-Z_]*: \([0-9.]*\) requests per second.*/\1/p' | tail -1
}
wk() { # PORT PATH: requests per second (refused when any response was not a 2xx/3xx)
    wrk -t 1 -c "$CLIENTS" -d "${SECONDS_EACH}s" "http://127.0.0.1:$1$2" >"$TMP/wrk.out"
    if grep -q "Non-2xx" "$TMP/wrk.out"; then
        echo "bench-servers: port $1 $2 answered errors:" >&2
        cat "$TMP/wrk.out" >&2
        exit 1
    fi
    sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p' "$TMP/wrk.out"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "uptime before: $(uptime)"
CASES="set:1 get:1 set:16 get:16 small big"
round=1
while [ $round -le "$ROUNDS" ]; do
    for c in $CASES; do
        # Alternate who goes first, round by round.
        if [ $((round % 2)) -eq 1 ]; then order="ours theirs"; else order="theirs ours"; fi
        for who in $order; do
            case "$c" in
                small | big)
                    if [ $who = ours ]; then p=$HTTP; else p=$NGINX_PORT; fi
                    v=$(wk "$p" "/$c") ;;
                *)
                    if [ $who = ours ]; then p=$KV; else p=$REDIS; fi
                    v=$(rb "$p" "${c%:*}" "${c#*:}") ;;
            esac
            echo "$v" >>"$TMP/$c.$who"
            echo "round $round $c $who: $v" >&2
        done
    done
    round=$((round + 1))
done
echo "uptime after: $(uptime)"
echo
echo "| case | sockhelp example (req/s) | real server (req/s) | ratio |"
echo "|---|---|---|---|"
for c in $CASES; do
    o=$(median <"$TMP/$c.ours"); t=$(median <"$TMP/$c.theirs")
    case "$c" in
        small) name="HTTP GET 15 B: http_server vs nginx (wrk -c $CLIENTS)" ;;
        big) name="HTTP GET 64 KiB: http_server vs nginx (wrk -c $CLIENTS)" ;;
        *) name="${c%:*} -P ${c#*:}: kv_server vs redis-server (redis-benchmark -c $CLIENTS)" ;;
    esac
    echo "| $name | $o | $t | $(awk "BEGIN { printf \"%.2f\", $o / $t }")x |"
done
