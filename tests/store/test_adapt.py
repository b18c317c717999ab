"""adapt(): foreign get/set objects, sync or async, as a Store."""

from __future__ import annotations

from typing import Any

import pytest

from harpia_store import Cache, MemoryStore, Store, adapt


class SyncDict:
    """Like the storage objects of other libraries: sync, set(key, None) deletes."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def set(self, key: str, value: Any) -> None:
        if value is None:
            self.data.pop(key, None)
        else:
            self.data[key] = value


class AsyncWithTtl:
    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.ttls: dict[str, float | None] = {}

    async def get(self, key: str) -> Any:
        return self.data.get(key)

    async def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        if value is None:
            self.data.pop(key, None)
        else:
            self.data[key] = value
            self.ttls[key] = ttl


class MixedWithDelete(SyncDict):
    def __init__(self) -> None:
        super().__init__()
        self.deleted: list[str] = []

    async def delete(self, key: str) -> None:
        self.deleted.append(key)
        self.data.pop(key, None)


async def test_sync_object_without_delete() -> None:
    backend = SyncDict()
    store = adapt(backend)
    assert isinstance(store, Store)
    await store.set("k", {"a": 1})
    assert backend.data == {"k": {"a": 1}}
    assert await store.get("k") == {"a": 1}
    await store.delete("k")  # becomes set("k", None)
    assert backend.data == {}
    await store.set("k", 1)
    await store.set("k", None)  # None means delete
    assert await store.get("k") is None


async def test_async_object_takes_the_ttl() -> None:
    backend = AsyncWithTtl()
    store = adapt(backend)
    await store.set("k", "v", ttl=30)
    assert backend.ttls == {"k": 30.0}
    assert await store.get("k") == "v"
    await store.delete("k")
    assert backend.data == {}


async def test_delete_method_is_used_when_present() -> None:
    backend = MixedWithDelete()
    store = adapt(backend)
    await store.set("k", "v")
    await store.set("k", None)
    await store.delete("k")
    assert backend.deleted == ["k", "k"]
    assert await store.get("k") is None


async def test_ttl_on_an_object_that_takes_none_is_refused() -> None:
    store = adapt(SyncDict())
    with pytest.raises(TypeError, match=r"SyncDict\.set\(\) takes no ttl"):
        await store.set("k", "v", ttl=10)
    assert await store.get("k") is None


def test_async_stores_are_returned_unchanged() -> None:
    memory: MemoryStore = MemoryStore()
    assert adapt(memory) is memory


def test_objects_without_get_or_set_are_refused() -> None:
    with pytest.raises(TypeError, match=r"object has no get\(\) or set\(\)"):
        adapt(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"dict has no set\(\)"):
        adapt({})  # type: ignore[arg-type]


async def test_bad_keys_are_refused_before_reaching_the_object() -> None:
    backend = SyncDict()
    with pytest.raises(TypeError, match="keys must be str"):
        await adapt(backend).set(1, "v")  # type: ignore[arg-type]
    assert backend.data == {}


async def test_cache_accepts_a_foreign_object() -> None:
    backend = SyncDict()
    cache: Cache = Cache(backend, prefix="c:")
    assert await cache.remember("answer", lambda: 42) == 42
    assert backend.data == {"c:answer": 42}
