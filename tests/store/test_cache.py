"""Cache: prefixes, default ttl and single-flight remember(), on both stores."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from harpia_store import Cache, MemoryStore

if TYPE_CHECKING:
    from tests.support.stores import AnyStore


async def test_prefix_and_get_set_delete(store: AnyStore) -> None:
    cache: Cache = Cache(store, prefix="pages:")
    await cache.set("home", {"html": "<h1>hi</h1>"})
    assert await store.get("pages:home") == {"html": "<h1>hi</h1>"}
    assert await cache.get("home") == {"html": "<h1>hi</h1>"}
    other: Cache = Cache(store, prefix="other:")
    assert await other.get("home") is None
    await cache.delete("home")
    assert await cache.get("home") is None


async def test_default_ttl_and_override(store: AnyStore) -> None:
    cache: Cache = Cache(store, ttl=0.15)
    await cache.set("short", "x")
    await cache.set("long", "y", ttl=30)
    await asyncio.sleep(0.3)
    assert await cache.get("short") is None
    assert await cache.get("long") == "y"


async def test_remember_runs_the_factory_once_for_50_concurrent_callers(
    store: AnyStore,
) -> None:
    cache: Cache = Cache(store)
    calls = 0

    async def expensive() -> dict[str, int]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return {"answer": 42}

    results = await asyncio.gather(*(cache.remember("q", expensive) for _ in range(50)))
    assert calls == 1
    assert results == [{"answer": 42}] * 50
    assert await cache.get("q") == {"answer": 42}
    assert await cache.remember("q", expensive) == {"answer": 42}  # cached now
    assert calls == 1


async def test_remember_with_a_sync_factory_and_ttl(store: AnyStore) -> None:
    cache: Cache = Cache(store)
    assert await cache.remember("n", lambda: 7, ttl=0.15) == 7
    await asyncio.sleep(0.3)
    assert await cache.get("n") is None


async def test_factory_error_reaches_every_caller_and_nothing_is_stored(
    store: AnyStore,
) -> None:
    cache: Cache = Cache(store)
    calls = 0

    async def broken() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.02)
        raise RuntimeError("backend down")

    results = await asyncio.gather(
        *(cache.remember("k", broken) for _ in range(10)), return_exceptions=True
    )
    assert calls == 1
    assert all(isinstance(r, RuntimeError) for r in results)
    assert await cache.get("k") is None
    assert await cache.remember("k", lambda: 1) == 1  # the next call computes again


async def test_a_cancelled_caller_does_not_cancel_the_others() -> None:
    cache: Cache = Cache(MemoryStore())
    release = asyncio.Event()

    async def slow() -> str:
        await release.wait()
        return "done"

    first = asyncio.ensure_future(cache.remember("k", slow))
    second = asyncio.ensure_future(cache.remember("k", slow))
    await asyncio.sleep(0.01)
    first.cancel()
    release.set()
    assert await second == "done"
    assert first.cancelled()
    assert await cache.get("k") == "done"


async def test_none_is_returned_but_not_cached() -> None:
    cache: Cache = Cache()
    calls = 0

    def nothing() -> int | None:
        nonlocal calls
        calls += 1
        return None

    assert await cache.remember("k", nothing) is None
    assert await cache.remember("k", nothing) is None
    assert calls == 2


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="prefix must be str"):
        Cache(prefix=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ttl"):
        Cache(ttl=0)
    with pytest.raises(TypeError, match="has no get"):
        Cache(store=object())  # type: ignore[arg-type]


async def test_remember_refuses_a_non_callable() -> None:
    with pytest.raises(TypeError, match="factory must be callable"):
        await Cache().remember("k", 42)  # type: ignore[call-overload]
