#!/usr/bin/env bash
# Requests/s and p99 latency of a hello-world axum server under wrk, with no access log,
# with the anonlog layer, and with tower-http's TraceLayer + JSON tracing output, all on
# loopback in one run.
#
#   benches/load.sh [SECONDS] [CONNECTIONS]     (defaults 10 and 50; needs wrk)
#
# Prints a Markdown table with the ratio of each mode's requests/s to `none`.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN="${1:-10}"
CONNECTIONS="${2:-50}"
PORT="${PORT:-18080}"
cargo build --release --quiet --example load_target
BIN=target/release/examples/load_target
LOG="$(mktemp -d)/access.log"

declare -a ROWS
for mode in none anonlog trace; do
    rm -f "$LOG"
    "$BIN" --addr "127.0.0.1:$PORT" --mode "$mode" --log "$LOG" 2>/dev/null &
    pid=$!
    for _ in $(seq 50); do
        curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break
        sleep 0.1
    done
    # Warm-up, then the measured run.
    wrk -t1 -c"$CONNECTIONS" -d2s "http://127.0.0.1:$PORT/" >/dev/null
    out="$(wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency "http://127.0.0.1:$PORT/")"
    kill -TERM "$pid"
    wait "$pid" || true
    rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
    p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
    total="$(awk '/requests in/ {print $1}' <<<"$out")"
    lines=0
    [[ -f "$LOG" ]] && lines="$(wc -l <"$LOG")"
    ROWS+=("$mode $rps $p99 $total $lines")
done

base="$(awk '{print $2}' <<<"${ROWS[0]}")"
echo "wrk -t1 -c$CONNECTIONS -d${SECONDS_PER_RUN}s on 127.0.0.1, $(nproc) cores"
echo
echo "| mode | requests/s | p99 latency | vs none | log lines |"
echo "|---|---:|---:|---:|---:|"
for row in "${ROWS[@]}"; do
    read -r mode rps p99 _total lines <<<"$row"
    printf '| %s | %.0f | %s | %.2f | %s |\n' "$mode" "$rps" "$p99" "$(echo "$rps / $base" | bc -l)" "$lines"
done
