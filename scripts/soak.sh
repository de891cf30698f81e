#!/usr/bin/env bash
# Soak test of the Tower layer: the example load target under wrk for SOAK_SECONDS (default
# 60; run it for hours with SOAK_SECONDS=14400), in two halves:
#
#  1. rotation: the log is renamed away and SIGHUP sent every 5 s (logrotate's way);
#  2. stalled sink: the log is a FIFO whose reader is paused 2 s out of every 5, with a
#     1 MiB queue and the drop policy, so the queue overflows again and again;
#  3. hostile network: `anonlog serve` receives ordinary senders over UDP and TCP while
#     large datagrams, idle and half-sent connections and a trickling one attack it, with
#     rotation every 30 s (scripts/serve_soak.py, for the same number of seconds).
#
# Checks, and exits non-zero when one fails:
#  - every request has its record: records produced (accepted + dropped) within the
#    connection count of wrk's completed requests;
#  - produced == written + dropped, nothing failed, nothing left unwritten;
#  - the lines on disk are the written records (plus the in-band drop reports), and the
#    drop reports add up to the dropped count;
#  - resident memory and open file descriptors stay flat (sampled every 5 s).
set -euo pipefail
cd "$(dirname "$0")/.."
TOTAL="${SOAK_SECONDS:-60}"
HALF=$(( TOTAL / 2 > 5 ? TOTAL / 2 : 5 ))
CONNECTIONS=32
PORT="${PORT:-18090}"
cargo build --release --quiet --example load_target
BIN=target/release/examples/load_target
WORK="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
fail() { echo "soak: FAIL: $*" >&2; exit 1; }

# Starts the target; sets PID.
start() {
    "$BIN" --addr "127.0.0.1:$PORT" --mode anonlog "$@" 2>"$WORK/stderr" &
    PID=$!
    for _ in $(seq 100); do
        curl -s -o /dev/null "http://127.0.0.1:$PORT/" && return
        sleep 0.1
    done
    fail "target did not start"
}

# Samples RSS (kB) and open fds of PID into $WORK/samples.
sample() { echo "$(awk '/VmRSS/ {print $2}' /proc/"$PID"/status) $(ls /proc/"$PID"/fd | wc -l)" >>"$WORK/samples"; }

# Flat: the last sample's RSS within 1.5x (plus 8 MiB) of the first after warm-up, and the
# same number of open files.
check_flat() {
    local first last
    first="$(sed -n 2p "$WORK/samples")"; last="$(tail -n 1 "$WORK/samples")"
    read -r rss0 fd0 <<<"$first"; read -r rss1 fd1 <<<"$last"
    echo "  rss ${rss0} kB -> ${rss1} kB, open files ${fd0} -> ${fd1}"
    (( rss1 <= rss0 * 3 / 2 + 8192 )) || fail "memory grew"
    (( fd1 <= fd0 + 2 )) || fail "file descriptors leaked"
}

# Stops the target and checks its report against wrk's count; prints the report.
stop_and_check() {
    local requests="$1"
    kill -TERM "$PID"; wait "$PID" || true
    local report; report="$(grep '^{' "$WORK/stderr" | tail -n 1)"
    echo "  report: $report"
    python3 - "$report" "$requests" "$CONNECTIONS" <<'PY' || fail "accounting"
import json, sys
r = json.loads(sys.argv[1]); requests = int(sys.argv[2]); conns = int(sys.argv[3])
produced = r["accepted"] + r["dropped"]
assert r["failed"] == 0 and r["unwritten"] == 0 and r["io_errors"] == 0, r
assert r["accepted"] == r["written"], r
# wrk's warm-up request from curl and requests cut at the end may add a few records.
assert requests <= produced <= requests + conns + 10, (requests, produced)
PY
    REPORT="$report"
}

wrk_requests() { awk '/requests in/ {print $1}' <<<"$1"; }

echo "soak: ${TOTAL}s in two halves of ${HALF}s"

echo "1/3 rotation every 5 s"
: >"$WORK/samples"
start --log "$WORK/access.log"
wrk -t1 -c"$CONNECTIONS" -d"${HALF}s" "http://127.0.0.1:$PORT/" >"$WORK/wrk1" &
WRK=$!
n=0
while kill -0 "$WRK" 2>/dev/null; do
    sleep 5
    sample
    n=$((n + 1))
    mv "$WORK/access.log" "$WORK/access.log.$n" 2>/dev/null || true
    kill -HUP "$PID"
done
wait "$WRK"
stop_and_check "$(wrk_requests "$(cat "$WORK/wrk1")")"
lines="$(cat "$WORK"/access.log* | wc -l)"
written="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["written"])' "$REPORT")"
echo "  $lines lines in $((n + 1)) files, $written written"
[[ "$lines" == "$written" ]] || fail "lines on disk ($lines) != written ($written)"
check_flat

echo "2/3 stalled sink (FIFO reader paused 2 s of every 5)"
: >"$WORK/samples"
mkfifo "$WORK/fifo"
cat "$WORK/fifo" >"$WORK/collected" &
READER=$!
start --log "$WORK/fifo" --capacity-bytes $((1 << 20)) --on-full drop
wrk -t1 -c"$CONNECTIONS" -d"${HALF}s" "http://127.0.0.1:$PORT/" >"$WORK/wrk2" &
WRK=$!
while kill -0 "$WRK" 2>/dev/null; do
    kill -STOP "$READER"; sleep 2; kill -CONT "$READER"; sleep 3
    sample
done
wait "$WRK"
stop_and_check "$(wrk_requests "$(cat "$WORK/wrk2")")"
sleep 1
kill "$READER" 2>/dev/null || true
python3 - "$REPORT" "$WORK/collected" <<'PY' || fail "stalled-sink accounting"
import json, sys
r = json.loads(sys.argv[1])
records = drops = reported = 0
for line in open(sys.argv[2], encoding="utf-8"):
    v = json.loads(line)
    if v.get("event") == "dropped":
        drops += 1; reported += v["dropped"]
    else:
        records += 1
print(f"  {records} records and {drops} drop reports ({reported} dropped) collected")
assert records == r["written"], (records, r)
assert reported == r["dropped"], (reported, r)
assert r["dropped"] > 0, "the stall never overflowed the queue"
PY
check_flat

echo "3/3 hostile network (anonlog serve)"
cargo build --release --quiet --bin anonlog
python3 scripts/serve_soak.py "$HALF" target/release/anonlog || fail "serve soak"
echo "soak: ok"
