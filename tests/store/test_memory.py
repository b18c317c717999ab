"""What only MemoryStore has: the size limit and its eviction order."""

from __future__ import annotations

import asyncio

from harpia_store import MemoryStore


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


async def test_updating_a_key_keeps_its_place_and_evicts_nothing() -> None:
    store: MemoryStore = MemoryStore(limit=2)
    await store.set("a", 1)
    await store.set("b", 2)
    await store.set("a", 10)  # full, but not a new key
    assert await store.keys() == ["a", "b"]
    await store.set("c", 3)  # "a" is still the oldest
    assert await store.keys() == ["b", "c"]


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
