"""TelemetryMiddleware: any ASGI app, errors, proxy headers, UTM and the dashboard."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest

from harpia import harpia
from harpia_telemetry import Telemetry, TelemetryMiddleware

from .conftest import TOKEN

if TYPE_CHECKING:
    from collections.abc import Callable, MutableMapping

PEER = "198.51.100.20"


async def bare_app(scope: Any, receive: Any, send: Any) -> None:
    """A hand-written ASGI app: the status is the path's last segment when it is a number."""
    if scope["type"] == "lifespan":
        message = await receive()
        await send({"type": f"{message['type']}.complete"})
        return
    last = scope["path"].rsplit("/", 1)[-1]
    if last == "raise":
        raise ValueError("broken handler")
    if last == "sleep":
        await asyncio.sleep(0.03)
    status = int(last) if last.isdigit() else 200
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def call(
    app: Any,
    path: str,
    *,
    query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    method: str = "GET",
) -> tuple[int, dict[bytes, bytes], bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": headers or [],
        "client": (PEER, 5555),
        "server": ("127.0.0.1", 8000),
    }
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), body


async def test_records_a_bare_asgi_app(make: Callable[..., Telemetry]) -> None:
    telemetry = make()
    app = TelemetryMiddleware(bare_app, telemetry=telemetry)
    for path in ("/", "/a/404", "/b/503", "/sleep"):
        await call(app, path)
    with pytest.raises(ValueError, match="broken handler"):
        await call(app, "/c/raise")
    summary = await telemetry.summary(token=TOKEN)
    assert summary["total_requests"] == 5
    assert summary["total_errors"] == 2
    visits = (await telemetry.get_visitor_by_ip(ip=PEER, token=TOKEN))["visits"]
    assert [(v["path"], v["status"]) for v in visits] == [
        ("/", 200),
        ("/a/404", 404),
        ("/b/503", 503),
        ("/sleep", 200),
        ("/c/raise", 500),
    ]
    assert visits[3]["response_time"] >= 25
    errors = {e["path"]: e["error"] for e in await telemetry.get_errors(token=TOKEN)}
    assert errors == {
        "/b/503": {"code": 503, "message": "Service Unavailable"},
        "/c/raise": {"code": 500, "message": "ValueError: broken handler"},
    }


async def test_wraps_a_harpia_app_too(make: Callable[..., Telemetry]) -> None:
    telemetry = make()
    inner = harpia()
    inner.get("/hello", lambda req, res: res.text("hi"))
    app = telemetry.asgi(inner)
    status, _, body = await call(app, "/hello", query=b"utm_source=bing&utm_medium=cpc")
    assert (status, body) == (200, b"hi")
    assert await telemetry.get_traffic_sources(token=TOKEN) == {"bing/cpc": 1}


async def test_proxy_headers_only_when_trusted(make: Callable[..., Telemetry]) -> None:
    forwarded = [(b"X-Forwarded-For", b"203.0.113.50")]
    for trust, expected in ((True, "203.0.113.50"), (False, PEER)):
        telemetry = make(trust_proxy=trust, prefix=f"asgi-{trust}:")
        await call(TelemetryMiddleware(bare_app, telemetry=telemetry), "/", headers=forwarded)
        assert list(await telemetry.get_visitors(token=TOKEN)) == [expected]


async def test_custom_source_gets_the_scope(make: Callable[..., Telemetry]) -> None:
    telemetry = make()

    async def from_header(scope: Any) -> dict[str, Any] | None:
        for name, value in scope["headers"]:
            if name == b"x-campaign":
                return {"utm": {"source": value.decode()}}
        return None

    app = TelemetryMiddleware(bare_app, telemetry=telemetry, traffic_source=from_header)
    await call(app, "/", headers=[(b"x-campaign", b"partner")])
    await call(app, "/")
    assert await telemetry.get_traffic_sources(token=TOKEN) == {"partner": 1}


async def test_other_scopes_and_ignored_paths_pass_through(make: Callable[..., Telemetry]) -> None:
    telemetry = make(ignore=["/health"])
    app = TelemetryMiddleware(bare_app, telemetry=telemetry)
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: Any) -> None:
        sent.append(message)

    await app({"type": "lifespan"}, receive, send)
    assert sent == [{"type": "lifespan.startup.complete"}]
    assert (await call(app, "/health"))[0] == 200
    assert (await telemetry.summary(token=TOKEN))["total_requests"] == 0


async def test_an_ignored_path_without_its_slash_is_ignored(
    make: Callable[..., Telemetry],
) -> None:
    telemetry = make(ignore=["healthcheck"])
    app = TelemetryMiddleware(bare_app, telemetry=telemetry)
    assert (await call(app, "/healthcheck"))[0] == 200
    assert (await call(app, "/other"))[0] == 200
    assert await telemetry.get_page_views(token=TOKEN) == {"/other": 1}


async def test_serves_the_dashboard(make: Callable[..., Telemetry]) -> None:
    telemetry = make()
    app = TelemetryMiddleware(bare_app, telemetry=telemetry, dashboard="/stats")
    await call(app, "/")
    status, headers, _ = await call(app, "/stats")
    assert status == 401
    assert headers[b"www-authenticate"] == b'Bearer realm="telemetry"'
    status, headers, body = await call(app, "/stats", query=f"token={TOKEN}".encode())
    assert status == 200
    assert headers[b"content-type"] == b"text/html; charset=utf-8"
    assert int(headers[b"content-length"]) == len(body)
    assert b"<b>1</b><span>requests</span>" in body
    auth = [(b"authorization", f"Bearer {TOKEN}".encode())]
    status, _, body = await call(app, "/stats/api/pages", headers=auth)
    assert (status, body) == (200, b'[{"path":"/","views":1}]')
    status, _, body = await call(app, "/stats", method="HEAD", query=f"token={TOKEN}".encode())
    assert (status, body) == (200, b"")
    assert (await telemetry.summary(token=TOKEN))["total_requests"] == 1


def test_arguments_are_checked() -> None:
    telemetry = Telemetry()
    with pytest.raises(TypeError, match="app"):
        TelemetryMiddleware("app", telemetry=telemetry)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="traffic_source"):
        TelemetryMiddleware(bare_app, telemetry=telemetry, traffic_source=1)  # type: ignore[arg-type]
