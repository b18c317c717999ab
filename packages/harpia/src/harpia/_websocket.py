"""WebSocket routes: the handlers, the ``ws`` object and the session every front end runs.

How a WebSocket connection goes, whatever the front end (native server, ASGI, test client):

1. The handshake request goes through ``Harpia.handle`` like any request: routing (path
   parameters), global and path middlewares, then the route's ``WSRoute``, which checks
   the handshake headers (426/400), runs the ``upgrade(req)`` handler (an ``HTTPError``
   there, or in a middleware, answers the handshake with that status) and marks the
   response as an upgrade: ``res.body_stream`` is a ``WebSocketUpgrade``. (A marker in
   ``body_stream`` costs the plain HTTP path nothing: front ends already branch on it.)
2. The front end completes the handshake in its own terms (``101`` from h11 + wsproto,
   ``websocket.accept``, an in-memory pair) and builds a ``Channel``: the seam between the
   session and the transport.
3. ``run_session`` calls ``open``, then ``message`` for each message the channel
   delivers, in order, one at a time, then ``close`` (always, exactly once).

A channel's ``send`` never waits: it writes (or queues) at once and reports whether the
buffer is over the backpressure limit. ``WebSocket.send`` then waits (or closes, with
``close_on_backpressure_limit``); a pub/sub fan-out never waits for anybody.
"""

from __future__ import annotations

import base64
import binascii
import inspect
import itertools
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from ._errors import HTTPError
from ._server._wsconnection import ABNORMAL, INTERNAL_ERROR, POLICY_VIOLATION, WSClose, WSMessage
from ._ws_options import SAME_ORIGIN, allowed_origins_option, origin_allowed

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from ._app import Harpia
    from ._request import Request
    from ._response import Response
    from ._ws_options import WSOptions

logger = logging.getLogger("harpia")

CONNECTING, OPEN, CLOSING, CLOSED = 0, 1, 2, 3
_HANDLER_NAMES = ("upgrade", "open", "message", "close", "drain", "error")
_ids = itertools.count(1)


class Channel(Protocol):
    """What a front end gives a session: a message-level, non-blocking transport."""

    def send(self, message: str | bytes, frame: bytes | None) -> bool:
        """Write or queue ``message`` now (``frame``: its plain encoded frame, if known).

        Returns False when the connection is closing or closed (nothing sent).
        """

    @property
    def backpressured(self) -> bool:
        """True while the send buffer is over the backpressure limit."""

    async def writable(self) -> None:
        """Wait until the send buffer has drained (or the connection is gone)."""

    async def receive(self) -> WSMessage | WSClose:
        """The next message, or the final ``WSClose``."""

    def close(self, code: int, reason: str) -> None:
        """Start the close handshake (no-op when already closing)."""


async def _maybe(result: Any) -> Any:
    if inspect.isawaitable(result):
        return await result
    return result


class WSHandlers:
    """The handlers of one WebSocket route, found on an object, a class or a mapping."""

    __slots__ = _HANDLER_NAMES

    def __init__(self, source: Any) -> None:
        if isinstance(source, type):
            source = source()
        for name in _HANDLER_NAMES:
            if isinstance(source, Mapping):
                fn = source.get(name)
            else:
                fn = getattr(source, name, None)
            if fn is not None and not callable(fn):
                raise TypeError(f"WebSocket handler {name!r} must be callable, got {fn!r}")
            setattr(self, name, fn)

    upgrade: Callable[..., Any] | None
    open: Callable[..., Any] | None
    message: Callable[..., Any] | None
    close: Callable[..., Any] | None
    drain: Callable[..., Any] | None
    error: Callable[..., Any] | None


class WebSocketUpgrade:
    """The marker ``WSRoute`` leaves in ``res.body_stream``: this request becomes a WebSocket.

    Attributes:
        handlers: The route's handlers.
        data: The per-connection dict, filled by ``upgrade``.
        request: The handshake request.
    """

    __slots__ = ("data", "handlers", "request")

    def __init__(self, handlers: WSHandlers, data: dict[str, Any], request: Request) -> None:
        self.handlers = handlers
        self.data = data
        self.request = request

    def __aiter__(self) -> AsyncIterator[bytes]:
        raise RuntimeError("this front end cannot upgrade to WebSocket")


def _has_token(value: str | None, token: str) -> bool:
    return value is not None and token in (part.strip().lower() for part in value.split(","))


def check_handshake(req: Request) -> None:
    """Raise the ``HTTPError`` a WebSocket handshake request deserves, if any.

    Nothing is checked for a request whose front end did the handshake already (an ASGI
    ``websocket`` scope: ``handshake_done``).
    """
    if getattr(req, "handshake_done", False):
        return
    headers = req.headers
    if req.method != "GET" or not _has_token(headers.get("upgrade"), "websocket"):
        raise HTTPError(426, "WebSocket upgrade required", headers={"Upgrade": "websocket"})
    if not _has_token(headers.get("connection"), "upgrade"):
        raise HTTPError(400, "Connection: Upgrade is missing")
    if headers.get("sec-websocket-version") != "13":
        raise HTTPError(
            426, "unsupported WebSocket version", headers={"Sec-WebSocket-Version": "13"}
        )
    key = headers.get("sec-websocket-key", "")
    try:
        valid = len(base64.b64decode(key, validate=True)) == 16
    except (binascii.Error, ValueError):
        valid = False
    if not valid:
        raise HTTPError(400, "invalid Sec-WebSocket-Key")


def check_origin(req: Request, allowed: str | frozenset[str]) -> None:
    """Raise 403 when the handshake's ``Origin`` is not allowed (cross-site hijacking)."""
    headers = req.headers
    if not origin_allowed(allowed, headers.get("origin"), headers.get("host")):
        raise HTTPError(403, "WebSocket origin not allowed")


class WSRoute:
    """The terminal handler of a WebSocket route: validates and upgrades.

    Args:
        handlers: The route's handlers (see ``WSHandlers``).
        allowed_origins: This route's ``allowed_origins`` (validated); ``None``: the
            app's ``ws_options``.
    """

    __slots__ = ("allowed_origins", "handlers")

    def __init__(self, handlers: Any, allowed_origins: Any = None) -> None:
        self.handlers = WSHandlers(handlers)
        self.allowed_origins = (
            None if allowed_origins is None else allowed_origins_option(allowed_origins)
        )

    async def __call__(self, req: Request, res: Response) -> None:
        check_handshake(req)
        allowed = self.allowed_origins
        if allowed is None:
            allowed = req.app.ws_options.allowed_origins if req.app is not None else SAME_ORIGIN
        check_origin(req, allowed)
        data: dict[str, Any] = {}
        upgrade = self.handlers.upgrade
        if upgrade is not None:
            result = await _maybe(upgrade(req))
            if result is False:
                raise HTTPError(403)
            if isinstance(result, Mapping):
                data.update(result)
        res.status_code = 101
        res.status_set = True
        res.sent = True
        res._sent_by = "the WebSocket upgrade"
        res.body_stream = WebSocketUpgrade(self.handlers, data, req)


class WebSocket:
    """One WebSocket connection, as handlers see it (``ws``).

    Attributes:
        data: Per-connection dict, pre-filled with what ``upgrade`` returned.
        remote_address: The peer's address (host), when known.
        ready_state: 0 connecting, 1 open, 2 closing, 3 closed.
        request: The handshake request (headers, cookies, params …).
    """

    __slots__ = (
        "_app",
        "_channel",
        "_handlers",
        "_options",
        "data",
        "id",
        "ready_state",
        "remote_address",
        "request",
        "topics",
    )

    def __init__(
        self,
        app: Harpia,
        upgrade: WebSocketUpgrade,
        channel: Channel,
        options: WSOptions,
    ) -> None:
        self._app = app
        self._channel = channel
        self._handlers = upgrade.handlers
        self._options = options
        self.data = upgrade.data
        self.request = upgrade.request
        client = upgrade.request.client
        self.remote_address = client[0] if client else None
        self.ready_state = CONNECTING
        self.topics: set[str] = set()
        self.id = next(_ids)

    def __repr__(self) -> str:
        return f"<WebSocket {self.request.raw_path} state={self.ready_state}>"

    async def send(self, message: str | bytes) -> bool:
        """Send a text (``str``) or binary (``bytes``) message.

        Waits while the send buffer is over ``backpressure_limit`` (then runs ``drain``),
        or closes the connection (1008) with ``close_on_backpressure_limit``.

        Returns:
            False when the connection is closing or closed (nothing was sent).
        """
        kind = type(message)
        if kind is not str and kind is not bytes:
            if not isinstance(message, str | bytes | bytearray | memoryview):
                raise TypeError(f"ws.send takes str or bytes, not {type(message).__name__}")
            message = message if isinstance(message, str) else bytes(message)
        channel = self._channel
        if not channel.send(message, None):
            return False
        if channel.backpressured:
            await self._relieve()
        return True

    async def _relieve(self) -> None:
        if self._options.close_on_backpressure_limit:
            await self.close(POLICY_VIOLATION, "backpressure limit")
            return
        await self._channel.writable()
        drain = self._handlers.drain
        if drain is not None and self.ready_state == OPEN:
            await _maybe(drain(self))

    def deliver(self, message: str | bytes, frame: bytes | None) -> bool:
        """Pub/sub fan-out: send without waiting; over the limit, drop (or close)."""
        if self.ready_state != OPEN:
            return False
        channel = self._channel
        if channel.backpressured:
            if self._options.close_on_backpressure_limit:
                self.ready_state = CLOSING
                channel.close(POLICY_VIOLATION, "backpressure limit")
            return False
        return channel.send(message, frame)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the close handshake; ``close`` runs once the peer has answered."""
        if self.ready_state >= CLOSING:
            return
        self.ready_state = CLOSING
        self._channel.close(code, reason)

    def subscribe(self, topic: str) -> None:
        """Receive what is published to ``topic``."""
        self._app.hub.subscribe(self, topic)

    def unsubscribe(self, topic: str) -> None:
        """Stop receiving ``topic``."""
        self._app.hub.unsubscribe(self, topic)

    def is_subscribed(self, topic: str) -> bool:
        """True when subscribed to ``topic``."""
        return topic in self.topics

    async def publish(self, topic: str, message: str | bytes) -> int:
        """Publish to the other subscribers of ``topic`` (to self too with ``publish_to_self``).

        Returns:
            How many local connections it was delivered to (with Redis: 0, delivery is
            asynchronous).
        """
        exclude = None if self._options.publish_to_self else self
        return await self._app.hub.publish(topic, message, exclude=exclude)


async def run_session(ws: WebSocket) -> None:
    """Run the handlers of ``ws`` over its channel until the connection is closed."""
    handlers = ws._handlers
    channel = ws._channel
    code, reason = ABNORMAL, ""
    try:
        ws.ready_state = OPEN
        if handlers.open is not None:
            await _maybe(handlers.open(ws))
        on_message = handlers.message
        receive = channel.receive
        while True:
            event = await receive()
            if type(event) is WSClose:
                code, reason = event.code, event.reason
                break
            if on_message is not None:
                assert type(event) is WSMessage
                result = on_message(ws, event.data)
                if result is not None and inspect.isawaitable(result):
                    await result
    except Exception as exc:
        code, reason = INTERNAL_ERROR, "internal error"
        await _report(ws, exc)
        channel.close(code, reason)
    finally:
        ws.ready_state = CLOSED
        ws._app.hub.unsubscribe_all(ws)
        if handlers.close is not None:
            try:
                await _maybe(handlers.close(ws, code, reason))
            except Exception as exc:
                await _report(ws, exc)


async def _report(ws: WebSocket, exc: Exception) -> None:
    error = ws._handlers.error
    if error is not None:
        try:
            await _maybe(error(ws, exc))
            return
        except Exception:
            logger.exception("error in the WebSocket error handler of %s", ws.request.raw_path)
    logger.error("error in WebSocket %s", ws.request.raw_path, exc_info=exc)
