"""One behavioural suite for the shield, run through both ways of using it.

- ``harpia``: ``app.shield(options)`` on a harpia app, driven by its ``TestClient``;
- ``starlette``: ``ShieldMiddleware`` in a Starlette app, driven as a bare ASGI app.

Every test gets a ``serve(options)`` factory and asks it for the same three routes:
``/page`` (HTML showing the request's nonce), ``/own`` (a route that sets its own
``X-Frame-Options``, ``Content-Security-Policy`` and ``X-Powered-By``) and an unknown path.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Route

from harpia import Headers, Request, Response, TestClient, harpia
from harpia_shield import ShieldMiddleware
from tests.shield.test_defaults import DEFAULTS

if TYPE_CHECKING:
    from starlette.requests import Request as StarletteRequest


@dataclass
class Reply:
    status: int
    headers: Headers
    body: str

    def body_nonce(self) -> str:
        match = re.search(r'<p id="nonce">([^<]*)</p>', self.body)
        assert match is not None, self.body
        return match.group(1)

    def csp_nonces(self, name: str = "content-security-policy") -> list[str]:
        return re.findall(r"'nonce-([^']+)'", self.headers.get(name, ""))


Get = Callable[[str], Awaitable[Reply]]
Serve = Callable[[dict[str, Any]], Get]

PAGE = '<!doctype html><p id="nonce">{}</p>'
OWN_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'",
    "X-Powered-By": "PHP/8",
}


def serve_harpia(options: dict[str, Any]) -> Get:
    app = harpia()
    app.shield(options)

    @app.get("/page")
    def page(req: Request, res: Response) -> None:
        res.html(PAGE.format(req.nonce or ""))

    @app.get("/own")
    def own(req: Request, res: Response) -> None:
        for name, value in OWN_HEADERS.items():
            res.header(name, value)
        res.text("own")

    client = TestClient(app)

    async def get(path: str) -> Reply:
        res = await client.get(path).execute()
        return Reply(res.status, res.headers, res.text())

    return get


def serve_starlette(options: dict[str, Any]) -> Get:
    async def page(request: StarletteRequest) -> HTMLResponse:
        return HTMLResponse(PAGE.format(getattr(request.state, "nonce", None) or ""))

    async def own(request: StarletteRequest) -> PlainTextResponse:
        return PlainTextResponse("own", headers=OWN_HEADERS)

    app = Starlette(routes=[Route("/page", page), Route("/own", own)])
    app.add_middleware(ShieldMiddleware, shield=options)

    async def get(path: str) -> Reply:
        return await call_asgi(app, path)

    return get


async def call_asgi(app: Any, path: str) -> Reply:
    """One GET through an ASGI app, collecting the response messages."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.disconnect"}

    messages: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(scope, receive, send)
    start = messages[0]
    assert start["type"] == "http.response.start"
    body = b"".join(m.get("body", b"") for m in messages[1:])
    return Reply(start["status"], Headers(list(start["headers"])), body.decode())


@pytest.fixture(params=["harpia", "starlette"])
def serve(request: pytest.FixtureRequest) -> Serve:
    return serve_harpia if request.param == "harpia" else serve_starlette


async def test_every_default_header_is_sent_with_its_value(serve: Serve) -> None:
    reply = await serve({})("/page")
    assert reply.status == 200
    for name, value in DEFAULTS:
        assert reply.headers.getall(name) == [value], name
    assert "x-powered-by" not in reply.headers
    assert "cross-origin-embedder-policy" not in reply.headers


async def test_error_responses_get_the_headers_too(serve: Serve) -> None:
    reply = await serve({})("/nowhere")
    assert reply.status == 404
    for name, value in DEFAULTS:
        assert reply.headers.get(name) == value, name


async def test_a_routes_own_headers_win_and_x_powered_by_is_removed(serve: Serve) -> None:
    reply = await serve({})("/own")
    assert reply.headers.getall("x-frame-options") == ["DENY"]
    assert reply.headers.getall("content-security-policy") == ["default-src 'none'"]
    assert "x-powered-by" not in reply.headers
    assert reply.headers.get("x-content-type-options") == "nosniff"


async def test_x_powered_by_true_leaves_the_routes_header(serve: Serve) -> None:
    reply = await serve({"x_powered_by": True})("/own")
    assert reply.headers.get("x-powered-by") == "PHP/8"


@pytest.mark.parametrize(
    ("options", "name", "value"),
    [
        ({"x_frame_options": {"action": "DENY"}}, "x-frame-options", "DENY"),
        ({"x_frame_options": False}, "x-frame-options", None),
        ({"content_security_policy": False}, "content-security-policy", None),
        ({"strict_transport_security": {"max_age": 63072000, "preload": True}},
         "strict-transport-security", "max-age=63072000; includeSubDomains; preload"),
        ({"referrer_policy": {"policy": ["no-referrer", "strict-origin-when-cross-origin"]}},
         "referrer-policy", "no-referrer, strict-origin-when-cross-origin"),
        ({"cross_origin_embedder_policy": True}, "cross-origin-embedder-policy", "require-corp"),
        ({"permissions_policy": {"camera": []}}, "permissions-policy", "camera=()"),
        ({"contentSecurityPolicy": {"directives": {"img-src": ["*"]}}},
         "content-security-policy", DEFAULTS[0][1].replace("img-src 'self' data:", "img-src *")),
    ],
)  # fmt: skip
async def test_overrides_and_disables_reach_the_response(
    serve: Serve, options: dict[str, Any], name: str, value: str | None
) -> None:
    reply = await serve(options)("/page")
    assert reply.headers.get(name) == value


async def test_nonce_in_header_equals_the_one_the_page_got(serve: Serve) -> None:
    reply = await serve({"use_nonce": True})("/page")
    nonce = reply.body_nonce()
    assert len(nonce) == 24
    assert reply.csp_nonces() == [nonce, nonce]  # script-src and style-src
    csp = reply.headers["content-security-policy"]
    assert f"script-src 'self' 'nonce-{nonce}'" in csp
    assert f"style-src 'self' 'nonce-{nonce}'" in csp


async def test_each_request_gets_a_different_nonce(serve: Serve) -> None:
    get = serve({"use_nonce": True})
    nonces = [(await get("/page")).body_nonce() for _ in range(20)]
    assert len(set(nonces)) == 20


async def test_without_use_nonce_there_is_no_nonce(serve: Serve) -> None:
    reply = await serve({})("/page")
    assert reply.body_nonce() == ""
    assert reply.csp_nonces() == []


async def test_report_only_policy_carries_the_nonce(serve: Serve) -> None:
    reply = await serve(
        {"use_nonce": True, "content_security_policy": {"report_only": True, "report_to": "g"}}
    )("/page")
    assert "content-security-policy" not in reply.headers
    nonce = reply.body_nonce()
    assert reply.csp_nonces("content-security-policy-report-only") == [nonce, nonce]
    assert reply.headers["content-security-policy-report-only"].endswith("; report-to g")
