"""Per-request cost of ``app.shield()`` on the hello route, side by side in one run.

In-process, no socket (the machine's 2 cores are shared, so a socket benchmark would
mostly measure the neighbours). Two loops, each timed for every app:

- ``handle``: what a front end asks of the app, ``await app.handle(request)`` then
  ``res.raw_headers()`` (the shield's headers are attached there);
- ``wire``: the native server's whole per-request path without the socket: request bytes
  into its sans-IO ``HTTPConnection`` (h11 inside, one keep-alive connection), the app,
  and the response serialised to bytes by the same connection.

Three apps, interleaved in many short rounds (the order rotating) so that noise from the
neighbours hits them alike; the table gives the fastest round (the least disturbed: the
cost itself) and the median round, each with its ratio to ``plain``:

- ``plain``: ``GET /`` → ``res.text("Hello, World!")``;
- ``shield``: the same with ``app.shield()`` (defaults: 12 headers);
- ``shield+nonce``: ``app.shield(use_nonce=True)`` (a fresh nonce and CSP per request).

    .venv/bin/python bench/shield/run.py [--requests 2000] [--rounds 41]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from harpia import Harpia, Request, harpia
from harpia._server._common import response_head
from harpia._server._connection import HTTPConnection
from harpia._server._events import RequestHead

REQUEST = b"GET / HTTP/1.1\r\nhost: 127.0.0.1\r\nuser-agent: bench\r\n\r\n"


def hello(req: Request, res: Any) -> None:
    res.text("Hello, World!")


def build(shield: dict[str, Any] | None) -> Harpia:
    app = harpia()
    app.get("/", hello)
    if shield is not None:
        app.shield(shield)
    return app


async def _empty() -> bytes:
    return b""


async def run_once(app: Harpia, requests: int) -> float:
    """Seconds per request for ``requests`` sequential requests."""
    headers = [(b"host", b"127.0.0.1"), (b"user-agent", b"bench")]
    handle = app.handle
    start = time.perf_counter()
    for _ in range(requests):
        res = await handle(Request("GET", "/", "", headers, _empty))
        res.raw_headers()
    return (time.perf_counter() - start) / requests


async def run_wire(app: Harpia, requests: int) -> float:
    """Seconds per request through the server's connection layer (bytes in, bytes out)."""
    conn = HTTPConnection()
    handle = app.handle
    start = time.perf_counter()
    for _ in range(requests):
        conn.receive_data(REQUEST)
        head = conn.next_event()
        assert isinstance(head, RequestHead)
        request = Request(head.method, head.raw_path, head.query_string, head.headers, _empty)
        res = await handle(request)
        headers, block = response_head(res)  # as the native server's drivers do
        out = conn.respond(res.status_code, headers, res.body, validated=True, block=block)
        assert out.startswith(b"HTTP/1.1 200")
        conn.next_event()  # back to idle for the next request on this connection
    return (time.perf_counter() - start) / requests


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=2000, help="per app per round")
    parser.add_argument("--rounds", type=int, default=41)
    args = parser.parse_args()
    apps = {
        "plain": build(None),
        "shield": build({}),
        "shield+nonce": build({"use_nonce": True}),
    }
    loops = {"handle": run_once, "wire": run_wire}
    for app in apps.values():  # warm-up: compose chains, fill caches
        for loop in loops.values():
            await loop(app, 2000)
    samples = {(kind, name): list[float]() for kind in loops for name in apps}
    names = list(apps)
    for round_ in range(args.rounds):
        order = names[round_ % len(names) :] + names[: round_ % len(names)]
        for kind, loop in loops.items():
            count = args.requests if kind == "handle" else max(1, args.requests // 10)
            for name in order:
                samples[kind, name].append(await loop(apps[name], count))
    print(
        f"{'loop':<7} {'app':<13} {'best µs':>8} {'req/s':>9} {'vs plain':>9}"
        f" {'median µs':>10} {'vs plain':>9}"
    )
    for kind in loops:
        best_base = min(samples[kind, "plain"])
        median_base = statistics.median(samples[kind, "plain"])
        for name in apps:
            best = min(samples[kind, name])
            median = statistics.median(samples[kind, name])
            print(
                f"{kind:<7} {name:<13} {best * 1e6:>8.2f} {1 / best:>9,.0f} "
                f"{best_base / best:>8.1%} {median * 1e6:>10.2f} {median_base / median:>8.1%}"
            )
    print(
        f"({args.rounds} rounds; handle: {args.requests:,} requests per app a round, "
        f"wire: {max(1, args.requests // 10):,}; one process, no socket)"
    )


if __name__ == "__main__":
    asyncio.run(main())
