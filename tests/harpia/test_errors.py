"""Error responses: 404, 405, HTTPError, unexpected exceptions, errors inside middleware."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import pytest

import harpia as hp
from harpia import HTTPError, Request, Response, TestClient

Next = Callable[[], Awaitable[None]]


def boom(req: Request, res: Response) -> None:
    raise RuntimeError("secret database password")


async def test_unknown_path_is_404_json() -> None:
    res = await TestClient(hp.harpia()).get("/nothing")
    assert res.status == 404
    assert res.headers["content-type"] == "application/json"
    assert res.json() == {"error": "Not Found", "status": 404}


async def test_unknown_path_is_404_html_for_browsers() -> None:
    res = await TestClient(hp.harpia()).get("/nothing").set("Accept", "text/html,*/*")
    assert res.status == 404
    assert res.headers["content-type"].startswith("text/html")
    assert "404 Not Found" in res.text()


async def test_wrong_method_is_405_with_allow() -> None:
    app = hp.harpia()
    app.get("/r", lambda req, res: "r")
    app.put("/r", lambda req, res: "r")
    app.post("/only-post", lambda req, res: "p")
    client = TestClient(app)
    res = await client.delete("/r")
    assert res.status == 405
    assert res.json() == {"error": "Method Not Allowed", "status": 405}
    assert sorted(res.headers["allow"].split(", ")) == ["GET", "HEAD", "PUT"]
    res = await client.get("/only-post")
    assert (res.status, res.headers["allow"]) == (405, "POST")


async def test_405_with_params() -> None:
    app = hp.harpia()
    app.get("/users/:id", lambda req, res: "u")
    res = await TestClient(app).patch("/users/3")
    assert res.status == 405
    assert res.headers["allow"] == "GET, HEAD"


async def test_http_error_from_a_handler() -> None:
    app = hp.harpia()

    def handler(req: Request, res: Response) -> None:
        raise HTTPError(403, "no entry")

    app.get("/", handler)
    client = TestClient(app)
    res = await client.get("/")
    assert res.status == 403
    assert res.json() == {"error": "no entry", "status": 403}
    html = await client.get("/").set("Accept", "text/html")
    assert html.status == 403
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert "403 no entry" in html.text()


async def test_http_error_escapes_html() -> None:
    app = hp.harpia()

    def handler(req: Request, res: Response) -> None:
        raise HTTPError(400, "<script>x</script>")

    app.get("/", handler)
    res = await TestClient(app).get("/").set("Accept", "text/html")
    assert "<script>" not in res.text()
    assert "&lt;script&gt;" in res.text()


async def test_http_error_headers_and_detail() -> None:
    app = hp.harpia()

    async def handler(req: Request, res: Response) -> None:
        raise HTTPError(401, headers={"WWW-Authenticate": "Bearer"}, detail={"field": "token"})

    app.get("/", handler)
    res = await TestClient(app).get("/")
    assert res.status == 401
    assert res.headers["www-authenticate"] == "Bearer"
    assert res.json() == {"error": "Unauthorized", "status": 401, "detail": {"field": "token"}}


async def test_http_error_replaces_what_the_handler_had_started() -> None:
    app = hp.harpia()

    def handler(req: Request, res: Response) -> None:
        res.status(200).header("content-length", "999").text("partial")
        raise HTTPError(409, "conflict")

    app.get("/", handler)
    res = await TestClient(app).get("/")
    assert res.status == 409
    assert res.json() == {"error": "conflict", "status": 409}
    assert res.headers["content-length"] == str(len(res.content))


def test_http_error_rejects_non_error_status() -> None:
    with pytest.raises(ValueError):
        HTTPError(200)
    with pytest.raises(ValueError):
        HTTPError(600)
    assert HTTPError(418).message == "I'm a Teapot"
    assert repr(HTTPError(404)) == "HTTPError(404, 'Not Found')"


async def test_http_error_from_a_middleware() -> None:
    app = hp.harpia()
    reached: list[bool] = []

    async def guard(req: Request, res: Response, next: Next) -> None:
        if req.headers.get("authorization") != "Bearer ok":
            raise HTTPError(403, "forbidden here")
        await next()

    def handler(req: Request, res: Response) -> str:
        reached.append(True)
        return "in"

    app.use(guard)
    app.get("/", handler)
    client = TestClient(app)
    res = await client.get("/")
    assert (res.status, res.json()["error"]) == (403, "forbidden here")
    assert reached == []
    ok = await client.get("/").set("Authorization", "Bearer ok")
    assert (ok.status, ok.text()) == (200, "in")


async def test_unexpected_exception_is_a_generic_500_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = hp.harpia()
    app.get("/boom", boom)
    with caplog.at_level(logging.ERROR, logger="harpia"):
        res = await TestClient(app).get("/boom")
    assert res.status == 500
    assert res.json() == {"error": "Internal Server Error", "status": 500}
    assert "secret" not in res.text()
    records = [r for r in caplog.records if r.name == "harpia"]
    assert len(records) == 1
    assert records[0].exc_info is not None
    assert isinstance(records[0].exc_info[1], RuntimeError)
    assert "/boom" in records[0].getMessage()


async def test_development_mode_shows_the_traceback(caplog: pytest.LogCaptureFixture) -> None:
    app = hp.Harpia(development=True)
    app.get("/boom", boom)
    client = TestClient(app)
    with caplog.at_level(logging.ERROR, logger="harpia"):
        res = await client.get("/boom")
        html = await client.get("/boom").set("Accept", "text/html")
    assert res.status == 500
    detail = res.json()["detail"]
    assert "Traceback" in detail
    assert "RuntimeError: secret database password" in detail
    assert "in boom" in detail
    assert "RuntimeError: secret database password" in html.text()
    assert len([r for r in caplog.records if r.name == "harpia"]) == 2


async def test_exception_in_a_middleware_before_next() -> None:
    app = hp.harpia()

    def broken(req: Request, res: Response, next: Next) -> None:
        raise KeyError("nope")

    app.use(broken)
    app.get("/", lambda req, res: "never")
    async with asyncio.timeout(5):
        res = await TestClient(app).get("/")
    assert res.status == 500


async def test_exception_in_a_middleware_after_next() -> None:
    app = hp.harpia()

    async def broken(req: Request, res: Response, next: Next) -> None:
        await next()
        raise ValueError("after")

    app.use(broken)
    app.get("/", lambda req, res: "fine")
    async with asyncio.timeout(5):
        res = await TestClient(app).get("/")
    assert res.status == 500
    assert isinstance(res.response.error if res.response else None, ValueError)


async def test_middleware_that_never_calls_next_and_never_answers() -> None:
    app = hp.harpia()
    app.use(lambda req, res, next: None)
    app.get("/", lambda req, res: "unreached")
    async with asyncio.timeout(5):
        res = await TestClient(app).get("/")
    assert res.status == 204


async def test_outer_middleware_decorates_404_and_500() -> None:
    app = hp.harpia()
    errors: list[BaseException | None] = []

    async def stamp(req: Request, res: Response, next: Next) -> None:
        await next()
        errors.append(res.error)
        res.header("x-request-id", "abc")

    app.use(stamp)
    app.get("/boom", boom)
    app.get("/ok", lambda req, res: "ok")
    client = TestClient(app)
    missing = await client.get("/missing")
    failed = await client.get("/boom")
    ok = await client.get("/ok")
    assert (missing.status, missing.headers["x-request-id"]) == (404, "abc")
    assert (failed.status, failed.headers["x-request-id"]) == (500, "abc")
    assert ok.headers["x-request-id"] == "abc"
    assert isinstance(errors[0], HTTPError)
    assert errors[0].status == 404
    assert isinstance(errors[1], RuntimeError)
    assert errors[2] is None


async def test_outer_middleware_can_replace_an_error_response() -> None:
    app = hp.harpia()

    async def friendly(req: Request, res: Response, next: Next) -> None:
        await next()
        if isinstance(res.error, RuntimeError):
            res.status(503).text("try later")

    app.use(friendly)
    app.get("/boom", boom)
    res = await TestClient(app).get("/boom")
    assert (res.status, res.text()) == (503, "try later")


@pytest.mark.parametrize(
    "headers", [{"X-Bad": "a\r\nInjected: 1"}, {"X-Bad": "\x01"}, {"bad name": "v"}, {"X": 1}]
)
@pytest.mark.parametrize("with_middleware", [False, True])
async def test_an_http_error_with_an_unsendable_header_is_a_logged_500(
    headers: dict[str, object], with_middleware: bool, caplog: pytest.LogCaptureFixture
) -> None:
    app = hp.harpia()
    after: list[int] = []

    async def outer(req: Request, res: Response, next: Next) -> None:
        await next()
        after.append(res.status_code)

    if with_middleware:
        app.use(outer)

    def refuse(req: Request, res: Response) -> None:
        raise HTTPError(401, headers=headers)  # type: ignore[arg-type]

    app.get("/x", refuse)
    with caplog.at_level(logging.ERROR, logger="harpia"):
        res = await app.handle(Request("GET", "/x"))  # documented never to raise
    assert res.status_code == 500
    assert res.body == b'{"error":"Internal Server Error","status":500}'
    assert "injected" not in {name.lower() for name, _ in res.headers}
    assert isinstance(res.error, HTTPError)
    assert res.error.status == 401
    assert any("cannot be sent" in r.getMessage() for r in caplog.records if r.name == "harpia")
    assert after == ([500] if with_middleware else [])


async def test_an_error_that_cannot_be_rendered_still_answers_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = hp.harpia()

    def broken(req: Request, res: Response) -> None:
        error = HTTPError(400)
        error.status = 99  # altered into nonsense after construction
        raise error

    app.get("/x", broken)
    with caplog.at_level(logging.ERROR, logger="harpia"):
        res = await app.handle(Request("GET", "/x"))
    assert (res.status_code, res.sent) == (500, True)
    assert res.body == b'{"error":"Internal Server Error","status":500}'
