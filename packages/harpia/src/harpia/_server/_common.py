"""What both drivers share: the ``Driver`` seam, the ``Date`` header, body errors, logging,
the timeouts a driver runs and the accept loop's back-off."""

from __future__ import annotations

import errno
import logging
import time
from email.utils import formatdate
from typing import TYPE_CHECKING, Protocol

from .._errors import HTTPError
from ._states import TimerKind

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

WRITE_PIECE = 64 * 1024
"""Largest single write of the anyio driver: ``write_timeout`` is the time allowed for one
piece, so a slow reader that keeps reading is never cut (the asyncio driver measures
progress on its transport's buffer instead)."""

SHUTDOWN_PATIENCE = 1.0
"""During a graceful shutdown, a connection that waits on its client (body bytes, or
the client reading the response) is given at most this many seconds without progress
instead of ``body_timeout``/``write_timeout``: in-flight requests that make progress still
finish, a stuck client does not hold the shutdown for ``shutdown_timeout``."""


def progress_timeout(config: Config, kind: TimerKind, draining: bool) -> float:
    """Seconds without progress allowed while waiting on the client for ``kind``.

    ``BODY``: ``config.body_timeout``; ``WRITE``: ``config.write_timeout``; either at most
    ``SHUTDOWN_PATIENCE`` once the server is ``draining`` (graceful shutdown).
    """
    timeout = config.body_timeout if kind is TimerKind.BODY else config.write_timeout
    return min(timeout, SHUTDOWN_PATIENCE) if draining else timeout


class ClientDisconnected(HTTPError):
    """Raised from ``receive()`` when the client went away before sending the whole body."""

    def __init__(self, message: str = "client disconnected") -> None:
        super().__init__(400, message)


class BodyTimeout(ClientDisconnected):
    """Raised from ``receive()`` when no body byte came for ``body_timeout`` seconds.

    The server has already answered 408 (when nothing else was sent) and closes the
    connection: what the app answers after it is discarded.
    """

    def __init__(self, message: str = "request body timeout") -> None:
        HTTPError.__init__(self, 408, message)


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


_OUT_OF_RESOURCES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})

# Errors of one pending connection, which Linux reports from accept() (accept(2): "treat
# them like EAGAIN by retrying"): the next accept() works.
_CLIENT_ERRORS = frozenset(
    getattr(errno, name)
    for name in (
        "ECONNABORTED",
        "EPROTO",
        "EPERM",
        "ENETDOWN",
        "ENOPROTOOPT",
        "EHOSTDOWN",
        "ENONET",
        "EHOSTUNREACH",
        "EOPNOTSUPP",
        "ENETUNREACH",
    )
    if hasattr(errno, name)
)


class AcceptBackoff:
    """What an accept loop does when ``accept()`` fails: both drivers use one.

    An error of one pending connection (``ECONNABORTED`` …): go on accepting. Out of
    descriptors (``EMFILE``/``ENFILE``) or kernel memory — or any other error, which
    would repeat at once — stop accepting for ``delay`` seconds (0.1 s, doubling up to
    1 s while it lasts), and log one warning per *episode* — from the first failure until
    the loop has caught up (accepted everything waiting in the backlog) — not one per
    attempt: at the limit, a loop that retried at once would burn the CPU and flood the
    log. Connections waiting in the backlog are served once descriptors free up.
    """

    FIRST = 0.1
    LONGEST = 1.0

    __slots__ = ("_attempts", "_delay", "_since", "episodes")

    def __init__(self) -> None:
        self._delay = 0.0
        self._since = 0.0
        self._attempts = 0
        self.episodes = 0

    def failed(self, exc: OSError) -> float:
        """``accept()`` raised ``exc``: the seconds to wait before accepting again (or 0)."""
        if exc.errno in _CLIENT_ERRORS:
            logger.debug("accept() failed: %s", exc)
            return 0.0
        self._attempts += 1
        if self._delay == 0.0:
            self.episodes += 1
            self._since = time.monotonic()
            self._delay = self.FIRST
            what = "out of file descriptors or memory" if exc.errno in _OUT_OF_RESOURCES else ""
            logger.warning(
                "%s (accept: %s): pausing accepting, retrying every %g-%g s until it works",
                what or "accept() failed",
                exc.strerror or exc,
                self.FIRST,
                self.LONGEST,
            )
        else:
            self._delay = min(self._delay * 2, self.LONGEST)
        return self._delay

    def caught_up(self) -> None:
        """The backlog is empty (``accept()`` would block): the episode, if any, is over."""
        if self._delay:
            logger.debug(
                "accepting again after %.1f s (%d attempts)",
                time.monotonic() - self._since,
                self._attempts,
            )
            self._delay = 0.0
            self._attempts = 0
