"""``RedisPubSub`` on one server, a Redis Cluster and a Sentinel-managed master.

Two apps with their own ``RedisPubSub`` stand for two processes: what one publishes
reaches the other's subscribers exactly once, and ``publish_to_self=False`` still
excludes the publisher.
"""

from __future__ import annotations

import uuid

import anyio
import pytest
from redis.asyncio import Redis, RedisCluster
from redis.asyncio.cluster import ClusterNode

from harpia import RedisPubSub, TestClient
from tests.harpia.server.ws_app import make_app
from tests.support.redis_topologies import RedisClusterGroup
from tests.support.stores import REDIS_TOPOLOGIES, redis_url

pytestmark = pytest.mark.redis


@pytest.fixture(params=REDIS_TOPOLOGIES)
def url(request: pytest.FixtureRequest) -> str:
    return redis_url(request, request.param)


async def _silent(ws: object) -> bool:
    try:
        await ws.receive(timeout=0.3)  # type: ignore[attr-defined]
    except TimeoutError:
        return True
    return False


async def test_a_message_reaches_the_other_process_exactly_once(url: str) -> None:
    prefix = f"topo-{uuid.uuid4().hex[:8]}:"
    one, two = make_app(), make_app()
    one.pubsub(RedisPubSub(url, prefix=prefix))
    two.pubsub(RedisPubSub(url, prefix=prefix))
    async with (
        TestClient(one) as c1,
        TestClient(two) as c2,
        c1.ws("/room") as a,
        c2.ws("/room") as b,
    ):
        for ws in (a, b):
            await ws.send("topics")
            assert await ws.receive() == "True"
        for n in range(20):
            assert await two.publish("room", f"m{n}") == 0  # delivered through Redis
        assert [await a.receive() for _ in range(20)] == [f"m{n}" for n in range(20)]
        assert [await b.receive() for _ in range(20)] == [f"m{n}" for n in range(20)]
        assert await _silent(a)  # exactly once: nothing more
        await a.send("pub:from a")  # ws.publish: every subscriber but the publisher
        assert await b.receive() == "from a"
        assert await _silent(a)


async def test_a_cluster_listener_moves_to_another_node_when_its_node_dies(
    redis_cluster: RedisClusterGroup,
) -> None:
    # A cluster of its own: one node is stopped (the session's cluster stays whole).
    cluster = RedisClusterGroup(redis_cluster.nodes[0].binary)
    try:
        await anyio.to_thread.run_sync(cluster.start)
        client = RedisCluster(
            startup_nodes=[ClusterNode("127.0.0.1", port) for port in cluster.ports],
            socket_connect_timeout=1,
        )
        backend = RedisPubSub(client=client, prefix="move:")
        app = make_app()
        app.pubsub(backend)
        async with TestClient(app) as c, c.ws("/room") as ws:
            await ws.send("topics")
            assert await ws.receive() == "True"
            listening = backend._pubsub._client.connection_pool.connection_kwargs["port"]
            victim = next(n for n in cluster.nodes if n.port == listening)
            await anyio.to_thread.run_sync(victim.stop)
            stopped = anyio.current_time()
            survivor = next(n for n in cluster.nodes if n is not victim)
            got = None
            with anyio.fail_after(30):
                for attempt in range(200):  # the listener resubscribes on another node
                    async with Redis(port=survivor.port) as other:
                        # PUBLISH on a living node; the cluster forwards it to every node
                        await other.publish("move:room", b"x:1:t:after %d" % attempt)
                    try:
                        got = await ws.receive(timeout=0.2)
                        break
                    except TimeoutError:
                        continue
            assert got is not None
            assert str(got).startswith("after")
            print(
                f"cluster pub/sub: delivery again {anyio.current_time() - stopped:.2f} s "
                "after the listener's node stopped"
            )
        await client.aclose()
    finally:
        await anyio.to_thread.run_sync(cluster.close)
