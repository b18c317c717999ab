"""The ASGI ``websocket`` scope: the handshake through ``Harpia.handle``, then a session.

The server (uvicorn, hypercorn …) owns the protocol; this adapts its messages to a
``Channel``. Sends go through a queue and a writer task, so ``send`` never waits (a
pub/sub fan-out does not stall on one slow ASGI connection); the queue's byte size is
what the backpressure limit bounds. Idle timeout and pings are the server's business
under ASGI (e.g. uvicorn's ``--ws-ping-interval``); ``max_payload_length`` is enforced
here too (1009). The server also did the handshake: the request a WebSocket route sees
is an ``UpgradedRequest``, for which the route does not check ``Upgrade``,
``Sec-WebSocket-Key`` or ``Sec-WebSocket-Version`` again (servers need not pass those
headers on in the scope); ``Origin`` and the route's ``upgrade`` handler still apply.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

import anyio

from ._asgi import request_target
from ._request import Request
from ._server._wsconnection import MESSAGE_TOO_BIG, WSClose, WSMessage
from ._websocket import WebSocket, WebSocketUpgrade, run_session

if TYPE_CHECKING:
    from ._app import Harpia
    from ._ws_options import WSOptions

Scope = dict[str, Any]


class UpgradedRequest(Request):
    """The request of an ASGI ``websocket`` scope: its handshake is already done."""

    __slots__ = ()
    handshake_done = True


async def websocket(app: Harpia, scope: Scope, receive: Any, send: Any) -> None:
    """Serve one ASGI ``websocket`` connection with ``app``."""
    first = await receive()
    if first["type"] != "websocket.connect":
        return
    target = request_target(scope)
    if isinstance(target, str):  # a malformed Host
        await _refuse(scope, send, 400, b"Bad Request")
        return
    path, headers = target
    request = UpgradedRequest(
        "GET",
        path,
        scope.get("query_string", b"").decode("latin-1"),
        headers,
        client=tuple(scope["client"]) if scope.get("client") else None,
        scheme="https" if scope.get("scheme") == "wss" else "http",
        server=tuple(scope["server"]) if scope.get("server") else None,
        http_version=scope.get("http_version", "1.1"),
        app=app,
    )
    res = await app.handle(request)
    upgrade = res.body_stream
    if type(upgrade) is not WebSocketUpgrade:
        await _refuse(scope, send, res.status_code, res.body, res.raw_headers())
        return
    headers = [
        pair
        for pair in res.raw_headers()
        if pair[0].lower() not in (b"content-length", b"content-type")
    ]
    await send({"type": "websocket.accept", "headers": headers})
    options = app.ws_options
    channel = ASGIChannel(receive, send, options)
    async with anyio.create_task_group() as group:
        group.start_soon(channel.write_loop)
        try:
            await run_session(WebSocket(app, upgrade, channel, options))
            channel.close(1000, "")
            with anyio.move_on_after(5):
                await channel.flushed.wait()
        finally:
            group.cancel_scope.cancel()


async def _refuse(
    scope: Scope,
    send: Any,
    status: int,
    body: bytes,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """Refuse the handshake: that response if the server can send one, else a close."""
    if "websocket.http.response" in scope.get("extensions", {}):
        start = {
            "type": "websocket.http.response.start",
            "status": status,
            "headers": headers or [],
        }
        await send(start)
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 1008, "reason": ""})


class ASGIChannel:
    """A ``Channel`` over ASGI ``receive``/``send``."""

    def __init__(self, receive: Any, send: Any, options: WSOptions) -> None:
        self._receive = receive
        self._send = send
        self._limit = options.backpressure_limit
        self._max = options.max_payload_length
        self._outbox: deque[dict[str, Any]] = deque()
        self._pending = 0
        self._closing = False
        self._closed = False
        self._close_code: WSClose | None = None
        self._has_output = anyio.Event()
        self._drained = anyio.Event()
        self.flushed = anyio.Event()

    async def receive(self) -> WSMessage | WSClose:
        """The next message, or the final ``WSClose``."""
        if self._closed:
            return self._close_code or WSClose(1006, "")
        message = await self._receive()
        kind = message["type"]
        if kind == "websocket.receive":
            text = message.get("text")
            data: str | bytes = text if text is not None else message.get("bytes") or b""
            size = len(data) if isinstance(data, bytes) else len(data.encode())
            if size > self._max:
                self.close(MESSAGE_TOO_BIG, "message too big")
                self._closed = True
                self._close_code = WSClose(MESSAGE_TOO_BIG, "message too big")
                return self._close_code
            return WSMessage(data)
        self._closed = True
        self._close_code = self._close_code or WSClose(
            int(message.get("code", 1005)), message.get("reason") or ""
        )
        self._has_output.set()
        return self._close_code

    def _queue(self, message: dict[str, Any], size: int) -> None:
        self._outbox.append(message)
        self._pending += size
        self._has_output.set()

    def send(self, message: str | bytes, frame: bytes | None) -> bool:
        """Queue a message for the writer task."""
        if self._closing or self._closed:
            return False
        if isinstance(message, str):
            self._queue({"type": "websocket.send", "text": message}, len(message))
        else:
            self._queue({"type": "websocket.send", "bytes": bytes(message)}, len(message))
        return True

    @property
    def backpressured(self) -> bool:
        """True while more than the backpressure limit is queued."""
        return self._pending > self._limit

    async def writable(self) -> None:
        """Wait until the queue drained below a quarter of the limit."""
        while self._pending > self._limit // 4 and not self._closed:
            self._drained = anyio.Event()
            await self._drained.wait()

    def close(self, code: int, reason: str) -> None:
        """Queue ``websocket.close``."""
        if self._closing:
            return
        self._closing = True
        if self._close_code is None:
            self._close_code = WSClose(code, reason)
        if not self._closed:
            self._queue({"type": "websocket.close", "code": code, "reason": reason}, 0)
        else:
            self._has_output.set()

    async def write_loop(self) -> None:
        """Hand queued messages to the server, in order."""
        outbox = self._outbox
        while True:
            if not outbox:
                if self._closing or self._closed:
                    break
                self._has_output = anyio.Event()
                await self._has_output.wait()
                continue
            message = outbox.popleft()
            try:
                await self._send(message)
            except Exception:  # the client is gone (servers raise various errors)
                self._closed = True
                outbox.clear()
                break
            self._pending -= len(message.get("text") or message.get("bytes") or b"")
            if self._pending <= self._limit // 4:
                self._drained.set()
        self._pending = 0
        self._drained.set()
        self.flushed.set()
