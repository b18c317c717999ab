"""The harpia integration: a ``(req, res, next)`` middleware that records every request.

It only relies on what every harpia request and response has (``path``, ``method``,
``client``, ``headers``, ``query``, ``status_code``, ``error``), so this package does not
import harpia. Because harpia's ``next()`` is an error boundary, the response is final when
``await next()`` returns — a 404, a 500 built from an exception, anything — and the
exception, if any, is in ``res.error``.
"""

from __future__ import annotations

import inspect
import logging
from http import HTTPStatus
from time import perf_counter
from typing import TYPE_CHECKING, Any

from harpia_store import MemoryStore

from ._checks import MAX_MESSAGE, MAX_PATH, check_source
from ._client import client_ip, peer_ip

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from harpia import Request, Response

    from ._telemetry import Telemetry

    TrafficSource = Callable[[Any], dict[str, Any] | Awaitable[dict[str, Any] | None] | None]
    """``(request) -> {"utm": {...}} | None``, sync or async; for ASGI the request is the scope."""

logger = logging.getLogger("harpia.telemetry")

UTM_FIELDS = ("source", "medium", "campaign")


def utm_from(get: Callable[[str], str | None]) -> dict[str, Any] | None:
    """``{"utm": {...}}`` from ``utm_source``/``utm_medium``/``utm_campaign`` lookups."""
    utm = {name: get(f"utm_{name}") for name in UTM_FIELDS}
    return check_source({"utm": utm})


def error_message(exc: BaseException | None, status: int) -> str:
    """What an error record says: the ``HTTPError`` message, the exception, or the phrase."""
    if exc is None:
        try:
            return HTTPStatus(status).phrase
        except ValueError:
            return "Server Error"
    message = getattr(exc, "message", None)
    if isinstance(message, str) and isinstance(getattr(exc, "status", None), int):
        return message[:MAX_MESSAGE]
    text = str(exc)
    return (f"{type(exc).__name__}: {text}" if text else type(exc).__name__)[:MAX_MESSAGE]


async def resolve_source(traffic_source: TrafficSource, request: Any) -> dict[str, Any] | None:
    """Call a user's ``traffic_source`` safely: a failure is logged and gives ``None``."""
    try:
        result = traffic_source(request)
        if inspect.isawaitable(result):
            result = await result
        return check_source(result)
    except Exception:
        logger.exception("telemetry: traffic_source failed; recording without a source")
        return None


class HarpiaMiddleware:
    """Records each request of a harpia app (made by ``Telemetry.middleware()``)."""

    __slots__ = ("_source", "_telemetry")

    def __init__(self, telemetry: Telemetry, traffic_source: TrafficSource | None) -> None:
        if traffic_source is not None and not callable(traffic_source):
            raise TypeError(f"traffic_source must be callable, got {traffic_source!r}")
        self._telemetry = telemetry
        self._source = traffic_source

    def __repr__(self) -> str:
        return f"<telemetry middleware of {self._telemetry!r}>"

    @property
    def harpia_process_local(self) -> tuple[str, str, str] | None:
        """What harpia reports with ``workers > 1``: the data, when the store is a
        ``MemoryStore`` of this process (each worker would count its own requests)."""
        if not isinstance(self._telemetry.store, MemoryStore):
            return None
        return ("Telemetry()", "the recorded requests", "Telemetry(RedisStore(url))")

    async def __call__(self, req: Request, res: Response, next: Any) -> None:
        telemetry = self._telemetry
        path = req.path
        if telemetry.ignores(path):
            await next()
            return
        started = perf_counter()
        await next()
        elapsed = (perf_counter() - started) * 1000.0
        try:
            status = res.status_code
            if not res.sent and not res.status_set:
                status = 204  # what harpia answers when nothing was sent
            error = None
            if status >= 500:
                error = {"code": status, "message": error_message(res.error, status)}
            client = req.client
            if telemetry.trust_proxy:
                ip = client_ip(client[0] if client else None, req.headers.get, trust_proxy=True)
            else:
                ip = peer_ip(client[0] if client else None)
            if self._source is not None:
                source = await resolve_source(self._source, req)
            elif "utm_" in req.query_string:
                source = utm_from(req.query.get)
            else:
                source = None
            await telemetry._record(
                telemetry.clock.now(), ip, path[:MAX_PATH], req.method[:16], status, elapsed,
                error, source,
            )  # fmt: skip
        except Exception:  # recording must never break the response
            logger.exception("telemetry: could not record %s %s", req.method, path)
