"""Fixtures shared by every package's tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.support.redis_server import RedisServer, in_ci, redis_binary
from tests.support.redis_topologies import RedisClusterGroup, RedisSentinelGroup, redis_cli

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


def _need_redis() -> str:
    binary = redis_binary()
    if binary is None:
        message = (
            "redis-server is not installed: scripts/test installs it when run as root "
            "(apt-get install redis-server)"
        )
        if in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return binary


@pytest.fixture
def browser() -> Iterator[str]:
    """A headless Chromium; yields the URL of its DevTools WebSocket (stopped afterwards)."""
    from tests.support.browser import launched

    with launched() as url:
        yield url


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One real redis-server for the whole session (tests isolate by key prefix)."""
    server = RedisServer(_need_redis())
    server.start()
    yield server
    server.close()


def _need_redis_cli() -> str:
    binary = _need_redis()
    if redis_cli() is None:
        message = "redis-cli is not installed (apt-get install redis-tools)"
        if in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return binary


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[RedisClusterGroup]:
    """One real 3-master Redis Cluster for the whole session (tests isolate by prefix)."""
    cluster = RedisClusterGroup(_need_redis_cli())
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.close()


@pytest.fixture(scope="session")
def redis_sentinel() -> Iterator[RedisSentinelGroup]:
    """One master + replica watched by 3 sentinels, for the whole session (never failed
    over: the failover test starts its own group)."""
    group = RedisSentinelGroup(_need_redis_cli())
    try:
        group.start(quorum_ready=False)
        yield group
    finally:
        group.close()


@pytest.fixture
def redis_factory() -> Iterator[Callable[[], RedisServer]]:
    """Start extra redis-servers a test may stop and restart; all stopped afterwards."""
    servers: list[RedisServer] = []

    def make() -> RedisServer:
        server = RedisServer(_need_redis())
        servers.append(server)
        server.start()
        return server

    yield make
    for server in servers:
        server.close()
