"""The ASGI 3 adapter: ``http`` and ``lifespan`` scopes onto ``Harpia.handle``.

A client that goes away before its request body is complete (``http.disconnect`` while
the body is read) makes ``receive()`` raise ``ClientDisconnected``, as on the native
server: a handler never sees a truncated body as if it were whole. One that goes away
during a streamed response (server-sent events) ends it: once the request body is read
(or there is none), ``http.disconnect`` is watched for, and the stream is closed
(``aclose()``) at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import anyio

from ._after import run_after
from ._request import Request
from ._response import Response
from ._server._common import ClientDisconnected
from ._server._framing import front_end_host
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

    target = request_target(scope)
    if isinstance(target, str):  # a malformed Host: 400, as the native server answers
        await _bad_request(send)
        return
    path, headers = target
    request = Request(
        scope["method"],
        path,
        scope.get("query_string", b"").decode("latin-1"),
        headers,
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
    elif more and not _bodiless(request):
        await _stream(stream, None, send)  # the body is still to read: no watching
    else:
        more = False  # what is left of an empty body is read by the watcher
        await _stream(stream, receive, send)
    if res.after_calls:  # res.after(): after the final body message, as Starlette does
        await run_after(app, res)


async def _stream(stream: Any, receive: Any, send: Any) -> None:
    """Send ``stream``'s chunks and close it; with ``receive`` (the request body is read),
    end the stream when the client goes away (``http.disconnect``)."""
    try:
        if receive is None:
            await _send_stream(stream, send)
            return
        async with anyio.create_task_group() as group:

            async def watch() -> None:
                """End the stream when the client goes away (``http.disconnect``)."""
                try:
                    while (await receive())["type"] != "http.disconnect":
                        # a receive() that answers at once (not an ASGI server's, which
                        # waits): let the stream run instead of spinning here
                        await anyio.lowlevel.checkpoint()
                except Exception:  # a server whose receive() fails: stop watching only
                    return
                group.cancel_scope.cancel()

            group.start_soon(watch)
            await _send_stream(stream, send)
            group.cancel_scope.cancel()
    finally:
        close = getattr(stream, "aclose", None)
        if close is not None:
            with anyio.CancelScope(shield=True):
                await close()


async def _send_stream(stream: Any, send: Any) -> None:
    async for chunk in stream:
        if chunk:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


def _bodiless(request: Request) -> bool:
    """True when the request declares no body (no ``Transfer-Encoding``, no length or 0)."""
    headers = request.headers
    return "transfer-encoding" not in headers and headers.get("content-length", "0").strip() == "0"


def request_target(scope: Scope) -> tuple[str, list[tuple[bytes, bytes]]] | str:
    """The raw path and headers of an ``http``/``websocket`` scope, or why to refuse it."""
    raw_path = scope.get("raw_path")
    if not raw_path:
        raw_path = quote(scope.get("path", "/"), safe="/").encode("latin-1")
    headers = [(name.lower(), value) for name, value in scope.get("headers", [])]
    checked = front_end_host(headers, raw_path.split(b"?", 1)[0], scope.get("http_version", "1.1"))
    if isinstance(checked, str):
        return checked
    headers, raw_path = checked
    return raw_path.decode("latin-1") or "/", headers


async def _bad_request(send: Any) -> None:
    """The native server's canned 400 (the reason is for logs, not for the peer)."""
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"11")]
    await send({"type": "http.response.start", "status": 400, "headers": headers})
    await send({"type": "http.response.body", "body": b"Bad Request"})


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
