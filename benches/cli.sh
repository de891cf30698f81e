#!/usr/bin/env bash
# Throughput of `anonlog anonymize` on a generated combined-format corpus, beside a plain
# line copy with the same I/O pattern, alog (replaces the first column) and anonip (masks
# IP addresses), all measured in the same run on the same machine.
#
#   benches/cli.sh [LINES]          (default 1000000; needs python3)
#   INSTALL=1 benches/cli.sh        also installs anonip (pip) and alog (cargo) first
#   BASELINE=/path/to/anonlog benches/cli.sh
#                                   also runs another build (say, of the previous commit),
#                                   for before/after ratios measured in the same run
#
# Prints a Markdown table: seconds (median of RUNS runs, default 3), lines/s, MB/s, and the
# ratio to the line copy.
set -euo pipefail
cd "$(dirname "$0")/.."
LINES="${1:-1000000}"
RUNS="${RUNS:-3}"
CORPUS="target/bench/corpus-$LINES.log"

if [[ "${INSTALL:-0}" == 1 ]]; then
    pip install --quiet anonip
    cargo install --quiet alog --features alog-cli
fi
mkdir -p target/bench
[[ -f "$CORPUS" ]] || python3 benches/gen_corpus.py "$LINES" "$CORPUS"
cargo build --release --quiet --bin anonlog --example line_copy
BYTES=$(stat -c %s "$CORPUS")

# median wall-clock seconds of RUNS runs of a command reading $CORPUS
measure() {
    local times=()
    for _ in $(seq "$RUNS"); do
        local start end
        start=$(date +%s.%N)
        "$@" < "$CORPUS" > /dev/null 2>&1
        end=$(date +%s.%N)
        times+=("$(echo "$end - $start" | bc -l)")
    done
    printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"
}

declare -a NAMES SECS
add() { NAMES+=("$1"); shift; SECS+=("$(measure "$@")"); }

add "line copy (same reader/writer)" ./target/release/examples/line_copy /dev/stdin
add "anonlog anonymize, combined -> combined" ./target/release/anonlog anonymize -
add "anonlog anonymize, combined -> json" ./target/release/anonlog anonymize --output-format json -
add "anonlog anonymize --threads 1" ./target/release/anonlog anonymize --threads 1 -
if [[ -n "${BASELINE:-}" ]]; then
    add "baseline anonlog anonymize, combined -> combined" "$BASELINE" anonymize -
    add "baseline anonlog anonymize --threads 1" "$BASELINE" anonymize --threads 1 -
fi
if command -v alog >/dev/null 2>&1; then
    add "alog (first column only)" alog
fi
if command -v anonip >/dev/null 2>&1; then
    add "anonip (IP masking only)" anonip
fi

BASE="${SECS[0]}"
echo "corpus: $LINES lines, $((BYTES / 1000000)) MB; $(nproc) cores; median of $RUNS runs"
echo
echo "| tool | seconds | lines/s | MB/s | vs line copy |"
echo "|---|---:|---:|---:|---:|"
for i in "${!NAMES[@]}"; do
    s="${SECS[$i]}"
    printf '| %s | %.2f | %s | %.0f | %.2f |\n' "${NAMES[$i]}" "$s" \
        "$(printf '%.0f' "$(echo "$LINES / $s" | bc -l)")" \
        "$(echo "$BYTES / $s / 1000000" | bc -l)" "$(echo "$BASE / $s" | bc -l)"
done
