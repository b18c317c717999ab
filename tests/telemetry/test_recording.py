"""Recording: arguments, errors, ignore, the IP and path caps, bounds, expiry, failures."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest

from harpia_store import MemoryStore, RedisStore, adapt
from harpia_telemetry import Telemetry

from .conftest import TOKEN
from .scenario import D1, D2, at

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.support.redis_server import RedisServer


async def rec(telemetry: Telemetry, ip: str = "10.0.0.1", path: str = "/", **kw: Any) -> bool:
    kw.setdefault("timestamp", at(D1, "12:00:00"))
    return await telemetry.record(ip=ip, path=path, **kw)


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("ip", 42, TypeError),
        ("ip", "not an address!", ValueError),
        ("path", "no-slash", ValueError),
        ("path", b"/", TypeError),
        ("method", None, TypeError),
        ("status", "200", TypeError),
        ("status", 700, ValueError),
        ("status", True, TypeError),
        ("response_time_ms", -1, ValueError),
        ("response_time_ms", float("nan"), ValueError),
        ("response_time_ms", "5", TypeError),
        ("error", "boom", TypeError),
        ("error", {"code": "500", "message": "x"}, TypeError),
        ("error", {"code": 500, "message": 3}, TypeError),
        ("source", "google", TypeError),
        ("source", {"utm": {"source": 3}}, TypeError),
        ("timestamp", "2024-03-01", TypeError),
        ("timestamp", datetime(2024, 3, 1, 12), ValueError),  # naive
    ],
)
async def test_bad_arguments_name_the_culprit(
    make: Callable[..., Telemetry], field: str, value: object, error: type[Exception]
) -> None:
    telemetry = make()
    args: dict[str, Any] = {"ip": "10.0.0.1", "path": "/", "timestamp": at(D1, "12:00:00")}
    args[field] = value
    culprit = "path" if field == "path" else field.split("_")[0]
    with pytest.raises(error, match=culprit):
        await telemetry.record(**args)
    assert (await telemetry.summary(date=D1, token=TOKEN))["total_requests"] == 0


async def test_status_500_without_an_error_is_an_error(make: Callable[..., Telemetry]) -> None:
    telemetry = make()
    await rec(telemetry, status=502)
    await rec(telemetry, status=404)  # a client error is not an error of the app
    await rec(telemetry, status=200, error={"code": 422, "message": "explicit"})
    errors = await telemetry.get_errors(date=D1, token=TOKEN)
    assert [e["error"] for e in errors] == [
        {"code": 502, "message": "Bad Gateway"},
        {"code": 422, "message": "explicit"},
    ] or [e["error"] for e in errors] == [
        {"code": 422, "message": "explicit"},
        {"code": 502, "message": "Bad Gateway"},
    ]
    assert await telemetry.count_errors(date=D1, token=TOKEN) == 2


async def test_the_utc_day_of_the_timestamp_is_the_day(make: Callable[..., Telemetry]) -> None:
    telemetry = make()
    new_york = timezone(timedelta(hours=-5))
    await rec(telemetry, timestamp=datetime(2024, 3, 1, 21, 30, tzinfo=new_york))
    visitor = await telemetry.get_visitor_by_ip(ip="10.0.0.1", date=D2, token=TOKEN)
    assert visitor["visits"][0]["timestamp"] == "2024-03-02T02:30:00.000Z"
    assert await telemetry.count_unique_visitors(date=D1, token=TOKEN) == 0


async def test_default_timestamp_is_now(make: Callable[..., Telemetry]) -> None:
    telemetry = make()
    await telemetry.record(ip="10.0.0.1", path="/")
    today = datetime.now(UTC).date().isoformat()
    assert (await telemetry.summary(token=TOKEN))["total_requests"] == 1
    assert (await telemetry.summary(date=today, token=TOKEN))["date"] == today


async def test_ignored_paths_are_not_recorded(make: Callable[..., Telemetry]) -> None:
    telemetry = make(ignore=["/favicon.ico", "/static/*"])
    assert not await rec(telemetry, path="/favicon.ico")
    assert not await rec(telemetry, path="/static/app.css")
    assert await rec(telemetry, path="/favicon.ico.bak")
    assert await rec(telemetry, path="/staticfile")
    views = await telemetry.get_page_views(date=D1, token=TOKEN)
    assert views == {"/favicon.ico.bak": 1, "/staticfile": 1}
    telemetry.ignore("/staticfile")
    assert not await rec(telemetry, path="/staticfile")


async def test_ignored_paths_get_a_leading_slash(make: Callable[..., Telemetry]) -> None:
    """As the original: ``ignore=["healthcheck"]`` ignores ``/healthcheck``."""
    telemetry = make(ignore=["healthcheck", "assets/*"])
    assert not await rec(telemetry, path="/healthcheck")
    assert not await rec(telemetry, path="/assets/app.js")
    assert await rec(telemetry, path="/healthcheck/deep")
    assert await rec(telemetry, path="/assetsy")
    telemetry.ignore("metrics")
    assert not await rec(telemetry, path="/metrics")
    views = await telemetry.get_page_views(date=D1, token=TOKEN)
    assert views == {"/healthcheck/deep": 1, "/assetsy": 1}


async def test_long_texts_are_cut(make: Callable[..., Telemetry]) -> None:
    telemetry = make()
    await rec(telemetry, path="/" + "a" * 5000, error={"code": 500, "message": "m" * 5000})
    (error,) = await telemetry.get_errors(date=D1, token=TOKEN)
    assert len(error["path"]) == 1024
    assert len(error["error"]["message"]) == 500


async def test_ip_cap_keeps_counting_totals(make: Callable[..., Telemetry]) -> None:
    telemetry = make(max_visitors_keys=2)
    for ip in ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.3", "10.0.0.1", "10.0.0.4"):
        await rec(telemetry, ip=ip)
    summary = await telemetry.summary(date=D1, token=TOKEN)
    assert summary["total_requests"] == 6
    assert summary["unique_visitors"] == 2
    assert summary["untracked_requests"] == 3
    assert sorted(await telemetry.get_visitors(date=D1, token=TOKEN)) == ["10.0.0.1", "10.0.0.2"]
    assert (await telemetry.get_visitor_by_ip(ip="10.0.0.1", date=D1, token=TOKEN))[
        "total_requests"
    ] == 2
    beyond = await telemetry.get_visitor_by_ip(ip="10.0.0.3", date=D1, token=TOKEN)
    assert beyond == {"total_requests": 0, "visits": []}
    # nothing is kept under the addresses past the cap
    keys = await telemetry.store.keys("telemetry:")
    assert not [key for key in keys if key.endswith(("10.0.0.3", "10.0.0.4"))]
    # a new day has its own cap
    await rec(telemetry, ip="10.0.0.3", timestamp=at(D2, "00:00:01"))
    assert await telemetry.count_unique_visitors(date=D2, token=TOKEN) == 1


async def test_ip_cap_is_exact_under_concurrency(make: Callable[..., Telemetry]) -> None:
    telemetry = make(max_visitors_keys=5)

    async def visitor(n: int) -> None:
        for _ in range(3):
            await rec(telemetry, ip=f"10.1.0.{n}")

    await asyncio.gather(*(visitor(n) for n in range(30)))
    summary = await telemetry.summary(date=D1, token=TOKEN)
    assert summary["total_requests"] == 90
    assert summary["unique_visitors"] == 5
    visitors = await telemetry.get_visitors(date=D1, token=TOKEN)
    assert len(visitors) == 5
    tracked = sum(v["total_requests"] for v in visitors.values())
    assert tracked == 15
    assert summary["untracked_requests"] == 75


async def test_concurrent_records_are_all_counted(make: Callable[..., Telemetry]) -> None:
    telemetry = make()
    await asyncio.gather(
        *(rec(telemetry, ip=f"10.2.0.{n % 7}", path=f"/p{n % 3}") for n in range(600))
    )
    summary = await telemetry.summary(date=D1, token=TOKEN)
    assert summary["total_requests"] == 600
    assert summary["unique_visitors"] == 7
    assert await telemetry.get_page_views(date=D1, token=TOKEN) == {
        "/p0": 200,
        "/p1": 200,
        "/p2": 200,
    }


async def test_visits_kept_per_ip_are_bounded(make: Callable[..., Telemetry]) -> None:
    telemetry = make(max_visits_per_ip=3)
    for n in range(5):
        await rec(telemetry, path=f"/{n}", status=500)
    visitor = await telemetry.get_visitor_by_ip(ip="10.0.0.1", date=D1, token=TOKEN)
    assert visitor["total_requests"] == 5
    assert [v["path"] for v in visitor["visits"]] == ["/2", "/3", "/4"]
    assert len(await telemetry.get_errors(date=D1, token=TOKEN)) == 3
    assert await telemetry.count_errors(date=D1, token=TOKEN) == 5  # the count stays exact


async def test_paths_past_the_cap_count_as_other(make: Callable[..., Telemetry]) -> None:
    telemetry = make(max_paths=2)
    for path in ("/a", "/b", "/c", "/a", "/d"):
        await rec(telemetry, path=path)
    assert await telemetry.get_page_views(date=D1, token=TOKEN) == {
        "(other)": 2,
        "/a": 2,
        "/b": 1,
    }
    visits = (await telemetry.get_visitor_by_ip(ip="10.0.0.1", date=D1, token=TOKEN))["visits"]
    assert [v["path"] for v in visits] == ["/a", "/b", "/c", "/a", "/d"]
    # another process (a second Telemetry on the same store) honours the same cap
    other = make(max_paths=2)
    await rec(other, path="/e")
    await rec(other, path="/b")
    views = await other.get_page_views(date=D1, token=TOKEN)
    assert views == {"(other)": 3, "/a": 2, "/b": 2}


@pytest.mark.redis
async def test_retention_sets_an_expiry_on_every_key(redis_server: RedisServer) -> None:
    async with RedisStore(redis_server.url, prefix="retention:") as store:
        telemetry = Telemetry(store, retention_days=2)
        await rec(telemetry, status=500, source={"utm": {"source": "x"}})
        keys = await store.keys("telemetry:")
        assert len(keys) == 9  # 6 per day + hits, visits, errors of the visitor
        for key in keys:
            ttl_ms = await store.client.pttl(store.prefix + key)
            assert 2 * 86400_000 - 60_000 < ttl_ms <= 2 * 86400_000, key
        await store.clear()


def test_store_capabilities_are_checked() -> None:
    class Plain:
        def get(self, key: str) -> Any:
            return None

        def set(self, key: str, value: Any) -> None:
            pass

    with pytest.raises(TypeError, match="SupportsCounters"):
        Telemetry(adapt(Plain()))


@pytest.mark.parametrize(
    ("options", "error", "culprit"),
    [
        ({"max_visitors_keys": 0}, ValueError, "max_visitors_keys"),
        ({"max_visitors_keys": "5"}, TypeError, "max_visitors_keys"),
        ({"max_paths": 0}, ValueError, "max_paths"),
        ({"max_visits_per_ip": 0}, ValueError, "max_visits_per_ip"),
        ({"retention_days": 0}, ValueError, "retention_days"),
        ({"access_token": ""}, ValueError, "access_token"),
        ({"access_token": 123}, TypeError, "access_token"),
        ({"allowed_ips": "10.0.0.1"}, TypeError, "allowed_ips"),
        ({"allowed_ips": ["10.0.0.300"]}, ValueError, "allowed_ips"),
        ({"ignore": "/favicon.ico"}, TypeError, "ignore"),
        ({"ignore": [1]}, TypeError, "ignore"),
        ({"prefix": ""}, ValueError, "prefix"),
        ({"trust_proxy": "yes"}, TypeError, "trust_proxy"),
        ({"retry_after": -1}, ValueError, "retry_after"),
    ],
)
def test_bad_options_name_the_culprit(
    options: dict[str, Any], error: type[Exception], culprit: str
) -> None:
    with pytest.raises(error, match=culprit):
        Telemetry(**options)


def test_default_store_is_a_memory_store_sized_for_days() -> None:
    telemetry = Telemetry(max_visitors_keys=100)
    assert isinstance(telemetry.store, MemoryStore)
    assert telemetry.store.limit == (8 + 3 * 100) * 3
    week = Telemetry(max_visitors_keys=100, retention_days=7).store
    assert isinstance(week, MemoryStore)
    assert week.limit == (8 + 3 * 100) * 7


@pytest.mark.redis
async def test_a_dead_redis_is_logged_and_never_raised(
    redis_factory: Callable[[], RedisServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = redis_factory()
    store = RedisStore(server.url, prefix="dead:", connect_timeout=1, timeout=1)
    telemetry = Telemetry(store, retry_after=0.2)
    assert await rec(telemetry)
    server.stop()
    caplog.set_level(logging.ERROR, logger="harpia.telemetry")
    assert not await rec(telemetry)  # refused: logged, not raised
    assert not await rec(telemetry)  # paused: skipped without a round trip or a log line
    assert telemetry.dropped == 2
    failures = [r for r in caplog.records if r.name == "harpia.telemetry"]
    assert len(failures) == 1
    assert "recording failed" in failures[0].getMessage()
    assert server.url.split("//")[1].split("/")[0] in failures[0].getMessage()
    server.start()
    await asyncio.sleep(0.25)
    assert await rec(telemetry)  # recovered by itself
    await store.close()


def test_a_memory_store_too_small_for_a_day_is_warned_about(
    caplog: pytest.LogCaptureFixture,
) -> None:
    Telemetry(MemoryStore(limit=5000))
    assert "MemoryStore(limit=5000) can hold less than one day" in caplog.text
    caplog.clear()
    Telemetry(MemoryStore(limit=5000), max_visitors_keys=100)
    Telemetry()
    assert caplog.text == ""
