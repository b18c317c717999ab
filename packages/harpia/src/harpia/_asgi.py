"""The ASGI 3 adapter: ``http`` and ``lifespan`` scopes onto ``Harpia.handle``.

A client that goes away before its request body is complete (``http.disconnect`` while
the body is read) makes ``receive()`` raise ``ClientDisconnected``, as on the native
server: a handler never sees a truncated body as if it were whole.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ._request import Request
from ._response import Response
from ._server._common import ClientDisconnected
from ._websocket import WebSocketUpgrade

if TYPE_CHECKING:
    from ._app import Harpia

Scope = dict[str, Any]
Message = dict[str, Any]


async def asgi(app: Harpia, scope: Scope, receive: Any, send: Any) -> None:
    """Serve one ASGI connection scope with ``app``."""
    kind = scope["type"]
    if kind == "http":
        await _http(app, scope, receive, send)
    elif kind == "lifespan":
        await _lifespan(app, receive, send)
    elif kind == "websocket":
        from ._asgi_ws import websocket

        await websocket(app, scope, receive, send)
    else:
        raise ValueError(f"harpia does not handle ASGI scope type {kind!r} yet")


async def _http(app: Harpia, scope: Scope, receive: Any, send: Any) -> None:
    more = True
    gone = False

    async def body() -> bytes:
        nonlocal more, gone
        if gone:
            raise ClientDisconnected("client disconnected before the end of the body")
        while more:
            message: Message = await receive()
            if message["type"] == "http.disconnect":
                gone = True
                raise ClientDisconnected("client disconnected before the end of the body")
            more = message.get("more_body", False)
            chunk: bytes = message.get("body", b"")
            if chunk:
                return chunk
        return b""

    raw_path = scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path else quote(scope.get("path", "/"), safe="/")
    request = Request(
        scope["method"],
        path.split("?", 1)[0] or "/",
        scope.get("query_string", b"").decode("latin-1"),
        [(name.lower(), value) for name, value in scope.get("headers", [])],
        body,
        client=tuple(scope["client"]) if scope.get("client") else None,
        scheme=scope.get("scheme", "http"),
        server=tuple(scope["server"]) if scope.get("server") else None,
        http_version=scope.get("http_version", "1.1"),
        app=app,
    )
    res = await app.handle(request)
    if res.body_stream is not None and type(res.body_stream) is WebSocketUpgrade:
        # an upgrade request that the ASGI server sent as plain HTTP (no WebSocket support)
        res = Response({"error": "WebSocket is not available here", "status": 426}, status=426)
    await send(
        {"type": "http.response.start", "status": res.status_code, "headers": res.raw_headers()}
    )
    stream = res.body_stream
    if stream is None:
        await send({"type": "http.response.body", "body": res.body})
        return
    async for chunk in stream:
        if chunk:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def _lifespan(app: Harpia, receive: Any, send: Any) -> None:
    while True:
        message: Message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                await app.startup()
            except Exception as exc:
                await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            try:
                await app.shutdown()
            except Exception as exc:
                await send({"type": "lifespan.shutdown.failed", "message": repr(exc)})
                return
            await send({"type": "lifespan.shutdown.complete"})
            return
