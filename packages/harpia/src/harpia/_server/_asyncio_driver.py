"""The fast driver: asyncio ``Protocol``/transports around the sans-IO ``HTTPConnection``.

Used by default on the asyncio backend. Bytes arrive in ``data_received`` callbacks (no
task switch, no read toggling per chunk); requests run one at a time per connection, each
in a fresh ``contextvars`` context (so nothing leaks from one request to the next).

Running a request: a task per request costs a trip through the event loop before the app
starts (and ~8% of a hello-world request). Instead each connection has one *host task*,
made with its first request. A request's coroutine is started right in the
``data_received`` callback, with the host entered as the current task (so
``asyncio.current_task()``, ``asyncio.timeout`` and anyio cancel scopes see a real task);
a handler that never waits finishes there and then. One that waits hands its coroutine,
suspended on what it waits for, to the host task, which goes on stepping it (still in the
request's context) until it ends. Cancelling the host cancels the request. (Python 3.12's
eager tasks do the same for one task; this works on 3.11 and costs no task per request.)

Accepting: the listening socket's reader takes up to ``backlog`` connections per
readiness event (the backlog is drained in batches), each made a transport with
``loop.connect_accepted_socket``. It is ours rather than ``loop.create_server``'s so that
running out of descriptors pauses accepting with one log line per episode
(``AcceptBackoff``) instead of asyncio's traceback per attempt.

Flow control: while a request runs, bytes read ahead of the app (body or pipelined
requests) stay in the connection's buffer; beyond ``HIGH_WATER`` reading pauses until the
app asks for more. A response waits for ``resume_writing`` whenever the transport's
write buffer is over its high-water mark — a streamed one between chunks, any other
before the next pipelined request is parsed — and reading pauses meanwhile, so a client
that sends requests without reading the answers is held back by TCP, not by our memory.

Timers: one ``TimerHandle`` per connection at most, rescheduled lazily: a state change
only moves ``_deadline``; when the handle fires early it re-arms itself for the new
deadline, so keep-alive requests do not create and cancel a timer each. The same timer
runs ``body_timeout`` while the app waits for body bytes. ``write_timeout`` has a
watchdog of its own, armed only while writes are paused or a closing transport still
holds data: it checks the write buffer for progress every quarter of the timeout and
aborts the connection after a whole timeout without any.
"""

from __future__ import annotations

import asyncio
import types
from asyncio.tasks import _enter_task, _leave_task
from contextvars import Context, copy_context
from typing import TYPE_CHECKING, Any

from .._after import sent as after_sent
from .._logs import access_logged
from .._request import Request, no_body
from .._websocket import WebSocketUpgrade
from ._common import (
    HIGH_WATER,
    LINGER_TIMEOUT,
    SHUTDOWN_PATIENCE,
    AcceptBackoff,
    BodyTimeout,
    ClientDisconnected,
    body_error,
    logger,
    progress_timeout,
    response_head,
)
from ._common import new_connection as _new_connection
from ._events import BodyChunk, BodyError, NeedData, Reject, RequestHead
from ._states import BODY, TimerKind

_BODY = TimerKind.BODY
_WRITE = TimerKind.WRITE

if TYPE_CHECKING:
    import socket
    import ssl
    from collections.abc import Coroutine, Generator

    from anyio.abc import TaskGroup

    from .._app import Harpia
    from .._response import Response
    from ._config import Config
    from ._ws_asyncio import AsyncioWebSocket

    _Step = tuple[Coroutine[Any, Any, None], Context, Any]


class AsyncioDriver:
    """Serve connections with asyncio transports (see the module docstring).

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
        self.connections: set[HTTPProtocol] = set()
        self._all_closed: asyncio.Event | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.draining = False  # graceful shutdown: stuck clients get SHUTDOWN_PATIENCE
        self._sock: socket.socket | None = None
        self._accepting = False
        self._backoff = AcceptBackoff()
        self._retry: asyncio.TimerHandle | None = None
        self._handshakes: set[asyncio.Task[None]] = set()  # accepted, transport not made

    async def start(self, task_group: TaskGroup, sock: socket.socket) -> None:
        """Start accepting on ``sock`` (a listening, non-blocking socket)."""
        self.loop = asyncio.get_running_loop()
        self._sock = sock
        self._accepting = True
        self.loop.add_reader(sock.fileno(), self._accept)

    def _accept(self) -> None:
        """The listening socket is readable: accept what waits (``backlog`` at most)."""
        sock = self._sock
        loop = self.loop
        assert sock is not None
        assert loop is not None
        for _ in range(self.config.backlog):
            try:
                client, _ = sock.accept()
            except (BlockingIOError, InterruptedError):
                self._backoff.caught_up()
                return
            except OSError as exc:
                delay = self._backoff.failed(exc)
                if delay:  # out of descriptors: stop watching the socket for a while
                    loop.remove_reader(sock.fileno())
                    self._retry = loop.call_later(delay, self._resume_accepting)
                    return
                continue
            task = loop.create_task(self._connect(client))
            self._handshakes.add(task)
            task.add_done_callback(self._handshakes.discard)

    def _resume_accepting(self) -> None:
        self._retry = None
        if self._accepting and self._sock is not None and self.loop is not None:
            self.loop.add_reader(self._sock.fileno(), self._accept)

    async def _connect(self, client: socket.socket) -> None:
        """Make ``client`` a transport with its ``HTTPProtocol`` (after TLS, if any)."""
        assert self.loop is not None
        ssl_context = self.ssl_context
        try:
            if ssl_context is None:
                await self.loop.connect_accepted_socket(self._protocol, client)
            else:
                await self.loop.connect_accepted_socket(
                    self._protocol,
                    client,
                    ssl=ssl_context,
                    ssl_handshake_timeout=self.config.header_timeout,
                )
        except Exception as exc:  # the peer went away, a failed TLS handshake …
            logger.debug("connection setup failed: %r", exc)
            client.close()

    def _protocol(self) -> HTTPProtocol:
        return HTTPProtocol(self)

    async def stop_accepting(self) -> None:
        """Stop accepting and close the listening socket."""
        self._accepting = False
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        sock = self._sock
        if sock is not None and self.loop is not None and sock.fileno() >= 0:
            self.loop.remove_reader(sock.fileno())
            sock.close()

    def _forget(self, protocol: HTTPProtocol) -> None:
        self.connections.discard(protocol)
        if not self.connections and self._all_closed is not None:
            self._all_closed.set()

    async def drain(self) -> None:
        """Close idle connections, let the busy ones finish their response, wait for all.

        A busy connection that waits on its client (body bytes, or the client reading the
        response) is given ``SHUTDOWN_PATIENCE`` without progress from now on.
        """
        self._all_closed = asyncio.Event()
        self.draining = True
        for protocol in list(self.connections):
            protocol.request_close()
        if self.connections:
            await self._all_closed.wait()

    async def abort(self) -> None:
        """Abort the connections left and cancel their requests."""
        await self.stop_accepting()
        tasks = list(self._handshakes)
        for task in tasks:
            task.cancel()
        for protocol in list(self.connections):
            host = protocol.abort()
            if host is not None:
                tasks.append(host)
        if tasks:
            await asyncio.wait(tasks, timeout=1.0)


class HTTPProtocol(asyncio.Protocol):
    """One HTTP/1.1 connection on an asyncio transport."""

    def __init__(self, driver: AsyncioDriver) -> None:
        self._driver = driver
        self._app = driver.app
        self._handle = driver.handle
        assert driver.loop is not None
        self._loop = driver.loop
        config = self._config = driver.config
        self._header_timeout = config.header_timeout
        self._keep_alive_timeout = config.keep_alive_timeout
        self._conn = _new_connection(config)
        self._transport: asyncio.Transport | None = None
        self._client: tuple[str, int] | None = None
        self._server: tuple[str, int] | None = None
        self._host: asyncio.Task[None] | None = None
        self._busy = False  # a request is running (in the callback or in the host)
        self._handoff: _Step | None = None  # a waiting request for the host to go on with
        self._host_waiter: asyncio.Future[None] | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._write_waiter: asyncio.Future[None] | None = None
        self._write_paused = False
        self._reading = True
        self._lost = False
        self._lingering = False
        self._unread = 0
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0
        self._timer_kind: TimerKind | None = None
        self._deadline = 0.0
        self._body_expired = False  # body_timeout ran out: receive() raises BodyTimeout
        self._write_timer: asyncio.TimerHandle | None = None  # the write_timeout watchdog
        self._write_size = 0  # the write buffer's size at the watchdog's last look
        self._write_since = 0.0  # when the client last read something
        self._write_progress = False  # resume_writing since the watchdog's last look
        self._ws: AsyncioWebSocket | None = None  # after a WebSocket upgrade

    # -- transport callbacks ------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._client = _address(transport.get_extra_info("peername"))
        self._server = _address(transport.get_extra_info("sockname"))
        self._driver.connections.add(self)
        self._update_timer()
        if self._driver.draining:  # accepted (TLS handshake done) as shutdown began
            self.request_close()

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return
        self._conn.receive_data(data)
        if not self._busy:
            self._process()
            return
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)
            return
        self._unread += len(data)
        if self._unread > HIGH_WATER and self._reading:
            self._reading = False
            self._transport.pause_reading()  # type: ignore[union-attr]

    def eof_received(self) -> bool:
        if self._lingering:
            self._transport.close()  # type: ignore[union-attr]
            return False
        self._conn.receive_data(b"")
        if not self._busy:
            self._process()
        elif self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        # keep our sending side open: a response may still be on its way (TLS cannot
        # half-close, and asyncio warns if we ask)
        return self._driver.ssl_context is None

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self._timer_kind = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None
        for waiter in (self._waiter, self._write_waiter, self._host_waiter):
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
        self._driver._forget(self)

    def pause_writing(self) -> None:
        # The client does not read as fast as we write: stop reading too (no request is
        # parsed, no byte buffered, ahead of an unsent response) and watch for progress.
        self._write_paused = True
        if self._reading and not self._lingering:
            self._reading = False
            self._transport.pause_reading()  # type: ignore[union-attr]
        self._watch_writes()

    def resume_writing(self) -> None:
        self._write_paused = False
        self._write_progress = True
        if not self._reading and self._unread <= HIGH_WATER and not self._lost:
            self._reading = True
            self._transport.resume_reading()  # type: ignore[union-attr]
        waiter = self._write_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- between requests -------------------------------------------------------------

    def _process(self) -> None:
        """Parse what is buffered: run the requests it holds, then wait or close."""
        conn = self._conn
        while True:
            event = conn.next_event()
            kind = type(event)
            if kind is RequestHead:
                assert isinstance(event, RequestHead)
                if self._start(event):
                    return  # the host task goes on from here when the request is done
                if self._lost:
                    return
            elif kind is NeedData:
                self._unread = 0
                if not self._reading:
                    self._reading = True
                    self._transport.resume_reading()  # type: ignore[union-attr]
                self._update_timer()
                return
            elif kind is Reject:
                assert isinstance(event, Reject)
                logger.debug("rejected %s: %d %s", self._client, event.status, event.reason)
                self._write(event.data)
                self._close()
                return
            else:  # Close, PeerClosed
                self._close()
                return

    def _start(self, head: RequestHead) -> bool:
        """Run the app for ``head``; False when it finished without waiting."""
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
        coro = self._run(request)
        context = copy_context()
        loop = self._loop
        host = self._host
        if host is None:
            host = self._host = loop.create_task(self._host_loop())
        # In a transport callback no task is current; inside the host (the next pipelined
        # request, started when the previous one ended) the host already is.
        enter = asyncio.current_task(loop) is None
        if enter:
            _enter_task(loop, host)
        self._busy = True
        try:
            waiting_on = context.run(coro.send, None)
        except StopIteration:
            self._busy = False
            return False
        finally:
            if enter:
                _leave_task(loop, host)
        self._handoff = (coro, context, waiting_on)
        waiter = self._host_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        return True

    async def _host_loop(self) -> None:
        """The host task: go on with the requests that wait (see the module docstring)."""
        while not self._lost:
            step = self._handoff
            if step is None:
                waiter = self._host_waiter = self._loop.create_future()
                try:
                    await waiter
                finally:
                    self._host_waiter = None
                continue
            self._handoff = None
            await _go_on(*step)
            if not self._lost:
                self._process()  # the next pipelined request, or wait, or close

    async def _run(self, request: Request) -> None:
        conn = self._conn
        try:
            res = await self._handle(request)
            if res.body_stream is None:
                headers, block = response_head(res)
                data = conn.respond(res.status_code, headers, res.body, validated=True, block=block)
                if data and not self._lost:  # b"": the connection expired meanwhile
                    self._transport.write(data)  # type: ignore[union-attr]
                    if self._write_paused:  # the next pipelined request waits for it
                        await self._writable()
            else:
                await self._stream(res)
            if res.after_calls and not self._lost:  # res.after(): the last byte is out
                await after_sent(self._app, res)
        except asyncio.CancelledError:
            conn.abort()
            raise
        except Exception:
            logger.exception("error while sending the response to %s", self._client)
            conn.abort()
        finally:
            self._busy = False

    async def _stream(self, res: Response) -> None:
        stream = res.body_stream
        assert stream is not None
        if type(stream) is WebSocketUpgrade:
            from ._ws_asyncio import serve_websocket

            await serve_websocket(self, stream, res)
            return
        conn = self._conn
        headers, block = response_head(res)
        self._write(conn.start_response(res.status_code, headers, validated=True, block=block))
        try:
            if conn.state is BODY:
                async for chunk in stream:
                    if self._lost:
                        logger.debug("client %s went away mid-response", self._client)
                        conn.abort()
                        return
                    data = conn.send_body(chunk)
                    if data:
                        self._transport.write(data)  # type: ignore[union-attr]
                        if self._write_paused:
                            await self._writable()
                self._write(conn.end_response())
                if self._write_paused:  # the next pipelined request waits for it
                    await self._writable()
        finally:
            close = getattr(stream, "aclose", None)
            if close is not None:
                await close()

    async def _writable(self) -> None:
        waiter = self._write_waiter = self._loop.create_future()
        try:
            if self._write_paused and not self._lost:
                await waiter
        finally:
            self._write_waiter = None

    async def _receive(self) -> bytes:
        """The request's ``receive``: the next body chunk, ``b""`` at the end."""
        conn = self._conn
        if conn.waiting_for_continue and not self._lost:
            self._write(conn.send_continue())
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
                return b""  # BodyEnd (or the response is over)
            if self._lost:
                raise ClientDisconnected()
            self._unread = 0
            if not self._reading:
                self._reading = True
                self._transport.resume_reading()  # type: ignore[union-attr]
            # no byte for body_timeout: 408 and close (each byte starts it again)
            self._timer_kind = _BODY
            timeout = progress_timeout(self._config, _BODY, self._driver.draining)
            self._set_deadline(self._loop.time() + timeout)
            waiter = self._waiter = self._loop.create_future()
            try:
                await waiter
            finally:
                self._waiter = None
                if self._timer_kind is _BODY:
                    self._timer_kind = None

    # -- timers, writing, closing ---------------------------------------------------

    def _update_timer(self) -> None:
        kind = self._conn.timer
        if kind is self._timer_kind:
            return
        self._timer_kind = kind
        if kind is None:
            return
        timeout = self._header_timeout if kind is TimerKind.HEADER else self._keep_alive_timeout
        self._set_deadline(self._loop.time() + timeout)

    def _set_deadline(self, deadline: float) -> None:
        self._deadline = deadline
        timer = self._timer
        if timer is not None and self._timer_at > deadline:
            timer.cancel()
            timer = None
        if timer is None:
            self._timer_at = deadline
            self._timer = self._loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if self._timer_kind is None or self._lost:
            return
        if self._loop.time() < self._deadline:
            self._timer_at = self._deadline
            self._timer = self._loop.call_at(self._deadline, self._on_timer)
            return
        kind = self._timer_kind
        logger.debug("%s timed out (%s)", self._client, kind.value)
        self._timer_kind = None
        self._write(self._conn.expire())  # a 408 when nothing was answered yet
        if kind is _BODY:
            self._body_expired = True
            waiter = self._waiter
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
        self._close()

    def _watch_writes(self) -> None:
        """Arm the ``write_timeout`` watchdog (writes paused, or closing with data left)."""
        if self._write_timer is not None or self._lost or self._transport is None:
            return
        self._write_size = self._transport.get_write_buffer_size()
        self._write_since = self._loop.time()
        self._write_progress = False
        timeout = progress_timeout(self._config, _WRITE, self._driver.draining)
        self._write_timer = self._loop.call_later(timeout / 4, self._check_writes)

    def _check_writes(self) -> None:
        """The watchdog: abort a connection whose client read nothing for a whole timeout."""
        self._write_timer = None
        transport = self._transport
        if self._lost or transport is None or self._ws is not None:
            return
        size = transport.get_write_buffer_size()
        stuck = self._write_paused or transport.is_closing() or self._lingering
        if not size or not stuck:
            return  # flushed (or below the limits, and the connection goes on): disarm
        now = self._loop.time()
        if self._write_progress or size < self._write_size:
            self._write_progress = False
            self._write_since = now
        self._write_size = size
        timeout = progress_timeout(self._config, _WRITE, self._driver.draining)
        if now - self._write_since >= timeout:
            logger.debug("%s read nothing for %.1f s: aborting", self._client, timeout)
            transport.abort()  # drops the buffer; connection_lost releases the rest
            return
        self._write_timer = self._loop.call_later(timeout / 4, self._check_writes)

    def _write(self, data: bytes) -> None:
        transport = self._transport
        if data and transport is not None and not transport.is_closing():
            transport.write(data)

    def _close(self) -> None:
        """Close gracefully: half-close, discard what still comes, then close."""
        transport = self._transport
        if transport is None or transport.is_closing() or self._lingering:
            return
        self._timer_kind = None
        if transport.get_write_buffer_size():
            self._watch_writes()  # close() waits for the client to read what is left
        if not self._conn.unread_input or not transport.can_write_eof():
            transport.close()
            return
        self._lingering = True
        transport.write_eof()
        if not self._reading:
            self._reading = True
            transport.resume_reading()
        linger = SHUTDOWN_PATIENCE if self._driver.draining else LINGER_TIMEOUT
        self._loop.call_later(linger, transport.close)

    def request_close(self) -> None:
        """Graceful shutdown: close now if idle, else after the current response."""
        if self._ws is not None:
            self._ws.request_close()
            return
        if self._conn.request_close() and not self._busy:
            self._close()
            return
        # busy: the response may finish, but a client that does not move gets little time
        if self._timer_kind is _BODY:
            self._set_deadline(min(self._deadline, self._loop.time() + SHUTDOWN_PATIENCE))
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = self._loop.call_later(SHUTDOWN_PATIENCE / 4, self._check_writes)

    def abort(self) -> asyncio.Task[None] | None:
        """Abort the connection; returns its host task (cancelled), if any."""
        if self._transport is not None:
            self._transport.abort()
        host = self._host
        if host is not None:
            host.cancel()
        return host


@types.coroutine
def _go_on(
    coro: Coroutine[Any, Any, None], context: Context, waiting_on: Any
) -> Generator[Any, None, None]:
    """Go on with ``coro`` in ``context`` from where it waits on ``waiting_on``.

    Awaited by the host task: what ``coro`` waits on is passed up to the task as if the
    task ran ``coro`` itself, and the task's wake-ups (or cancellation) are passed down.
    """
    while True:
        try:
            yield waiting_on
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as exc:  # cancellation, mostly: the request gets it
            try:
                waiting_on = context.run(coro.throw, exc)
            except StopIteration:
                return
        else:
            try:
                waiting_on = context.run(coro.send, None)
            except StopIteration:
                return


def _address(value: object) -> tuple[str, int] | None:
    if isinstance(value, tuple) and len(value) >= 2:
        return str(value[0]), int(value[1])
    return None
