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
from time import perf_counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

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
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)  # other libraries' warnings get the same format
    _installed.append(handler)
    if harpia_logger.level == logging.NOTSET:
        harpia_logger.setLevel(logging.INFO)
    return True


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
