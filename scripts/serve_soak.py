#!/usr/bin/env python3
"""Soak of `anonlog serve` on a hostile network, on loopback only, for SECONDS (default 60):

    scripts/serve_soak.py [SECONDS] [path/to/anonlog]

While ordinary senders deliver records over UDP and TCP, the receiver is attacked at the
same time: large datagrams at a bounded rate, connections that open and stay idle up to the
connection cap, a connection that trickles a byte a second, and connections that send half
a record and close. The output file is rotated (rename + SIGHUP) every 30 s.

Every 5 s the receiver's resident memory and open descriptors are sampled. At the end it is
stopped with SIGTERM, and the script fails (exit 1) unless:
  - received = written + rejected + not_syslog + dropped, nothing in flight;
  - the lines on disk are the written records;
  - nothing was dropped but datagrams that found the queue full (TCP senders wait);
  - memory and descriptors stayed flat: the last sample within 1.5x (+16 MiB) of the first
    after warm-up, descriptors within the connection cap plus a few.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

SECONDS = int(sys.argv[1]) if len(sys.argv) > 1 else 60
BIN = sys.argv[2] if len(sys.argv) > 2 else "target/release/anonlog"
MAX_CONNECTIONS = 64


def record(n):
    return (
        f"<190>Nov 24 10:00:00 web1 nginx: 198.51.100.{n % 250 + 1} - - "
        f'[24/Nov/2026:10:00:00 +0000] "GET /items?page={n % 100} HTTP/1.1" 200 512 "-" '
        f'"curl/8.5.0"'
    )


def sample(pid):
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def main():
    work = tempfile.mkdtemp(prefix="anonlog-serve-soak-")
    log = os.path.join(work, "access.log")
    stats_path = os.path.join(work, "stats.json")
    proc = subprocess.Popen(
        [BIN, "serve", "--syslog", "udp://127.0.0.1:0", "--syslog", "tcp://127.0.0.1:0",
         "-o", log, "--stats-json", stats_path, "--stats-interval", "1",
         "--max-connections", str(MAX_CONNECTIONS), "--idle-timeout", "10",
         "--queue-bytes", str(8 << 20)],
        stderr=subprocess.PIPE, text=True)
    udp = proc.stderr.readline().strip().rsplit(" ", 1)[1].rsplit(":", 1)
    tcp = proc.stderr.readline().strip().rsplit(" ", 1)[1].rsplit(":", 1)
    threading.Thread(target=proc.stderr.read, daemon=True).start()
    udp, tcp = (udp[0], int(udp[1])), (tcp[0], int(tcp[1]))
    end = time.time() + SECONDS
    sent_tcp = [0]

    def ordinary_udp():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            n = 0
            while time.time() < end:
                s.sendto(record(n).encode(), udp)
                n += 1
                if n % 200 == 0:
                    time.sleep(0.02)

    def ordinary_tcp():
        n = 0
        while time.time() < end:
            try:
                with socket.create_connection(tcp, timeout=30) as s:
                    batch = "".join(record(n + i) + "\n" for i in range(100))
                    s.sendall(batch.encode())
                    sent_tcp[0] += 100
                    n += 100
            except OSError:
                time.sleep(0.1)
            time.sleep(0.05)

    def big_datagrams():
        big = record(0).replace("/items?page=0", "/" + "a" * 60_000).encode()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            while time.time() < end:
                for _ in range(50):
                    s.sendto(big, udp)
                time.sleep(0.05)

    def idle_and_half_records():
        held = []
        while time.time() < end:
            try:
                held.append(socket.create_connection(tcp, timeout=5))
                if len(held) > MAX_CONNECTIONS // 2:
                    half = held.pop(0)
                    half.sendall(b"<190>Nov 24 10:00:00 web1 ngi")
                    half.close()
            except OSError:
                pass
            time.sleep(0.2)
        for s in held:
            s.close()

    def trickle():
        while time.time() < end:
            try:
                with socket.create_connection(tcp, timeout=5) as s:
                    for b in record(7).encode()[:40]:
                        if time.time() > end:
                            break
                        s.sendall(bytes([b]))
                        time.sleep(1)
            except OSError:
                time.sleep(1)

    workers = [threading.Thread(target=f) for f in
               (ordinary_udp, ordinary_tcp, big_datagrams, idle_and_half_records, trickle)]
    for w in workers:
        w.start()
    samples, rotated, last_rotation = [], 0, time.time()
    while time.time() < end:
        time.sleep(5)
        samples.append(sample(proc.pid))
        if time.time() - last_rotation >= 30:
            rotated += 1
            os.rename(log, f"{log}.{rotated}")
            proc.send_signal(signal.SIGHUP)
            last_rotation = time.time()
    for w in workers:
        w.join()
    time.sleep(2)
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=60)
    with open(stats_path) as f:
        st = json.load(f)
    lines = 0
    for name in os.listdir(work):
        if name.startswith("access.log"):
            with open(os.path.join(work, name), "rb") as f:
                lines += sum(1 for _ in f)
    failures = []
    total = st["written"] + st["rejected"] + st["not_syslog"] + st["dropped"]
    if st["received"] != total or st.get("in_flight", 0) != 0:
        failures.append(f"unaccounted: {st}")
    if lines != st["written"]:
        failures.append(f"{lines} lines on disk, {st['written']} written")
    reasons = st.get("dropped_by_reason", {})
    if reasons.get("write_error", 0) or reasons.get("shutdown", 0):
        failures.append(f"records dropped other than for a full queue: {reasons}")
    (rss0, fd0), (rss1, fd1) = samples[1] if len(samples) > 1 else samples[0], samples[-1]
    if rss1 > rss0 * 3 // 2 + 16384:
        failures.append(f"memory grew: {rss0} -> {rss1} KiB")
    if fd1 > fd0 + MAX_CONNECTIONS + 4:
        failures.append(f"descriptors grew: {fd0} -> {fd1}")
    peak = max(r for r, _ in samples)
    print(f"serve soak {SECONDS}s: exit {code}, {json.dumps(st)}, {lines} lines in "
          f"{rotated + 1} files, ordinary TCP records sent {sent_tcp[0]}, "
          f"RSS {rss0} -> {rss1} KiB (peak {peak}), descriptors {fd0} -> {fd1}")
    if failures:
        print("serve soak: FAIL: " + "; ".join(failures), file=sys.stderr)
        sys.exit(1)
    print("serve soak: ok")


main()
