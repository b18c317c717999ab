"""The portable driver: anyio socket streams around the sans-IO ``HTTPConnection``.

Works on every anyio backend (asyncio, trio). One task per connection reads, feeds the
connection and writes; each request's ``app.handle`` runs in a task of its own (so
contextvars never leak between requests), one request at a time per connection.

Accepting: the listening socket is a plain non-blocking socket. The accept loop waits
until it is readable, then accepts until the backlog is empty (at most ``backlog`` per
turn) — anyio's ``Listener.serve`` takes one connection per event-loop turn, which lets
the backlog grow under load. Out of descriptors, it sleeps (``AcceptBackoff``).

Timeouts: reads between requests run under the header/keep-alive deadline of the
connection's state; a read of request-body bytes under ``body_timeout`` (then 408 and
close). Writes go out in pieces of at most ``WRITE_PIECE`` bytes, and one watchdog task
per driver looks at every connection a few times per ``write_timeout``: one that has not
finished a piece for that long is closed (a cancel scope per write would cost more than
the rest of a small response's send). During a graceful shutdown both shrink to
``SHUTDOWN_PATIENCE``.
"""

from __future__ import annotations

import contextlib
import math
import socket
from typing import TYPE_CHECKING

import anyio
from anyio.abc import SocketStream
from anyio.streams.tls import TLSStream

from .._after import sent as after_sent
from .._logs import access_logged
from .._request import Request, no_body
from .._websocket import WebSocketUpgrade
from ._common import (
    LINGER_TIMEOUT,
    SHUTDOWN_PATIENCE,
    WRITE_PIECE,
    AcceptBackoff,
    BodyTimeout,
    ClientDisconnected,
    body_error,
    logger,
    new_connection,
    progress_timeout,
    response_head,
)
from ._events import BodyChunk, BodyError, NeedData, Reject, RequestHead
from ._states import BODY, CLOSING, TimerKind

if TYPE_CHECKING:
    import ssl

    from anyio.abc import ByteStream, TaskGroup, TaskStatus

    from .._app import Harpia
    from .._response import Response
    from ._config import Config
    from ._ws_anyio import AnyioWebSocket

_STREAM_ERRORS = (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError)
_BODY = TimerKind.BODY
_WRITE = TimerKind.WRITE
_LINGER_BYTES = 1024 * 1024


class AnyioDriver:
    """Serve connections with anyio streams (see the module docstring).

    Args:
        app: The application.
        config: Server options.
        ssl_context: TLS context, or ``None`` for plain HTTP.
    """

    def __init__(self, app: Harpia, config: Config, ssl_context: ssl.SSLContext | None) -> None:
        self.app = app
        self.config = config
        self.ssl_context = ssl_context
        self.handle = access_logged(app.handle) if config.logs_access else app.handle
        self.scheme = "https" if ssl_context is not None else "http"
        self.connections: set[AnyioConnection] = set()
        self._sock: socket.socket | None = None
        self._accepting = anyio.CancelScope()
        self._connections_group: TaskGroup | None = None
        self._done = anyio.Event()
        self._all_closed = anyio.Event()
        self.aborting = False
        self.draining = False  # graceful shutdown: stuck clients get SHUTDOWN_PATIENCE
        self._backoff = AcceptBackoff()
        self._watchdog_nap: anyio.CancelScope | None = None

    async def start(self, task_group: TaskGroup, sock: socket.socket) -> None:
        """Start accepting on ``sock`` (a listening, non-blocking socket)."""
        self._sock = sock
        await task_group.start(self._run)

    async def _run(self, *, task_status: TaskStatus[None]) -> None:
        try:
            async with anyio.create_task_group() as group:
                self._connections_group = group
                group.start_soon(self._watch_writes)
                task_status.started()
                with self._accepting:
                    await self._accept_loop(group)
        finally:
            self._done.set()

    async def _watch_writes(self) -> None:
        """The ``write_timeout`` watchdog: close connections whose client reads nothing."""
        config = self.config
        while True:
            timeout = progress_timeout(config, _WRITE, self.draining)
            with anyio.move_on_after(timeout / 4) as self._watchdog_nap:
                await anyio.sleep_forever()
            self._watchdog_nap = None
            timeout = progress_timeout(config, _WRITE, self.draining)
            now = anyio.current_time()
            for connection in list(self.connections):
                if connection.stalled(now, timeout):
                    logger.debug("%s read nothing for %.1f s: closing", connection.client, timeout)
                    await connection.drop()

    async def _accept_loop(self, group: TaskGroup) -> None:
        sock = self._sock
        assert sock is not None
        batch = self.config.backlog
        tcp = sock.family != socket.AF_UNIX
        backoff = self._backoff
        while True:
            await anyio.wait_readable(sock)
            for _ in range(batch):
                try:
                    client, _ = sock.accept()
                except (BlockingIOError, InterruptedError):
                    backoff.caught_up()
                    break
                except OSError as exc:
                    delay = backoff.failed(exc)
                    if delay:  # out of descriptors: wait for some to free up
                        await anyio.sleep(delay)
                        break
                    continue
                client.setblocking(False)
                if tcp:
                    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                group.start_soon(self._connection, client)

    async def _connection(self, client: socket.socket) -> None:
        try:
            stream: ByteStream = await SocketStream.from_socket(client)
        except OSError:  # the peer is already gone
            client.close()
            return
        connection = AnyioConnection(self, stream)
        self.connections.add(connection)
        try:
            await connection.run()
        finally:
            self.connections.discard(connection)
            if not self.connections and self._accepting.cancel_called:
                self._all_closed.set()

    async def stop_accepting(self) -> None:
        """Stop the accept loop and close the listening socket."""
        self._accepting.cancel()
        await anyio.lowlevel.checkpoint()
        if self._sock is not None:
            self._sock.close()
        if not self.connections:
            self._all_closed.set()

    async def drain(self) -> None:
        """Close idle connections, let the busy ones finish their response, wait for all.

        A busy connection that waits on its client (body bytes, or the client reading the
        response) is given ``SHUTDOWN_PATIENCE`` without progress from now on.
        """
        self.draining = True
        if self._watchdog_nap is not None:
            self._watchdog_nap.cancel()  # look again now, with SHUTDOWN_PATIENCE
        for connection in list(self.connections):
            connection.request_close()
        if self.connections:
            await self._all_closed.wait()

    async def abort(self) -> None:
        """Cancel every connection left (and its request)."""
        if self._connections_group is None:
            return  # never started
        self.aborting = True
        self._connections_group.cancel_scope.cancel()
        await self._done.wait()


class AnyioConnection:
    """One HTTP/1.1 connection on an anyio byte stream."""

    def __init__(self, driver: AnyioDriver, stream: ByteStream) -> None:
        self._driver = driver
        self._app = driver.app
        self._handle = driver.handle
        self._stream = stream
        self._conn = new_connection(driver.config)
        self._client = _address(stream, anyio.abc.SocketAttribute.remote_address)
        self._server = _address(stream, anyio.abc.SocketAttribute.local_address)
        self._lost = False
        self._read_scope: anyio.CancelScope | None = None
        self._body_scope: anyio.CancelScope | None = None  # waiting for body bytes
        self._sending = False  # in _send: the watchdog looks at _pieces
        self._pieces = 0  # pieces sent so far: progress, for the watchdog
        self._seen: tuple[int, float] | None = None  # (_pieces, when) at its first look
        self._body_expired = False
        self._timer_kind: TimerKind | None = None
        self._deadline = math.inf
        self._ws: AnyioWebSocket | None = None  # after a WebSocket upgrade

    async def run(self) -> None:
        """Serve requests until the connection is done, then close it."""
        try:
            if self._driver.ssl_context is not None and not await self._handshake():
                return
            conn = self._conn
            while True:
                event = conn.next_event()
                kind = type(event)
                if kind is NeedData:
                    await self._read()
                elif kind is RequestHead:
                    assert isinstance(event, RequestHead)
                    await self._request(event)
                elif kind is Reject:
                    assert isinstance(event, Reject)
                    logger.debug("rejected %s: %d %s", self._client, event.status, event.reason)
                    await self._send(event.data)
                    break
                else:  # Close, PeerClosed
                    break
        finally:
            with anyio.CancelScope(shield=True):
                await self._close()

    async def _handshake(self) -> bool:
        ssl_context = self._driver.ssl_context
        assert ssl_context is not None
        with anyio.move_on_after(self._driver.config.header_timeout):
            try:
                self._stream = await TLSStream.wrap(
                    self._stream,
                    server_side=True,
                    ssl_context=ssl_context,
                    standard_compatible=False,
                )
                return True
            except (*_STREAM_ERRORS, anyio.EndOfStream) as exc:
                logger.debug("TLS handshake with %s failed: %s", self._client, exc)
        self._lost = True
        return False

    async def _read(self) -> None:
        """Read more between requests, under the timer that applies to the state."""
        conn = self._conn
        kind = conn.timer
        if kind is not self._timer_kind:
            self._timer_kind = kind
            config = self._driver.config
            timeout = (
                config.header_timeout if kind is TimerKind.HEADER else config.keep_alive_timeout
            )
            self._deadline = anyio.current_time() + timeout if kind is not None else math.inf
        with anyio.CancelScope(deadline=self._deadline) as scope:
            self._read_scope = scope
            data = await self._receive_bytes()
        self._read_scope = None
        if scope.cancelled_caught:
            if conn.state is not CLOSING:  # the timer, not a shutdown
                logger.debug("%s timed out (%s)", self._client, kind.value if kind else "")
                await self._send(conn.expire())
            return
        conn.receive_data(data)

    async def _receive_bytes(self) -> bytes:
        try:
            return await self._stream.receive()
        except anyio.EndOfStream:
            return b""
        except _STREAM_ERRORS:
            self._lost = True
            return b""

    async def _request(self, head: RequestHead) -> None:
        self._timer_kind = None
        request = Request(
            head.method,
            head.raw_path,
            head.query_string,
            head.headers,
            self._receive if head.has_body else no_body,
            client=self._client,
            scheme=self._driver.scheme,
            server=self._server,
            http_version=head.http_version,
            app=self._app,
        )
        async with anyio.create_task_group() as group:
            group.start_soon(self._exchange, request)

    async def _exchange(self, request: Request) -> None:
        conn = self._conn
        try:
            res = await self._handle(request)
            if res.body_stream is None:
                headers, block = response_head(res)
                await self._send(
                    conn.respond(res.status_code, headers, res.body, validated=True, block=block)
                )
            else:
                await self._stream_response(res)
            if res.after_calls and not self._lost:  # res.after(): the last byte is out
                await after_sent(self._app, res)
        except Exception:
            logger.exception("error while sending the response to %s", self._client)
            conn.abort()
        if self._lost:
            conn.abort()

    async def _stream_response(self, res: Response) -> None:
        stream = res.body_stream
        assert stream is not None
        if type(stream) is WebSocketUpgrade:
            from ._ws_anyio import serve_websocket

            await serve_websocket(self, stream, res)
            return
        conn = self._conn
        headers, block = response_head(res)
        await self._send(conn.start_response(res.status_code, headers, validated=True, block=block))
        try:
            if conn.state is BODY:
                async for chunk in stream:
                    if self._lost:
                        logger.debug("client %s went away mid-response", self._client)
                        conn.abort()
                        return
                    await self._send(conn.send_body(chunk))
                await self._send(conn.end_response())
        finally:
            close = getattr(stream, "aclose", None)
            if close is not None:
                await close()

    async def _receive(self) -> bytes:
        """The request's ``receive``: the next body chunk, ``b""`` at the end."""
        conn = self._conn
        if conn.waiting_for_continue:
            await self._send(conn.send_continue())
        while True:
            if self._body_expired:
                raise BodyTimeout()
            event = conn.next_event()
            kind = type(event)
            if kind is BodyChunk:
                assert isinstance(event, BodyChunk)
                return event.data
            if kind is BodyError:
                assert isinstance(event, BodyError)
                raise body_error(event)
            if kind is not NeedData:
                return b""
            if self._lost:
                raise ClientDisconnected()
            conn.receive_data(await self._receive_body_bytes())

    async def _receive_body_bytes(self) -> bytes:
        """Read under ``body_timeout``: when it runs out, answer 408 and close."""
        timeout = progress_timeout(self._driver.config, _BODY, self._driver.draining)
        data = b""
        with anyio.move_on_after(timeout) as scope:
            self._body_scope = scope
            try:
                data = await self._receive_bytes()
            finally:
                self._body_scope = None
        if not scope.cancelled_caught:
            return data
        logger.debug("%s timed out (%s)", self._client, _BODY.value)
        self._body_expired = True
        await self._send(self._conn.expire())  # a 408 when nothing was answered yet
        raise BodyTimeout()

    async def _send(self, data: bytes) -> None:
        if not data or self._lost:
            return
        self._sending = True  # under the write_timeout watchdog (AnyioDriver._watch_writes)
        try:
            if len(data) <= WRITE_PIECE:
                await self._stream.send(data)
            else:
                for start in range(0, len(data), WRITE_PIECE):
                    await self._stream.send(data[start : start + WRITE_PIECE])
                    self._pieces += 1
        except _STREAM_ERRORS as exc:
            logger.debug("client %s went away: %r", self._client, exc)
            self._lost = True
        finally:
            self._pieces += 1
            self._sending = False

    @property
    def client(self) -> tuple[str, int] | None:
        """The peer's address (``None`` on a unix socket)."""
        return self._client

    def stalled(self, now: float, timeout: float) -> bool:
        """For the watchdog: True when a write has made no progress for ``timeout``."""
        if not self._sending or self._lost:
            self._seen = None
            return False
        seen = self._seen
        if seen is None or seen[0] != self._pieces:
            self._seen = (self._pieces, now)
            return False
        return now - seen[1] >= timeout

    async def drop(self) -> None:
        """Close a stalled connection: its pending write fails, the request ends."""
        self._lost = True  # what is left unsent is dropped
        with contextlib.suppress(*_STREAM_ERRORS):
            await self._stream.aclose()

    def request_close(self) -> None:
        """Graceful shutdown: close now if idle, else after the current response."""
        if self._ws is not None:
            self._ws.request_close()
            return
        if self._conn.request_close():
            if self._read_scope is not None:
                self._read_scope.cancel()
            return
        # busy: the response may finish, but a client that does not move gets little time
        deadline = anyio.current_time() + SHUTDOWN_PATIENCE
        scope = self._body_scope
        if scope is not None and scope.deadline > deadline:
            scope.deadline = deadline

    async def _close(self) -> None:
        """Half-close, discard what the client still sends (bounded), then close."""
        stream = self._stream
        if (
            self._conn.unread_input
            and not self._lost
            and not self._driver.aborting
            and not isinstance(stream, TLSStream)
        ):
            linger = SHUTDOWN_PATIENCE if self._driver.draining else LINGER_TIMEOUT
            with anyio.move_on_after(linger):
                try:
                    await stream.send_eof()
                    received = 0
                    while received < _LINGER_BYTES:
                        received += len(await stream.receive())
                except (*_STREAM_ERRORS, anyio.EndOfStream, NotImplementedError):
                    pass
        with contextlib.suppress(*_STREAM_ERRORS):
            await stream.aclose()


def _address(stream: ByteStream, attribute: object) -> tuple[str, int] | None:
    value = stream.extra(attribute, None)
    if isinstance(value, tuple) and len(value) >= 2:
        return str(value[0]), int(value[1])
    return None
