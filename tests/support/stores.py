"""The store a test runs against: a MemoryStore, or a RedisStore on the suite's real server."""

from __future__ import annotations

import uuid
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from harpia_store import MemoryStore, RedisStore

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import pytest

    from tests.support.redis_server import RedisServer

AnyStore = MemoryStore | RedisStore


@asynccontextmanager
async def memory_or_redis(
    request: pytest.FixtureRequest,
    prefix: str,
    *,
    memory: MemoryStore | None = None,
    clear: bool = True,
) -> AsyncIterator[AnyStore]:
    """The store a ``params=["memory", "redis"]`` fixture asked for.

    Redis keys get ``prefix`` and a random part, so tests sharing the server never see
    each other's keys; ``clear`` empties them afterwards (not for tests that may leave
    the server stopped). The RedisStore is always closed.
    """
    if request.param == "memory":
        yield memory if memory is not None else MemoryStore()
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    store = RedisStore(
        server.url, prefix=f"{prefix}-{uuid.uuid4().hex[:8]}:", connect_timeout=2, timeout=2
    )
    try:
        yield store
        if clear:
            await store.clear()
    finally:
        await store.close()
