"""RedisStore on a Redis Cluster and a Sentinel-managed master: URL forms, clients, slots.

The behaviour suite (``test_behaviour.py``) already runs on both; these tests cover what
is particular to them.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from typing import TYPE_CHECKING

import anyio
import pytest
from redis.asyncio import Redis, RedisCluster
from redis.asyncio.cluster import ClusterNode
from redis.asyncio.sentinel import Sentinel

from harpia_store import RedisStore, StoreError, redis_client
from harpia_store._connect import close_client
from tests.support.redis_topologies import SERVICE, RedisClusterGroup, cli

if TYPE_CHECKING:
    from tests.support.redis_topologies import RedisSentinelGroup

pytestmark = pytest.mark.redis


def _prefix() -> str:
    return f"topo-{uuid.uuid4().hex[:8]}:"


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("redis+cluster://127.0.0.1", "expected host:port"),
        ("redis+cluster://127.0.0.1:1,nohost", "expected host:port"),
        ("redis+cluster://127.0.0.1:99999", "expected host:port"),
        ("redis+sentinel://127.0.0.1:26379", "service"),
        ("redis+sentinel://127.0.0.1:26379/svc/db", "service"),
        ("memcached://127.0.0.1:11211", "redis\\+cluster://"),
    ],
)
def test_bad_urls_are_value_errors_naming_the_form(url: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        RedisStore(url)


def test_a_password_in_a_cluster_url_never_shows() -> None:
    store = RedisStore("redis+cluster://user:s3cret@127.0.0.1:7000,127.0.0.1:7001")
    assert "s3cret" not in repr(store)
    assert store.url == "redis+cluster://user:***@127.0.0.1:7000,127.0.0.1:7001"
    assert store.topology == "cluster"


async def test_keys_spread_over_every_master_and_clear_spans_slots(
    redis_cluster: RedisClusterGroup,
) -> None:
    prefix = _prefix()
    async with RedisStore(redis_cluster.url, prefix=prefix) as store:
        assert store.topology == "cluster"
        for n in range(60):
            await store.set(f"k{n}", n)
        holders = set()
        for port in redis_cluster.ports:
            async with Redis(port=port) as node:
                if [key async for key in node.scan_iter(match=f"{prefix}*")]:
                    holders.add(port)
        assert holders == set(redis_cluster.ports)  # a real cluster: every master holds some
        assert len(await store.keys()) == 60
        await store.clear()  # UNLINK of keys in many slots: split per slot
        assert await store.keys() == []


async def test_a_redis_cluster_client_can_be_passed(redis_cluster: RedisClusterGroup) -> None:
    client = RedisCluster(startup_nodes=[ClusterNode("127.0.0.1", redis_cluster.ports[0])])
    try:
        store = RedisStore(client=client, prefix=_prefix())
        assert store.topology == "cluster"
        assert store.url == f"redis+cluster://127.0.0.1:{redis_cluster.ports[0]}"
        assert await store.append("log", {"a": 1}, max_len=2) == 1
        assert await store.incr_field("c", "x", 2, ttl=60) == 2
        await store.clear()
        await store.close()  # not ours: the client stays usable
        assert await client.ping()
    finally:
        await client.aclose()


async def test_a_sentinel_master_client_can_be_passed(
    redis_sentinel: RedisSentinelGroup,
) -> None:
    sentinel = Sentinel([("127.0.0.1", port) for port in redis_sentinel.sentinel_ports])  # type: ignore[no-untyped-call]
    client = sentinel.master_for(SERVICE)
    try:
        store = RedisStore(client=client, prefix=_prefix())
        assert store.topology == "sentinel"
        assert store.url.startswith("redis+sentinel://127.0.0.1:")
        assert store.url.endswith(f"/{SERVICE}")
        await store.set("k", {"v": 1})
        async with Redis(port=redis_sentinel.master.port) as master:
            assert await master.exists(store.prefix + "k") == 1  # it went to the master
        await store.clear()
    finally:
        await client.aclose()
        for node in sentinel.sentinels:
            await node.aclose()


async def test_redis_client_builds_each_kind(
    redis_cluster: RedisClusterGroup, redis_sentinel: RedisSentinelGroup
) -> None:
    cluster = redis_client(redis_cluster.url)
    sentinel = redis_client(redis_sentinel.url)
    try:
        assert isinstance(cluster, RedisCluster)
        assert isinstance(sentinel, Redis)
        assert await cluster.ping()
        assert await sentinel.ping()
    finally:
        await close_client(cluster)
        await close_client(sentinel)  # and its connections to the sentinels


async def test_a_cluster_master_failover_is_bounded_errors_then_the_replica_serves(
    redis_cluster: RedisClusterGroup,  # only for the redis-server binary it was started with
) -> None:
    # A cluster of its own, with a replica per master: one master is killed.
    cluster = RedisClusterGroup(redis_cluster.nodes[0].binary, replicas=1)
    store = RedisStore(cluster.url, prefix=_prefix(), connect_timeout=1, timeout=1)
    try:
        await anyio.to_thread.run_sync(cluster.start)
        for n in range(100):
            await store.set(f"k{n}", n)
        masters = await anyio.to_thread.run_sync(cluster.masters)
        victim = masters[0]
        replica = await anyio.to_thread.run_sync(cluster.replica_of, victim)

        def offset(port: int, field: str) -> int:
            out = cli(port, "info", "replication")
            return int(out.split(f"{field}:")[1].split()[0])

        for _ in range(200):  # the replica has every write (as WAIT would ensure)
            wanted = offset(victim.port, "master_repl_offset")
            if offset(replica.port, "slave_repl_offset") >= wanted:
                break
            await anyio.sleep(0.05)
        else:
            raise AssertionError("the replica did not catch up within 10 s")
        assert victim.process is not None
        os.kill(victim.process.pid, signal.SIGKILL)
        killed = time.monotonic()
        failures = 0
        slowest = 0.0
        with anyio.fail_after(40):
            while True:
                started = time.monotonic()
                try:
                    values = [await store.get(f"k{n}") for n in range(100)]
                except StoreError:
                    failures += 1
                    await anyio.sleep(0.1)
                    continue
                finally:
                    slowest = max(slowest, time.monotonic() - started)
                break
        window = time.monotonic() - killed
        assert values == list(range(100))  # nothing lost
        assert slowest < 3  # bounded by the 1 s timeout: never a hang
        assert failures > 0  # the keys of the dead master's slots did fail for a while
        assert await store.incr("after") == 1  # and writes work again
        print(
            f"cluster failover: reads failed (StoreError) for {window:.2f} s after a master "
            f"was killed (cluster-node-timeout 2000 ms), slowest read of 100 keys "
            f"{slowest:.2f} s, then every key read back from the promoted replica"
        )
    finally:
        await store.close()
        await anyio.to_thread.run_sync(cluster.close)
