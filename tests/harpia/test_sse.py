"""Server-sent events: framing, field checks, keep-alive pings and closing the source."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest

from harpia import Request, Response, ServerSentEvent, TestClient, harpia
from harpia._sse import EventStream, encode_event

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


def test_framing() -> None:
    assert encode_event("hello") == b"data: hello\n\n"
    assert encode_event("a\nb\r\nc\rd") == b"data: a\ndata: b\ndata: c\ndata: d\n\n"
    assert encode_event("") == b"data: \n\n"
    assert encode_event({"data": {"n": 1}, "event": "update", "id": 7, "retry": 1500}) == (
        b'event: update\nid: 7\nretry: 1500\ndata: {"n":1}\n\n'
    )
    assert encode_event(ServerSentEvent(comment="two\nlines")) == b": two\n: lines\n\n"
    assert encode_event(ServerSentEvent()) == b""
    assert encode_event([1, 2]) == b"data: [1,2]\n\n"
    assert encode_event(b"bytes") == b"data: bytes\n\n"
    # data can never end an event early or add a field: every line is a data line
    injected = encode_event("x\n\nevent: evil\nid: 666")
    assert injected == b"data: x\ndata: \ndata: event: evil\ndata: id: 666\n\n"


@pytest.mark.parametrize(
    "bad",
    [
        {"event": "a\nb"},
        {"event": "a\rdata: x"},
        {"id": "1\n2"},
        {"id": "a\x00b"},
        {"retry": -1},
        {"retry": "100"},
        {"retry": True},
        {"colour": "red"},
    ],
)
def test_bad_fields_raise(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="SSE"):
        encode_event({"data": "x", **bad})


def test_bad_arguments() -> None:
    res = Response()
    with pytest.raises(TypeError, match="async iterable"):
        res.sse(["not", "async"])  # type: ignore[arg-type]

    async def empty() -> AsyncIterator[str]:
        return
        yield

    for ping in (0, -1, True, float("nan")):
        with pytest.raises(ValueError, match="ping"):
            res.sse(empty(), ping=ping)
    with pytest.raises(TypeError):
        encode_event({"event": 3, "data": "x"})


async def test_sse_over_testclient_with_last_event_id() -> None:
    app = harpia()
    closed: list[str] = []

    @app.get("/feed")
    def feed(req: Request, res: Response) -> None:
        start = int(req.last_event_id or 0)

        async def events() -> AsyncIterator[Any]:
            try:
                for n in range(start + 1, start + 4):
                    yield ServerSentEvent(data=f"line one\nline {n}", id=str(n), event="n")
            finally:
                closed.append(req.last_event_id or "none")

        res.sse(events())

    async with TestClient(app) as client:
        first = await client.get("/feed")
        again = await client.get("/feed").set("Last-Event-ID", "3")
        head = await client.head("/feed")
    assert first.status == 200
    assert first.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert first.headers["cache-control"] == "no-cache"
    assert first.headers["x-accel-buffering"] == "no"
    assert "content-length" not in first.headers
    assert first.text().split("\n\n")[0] == "event: n\nid: 1\ndata: line one\ndata: line 1"
    assert first.text().count("\n\n") == 3
    assert "id: 6\n" in again.text()
    assert "id: 4\n" in again.text()
    assert head.status == 200
    assert head.content == b""
    assert closed == ["none", "3"]


async def test_pings_keep_a_pending_read_alive_and_aclose_closes_the_source() -> None:
    """A ping never interrupts the source: its pending read survives, then completes."""
    release = asyncio.Event()
    log: list[str] = []

    async def source() -> AsyncIterator[str]:
        try:
            yield "one"
            await release.wait()  # long quiet: pings go out meanwhile
            yield "two"
            await asyncio.sleep(30)  # then the client leaves here
            yield "never"
        finally:
            log.append("closed")

    stream = EventStream(source(), ping=0.05)
    assert await stream.__anext__() == b"data: one\n\n"
    assert await stream.__anext__() == b": ping\n\n"
    assert await stream.__anext__() == b": ping\n\n"
    release.set()
    assert await stream.__anext__() == b"data: two\n\n"
    assert await stream.__anext__() == b": ping\n\n"
    assert log == []
    await stream.aclose()  # the front end's call when the client is gone
    assert log == ["closed"]
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()
    await stream.aclose()  # twice is harmless


async def test_a_failing_source_ends_the_stream_with_its_error() -> None:
    async def source() -> AsyncIterator[str]:
        yield "ok"
        raise RuntimeError("feed broke")

    stream = EventStream(source(), ping=1.0)
    assert await stream.__anext__() == b"data: ok\n\n"
    with pytest.raises(RuntimeError, match="feed broke"):
        await stream.__anext__()
    await stream.aclose()


async def test_a_plain_async_iterator_without_aclose_works() -> None:
    class Countdown:
        def __init__(self) -> None:
            self.n = 2

        def __aiter__(self) -> Countdown:
            return self

        async def __anext__(self) -> str:
            if not self.n:
                raise StopAsyncIteration
            self.n -= 1
            return str(self.n)

    stream = EventStream(Countdown(), ping=None)
    assert [chunk async for chunk in stream] == [b"data: 1\n\n", b"data: 0\n\n"]
    await stream.aclose()
