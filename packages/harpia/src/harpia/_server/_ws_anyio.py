"""WebSocket connections on the portable (anyio streams) driver.

After the ``101`` three tasks share the stream: a reader (bytes → ``WSConnection`` →
bounded ``Inbox``; when the inbox is full, or more than the backpressure limit waits to
be sent — pongs and echoes the peer does not read — the reader waits, so the peer's
bytes stay in the kernel: inbound backpressure), a writer (an outbox of frames, flushed
in pieces of ``SEND_CHUNK`` bytes; its size is what ``backpressured`` measures), a
write watch (a peer that takes none of the bytes waiting for it for ``write_timeout``
seconds is dropped: 1006 "write timeout") and, when idle timeout or pings are on, a
ticker. The session runs in the connection's request task.
"""

from __future__ import annotations

import contextlib
import math
from typing import TYPE_CHECKING

import anyio
from anyio.abc import SocketAttribute

from .._websocket import WebSocket, run_session
from ._progress import kernel_unsent
from ._wsconnection import ABNORMAL, GOING_AWAY, Inbox, WSClose, WSConnection, WSMessage
from ._wshandshake import accept_headers

if TYPE_CHECKING:
    from anyio.abc import ByteStream, TaskGroup

    from .._response import Response
    from .._websocket import WebSocketUpgrade
    from .._ws_options import WSOptions
    from ._anyio_driver import AnyioConnection

CLOSE_TIMEOUT = 5.0
SEND_CHUNK = 64 * 1024
"""Bytes handed to the stream per ``send`` (each one that goes is progress)."""
_ERRORS = (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError, anyio.EndOfStream)


async def serve_websocket(owner: AnyioConnection, upgrade: WebSocketUpgrade, res: Response) -> None:
    """Complete the handshake on ``owner``'s stream and run the session."""
    app = owner._app
    options = app.ws_options
    headers, extensions = accept_headers(upgrade.request.raw_headers, res.raw_headers(), options)
    data, trailing = owner._conn.switch_protocol(headers)
    await owner._send(data)
    if owner._lost:
        return
    conn = WSConnection(
        extensions,
        max_payload_length=options.max_payload_length,
        compress=options.compress,
    )
    channel = AnyioWebSocket(owner._stream, conn, options)
    owner._ws = channel
    if trailing:
        conn.receive_data(trailing)
        channel.pump()
    async with anyio.create_task_group() as group:
        channel.group = group
        group.start_soon(channel.read_loop)
        group.start_soon(channel.write_loop)
        group.start_soon(channel.write_watch, owner._driver.config.write_timeout)
        if options.tick is not None:
            group.start_soon(channel.tick_loop, options.tick)
        try:
            await run_session(WebSocket(app, upgrade, channel, options))
            channel.session_done()
            with anyio.move_on_after(CLOSE_TIMEOUT):
                await channel.finished.wait()
        finally:
            group.cancel_scope.cancel()


class AnyioWebSocket:
    """The session's ``Channel`` over an anyio byte stream (see the module docstring)."""

    def __init__(self, stream: ByteStream, conn: WSConnection, options: WSOptions) -> None:
        self._stream = stream
        self._conn = conn
        self._options = options
        self._inbox = Inbox(options.max_payload_length)
        self._sending = False  # the writer is in a send (waiting for the peer)
        self._sent = 0  # pieces sent
        self._outbox: list[bytes] = []
        self._pending = 0
        self._limit = options.backpressure_limit
        self._ended = False
        self._closing = False
        self._lost = False
        self._close_at = math.inf
        self._has_message = anyio.Event()
        self._has_room = anyio.Event()
        self._has_output = anyio.Event()
        self._drained = anyio.Event()
        self.finished = anyio.Event()  # the transport is done (close handshake or lost)
        self.group: TaskGroup | None = None

    def pump(self) -> None:
        """Parse buffered bytes into the inbox while it has room; queue replies."""
        conn = self._conn
        inbox = self._inbox
        if not self._ended:
            closed = inbox.fill(conn)
            if closed is not None:
                self._end(closed)
        out = conn.data_to_send()
        if out:
            self._queue(out)
        if inbox:
            self._has_message.set()

    def _end(self, event: WSClose) -> None:
        if not self._ended:
            self._ended = True
            self._inbox.append(event)
            self._has_message.set()

    def _queue(self, data: bytes) -> None:
        self._outbox.append(data)
        self._pending += len(data)
        self._has_output.set()

    async def read_loop(self) -> None:
        """Read, parse, wait while the inbox is full; stop at the close."""
        conn = self._conn
        while not conn.finished:
            if self._inbox.full:
                self._has_room = anyio.Event()
                await self._has_room.wait()
                self.pump()
                continue
            if self._pending > self._limit:  # the peer does not read what we send
                await self._output_below(self._limit // 4)
                if self._lost:
                    break
                continue
            try:
                data: bytes | None = await self._stream.receive()
            except _ERRORS:
                data = None
            conn.receive_data(data)
            self.pump()
            if data is None:
                self._lost = True
                self._end(conn.abort())
                break
        self._has_output.set()  # let the writer flush and finish

    async def write_loop(self) -> None:
        """Flush the outbox; close the stream once the connection is finished."""
        stream = self._stream
        while True:
            if not self._outbox:
                if self._conn.finished or self._lost:
                    break
                self._has_output = anyio.Event()
                await self._has_output.wait()
                continue
            data = b"".join(self._outbox)
            self._outbox.clear()
            try:
                await self._send(data)
            except _ERRORS:
                self._lost = True
                self._end(self._conn.abort())
                break
        self._pending = 0
        self._drained.set()
        with contextlib.suppress(*_ERRORS):
            await stream.aclose()
        self.finished.set()

    async def _send(self, data: bytes) -> None:
        """Send ``data`` in pieces (``write_watch`` sees each one go)."""
        stream = self._stream
        self._sending = True
        try:
            for start in range(0, len(data), SEND_CHUNK):
                piece = data[start : start + SEND_CHUNK] if len(data) > SEND_CHUNK else data
                await stream.send(piece)
                self._sent += 1
                self._pending -= len(piece)
                if self._pending <= self._limit // 4:
                    self._drained.set()
        finally:
            self._sending = False

    async def write_watch(self, limit: float) -> None:
        """Drop a peer that takes none of our bytes for ``limit`` s (1006 "write timeout").

        Progress is a piece handed to the stream, or fewer bytes waiting in the kernel's
        send queue than at the last look (``kernel_unsent``).
        """
        sock = self._stream.extra(SocketAttribute.raw_socket, None)
        step = limit / 4
        seen = (-1, 0)
        progress_at = anyio.current_time()
        while not self._lost and not self._conn.finished:
            await anyio.sleep(step)
            now = anyio.current_time()
            if not self._sending:
                progress_at = now
                continue
            unsent = kernel_unsent(sock)
            if self._sent != seen[0] or unsent < seen[1]:
                progress_at = now
            seen = (self._sent, unsent)
            if now - progress_at >= limit:
                self._lost = True
                self._end(self._conn.abort(ABNORMAL, "write timeout"))
                await anyio.aclose_forcefully(self._stream)  # the blocked send fails
                return

    async def _output_below(self, level: int) -> None:
        """Wait until at most ``level`` bytes wait to be sent (or the connection is gone)."""
        while self._pending > level and not self._lost:
            if self._drained.is_set():
                self._drained = anyio.Event()
            await self._drained.wait()

    async def tick_loop(self, tick: float) -> None:
        """Ping a silent peer; close one silent for two ticks (see ``WSOptions.tick``)."""
        seen, silent = -1, 0
        while not self._ended:
            await anyio.sleep(tick)
            received = self._conn.received
            if received != seen:
                seen, silent = received, 0
                continue
            silent += 1
            if silent >= 2:
                self.close(GOING_AWAY, "idle timeout")
                return
            if self._options.send_pings:
                data = self._conn.ping()
                if data:
                    self._queue(data)

    # -- the Channel ----------------------------------------------------------------------

    async def receive(self) -> WSMessage | WSClose:
        """The next message, or the final ``WSClose``."""
        inbox = self._inbox
        while not inbox:
            self._has_message = anyio.Event()
            await self._has_message.wait()
        event = inbox.popleft()
        if inbox.has_room:
            self._has_room.set()
        return event

    def send(self, message: str | bytes, frame: bytes | None) -> bool:
        """Queue one message for the writer (``frame``: its plain frame, if known)."""
        if self._closing or self._lost or self._ended:
            return False
        conn = self._conn
        data = frame if frame is not None and conn.plain_frames else conn.send(message)
        if not data:
            return False
        self._queue(data)
        return True

    @property
    def backpressured(self) -> bool:
        """True while more than the backpressure limit waits to be written."""
        return self._pending > self._limit

    async def writable(self) -> None:
        """Wait until the outbox drained below a quarter of the limit."""
        await self._output_below(self._limit // 4)

    def close(self, code: int, reason: str) -> None:
        """Queue our close frame; the session waits (bounded) for the answer."""
        if self._closing or self._lost:
            return
        self._closing = True
        data = self._conn.close(code, reason)
        if data:
            self._queue(data)
        if self.group is not None:
            self.group.start_soon(self._give_up_later)

    async def _give_up_later(self) -> None:
        await anyio.sleep(CLOSE_TIMEOUT)
        if not self._conn.finished:
            self._lost = True
            self._end(self._conn.abort())
            self._has_output.set()

    def session_done(self) -> None:
        """The handlers are done: start the close handshake if nobody did."""
        if not self._conn.finished:
            self.close(GOING_AWAY, "")

    def request_close(self) -> None:
        """Server shutdown: close with 1001."""
        self.close(GOING_AWAY, "server shutting down")
