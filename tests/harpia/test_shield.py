"""app.shield(): on every response of the pipeline, with req.nonce set before it runs."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

import harpia
from harpia import HTTPError, Request, Response, TestClient
from harpia_shield import SecurityHeaders, Shield
from tests.shield.test_defaults import DEFAULTS

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


def nonces_in(csp: str | None) -> list[str]:
    assert csp is not None
    return re.findall(r"'nonce-([^']+)'", csp)


def make_app(**options: Any) -> harpia.Harpia:
    app = harpia.harpia()
    app.shield(options)
    app.get("/hello", lambda req, res: res.text("hello"))

    @app.get("/boom")
    def boom(req: Request, res: Response) -> None:
        raise RuntimeError("handler failure")

    @app.get("/denied")
    def denied(req: Request, res: Response) -> None:
        raise HTTPError(403, "no")

    @app.get("/stream")
    async def stream(req: Request, res: Response) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"a"
            yield b"b"

        res.stream(chunks())

    @app.get("/nonce")
    def nonce(req: Request, res: Response) -> dict[str, Any]:
        return {"nonce": req.nonce}

    return app


def assert_defaults(headers: harpia.Headers) -> None:
    for name, value in DEFAULTS:
        assert headers.getall(name) == [value], name


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/hello", 200),
        ("HEAD", "/hello", 200),
        ("GET", "/boom", 500),
        ("GET", "/denied", 403),
        ("GET", "/missing", 404),
        ("POST", "/hello", 405),
        ("GET", "/stream", 200),
    ],
)
async def test_every_kind_of_response_gets_the_headers(
    method: str, path: str, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    res = await TestClient(make_app()).request(method, path).execute()
    assert res.status == status
    assert_defaults(res.headers)


async def test_a_failing_middleware_response_gets_them_too(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app()

    def broken(req: Request, res: Response, next: Any) -> None:
        raise RuntimeError("middleware failure")

    app.use(broken)
    res = await TestClient(app).get("/hello").execute()
    assert res.status == 500
    assert_defaults(res.headers)


async def test_without_shield_nothing_is_added() -> None:
    app = harpia.harpia()
    app.get("/hello", lambda req, res: res.text("hello"))
    res = await TestClient(app).get("/hello").execute()
    assert "content-security-policy" not in res.headers
    assert "x-frame-options" not in res.headers


async def test_req_nonce_is_set_before_middlewares_and_matches_the_header() -> None:
    app = make_app(use_nonce=True)
    seen: list[str | None] = []

    async def spy(req: Request, res: Response, next: Any) -> None:
        seen.append(req.nonce)
        await next()

    app.use(spy)
    client = TestClient(app)
    first = await client.get("/nonce").execute()
    second = await client.get("/nonce").execute()
    assert first.json()["nonce"] == seen[0]
    assert nonces_in(first.headers.get("content-security-policy")) == [seen[0], seen[0]]
    assert nonces_in(second.headers.get("content-security-policy")) == [seen[1], seen[1]]
    assert seen[0] != seen[1]


async def test_error_pages_carry_the_requests_nonce_too(
    caplog: pytest.LogCaptureFixture,
) -> None:
    res = await TestClient(make_app(use_nonce=True)).get("/boom").execute()
    assert len(set(nonces_in(res.headers.get("content-security-policy")))) == 1


async def test_req_nonce_stays_none_without_use_nonce() -> None:
    res = await TestClient(make_app()).get("/nonce").execute()
    assert res.json() == {"nonce": None}


async def test_handler_headers_win_and_x_powered_by_goes() -> None:
    app = make_app()

    @app.get("/own")
    def own(req: Request, res: Response) -> Response:
        return Response("own", headers={"x-frame-options": "DENY", "X-Powered-By": "Express"})

    res = await TestClient(app).get("/own").execute()
    assert res.headers.getall("x-frame-options") == ["DENY"]
    assert "x-powered-by" not in res.headers
    assert res.headers.get("referrer-policy") == "no-referrer"


async def test_through_the_asgi_adapter() -> None:
    app = make_app(use_nonce=True)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/nonce", "raw_path": b"/nonce",
             "query_string": b"", "headers": []}  # fmt: skip
    await app(scope, receive, send)
    headers = harpia.Headers(sent[0]["headers"])
    others = [(n, v) for n, v in DEFAULTS if n != "Content-Security-Policy"]
    for name, value in others:
        assert headers.get(name) == value
    nonce = re.search(rb'"nonce":"([^"]+)"', sent[1]["body"])
    assert nonce is not None
    assert nonces_in(headers.get("content-security-policy")) == [nonce.group(1).decode()] * 2


def test_app_shield_accepts_every_form_and_returns_the_shield() -> None:
    expected = Shield(x_frame_options={"action": "DENY"}).headers()
    app = harpia.harpia()
    for options in (
        SecurityHeaders(x_frame_options={"action": "DENY"}),
        {"x_frame_options": {"action": "DENY"}},
        {"xFrameOptions": {"action": "DENY"}},
        Shield(x_frame_options={"action": "DENY"}),
    ):
        shield = app.shield(options)
        assert isinstance(shield, Shield)
        assert shield.headers() == expected
    assert app.shield(x_frame_options={"action": "DENY"}).headers() == expected
    given = Shield()
    assert app.shield(given) is given
    with pytest.raises(TypeError):
        app.shield(given, use_nonce=True)


async def test_calling_shield_again_replaces_the_configuration() -> None:
    app = make_app()
    app.shield(x_frame_options=False)
    res = await TestClient(app).get("/hello").execute()
    assert "x-frame-options" not in res.headers
    assert res.headers.get("x-content-type-options") == "nosniff"


def test_invalid_options_fail_at_app_shield() -> None:
    app = harpia.harpia()
    with pytest.raises(ValueError, match=r"strict_transport_security\.max_age"):
        app.shield(strict_transport_security={"max_age": -1})
    with pytest.raises(ValueError, match="unknown directive 'scirpt-src'"):
        app.shield({"content_security_policy": {"directives": {"scirpt-src": []}}})


def test_security_headers_is_exported_from_harpia() -> None:
    assert harpia.SecurityHeaders is SecurityHeaders


async def test_many_invented_header_names_do_not_grow_memory_or_hide_overrides() -> None:
    app = harpia.harpia()
    shield = app.shield()

    @app.get("/h/:n")
    def invented(req: Request, res: Response) -> None:
        res.header(f"X-Made-Up-{req.params['n']}", "1").header("Content-Type", "text/plain")
        if req.params["n"] == "last":
            res.header("X-Frame-Options", "DENY").header("x-powered-by", "me")
        res.send("x")

    client = TestClient(app)
    for n in range(400):
        res = await client.get(f"/h/{n}").execute()
        assert res.headers.get("x-frame-options") == "SAMEORIGIN"
    res = await client.get("/h/last").execute()
    assert res.headers.getall("x-frame-options") == ["DENY"]
    assert "x-powered-by" not in res.headers
    assert len(res.headers.getall("content-security-policy")) == 1
    assert app._shield is not None
    assert len(app._shield.clear) <= 256
    assert app._shield.shield is shield


async def test_a_body_over_the_limit_gets_a_413_with_the_headers() -> None:
    app = make_app()
    app.max_request_body_size = 10

    @app.post("/upload")
    async def upload(req: Request, res: Response) -> None:
        res.send(await req.body())

    res = await TestClient(app).post("/upload").send(b"x" * 100).execute()
    assert res.status == 413
    assert_defaults(res.headers)
