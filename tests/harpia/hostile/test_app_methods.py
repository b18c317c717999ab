"""D4: methods are case-sensitive (RFC 9110 §9.1) on the wire, on both drivers.

``post /transfer`` with a valid session cookie and no CSRF token used to be routed as
``POST`` while the CSRF middleware, comparing exactly, saw a safe method: 200. Now a
method is routed exactly as sent: ``post`` finds no route (405 with ``Allow``, 404 on an
unknown path), like any unknown method (``FOO``), and never reaches the handler; with
the CSRF middleware in front, ``post`` is refused by it (403) as ``POST`` is.
"""

from __future__ import annotations

import json

import pytest

from harpia import CSRF, Request, Response, Session, harpia
from tests.harpia.server.conftest import client, running
from tests.harpia.session_app import make_app


@pytest.mark.parametrize("driver", ["asyncio", "anyio"])
async def test_a_lowercase_method_is_not_routed_as_the_uppercase_one(driver: str) -> None:
    app = make_app(Session(), CSRF())
    plain = harpia()  # routing alone: no CSRF middleware answering before the router
    handled: list[str] = []

    def hello(req: Request, res: Response) -> str:
        handled.append(req.method)
        return "hello"

    plain.get("/hello", hello)
    plain.post("/hello", hello)
    async with running(plain, driver) as server:
        assert server.port is not None
        async with client(server.port) as c:
            for method, path, status in [
                (b"post", b"/hello", 405),
                (b"get", b"/hello", 405),
                (b"Post", b"/hello", 405),
                (b"FOO", b"/hello", 405),
                (b"post", b"/nope", 404),
            ]:
                await c.send(
                    b"%s %s HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n" % (method, path)
                )
                reply = await c.response()
                assert reply.status == status, method
                if status == 405:
                    assert reply.headers[b"allow"] == b"GET, HEAD, POST"
            assert handled == []

    async with running(app, driver) as server:
        assert server.port is not None
        async with client(server.port) as c:  # a session, then the CSRF bypass attempt
            await c.send(b"GET /form HTTP/1.1\r\nhost: x\r\n\r\n")
            reply = await c.response()
            token = json.loads(reply.body)["token"]
            anonymous = reply.headers[b"set-cookie"].split(b";", 1)[0].decode()
            form = b"user=ann"
            await c.send(
                b"POST /login HTTP/1.1\r\nhost: x\r\ncookie: %s\r\nx-csrf-token: %s\r\n"
                b"content-type: application/x-www-form-urlencoded\r\n"
                b"content-length: %d\r\n\r\n%s"
                % (anonymous.encode(), token.encode(), len(form), form)
            )
            reply = await c.response()
            assert reply.status == 200
            sid = reply.headers[b"set-cookie"].split(b";", 1)[0]
            results = {}
            for method in (b"post", b"POST", b"pOsT"):
                await c.send(
                    b"%s /transfer HTTP/1.1\r\nhost: x\r\ncookie: %s\r\ncontent-length: 0\r\n\r\n"
                    % (method, sid)
                )
                results[method] = (await c.response()).status
            print(f"\n{driver}: transfer without a CSRF token: {results}")
            # CSRF checks every method that is not exactly a safe one, so the lowercase
            # forms are refused before routing, as POST is; none reaches the handler.
            assert results == {b"post": 403, b"POST": 403, b"pOsT": 403}
