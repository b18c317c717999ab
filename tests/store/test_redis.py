"""What only RedisStore has: prefixes in Redis, configuration, faults, several processes."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from redis.asyncio import RedisCluster

from harpia_store import RedisStore, StoreError
from harpia_store._redis import mask_url, url_from_env

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.redis


def _prefix() -> str:
    return f"t-{uuid.uuid4().hex[:8]}:"


async def test_keys_carry_the_prefix_in_redis(redis_server: RedisServer) -> None:
    one: RedisStore = RedisStore(redis_server.url, prefix="app-one:")
    two: RedisStore = RedisStore(redis_server.url, prefix="app-two:")
    try:
        await one.set("shared", {"who": 1})
        await two.set("shared", {"who": 2})
        assert await one.get("shared") == {"who": 1}
        assert await two.get("shared") == {"who": 2}
        raw = await one.client.get("app-one:shared")
        assert raw is not None
        assert json.loads(raw) == {"who": 1}
        await one.clear()  # clears only its own prefix
        assert await one.get("shared") is None
        assert await two.get("shared") == {"who": 2}
        assert await two.keys() == ["shared"]
    finally:
        await two.clear()
        await one.close()
        await two.close()


async def test_glob_characters_in_the_prefix_are_literal(redis_server: RedisServer) -> None:
    star: RedisStore = RedisStore(redis_server.url, prefix="p*:")
    plain: RedisStore = RedisStore(redis_server.url, prefix="pX:")
    try:
        await star.set("a", 1)
        await plain.set("b", 2)
        assert await star.keys() == ["a"]
        await star.clear()
        assert await plain.get("b") == 2
    finally:
        await plain.clear()
        await star.close()
        await plain.close()


async def test_ttl_uses_ex_for_whole_seconds_and_px_otherwise(redis_server: RedisServer) -> None:
    async with RedisStore(redis_server.url, prefix=_prefix()) as store:
        await store.set("whole", 1, ttl=100)
        await store.set("fine", 1, ttl=2.5)
        whole = await store.client.pttl(store.prefix + "whole")
        fine = await store.client.pttl(store.prefix + "fine")
        assert 99_000 < whole <= 100_000
        assert 2_000 < fine <= 2_500
        await store.clear()


async def test_url_from_environment(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_HOST", "127.0.0.1")
    monkeypatch.setenv("REDIS_PORT", str(redis_server.port))
    async with RedisStore(prefix=_prefix()) as store:
        assert store.url == f"redis://127.0.0.1:{redis_server.port}/0"
        assert await store.ping() is True


def test_url_building_and_masking() -> None:
    assert url_from_env({}) == "redis://localhost:6379/0"
    url = url_from_env(
        {"REDIS_HOST": "db", "REDIS_PORT": "7000", "REDIS_USER": "app", "REDIS_PASS": "p@ss:w"}
    )
    assert url == "redis://app:p%40ss%3Aw@db:7000/0"
    assert mask_url(url) == "redis://app:***@db:7000/0"
    assert url_from_env({"REDIS_PASS": "secret"}) == "redis://:secret@localhost:6379/0"
    assert url_from_env({"REDIS_HOST": "::1"}) == "redis://[::1]:6379/0"
    with pytest.raises(ValueError, match="REDIS_PORT"):
        url_from_env({"REDIS_PORT": "sixty"})


def test_bad_construction_arguments() -> None:
    with pytest.raises(ValueError, match="redis://"):
        RedisStore("http://localhost:6379")
    with pytest.raises(TypeError, match="prefix must be str"):
        RedisStore("redis://localhost", prefix=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="connect_timeout"):
        RedisStore("redis://localhost", connect_timeout=0)
    with pytest.raises(ValueError, match="max_connections"):
        RedisStore("redis://localhost", max_connections=0)


async def test_password_is_masked_in_errors(redis_factory: Callable[[], RedisServer]) -> None:
    server = redis_factory()
    server.stop()
    url = f"redis://user:hunter2@127.0.0.1:{server.port}/0"
    async with RedisStore(url, connect_timeout=0.5, timeout=0.5) as store:
        with pytest.raises(StoreError) as caught:
            await store.get("k")
    assert "hunter2" not in str(caught.value)
    assert f"redis://user:***@127.0.0.1:{server.port}/0" in str(caught.value)


async def test_dead_redis_raises_store_error_then_the_same_store_recovers(
    redis_factory: Callable[[], RedisServer],
) -> None:
    server = redis_factory()
    store: RedisStore = RedisStore(server.url, connect_timeout=1, timeout=1)
    try:
        await store.set("k", "before")
        await store.incr("n")
        server.stop()
        for call in (
            lambda: store.get("k"),
            lambda: store.set("k", "lost"),
            lambda: store.incr("n", ttl=5),
            store.ping,
        ):
            started = time.monotonic()
            with pytest.raises(StoreError, match=f"Redis at {server.url} is unavailable"):
                await call()
            assert time.monotonic() - started < 1.0  # refused: fails at once, no hang
        server.start()  # same port, empty (no persistence)
        assert await store.get("k") is None
        await store.set("k", "after")
        assert await store.get("k") == "after"
        assert await store.incr("n", ttl=5) == 1  # scripts are loaded again by themselves
        assert await store.ping() is True
    finally:
        await store.close()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A loopback port that accepts TCP connections but never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


async def test_a_redis_that_never_answers_times_out(silent_server: int) -> None:
    url = f"redis://127.0.0.1:{silent_server}/0"
    async with RedisStore(url, connect_timeout=0.3, timeout=0.3) as store:
        started = time.monotonic()
        with pytest.raises(StoreError, match=url):
            await store.get("k")
        elapsed = time.monotonic() - started
    assert 0.25 < elapsed < 1.5


async def test_not_json_in_redis_is_a_store_error(redis_server: RedisServer) -> None:
    async with RedisStore(redis_server.url, prefix=_prefix()) as store:
        await store.client.set(store.prefix + "raw", b"\xff not json")
        with pytest.raises(StoreError, match="not JSON"):
            await store.get("raw")
        await store.clear()


async def test_works_with_a_given_client(redis_server: RedisServer) -> None:
    import redis.asyncio as aioredis

    client = aioredis.Redis(host="127.0.0.1", port=redis_server.port, decode_responses=True)
    store: RedisStore = RedisStore(client=client, prefix=_prefix())
    try:
        assert store.url == f"redis://127.0.0.1:{redis_server.port}/0"
        await store.set("k", ["a"])
        assert await store.get("k") == ["a"]
        await store.add_member("s", "m")
        assert await store.get_members("s") == {"m"}
        await store.incr_field("c", "f")
        assert await store.get_counters("c") == {"f": 1}
        await store.clear()
        await store.close()  # not ours: stays open
        assert await client.ping() is True
    finally:
        await client.aclose()


_WORKER = textwrap.dedent(
    """
    import asyncio, json, sys
    from harpia_store import RedisStore

    async def main():
        async with RedisStore(sys.argv[1], prefix=sys.argv[2]) as store:
            await store.ping()
            print("ready", flush=True)
            sys.stdin.readline()  # start together
            seen = await asyncio.gather(*(store.incr("hits") for _ in range(500)))
            await asyncio.gather(*(store.incr_field("pages", "/") for _ in range(500)))
            print(json.dumps(seen), flush=True)

    asyncio.run(main())
    """
)


def test_incr_is_exact_across_two_processes(redis_server: RedisServer) -> None:
    prefix = _prefix()
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, redis_server.url, prefix],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready"
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        outputs = [worker.communicate(timeout=60)[0] for worker in workers]
    finally:
        for worker in workers:
            worker.kill()
            worker.wait(timeout=10)
    seen = [n for out in outputs for n in json.loads(out)]
    assert sorted(seen) == list(range(1, 1001))  # no lost or duplicated update

    async def totals() -> tuple[Any, dict[str, int]]:
        async with RedisStore(redis_server.url, prefix=prefix) as store:
            result = (await store.get("hits"), await store.get_counters("pages"))
            await store.clear()
            return result

    assert asyncio.run(totals()) == (1000, {"/": 1000})


async def test_more_concurrent_calls_than_connections_wait_instead_of_failing(
    redis_server: RedisServer,
) -> None:
    async with RedisStore(redis_server.url, prefix=_prefix(), max_connections=3) as store:
        results = await asyncio.gather(*(store.incr("n") for _ in range(300)))
        assert max(results) == 300
        assert not isinstance(store.client, RedisCluster)
        pool = store.client.connection_pool
        assert len(pool._available_connections) + len(pool._in_use_connections) <= 3
        await store.clear()
