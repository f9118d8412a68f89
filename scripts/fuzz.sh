#!/usr/bin/env bash
# Fuzzes every decoder, the reader fed random chunkings and a TLS client stream over
# random chunkings of a live TLS conversation (tls_chunks: the fuzz crate's feature `tls`,
# sockhelp with rustls; the other targets build without it) with libFuzzer (cargo fuzz),
# SECONDS each (default 60):
#   scripts/fuzz.sh [SECONDS]
# The committed seeds (fuzz/seeds/<target>) start a working corpus under
# fuzz/corpus/, which stays out of the repository. A crash fails the script and
# leaves its input in fuzz/artifacts/<target>/.
#
# Runs on the stable toolchain: `--sanitizer none` (the Rust code has no unsafe
# in the decoders; libFuzzer's coverage instrumentation is a stable -C flag).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}

command -v cargo-fuzz >/dev/null 2>&1 || cargo install --quiet --locked cargo-fuzz
command -v c++ >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++ >/dev/null; }

targets=(decode_fixed decode_delimited decode_length_prefixed decode_varint decode_ascii_length decode_typed decode_length_field reader_chunks reader_switch recv_direct tls_chunks)
# The targets' checks without libFuzzer first: the committed seeds, and generated
# inputs (streams of real frames for the framing switch, big frames for the direct path).
(cd fuzz && cargo test --release --quiet --features tls)
cargo fuzz build --sanitizer none -O
cargo fuzz build --sanitizer none -O --features tls tls_chunks
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t"
    cp -n fuzz/seeds/"$t"/* "fuzz/corpus/$t/" 2>/dev/null || true
    log="fuzz/corpus/$t.log"
    features=()
    [ "$t" = tls_chunks ] && features=(--features tls)
    if ! cargo fuzz run "$t" --sanitizer none -O "${features[@]}" "fuzz/corpus/$t" -- \
            -max_total_time="$seconds" -max_len=8192 -print_final_stats=1 >"$log" 2>&1; then
        echo "fuzz: $t FAILED"
        tail -40 "$log"
        exit 1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    echo "fuzz: $t: ${runs:-?} executions in ${seconds}s, no crash"
done
