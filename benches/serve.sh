#!/usr/bin/env bash
# Throughput of `anonlog serve` on loopback: N syslog records (combined access-log lines)
# sent as fast as possible over UDP, then over TCP (octet-counted), counting what arrived,
# what was written and what was lost.
#
#   benches/serve.sh [N]        (default 500000)
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-500000}"
cargo build --release --quiet --bin anonlog --example syslog_flood
WORK="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

echo "| transport | records sent | received | written | lost | seconds | records/s written |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for transport in udp tcp; do
    out="$WORK/$transport.log"
    stats="$WORK/$transport.json"
    target/release/anonlog serve --syslog "$transport://127.0.0.1:0" -o "$out" \
        --fsync never --stats-interval 1 --stats-json "$stats" 2>"$WORK/stderr" &
    pid=$!
    for _ in $(seq 50); do grep -q listening "$WORK/stderr" && break; sleep 0.1; done
    addr="$(awk '/listening on/ {print $4}' "$WORK/stderr")"
    start=$(date +%s.%N)
    target/release/examples/syslog_flood "$transport" "$addr" "$N"
    # Done when the written count has not grown for 2 s; the end is its last growth.
    last=-1; still=0
    while (( still < 10 )); do
        sleep 0.2
        written="$(wc -l <"$out")"
        if [[ "$written" == "$last" ]]; then
            still=$((still + 1))
        else
            still=0; last="$written"; end=$(date +%s.%N)
        fi
    done
    kill -TERM "$pid"; wait "$pid" || true
    received="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["received"])' "$stats")"
    secs="$(echo "$end - $start" | bc -l)"
    printf '| %s | %d | %d | %d | %d | %.2f | %.0f |\n' "$transport" "$N" "$received" "$written" \
        "$((N - written))" "$secs" "$(echo "$written / $secs" | bc -l)"
done
