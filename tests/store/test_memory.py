"""What only MemoryStore has: the size limit and its eviction order (least recently used)."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from harpia_store import MemoryStore

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable


async def test_evicts_the_oldest_entry_when_full() -> None:
    store: MemoryStore = MemoryStore(limit=3)
    for n, key in enumerate("abc"):
        await store.set(key, n)
    await store.set("d", 3)
    assert await store.get("a") is None
    assert [await store.get(k) for k in "bcd"] == [1, 2, 3]
    assert len(store) == 3
    await store.set("e", 4)
    assert await store.keys() == ["c", "d", "e"]


async def test_updating_a_key_makes_it_recent_and_evicts_nothing() -> None:
    store: MemoryStore = MemoryStore(limit=2)
    await store.set("a", 1)
    await store.set("b", 2)
    await store.set("a", 10)  # full, but not a new key
    assert await store.keys() == ["b", "a"]
    await store.set("c", 3)  # "b" is now the least recently used
    assert await store.keys() == ["a", "c"]
    assert await store.get("a") == 10


async def test_reading_a_key_makes_it_recent() -> None:
    store: MemoryStore = MemoryStore(limit=3)
    for key in "abc":
        await store.set(key, key)
    assert await store.get("a") == "a"  # "b" is now the least recently used
    await store.set("d", "d")
    assert await store.keys() == ["c", "a", "d"]
    assert await store.get("missing") is None  # a miss changes nothing
    assert await store.keys() == ["c", "a", "d"]


async def test_listing_keys_does_not_count_as_use() -> None:
    store: MemoryStore = MemoryStore(limit=2)
    await store.set("a", 1)
    await store.set("b", 2)
    assert await store.keys("a") == ["a"]
    await store.set("c", 3)
    assert await store.keys() == ["b", "c"]


async def test_every_atomic_operation_counts_as_use() -> None:
    """incr, counters, lists, sets and expire refresh recency, read or write."""
    uses: dict[str, Callable[[MemoryStore], Awaitable[object]]] = {
        "n": lambda s: s.incr("n"),
        "hits": lambda s: s.get_counters("hits"),
        "hits+": lambda s: s.incr_field("hits", "x"),
        "log": lambda s: s.get_list("log"),
        "log#": lambda s: s.list_length("log"),
        "log+": lambda s: s.append("log", 2),
        "set": lambda s: s.get_members("set"),
        "set#": lambda s: s.count_members("set"),
        "set+": lambda s: s.add_member("set", "y"),
        "plain": lambda s: s.expire("plain", 60),
    }
    for name, use in uses.items():
        key = name.rstrip("+#")
        store: MemoryStore = MemoryStore(limit=5)
        await store.incr("n")
        await store.incr_field("hits", "x")
        await store.append("log", 1)
        await store.add_member("set", "x")
        await store.set("plain", 0)
        await use(store)  # `key` becomes the most recently used
        for n in range(4):  # four new keys evict the four others
            await store.set(f"new{n}", n)
        assert await store.keys() == [key, "new0", "new1", "new2", "new3"], name


async def test_a_flood_of_new_keys_evicts_idle_keys_not_a_used_one() -> None:
    """The attack the limit allows: ``limit`` new keys in a row. A key used every 100
    new keys survives a flood ten times the limit; an idle one goes."""
    store: MemoryStore = MemoryStore(limit=1000)
    await store.set("victim", "v")
    await store.set("idle", "i")
    for n in range(10_000):
        await store.set(f"flood{n}", n)
        if n % 100 == 0:
            assert await store.get("victim") == "v"
    assert await store.get("victim") == "v"
    assert await store.get("idle") is None
    assert len(store) == 1000


async def test_eviction_stays_constant_time_on_a_large_store() -> None:
    """Reads, updates and evictions on a full 200,000-key store cost about as much as on
    a 1,000-key one (an O(n) step would be ~200 times slower)."""

    async def cost(limit: int) -> float:
        store: MemoryStore = MemoryStore(limit=limit)
        for n in range(limit):
            await store.set(f"k{n}", n)
        start = time.perf_counter()
        for n in range(20_000):
            await store.get(f"k{limit - 1 - n % limit}")
            await store.set(f"new{n}", n)  # evicts
        return time.perf_counter() - start

    small, large = await cost(1_000), await cost(200_000)
    print(
        f"\n20,000 get+evicting set: {small * 1e3:.1f} ms at 1k keys, {large * 1e3:.1f} ms at 200k"
    )
    assert large < small * 10 + 0.5


async def test_counters_and_collections_count_toward_the_limit() -> None:
    store: MemoryStore = MemoryStore(limit=2)
    await store.incr("n")
    await store.append("log", 1)
    await store.add_member("set", "x")
    assert await store.keys() == ["log", "set"]
    assert await store.get("n") is None


async def test_expired_entries_are_dropped_when_read() -> None:
    store: MemoryStore = MemoryStore(limit=10)
    await store.set("k", "v", ttl=0.05)
    await asyncio.sleep(0.1)
    assert len(store) == 1
    assert await store.get("k") is None
    assert len(store) == 0


def test_repr_and_limit() -> None:
    store: MemoryStore = MemoryStore(limit=7)
    assert store.limit == 7
    assert repr(store) == "MemoryStore(limit=7, keys=0)"
