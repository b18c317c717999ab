"""CORS: the behaviours of the Express ``cors`` package's tests, path scopes, errors.

Each test builds a small app and drives it with the in-process ``TestClient`` (the same
pipeline as the servers; ``server/test_web_live.py`` repeats the essentials on sockets).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

import harpia as hp
from harpia import HTTPError, Request, Response, TestClient

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from harpia import CorsOptions, TestResponse

    Next = Callable[[], Awaitable[None]]

ORIGIN = "https://example.com"


def make_app(options: CorsOptions | dict[str, Any] | None = None, **kw: Any) -> hp.Harpia:
    app = hp.harpia()
    if options is not None or kw:
        app.cors(options, **kw)
    else:
        app.cors()
    app.get("/", lambda req, res: res.text("hello"))
    app.post("/", lambda req, res: res.text("posted"))

    @app.options("/handled")
    def handled(req: Request, res: Response) -> None:
        res.status(200).text("options handler")

    return app


async def preflight(
    client: TestClient,
    path: str = "/",
    origin: str | None = ORIGIN,
    method: str = "PUT",
    headers: str | None = None,
) -> TestResponse:
    builder = client.options(path).set("Access-Control-Request-Method", method)
    if origin is not None:
        builder.set("Origin", origin)
    if headers is not None:
        builder.set("Access-Control-Request-Headers", headers)
    return await builder


def cors_headers(res: TestResponse) -> dict[str, str]:
    return {k: v for k, v in res.headers.items() if k.startswith("access-control-")}


def vary(res: TestResponse) -> list[str]:
    return [t.strip() for v in res.headers.getall("vary") for t in v.split(",") if t.strip()]


# -- passing through and short-circuiting ----------------------------------------------


async def test_passes_control_to_the_handler() -> None:
    res = await TestClient(make_app()).get("/").set("Origin", ORIGIN)
    assert (res.status, res.text()) == (200, "hello")
    assert res.headers["access-control-allow-origin"] == "*"


async def test_shortcircuits_preflight_with_204_and_no_body() -> None:
    calls: list[str] = []
    app = make_app()

    @app.options("/")
    def never(req: Request, res: Response) -> None:
        calls.append("options route")

    res = await preflight(TestClient(app))
    assert (res.status, res.content) == (204, b"")
    assert calls == []
    assert res.headers["access-control-allow-methods"] == "GET,HEAD,PUT,PATCH,POST,DELETE"


async def test_preflight_is_answered_for_paths_without_any_route() -> None:
    res = await preflight(TestClient(make_app()), "/nowhere/at/all")
    assert res.status == 204
    assert res.headers["access-control-allow-origin"] == "*"


async def test_preflight_skips_middleware() -> None:
    app = make_app()

    async def auth(req: Request, res: Response, next: Next) -> None:
        raise HTTPError(401)

    app.use(auth)
    res = await preflight(TestClient(app))
    assert res.status == 204
    actual = await TestClient(app).get("/").set("Origin", ORIGIN)
    assert actual.status == 401
    assert actual.headers["access-control-allow-origin"] == "*"


async def test_options_success_status() -> None:
    res = await preflight(TestClient(make_app(options_success_status=200)))
    assert (res.status, res.content) == (200, b"")
    assert res.headers["content-length"] == "0"
    assert res.headers["access-control-allow-origin"] == "*"


async def test_preflight_continue_passes_to_the_route() -> None:
    client = TestClient(make_app(preflight_continue=True, max_age=10))
    res = await preflight(client, "/handled")
    assert (res.status, res.text()) == (200, "options handler")
    assert res.headers["access-control-allow-origin"] == "*"
    assert res.headers["access-control-allow-methods"] == "GET,HEAD,PUT,PATCH,POST,DELETE"
    assert res.headers["access-control-max-age"] == "10"
    unrouted = await preflight(client, "/")
    assert unrouted.status == 405  # no OPTIONS route: the app's answer, with CORS headers
    assert unrouted.headers["access-control-allow-origin"] == "*"


async def test_plain_options_is_not_a_preflight() -> None:
    client = TestClient(make_app())
    res = await client.options("/handled").set("Origin", ORIGIN)  # no Request-Method
    assert (res.status, res.text()) == (200, "options handler")
    no_origin = await client.options("/handled").set("Access-Control-Request-Method", "PUT")
    assert no_origin.text() == "options handler"


async def test_options_are_not_altered() -> None:
    options: dict[str, Any] = {"origin": [ORIGIN], "methods": ["get"], "max_age": 5}
    snapshot = {k: list(v) if isinstance(v, list) else v for k, v in options.items()}
    make_app(options)
    assert options == snapshot


# -- origin -------------------------------------------------------------------------


async def test_default_allows_all_origins_without_vary() -> None:
    client = TestClient(make_app())
    for origin in (ORIGIN, None):
        builder = client.get("/")
        if origin:
            builder.set("Origin", origin)
        res = await builder
        assert res.headers["access-control-allow-origin"] == "*"
        assert "Origin" not in vary(res)
        assert "access-control-allow-credentials" not in res.headers


async def test_true_reflects_the_request_origin() -> None:
    client = TestClient(make_app(origin=True))
    res = await client.get("/").set("Origin", "http://other.test:8080")
    assert res.headers["access-control-allow-origin"] == "http://other.test:8080"
    assert vary(res) == ["Origin"]
    bare = await client.get("/")
    assert "access-control-allow-origin" not in bare.headers
    assert vary(bare) == ["Origin"]


async def test_false_disables_cors() -> None:
    client = TestClient(make_app(origin=False))
    res = await client.get("/").set("Origin", ORIGIN)
    assert cors_headers(res) == {}
    assert "vary" not in res.headers
    pre = await preflight(client, "/handled")
    assert pre.text() == "options handler"  # not answered: routed like any request


async def test_string_origin_allows_only_itself() -> None:
    client = TestClient(make_app(origin=ORIGIN))
    res = await client.get("/").set("Origin", ORIGIN)
    assert res.headers["access-control-allow-origin"] == ORIGIN
    assert vary(res) == ["Origin"]
    upper = await client.get("/").set("Origin", "HTTPS://EXAMPLE.COM")  # hosts ignore case
    assert upper.headers["access-control-allow-origin"] == "HTTPS://EXAMPLE.COM"
    other = await client.get("/").set("Origin", "https://evil.test")
    assert (other.status, other.text()) == (200, "hello")  # not blocked
    assert cors_headers(other) == {}
    assert vary(other) == ["Origin"]


async def test_disallowed_origin_preflight_has_no_cors_headers() -> None:
    res = await preflight(
        TestClient(make_app(origin=ORIGIN, credentials=True, max_age=60)),
        origin="https://evil.test",
    )
    assert res.status == 204
    assert cors_headers(res) == {}
    assert "Origin" in vary(res)


async def test_regex_origin() -> None:
    client = TestClient(make_app(origin=re.compile(r"^https://[a-z]+\.example\.com$")))
    ok = await client.get("/").set("Origin", "https://api.example.com")
    assert ok.headers["access-control-allow-origin"] == "https://api.example.com"
    for bad in (
        "https://example.com.evil.test",
        "http://api.example.com",
        "https://a.b.example.com",
    ):
        res = await client.get("/").set("Origin", bad)
        assert "access-control-allow-origin" not in res.headers, bad
        assert vary(res) == ["Origin"]


async def test_list_of_strings_and_regexes() -> None:
    options: CorsOptions = {"origin": ["https://a.test", re.compile(r"\.b\.test$")]}
    client = TestClient(make_app(options))
    for origin, allowed in [
        ("https://a.test", True),
        ("https://x.b.test", True),
        ("https://c.test", False),
        ("https://a.test.evil", False),
    ]:
        res = await client.get("/").set("Origin", origin)
        got = res.headers.get("access-control-allow-origin")
        assert got == (origin if allowed else None), origin
        assert vary(res) == ["Origin"]


async def test_empty_list_allows_nobody() -> None:
    res = await TestClient(make_app(origin=[])).get("/").set("Origin", ORIGIN)
    assert cors_headers(res) == {}


async def test_vary_is_appended_to_an_existing_one() -> None:
    app = hp.harpia()
    app.cors(origin=ORIGIN)
    app.get("/", lambda req, res: res.header("Vary", "Accept-Encoding").text("x"))
    app.get("/star", lambda req, res: res.header("Vary", "*").text("x"))
    app.get("/again", lambda req, res: res.header("Vary", "origin").text("x"))
    client = TestClient(app)
    res = await client.get("/").set("Origin", ORIGIN)
    assert vary(res) == ["Accept-Encoding", "Origin"]
    assert vary(await client.get("/star").set("Origin", ORIGIN)) == ["*"]
    assert vary(await client.get("/again").set("Origin", ORIGIN)) == ["origin"]


# -- credentials ----------------------------------------------------------------------


async def test_credentials_only_when_enabled() -> None:
    res = await TestClient(make_app(origin=ORIGIN)).get("/").set("Origin", ORIGIN)
    assert "access-control-allow-credentials" not in res.headers
    res = await TestClient(make_app(origin=ORIGIN, credentials=True)).get("/").set("Origin", ORIGIN)
    assert res.headers["access-control-allow-credentials"] == "true"
    pre = await preflight(TestClient(make_app(origin=ORIGIN, credentials=True)))
    assert pre.headers["access-control-allow-credentials"] == "true"


async def test_star_with_credentials_echoes_the_origin() -> None:
    client = TestClient(make_app(origin="*", credentials=True))
    res = await client.get("/").set("Origin", "https://any.test")
    assert res.headers["access-control-allow-origin"] == "https://any.test"
    assert res.headers["access-control-allow-credentials"] == "true"
    assert vary(res) == ["Origin"]
    bare = await client.get("/")
    assert "access-control-allow-origin" not in bare.headers  # never "*" with credentials


async def test_wildcards_are_echoed_with_credentials() -> None:
    app = make_app(origin=True, credentials=True, methods="*", allowed_headers="*")
    res = await preflight(TestClient(app), method="PATCH", headers="x-a, content-type")
    assert res.headers["access-control-allow-methods"] == "PATCH"
    assert res.headers["access-control-allow-headers"] == "x-a, content-type"
    assert set(vary(res)) == {
        "Origin",
        "Access-Control-Request-Headers",
        "Access-Control-Request-Method",
    }
    plain = await preflight(TestClient(make_app(methods="*", allowed_headers="*")))
    assert plain.headers["access-control-allow-methods"] == "*"
    assert plain.headers["access-control-allow-headers"] == "*"


# -- methods and headers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("methods", "header"),
    [
        ("GET", "GET"),
        ("get, post", "GET,POST"),
        (["PUT", "patch"], "PUT,PATCH"),
    ],
)
async def test_methods(methods: str | list[str], header: str) -> None:
    res = await preflight(TestClient(make_app(methods=methods)))
    assert res.headers["access-control-allow-methods"] == header
    actual = await TestClient(make_app(methods=methods)).get("/").set("Origin", ORIGIN)
    assert "access-control-allow-methods" not in actual.headers  # preflight only


@pytest.mark.parametrize(
    ("allowed", "header"),
    [
        (["Content-Type", "Authorization"], "Content-Type,Authorization"),
        ("Content-Type, X-Token", "Content-Type,X-Token"),
        ([], None),
        ("", None),
    ],
)
async def test_allowed_headers(allowed: str | list[str], header: str | None) -> None:
    res = await preflight(TestClient(make_app(allowed_headers=allowed)), headers="x-other")
    assert res.headers.get("access-control-allow-headers") == header
    assert "Access-Control-Request-Headers" not in vary(res)


async def test_allowed_headers_default_to_the_requested_ones() -> None:
    client = TestClient(make_app())
    res = await preflight(client, headers="x-header-1, x-header-2")
    assert res.headers["access-control-allow-headers"] == "x-header-1, x-header-2"
    assert vary(res) == ["Access-Control-Request-Headers"]
    none = await preflight(client)
    assert "access-control-allow-headers" not in none.headers
    assert vary(none) == ["Access-Control-Request-Headers"]


@pytest.mark.parametrize(
    ("exposed", "header"),
    [
        (["Content-Range", "X-Total"], "Content-Range,X-Total"),
        ("Content-Range, X-Total", "Content-Range,X-Total"),
        ([], None),
        ("", None),
    ],
)
async def test_exposed_headers(exposed: str | list[str], header: str | None) -> None:
    res = await TestClient(make_app(exposed_headers=exposed)).get("/").set("Origin", ORIGIN)
    assert res.headers.get("access-control-expose-headers") == header


@pytest.mark.parametrize(("max_age", "header"), [(600, "600"), (0, "0"), (None, None)])
async def test_max_age(max_age: int | None, header: str | None) -> None:
    client = TestClient(make_app(max_age=max_age))
    res = await preflight(client)
    assert res.headers.get("access-control-max-age") == header
    actual = await client.get("/").set("Origin", ORIGIN)
    assert "access-control-max-age" not in actual.headers


async def test_all_options_together() -> None:
    options: CorsOptions = {
        "origin": ORIGIN,
        "methods": ["GET", "POST"],
        "allowed_headers": ["Content-Type", "Authorization"],
        "exposed_headers": ["X-Custom-Header"],
        "credentials": True,
        "max_age": 3600,
        "options_success_status": 200,
    }
    client = TestClient(make_app(options))
    res = await preflight(client, headers="content-type")
    assert res.status == 200
    assert cors_headers(res) == {
        "access-control-allow-origin": ORIGIN,
        "access-control-allow-credentials": "true",
        "access-control-allow-methods": "GET,POST",
        "access-control-allow-headers": "Content-Type,Authorization",
        "access-control-expose-headers": "X-Custom-Header",
        "access-control-max-age": "3600",
    }
    actual = await client.post("/").set("Origin", ORIGIN)
    assert cors_headers(actual) == {
        "access-control-allow-origin": ORIGIN,
        "access-control-allow-credentials": "true",
        "access-control-expose-headers": "X-Custom-Header",
    }


# -- error responses ----------------------------------------------------------------


async def test_cors_headers_on_error_responses() -> None:
    app = hp.harpia()
    app.cors(origin=ORIGIN, credentials=True, exposed_headers="X-Id")

    def boom(req: Request, res: Response) -> None:
        raise RuntimeError("boom")

    async def eat(req: Request, res: Response) -> None:
        res.text(str(len(await req.body())))

    async def failing_mw(req: Request, res: Response, next: Next) -> None:
        raise RuntimeError("middleware broke")

    app.get("/boom", boom)
    app.post("/small", eat, max_body_size=10)
    app.get("/mw", failing_mw, lambda req, res: "never")
    client = TestClient(app)
    cases = [
        (client.get("/boom"), 500),
        (client.get("/missing"), 404),
        (client.delete("/boom"), 405),
        (client.post("/small").send(b"x" * 100), 413),
        (client.get("/mw"), 500),
    ]
    for builder, status in cases:
        res = await builder.set("Origin", ORIGIN)
        assert res.status == status
        assert res.headers["access-control-allow-origin"] == ORIGIN
        assert res.headers["access-control-allow-credentials"] == "true"
        assert res.headers["access-control-expose-headers"] == "X-Id"
        assert vary(res) == ["Origin"]


async def test_head_gets_cors_headers() -> None:
    res = await TestClient(make_app(origin=ORIGIN)).head("/").set("Origin", ORIGIN)
    assert (res.status, res.content) == (200, b"")
    assert res.headers["access-control-allow-origin"] == ORIGIN


async def test_control_characters_are_never_echoed() -> None:
    app = make_app(origin=True, credentials=True, methods="*")
    raw = [
        (b"origin", b"https://a.test\nx-evil: 1"),
        (b"access-control-request-method", b"PUT\x00"),
        (b"access-control-request-headers", b"x-a\r\nx-evil: 1"),
    ]
    res = await app.handle(Request("OPTIONS", "/", headers=raw))  # no client would send it
    assert res.status_code == 204
    assert [name for name, _ in res.headers if name.startswith("access-control-")] == []
    raw[0] = (b"origin", b"https://a.test")
    res = await app.handle(Request("OPTIONS", "/", headers=raw))
    assert res.headers.get("access-control-allow-origin") == "https://a.test"
    assert "access-control-allow-methods" not in res.headers
    assert "access-control-allow-headers" not in res.headers


# -- several configurations --------------------------------------------------------


async def test_most_specific_path_wins() -> None:
    app = hp.harpia()
    app.cors(origin="*")
    app.cors({"origin": "https://books.test", "methods": "GET"}, "/books")
    app.cors({"origin": "https://admin.test", "credentials": True}, path="/books/admin/")
    app.cors({"origin": False}, "/private")
    app.get("/*", lambda req, res: res.text(req.path))
    client = TestClient(app)

    async def allow(path: str, origin: str) -> str | None:
        res = await client.get(path).set("Origin", origin)
        assert res.status == 200
        return res.headers.get("access-control-allow-origin")

    assert await allow("/other", "https://x.test") == "*"
    assert await allow("/books", "https://books.test") == "https://books.test"
    assert await allow("/books/1", "https://books.test") == "https://books.test"
    assert await allow("/books/1", "https://admin.test") is None
    assert await allow("/booksx", "https://x.test") == "*"  # a prefix is a whole segment
    assert await allow("/books/admin/x", "https://admin.test") == "https://admin.test"
    assert await allow("/books/admin/x", "https://books.test") is None
    assert await allow("/private/x", "https://x.test") is None
    pre = await preflight(client, "/books/2", origin="https://books.test")
    assert pre.headers["access-control-allow-methods"] == "GET"


async def test_configuring_a_path_again_replaces_it() -> None:
    app = hp.harpia()
    app.cors({"origin": "https://one.test"}, "/api")
    app.cors({"origin": "https://two.test"}, "/api")
    app.get("/api", lambda req, res: "x")
    client = TestClient(app)
    assert (
        "access-control-allow-origin"
        not in (await client.get("/api").set("Origin", "https://one.test")).headers
    )
    res = await client.get("/api").set("Origin", "https://two.test")
    assert res.headers["access-control-allow-origin"] == "https://two.test"


async def test_no_cors_configured_means_no_headers() -> None:
    app = hp.harpia()
    app.get("/", lambda req, res: "x")
    res = await TestClient(app).get("/").set("Origin", ORIGIN)
    assert cors_headers(res) == {}
    assert (await preflight(TestClient(app))).status == 405


# -- bad options ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "culprit"),
    [
        ({"allowedHeaders": ["a"]}, "allowed_headers"),
        ({"nope": 1}, "nope"),
        ({"origin": "https://example.com/"}, "https://example.com/"),
        ({"origin": "example.com"}, "example.com"),
        ({"origin": ["https://ok.test", "bad origin"]}, "bad origin"),
        ({"methods": ["GET", "BAD METHOD"]}, "BAD METHOD"),
        ({"allowed_headers": "X-A, bad header"}, "bad header"),
        ({"exposed_headers": ["x\r\ny"]}, "exposed_headers"),
        ({"max_age": -1}, "max_age"),
        ({"options_success_status": 404}, "options_success_status"),
        ({"options_success_status": True}, "options_success_status"),
    ],
)
def test_invalid_options_raise_value_error(options: dict[str, Any], culprit: str) -> None:
    with pytest.raises(ValueError, match=re.escape(culprit)):
        hp.harpia().cors(options)


@pytest.mark.parametrize(
    "options",
    [
        {"origin": 42},
        {"origin": [42]},
        {"origin": re.compile(b"bytes")},
        {"credentials": "yes"},
        {"max_age": 1.5},
        {"max_age": True},
        {"methods": 5},
    ],
)
def test_badly_typed_options_raise_type_error(options: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        hp.harpia().cors(options)


def test_bad_path_raises() -> None:
    with pytest.raises(TypeError, match="path"):
        hp.harpia().cors({}, 42)  # type: ignore[arg-type]
