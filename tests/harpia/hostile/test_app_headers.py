"""D10: header edge cases on the wire, on both drivers.

``res.redirect("/日本")`` used to be a 500 (not latin-1): the Location is now
percent-encoded. ``\\x01`` and ``\\x7f`` in a header value used to reach the client: now
setting them raises (a 500, nothing emitted). An ``HTTPError`` carrying an unsendable
header, raised with no middleware, used to escape ``Harpia.handle`` and close the
connection without a response: now a logged 500, and the connection stays usable.
"""

from __future__ import annotations

import logging

import pytest

from harpia import Harpia, HTTPError, Request, Response, harpia
from tests.harpia.server.conftest import client, running


def make_app() -> Harpia:
    app = harpia()
    app.get("/jp", lambda req, res: res.redirect("/日本?q=a b&x=%2F"))

    @app.get("/ctl/:n")
    def control(req: Request, res: Response) -> str:
        res.header("X-Odd", f"a{chr(int(req.params['n']))}b")
        return "sent"

    @app.get("/err")
    def refuse(req: Request, res: Response) -> None:
        raise HTTPError(401, headers={"WWW-Authenticate": "Basic\r\nX-Injected: 1"})

    app.get("/ok", lambda req, res: "ok")
    return app


@pytest.mark.parametrize("driver", ["asyncio", "anyio"])
async def test_header_edge_cases_on_the_wire(driver: str, caplog: pytest.LogCaptureFixture) -> None:
    async with running(make_app(), driver) as server:
        assert server.port is not None
        async with client(server.port) as c:
            await c.send(b"GET /jp HTTP/1.1\r\nhost: x\r\n\r\n")
            reply = await c.response()
            assert reply.status == 302
            assert reply.headers[b"location"] == b"/%E6%97%A5%E6%9C%AC?q=a%20b&x=%2F"

            for code in (0x01, 0x08, 0x0B, 0x1F, 0x7F):
                with caplog.at_level(logging.CRITICAL, logger="harpia"):
                    await c.send(b"GET /ctl/%d HTTP/1.1\r\nhost: x\r\n\r\n" % code)
                    reply = await c.response()
                assert reply.status == 500, code
                assert b"x-odd" not in reply.headers

            caplog.clear()
            with caplog.at_level(logging.ERROR, logger="harpia"):
                await c.send(b"GET /err HTTP/1.1\r\nhost: x\r\n\r\n")
                reply = await c.response()
            assert reply.status == 500
            assert b"x-injected" not in reply.headers
            assert any("cannot be sent" in r.getMessage() for r in caplog.records)

            await c.send(b"GET /ok HTTP/1.1\r\nhost: x\r\n\r\n")  # the same connection
            reply = await c.response()
            assert (reply.status, reply.body) == (200, b"ok")
