#!/usr/bin/env bash
# Throughput and memory of `anonlog stats` beside `anonlog anonymize`, in the same run on
# the same machine, over a generated multi-day corpus.
#
#   benches/stats.sh [LINES] [DAYS] [CLIENTS]   (default 1000000 lines over 7 days; python3)
#
# Without CLIENTS nearly every request comes from a new visitor (the worst case for exact
# visitor sets); with CLIENTS, from that many (address, user agent) pairs that come back.
#
# Prints a Markdown table: wall-clock and CPU seconds (medians of RUNS runs, default 3),
# lines/s, peak resident memory, and each command's throughput and CPU time relative to
# `anonymize` (combined -> combined). On a shared machine the CPU figures are the steadier.
set -euo pipefail
cd "$(dirname "$0")/.."
LINES="${1:-1000000}"
DAYS="${2:-7}"
CLIENTS="${3:-}"
RUNS="${RUNS:-3}"
DIR=target/bench
NAME="$LINES-$DAYS-days${CLIENTS:+-$CLIENTS-clients}"
RAW="$DIR/corpus-$NAME.log"
CLF="$DIR/anon-$NAME.log"
JSON="$DIR/anon-$NAME.json"
BIN=./target/release/anonlog

mkdir -p "$DIR"
[[ -f "$RAW" ]] || python3 benches/gen_corpus.py "$LINES" "$RAW" "$DAYS" $CLIENTS
cargo build --release --quiet --bin anonlog
"$BIN" anonymize < "$RAW" > "$CLF"
"$BIN" anonymize --output-format json < "$RAW" > "$JSON"

# "wall cpu rss": the median wall-clock and CPU (user + system) seconds and the largest
# peak resident memory (KiB) of RUNS runs of a command
measure() {
    local input="$1"; shift
    local out walls=() cpus=() rss=0
    out=$(mktemp)
    for _ in $(seq "$RUNS"); do
        /usr/bin/time -o "$out" -f '%e %U %S %M' "$@" < "$input" > /dev/null 2>&1
        read -r wall user sys kib < "$out"
        walls+=("$wall")
        cpus+=("$(echo "$user + $sys" | bc -l)")
        (( kib > rss )) && rss=$kib
    done
    rm -f "$out"
    local mid=$(( (RUNS + 1) / 2 ))
    echo "$(printf '%s\n' "${walls[@]}" | sort -n | sed -n "${mid}p")" \
        "$(printf '%s\n' "${cpus[@]}" | sort -n | sed -n "${mid}p")" "$rss"
}

declare -a NAMES RESULTS
add() { NAMES+=("$1"); shift; RESULTS+=("$(measure "$@")"); }

add "anonlog anonymize (combined -> combined)" "$RAW" "$BIN" anonymize -
add "anonlog stats over anonymized CLF" "$CLF" "$BIN" stats --format json -
add "anonlog stats over anonymized JSON" "$JSON" "$BIN" stats --format json -
add "anonlog stats --min-visitors 10 --epsilon 1 (CLF)" "$CLF" "$BIN" stats --format json --min-visitors 10 --epsilon 1 -
add "anonlog stats --partial (CLF)" "$CLF" "$BIN" stats --partial -

read -r BASE BASE_CPU _ <<< "${RESULTS[0]}"
echo "corpus: $LINES lines over $DAYS days${CLIENTS:+ from $CLIENTS clients}; $(nproc) cores; median of $RUNS runs"
echo
echo "| command | seconds | lines/s | CPU seconds | peak memory | throughput vs anonymize | CPU vs anonymize |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for i in "${!NAMES[@]}"; do
    read -r s cpu kib <<< "${RESULTS[$i]}"
    printf '| %s | %.2f | %s | %.2f | %d MiB | %.2f | %.2f |\n' "${NAMES[$i]}" "$s" \
        "$(printf '%.0f' "$(echo "$LINES / $s" | bc -l)")" "$cpu" "$((kib / 1024))" \
        "$(echo "$BASE / $s" | bc -l)" "$(echo "$cpu / $BASE_CPU" | bc -l)"
done
