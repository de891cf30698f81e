#!/usr/bin/env bash
# Throughput and memory of `anonlog stats` beside `anonlog anonymize`, in the same run on
# the same machine, over a generated multi-day corpus.
#
#   benches/stats.sh [LINES] [DAYS]     (default 1000000 lines over 7 days; needs python3)
#
# Prints a Markdown table: seconds (median of RUNS runs, default 3), lines/s, peak resident
# memory, and the ratio of each command's throughput to `anonymize`'s (combined -> combined).
set -euo pipefail
cd "$(dirname "$0")/.."
LINES="${1:-1000000}"
DAYS="${2:-7}"
RUNS="${RUNS:-3}"
DIR=target/bench
RAW="$DIR/corpus-$LINES-$DAYS-days.log"
CLF="$DIR/anon-$LINES-$DAYS-days.log"
JSON="$DIR/anon-$LINES-$DAYS-days.json"
BIN=./target/release/anonlog

mkdir -p "$DIR"
[[ -f "$RAW" ]] || python3 benches/gen_corpus.py "$LINES" "$RAW" "$DAYS"
cargo build --release --quiet --bin anonlog
"$BIN" anonymize < "$RAW" > "$CLF"
"$BIN" anonymize --output-format json < "$RAW" > "$JSON"

# median wall-clock seconds and the largest peak RSS (KiB) of RUNS runs of a command
measure() {
    local input="$1"; shift
    local times=() rss=0
    for _ in $(seq "$RUNS"); do
        local start end kib
        start=$(date +%s.%N)
        kib=$( { /usr/bin/time -f %M "$@" < "$input" > /dev/null 2>/dev/null; } 2>&1 | tail -n 1)
        end=$(date +%s.%N)
        times+=("$(echo "$end - $start" | bc -l)")
        (( kib > rss )) && rss=$kib
    done
    echo "$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p") $rss"
}

declare -a NAMES RESULTS
add() { NAMES+=("$1"); shift; RESULTS+=("$(measure "$@")"); }

add "anonlog anonymize (combined -> combined)" "$RAW" "$BIN" anonymize -
add "anonlog stats over anonymized CLF" "$CLF" "$BIN" stats --format json -
add "anonlog stats over anonymized JSON" "$JSON" "$BIN" stats --format json -
add "anonlog stats --min-visitors 10 --epsilon 1 (CLF)" "$CLF" "$BIN" stats --format json --min-visitors 10 --epsilon 1 -
add "anonlog stats --partial (CLF)" "$CLF" "$BIN" stats --partial -

BASE="${RESULTS[0]%% *}"
echo "corpus: $LINES lines over $DAYS days; $(nproc) cores; median of $RUNS runs"
echo
echo "| command | seconds | lines/s | peak memory | throughput vs anonymize |"
echo "|---|---:|---:|---:|---:|"
for i in "${!NAMES[@]}"; do
    read -r s kib <<< "${RESULTS[$i]}"
    printf '| %s | %.2f | %s | %d MiB | %.2f |\n' "${NAMES[$i]}" "$s" \
        "$(printf '%.0f' "$(echo "$LINES / $s" | bc -l)")" "$((kib / 1024))" \
        "$(echo "$BASE / $s" | bc -l)"
done
