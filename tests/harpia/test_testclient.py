"""The TestClient itself: builder, request building, lifespan, cookie jar, results."""

from __future__ import annotations

import asyncio
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

import pytest

import harpia as hp
from harpia import Request, Response
from harpia._cookiejar import CookieJar
from harpia._testclient import TestClient, TestResponse, encode_path

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


def inspect_app() -> hp.Harpia:
    """Echo what the app received."""
    app = hp.harpia()

    @app.all("/*")
    async def echo(req: Request, res: Response) -> dict[str, Any]:
        return {
            "method": req.method,
            "raw_path": req.raw_path,
            "query": req.query.multi_items(),
            "url": req.url,
            "scheme": req.scheme,
            "headers": dict(req.headers),
            "body": (await req.body()).decode(),
            "client": list(req.client or ()),
        }

    return app


# -- the builder ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda r: r.json({"a": 1}).form_data({"b": "2"}),
        lambda r: r.form_data({"b": "2"}).json({"a": 1}),
        lambda r: r.json({"a": 1}).send(b"raw"),
        lambda r: r.send("raw").form_data({"b": "2"}),
    ],
)
def test_mixing_body_kinds_raises(build: Any) -> None:
    with pytest.raises(ValueError):
        build(TestClient(hp.harpia()).post("/"))


async def test_awaiting_the_builder_executes_it() -> None:
    client = TestClient(inspect_app())
    builder = client.get("/x").query("a", "1")
    assert repr(builder) == "<RequestBuilder GET /x>"
    first = await builder
    second = await builder.execute()
    assert isinstance(first, TestResponse)
    assert first.json() == second.json()
    assert first.json()["query"] == [["a", "1"]]


@pytest.mark.parametrize("verb", ["get", "post", "put", "patch", "delete", "options"])
async def test_every_verb(verb: str) -> None:
    res = await getattr(TestClient(inspect_app()), verb)("/v")
    assert res.json()["method"] == verb.upper()


async def test_head_and_custom_methods() -> None:
    client = TestClient(inspect_app())
    head = await client.head("/v")
    assert (head.status, head.content) == (200, b"")
    assert (await client.request("purge", "/v")).json()["method"] == "PURGE"


async def test_query_merging_and_encoding() -> None:
    client = TestClient(inspect_app())
    res = await (
        client.get("/q?from=path&x=a%20b")
        .query("number", 123456)
        .query({"tag": ["a", "b c"], "flag": True, "ratio": 0.5})
        .query("amp", "&=?")
    )
    body = res.json()
    assert body["query"] == [
        ["from", "path"],
        ["x", "a b"],
        ["number", "123456"],
        ["tag", "a"],
        ["tag", "b c"],
        ["flag", "true"],
        ["ratio", "0.5"],
        ["amp", "&=?"],
    ]
    assert body["url"].startswith("http://testserver/q?from=path&x=a%20b&number=123456")


def test_query_argument_errors() -> None:
    builder = TestClient(hp.harpia()).get("/")
    with pytest.raises(TypeError):
        builder.query("name")
    with pytest.raises(TypeError):
        builder.query({"a": "1"}, "2")
    with pytest.raises(TypeError):
        builder.query("a", [object()])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/plain/path", "/plain/path"),
        ("/a b", "/a%20b"),
        ("/café", "/caf%C3%A9"),
        ("/a%2Fb", "/a%2Fb"),
        ("/100%", "/100%25"),
        ("/a%zz", "/a%25zz"),
        ("/keep:@!$&'()*+,;=-._~", "/keep:@!$&'()*+,;=-._~"),
        ('/quote"<>', "/quote%22%3C%3E"),
    ],
)
def test_encode_path(given: str, expected: str) -> None:
    assert encode_path(given) == expected


async def test_path_forms() -> None:
    client = TestClient(inspect_app())
    assert (await client.get("/a b#frag")).json()["raw_path"] == "/a%20b"
    assert (await client.get("")).json()["raw_path"] == "/"
    assert (await client.get("rel")).json()["raw_path"] == "/rel"
    absolute = (await client.get("https://example.com:8443/x?y=1")).json()
    assert absolute["url"] == "https://example.com:8443/x?y=1"
    assert absolute["scheme"] == "https"


async def test_base_url_and_client_address() -> None:
    client = TestClient(inspect_app(), base_url="https://api.local", client=("10.0.0.5", 4000))
    body = (await client.get("/p")).json()
    assert body["url"] == "https://api.local/p"
    assert body["headers"]["host"] == "api.local"
    assert body["client"] == ["10.0.0.5", 4000]
    with pytest.raises(ValueError):
        TestClient(hp.harpia(), base_url="ftp://x")
    with pytest.raises(ValueError):
        TestClient(hp.harpia(), base_url="testserver")


async def test_default_and_body_headers() -> None:
    client = TestClient(inspect_app())
    get = (await client.get("/")).json()
    assert get["headers"]["host"] == "testserver"
    assert "content-length" not in get["headers"]
    assert get["client"] == ["127.0.0.1", 50000]

    posted = (await client.post("/").json({"name": "John", "é": None})).json()
    assert posted["headers"]["content-type"] == "application/json"
    assert posted["headers"]["content-length"] == str(len(posted["body"].encode()))
    assert posted["body"] == '{"name":"John","é":null}'

    form = (await client.post("/").form_data({"username": "x y"}).form_data({"b": 1})).json()
    assert form["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert form["body"] == "username=x+y&b=1"

    text = (await client.post("/").send("hi")).json()
    assert text["headers"]["content-type"] == "text/plain; charset=utf-8"
    raw = (await client.post("/").send(b"\x01", content_type="application/x-thing")).json()
    assert raw["headers"]["content-type"] == "application/x-thing"
    bare = (await client.post("/").send(b"zz")).json()
    assert "content-type" not in bare["headers"]
    assert bare["headers"]["content-length"] == "2"
    empty = (await client.post("/").send(b"")).json()
    assert empty["headers"]["content-length"] == "0"

    array = (await client.post("/").send(bytearray(b"arr"))).json()
    assert (array["body"], array["headers"]["content-length"]) == ("arr", "3")

    chunked = (await client.post("/").send([b"a", b"b"])).json()
    assert chunked["headers"]["transfer-encoding"] == "chunked"
    assert "content-length" not in chunked["headers"]
    assert chunked["body"] == "ab"


async def test_set_overrides_default_headers() -> None:
    client = TestClient(inspect_app())
    body = (
        await client.post("/")
        .json([1])
        .set("Host", "other.example")
        .set({"Content-Type": "application/vnd.x+json", "X-Bytes": b"\xe9"})
    ).json()
    assert body["headers"]["host"] == "other.example"
    assert body["headers"]["content-type"] == "application/vnd.x+json"
    assert body["headers"]["x-bytes"] == "é"  # latin-1, as a server decodes it


@pytest.mark.parametrize(
    ("name", "value"), [("x-a", "v\r\nx-b: 1"), ("x-a\n", "v"), ("x-a", "\0"), ("x-a", "€")]
)
def test_set_rejects_broken_headers(name: str, value: str) -> None:
    with pytest.raises(ValueError):
        TestClient(hp.harpia()).get("/").set(name, value)


async def test_concurrent_requests() -> None:
    app = hp.harpia()

    @app.get("/n/:n")
    async def handler(req: Request, res: Response) -> dict[str, int]:
        await asyncio.sleep(0)
        return {"n": int(req.params["n"])}

    client = TestClient(app)
    results = await asyncio.gather(*(client.get(f"/n/{i}").execute() for i in range(20)))
    assert [r.json()["n"] for r in results] == list(range(20))


# -- lifespan ---------------------------------------------------------------------------


def lifecycle_app(events: list[str]) -> hp.Harpia:
    app = hp.harpia()

    def sync_start() -> None:
        events.append("start-sync")

    async def async_start() -> None:
        await asyncio.sleep(0)
        events.append("start-async")
        app.state["db"] = "open"

    app.on_startup(sync_start)
    app.on_startup(async_start)

    @app.on_shutdown
    async def async_stop() -> None:
        events.append("stop-async")

    @app.on_shutdown
    def sync_stop() -> None:
        events.append("stop-sync")

    app.get("/", lambda req, res: {"db": app.state.get("db")})
    return app


async def test_async_with_runs_startup_and_shutdown() -> None:
    events: list[str] = []
    async with TestClient(lifecycle_app(events)) as client:
        assert events == ["start-sync", "start-async"]
        assert (await client.get("/")).json() == {"db": "open"}
        assert (await client.get("/")).json() == {"db": "open"}
        assert events == ["start-sync", "start-async"]
    assert events == ["start-sync", "start-async", "stop-sync", "stop-async"]


async def test_shutdown_runs_when_the_block_fails() -> None:
    events: list[str] = []
    with pytest.raises(KeyError):
        async with TestClient(lifecycle_app(events)):
            raise KeyError("x")
    assert events[-2:] == ["stop-sync", "stop-async"]


async def test_plain_client_starts_the_app_on_its_first_request() -> None:
    events: list[str] = []
    client = TestClient(lifecycle_app(events))
    assert events == []
    assert (await client.get("/")).json() == {"db": "open"}
    await client.get("/")
    assert events == ["start-sync", "start-async"]
    await client.aclose()
    assert events == ["start-sync", "start-async", "stop-sync", "stop-async"]


async def test_aclose_without_requests_runs_no_shutdown_hook() -> None:
    events: list[str] = []
    await TestClient(lifecycle_app(events)).aclose()
    assert events == []


async def test_startup_failure_propagates() -> None:
    app = hp.harpia()

    @app.on_startup
    def fail() -> None:
        raise ConnectionError("redis down")

    with pytest.raises(ConnectionError):
        async with TestClient(app):
            pass


# -- the cookie jar ---------------------------------------------------------------------


def cookie_app() -> hp.Harpia:
    app = hp.harpia()

    @app.get("/set")
    def set_cookies(req: Request, res: Response) -> str:
        for name, value in req.query.items():
            res.cookies.set(name, value)
        return "set"

    @app.get("/raw")
    def raw(req: Request, res: Response) -> str:
        for header in req.query.getall("h"):
            res.headers.add("Set-Cookie", header)
        return "raw"

    app.get("/who", lambda req, res: req.cookies.get_all())
    app.get("/header", lambda req, res: {"cookie": req.headers.get("cookie")})
    return app


async def test_jar_keeps_cookies_across_requests() -> None:
    client = TestClient(cookie_app())
    set_res = await client.get("/set").query({"a": "1", "b": "x y"})
    assert set_res.cookies == {"a": "1", "b": "x%20y"}  # raw, as sent
    assert dict(client.cookies) == {"a": "1", "b": "x%20y"}
    assert (await client.get("/who")).json() == {"a": "1", "b": "x y"}
    await client.get("/set").query("a", "2")
    assert (await client.get("/who")).json() == {"a": "2", "b": "x y"}
    assert (await client.get("/header")).json() == {"cookie": "a=2; b=x%20y"}


async def test_jar_is_editable() -> None:
    client = TestClient(cookie_app())
    client.cookies["manual"] = "m"
    assert (await client.get("/who")).json() == {"manual": "m"}
    del client.cookies["manual"]
    assert len(client.cookies) == 0
    assert (await client.get("/header")).json() == {"cookie": None}
    assert repr(client.cookies) == "CookieJar({})"


async def test_per_request_cookie_is_not_stored() -> None:
    client = TestClient(cookie_app())
    client.cookies["a"] = "jar"
    once = await client.get("/who").cookie("a", "once").cookie("b", "2")
    assert once.json() == {"a": "once", "b": "2"}
    assert (await client.get("/who")).json() == {"a": "jar"}


async def test_explicit_cookie_header_replaces_the_jar() -> None:
    client = TestClient(cookie_app())
    client.cookies["a"] = "jar"
    res = await client.get("/who").set("Cookie", "z=9")
    assert res.json() == {"z": "9"}


@pytest.mark.parametrize(
    "header",
    [
        "a=; Max-Age=0",
        "a=gone; Max-Age=-1",
        "a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        "a=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/",
        "a=x; expires=Wed, 01 Jan 2020 00:00:00 GMT; Max-Age=0",
    ],
)
async def test_jar_honours_deletions(header: str) -> None:
    client = TestClient(cookie_app())
    client.cookies["a"] = "1"
    client.cookies["keep"] = "k"
    await client.get("/raw").query("h", header)
    assert dict(client.cookies) == {"keep": "k"}


@pytest.mark.parametrize(
    "header",
    [
        "a=2; Max-Age=60",
        "a=2; Max-Age=junk",
        "a=2; Expires=not a date",
        f"a=2; Expires={formatdate(4_000_000_000, usegmt=True)}",
        "a=2; Expires=Wed, 01 Jan 2020 00:00:00 GMT; Max-Age=60",
        "a=2; Path=/x; Domain=other.example; Secure; HttpOnly",
    ],
)
async def test_jar_stores_live_cookies(header: str) -> None:
    client = TestClient(cookie_app())
    await client.get("/raw").query("h", header)
    assert dict(client.cookies) == {"a": "2"}


async def test_jar_ignores_nameless_set_cookie() -> None:
    client = TestClient(cookie_app())
    await client.get("/raw").query({"h": ["novalue", "=x", " ; Path=/"]})
    assert dict(client.cookies) == {}


async def test_jar_expires_cookies_with_max_age() -> None:
    now = [1_000_000.0]
    client = TestClient(cookie_app())
    client.cookies = CookieJar(clock=lambda: now[0])
    await client.get("/raw").query({"h": ["short=1; Max-Age=10", "long=2"]})
    assert dict(client.cookies) == {"short": "1", "long": "2"}
    now[0] += 10
    assert dict(client.cookies) == {"long": "2"}
    assert (await client.get("/who")).json() == {"long": "2"}
    client.cookies["short"] = "manual"  # setting by hand clears the expiry
    now[0] += 1000
    assert client.cookies["short"] == "manual"


# -- results ----------------------------------------------------------------------------


async def test_response_object() -> None:
    app = hp.harpia()

    def handler(req: Request, res: Response) -> None:
        res.headers.add("X-Many", "1")
        res.headers.add("x-many", "2")
        res.send("é".encode("latin-1"), content_type="text/plain; charset=latin-1")

    app.get("/", handler)
    res = await TestClient(app).get("/")
    assert res.status == 200
    assert res.content == b"\xe9"
    assert res.charset == "latin-1"
    assert res.text() == "é"
    assert res.headers.getall("X-MANY") == ["1", "2"]
    assert res.cookies == {}
    assert repr(res) == "<TestResponse 200 text/plain; charset=latin-1 1 bytes>"
    assert res.response is not None
    assert res.response.status_code == 200
    with pytest.raises(ValueError):
        res.json()


def test_pytest_does_not_collect_the_client_classes() -> None:
    assert TestClient.__test__ is False
    assert TestResponse.__test__ is False


async def test_a_failing_stream_is_raised_to_the_test() -> None:
    app = hp.harpia()

    async def body() -> AsyncIterator[bytes]:
        yield b"start"
        raise RuntimeError("mid-stream")

    app.get("/", lambda req, res: res.stream(body()))
    with pytest.raises(RuntimeError, match="mid-stream"):
        await TestClient(app).get("/")
