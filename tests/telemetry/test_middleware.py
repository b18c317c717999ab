"""The harpia middleware: timing, status, errors, visitor IP (proxy headers), UTM, ignore."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest

from harpia import HTTPError, Request, Response, TestClient, harpia
from harpia_store import MemoryStore, RedisStore, StoreError
from harpia_telemetry import Telemetry

from .conftest import TOKEN

if TYPE_CHECKING:
    from collections.abc import Callable

    from harpia import Harpia
    from tests.support.redis_server import RedisServer

PEER = "203.0.113.9"


def build_app(telemetry: Telemetry, **mw: Any) -> Harpia:
    app = harpia()
    app.use(telemetry.middleware(**mw))

    @app.get("/")
    def home(req: Request, res: Response) -> None:
        res.text("home")

    @app.get("/slow")
    async def slow(req: Request, res: Response) -> None:
        await asyncio.sleep(0.05)
        res.text("slow")

    @app.get("/crash")
    def crash(req: Request, res: Response) -> None:
        raise RuntimeError("kaput")

    @app.get("/maintenance")
    def maintenance(req: Request, res: Response) -> None:
        raise HTTPError(503, "down for maintenance")

    @app.get("/forbidden")
    def forbidden(req: Request, res: Response) -> None:
        raise HTTPError(403)

    @app.get("/nothing")
    def nothing(req: Request, res: Response) -> None:
        pass

    @app.post("/books")
    def create(req: Request, res: Response) -> None:
        res.status(201).json({"ok": True})

    return app


async def visits(telemetry: Telemetry, ip: str = PEER) -> list[dict[str, Any]]:
    visitor = await telemetry.get_visitor_by_ip(ip=ip, token=TOKEN)
    result: list[dict[str, Any]] = visitor["visits"]
    return result


async def test_every_request_is_recorded_with_its_status(make: Callable[..., Telemetry]) -> None:
    telemetry = make()
    client = TestClient(build_app(telemetry), client=(PEER, 4000))
    for path in ("/", "/", "/nothing", "/forbidden", "/not-a-route"):
        await client.get(path).execute()
    await client.post("/books").json({}).execute()
    await client.head("/").execute()
    summary = await telemetry.summary(token=TOKEN)
    assert summary["total_requests"] == 7
    assert summary["unique_visitors"] == 1
    assert summary["total_errors"] == 0
    got = [(v["method"], v["path"], v["status"]) for v in await visits(telemetry)]
    assert got == [
        ("GET", "/", 200),
        ("GET", "/", 200),
        ("GET", "/nothing", 204),
        ("GET", "/forbidden", 403),
        ("GET", "/not-a-route", 404),
        ("POST", "/books", 201),
        ("HEAD", "/", 200),
    ]
    assert await telemetry.get_page_views(token=TOKEN) == {
        "/": 3,
        "/books": 1,
        "/forbidden": 1,
        "/not-a-route": 1,
        "/nothing": 1,
    }


async def test_errors_and_exceptions_are_recorded(make: Callable[..., Telemetry]) -> None:
    telemetry = make()
    client = TestClient(build_app(telemetry), client=(PEER, 4000))
    assert (await client.get("/crash").execute()).status == 500
    assert (await client.get("/maintenance").execute()).status == 503
    errors = await telemetry.get_errors(token=TOKEN)
    assert sorted((e["path"], e["error"]["code"], e["error"]["message"]) for e in errors) == [
        ("/crash", 500, "RuntimeError: kaput"),
        ("/maintenance", 503, "down for maintenance"),
    ]
    assert await telemetry.count_errors(token=TOKEN) == 2


async def test_response_time_is_measured(make: Callable[..., Telemetry]) -> None:
    telemetry = make()
    client = TestClient(build_app(telemetry), client=(PEER, 4000))
    await client.get("/slow").execute()
    await client.get("/").execute()
    slow, fast = await visits(telemetry)
    assert 45 <= slow["response_time"] < 2000
    assert 0 <= fast["response_time"] < slow["response_time"]
    assert [r["path"] for r in await telemetry.get_slow_requests(threshold=40, token=TOKEN)] == [
        "/slow"
    ]


@pytest.mark.parametrize(
    ("headers", "trusted", "untrusted"),
    [
        ({"X-Forwarded-For": "198.51.100.4, 10.0.0.1"}, "198.51.100.4", PEER),
        ({"X-Forwarded-For": "garbage, 198.51.100.5"}, "198.51.100.5", PEER),
        ({"CF-Connecting-IP": "2001:db8::7"}, "2001:db8::7", PEER),
        ({"X-Real-IP": "198.51.100.6"}, "198.51.100.6", PEER),
        ({"X-Forwarded-For": "198.51.100.8", "X-Real-IP": "198.51.100.9"}, "198.51.100.8", PEER),
        ({"X-Forwarded-For": "[2001:db8::9]:443"}, "2001:db8::9", PEER),
        ({"X-Forwarded-For": "not-an-ip"}, PEER, PEER),
        ({}, PEER, PEER),
    ],
)
async def test_visitor_ip_uses_proxy_headers_only_when_trusted(
    make: Callable[..., Telemetry], headers: dict[str, str], trusted: str, untrusted: str
) -> None:
    for trust, expected in ((True, trusted), (False, untrusted)):
        telemetry = make(trust_proxy=trust, prefix=f"trust-{trust}:")
        client = TestClient(build_app(telemetry), client=(PEER, 4000))
        await client.get("/").set(headers).execute()
        assert list(await telemetry.get_visitors(token=TOKEN)) == [expected], trust


async def test_utm_parameters_are_the_default_source(make: Callable[..., Telemetry]) -> None:
    telemetry = make()
    client = TestClient(build_app(telemetry), client=(PEER, 4000))
    query = {"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "spring"}
    await client.get("/").query(query).execute()
    await client.get("/").query({"utm_source": "newsletter"}).execute()
    await client.get("/").query({"utm_medium": "email"}).execute()  # no source: not a source
    await client.get("/").query({"page": "2"}).execute()
    assert await telemetry.get_traffic_sources(token=TOKEN) == {"google/cpc": 1, "newsletter": 1}
    first = (await visits(telemetry))[0]
    assert first["source"] == {"utm": {"source": "google", "medium": "cpc", "campaign": "spring"}}
    assert first["path"] == "/"  # the query string is not part of the path


async def test_a_custom_traffic_source(make: Callable[..., Telemetry]) -> None:
    def by_referrer(req: Request) -> dict[str, Any] | None:
        ref = req.headers.get("referer")
        return {"utm": {"source": ref, "medium": "referral"}} if ref else None

    async def constant(req: Request) -> dict[str, Any]:
        return {"utm": {"source": "ads"}}

    for source, expected in ((by_referrer, {"example.org/referral": 1}), (constant, {"ads": 2})):
        telemetry = make(prefix=f"{expected}:")
        client = TestClient(build_app(telemetry, traffic_source=source), client=(PEER, 4000))
        await client.get("/").set("Referer", "example.org").execute()
        await client.get("/").execute()
        assert await telemetry.get_traffic_sources(token=TOKEN) == expected


async def test_a_failing_traffic_source_is_logged_and_ignored(
    make: Callable[..., Telemetry], caplog: pytest.LogCaptureFixture
) -> None:
    def broken(req: Request) -> Any:
        raise KeyError("nope")

    telemetry = make()
    client = TestClient(build_app(telemetry, traffic_source=broken), client=(PEER, 4000))
    assert (await client.get("/").execute()).status == 200
    assert (await telemetry.summary(token=TOKEN))["total_requests"] == 1
    assert await telemetry.get_traffic_sources(token=TOKEN) == {}
    assert "traffic_source failed" in caplog.text


def test_traffic_source_must_be_callable() -> None:
    with pytest.raises(TypeError, match="traffic_source"):
        Telemetry().middleware(traffic_source="utm")  # type: ignore[arg-type]


async def test_ignored_paths_are_served_but_not_recorded(make: Callable[..., Telemetry]) -> None:
    telemetry = make(ignore=["/slow", "/no*"])
    client = TestClient(build_app(telemetry), client=(PEER, 4000))
    for path in ("/slow", "/nothing", "/not-a-route", "/"):
        await client.get(path).execute()
    assert await telemetry.get_page_views(token=TOKEN) == {"/": 1}


async def test_an_ignored_path_without_its_slash_is_ignored(
    make: Callable[..., Telemetry],
) -> None:
    telemetry = make(ignore=["slow"])
    client = TestClient(build_app(telemetry), client=(PEER, 4000))
    for path in ("/slow", "/"):
        assert (await client.get(path).execute()).status == 200
    assert await telemetry.get_page_views(token=TOKEN) == {"/": 1}


async def test_a_failing_store_never_fails_the_request(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(MemoryStore):
        async def incr_field(self, *args: Any, **kwargs: Any) -> int:
            raise StoreError("disk on fire")

    telemetry = Telemetry(Broken())
    client = TestClient(build_app(telemetry), client=(PEER, 4000))
    response = await client.get("/").execute()
    assert (response.status, response.text()) == (200, "home")
    assert "disk on fire" in caplog.text
    assert telemetry.dropped == 1


@pytest.mark.redis
async def test_a_dead_redis_never_fails_the_request(
    redis_factory: Callable[[], RedisServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = redis_factory()
    async with RedisStore(server.url, prefix="dead:", connect_timeout=1, timeout=1) as store:
        telemetry = Telemetry(store)
        client = TestClient(build_app(telemetry), client=(PEER, 4000))
        server.stop()
        for _ in range(3):
            response = await client.get("/").execute()
            assert (response.status, response.text()) == (200, "home")
        assert "is unavailable" in caplog.text
        assert telemetry.dropped == 3


async def test_telemetry_is_reexported_by_harpia() -> None:
    import harpia as framework

    assert framework.Telemetry is Telemetry
    assert "Telemetry" in framework.__all__
