"""``http_cache``: every behaviour against MemoryStore and a real Redis."""

from __future__ import annotations

import asyncio
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

import anyio
import pytest

import harpia as hp
from harpia import HttpCache, RedisStore, Request, Response, TestClient, http_cache
from tests.support.stores import STORE_PARAMS, AnyStore, memory_or_redis

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from tests.support.redis_server import RedisServer


@pytest.fixture(params=STORE_PARAMS)
async def store(request: pytest.FixtureRequest) -> AsyncIterator[AnyStore]:
    async with memory_or_redis(request, "hc") as store:
        yield store


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


class Origin:
    """A handler counting its calls, answering with ``body`` and ``headers``."""

    def __init__(self, body: str = "hello", **headers: str) -> None:
        self.body = body
        self.headers = headers
        self.calls = 0
        self.seen: list[dict[str, str]] = []
        self.honour_etag: str | None = None

    async def __call__(self, req: Request, res: Response) -> None:
        self.calls += 1
        self.seen.append(dict(req.headers))
        for name, value in self.headers.items():
            res.headers.set(name.replace("_", "-"), value)
        if self.honour_etag is not None and req.headers.get("if-none-match") == self.honour_etag:
            res.status(304)
            res.sent = True
            return
        res.text(f"{self.body} {req.query.get('q', '')}".strip())


def make(store: AnyStore, origin: Origin, **options: Any) -> tuple[TestClient, HttpCache, Clock]:
    clock = Clock()
    cache = http_cache(store, clock=clock, **options)
    app = hp.harpia()
    app.use(cache)
    app.get("/page", origin)
    app.get("/other", origin)
    return TestClient(app), cache, clock


async def test_miss_then_hit(store: AnyStore) -> None:
    origin = Origin(cache_control="public, max-age=60")
    client, _, clock = make(store, origin)
    first = await client.get("/page")
    assert (first.status, first.text(), first.headers["x-cache"]) == (200, "hello", "MISS")
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert first.headers["last-modified"]
    clock.now += 10
    second = await client.get("/page")
    assert (second.status, second.text(), second.headers["x-cache"]) == (200, "hello", "HIT")
    assert second.headers["etag"] == etag
    assert second.headers["age"] == "10"
    assert second.headers["cache-control"] == "public, max-age=60"
    assert second.headers["content-type"] == "text/plain; charset=utf-8"
    assert origin.calls == 1


async def test_query_strings_are_separate_entries(store: AnyStore) -> None:
    origin = Origin()
    client, _, _ = make(store, origin)
    assert (await client.get("/page?q=a")).text() == "hello a"
    assert (await client.get("/page?q=b")).text() == "hello b"
    assert (await client.get("/page?q=a")).headers["x-cache"] == "HIT"
    assert origin.calls == 2


async def test_head_is_answered_from_the_cache_but_never_fills_it(store: AnyStore) -> None:
    origin = Origin()
    client, _, _ = make(store, origin)
    head = await client.head("/page")
    assert head.headers["x-cache"] == "MISS"
    assert head.content == b""
    assert (await client.get("/page")).headers["x-cache"] == "MISS"
    head = await client.head("/page")
    assert head.headers["x-cache"] == "HIT"
    assert head.content == b""
    assert origin.calls == 2


async def test_no_store_is_never_stored(store: AnyStore) -> None:
    origin = Origin(cache_control="no-store")
    client, _, _ = make(store, origin)
    for _ in range(3):
        assert (await client.get("/page")).headers["x-cache"] == "MISS"
    assert origin.calls == 3


async def test_private_needs_a_private_key(store: AnyStore) -> None:
    origin = Origin(cache_control="private, max-age=60")
    client, _, _ = make(store, origin)
    await client.get("/page")
    assert (await client.get("/page")).headers["x-cache"] == "MISS"
    assert origin.calls == 2


async def test_private_is_stored_per_user(store: AnyStore) -> None:
    class PerUser(Origin):
        async def __call__(self, req: Request, res: Response) -> None:
            self.body = f"for {req.headers.get('x-user')}"
            await super().__call__(req, res)

    origin = PerUser(cache_control="private, max-age=60")
    client, _, _ = make(store, origin, private_key=lambda req: req.headers.get("x-user"))
    assert (await client.get("/page").set("x-user", "ann")).text() == "for ann"
    assert (await client.get("/page").set("x-user", "bob")).text() == "for bob"
    again = await client.get("/page").set("x-user", "ann")
    assert (again.text(), again.headers["x-cache"]) == ("for ann", "HIT")
    bob = await client.get("/page").set("x-user", "bob")
    assert (bob.text(), bob.headers["x-cache"]) == ("for bob", "HIT")
    anonymous = await client.get("/page")
    assert anonymous.headers["x-cache"] == "MISS"  # private, nobody to key it by
    assert origin.calls == 3


async def test_max_age_sets_freshness_then_stale_is_revalidated(store: AnyStore) -> None:
    origin = Origin(cache_control="max-age=30")
    client, _, clock = make(store, origin)
    etag = (await client.get("/page")).headers["etag"]
    origin.honour_etag = etag
    clock.now += 29
    assert (await client.get("/page")).headers["x-cache"] == "HIT"
    clock.now += 2
    res = await client.get("/page")
    assert (res.status, res.text(), res.headers["x-cache"]) == (200, "hello", "REVALIDATED")
    assert origin.seen[-1]["if-none-match"] == etag
    assert origin.seen[-1]["if-modified-since"] == res.headers["last-modified"]
    assert origin.calls == 2
    clock.now += 29  # the 304 refreshed the entry
    assert (await client.get("/page")).headers["x-cache"] == "HIT"
    assert origin.calls == 2


async def test_s_maxage_wins_over_max_age(store: AnyStore) -> None:
    origin = Origin(cache_control="max-age=5, s-maxage=100")
    client, _, clock = make(store, origin)
    await client.get("/page")
    clock.now += 50
    assert (await client.get("/page")).headers["x-cache"] == "HIT"
    clock.now += 60
    assert (await client.get("/page")).headers["x-cache"] == "REVALIDATED"


async def test_ttl_applies_without_max_age(store: AnyStore) -> None:
    origin = Origin()
    client, _, clock = make(store, origin, ttl=20, min_ttl=100)
    await client.get("/page")
    clock.now += 19
    assert (await client.get("/page")).headers["x-cache"] == "HIT"
    clock.now += 2
    assert (await client.get("/page")).headers["x-cache"] == "REVALIDATED"


class SpyStore:
    """Records the ttl of every ``set``; delegates to a real store."""

    def __init__(self, inner: AnyStore) -> None:
        self.inner = inner
        self.ttls: list[float | None] = []

    async def get(self, key: str) -> Any:
        return await self.inner.get(key)

    async def set(self, key: str, value: Any, *, ttl: float | None = None) -> None:
        self.ttls.append(ttl)
        await self.inner.set(key, value, ttl=ttl)

    async def delete(self, key: str) -> None:
        await self.inner.delete(key)


@pytest.mark.parametrize(
    ("cache_control", "kept"),
    [("max-age=10", 3600.0), ("max-age=7200", 7200.0), ("s-maxage=9000", 9000.0), ("", 86400.0)],
)
async def test_store_keeps_entries_at_least_min_ttl(
    store: AnyStore, cache_control: str, kept: float
) -> None:
    origin = Origin(cache_control=cache_control) if cache_control else Origin()
    spy = SpyStore(store)
    client, _, _ = make(spy, origin, ttl=86400, min_ttl=3600)  # type: ignore[arg-type]
    await client.get("/page")
    assert spy.ttls == [kept]


@pytest.mark.parametrize("directive", ["no-cache", "max-age=60, must-revalidate"])
async def test_no_cache_and_must_revalidate_force_revalidation(
    store: AnyStore, directive: str
) -> None:
    origin = Origin(cache_control=directive)
    client, _, _ = make(store, origin)
    origin.honour_etag = (await client.get("/page")).headers["etag"]
    for _ in range(2):
        res = await client.get("/page")
        assert (res.text(), res.headers["x-cache"]) == ("hello", "REVALIDATED")
    assert origin.calls == 3


async def test_revalidation_with_a_full_response(store: AnyStore) -> None:
    origin = Origin(cache_control="no-cache")
    client, _, _ = make(store, origin)
    await client.get("/page")
    same = await client.get("/page")  # the handler ignores validators: same body, same ETag
    assert (same.text(), same.headers["x-cache"]) == ("hello", "REVALIDATED")
    origin.body = "changed"
    changed = await client.get("/page")
    assert (changed.text(), changed.headers["x-cache"]) == ("changed", "MISS")
    assert changed.headers["etag"] != same.headers["etag"]
    origin.headers = {"cache_control": "no-store"}
    assert (await client.get("/page")).headers["x-cache"] == "MISS"
    origin.headers = {"cache_control": "max-age=60"}
    assert (await client.get("/page")).headers["x-cache"] == "MISS"  # no-store dropped it


async def test_vary_headers_are_part_of_the_key(store: AnyStore) -> None:
    class Lang(Origin):
        async def __call__(self, req: Request, res: Response) -> None:
            self.body = req.headers.get("accept-language", "en")
            await super().__call__(req, res)

    origin = Lang(vary="Accept-Language")
    client, _, _ = make(store, origin)
    assert (await client.get("/page").set("accept-language", "fr")).text() == "fr"
    assert (await client.get("/page").set("accept-language", "de")).text() == "de"
    fr = await client.get("/page").set("accept-language", "fr")
    assert (fr.text(), fr.headers["x-cache"]) == ("fr", "HIT")
    de = await client.get("/page").set("accept-language", "de")
    assert (de.text(), de.headers["x-cache"]) == ("de", "HIT")
    assert origin.calls == 2


async def test_vary_star_is_not_stored(store: AnyStore) -> None:
    origin = Origin(vary="*")
    client, _, _ = make(store, origin)
    await client.get("/page")
    assert (await client.get("/page")).headers["x-cache"] == "MISS"


async def test_if_none_match_gets_304(store: AnyStore) -> None:
    origin = Origin()
    client, _, _ = make(store, origin)
    etag = (await client.get("/page")).headers["etag"]
    hit = await client.get("/page").set("if-none-match", etag)
    assert (hit.status, hit.content, hit.headers["x-cache"]) == (304, b"", "HIT")
    assert hit.headers["etag"] == etag
    assert "content-type" not in hit.headers
    other = await client.get("/page").set("if-none-match", '"nope"')
    assert (other.status, other.text()) == (200, "hello")


async def test_if_none_match_on_a_miss_gets_304_and_the_handler_a_full_request(
    store: AnyStore,
) -> None:
    origin = Origin(etag='"v1"')
    client, _, _ = make(store, origin)
    res = await client.get("/page").set("if-none-match", '"v1"')
    assert (res.status, res.headers["x-cache"]) == (304, "MISS")
    assert "if-none-match" not in origin.seen[0]
    assert (await client.get("/page")).text() == "hello"


async def test_if_modified_since_gets_304(store: AnyStore) -> None:
    origin = Origin(last_modified=formatdate(1_600_000_000, usegmt=True))
    client, _, _ = make(store, origin)
    await client.get("/page")
    later = await client.get("/page").set(
        "if-modified-since", formatdate(1_600_000_100, usegmt=True)
    )
    assert later.status == 304
    earlier = await client.get("/page").set(
        "if-modified-since", formatdate(1_599_999_000, usegmt=True)
    )
    assert (earlier.status, earlier.text()) == (200, "hello")


async def test_purge_forgets_a_path(store: AnyStore) -> None:
    origin = Origin(vary="accept")
    client, cache, _ = make(store, origin)
    await client.get("/page")
    await client.get("/page?q=1")
    await client.get("/page").set("accept", "text/html")
    await client.get("/other")
    assert await cache.purge("/page") == 5  # two Vary pointers, three variants
    for path in ("/page", "/page?q=1"):
        assert (await client.get(path)).headers["x-cache"] == "MISS"
    assert (await client.get("/other")).headers["x-cache"] == "HIT"


async def test_concurrent_misses_run_the_handler_once(store: AnyStore) -> None:
    class Slow(Origin):
        async def __call__(self, req: Request, res: Response) -> None:
            await asyncio.sleep(0.05)
            await super().__call__(req, res)

    origin = Slow()
    client, _, _ = make(store, origin)
    results = await asyncio.gather(*(client.get("/page").execute() for _ in range(10)))
    assert origin.calls == 1
    assert {r.text() for r in results} == {"hello"}
    assert sorted(r.headers["x-cache"] for r in results) == ["HIT"] * 9 + ["MISS"]


async def test_concurrent_misses_of_an_unshareable_response_each_run(store: AnyStore) -> None:
    class Slow(Origin):
        async def __call__(self, req: Request, res: Response) -> None:
            await asyncio.sleep(0.02)
            await super().__call__(req, res)

    origin = Slow(cache_control="no-store")
    client, _, _ = make(store, origin)
    results = await asyncio.gather(*(client.get("/page").execute() for _ in range(4)))
    assert origin.calls == 4
    assert {r.headers["x-cache"] for r in results} == {"MISS"}


async def test_streaming_and_cookies_and_errors_are_not_stored(store: AnyStore) -> None:
    cache = http_cache(store)
    app = hp.harpia()
    app.use(cache)
    calls: list[str] = []

    async def chunks() -> AsyncIterator[bytes]:
        yield b"a"
        yield b"b"

    async def stream(req: Request, res: Response) -> None:
        calls.append("stream")
        res.stream(chunks())

    async def cookie(req: Request, res: Response) -> None:
        calls.append("cookie")
        res.cookies.set("k", "v")
        res.text("x")

    async def broken(req: Request, res: Response) -> None:
        calls.append("broken")
        raise RuntimeError("boom")

    app.get("/stream", stream)
    app.get("/cookie", cookie)
    app.get("/broken", broken)
    client = TestClient(app)
    for _ in range(2):
        assert (await client.get("/stream")).content == b"ab"
        assert (await client.get("/cookie")).text() == "x"
        assert (await client.get("/broken")).status == 500
    assert calls == ["stream", "cookie", "broken"] * 2


async def test_opt_out_per_route_skip_and_per_route_use(store: AnyStore) -> None:
    origin = Origin()
    cache = http_cache(store, exclude=["/admin/:id"], skip=lambda req: "x-fresh" in req.headers)
    app = hp.harpia()
    app.use(cache)
    app.get("/admin/:id", origin)
    app.get("/page", origin)
    client = TestClient(app)
    for _ in range(2):
        assert "x-cache" not in (await client.get("/admin/1")).headers
    await client.get("/page")
    assert "x-cache" not in (await client.get("/page").set("x-fresh", "1")).headers
    assert (await client.get("/page")).headers["x-cache"] == "HIT"
    assert origin.calls == 4

    per_route = hp.harpia()
    other = Origin()
    per_route.get("/cached", http_cache(store, prefix="route:"), other)
    per_route.get("/plain", other)
    route_client = TestClient(per_route)
    for _ in range(2):
        await route_client.get("/cached")
        await route_client.get("/plain")
    assert other.calls == 3


async def test_post_passes_through(store: AnyStore) -> None:
    origin = Origin()
    cache = http_cache(store)
    app = hp.harpia()
    app.use(cache)
    app.post("/page", origin)
    client = TestClient(app)
    for _ in range(2):
        assert "x-cache" not in (await client.post("/page")).headers
    assert origin.calls == 2


async def test_a_second_cache_on_the_same_store_shares_entries(store: AnyStore) -> None:
    origin = Origin()
    first, _, _ = make(store, origin)
    second, _, _ = make(store, origin)  # another process, in production
    await first.get("/page")
    assert (await second.get("/page")).headers["x-cache"] == "HIT"
    assert origin.calls == 1


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="ttl"):
        http_cache(ttl=0)
    with pytest.raises(ValueError, match="min_ttl"):
        http_cache(min_ttl=-1)
    assert "ttl=604800" in repr(http_cache())


async def test_headers_of_earlier_middlewares_are_not_stored(store: AnyStore) -> None:
    origin = Origin()
    count = [0]
    app = hp.harpia()

    def request_id(req: Request, res: Response, next: Any) -> None:
        res.header("x-request-id", str(count[0]))
        count[0] += 1
        next()

    app.use(request_id, http_cache(store))
    app.get("/page", origin)
    client = TestClient(app)
    assert (await client.get("/page")).headers.getall("x-request-id") == ["0"]
    hit = await client.get("/page")
    assert hit.headers["x-cache"] == "HIT"
    assert hit.headers.getall("x-request-id") == ["1"]


@pytest.mark.redis
async def test_an_unreachable_store_serves_from_the_handler_and_recovers(
    redis_factory: Callable[[], RedisServer],
) -> None:
    redis = redis_factory()
    store = RedisStore(redis.url, prefix="hc-down:", connect_timeout=1, timeout=1)
    origin = Origin()
    client, _, _ = make(store, origin)
    try:
        redis.stop()
        for _ in range(2):
            res = await client.get("/page")
            assert (res.status, res.text(), res.headers["x-cache"]) == (200, "hello", "MISS")
        await anyio.to_thread.run_sync(redis.start)
        await client.get("/page")
        assert (await client.get("/page")).headers["x-cache"] == "HIT"
        assert origin.calls == 3
    finally:
        await store.close()


async def test_concurrent_revalidations_run_the_handler_once(store: AnyStore) -> None:
    class Slow(Origin):
        async def __call__(self, req: Request, res: Response) -> None:
            await asyncio.sleep(0.05)
            await super().__call__(req, res)

    origin = Slow(cache_control="max-age=10")
    client, _, clock = make(store, origin)
    origin.honour_etag = (await client.get("/page")).headers["etag"]
    clock.now += 11
    results = await asyncio.gather(*(client.get("/page").execute() for _ in range(6)))
    assert origin.calls == 2
    assert {r.text() for r in results} == {"hello"}
    assert sorted(r.headers["x-cache"] for r in results) == ["HIT"] * 5 + ["REVALIDATED"]


async def test_a_cancelled_leader_lets_the_waiters_run_the_handler(store: AnyStore) -> None:
    class Slow(Origin):
        async def __call__(self, req: Request, res: Response) -> None:
            await asyncio.sleep(0.05)
            await super().__call__(req, res)

    origin = Slow()
    client, _, _ = make(store, origin)
    leader = asyncio.ensure_future(client.get("/page").execute())
    await asyncio.sleep(0.01)
    waiter = asyncio.ensure_future(client.get("/page").execute())
    await asyncio.sleep(0.01)
    leader.cancel()
    res = await waiter
    assert (res.status, res.text(), res.headers["x-cache"]) == (200, "hello", "MISS")
    assert leader.cancelled()
