#!/usr/bin/env python3
"""Probes of `anonlog serve` under hostile load, on loopback only, bounded in time.

Prints one line of figures per probe for docs/reliability.md:

    cargo build --release --bin anonlog && scripts/serve_probes.py [target/release/anonlog]

1. TCP flood from 4 connections for 3 s, then SIGTERM while it goes on: every received
   record accounted for.
2. UDP flood of 65 kB datagrams for 3 s: peak resident memory, drops counted.
3. As many idle TCP connections as --max-connections (64 here, idle timeout 2 s), one of
   them trickling: how long a new sender waits.
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

BIN = sys.argv[1] if len(sys.argv) > 1 else "target/release/anonlog"


def line(n):
    return (
        f"198.51.100.{n % 250 + 1} - - [24/Nov/2026:10:00:00 +0000] "
        f'"GET /items?page={n} HTTP/1.1" 200 512 "-" "curl/8.5.0"'
    )


def record(n):
    return f"<190>Nov 24 10:00:00 web1 nginx: {line(n)}"


def start(workdir, listen, *extra):
    stats = os.path.join(workdir, "stats.json")
    args = [BIN, "serve", "--syslog", listen, "--stats-interval", "1"]
    args += ["-o", os.path.join(workdir, "access.log"), "--stats-json", stats, *extra]
    proc = subprocess.Popen(args, stderr=subprocess.PIPE, text=True)
    addr = proc.stderr.readline().strip().rsplit(" ", 1)[1]
    threading.Thread(target=proc.stderr.read, daemon=True).start()
    host, port = addr.rsplit(":", 1)
    return proc, (host, int(port)), stats


def read_stats(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for l in f:
            if l.startswith("VmHWM:"):
                return int(l.split()[1])
    return 0


def stop(proc, stats):
    began = time.time()
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=30)
    s = read_stats(stats)
    s["exit_after_sigterm_s"] = round(time.time() - began, 2)
    lost = s["received"] - s["written"] - s["rejected"] - s["not_syslog"] - s["dropped"]
    return code, s, lost


def tcp_flood_then_sigterm(workdir):
    proc, addr, stats = start(workdir, "tcp://127.0.0.1:0")
    running = True
    batch = "".join(record(n) + "\n" for n in range(200)).encode()

    def flood():
        with socket.create_connection(addr) as s:
            while running:
                try:
                    s.sendall(batch)
                except OSError:
                    return

    threads = [threading.Thread(target=flood) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(3)
    code, s, lost = stop(proc, stats)
    running = False
    for t in threads:
        t.join()
    with open(os.path.join(workdir, "access.log")) as f:
        on_disk = sum(1 for _ in f)
    print(f"tcp flood + SIGTERM: exit {code}, {json.dumps(s)}, unaccounted {lost}, "
          f"lines on disk {on_disk}")


def datagram_flood(workdir):
    proc, addr, stats = start(workdir, "udp://127.0.0.1:0")
    big = record(0).replace("/items?page=0", "/" + "a" * 64_900).encode()
    sent = 0
    end = time.time() + 3
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        while time.time() < end:
            s.sendto(big, addr)
            sent += 1
    peak = peak_rss_kib(proc.pid)
    code, st, lost = stop(proc, stats)
    print(f"65 kB datagram flood: {len(big)} B each, sent {sent}, peak RSS {peak} KiB, "
          f"exit {code}, {json.dumps(st)}, unaccounted {lost}")


def idle_connections(workdir):
    proc, addr, stats = start(workdir, "tcp://127.0.0.1:0",
                              "--max-connections", "64", "--idle-timeout", "2")
    idle = [socket.create_connection(addr) for _ in range(64)]
    idle[0].sendall(b"<190>Nov 24 10:00:00 web1 ngi")
    began = time.time()
    with socket.create_connection(addr) as s:
        s.sendall(record(1).encode())  # no final line break, then a clean close
    while read_stats(stats).get("written", 0) < 1 and time.time() - began < 20:
        time.sleep(0.05)
    waited = time.time() - began
    code, st, lost = stop(proc, stats)
    for s in idle:
        s.close()
    print(f"64 idle connections (one trickling): new sender written after {waited:.1f} s, "
          f"exit {code}, {json.dumps(st)}, unaccounted {lost}")


for probe in (tcp_flood_then_sigterm, datagram_flood, idle_connections):
    with tempfile.TemporaryDirectory() as d:
        probe(d)
