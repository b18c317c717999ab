"""Logging: the format ``harpia run`` and ``app.listen()`` install, and the access log.

Harpia logs through the standard ``logging`` module under the ``harpia`` logger
(``harpia.server`` for the server, ``harpia.access`` for one line per request). When the
user has configured logging (the root logger has a handler), nothing here touches it;
otherwise ``install`` adds one stderr handler whose lines carry the time, the level and the
process id (workers are told apart by it), and lets ``harpia`` loggers speak from INFO.

The access log is one line per response, written when the app has produced it (for a
streamed body, when its head is ready: the bytes are its ``Content-Length`` or ``-``)::

    127.0.0.1:51234 - "GET /books/7?x=1 HTTP/1.1" 200 27 0.4ms
"""

from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from time import perf_counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator

    from ._request import Request
    from ._response import Response

    Handle = Callable[[Request], Awaitable[Response]]

FORMAT = "%(asctime)s %(levelname)-7s [%(process)d] %(name)s: %(message)s"
"""Every line: time, level, process id, logger name, message."""

LEVELS = ("critical", "error", "warning", "info", "debug")
"""``--log-level`` choices."""

access_logger = logging.getLogger("harpia.access")

_installed: list[logging.Handler] = []


def user_configured() -> bool:
    """True when the program set up logging itself (root or ``harpia`` has a handler)."""
    if _installed:
        return False
    return bool(logging.getLogger().handlers or logging.getLogger("harpia").handlers)


def install(level: str | int | None = None) -> bool:
    """Show harpia's log lines (with level and PID) unless the user configured logging.

    Args:
        level: The ``harpia`` loggers' level (``"info"``, ``"debug"``, …); ``None``
            keeps INFO. An explicit level is applied even when the user configured
            logging.

    Returns:
        True when a handler was installed now.
    """
    harpia_logger = logging.getLogger("harpia")
    if level is not None:
        harpia_logger.setLevel(level.upper() if isinstance(level, str) else level)
    if user_configured() or _installed:
        return False
    handler = _handler()
    root = logging.getLogger()
    root.addHandler(handler)  # other libraries' warnings get the same format
    _installed.append(handler)
    if harpia_logger.level == logging.NOTSET:
        harpia_logger.setLevel(logging.INFO)
    return True


@contextmanager
def while_importing() -> Iterator[None]:
    """Format harpia's lines while the app is imported, without touching the root logger.

    ``install`` runs after the import, so that a ``logging.basicConfig(...)`` in the app's
    module still takes effect (it does nothing once the root logger has a handler); the
    ``harpia`` lines logged during the import (warnings about its setup) get the format
    from a handler on the ``harpia`` logger that is removed afterwards.
    """
    if user_configured() or _installed:
        yield
        return
    harpia_logger = logging.getLogger("harpia")
    handler = _EarlyHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    level, propagate = harpia_logger.level, harpia_logger.propagate
    harpia_logger.addHandler(handler)
    harpia_logger.propagate = False
    if level == logging.NOTSET:
        harpia_logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        harpia_logger.removeHandler(handler)
        harpia_logger.propagate = propagate
        harpia_logger.setLevel(level)


class _EarlyHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Formats a record itself until the app configures the root logger, then hands the
    record to the root's handlers (as propagation would)."""

    def handle(self, record: logging.LogRecord) -> bool:
        root = logging.getLogger()
        if root.handlers:
            if record.levelno >= root.getEffectiveLevel():
                root.callHandlers(record)
            return True
        return bool(super().handle(record))


def _handler() -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    return handler


def access_logged(handle: Handle) -> Handle:
    """``handle`` (``app.handle``), logging one access line per response."""
    log = access_logger

    async def logged(request: Request) -> Response:
        method = request.method  # before a method override changes it
        start = perf_counter()
        res = await handle(request)
        if log.isEnabledFor(logging.INFO):
            client = request.client
            if res.body_stream is None:
                size: object = len(res.body)
            else:
                size = res.headers.get("content-length") or "-"
            query = request.query_string
            log.info(
                '%s - "%s %s%s%s HTTP/%s" %d %s %.1fms',
                f"{client[0]}:{client[1]}" if client else "-",
                method,
                request.raw_path,
                "?" if query else "",
                query,
                request.http_version,
                res.status_code,
                size,
                (perf_counter() - start) * 1000,
            )
        return res

    return logged
