"""Fixtures: every behavioural test runs against MemoryStore and a real Redis."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest

from harpia_store import MemoryStore, RedisStore
from harpia_telemetry import Telemetry

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from tests.support.redis_server import RedisServer

AnyStore = MemoryStore | RedisStore
TOKEN = "s3cret-token"


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[AnyStore]:
    if request.param == "memory":
        yield MemoryStore(limit=100_000)
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    redis_store = RedisStore(
        server.url, prefix=f"tel-{uuid.uuid4().hex[:8]}:", connect_timeout=2, timeout=2
    )
    yield redis_store
    await redis_store.clear()
    await redis_store.close()


@pytest.fixture
def make(store: AnyStore) -> Callable[..., Telemetry]:
    """``make(**options)``: a Telemetry on the test's store (token ``TOKEN`` by default)."""

    def build(**options: Any) -> Telemetry:
        options.setdefault("access_token", TOKEN)
        return Telemetry(store, **options)

    return build
