#!/usr/bin/env python3
"""Writes a synthetic combined-format access log for throughput benchmarks.

Usage: gen_corpus.py LINES OUTPUT [AGENTS_FILE]

With AGENTS_FILE (one user agent a line, most frequent first), user agents are drawn from
it instead of the built-in list, with the same skew. Environment: IPV6_SHARE (default 0.15)
is the share of IPv6 clients; IPV6_NETWORKS (default 65536) the number of distinct /48
networks they come from.

Deterministic (fixed seed). Addresses come from the benchmarking range 198.18.0.0/15 and
the documentation range 2001:db8::/32 (about 15 % IPv6); user agents repeat with a skewed
distribution as on real sites; referrers carry paths and query strings; paths carry ids,
UUIDs, e-mail addresses and tokens, as the privacy model expects to find them.
"""
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


def main():
    lines, path = int(sys.argv[1]), sys.argv[2]
    agents = AGENTS
    if len(sys.argv) > 3:
        with open(sys.argv[3]) as f:
            agents = [line.rstrip("\n") for line in f if line.strip()]
    v6_share = float(os.environ.get("IPV6_SHARE", "0.15"))
    v6_networks = os.environ.get("IPV6_NETWORKS")
    rng = random.Random(20261124)
    weights = [1.0 / (i + 1) for i in range(len(agents))]
    t = 0
    with open(path, "w") as out:
        for _ in range(lines):
            if rng.random() < v6_share:
                net = rng.randrange(int(v6_networks)) if v6_networks else rng.getrandbits(16)
                ip = f"2001:db8:{net:x}:{rng.getrandbits(16):x}::{rng.getrandbits(16):x}"
            else:
                ip = f"198.{18 + rng.getrandbits(1)}.{rng.getrandbits(8)}.{rng.randrange(1, 255)}"
            t += rng.randrange(0, 200)
            sec = t // 1000
            stamp = f"24/Nov/2026:{sec // 3600 % 24:02}:{sec // 60 % 60:02}:{sec % 60:02} +0000"
            method = "POST" if rng.random() < 0.08 else "GET"
            out.write(f'{ip} - - [{stamp}] "{method} {target(rng)} HTTP/1.1" '
                      f'{rng.choice(STATUSES)} {rng.randrange(0, 60000)} '
                      f'"{rng.choice(REFERRERS)}" "{rng.choices(agents, weights)[0]}"\n')


if __name__ == "__main__":
    main()
