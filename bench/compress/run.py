"""What response compression saves and costs on a 20 KiB JSON response.

Run from the repository root (brotli and zstandard come with the dev requirements)::

    .venv/bin/python bench/compress/run.py

For each coding and level: the compressed size (bytes saved, ratio), the time to
compress the body once (µs, best of several runs), and requests/s through the whole
in-process pipeline (``app.handle``: routing, the handler's JSON encoding, the compression
middleware, no socket) against the same app sending identity, measured in alternating
rounds (best of each; their ratio is the cost). The JSON is 330 objects
with ids, names and tags — the shape of a typical list endpoint — about 20 KiB compact.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
import time
import timeit
from typing import Any

from harpia import Request, harpia
from harpia._compress import Compress

PAYLOAD = {
    "items": [
        {
            "id": i,
            "name": f"item {i}",
            "price": round(i * 1.37, 2),
            "tags": ["new", "sale"][: i % 3],
        }
        for i in range(330)
    ]
}
BODY = json.dumps(PAYLOAD, separators=(",", ":")).encode()

SETTINGS: list[tuple[str, dict[str, Any]]] = [
    ("gzip", {"gzip_level": 1}),
    ("gzip", {"gzip_level": 4}),  # the default
    ("gzip", {"gzip_level": 6}),
    ("gzip", {"gzip_level": 9}),
    ("br", {"brotli_quality": 2}),
    ("br", {"brotli_quality": 4}),
    ("br", {"brotli_quality": 5}),  # the default
    ("br", {"brotli_quality": 11}),
    ("zstd", {"zstd_level": 1}),
    ("zstd", {"zstd_level": 3}),  # the default
    ("zstd", {"zstd_level": 9}),
]


def app_for(coding: str | None, options: dict[str, Any]) -> Any:
    app = harpia()
    if coding is not None:
        app.compress(encodings=[coding], **options)
    app.get("/items", lambda req, res: res.json(PAYLOAD))
    return app


async def one_round(app: Any, coding: str | None, seconds: float) -> float:
    headers = [(b"host", b"bench"), (b"accept-encoding", (coding or "identity").encode())]
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(20):
            await app.handle(Request("GET", "/items", "", list(headers)))
        count += 20
    return count / (time.perf_counter() - start)


async def requests_per_second(
    app: Any, coding: str | None, seconds: float, rounds: int
) -> tuple[float, float]:
    """Best req/s of ``app`` and of the identity app, rounds interleaved: on a shared
    machine the load moves between rounds, and the ratio of neighbours is the steady
    figure."""
    plain = app_for(None, {})
    await one_round(app, coding, 0.05)  # warm up (chains are composed on first use)
    await one_round(plain, None, 0.05)
    best = base = 0.0
    for _ in range(rounds):
        best = max(best, await one_round(app, coding, seconds))
        base = max(base, await one_round(plain, None, seconds))
    return best, base


def compress_time(middleware: Compress, coding: str) -> float:
    coder = middleware._coders[coding]
    runs = timeit.repeat(lambda: coder.one_shot(BODY), number=50, repeat=5)
    return min(runs) / 50 * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=0.3, help="per req/s round")
    parser.add_argument("--rounds", type=int, default=3, help="req/s rounds per contender")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]} on {platform.machine()}, body {len(BODY):,} bytes")
    print()
    print(
        "| coding | setting | bytes | saved | ratio | compress µs | req/s | identity req/s | cost |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for coding, options in SETTINGS:
        middleware = Compress(encodings=[coding], **options)
        size = len(middleware._coders[coding].one_shot(BODY))
        micros = compress_time(middleware, coding)
        rate, identity = await requests_per_second(
            app_for(coding, options), coding, args.seconds, args.rounds
        )
        setting = ", ".join(f"{key}={value}" for key, value in options.items())
        print(
            f"| {coding} | {setting} | {size:,} | {len(BODY) - size:,} | "
            f"{len(BODY) / size:.1f} | {micros:,.0f} | {rate:,.0f} | {identity:,.0f} | "
            f"{rate / identity:.2f}x |"
        )


if __name__ == "__main__":
    asyncio.run(main())
