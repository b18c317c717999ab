"""Compression and server-sent events over real sockets: both native drivers and uvicorn.

A raw client reads the response as it comes (h11 parses it): compressed chunks must
decode one by one while the stream is still open, events and keep-alive comments must
arrive as they are made, and a client that goes away must get its event source closed.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import zlib
from typing import TYPE_CHECKING, Any

import brotli
import h11
import pytest

from tests.harpia.stream_app import BODY_BYTES, GATES, make_app

from .conftest import TIMEOUT, front_end, running

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

KINDS = ["asyncio", "anyio", "uvicorn"]


def server(kind: str) -> AbstractAsyncContextManager[int]:
    return front_end(kind, make_app, "tests.harpia.stream_app:app")


class Reader:
    """One request on a raw socket, its response read event by event."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.conn = h11.Connection(h11.CLIENT)
        self.status = 0
        self.headers: dict[str, str] = {}

    @classmethod
    async def get(cls, port: int, path: str, *headers: tuple[str, str]) -> Reader:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), TIMEOUT)
        self = cls(reader, writer)
        request = h11.Request(
            method="GET", target=path, headers=[("host", "t"), ("connection", "close"), *headers]
        )
        writer.write(self.conn.send(request) + self.conn.send(h11.EndOfMessage()))
        await writer.drain()
        event = await self.next()
        assert isinstance(event, h11.Response), event
        self.status = event.status_code
        self.headers = {k.decode(): v.decode() for k, v in event.headers}
        return self

    async def next(self) -> Any:
        for _ in range(10_000):
            event = self.conn.next_event()
            if event is not h11.NEED_DATA:
                return event
            data = await asyncio.wait_for(self.reader.read(65536), TIMEOUT)
            self.conn.receive_data(data)
        raise AssertionError("no event")

    async def data(self) -> bytes | None:
        """The next body chunk; None at the end."""
        event = await self.next()
        if isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            return None
        assert isinstance(event, h11.Data), event
        return bytes(event.data)

    async def body(self) -> bytes:
        parts: list[bytes] = []
        for _ in range(10_000):
            part = await self.data()
            if part is None:
                return b"".join(parts)
            parts.append(part)
        raise AssertionError("endless body")

    def close(self) -> None:
        self.writer.close()


async def log(port: int) -> list[str]:
    reply = await Reader.get(port, "/log")
    try:
        found: list[str] = json.loads(await reply.body())
        return found
    finally:
        reply.close()


async def until_logged(port: int, line: str, seconds: float = 10.0) -> list[str]:
    for _ in range(int(seconds / 0.05)):
        lines = await log(port)
        if line in lines:
            return lines
        await asyncio.sleep(0.05)
    raise AssertionError(f"{line!r} never logged: {lines}")


@pytest.mark.parametrize("kind", KINDS)
async def test_compressed_bodies_over_the_wire(kind: str) -> None:
    async with asyncio.timeout(30), server(kind) as port:
        for coding in ("gzip", "br"):
            reply = await Reader.get(port, "/json", ("accept-encoding", coding))
            body = await reply.body()
            reply.close()
            assert reply.headers["content-encoding"] == coding
            assert reply.headers["vary"] == "Accept-Encoding"
            assert int(reply.headers["content-length"]) == len(body)
            plain = gzip.decompress(body) if coding == "gzip" else brotli.decompress(body)
            assert plain == BODY_BYTES
        reply = await Reader.get(port, "/chunks?n=40", ("accept-encoding", "gzip"))
        streamed = await reply.body()
        reply.close()
        assert reply.headers["content-encoding"] == "gzip"
        assert reply.headers.get("transfer-encoding") == "chunked"
        assert gzip.decompress(streamed).count(b"chunk ") == 40


@pytest.mark.parametrize("kind", ["asyncio", "anyio"])
async def test_each_compressed_chunk_is_flushed_before_the_next_exists(kind: str) -> None:
    async with asyncio.timeout(30), running(make_app(), kind) as native:
        assert native.port is not None
        reply = await Reader.get(native.port, "/gated", ("accept-encoding", "gzip"))
        decoder = zlib.decompressobj(31)
        seen = b""
        for _ in range(100):  # the second chunk cannot exist before the gate opens
            part = await reply.data()
            assert part is not None, "the stream ended before the gate opened"
            seen += decoder.decompress(part)
            if seen.startswith(b"first"):
                break
        assert seen == b"first " + b"y" * 200 + b"\n"
        GATES[-1].set()
        rest = await reply.body()
        reply.close()
        assert decoder.decompress(rest) + decoder.flush() == b"second\n"


def parse_events(raw: bytes) -> list[dict[str, str]]:
    events = []
    for block in raw.decode().split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            name, _, value = line.partition(": ")
            if name:
                fields[name] = fields[name] + "\n" + value if name in fields else value
        if fields:
            events.append(fields)
    return events


@pytest.mark.parametrize("kind", KINDS)
async def test_events_arrive_as_made_and_resume_from_last_event_id(kind: str) -> None:
    async with asyncio.timeout(30), server(kind) as port:
        reply = await Reader.get(port, "/events?count=3&every=0.01")
        raw = await reply.body()
        reply.close()
        assert reply.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert reply.headers["cache-control"] == "no-cache"
        assert reply.headers["x-accel-buffering"] == "no"
        events = parse_events(raw)
        assert [e["id"] for e in events] == ["1", "2", "3"]
        assert events[0] == {"event": "tick", "id": "1", "retry": "200", "data": "tick 1"}
        reply = await Reader.get(port, "/events?count=2&every=0.01", ("last-event-id", "3"))
        resumed = parse_events(await reply.body())
        reply.close()
        assert [e["data"] for e in resumed] == ["tick 4", "tick 5"]
        lines = await until_logged(port, "closed 3-2")
        assert "closed 0-3" in lines


@pytest.mark.parametrize("coding", ["identity", "gzip"])
@pytest.mark.parametrize("kind", KINDS)
async def test_keep_alive_comments_then_disconnect_closes_the_source(
    kind: str, coding: str
) -> None:
    async with asyncio.timeout(40), server(kind) as port:
        # one event, then nothing for 30 s: only the pings (every 0.1 s) keep it talking
        reply = await Reader.get(
            port, "/events?count=0&every=30&ping=0.1", ("accept-encoding", coding)
        )
        assert reply.headers.get("content-encoding", "identity") == coding
        decoder = zlib.decompressobj(31)
        seen = b""
        for _ in range(200):
            part = await reply.data()
            assert part is not None
            seen += decoder.decompress(part) if coding == "gzip" else part
            if seen.count(b": ping\n\n") >= 2:
                break
        assert seen.startswith(b"event: tick\nid: 1\nretry: 200\ndata: tick 1\n\n")
        assert seen.endswith(b": ping\n\n")
        await until_logged(port, "open 0-0")
        reply.close()  # the client goes away while the source sleeps
        lines = await until_logged(port, "closed 0-0")
        assert lines.count("closed 0-0") == 1


@pytest.mark.parametrize("kind", KINDS)
async def test_disconnect_mid_stream_closes_a_busy_source(kind: str) -> None:
    async with asyncio.timeout(40), server(kind) as port:
        reply = await Reader.get(port, "/events?count=0&every=0.02", ("accept-encoding", "gzip"))
        assert reply.headers["content-encoding"] == "gzip"
        decoder = zlib.decompressobj(31)
        text = b""
        for _ in range(200):
            part = await reply.data()
            assert part is not None
            text += decoder.decompress(part)
            if b"id: 3\n" in text:
                break
        assert b"data: tick 1\n" in text  # each event decodes as it arrives
        reply.close()
        await until_logged(port, "closed 0-0")
