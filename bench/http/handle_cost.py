"""Per-request cost of ``app.handle`` alone (no server, no socket), by mode.

Times ``await app.handle(Request(...))`` for a few routes, best of ``--repeat`` runs of
``-n`` requests, in µs per request:

- ``plaintext`` / ``json``: the bench's two handlers (``res.text``, ``res.json``);
- ``mw2``: the json route behind two async middlewares (``await next()``);
- each in production and in development (``Harpia(development=True)``: the checks of
  ``harpia._dev`` — per-hold timing of every middleware/handler, the no-response note);
- ``thread``: the plaintext handler with ``thread=True`` (a worker thread per request).

Run it with another harpia first on ``PYTHONPATH`` to compare versions (a mode an older
harpia lacks is skipped)::

    .venv/bin/python bench/http/handle_cost.py [-n 20000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from typing import Any

import harpia
from harpia import Request


def plaintext(req: Any, res: Any) -> None:
    res.text("Hello, World!")


def js(req: Any, res: Any) -> None:
    res.json({"message": "Hello, World!"})


async def passthrough(req: Any, res: Any, next: Any) -> None:
    await next()


def build(development: bool) -> Any:
    try:
        app: Any = harpia.Harpia(development=development)
    except TypeError:  # pragma: no cover - an older harpia
        return None
    app.get("/plaintext", plaintext)
    app.get("/json", js)
    app.get("/mw2", passthrough, passthrough, js)
    with contextlib.suppress(TypeError):  # an older harpia has no thread=
        app.get("/thread", plaintext, thread=True)
    return app


async def per_request(app: Any, path: str, requests: int) -> float:
    headers = [(b"host", b"bench"), (b"accept", b"*/*")]
    started = time.perf_counter()
    for _ in range(requests):
        res = await app.handle(Request("GET", path, "", headers))
        if res.status_code != 200:
            raise SystemExit(f"{path}: {res.status_code} {res.body[:200]!r}")
    return (time.perf_counter() - started) / requests * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20000, help="requests per run")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"harpia from {harpia.__file__}")
    for mode, development in (("production", False), ("development", True)):
        app = build(development)
        for path in ("/plaintext", "/json", "/mw2", "/thread"):
            if path == "/thread" and development:
                continue
            requests = args.n // 10 if path == "/thread" else args.n
            try:
                await per_request(app, path, 100)  # compose, warm up
            except SystemExit as exc:
                print(f"{mode:12} {path:11} skipped ({exc})")
                continue
            best = min([await per_request(app, path, requests) for _ in range(args.repeat)])
            print(f"{mode:12} {path:11} {best:7.2f} µs/request")


if __name__ == "__main__":
    asyncio.run(main())
