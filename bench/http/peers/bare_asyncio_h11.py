"""Floor: an ``asyncio.Protocol`` driving h11, answering the benchmark's two routes.

The least a correct HTTP/1.1 server on asyncio transports and h11 does: feed each chunk
into one ``h11.Connection`` per socket, answer every complete request as soon as its
``EndOfMessage`` arrives, then ``start_next_cycle`` for the next one (keep-alive;
pipelined requests already in h11's buffer are answered in the same pass). Reading is
paused while the transport's write buffer is full. Run::

    .venv/bin/python bench/http/peers/bare_asyncio_h11.py --port 8000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from email.utils import formatdate

import h11

# target -> (content type, body); the same two routes for every contender.
ROUTES: dict[bytes, tuple[bytes, bytes]] = {
    b"/plaintext": (b"text/plain; charset=utf-8", b"Hello, World!"),
    b"/json": (b"application/json", b'{"message":"Hello, World!"}'),
}
NOT_FOUND = (b"text/plain; charset=utf-8", b"Not Found")
METHOD_NOT_ALLOWED = (b"text/plain; charset=utf-8", b"Method Not Allowed")
REASONS = {200: b"OK", 404: b"Not Found", 405: b"Method Not Allowed"}


class Clock:
    """The ``Date`` header value, formatted at most once a second."""

    __slots__ = ("_second", "_value")

    def __init__(self) -> None:
        self._second = -1
        self._value = b""

    def date(self) -> bytes:
        now = int(time.time())
        if now != self._second:
            self._second = now
            self._value = formatdate(now, usegmt=True).encode("ascii")
        return self._value


CLOCK = Clock()


def answer(conn: h11.Connection, request: h11.Request) -> bytes:
    """Serialise the whole response to ``request`` (status line, headers, body)."""
    headers: list[tuple[bytes, bytes]] = []
    route = ROUTES.get(request.target)
    if route is None:
        status, (content_type, body) = 404, NOT_FOUND
    elif request.method not in (b"GET", b"HEAD"):
        status, (content_type, body) = 405, METHOD_NOT_ALLOWED
        headers.append((b"allow", b"GET, HEAD"))
    else:
        status, (content_type, body) = 200, route
    headers += [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode("ascii")),
        (b"date", CLOCK.date()),
    ]
    out = conn.send(h11.Response(status_code=status, headers=headers, reason=REASONS[status]))
    if request.method != b"HEAD":
        out += conn.send(h11.Data(data=body))
    return out + conn.send(h11.EndOfMessage())


def error_response(conn: h11.Connection, status: int) -> bytes:
    """A bodiless error response, when h11 still allows one (else nothing)."""
    if conn.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
        return b""
    headers = [(b"content-length", b"0"), (b"connection", b"close"), (b"date", CLOCK.date())]
    try:
        return conn.send(h11.Response(status_code=status, headers=headers)) + conn.send(
            h11.EndOfMessage()
        )
    except h11.LocalProtocolError:
        return b""


class H11Protocol(asyncio.Protocol):
    """One connection: bytes in, h11 events, whole responses out."""

    def __init__(self) -> None:
        self._conn = h11.Connection(h11.SERVER)
        self._transport: asyncio.Transport | None = None
        self._request: h11.Request | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._conn.receive_data(data)
        self._drive()

    def eof_received(self) -> bool:
        self._conn.receive_data(b"")
        self._drive()
        return False  # close our side too

    def pause_writing(self) -> None:
        if self._transport is not None:
            self._transport.pause_reading()

    def resume_writing(self) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.resume_reading()

    def _drive(self) -> None:
        """Handle every event h11 can produce from the bytes received so far."""
        conn, transport = self._conn, self._transport
        assert transport is not None
        while not transport.is_closing():
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                transport.write(error_response(conn, exc.error_status_hint))
                transport.close()
                return
            if event is h11.NEED_DATA:
                return
            if isinstance(event, h11.Request):
                self._request = event
            elif isinstance(event, h11.EndOfMessage):
                assert self._request is not None  # h11 emits Request first
                transport.write(answer(conn, self._request))
                self._request = None
                if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                    transport.close()  # Connection: close, HTTP/1.0 …
                    return
                conn.start_next_cycle()
            elif isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
                transport.close()
                return
            # h11.Data (a request body) is read and dropped.


async def serve(host: str, port: int) -> None:
    """Listen on ``host:port`` until cancelled."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(H11Protocol, host, port, backlog=1024)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
