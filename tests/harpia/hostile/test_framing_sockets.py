"""Request smuggling and framing on real sockets: both drivers, and the ASGI Host rule.

Every refused case is sent with a second request pipelined behind it: the server must
answer exactly one 400, close, and never run the app for either request; a fresh
connection is served normally afterwards. Under ASGI the ASGI server does the framing,
so only the Host rule (and the absolute-form authority) is the app's, tested in process
and under uvicorn.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import TYPE_CHECKING, Any

import pytest

from tests.harpia.server.conftest import TIMEOUT, Client, client, running
from tests.support.processes import uvicorn

from . import framing_app
from .test_framing_connection import REFUSED

if TYPE_CHECKING:
    from harpia._server import Server

DRIVERS = ["asyncio", "anyio"]
SMUGGLED = b"GET /rawpath?smuggled=1 HTTP/1.1\r\nHost: x\r\n\r\n"
D6 = (
    b"POST /any HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5\r\nhello\r\n0\r\n\r\n" + SMUGGLED
)


def port_of(server: Server) -> int:
    port = server.port
    assert port is not None
    return port


async def statuses_until_close(c: Client) -> list[bytes]:
    """The status lines of everything the server sends before it closes."""
    data = b""
    for _ in range(100):
        try:
            chunk = await asyncio.wait_for(c.reader.read(65536), TIMEOUT)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return re.findall(rb"HTTP/1\.1 \d{3} [A-Za-z ]+", data)


async def healthy(port: int) -> dict[str, Any]:
    async with client(port) as c:
        await c.send(b"GET /url HTTP/1.1\r\nHost: ok.example\r\n\r\n")
        reply = await c.response()
        assert reply.status == 200
        result: dict[str, Any] = json.loads(reply.body)
        return result


@pytest.mark.parametrize("driver", DRIVERS)
async def test_d6_reproduction_is_one_400_and_a_close(driver: str) -> None:
    framing_app.served.clear()
    async with running(framing_app.make_app(), driver) as server, client(port_of(server)) as c:
        await c.send(D6)
        assert await statuses_until_close(c) == [b"HTTP/1.1 400 Bad Request"]
        assert framing_app.served == []  # neither the POST nor the smuggled GET ran
        assert (await healthy(port_of(server)))["url"] == "http://ok.example/url"


@pytest.mark.parametrize("driver", DRIVERS)
async def test_every_smuggling_case_is_refused_and_what_follows_never_served(driver: str) -> None:
    framing_app.served.clear()
    async with running(framing_app.make_app(), driver) as server:
        for name, (data, _) in sorted(REFUSED.items()):
            async with client(port_of(server)) as c:
                await c.send(data + SMUGGLED)
                assert await statuses_until_close(c) == [b"HTTP/1.1 400 Bad Request"], name
        assert framing_app.served == []
        await healthy(port_of(server))
        framing_app.served.clear()
        # and after a good request on the same connection: the second head is checked too
        for name, (data, _) in sorted(REFUSED.items()):
            async with client(port_of(server)) as c:
                await c.send(b"GET /url HTTP/1.1\r\nHost: x\r\n\r\n" + data + SMUGGLED)
                statuses = await statuses_until_close(c)
                assert statuses == [b"HTTP/1.1 200 OK", b"HTTP/1.1 400 Bad Request"], name
        assert framing_app.served == ["GET /url?"] * len(REFUSED)


@pytest.mark.parametrize("driver", DRIVERS)
async def test_the_absolute_form_authority_wins_over_host(driver: str) -> None:
    async with running(framing_app.make_app(), driver) as server, client(port_of(server)) as c:
        await c.send(b"GET http://a.example:8080/url?x=1 HTTP/1.1\r\nHost: evil.example\r\n\r\n")
        reply = await c.response()
        assert reply.status == 200
        assert json.loads(reply.body)["url"] == "http://a.example:8080/url?x=1"
        assert json.loads(reply.body)["host"] == "a.example:8080"
        await c.send(b"GET /url HTTP/1.0\r\n\r\n")  # no Host: the server's address
        reply = await c.response()
        assert json.loads(reply.body)["url"] == f"http://127.0.0.1:{port_of(server)}/url"


# -- ASGI ---------------------------------------------------------------------------------


async def asgi_call(headers: list[tuple[bytes, bytes]], raw_path: bytes = b"/url") -> Any:
    scope = {
        "type": "http",
        "method": "GET",
        "path": raw_path.decode(),
        "raw_path": raw_path,
        "query_string": b"",
        "headers": headers,
        "http_version": "1.1",
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await framing_app.make_app()(scope, receive, send)
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return sent[0]["status"], body


@pytest.mark.parametrize(
    "headers",
    [
        [(b"host", b"a@b/c?d")],
        [(b"host", b"a b")],
        [(b"host", b"")],
        [(b"host", b"a"), (b"Host", b"b")],
    ],
)
async def test_asgi_refuses_a_malformed_host_with_400(headers: list[tuple[bytes, bytes]]) -> None:
    status, body = await asgi_call(headers)
    assert (status, body) == (400, b"Bad Request")


async def test_asgi_takes_the_authority_of_an_absolute_form_path() -> None:
    status, body = await asgi_call([(b"host", b"evil")], b"http://a.example/url")
    assert status == 200
    assert json.loads(body)["url"] == "http://a.example/url"
    status, body = await asgi_call([])  # no Host at all: the ASGI server's business
    assert (status, json.loads(body)["url"]) == (200, "http://127.0.0.1:8000/url")


async def test_asgi_host_rule_under_uvicorn() -> None:
    with uvicorn("tests.harpia.hostile.framing_app:app", "--http", "h11") as port:
        async with client(port) as c:
            await c.send(b"GET /url HTTP/1.1\r\nHost: a@b/c?d\r\n\r\n")
            assert (await c.response()).status == 400
        async with client(port) as c:
            await c.send(b"GET http://a.example/url HTTP/1.1\r\nHost: evil\r\n\r\n")
            reply = await c.response()
            assert (reply.status, json.loads(reply.body)["url"]) == (200, "http://a.example/url")


CHUNKED_BODIES = {
    "bad-chunk-footer": b"5\r\nhelloXX0\r\n\r\n",
    "bare-lf-chunk-header": b"5\nhello\r\n0\r\n\r\n",
    "chunk-size-overflow": b"fffffffffffffffffffff\r\nx\r\n0\r\n\r\n",
    "non-hex-size": b"5g\r\nhello\r\n0\r\n\r\n",
    "bare-lf-ends-trailers": b"5\r\nhello\r\n0\r\n\n",
    "bare-lf-in-a-trailer": b"0\r\nX: a\nY: b\r\n\r\n",
    "obs-fold-in-trailers": b"0\r\nX: a\r\n b\r\n\r\n",
    "ctl-in-a-trailer": b"0\r\nX: \x7f\r\n\r\n",
}


@pytest.mark.parametrize("driver", DRIVERS)
async def test_malformed_chunked_bodies_end_the_connection(driver: str) -> None:
    """The head is fine, the body is not: 400 and a close, the request after never served."""
    framing_app.served.clear()
    async with running(framing_app.make_app(), driver) as server:
        for name, body in sorted(CHUNKED_BODIES.items()):
            async with client(port_of(server)) as c:
                head = b"POST /any HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                await c.send(head + body + SMUGGLED)
                assert await statuses_until_close(c) == [b"HTTP/1.1 400 Bad Request"], name
        assert not [line for line in framing_app.served if "smuggled" in line]
