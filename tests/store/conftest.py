"""The ``store`` fixture: every behavioural test runs against MemoryStore and a real Redis."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest

from harpia_store import MemoryStore, RedisStore

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tests.support.redis_server import RedisServer

AnyStore = MemoryStore | RedisStore


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[AnyStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    # A fresh prefix per test isolates tests that share the session's server.
    redis_store: RedisStore = RedisStore(
        server.url, prefix=f"test-{uuid.uuid4().hex[:8]}:", connect_timeout=2, timeout=2
    )
    yield redis_store
    await redis_store.clear()
    await redis_store.close()
