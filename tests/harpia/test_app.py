"""The app: verbs, route and app middleware, routers, not-found, return values, HEAD, override."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import harpia as hp
from harpia import Harpia, Request, Response, Router, TestClient

Next = Callable[[], Awaitable[None]]
VERBS = ["get", "post", "put", "patch", "delete", "options"]


def test_factory_builds_a_production_app() -> None:
    app = hp.harpia()
    assert isinstance(app, Harpia)
    assert app.development is False
    assert app.trust_proxy is False
    dev = hp.harpia(development=True, trust_proxy=True)
    assert dev.development is True
    assert dev.trust_proxy is True


@pytest.mark.parametrize("verb", VERBS)
async def test_every_verb_in_express_form(verb: str) -> None:
    app = hp.harpia()

    def handler(req: Request, res: Response) -> None:
        res.text(f"{req.method} {req.params['id']}")

    getattr(app, verb)("/items/:id", handler)
    res = await getattr(TestClient(app), verb)("/items/7")
    assert res.status == 200
    assert res.text() == f"{verb.upper()} 7"
    other = "post" if verb != "post" else "get"
    assert (await getattr(TestClient(app), other)("/items/7")).status == 405


@pytest.mark.parametrize("verb", VERBS)
async def test_every_verb_in_decorator_form(verb: str) -> None:
    app = hp.harpia()
    register: Callable[[Callable[..., Any]], Callable[..., Any]] = getattr(app, verb)("/things")

    @register
    async def handler(req: Request, res: Response) -> dict[str, str]:
        return {"method": req.method}

    assert callable(handler)  # the decorator hands the function back
    res = await getattr(TestClient(app), verb)("/things")
    assert res.json() == {"method": verb.upper()}


async def test_explicit_head_route_and_all_route() -> None:
    app = hp.harpia()
    app.head("/h", lambda req, res: res.header("x-head", "yes").send(b""))
    app.all("/any", lambda req, res: {"method": req.method})
    client = TestClient(app)
    res = await client.head("/h")
    assert res.headers["x-head"] == "yes"
    for verb in ("get", "post", "delete", "patch"):
        assert (await getattr(client, verb)("/any")).json() == {"method": verb.upper()}


async def test_route_middlewares_run_in_order_before_the_handler() -> None:
    app = hp.harpia()
    order: list[str] = []

    async def first(req: Request, res: Response, next: Next) -> None:
        order.append("first")
        await next()
        order.append("first-after")

    def second(req: Request, res: Response, next: Next) -> None:
        order.append("second")
        next()

    def handler(req: Request, res: Response) -> str:
        order.append("handler")
        return "done"

    app.get("/x", first, second, handler)
    res = await TestClient(app).get("/x")
    assert res.text() == "done"
    assert order == ["first", "second", "handler", "first-after"]


async def test_global_and_prefix_middlewares_in_the_order_added() -> None:
    app = hp.harpia()
    seen: list[str] = []

    def mark(name: str) -> Callable[[Request, Response, Next], Awaitable[None]]:
        async def mw(req: Request, res: Response, next: Next) -> None:
            seen.append(name)
            await next()

        return mw

    app.use(mark("global-1"))
    app.use("/panel", mark("panel"))
    app.use(mark("global-2"), mark("global-3"))
    for path in ("/panel", "/panel/users", "/panelother", "/"):
        app.get(path, lambda req, res: "ok")
    client = TestClient(app)

    async def run(path: str) -> list[str]:
        seen.clear()
        assert (await client.get(path)).status == 200
        return list(seen)

    assert await run("/panel") == ["global-1", "panel", "global-2", "global-3"]
    assert await run("/panel/users") == ["global-1", "panel", "global-2", "global-3"]
    assert await run("/panelother") == ["global-1", "global-2", "global-3"]
    assert await run("/") == ["global-1", "global-2", "global-3"]


async def test_prefix_middleware_also_runs_for_unmatched_paths_below_it() -> None:
    app = hp.harpia()

    async def tag(req: Request, res: Response, next: Next) -> None:
        await next()
        res.header("x-panel", "1")

    app.use("/panel/", tag)
    res = await TestClient(app).get("/panel/missing")
    assert res.status == 404
    assert res.headers["x-panel"] == "1"


async def test_sync_middleware_calling_next_without_await_continues() -> None:
    app = hp.harpia()

    def sync_mw(req: Request, res: Response, next: Next) -> None:
        req.state["sync"] = True
        next()  # not awaited: the chain goes on when the middleware returns

    app.use(sync_mw)
    app.get("/", lambda req, res: {"sync": req.state.get("sync")})
    assert (await TestClient(app).get("/")).json() == {"sync": True}


async def test_async_middleware_forgetting_await_still_continues() -> None:
    app = hp.harpia()

    async def forgetful(req: Request, res: Response, next: Next) -> None:
        next()  # a common slip: never leaves the request hanging

    app.use(forgetful)
    app.get("/", lambda req, res: "reached")
    assert (await TestClient(app).get("/")).text() == "reached"


async def test_middleware_that_answers_stops_the_chain() -> None:
    app = hp.harpia()
    reached: list[bool] = []

    async def gate(req: Request, res: Response, next: Next) -> None:
        res.status(401).json({"error": "login first"})

    def handler(req: Request, res: Response) -> str:
        reached.append(True)
        return "secret"

    app.get("/secret", gate, handler)
    res = await TestClient(app).get("/secret")
    assert res.status == 401
    assert res.json() == {"error": "login first"}
    assert reached == []


async def test_sync_and_async_handlers() -> None:
    app = hp.harpia()

    def sync_handler(req: Request, res: Response) -> None:
        res.text("sync")

    async def async_handler(req: Request, res: Response) -> None:
        res.text("async")

    app.get("/sync", sync_handler)
    app.get("/async", async_handler)
    client = TestClient(app)
    assert (await client.get("/sync")).text() == "sync"
    assert (await client.get("/async")).text() == "async"


async def test_mounting_a_router_with_a_prefix() -> None:
    app = hp.harpia()
    books = Router("books")
    calls: list[str] = []

    async def audit(req: Request, res: Response, next: Next) -> None:
        calls.append(req.path)
        await next()

    books.get("/", lambda req, res: ["dune"])
    books.get("/:id", audit, lambda req, res: {"id": req.params["id"]})

    @books.post("/")
    async def create(req: Request, res: Response) -> None:
        res.status(201).json(await req.json())

    app.routes(books)
    client = TestClient(app)
    assert (await client.get("/books")).json() == ["dune"]
    assert (await client.get("/books/42")).json() == {"id": "42"}
    assert calls == ["/books/42"]
    created = await client.post("/books").json({"title": "Emma"})
    assert (created.status, created.json()) == (201, {"title": "Emma"})
    assert (await client.get("/42")).status == 404


async def test_routes_added_after_the_first_request_are_served() -> None:
    app = hp.harpia()
    app.get("/a", lambda req, res: "a")
    client = TestClient(app)
    assert (await client.get("/a")).status == 200
    app.get("/b", lambda req, res: "b")

    def late(req: Request, res: Response, next: Next) -> None:
        res.header("x-late", "1")
        next()

    app.use(late)
    res = await client.get("/b")
    assert (res.status, res.text(), res.headers.get("x-late")) == (200, "b", "1")


async def test_custom_not_found_handler() -> None:
    app = hp.harpia()

    def not_found(req: Request, res: Response) -> None:
        res.status(404).html(f"<p>no {req.path}</p>")

    app.set_not_found(not_found)
    res = await TestClient(app).get("/nowhere")
    assert res.status == 404
    assert res.text() == "<p>no /nowhere</p>"


async def test_custom_not_found_limited_to_some_methods() -> None:
    app = hp.harpia()
    app.set_not_found(lambda req, res: res.status(404).text("custom"), methods=["GET"])
    client = TestClient(app)
    assert (await client.get("/x")).text() == "custom"
    res = await client.post("/x")
    assert res.status == 404
    assert res.json() == {"error": "Not Found", "status": 404}


@pytest.mark.parametrize(
    ("value", "content_type", "body"),
    [
        ({"a": 1}, "application/json", b'{"a":1}'),
        ([1, "two"], "application/json", b'[1,"two"]'),
        ("<b>hi</b>", "text/html; charset=utf-8", b"<b>hi</b>"),
        (b"\x00\x01", "application/octet-stream", b"\x00\x01"),
    ],
)
async def test_return_values_become_the_body(value: Any, content_type: str, body: bytes) -> None:
    app = hp.harpia()
    app.get("/", lambda req, res: value)
    res = await TestClient(app).get("/")
    assert res.status == 200
    assert res.headers["content-type"] == content_type
    assert res.content == body
    assert res.headers["content-length"] == str(len(body))


async def test_returning_a_response_object() -> None:
    app = hp.harpia()

    def handler(req: Request, res: Response) -> Response:
        res.header("x-made", "replaced").header("x-kept", "kept")
        out = Response({"made": True}, status=202, headers={"x-made": "yes"})
        out.headers.add("Link", "<a>")
        out.headers.add("Link", "<b>")
        out.cookies.set("made", "1")
        return out

    app.get("/", handler)
    res = await TestClient(app).get("/")
    assert res.status == 202
    assert res.json() == {"made": True}
    assert res.headers.getall("x-made") == ["yes"]
    assert res.headers["x-kept"] == "kept"
    assert res.headers.getall("link") == ["<a>", "<b>"]
    assert res.cookies == {"made": "1"}


async def test_invalid_return_value_is_a_500() -> None:
    app = hp.harpia()
    app.get("/", lambda req, res: 42)  # type: ignore[call-overload]  # mypy catches it too
    res = await TestClient(app).get("/")
    assert res.status == 500
    assert res.json()["status"] == 500


async def test_handler_that_sends_nothing_answers_204() -> None:
    app = hp.harpia()
    app.get("/", lambda req, res: None)
    res = await TestClient(app).get("/")
    assert res.status == 204
    assert res.content == b""


async def test_automatic_head_for_get_routes() -> None:
    app = hp.harpia()
    app.get("/doc", lambda req, res: res.header("x-doc", "1").json({"hello": "world"}))
    client = TestClient(app)
    get = await client.get("/doc")
    head = await client.head("/doc")
    assert head.status == get.status == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(get.content)) != "0"
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["x-doc"] == "1"


async def test_automatic_head_for_a_streamed_get() -> None:
    app = hp.harpia()

    async def chunks() -> Any:
        yield b"abc"

    app.get("/s", lambda req, res: res.stream(chunks(), content_type="text/plain"))
    head = await TestClient(app).head("/s")
    assert (head.status, head.content) == (200, b"")
    assert head.headers["content-type"] == "text/plain"


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"form": {"_method": "PUT"}}, "put"),
        ({"form": {"_method": "patch"}}, "patch"),
        ({"form": {"_method": "DELETE", "x": "1"}}, "delete"),
        ({"header": "DELETE"}, "delete"),
        ({"header": "put"}, "put"),
        ({"form": {"_method": "GET"}}, "post"),
        ({"header": "TRACE"}, "post"),
        ({"form": {"other": "PUT"}}, "post"),
    ],
)
async def test_method_override(override: dict[str, Any], expected: str) -> None:
    app = hp.harpia()
    for verb in ("get", "post", "put", "patch", "delete"):
        getattr(app, verb)("/thing", lambda req, res, verb=verb: {"route": verb, "m": req.method})
    request = TestClient(app).post("/thing")
    if "form" in override:
        request.form_data(override["form"])
    else:
        request.set("X-HTTP-Method-Override", override["header"])
    res = await request
    assert res.json() == {"route": expected, "m": expected.upper()}


async def test_method_override_only_applies_to_post() -> None:
    app = hp.harpia()
    app.get("/thing", lambda req, res: "get")
    app.delete("/thing", lambda req, res: "delete")
    res = await TestClient(app).get("/thing").set("X-HTTP-Method-Override", "DELETE")
    assert res.text() == "get"


async def test_override_body_is_still_readable_by_the_handler() -> None:
    app = hp.harpia()

    @app.put("/form")
    async def put(req: Request, res: Response) -> dict[str, Any]:
        return dict((await req.form()).multi_items())

    res = await TestClient(app).post("/form").form_data({"_method": "PUT", "name": "x"})
    assert res.json() == {"_method": "PUT", "name": "x"}


def override_app(**options: Any) -> tuple[Harpia, list[str]]:
    """POST and PUT on /both, POST only on /post-only; every body read is recorded."""
    app = Harpia(**options)
    reads: list[str] = []

    async def handler(req: Request, res: Response) -> dict[str, Any]:
        body = await req.body()
        reads.append(req.path)
        return {"m": req.method, "size": len(body)}

    app.post("/both", handler)
    app.put("/both", handler)
    app.post("/post-only", handler)
    return app, reads


async def test_override_is_taken_only_when_a_route_for_it_exists() -> None:
    app, _ = override_app()
    client = TestClient(app)
    res = await client.post("/post-only").form_data({"_method": "PUT"})
    assert res.json()["m"] == "POST"  # no PUT route: the POST route answers, not a 405
    res = await client.post("/post-only").set("X-HTTP-Method-Override", "DELETE")
    assert res.json()["m"] == "POST"
    res = await client.post("/both").form_data({"_method": "put"})
    assert res.json()["m"] == "PUT"
    res = await client.post("/both").form_data({"_method": "DELETE"})
    assert res.json()["m"] == "POST"  # DELETE has no route at /both
    res = await client.post("/both").set("X-HTTP-Method-Override", " put ")
    assert res.json()["m"] == "PUT"


async def test_an_unknown_path_is_answered_without_reading_the_body() -> None:
    app, reads = override_app()
    seen: list[int] = []

    async def counting() -> Any:
        for _ in range(3):
            seen.append(1)
            yield b"_method=PUT&" + b"a=b&" * 1000

    res = (
        await TestClient(app).post("/nowhere").send(counting(), "application/x-www-form-urlencoded")
    )
    assert res.status == 404
    assert reads == []
    assert seen == []  # not one chunk was asked for


async def test_override_peeks_only_at_the_start_of_the_body() -> None:
    app, _ = override_app()
    client = TestClient(app)
    form = "application/x-www-form-urlencoded"
    early = b"%5Fmethod=PUT&" + b"x" * 200_000
    res = await client.post("/both").send([early[:7], early[7:]], form)
    assert res.json() == {"m": "PUT", "size": len(early)}  # the body is whole for the route
    late = b"x=" + b"y" * 70_000 + b"&_method=PUT"
    res = await client.post("/both").send(late, form)
    assert res.json() == {"m": "POST", "size": len(late)}  # beyond the first 64 KiB
    cut = b"a=1&_method=PU"  # complete body: the last field is whole
    res = await client.post("/both").send(cut, form)
    assert res.json()["m"] == "POST"
    res = await client.post("/both").send(b"a=1&_method=PUT", form)
    assert res.json()["m"] == "PUT"


async def test_method_override_can_be_switched_off() -> None:
    app, _ = override_app(method_override=False)
    client = TestClient(app)
    res = await client.post("/both").form_data({"_method": "PUT"})
    assert res.json()["m"] == "POST"
    res = await client.post("/both").set("X-HTTP-Method-Override", "PUT")
    assert res.json()["m"] == "POST"
    assert Harpia().method_override is True


@pytest.mark.parametrize("option", ["max_form_fields", "max_form_size"])
@pytest.mark.parametrize("value", [0, -1, True, 1.5, "10"])
def test_form_limits_are_checked(option: str, value: Any) -> None:
    with pytest.raises(ValueError, match=option):
        Harpia(**{option: value})


@pytest.mark.parametrize("method", ["post", "Post", "get", "head", "FOO"])
async def test_methods_are_case_sensitive(method: str) -> None:
    app = hp.harpia()
    seen: list[str] = []

    async def record(req: Request, res: Response, next: Next) -> None:
        seen.append(req.method)  # middlewares see the method exactly as sent
        await next()

    app.use(record)
    app.get("/hello", lambda req, res: "get")
    app.post("/hello", lambda req, res: "post")
    app.all("/any", lambda req, res: req.method)
    res = await app.handle(Request(method, "/hello"))  # the test client upper-cases
    assert res.status_code == 405
    assert res.headers.get("allow") == "GET, HEAD, POST"
    res = await app.handle(Request(method, "/nowhere"))
    assert res.status_code == 404
    res = await app.handle(Request(method, "/any"))
    assert (res.status_code, res.body) == (200, method.encode())
    assert seen[-3:] == [method] * 3


async def test_override_of_an_empty_body_leaves_it_readable() -> None:
    app, _ = override_app()
    res = await TestClient(app).post("/both").send(b"", "application/x-www-form-urlencoded")
    assert res.json() == {"m": "POST", "size": 0}


async def test_override_applies_the_limit_of_the_route_it_picks() -> None:
    app = Harpia(max_request_body_size=100)

    async def size(req: Request, res: Response) -> dict[str, Any]:
        return {"m": req.method, "size": len(await req.body())}

    app.post("/big", size)
    app.put("/big", size, max_body_size=200_000)
    client = TestClient(app)
    form = "application/x-www-form-urlencoded"
    body = b"_method=PUT&x=" + b"y" * 150_000
    assert (await client.post("/big").send(body, form)).json() == {"m": "PUT", "size": len(body)}
    chunked = [body[:70_000], body[70_000:]]
    assert (await client.post("/big").send(chunked, form)).json()["size"] == len(body)
    assert (await client.post("/big").send(b"x=" + b"y" * 200, form)).status == 413  # POST's
    too_big = [body, b"z" * 60_000]
    assert (await client.post("/big").send(too_big, form)).status == 413  # PUT's, streamed
