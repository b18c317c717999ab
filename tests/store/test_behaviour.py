"""One behavioural suite, run against MemoryStore and a real redis-server."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest

from harpia_store import (
    MemoryStore,
    Store,
    SupportsCounters,
    SupportsExpire,
    SupportsIncr,
    SupportsKeys,
    SupportsLists,
    SupportsSets,
)

if TYPE_CHECKING:
    from tests.support.stores import AnyStore

NESTED: dict[str, Any] = {
    "user": {"id": 7, "name": "Zoë", "roles": ["admin", "editor"], "active": True},
    "scores": [1.5, -2, 0, None],
    "empty": {},
    "text": 'quotes " and \\ backslash, newline\n, emoji 🦅',
}


async def test_implements_every_protocol(store: AnyStore) -> None:
    for protocol in (
        Store,
        SupportsIncr,
        SupportsCounters,
        SupportsLists,
        SupportsSets,
        SupportsExpire,
        SupportsKeys,
    ):
        assert isinstance(store, protocol), protocol.__name__


async def test_get_set_delete(store: AnyStore) -> None:
    assert await store.get("missing") is None
    await store.set("k", "v")
    assert await store.get("k") == "v"
    await store.set("k", 42)
    assert await store.get("k") == 42
    await store.delete("k")
    assert await store.get("k") is None
    await store.delete("k")  # deleting a missing key is fine


async def test_json_round_trip_of_nested_data(store: AnyStore) -> None:
    await store.set("nested", NESTED)
    assert await store.get("nested") == NESTED
    for scalar in (0, -1.25, True, False, "", "ünïcødé"):
        await store.set("scalar", scalar)
        got = await store.get("scalar")
        assert got == scalar
        assert type(got) is type(scalar)


async def test_ttl_expires(store: AnyStore) -> None:
    await store.set("short", "x", ttl=0.15)
    await store.set("whole", "y", ttl=30)
    await store.set("forever", "z")
    assert await store.get("short") == "x"
    await asyncio.sleep(0.3)
    assert await store.get("short") is None
    assert await store.get("whole") == "y"
    assert await store.get("forever") == "z"
    assert "short" not in await store.keys()


async def test_set_without_ttl_clears_previous_ttl(store: AnyStore) -> None:
    await store.set("k", 1, ttl=0.15)
    await store.set("k", 2)
    await asyncio.sleep(0.3)
    assert await store.get("k") == 2


async def test_expire(store: AnyStore) -> None:
    assert await store.expire("nothing", 1) is False
    await store.set("k", "v")
    assert await store.expire("k", 0.15) is True
    await asyncio.sleep(0.3)
    assert await store.get("k") is None


async def test_keys_and_clear(store: AnyStore) -> None:
    await store.set("user:1", 1)
    await store.set("user:2", 2)
    await store.set("page:1", 3)
    await store.incr("user:hits")
    assert sorted(await store.keys("user:")) == ["user:1", "user:2", "user:hits"]
    assert sorted(await store.keys()) == ["page:1", "user:1", "user:2", "user:hits"]
    await store.clear()
    assert await store.keys() == []
    assert await store.get("page:1") is None


# -- bad input: clear errors, nothing written ------------------------------------------


async def test_value_that_is_not_json_raises_naming_the_key_and_writes_nothing(
    store: AnyStore,
) -> None:
    await store.set("k", "before")
    bad_values: list[object] = [
        {1, 2},
        object(),
        {"nested": [1, b"bytes"]},
        {1: "int key"},
    ]
    for bad in bad_values:
        with pytest.raises(TypeError, match=r"key 'k'.*not JSON-serialisable"):
            await store.set("k", bad)
    assert await store.get("k") == "before"
    cyclic: list[object] = []
    cyclic.append(cyclic)
    with pytest.raises(TypeError, match=r"value\[0\]\[0\].*contains itself"):
        await store.set("k", cyclic)
    with pytest.raises(TypeError, match=r"key 'log'.*not JSON-serialisable"):
        await store.append("log", {"when": object()})
    assert await store.get_list("log") == []


@pytest.mark.parametrize("key", [1, None, b"bytes", ("tuple",)])
async def test_non_str_key_raises_type_error(store: AnyStore, key: Any) -> None:
    with pytest.raises(TypeError, match="keys must be str"):
        await store.get(key)
    with pytest.raises(TypeError, match="keys must be str"):
        await store.set(key, 1)
    with pytest.raises(TypeError, match="keys must be str"):
        await store.delete(key)
    with pytest.raises(TypeError, match="keys must be str"):
        await store.incr(key)
    with pytest.raises(TypeError, match="keys must be str"):
        await store.incr(key, ttl=5)


@pytest.mark.parametrize(
    ("ttl", "error"),
    [(0, ValueError), (-1, ValueError), (float("inf"), ValueError), ("5", TypeError),
     (True, TypeError)],
)  # fmt: skip
async def test_bad_ttl(store: AnyStore, ttl: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="ttl"):
        await store.set("k", 1, ttl=ttl)
    with pytest.raises(error, match="ttl"):
        await store.incr("n", ttl=ttl)
    assert await store.get("k") is None
    assert await store.get("n") is None


async def test_wrong_kind_of_key_raises_type_error(store: AnyStore) -> None:
    await store.set("plain", "text")
    await store.append("list", 1)
    with pytest.raises(TypeError, match="'plain'"):
        await store.incr("plain")
    with pytest.raises(TypeError, match="'plain'"):
        await store.append("plain", 1)
    with pytest.raises(TypeError, match="'list'"):
        await store.get("list")
    with pytest.raises(TypeError, match="'list'"):
        await store.add_member("list", "m")
    with pytest.raises(TypeError, match="amount must be an int"):
        await store.incr("n", 1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="set members must be str"):
        await store.add_member("s", 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_len"):
        await store.append("list", 1, max_len=0)


# -- atomic capabilities ---------------------------------------------------------------


async def test_incr_is_exact_under_1000_concurrent_increments(store: AnyStore) -> None:
    results = await asyncio.gather(*(store.incr("hits") for _ in range(1000)))
    assert sorted(results) == list(range(1, 1001))  # every caller saw a distinct total
    assert await store.get("hits") == 1000
    assert await store.incr("hits", -10) == 990
    assert await store.incr("other", 5) == 5


async def test_incr_ttl_starts_when_the_key_is_created(store: AnyStore) -> None:
    await store.incr("window", ttl=0.4)
    await asyncio.sleep(0.2)
    assert await store.incr("window", ttl=0.4) == 2  # does not push the expiry back
    await asyncio.sleep(0.35)
    assert await store.get("window") is None
    assert await store.incr("window", ttl=0.4) == 1


async def test_counters(store: AnyStore) -> None:
    paths = ["/", "/about", "/"] * 100
    await asyncio.gather(*(store.incr_field("pages", path) for path in paths))
    assert await store.get_counters("pages") == {"/": 200, "/about": 100}
    assert await store.incr_field("pages", "/about", 5) == 105
    assert await store.get_counters("none") == {}


async def test_lists_keep_order_and_the_newest_max_len(store: AnyStore) -> None:
    assert await store.append("log", {"n": 0}) == 1
    assert await store.append("log", [1, "two"]) == 2
    assert await store.get_list("log") == [{"n": 0}, [1, "two"]]
    for n in range(10):
        length = await store.append("capped", n, max_len=3)
        assert length == min(n + 1, 3)
    assert await store.get_list("capped") == [7, 8, 9]
    assert await store.list_length("capped") == 3
    assert await store.get_list("none") == []
    assert await store.list_length("none") == 0


async def test_concurrent_appends_lose_nothing(store: AnyStore) -> None:
    await asyncio.gather(*(store.append("log", n, max_len=10_000) for n in range(500)))
    assert sorted(await store.get_list("log")) == list(range(500))


async def test_sets_count_distinct_members(store: AnyStore) -> None:
    ips = [f"10.0.0.{n % 50}" for n in range(500)]
    added = await asyncio.gather(*(store.add_member("visitors", ip) for ip in ips))
    assert added.count(True) == 50
    assert await store.count_members("visitors") == 50
    assert await store.get_members("visitors") == set(ips)
    assert await store.count_members("none") == 0


async def test_collection_ttl(store: AnyStore) -> None:
    await store.append("log", 1, ttl=0.15)
    await store.add_member("set", "a", ttl=0.15)
    await store.incr_field("map", "f", ttl=0.15)
    await asyncio.sleep(0.3)
    assert await store.get_list("log") == []
    assert await store.count_members("set") == 0
    assert await store.get_counters("map") == {}


async def test_delete_removes_collections(store: AnyStore) -> None:
    await store.append("log", 1)
    await store.add_member("set", "a")
    await store.incr_field("map", "f")
    for key in ("log", "set", "map"):
        await store.delete(key)
    assert await store.keys() == []


async def test_set_replaces_a_collection(store: AnyStore) -> None:
    await store.append("k", 1)
    await store.set("k", "plain")
    assert await store.get("k") == "plain"


def test_memory_store_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="limit must be >= 1"):
        MemoryStore(limit=0)
    with pytest.raises(TypeError, match="limit must be an int"):
        MemoryStore(limit="10")  # type: ignore[arg-type]
