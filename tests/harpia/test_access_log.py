"""The access log in-process: its line, when it is on, and what it costs per request.

Run with ``-s`` to see the figures (µs per request through ``app.handle``).
"""

from __future__ import annotations

import io
import logging
import re
import time
from typing import TYPE_CHECKING

import pytest

from harpia import Harpia, Request, Response, harpia
from harpia._logs import FORMAT, access_logged, access_logger
from harpia._server._config import Config

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

ROUNDS = 20_000


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """``harpia.access`` written to a string, as ``harpia run`` formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(FORMAT))
    level, propagate = access_logger.level, access_logger.propagate
    access_logger.addHandler(handler)
    access_logger.setLevel(logging.INFO)
    access_logger.propagate = False
    try:
        yield stream
    finally:
        access_logger.removeHandler(handler)
        access_logger.setLevel(level)
        access_logger.propagate = propagate


def make_app() -> tuple[Callable[[Request], Awaitable[Response]], Harpia]:
    app = harpia()
    app.get("/", lambda req, res: res.text("hello"))

    async def chunks() -> AsyncIterator[bytes]:
        yield b"ab"

    @app.get("/stream")
    async def stream(req: Request, res: Response) -> None:
        res.stream(chunks())

    return app.handle, app


def request(path: str, query: str = "", method: str = "GET") -> Request:
    return Request(method, path, query, [(b"host", b"x")], client=("10.0.0.7", 5123))


async def test_one_line_per_response(log_stream: io.StringIO) -> None:
    handle, _ = make_app()
    logged = access_logged(handle)
    assert (await logged(request("/", "a=1"))).status_code == 200
    assert (await logged(request("/missing"))).status_code == 404
    assert (await logged(request("/", method="HEAD"))).status_code == 200
    await logged(request("/stream"))
    lines = log_stream.getvalue().splitlines()
    assert len(lines) == 4
    pattern = r'INFO +\[\d+\] harpia\.access: 10\.0\.0\.7:5123 - "{}" {} {} \d+\.\dms$'
    assert re.search(pattern.format(r"GET /\?a=1 HTTP/1\.1", 200, 5), lines[0]), lines[0]
    assert re.search(pattern.format(r"GET /missing HTTP/1\.1", 404, r"\d+"), lines[1])
    assert re.search(pattern.format(r"HEAD / HTTP/1\.1", 200, 0), lines[2]), lines[2]
    assert re.search(pattern.format(r"GET /stream HTTP/1\.1", 200, "-"), lines[3]), lines[3]


def test_on_under_harpia_run_and_in_development_only_by_default() -> None:
    assert Config(port=0).logs_access is False  # app.listen() in production: quiet
    assert Config(port=0, development=True).logs_access is True
    assert Config(port=0, access_log=True).logs_access is True  # harpia run
    assert Config(port=0, development=True, access_log=False).logs_access is False


async def _per_request(handle: Callable[[Request], Awaitable[Response]]) -> float:
    requests = [request("/") for _ in range(ROUNDS)]
    started = time.perf_counter()
    for item in requests:
        await handle(item)
    return (time.perf_counter() - started) / ROUNDS * 1e6


async def test_cost_per_request(log_stream: io.StringIO) -> None:
    handle, _ = make_app()
    logged = access_logged(handle)
    for fn in (handle, logged):  # warm up
        await _per_request(fn)
    log_stream.seek(0)
    log_stream.truncate()
    bare = min([await _per_request(handle) for _ in range(3)])
    on = min([await _per_request(logged) for _ in range(3)])
    assert log_stream.getvalue().count("\n") == 3 * ROUNDS
    access_logger.setLevel(logging.WARNING)  # on, but its level filtered out
    filtered = min([await _per_request(logged) for _ in range(3)])
    print(
        f"\naccess log, per request through app.handle: without {bare:.2f} µs, "
        f"with (formatted and written) {on:.2f} µs (+{on - bare:.2f}), "
        f"on but filtered by level {filtered:.2f} µs (+{filtered - bare:.2f})"
    )
    assert on - bare < 200  # generous: the machine is shared
