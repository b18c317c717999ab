"""WebSocket connections on the fast (asyncio transport) driver.

After the ``101``, the transport's protocol is switched from the ``HTTPProtocol`` to an
``AsyncioWebSocket``, which feeds the sans-IO ``WSConnection`` from ``data_received``
and is the session's ``Channel``. The session itself runs where the handshake request
ran: in the connection's host task.

Inbound backpressure: parsed messages wait in a bounded ``Inbox`` (count and bytes); when
it is full, parsing stops (the bytes stay in wsproto's buffer) and the transport stops
reading until the handler has taken half of them. Outbound: the transport's write buffer
limits are set to the backpressure limit; ``pause_writing``/``resume_writing`` make
``backpressured`` and ``writable``. While writing is paused nothing is parsed or read
either, so replies the peer does not read (pongs, echoes) never exceed the limit by more
than one read's worth. A peer that acknowledges none of the bytes waiting for it (in the
transport or the kernel, see ``_progress.py``) for ``write_timeout`` seconds is dropped
(1006, "write timeout"), its socket released at once.

One timer per connection ticks at half the idle timeout (see ``WSOptions.tick``): a tick
that saw no byte from the peer sends a ping (``send_pings``); a second one closes (1001).
A close we start is given ``CLOSE_TIMEOUT`` seconds for the peer's answer.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from .._websocket import WebSocket, run_session
from ._progress import kernel_unsent
from ._wsconnection import ABNORMAL, GOING_AWAY, Inbox, WSClose, WSConnection, WSMessage
from ._wshandshake import accept_headers

if TYPE_CHECKING:
    from .._response import Response
    from .._websocket import WebSocketUpgrade
    from .._ws_options import WSOptions
    from ._asyncio_driver import HTTPProtocol

CLOSE_TIMEOUT = 5.0


async def serve_websocket(owner: HTTPProtocol, upgrade: WebSocketUpgrade, res: Response) -> None:
    """Complete the handshake on ``owner``'s transport and run the session (host task)."""
    transport = owner._transport
    assert transport is not None
    app = owner._app
    options = app.ws_options
    headers, extensions = accept_headers(upgrade.request.raw_headers, res.raw_headers(), options)
    data, trailing = owner._conn.switch_protocol(headers)
    transport.write(data)  # the 101; the write timeout starts with the channel
    conn = WSConnection(
        extensions,
        max_payload_length=options.max_payload_length,
        compress=options.compress,
    )
    channel = AsyncioWebSocket(owner, conn, options, owner._driver.config.write_timeout)
    owner._ws = channel
    transport.set_protocol(channel)
    if trailing:
        conn.receive_data(trailing)
        channel._pump()
    if not owner._reading:
        owner._reading = True
        transport.resume_reading()
    try:
        await run_session(WebSocket(app, upgrade, channel, options))
    except asyncio.CancelledError:
        transport.abort()
        raise
    finally:
        owner._lost = True  # the HTTP side is over: the host task ends here
        channel.session_done()


class AsyncioWebSocket(asyncio.Protocol):
    """One WebSocket on an asyncio transport: protocol callbacks + the session's channel."""

    def __init__(
        self, owner: HTTPProtocol, conn: WSConnection, options: WSOptions, write_timeout: float
    ) -> None:
        self._owner = owner
        transport = owner._transport
        assert transport is not None
        self._transport = transport
        self._loop = owner._loop
        self._conn = conn
        self._options = options
        self._inbox = Inbox(options.max_payload_length)
        self._waiter: asyncio.Future[None] | None = None
        self._write_waiter: asyncio.Future[None] | None = None
        self._write_paused = False
        self._reading = True
        self._ended = False  # the final WSClose is in the inbox
        self._closing = False
        self._lost = False
        self._seen = -1
        self._silent = 0
        self._timer: asyncio.TimerHandle | None = None
        self._close_timer: asyncio.TimerHandle | None = None
        # write progress: bytes handed to the transport, and how many had left it when
        # progress was last seen (``_progress_at``)
        self._write_timeout = write_timeout
        self._sock = transport.get_extra_info("socket")
        self._write_timer: asyncio.TimerHandle | None = None
        self._written = 0
        self._sent_mark = 0
        self._progress_at = 0.0
        limit = options.backpressure_limit
        transport.set_write_buffer_limits(high=limit, low=limit // 4)
        tick = options.tick
        if tick is not None:
            self._timer = self._loop.call_later(tick, self._on_tick, tick)

    # -- transport callbacks ------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        self._conn.receive_data(data)
        if self._inbox.full or self._write_paused:
            self._update_reading()  # keep the bytes in wsproto; stop reading more
        else:
            self._pump()

    def eof_received(self) -> bool:
        self._conn.receive_data(None)
        self._pump()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        for timer in (self._timer, self._close_timer, self._write_timer):
            if timer is not None:
                timer.cancel()
        self._timer = self._close_timer = self._write_timer = None
        self._end(self._conn.abort())
        for waiter in (self._waiter, self._write_waiter):
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
        self._owner._driver._forget(self._owner)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        waiter = self._write_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        if not self._reading:
            self._loop.call_soon(self._pump)  # parse what waits, then read again

    # -- parsing ----------------------------------------------------------------------

    def _pump(self) -> None:
        """Parse buffered bytes into the inbox (while it has room); write replies."""
        if self._lost:
            return
        conn = self._conn
        inbox = self._inbox
        if not self._ended and not self._write_paused:
            closed = inbox.fill(conn)
            if closed is not None:
                self._end(closed)
        out = conn.data_to_send()
        if out:
            self._write(out)
        if conn.finished:
            self._transport.close()
        if inbox:
            waiter = self._waiter
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
        self._update_reading()

    def _update_reading(self) -> None:
        """Read while the inbox has room and the peer reads what we send."""
        if self._lost:
            return
        if self._reading:
            if self._inbox.full or self._write_paused:
                self._reading = False
                self._transport.pause_reading()
        elif not self._write_paused and self._inbox.has_room:
            self._reading = True
            self._transport.resume_reading()

    def _end(self, event: WSClose) -> None:
        if self._ended:
            return
        self._ended = True
        self._inbox.append(event)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- writing and its timeout ----------------------------------------------------------

    def _write(self, data: bytes) -> None:
        self._transport.write(data)
        self._written += len(data)
        if self._write_timer is None:
            self._sent_mark = self._written - self._unsent()
            self._progress_at = self._loop.time()
            self._write_timer = self._loop.call_later(self._write_timeout / 4, self._check_writes)

    def _unsent(self) -> int:
        """Bytes written that the peer has not acknowledged yet (ours and the kernel's)."""
        return self._transport.get_write_buffer_size() + kernel_unsent(self._sock)

    def _check_writes(self) -> None:
        """While bytes wait for the peer: drop it after ``write_timeout`` s without progress."""
        self._write_timer = None
        if self._lost:
            return
        pending = self._unsent()
        if not pending:
            return
        sent = self._written - pending
        now = self._loop.time()
        if sent > self._sent_mark:
            self._sent_mark, self._progress_at = sent, now
        elif now - self._progress_at >= self._write_timeout:
            self._end(self._conn.abort(ABNORMAL, "write timeout"))
            self._transport.abort()
            return
        self._write_timer = self._loop.call_later(self._write_timeout / 4, self._check_writes)

    # -- the Channel ----------------------------------------------------------------------

    async def receive(self) -> WSMessage | WSClose:
        """The next message, or the final ``WSClose``."""
        inbox = self._inbox
        while not inbox:
            waiter = self._waiter = self._loop.create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        event = inbox.popleft()
        if not self._reading and inbox.has_room:
            self._pump()  # parse what waits in wsproto's buffer; read again if there is room
        return event

    def send(self, message: str | bytes, frame: bytes | None) -> bool:
        """Write one message now (``frame``: its plain frame, shared by a fan-out)."""
        if self._closing or self._lost or self._ended:
            return False
        conn = self._conn
        data = frame if frame is not None and conn.plain_frames else conn.send(message)
        if not data:
            return False
        self._write(data)
        return True

    @property
    def backpressured(self) -> bool:
        """True while the transport's write buffer is over the backpressure limit."""
        return self._write_paused

    async def writable(self) -> None:
        """Wait until the write buffer drained below a quarter of the limit."""
        while self._write_paused and not self._lost:
            waiter = self._write_waiter = self._loop.create_future()
            try:
                await waiter
            finally:
                self._write_waiter = None

    def close(self, code: int, reason: str) -> None:
        """Send our close frame; the transport closes on the answer or after a timeout."""
        if self._closing or self._lost:
            return
        self._closing = True
        data = self._conn.close(code, reason)
        if data:
            self._write(data)
        self._close_timer = self._loop.call_later(CLOSE_TIMEOUT, self._give_up)

    def _give_up(self) -> None:
        if not self._lost:
            self._end(self._conn.abort())
            self._transport.abort()

    def session_done(self) -> None:
        """The handlers are done: make sure the transport ends (after the close handshake)."""
        if not self._lost and self._conn.finished:
            self._transport.close()
        elif not self._closing:
            self.close(GOING_AWAY, "")

    def request_close(self) -> None:
        """Server shutdown: close with 1001."""
        self.close(GOING_AWAY, "server shutting down")

    # -- idle / ping timer ----------------------------------------------------------------

    def _on_tick(self, tick: float) -> None:
        self._timer = None
        if self._lost or self._ended:
            return
        received = self._conn.received
        if received != self._seen:
            self._seen = received
            self._silent = 0
        else:
            self._silent += 1
            options = self._options
            if self._silent >= 2:
                self.close(GOING_AWAY, "idle timeout")
                return
            if options.send_pings:
                data = self._conn.ping()
                if data:
                    self._write(data)
        self._timer = self._loop.call_later(tick, self._on_tick, tick)
