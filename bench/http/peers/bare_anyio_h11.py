"""Floor: anyio socket streams driving h11, answering the benchmark's two routes.

The least a correct HTTP/1.1 server on anyio streams and h11 does: accept in a loop, one
task per connection; per connection read, feed h11, take events until ``NEED_DATA``,
answer each complete request, ``start_next_cycle`` (keep-alive; pipelined requests
already buffered in h11 are answered without another read). Run::

    .venv/bin/python bench/http/peers/bare_anyio_h11.py --port 8000
"""

from __future__ import annotations

import argparse
import contextlib
import time
from email.utils import formatdate

import anyio
import h11
from anyio.abc import SocketListener, SocketStream, TaskGroup

# target -> (content type, body); the same two routes for every contender.
ROUTES: dict[bytes, tuple[bytes, bytes]] = {
    b"/plaintext": (b"text/plain; charset=utf-8", b"Hello, World!"),
    b"/json": (b"application/json", b'{"message":"Hello, World!"}'),
}
NOT_FOUND = (b"text/plain; charset=utf-8", b"Not Found")
METHOD_NOT_ALLOWED = (b"text/plain; charset=utf-8", b"Method Not Allowed")
REASONS = {200: b"OK", 404: b"Not Found", 405: b"Method Not Allowed"}
READ_SIZE = 65536


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


async def handle(stream: SocketStream) -> None:
    """Serve one connection until either side closes it."""
    conn = h11.Connection(h11.SERVER)
    request: h11.Request | None = None
    while True:
        try:
            event = conn.next_event()
        except h11.RemoteProtocolError as exc:
            if reply := error_response(conn, exc.error_status_hint):
                await stream.send(reply)
            return
        if event is h11.NEED_DATA:
            try:
                data = await stream.receive(READ_SIZE)
            except anyio.EndOfStream:
                data = b""  # h11's end-of-stream marker
            conn.receive_data(data)
        elif isinstance(event, h11.Request):
            request = event
        elif isinstance(event, h11.EndOfMessage):
            assert request is not None  # h11 emits Request first
            await stream.send(answer(conn, request))
            request = None
            if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                return  # Connection: close, HTTP/1.0 …
            conn.start_next_cycle()
        elif isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
            return
        # h11.Data (a request body) is read and dropped.


async def handle_and_close(stream: SocketStream) -> None:
    """Run :func:`handle`; a peer resetting the connection ends only this task."""
    async with stream:
        with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
            await handle(stream)


async def accept_loop(listener: SocketListener, tg: TaskGroup) -> None:
    """Accept connections one after another, a task for each."""
    while True:
        stream = await listener.accept()
        tg.start_soon(handle_and_close, stream)


async def serve(host: str, port: int) -> None:
    """Listen on ``host:port`` until cancelled."""
    multi = await anyio.create_tcp_listener(local_host=host, local_port=port, backlog=1024)
    async with multi, anyio.create_task_group() as tg:
        for listener in multi.listeners:
            assert isinstance(listener, SocketListener)
            tg.start_soon(accept_loop, listener, tg)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        anyio.run(serve, args.host, args.port)


if __name__ == "__main__":
    main()
