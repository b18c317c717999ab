"""Fixtures shared by every package's tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.support.redis_server import RedisServer, in_ci, redis_binary

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
