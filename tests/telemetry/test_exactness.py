"""Exactness over real sockets: 5,000 requests from 50 concurrent clients, counted exactly.

* two worker processes (``listen(workers=2, reuse_port=True)``) recording into one real
  Redis, read back from this process;
* one process recording into a ``MemoryStore``.

Every client is one keep-alive connection claiming its own address in ``X-Forwarded-For``
(the telemetry trusts the proxy headers), so the visitors are checked exactly too.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import textwrap
import uuid
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import anyio
import pytest

from harpia import Request, Response, harpia
from harpia._server import Server
from harpia_store import MemoryStore, RedisStore
from harpia_telemetry import Telemetry

from .load import expected_views, hammer

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tests.support.redis_server import RedisServer

CLIENTS = 50
TOTAL = 5000
DEADLINE = 90.0
"""The whole load must be served within this many seconds (it takes a few)."""

WORKER_APP = """
import os, sys
from harpia import harpia
from harpia_store import RedisStore
from harpia_telemetry import Telemetry

telemetry = Telemetry(RedisStore(sys.argv[1], prefix=sys.argv[2]), trust_proxy=True)
app = harpia()
app.use(telemetry.middleware())

def page(req, res):
    res.header("x-served-by", str(os.getpid())).text("page " + req.path)

app.get("/", page)
app.get("/about", page)
app.get("/books/:id", page)
app.listen(port=0, hostname="127.0.0.1", workers=2, reuse_port=True, shutdown_timeout=5,
           on_listen=lambda info: print(info.port, flush=True))
"""


@asynccontextmanager
async def two_workers(url: str, prefix: str) -> AsyncIterator[int]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", textwrap.dedent(WORKER_APP), url, prefix,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 20)
        yield int(line)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 20) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def check_counts(summary: dict[str, object], views: dict[str, int]) -> None:
    assert summary["total_requests"] == TOTAL
    assert summary["unique_visitors"] == CLIENTS
    assert summary["total_errors"] == 0
    assert views == dict(expected_views(CLIENTS, TOTAL))


@pytest.mark.redis
async def test_two_workers_sharing_redis_count_exactly(redis_server: RedisServer) -> None:
    prefix = f"exact-{uuid.uuid4().hex[:8]}:"
    async with two_workers(redis_server.url, prefix) as port:
        outcome = await hammer(port, clients=CLIENTS, total=TOTAL, deadline=DEADLINE)
    assert outcome.statuses == {200: TOTAL}
    assert len(outcome.servers) == 2  # both workers served
    async with RedisStore(redis_server.url, prefix=prefix) as store:
        telemetry = Telemetry(store)
        summary = await telemetry.summary(limit=5)
        check_counts(summary, await telemetry.get_page_views())
        visitors = await telemetry.get_visitors()
        assert len(visitors) == CLIENTS
        assert {v["total_requests"] for v in visitors.values()} == {TOTAL // CLIENTS}
        await store.clear()


@asynccontextmanager
async def serving(app: object) -> AsyncIterator[int]:
    server = Server(app, port=0, hostname="127.0.0.1")  # type: ignore[arg-type]
    async with anyio.create_task_group() as group:
        with anyio.fail_after(10):
            await group.start(server.serve)
        try:
            assert server.port is not None
            yield server.port
        finally:
            with anyio.fail_after(15):
                await server.shutdown()


async def test_one_process_with_memory_store_counts_exactly() -> None:
    telemetry = Telemetry(MemoryStore(limit=100_000), trust_proxy=True)
    app = harpia()
    app.use(telemetry.middleware())

    def page(req: Request, res: Response) -> None:
        res.header("x-served-by", "one").text("page " + req.path)

    app.get("/", page)
    app.get("/about", page)
    app.get("/books/:id", page)
    async with serving(app) as port:
        outcome = await hammer(port, clients=CLIENTS, total=TOTAL, deadline=DEADLINE)
    assert outcome.statuses == {200: TOTAL}
    check_counts(await telemetry.summary(), await telemetry.get_page_views())
