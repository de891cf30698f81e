#!/usr/bin/env python3
"""Re-identification risk of what a reduced user agent keeps, on an anonymized JSON log.

Usage: agent_risk.py ANONYMIZED_JSON_LOG [K]

Prints, for growing sets of kept user-agent facts, the share of records that fall in a
group of fewer than K (default 5) records sharing the UTC day, the network and those facts:
the same figure `anonlog check` reports for day, network, browser and OS family.
"""
import json
import sys
from collections import Counter

KEYS = [
    ("browser, OS family (anonlog check's key)", ["browser", "os"]),
    ("+ browser major", ["browser", "browser_major", "os"]),
    ("+ OS version", ["browser", "browser_major", "os", "os_version"]),
    ("+ device class and agent kind (`os_version = false`)",
     ["browser", "browser_major", "os", "device", "agent_kind"]),
    ("+ OS version, device class and agent kind (default)",
     ["browser", "browser_major", "os", "os_version", "device", "agent_kind"]),
]


def main():
    path = sys.argv[1]
    k = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    groups = [Counter() for _ in KEYS]
    total = 0
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            total += 1
            day = r["time"][:10]
            for counter, (_, fields) in zip(groups, KEYS):
                counter[(day, r["network"]) + tuple(r.get(x) for x in fields)] += 1
    print(f"{total} records, k = {k}")
    print("| kept of the user agent | groups | records in groups < k | share |")
    print("|---|---:|---:|---:|")
    for counter, (name, _) in zip(groups, KEYS):
        small = sum(n for n in counter.values() if n < k)
        print(f"| {name} | {len(counter)} | {small} | {100.0 * small / total:.2f} % |")


if __name__ == "__main__":
    main()
