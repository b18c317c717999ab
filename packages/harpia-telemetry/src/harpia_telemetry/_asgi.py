"""``TelemetryMiddleware``: telemetry (and optionally its dashboard) for any ASGI 3 app."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from time import perf_counter
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from ._checks import MAX_PATH
from ._client import client_ip, peer_ip
from ._middleware import error_message, resolve_source, utm_from

if TYPE_CHECKING:
    from ._middleware import TrafficSource
    from ._telemetry import Telemetry

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

logger = logging.getLogger("harpia.telemetry")


def header_getter(scope: Scope) -> Callable[[str], str | None]:
    """``get(name)`` over an ASGI scope's headers (first value, latin-1)."""
    headers = scope.get("headers") or ()

    def get(name: str) -> str | None:
        wanted = name.encode()
        for key, value in headers:
            if key.lower() == wanted:
                text: str = value.decode("latin-1")
                return text
        return None

    return get


def query_getter(scope: Scope) -> Callable[[str], str | None]:
    """``get(name)`` over an ASGI scope's query string (first value)."""
    pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    query = dict(reversed(pairs))
    return query.get


class TelemetryMiddleware:
    """Records every HTTP request of the wrapped ASGI app.

    The time runs from the call of the app until it returns (the body sent). The status is
    the one the app started its response with; an exception escaping the app is recorded
    as an error (code 500 unless a response had started) and raised again.

    Args:
        app: The ASGI 3 application.
        telemetry: Where to record.
        traffic_source: ``(scope) -> {"utm": {...}} | None`` (sync or async); by default
            the ``utm_*`` query parameters.
        dashboard: Serve the dashboard under this path (``"/_telemetry"``), or ``None``.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        telemetry: Telemetry,
        traffic_source: TrafficSource | None = None,
        dashboard: str | None = None,
    ) -> None:
        if not callable(app):
            raise TypeError(f"app must be an ASGI callable, got {app!r}")
        if traffic_source is not None and not callable(traffic_source):
            raise TypeError(f"traffic_source must be callable, got {traffic_source!r}")
        self.app = app
        self.telemetry = telemetry
        self._source = traffic_source
        self._dashboard = None
        if dashboard is not None:
            from ._dashboard import Dashboard

            self._dashboard = Dashboard(telemetry, dashboard)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path") or "/"
        board = self._dashboard
        if board is not None and board.owns(path):
            await self._serve_dashboard(board, scope, send)
            return
        if self.telemetry.ignores(path):
            await self.app(scope, receive, send)
            return
        status = 0

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        started = perf_counter()
        try:
            await self.app(scope, receive, send_status)
        except Exception as exc:
            code = status if status >= 500 else 500
            error = {"code": code, "message": error_message(exc, code)}
            await self._record(scope, path, status or 500, started, error)
            raise
        problem = None
        if status >= 500:
            problem = {"code": status, "message": error_message(None, status)}
        await self._record(scope, path, status or 500, started, problem)

    async def _record(
        self, scope: Scope, path: str, status: int, started: float, error: Any
    ) -> None:
        elapsed = (perf_counter() - started) * 1000.0
        telemetry = self.telemetry
        try:
            client = scope.get("client")
            peer = client[0] if client else None
            if telemetry.trust_proxy:
                ip = client_ip(peer, header_getter(scope), trust_proxy=True)
            else:
                ip = peer_ip(peer)
            if self._source is not None:
                source = await resolve_source(self._source, scope)
            elif b"utm_" in scope.get("query_string", b""):
                source = utm_from(query_getter(scope))
            else:
                source = None
            method = str(scope.get("method", "GET"))[:16]
            await telemetry._record(
                telemetry.clock.now(),
                ip, path[:MAX_PATH], method, status, elapsed, error, source,
            )  # fmt: skip
        except Exception:  # recording must never break the response
            logger.exception("telemetry: could not record %s", path)

    async def _serve_dashboard(self, board: Any, scope: Scope, send: Send) -> None:
        client = scope.get("client")
        get = header_getter(scope)
        caller = client_ip(
            client[0] if client else None, get, trust_proxy=self.telemetry.trust_proxy
        )
        method = str(scope.get("method", "GET"))
        reply = await board.respond(
            scope["path"], query_getter(scope), get("authorization"), caller, method
        )
        headers = [(name.encode(), value.encode()) for name, value in reply.headers]
        headers.append((b"content-length", str(len(reply.body)).encode()))
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        body = b"" if method == "HEAD" else reply.body
        await send({"type": "http.response.body", "body": body})
