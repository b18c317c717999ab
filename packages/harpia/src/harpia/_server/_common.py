"""What both drivers share: the ``Driver`` seam, the ``Date`` header, body errors, logging."""

from __future__ import annotations

import logging
import time
from email.utils import formatdate
from typing import TYPE_CHECKING, Protocol

from .._errors import HTTPError

if TYPE_CHECKING:
    import socket
    import ssl

    from anyio.abc import TaskGroup

    from .._app import Harpia
    from .._headers import RawHeaders
    from .._response import Response
    from ._config import Config
    from ._connection import HTTPConnection
    from ._events import BodyError

logger = logging.getLogger("harpia.server")

LINGER_TIMEOUT = 2.0
"""After a response that closes the connection we shut down our sending side and read (and
discard) what the client still sends, for up to this many seconds, before closing:
closing a socket with unread input makes the kernel send a reset, which can destroy the
response (a 413, typically) before the client has read it."""

HIGH_WATER = 64 * 1024
"""Bytes read ahead of the app (pipelined requests, unread body) before reading pauses."""


class ClientDisconnected(HTTPError):
    """Raised from ``receive()`` when the client went away before sending the whole body."""

    def __init__(self, message: str = "client disconnected") -> None:
        super().__init__(400, message)


def body_error(event: BodyError) -> HTTPError:
    """The exception ``receive()`` raises for a ``BodyError`` event."""
    if event.disconnected:
        return ClientDisconnected(f"client disconnected: {event.reason}")
    return HTTPError(400, f"malformed request body: {event.reason}")


class _DateHeader:
    """The ``Date`` header value, formatted at most once per second."""

    __slots__ = ("_second", "_value")

    def __init__(self) -> None:
        self._second = -1
        self._value = b""

    def __call__(self) -> bytes:
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second = second
            self._value = formatdate(now, usegmt=True).encode("ascii")
        return self._value


http_date = _DateHeader()
"""``http_date()`` returns the current ``Date`` header value (``b"Sun, 06 Nov 1994 …"``)."""


def response_head(res: Response) -> tuple[RawHeaders, bytes]:
    """``res``'s headers for ``HTTPConnection``: the pairs, and ``raw_extra`` on the wire."""
    extra = res.raw_extra
    if extra is None:
        return res.raw_headers(), b""
    return res.raw_headers(extra=False), extra.wire


def new_connection(config: Config) -> HTTPConnection:
    """A sans-IO connection with the server's limits."""
    from ._connection import HTTPConnection

    return HTTPConnection(
        max_header_size=config.max_header_size, max_headers=config.max_headers, date=http_date
    )


class Driver(Protocol):
    """The seam between ``Server`` and an I/O driver (``anyio`` or ``asyncio``).

    ``Server`` binds the socket, runs the app's hooks, signals and the shutdown sequence;
    a driver accepts connections on the socket and moves bytes between them and
    ``HTTPConnection`` objects.
    """

    async def start(self, task_group: TaskGroup, sock: socket.socket) -> None:
        """Start accepting on the listening ``sock``; return once accepting."""

    async def stop_accepting(self) -> None:
        """Stop accepting and close the listening socket."""

    async def drain(self) -> None:
        """Close idle connections now, the others after their response; wait for all."""

    async def abort(self) -> None:
        """Close every connection left and cancel the requests still running."""


def _on_asyncio() -> bool:
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False  # trio (or another backend): no asyncio loop in this thread
    return True


def make_driver(
    name: str, app: Harpia, config: Config, ssl_context: ssl.SSLContext | None
) -> Driver:
    """The driver called ``name`` (``"auto"``: asyncio transports on asyncio, else anyio)."""
    if name == "auto":
        name = "asyncio" if _on_asyncio() else "anyio"
    if name == "asyncio":
        from ._asyncio_driver import AsyncioDriver

        return AsyncioDriver(app, config, ssl_context)
    from ._anyio_driver import AnyioDriver

    return AnyioDriver(app, config, ssl_context)
