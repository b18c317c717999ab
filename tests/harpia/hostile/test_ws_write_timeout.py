"""A WebSocket peer that never reads is dropped after ``write_timeout`` s without progress.

Both drivers, real sockets. The server echoes; the client sends until the server stops
reading, then reads nothing: the server must close the connection (the handlers see
1006 "write timeout"), release the socket, and keep serving others meanwhile. A peer
that reads slowly but steadily makes progress and is not dropped (its socket has a
small receive buffer, so that each read reaches the server at once: with loopback's
megabytes of buffers, progress shows only every megabyte or so, which a 30 s default
tolerates but the 1 s of these tests would not).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from harpia import Harpia, WebSocket, harpia
from tests.harpia.server.conftest import client, running

from .rawws import abort, frame, handshake, send_until_stalled

DRIVERS = ["asyncio", "anyio"]
WS = {"max_payload_length": 64 * 1024, "backpressure_limit": 128 * 1024}
WRITE_TIMEOUT = 1.0


def make_app(closed: list[tuple[int, str, float]]) -> Harpia:
    app = harpia()

    class Echo:
        async def message(self, ws: WebSocket, message: str | bytes) -> None:
            await ws.send(message)

        def close(self, ws: WebSocket, code: int, reason: str) -> None:
            closed.append((code, reason, time.monotonic()))

    class Stream:
        async def open(self, ws: WebSocket) -> None:
            for _ in range(400):  # 400 x 16 KiB, for a reader that takes its time
                if not await ws.send(b"s" * 16 * 1024):
                    return

        def close(self, ws: WebSocket, code: int, reason: str) -> None:
            closed.append((code, reason, time.monotonic()))

    app.ws("/echo", Echo)
    app.ws("/stream", Stream)
    app.get("/hello", lambda req, res: res.send("hello"))
    return app


async def gone(reader: asyncio.StreamReader) -> bool:
    """Read what the server had sent until EOF or a reset (bounded): True when it came."""
    for _ in range(10_000):
        try:
            if not await asyncio.wait_for(reader.read(65536), 5):
                return True
        except ConnectionResetError:
            return True
    return False


async def hello_time(port: int) -> float:
    started = time.monotonic()
    async with client(port) as c:
        await c.send(b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        assert (await c.response()).status == 200
    return time.monotonic() - started


@pytest.mark.parametrize("driver", DRIVERS)
async def test_a_peer_that_never_reads_is_closed_after_write_timeout(driver: str) -> None:
    closed: list[tuple[int, str, float]] = []
    app = make_app(closed)
    async with running(app, driver, write_timeout=WRITE_TIMEOUT, ws=WS) as server:
        port = server.port
        assert port is not None
        reader, writer, head = await handshake(port, "/echo")
        assert head.startswith(b"HTTP/1.1 101 ")
        try:
            sent = await send_until_stalled(writer, frame(0x2, b"e" * 60_000), most=2000, stall=0.3)
            stalled_at = time.monotonic()
            assert sent < 2000, "the server never stopped reading"
            assert await hello_time(port) < 1.0  # others are served meanwhile
            for _ in range(100):
                if closed:
                    break
                await asyncio.sleep(0.1)
            assert closed, "the stalled peer was never closed"
            code, reason, at = closed[0]
            assert (code, reason) == (1006, "write timeout")
            waited = at - stalled_at
            print(f"\n{driver}: closed {waited:.2f} s after the client's writes stalled")
            assert waited < WRITE_TIMEOUT + 4
            # the socket is gone on the server's side: the client sees EOF or a reset
            assert await gone(reader)
        finally:
            abort(writer)


@pytest.mark.parametrize("driver", DRIVERS)
async def test_a_slow_reader_that_makes_progress_is_kept(driver: str) -> None:
    closed: list[tuple[int, str, float]] = []
    app = make_app(closed)
    async with running(app, driver, write_timeout=WRITE_TIMEOUT, ws=WS) as server:
        assert server.port is not None
        reader, writer, head = await handshake(server.port, "/stream", receive_buffer=65536)
        assert head.startswith(b"HTTP/1.1 101 ")
        try:
            received = 0
            started = time.monotonic()
            while time.monotonic() - started < 3 * WRITE_TIMEOUT:  # bounded: ~3 s
                received += len(await asyncio.wait_for(reader.read(64 * 1024), 5))
                await asyncio.sleep(WRITE_TIMEOUT / 3)
            assert received > 0
            assert closed == []
        finally:
            abort(writer)


def test_write_timeout_is_validated() -> None:
    from harpia._server._config import Config

    assert Config(port=0).write_timeout == 30.0
    with pytest.raises(ValueError, match="write_timeout"):
        Config(port=0, write_timeout=0)
