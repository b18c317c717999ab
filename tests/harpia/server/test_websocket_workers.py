"""Pub/sub through Redis with ``workers=2``: every subscriber gets each message once."""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING, Any

import pytest
import websockets

from tests.support.processes import serving
from tests.support.redis_server import free_port

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.support.redis_server import RedisServer

TIMEOUT = 5.0


@pytest.fixture
def two_workers(redis_server: RedisServer) -> Iterator[int]:
    port = free_port()
    command = [sys.executable, "-m", "tests.harpia.server.ws_app", str(port), redis_server.url, "2"]
    with serving(command, port, stop_timeout=15):
        yield port


async def no_more(ws: Any) -> bool:
    try:
        await asyncio.wait_for(ws.recv(), 0.3)
    except TimeoutError:
        return True
    return False


async def test_publish_reaches_both_workers_exactly_once(two_workers: int) -> None:
    url = f"ws://127.0.0.1:{two_workers}/room"
    clients: list[Any] = []
    pids: dict[str, int] = {}
    try:
        for _ in range(40):  # the kernel spreads connections between the two workers
            ws = await websockets.connect(url)
            clients.append(ws)
            await ws.send("pid")
            pid = str(await asyncio.wait_for(ws.recv(), TIMEOUT))
            pids[pid] = pids.get(pid, 0) + 1
            if len(pids) == 2 and len(clients) >= 4:
                break
        assert len(pids) == 2, f"all connections went to one worker: {pids}"
        sender, others = clients[0], clients[1:]
        await sender.send("pub:across workers")
        got = await asyncio.gather(*[asyncio.wait_for(c.recv(), TIMEOUT) for c in others])
        assert got == ["across workers"] * len(others)
        assert all(await asyncio.gather(*[no_more(c) for c in clients]))  # once, not to self
    finally:
        await asyncio.gather(*[c.close() for c in clients])
