"""The store a test runs against: a MemoryStore, or a RedisStore on the suite's real server."""

from __future__ import annotations

import uuid
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import pytest

from harpia_store import MemoryStore, RedisStore

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tests.support.redis_server import RedisServer
    from tests.support.redis_topologies import RedisClusterGroup, RedisSentinelGroup

AnyStore = MemoryStore | RedisStore

REDIS_TOPOLOGIES = ("redis", "cluster", "sentinel")
"""The Redis params: one server, the 3-master Cluster, the Sentinel-managed master."""

STORE_PARAMS = [
    "memory",
    *(pytest.param(kind, marks=pytest.mark.redis) for kind in REDIS_TOPOLOGIES),
]
"""``params`` of a store fixture: memory, then each Redis topology (marked ``redis``)."""


def redis_url(request: pytest.FixtureRequest, kind: str) -> str:
    """The URL of the suite's ``kind`` of Redis (``redis``, ``cluster``, ``sentinel``)."""
    if kind == "redis":
        server: RedisServer = request.getfixturevalue("redis_server")
        return server.url
    if kind == "cluster":
        cluster: RedisClusterGroup = request.getfixturevalue("redis_cluster")
        return cluster.url
    if kind == "sentinel":
        group: RedisSentinelGroup = request.getfixturevalue("redis_sentinel")
        return group.url
    raise ValueError(f"no Redis of kind {kind!r}")


@asynccontextmanager
async def memory_or_redis(
    request: pytest.FixtureRequest,
    prefix: str,
    *,
    memory: MemoryStore | None = None,
    clear: bool = True,
) -> AsyncIterator[AnyStore]:
    """The store a ``params=["memory", "redis"]`` fixture asked for.

    ``"cluster"`` and ``"sentinel"`` give a RedisStore on the suite's Redis Cluster or
    Sentinel-managed master (``REDIS_TOPOLOGIES`` lists the three Redis params).

    Redis keys get ``prefix`` and a random part, so tests sharing the server never see
    each other's keys; ``clear`` empties them afterwards (not for tests that may leave
    the server stopped). The RedisStore is always closed.
    """
    if request.param == "memory":
        yield memory if memory is not None else MemoryStore()
        return
    store = RedisStore(
        redis_url(request, request.param),
        prefix=f"{prefix}-{uuid.uuid4().hex[:8]}:",
        connect_timeout=2,
        timeout=2,
    )
    try:
        yield store
        if clear:
            await store.clear()
    finally:
        await store.close()
