"""``RedisPubSub`` in one process: delivery through Redis, and recovery after an outage."""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio

from harpia import RedisPubSub, TestClient
from tests.harpia.server.ws_app import make_app

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.support.redis_server import RedisServer


async def test_redis_pubsub_survives_a_redis_restart(
    redis_factory: Callable[[], RedisServer],
) -> None:
    redis = redis_factory()
    app = make_app()
    app.pubsub(RedisPubSub(redis.url, prefix="restart:"))
    async with TestClient(app) as client, client.ws("/room") as a, client.ws("/room") as b:
        await a.send("topics")
        assert await a.receive() == "True"
        await b.send("topics")
        assert await b.receive() == "True"
        assert await app.publish("room", "before") == 0  # delivered later, through Redis
        assert await a.receive() == "before"
        assert await b.receive() == "before"
        redis.stop()
        await anyio.to_thread.run_sync(redis.start)
        got = None
        for attempt in range(60):  # the listener reconnects and subscribes again
            try:
                await app.publish("room", f"after {attempt}")
            except Exception:  # the publishing connection may see the outage once
                await anyio.sleep(0.1)
                continue
            try:
                got = await a.receive(timeout=0.2)
                break
            except TimeoutError:
                continue
        assert got is not None
        assert str(got).startswith("after")
