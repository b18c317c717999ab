"""``TestClient.ws(path)``: a WebSocket session with the app, in-process.

The handshake request is built like any test request (cookies, headers, query) plus the
WebSocket handshake headers, and goes through ``app.handle``: middlewares and
``upgrade`` run as on a server. If the app refuses, ``WSRejected`` carries the
response. Otherwise the route's session runs in a task, connected to this object by two
in-memory queues: ``send`` and ``receive`` speak messages (``str`` or ``bytes``), and
``receive`` raises ``WSDisconnect`` once the app closed the connection.
"""

from __future__ import annotations

import base64
import json
import os
from collections import deque
from typing import TYPE_CHECKING, Any, Self

import anyio

from ._server._wsconnection import WSClose, WSMessage
from ._websocket import WebSocket, WebSocketUpgrade, run_session

if TYPE_CHECKING:
    from types import TracebackType

    from anyio.abc import TaskGroup

    from ._testclient import RequestBuilder, TestResponse
    from ._ws_options import WSOptions


class WSRejected(Exception):
    """The app answered the handshake with an HTTP response (``response``)."""

    def __init__(self, response: TestResponse) -> None:
        super().__init__(f"WebSocket handshake refused: {response.status}")
        self.response = response


class WSDisconnect(Exception):
    """The app closed the WebSocket (``code``, ``reason``)."""

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(f"WebSocket closed: {code} {reason}".strip())
        self.code = code
        self.reason = reason


class _Pipe:
    """One direction: a deque of events and an event to wake the reader."""

    def __init__(self) -> None:
        self.items: deque[WSMessage | WSClose] = deque()
        self.ready = anyio.Event()

    def put(self, item: WSMessage | WSClose) -> None:
        self.items.append(item)
        self.ready.set()

    async def get(self) -> WSMessage | WSClose:
        while not self.items:
            self.ready = anyio.Event()
            await self.ready.wait()
        return self.items.popleft()


class _ServerSide:
    """The session's ``Channel``: messages go straight into the client's pipe."""

    def __init__(self, inbound: _Pipe, outbound: _Pipe, options: WSOptions) -> None:
        self._in = inbound
        self._out = outbound
        self._max = options.max_payload_length
        self.closing = False
        self.closed = False

    async def receive(self) -> WSMessage | WSClose:
        event = await self._in.get()
        if type(event) is WSMessage:
            data = event.data
            size = len(data) if isinstance(data, bytes) else len(data.encode())
            if size > self._max:
                self.close(1009, "message too big")
                return WSClose(1009, "message too big")
        else:
            if not self.closing:
                self._out.put(event)  # echo the client's close
            self.closed = True
        return event

    def send(self, message: str | bytes, frame: bytes | None) -> bool:
        if self.closing or self.closed:
            return False
        self._out.put(WSMessage(message if isinstance(message, str) else bytes(message)))
        return True

    @property
    def backpressured(self) -> bool:
        return False

    async def writable(self) -> None:
        return None

    def close(self, code: int, reason: str) -> None:
        if not self.closing and not self.closed:
            self.closing = True
            self._out.put(WSClose(code, reason))


class WSTestSession:
    """The client side of an in-process WebSocket (``async with client.ws(path) as ws``)."""

    __test__ = False

    def __init__(self, builder: RequestBuilder) -> None:
        self._builder = builder
        self._to_app = _Pipe()
        self._to_client = _Pipe()
        self._group: TaskGroup | None = None
        self._done = anyio.Event()
        self.close_code: int | None = None
        self.close_reason = ""
        self._close_sent = False
        self.response: TestResponse | None = None

    async def __aenter__(self) -> Self:
        from ._testclient import TestResponse

        builder = self._builder
        key = base64.b64encode(os.urandom(16)).decode()
        builder.set(
            {
                "upgrade": "websocket",
                "connection": "Upgrade",
                "sec-websocket-version": "13",
                "sec-websocket-key": key,
            }
        )
        client = builder._client
        app = client.app
        await app.startup()
        res = await app.handle(builder.build())
        raw = res.raw_headers()
        for name, value in raw:
            if name.lower() == b"set-cookie":
                client.cookies.store(value.decode("latin-1"))
        upgrade = res.body_stream
        self.response = TestResponse(
            res.status_code, raw, b"" if upgrade is not None else res.body, response=res
        )
        if type(upgrade) is not WebSocketUpgrade:
            raise WSRejected(self.response)
        options = app.ws_options
        channel = _ServerSide(self._to_app, self._to_client, options)
        self._group = anyio.create_task_group()
        await self._group.__aenter__()
        ws = WebSocket(app, upgrade, channel, options)
        self._group.start_soon(self._run, ws)
        return self

    async def _run(self, ws: WebSocket) -> None:
        try:
            await run_session(ws)
        finally:
            self._done.set()

    async def send(self, message: str | bytes) -> None:
        """Send a text (``str``) or binary (``bytes``) message to the app."""
        if self.close_code is not None:
            raise WSDisconnect(self.close_code, self.close_reason)
        self._to_app.put(WSMessage(message))
        await anyio.lowlevel.checkpoint()

    async def send_json(self, data: Any) -> None:
        """Send ``data`` as a JSON text message."""
        await self.send(json.dumps(data))

    async def receive(self, timeout: float = 5.0) -> str | bytes:  # noqa: ASYNC109
        """The next message from the app.

        Raises:
            WSDisconnect: The app closed the connection.
            TimeoutError: Nothing came within ``timeout`` seconds.
        """
        if self.close_code is not None:
            raise WSDisconnect(self.close_code, self.close_reason)
        with anyio.fail_after(timeout):
            event = await self._to_client.get()
        if type(event) is WSClose:
            self.close_code, self.close_reason = event.code, event.reason
            raise WSDisconnect(event.code, event.reason)
        assert type(event) is WSMessage
        return event.data

    async def receive_json(self, timeout: float = 5.0) -> Any:  # noqa: ASYNC109
        """The next message, parsed as JSON."""
        return json.loads(await self.receive(timeout))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection and wait (5 s at most) for the app's ``close`` handler."""
        if self.close_code is None:
            self.close_code, self.close_reason = code, reason
        if not self._close_sent:  # our close, or the answer to the app's
            self._close_sent = True
            self._to_app.put(WSClose(self.close_code, self.close_reason))
        with anyio.move_on_after(5):
            await self._done.wait()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._group is None:
            return
        try:
            await self.close()
        finally:
            self._group.cancel_scope.cancel()
            await self._group.__aexit__(None, None, None)
