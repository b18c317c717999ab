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

Accepting is asyncio's own loop, which takes up to ``backlog`` connections
per readiness event: the backlog is drained in batches.

Flow control: while a request runs, bytes read ahead of the app (body or pipelined
requests) stay in the connection's buffer; beyond ``HIGH_WATER`` reading pauses until the
app asks for more. A streaming response waits for ``resume_writing`` whenever the
transport's write buffer is over its high-water mark.

Timers: one ``TimerHandle`` per connection at most, rescheduled lazily: a state change
only moves ``_deadline``; when the handle fires early it re-arms itself for the new
deadline, so keep-alive requests do not create and cancel a timer each.
"""

from __future__ import annotations

import asyncio
import socket
import types
from asyncio.tasks import _enter_task, _leave_task
from contextvars import Context, copy_context
from typing import TYPE_CHECKING, Any

from .._request import Request, no_body
from .._websocket import WebSocketUpgrade
from ._common import (
    HIGH_WATER,
    LINGER_TIMEOUT,
    ClientDisconnected,
    body_error,
    logger,
    response_head,
)
from ._common import new_connection as _new_connection
from ._events import BodyChunk, BodyError, NeedData, Reject, RequestHead
from ._states import BODY, TimerKind

if TYPE_CHECKING:
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
        self.scheme = "https" if ssl_context is not None else "http"
        self.connections: set[HTTPProtocol] = set()
        self._server: asyncio.Server | None = None
        self._all_closed: asyncio.Event | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    async def start(self, task_group: TaskGroup, sock: socket.socket) -> None:
        """Start accepting on ``sock`` (a listening socket)."""
        loop = self.loop = asyncio.get_running_loop()
        options: dict[str, Any] = {"sock": sock, "backlog": self.config.backlog}
        if self.ssl_context is not None:
            options["ssl"] = self.ssl_context
            options["ssl_handshake_timeout"] = self.config.header_timeout
        if sock.family == socket.AF_UNIX:
            self._server = await loop.create_unix_server(self._protocol, **options)
        else:
            self._server = await loop.create_server(self._protocol, **options)

    def _protocol(self) -> HTTPProtocol:
        return HTTPProtocol(self)

    async def stop_accepting(self) -> None:
        """Close the listening socket."""
        if self._server is not None:
            self._server.close()

    def _forget(self, protocol: HTTPProtocol) -> None:
        self.connections.discard(protocol)
        if not self.connections and self._all_closed is not None:
            self._all_closed.set()

    async def drain(self) -> None:
        """Close idle connections, let the busy ones finish their response, wait for all."""
        self._all_closed = asyncio.Event()
        for protocol in list(self.connections):
            protocol.request_close()
        if self.connections:
            await self._all_closed.wait()

    async def abort(self) -> None:
        """Abort the connections left and cancel their requests."""
        tasks = []
        for protocol in list(self.connections):
            task = protocol.abort()
            if task is not None:
                tasks.append(task)
        if tasks:
            await asyncio.wait(tasks, timeout=1.0)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


class HTTPProtocol(asyncio.Protocol):
    """One HTTP/1.1 connection on an asyncio transport."""

    def __init__(self, driver: AsyncioDriver) -> None:
        self._driver = driver
        self._app = driver.app
        assert driver.loop is not None
        self._loop = driver.loop
        config = driver.config
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
        self._ws: AsyncioWebSocket | None = None  # after a WebSocket upgrade

    # -- transport callbacks ------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._client = _address(transport.get_extra_info("peername"))
        self._server = _address(transport.get_extra_info("sockname"))
        self._driver.connections.add(self)
        self._update_timer()

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
        for waiter in (self._waiter, self._write_waiter, self._host_waiter):
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
        self._driver._forget(self)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
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
            res = await self._app.handle(request)
            if res.body_stream is None:
                headers, block = response_head(res)
                data = conn.respond(res.status_code, headers, res.body, validated=True, block=block)
                if not self._lost:
                    self._transport.write(data)  # type: ignore[union-attr]
            else:
                await self._stream(res)
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
            waiter = self._waiter = self._loop.create_future()
            try:
                await waiter
            finally:
                self._waiter = None

    # -- timers, writing, closing ---------------------------------------------------

    def _update_timer(self) -> None:
        kind = self._conn.timer
        if kind is self._timer_kind:
            return
        self._timer_kind = kind
        if kind is None:
            return
        timeout = self._header_timeout if kind is TimerKind.HEADER else self._keep_alive_timeout
        deadline = self._deadline = self._loop.time() + timeout
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
        logger.debug("%s timed out (%s)", self._client, self._timer_kind.value)
        self._timer_kind = None
        self._write(self._conn.expire())
        self._close()

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
        if not self._conn.unread_input or not transport.can_write_eof():
            transport.close()
            return
        self._lingering = True
        transport.write_eof()
        if not self._reading:
            self._reading = True
            transport.resume_reading()
        self._loop.call_later(LINGER_TIMEOUT, transport.close)

    def request_close(self) -> None:
        """Graceful shutdown: close now if idle, else after the current response."""
        if self._ws is not None:
            self._ws.request_close()
            return
        if self._conn.request_close() and not self._busy:
            self._close()

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
