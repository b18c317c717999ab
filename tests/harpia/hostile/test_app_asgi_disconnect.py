"""D5: a client that leaves in the middle of its body never hands a handler a truncated body.

Content-Length 100000 with 50000 bytes sent, or a chunked body cut after 30000 bytes, then
the socket closed: the handler's ``req.body()`` raises ``ClientDisconnected`` — under
uvicorn (the ASGI adapter) as on both native drivers.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.harpia.server.conftest import front_end

from .app_asgi import make_app

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

STEP = 5.0

CUT = {
    "content-length": (
        b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 100000\r\n\r\n" + b"a" * 50_000
    ),
    "chunked": (
        b"POST /echo HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n"
        + b"".join(b"2710\r\n" + b"b" * 10_000 + b"\r\n" for _ in range(3))
    ),
}


def server(kind: str) -> AbstractAsyncContextManager[int]:
    return front_end(kind, make_app, "tests.harpia.hostile.app_asgi:app")


async def call(port: int, request: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), STEP)
    try:
        writer.write(request)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), STEP)
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body


async def events(port: int) -> list[Any]:
    status, body = await call(port, b"GET /events HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
    assert status == 200
    found: list[Any] = json.loads(body)
    return found


@pytest.mark.parametrize("framing", sorted(CUT))
@pytest.mark.parametrize("kind", ["asyncio", "anyio", "uvicorn"])
async def test_a_body_cut_by_a_disconnect_is_never_seen_whole(kind: str, framing: str) -> None:
    async with asyncio.timeout(30), server(kind) as port:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(CUT[framing])
        await writer.drain()
        await asyncio.sleep(0.2)  # the handler is waiting for the rest
        writer.close()  # FIN: the rest never comes
        seen: list[Any] = []
        for _ in range(50):  # bounded: 5 s
            seen = await events(port)
            if seen:
                break
            await asyncio.sleep(0.1)
        print(f"\n{kind}/{framing}: the handler saw {seen}")
        assert seen == ["disconnected"]
        status, body = await call(
            port,
            b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n"
            b"connection: close\r\n\r\nhello",
        )
        assert (status, json.loads(body)) == (200, {"size": 5})
