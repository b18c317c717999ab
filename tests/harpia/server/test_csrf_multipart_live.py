"""CSRF on multipart forms over a real socket (both drivers): the peeked bytes reach the
upload, with ``Content-Length`` and with ``Transfer-Encoding: chunked``."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING

from harpia import TestClient
from tests.harpia.csrf_upload_app import (
    ADVICE,
    CONTENT_TYPE,
    DATA,
    DATA_SHA,
    make_app,
    multipart,
    part,
    start,
)

from .conftest import Reply, client, running

if TYPE_CHECKING:
    from pathlib import Path


def post(body: bytes, cookie: str, *, chunked: bool = False) -> bytes:
    """A ``POST /up`` request, its body framed by Content-Length or in 50 000-byte chunks."""
    head = (
        f"POST /up HTTP/1.1\r\nhost: t\r\ncontent-type: {CONTENT_TYPE}\r\n"
        f"cookie: session_id={cookie}\r\n"
    ).encode()
    if not chunked:
        return head + b"content-length: %d\r\n\r\n" % len(body) + body
    step = 50_000
    framed = b"".join(
        b"%x\r\n%s\r\n" % (len(body[i : i + step]), body[i : i + step])
        for i in range(0, len(body), step)
    )
    return head + b"transfer-encoding: chunked\r\n\r\n" + framed + b"0\r\n\r\n"


async def exchange(port: int, request: bytes) -> Reply:
    """Send ``request`` while reading the reply (a refusal may come before the body is in)."""
    async with client(port) as c:

        async def push() -> None:
            with contextlib.suppress(ConnectionError):
                await c.send(request)

        sender = asyncio.ensure_future(push())
        try:
            return await c.response(b"POST")
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender


async def test_live_multipart_csrf(tmp_path: Path, driver: str) -> None:
    folder = tmp_path / "up"
    app = make_app(folder)
    cookie, token = await start(TestClient(app))  # same app, same MemoryStore
    first = multipart(part("_csrf", token), part("note", "hi"), part("file", DATA, "data.bin"))
    late = multipart(part("file", DATA, "late.bin"), part("_csrf", token))
    async with running(app, driver) as server:
        port = server.port or 0
        for chunked in (False, True):
            reply = await exchange(port, post(first, cookie, chunked=chunked))
            assert reply.status == 200, reply.body
            saved = json.loads(reply.body)
            assert saved["sha256"] == DATA_SHA
            assert saved["form"] == {"_csrf": [token], "note": ["hi"]}
        for chunked in (False, True):
            reply = await exchange(port, post(late, cookie, chunked=chunked))
            assert reply.status == 403
            assert ADVICE in json.loads(reply.body)["error"]
        reply = await exchange(port, post(multipart(part("file", b"x", "x.bin")), cookie))
        assert reply.status == 403
        assert json.loads(reply.body)["error"].startswith("CSRF check failed: no CSRF token")
        wrong = multipart(part("_csrf", "forged"), part("file", DATA, "x.bin"))
        reply = await exchange(port, post(wrong, cookie, chunked=True))
        assert reply.status == 403
        assert "does not match" in json.loads(reply.body)["error"]
    assert sorted(p.name for p in folder.iterdir()) == ["data-1.bin", "data.bin"]
