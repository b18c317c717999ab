"""D4 (CSRF part): the CSRF middleware checks every method that is not exactly GET, HEAD,
OPTIONS or TRACE. Reproduction of issue 16: ``post /s/transfer`` with a valid session
cookie and no token was answered 200 (``POST``: 403).

The app answers from a last middleware, not a route, so what is asserted is the CSRF
middleware's decision whatever the router does with an unknown or lowercase method.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from harpia import CSRF, MemoryStore, Request, Session, TestClient, harpia
from tests.harpia.server.conftest import client, driver, running

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from harpia import Harpia, Response

__all__ = ["driver"]  # the fixture: each real-socket test runs on both drivers

CHECKED = ("post", "Post", "put", "delete", "patch", "PROPFIND", "MKCOL", "get", "Get", "head")
SAFE = ("GET", "HEAD", "OPTIONS", "TRACE")


def make_app() -> Harpia:
    """``/start`` starts a session, ``/token`` returns its CSRF token; anything else reaches
    the last middleware, which answers ``{"reached": method}``."""
    store = MemoryStore()
    app = harpia()
    app.use(Session(store).middleware())
    app.use(CSRF(store).middleware())

    async def endpoint(req: Request, res: Response, next: Callable[[], Awaitable[None]]) -> None:
        if req.path == "/start":
            req.session["user"] = "ann"
        elif req.path == "/token":
            res.json({"token": req.csrf_token})  # bound to the session started before
        else:
            res.json({"reached": req.method})

    app.use(endpoint)
    return app


async def start(test_client: TestClient) -> tuple[str, str]:
    cookie = (await test_client.get("/start")).cookies["session_id"]
    return cookie, (await test_client.get("/token")).json()["token"]


async def send(
    test_client: TestClient, method: str, cookie: str, token: str | None = None
) -> tuple[int, dict[str, object]]:
    """``method`` exactly as given (the TestClient's verbs upper-case theirs)."""
    headers = [(b"host", b"t"), (b"cookie", f"session_id={cookie}".encode())]
    if token is not None:
        headers.append((b"x-csrf-token", token.encode()))
    request = Request(method, "/s/transfer", "", headers, app=test_client.app)
    answer = await test_client.run(request)
    return answer.status, answer.json() if answer.content else {}


async def test_every_method_but_the_safe_four_is_checked_in_process() -> None:
    app = make_app()
    test_client = TestClient(app)
    cookie, token = await start(test_client)
    for method in CHECKED:
        status, body = await send(test_client, method, cookie)
        assert status == 403, (method, body)
        assert str(body["error"]).startswith("CSRF check failed: no CSRF token")
        status, body = await send(test_client, method, cookie, token)
        assert (status, body) == (200, {"reached": method}), method
    for method in SAFE:
        status, _ = await send(test_client, method, cookie)
        assert status == 200, method


async def test_lowercase_post_is_refused_over_a_socket(driver: str) -> None:
    """The issue's bytes on a real socket, on both drivers."""
    app = make_app()
    cookie, token = await start(TestClient(app))  # same app, same store
    async with running(app, driver) as server:
        port = server.port or 0
        for method, header, expected in (
            (b"post", b"", 403),
            (b"POST", b"", 403),
            (b"post", b"x-csrf-token: " + token.encode() + b"\r\n", 200),
        ):
            async with client(port) as c:
                await c.send(
                    method + b" /s/transfer HTTP/1.1\r\nhost: t\r\ncontent-length: 0\r\n"
                    b"cookie: session_id=" + cookie.encode() + b"\r\n" + header + b"\r\n"
                )
                reply = await c.response(method.upper())
            assert reply.status == expected, (method, reply.body)
            if expected == 200:
                assert json.loads(reply.body) == {"reached": method.decode()}
