"""No silent 204 in development, and one response per request in every mode (issue 18)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pytest

import harpia as hp
from harpia import HTTPError, Next, Request, Response, TestClient, TestResponse
from tests.harpia.server.conftest import client, get, running

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path


class Engine:
    def render(self, view: str, data: Any) -> str:
        return f"<p>{view}</p>"


def error_of(res: TestResponse) -> BaseException | None:
    """The exception behind an error response."""
    assert res.response is not None
    return res.response.error


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "harpia"
        and record.levelno == logging.WARNING
        and "held the event loop" not in record.getMessage()  # a loaded machine's hiccup
    ]


async def test_a_handler_that_sends_nothing_is_named_in_development(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = hp.Harpia(development=True)

    @app.get("/books/:id")
    async def show_book(req: Request, res: Response) -> None:
        req.params["id"]  # computes, forgets to respond

    with caplog.at_level(logging.WARNING, logger="harpia"):
        res = await TestClient(app).get("/books/7")
    assert res.status == 204
    [message] = warnings_of(caplog)
    assert message.startswith("GET /books/:id: no response was sent, answered 204 No Content")
    assert "the handler" in message
    assert "show_book returned without sending a response" in message
    assert "res.status(204)" in message  # the fix for an intended empty answer


async def test_a_middleware_that_neither_calls_next_nor_responds_is_named(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = hp.Harpia(development=True)

    async def check_token(req: Request, res: Response, next: Next) -> None:
        if req.headers.get("x-token") == "ok":
            await next()  # forgot to answer otherwise

    app.use(check_token)
    app.get("/", lambda req, res: "hello")
    with caplog.at_level(logging.WARNING, logger="harpia"):
        client = TestClient(app)
        assert (await client.get("/").set("x-token", "ok")).text() == "hello"
        assert warnings_of(caplog) == []
        res = await client.get("/")
    assert res.status == 204
    [message] = warnings_of(caplog)
    assert "GET /:" in message
    assert "the middleware" in message
    assert "check_token neither called next()" in message


async def test_a_route_middleware_that_stops_the_chain_is_named(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = hp.Harpia(development=True)

    def stop(req: Request, res: Response, next: Next) -> None:
        pass

    app.get("/x", stop, lambda req, res: "never")
    with caplog.at_level(logging.WARNING, logger="harpia"):
        res = await TestClient(app).get("/x")
    assert res.status == 204
    [message] = warnings_of(caplog)
    assert "stop neither called next() nor sent a response" in message


@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
async def test_render_without_await_is_named(caplog: pytest.LogCaptureFixture) -> None:
    app = hp.Harpia(development=True)
    app.engine.set(Engine())

    @app.get("/")
    async def home(req: Request, res: Response) -> None:
        res.render("home", {})  # type: ignore[unused-coroutine]  # the mistake

    with caplog.at_level(logging.WARNING, logger="harpia"):
        res = await TestClient(app).get("/")
    assert res.status == 204
    [message] = warnings_of(caplog)
    assert "res.render('home') was called without `await`" in message
    assert "write `await res.render('home')`" in message


@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
async def test_file_without_await_is_named(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    app = hp.Harpia(development=True)
    (tmp_path / "a.txt").write_text("a")

    def download(req: Request, res: Response) -> None:
        res.file(tmp_path / "a.txt")  # type: ignore[unused-coroutine]  # should return it

    app.get("/", download)
    with caplog.at_level(logging.WARNING, logger="harpia"):
        res = await TestClient(app).get("/")
    assert res.status == 204
    [message] = warnings_of(caplog)
    assert "res.file(...) was called without `await`" in message


async def test_returned_coroutines_and_sync_next_are_fine(caplog: pytest.LogCaptureFixture) -> None:
    """What works must not warn: a def handler returning res.render(...), a def
    middleware calling next() without await, an async one that forgot to await it."""
    app = hp.Harpia(development=True)
    app.engine.set(Engine())

    def sync_mw(req: Request, res: Response, next: Next) -> None:
        next()

    async def forgetful(req: Request, res: Response, next: Next) -> None:
        next()  # not awaited: the chain still goes on when it returns

    app.use(sync_mw, forgetful)
    app.get("/render", lambda req, res: res.render("page", {}))
    with caplog.at_level(logging.WARNING, logger="harpia"):
        res = await TestClient(app).get("/render")
    assert (res.status, res.text()) == (200, "<p>page</p>")
    assert warnings_of(caplog) == []


async def test_intended_empty_answers_do_not_warn(caplog: pytest.LogCaptureFixture) -> None:
    app = hp.Harpia(development=True)
    app.delete("/x", lambda req, res: res.status(204) and None)
    app.put("/y", lambda req, res: res.status(202) and None)
    with caplog.at_level(logging.WARNING, logger="harpia"):
        client = TestClient(app)
        assert (await client.delete("/x")).status == 204
        assert (await client.put("/y")).status == 202
    assert warnings_of(caplog) == []


async def test_production_stays_quiet(caplog: pytest.LogCaptureFixture) -> None:
    app = hp.Harpia()

    async def stop(req: Request, res: Response, next: Next) -> None:
        pass

    app.get("/none", lambda req, res: None)
    app.get("/stop", stop, lambda req, res: None)
    with caplog.at_level(logging.DEBUG, logger="harpia"):
        client = TestClient(app)
        assert (await client.get("/none")).status == 204
        assert (await client.get("/stop")).status == 204
    assert [r for r in caplog.records if r.name == "harpia"] == []


# -- one response per request (both modes) ----------------------------------------------


@pytest.mark.parametrize("development", [False, True])
async def test_a_second_send_is_a_runtime_error_naming_the_first(development: bool) -> None:
    app = hp.Harpia(development=development)

    @app.get("/x")
    def twice(req: Request, res: Response) -> None:
        res.json({"a": 1})
        res.text("b")

    res = await TestClient(app).get("/x")
    assert res.status == 500
    error = error_of(res)
    assert isinstance(error, RuntimeError)
    assert str(error).startswith(
        "response already sent by res.json at route GET /x: res.text cannot send another one"
    )


@pytest.mark.parametrize(
    ("first", "second", "name"),
    [
        (lambda res: res.send("a"), lambda res: res.html("b"), "res.send"),
        (lambda res: res.redirect("/a"), lambda res: res.json({}), "res.redirect"),
        (lambda res: res.stream(_chunks()), lambda res: res.send(b"x"), "res.stream"),
        (lambda res: res.html("a"), lambda res: res.redirect("/b"), "res.html"),
        (lambda res: res.text("a"), lambda res: res.stream(_chunks()), "res.text"),
    ],
)
async def test_every_send_helper_refuses_a_second_body(first: Any, second: Any, name: str) -> None:
    app = hp.harpia()

    def handler(req: Request, res: Response) -> None:
        first(res)
        second(res)

    app.get("/", handler)
    res = await TestClient(app).get("/")
    assert res.status == 500
    assert f"response already sent by {name}" in str(error_of(res))


async def _chunks() -> AsyncIterator[bytes]:
    yield b"x"


async def test_render_and_file_after_a_send_are_refused(tmp_path: Path) -> None:
    app = hp.harpia()
    app.engine.set(Engine())
    (tmp_path / "a.txt").write_text("a")

    @app.get("/render")
    async def render(req: Request, res: Response) -> None:
        res.text("first")
        await res.render("page", {})

    @app.get("/file")
    async def file(req: Request, res: Response) -> None:
        await res.render("page", {})
        await res.file(tmp_path / "a.txt")

    client = TestClient(app)
    first = await client.get("/render")
    assert "already sent by res.text at route GET /render: res.render" in str(error_of(first))
    second = await client.get("/file")
    assert "already sent by res.render at route GET /file: res.file" in str(error_of(second))


@pytest.mark.parametrize("value", [{"b": 2}, "text", b"bytes", ["x"], ("body", 201)])
async def test_returning_a_value_after_sending_is_the_same_error(value: Any) -> None:
    app = hp.harpia()

    def handler(req: Request, res: Response) -> Any:
        res.json({"a": 1})
        return value

    app.get("/x", handler)
    res = await TestClient(app).get("/x")
    assert res.status == 500
    message = str(error_of(res))
    assert message.startswith("response already sent by res.json at route GET /x")
    assert f"returned a {type(value).__name__}" in message
    assert "either send with res.* or return a value, not both" in message


async def test_returning_res_after_sending_is_fine() -> None:
    app = hp.harpia()
    app.post("/x", lambda req, res: res.status(201).json({"ok": True}))
    res = await TestClient(app).post("/x")
    assert (res.status, res.json()) == (201, {"ok": True})


async def test_errors_after_a_send_still_become_error_responses() -> None:
    app = hp.harpia()

    @app.get("/x")
    def fails(req: Request, res: Response) -> None:
        res.json({"partial": True})
        raise HTTPError(409, "conflict")

    res = await TestClient(app).get("/x")
    assert (res.status, res.json()["error"]) == (409, "conflict")


async def test_a_middleware_may_replace_an_error_response_and_add_headers() -> None:
    """Error responses (404, HTTPError, 500) stay replaceable: custom error pages."""
    app = hp.harpia()

    async def pretty_errors(req: Request, res: Response, next: Next) -> None:
        await next()
        res.header("x-after", "yes")  # headers after next() stay allowed
        if res.status_code == 404:
            res.html("<h1>Nothing here</h1>")

    app.use(pretty_errors)
    app.get("/ok", lambda req, res: "fine")
    client = TestClient(app)
    missing = await client.get("/nope")
    assert (missing.status, missing.text()) == (404, "<h1>Nothing here</h1>")
    assert missing.headers["x-after"] == "yes"
    ok = await client.get("/ok")
    assert (ok.status, ok.text(), ok.headers["x-after"]) == (200, "fine", "yes")


async def test_a_middleware_replacing_a_sent_body_is_refused() -> None:
    app = hp.harpia()

    async def rewrite(req: Request, res: Response, next: Next) -> None:
        await next()
        res.json({"rewritten": True})

    app.use(rewrite)
    app.get("/", lambda req, res: {"original": True})
    res = await TestClient(app).get("/")
    assert res.status == 500
    assert "response already sent by res.json at route GET /" in str(error_of(res))


@pytest.mark.parametrize("driver", ["asyncio", "anyio"])
async def test_real_socket_server_development_option_turns_the_checks_on(
    driver: str, caplog: pytest.LogCaptureFixture
) -> None:
    """``Server(app, development=True)`` (what ``--dev`` does) recomposes a production
    app's chains with the checks: over a real socket the answer is the same 204, and the
    warning names the route."""
    app = hp.harpia()
    app.get("/quiet", lambda req, res: None)
    with caplog.at_level(logging.WARNING, logger="harpia"):
        async with running(app, driver) as server, client(server.port or 0) as c:
            await c.send(get("/quiet"))
            assert (await c.response()).status == 204
        assert warnings_of(caplog) == []
        async with running(app, driver, development=True) as server, client(server.port or 0) as c:
            await c.send(get("/quiet"))
            reply = await c.response()
    assert (reply.status, reply.body) == (204, b"")
    [message] = warnings_of(caplog)
    assert message.startswith("GET /quiet: no response was sent, answered 204 No Content")
