#!/usr/bin/env python3
"""Writes a synthetic combined-format access log for throughput benchmarks.

Usage: gen_corpus.py LINES OUTPUT [DAYS [CLIENTS]]

With DAYS, the lines are spread evenly over that many UTC days from 24 Nov 2026 (for
statistics per day); without, they follow each other 0-200 ms apart as before. With
CLIENTS, requests come from that many (address, user agent) pairs, drawn with a skew as
real visitors come back; without, nearly every request has an address of its own.

Environment: AGENTS_FILE (one user agent a line, most frequent first) replaces the built-in
user agents, with the same skew; IPV6_SHARE (default 0.15) is the share of IPv6 clients;
IPV6_NETWORKS (default 65536) the number of distinct /48 networks they come from.

Deterministic (fixed seed). Addresses come from the benchmarking range 198.18.0.0/15 and
the documentation range 2001:db8::/32 (about 15 % IPv6); user agents repeat with a skewed
distribution as on real sites; referrers carry paths and query strings; paths carry ids,
UUIDs, e-mail addresses and tokens, as the privacy model expects to find them.
"""
import datetime
import os
import random
import sys
import uuid

AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67",
    "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36 OPR/109.0.0.0",
    "curl/8.5.0",
    "python-requests/2.31.0",
]

PAGES = ["/", "/products", "/blog/top-10-tips-for-2024/", "/about", "/contact", "/cart"]
STATIC = ["/static/css/site.3f2a9c1b4d5e6f70.css", "/static/js/app.9a8b7c6d5e4f3a2b.js",
          "/favicon.ico", "/img/logo.png", "/robots.txt"]
REFERRERS = ["-", "-", "-", "https://www.google.com/search?q=running+shoes+review",
             "https://www.example.com/products?page=3&sort=price",
             "https://news.example.org/item?id=4412345",
             "https://shop.example.com/users/48213/orders"]
STATUSES = [200] * 16 + [304, 301, 404, 500]


def target(rng):
    r = rng.random()
    if r < 0.35:
        return rng.choice(STATIC)
    if r < 0.55:
        return rng.choice(PAGES)
    if r < 0.70:
        return f"/users/{rng.randrange(1, 10**6)}/orders/{uuid.UUID(int=rng.getrandbits(128))}"
    if r < 0.85:
        return (f"/search?q=item+{rng.randrange(1000)}&page={rng.randrange(1, 20)}"
                f"&utm_source=newsletter&session_id={rng.getrandbits(64):016x}")
    if r < 0.95:
        return f"/u/user{rng.randrange(10**5)}@example.com/settings"
    return f"/reset?token=sk_live_{rng.getrandbits(128):032x}"


V6_SHARE = float(os.environ.get("IPV6_SHARE", "0.15"))
V6_NETWORKS = os.environ.get("IPV6_NETWORKS")


def address(rng):
    if rng.random() < V6_SHARE:
        net = rng.randrange(int(V6_NETWORKS)) if V6_NETWORKS else rng.getrandbits(16)
        return f"2001:db8:{net:x}:{rng.getrandbits(16):x}::{rng.getrandbits(16):x}"
    return f"198.{18 + rng.getrandbits(1)}.{rng.getrandbits(8)}.{rng.randrange(1, 255)}"


def main():
    lines, path = int(sys.argv[1]), sys.argv[2]
    days = int(sys.argv[3]) if len(sys.argv) > 3 else None
    clients = int(sys.argv[4]) if len(sys.argv) > 4 else None
    start = datetime.datetime(2026, 11, 24, tzinfo=datetime.timezone.utc)
    agents = AGENTS
    if os.environ.get("AGENTS_FILE"):
        with open(os.environ["AGENTS_FILE"]) as f:
            agents = [line.rstrip("\n") for line in f if line.strip()]
    rng = random.Random(20261124)
    weights = [1.0 / (i + 1) for i in range(len(agents))]
    t = 0
    with open(path, "w") as out:
        pool = [(address(rng), rng.choices(agents, weights)[0]) for _ in range(clients or 0)]
        for n in range(lines):
            if pool:
                # A few clients come back often, most now and then.
                skewed = rng.random() < 0.3
                i = int(rng.paretovariate(1.2)) - 1 if skewed else rng.randrange(len(pool))
                ip, agent = pool[min(i, len(pool) - 1)]
            else:
                ip, agent = address(rng), None
            t += rng.randrange(0, 200)
            if days:
                at = start + datetime.timedelta(seconds=n * days * 86400 // lines)
                stamp = at.strftime("%d/%b/%Y:%H:%M:%S +0000")
            else:
                sec = t // 1000
                stamp = f"24/Nov/2026:{sec // 3600 % 24:02}:{sec // 60 % 60:02}:{sec % 60:02} +0000"
            method = "POST" if rng.random() < 0.08 else "GET"
            out.write(f'{ip} - - [{stamp}] "{method} {target(rng)} HTTP/1.1" '
                      f'{rng.choice(STATUSES)} {rng.randrange(0, 60000)} '
                      f'"{rng.choice(REFERRERS)}" "{agent or rng.choices(agents, weights)[0]}"\n')


if __name__ == "__main__":
    main()
