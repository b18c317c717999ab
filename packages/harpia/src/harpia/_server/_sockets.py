"""Listening sockets: TCP (optionally ``SO_REUSEPORT``) and unix, made before any loop runs.

Both drivers and the worker supervisor get ready, listening, non-blocking sockets from
here, so binding rules live in one place (and a parent can bind before forking).
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import stat

UNIX_SOCKET_MODE = 0o666
"""Unix sockets are as reachable as a TCP port on the loopback: any local user may connect
(a reverse proxy usually runs as another user). Tighten it with ``os.chmod`` if needed."""


def tcp_socket(
    host: str, port: int, *, reuse_port: bool = False, backlog: int = 1024
) -> socket.socket:
    """Bind and listen on ``host``:``port`` (``port=0`` picks a free port).

    Args:
        host: A host name or address (``0.0.0.0``, ``::``, ``localhost`` …).
        port: The port; 0 for any free one.
        reuse_port: Set ``SO_REUSEPORT`` so several processes can bind the same port.
        backlog: The listen backlog.

    Raises:
        AddressInUse: The port is already in use (an ``OSError``, ``errno.EADDRINUSE``).
        OSError: The address cannot be resolved or bound.
        ValueError: ``reuse_port`` on a platform without ``SO_REUSEPORT``.
    """
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        if os.name != "nt":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            option = getattr(socket, "SO_REUSEPORT", None)
            if option is None:
                raise ValueError("reuse_port needs SO_REUSEPORT, which this platform lacks")
            sock.setsockopt(socket.SOL_SOCKET, option, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise AddressInUse(port, host) from exc
            raise
        sock.listen(backlog)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


class AddressInUse(OSError):
    """The TCP port is taken: ``errno.EADDRINUSE`` with a message a person can act on.

    Attributes:
        port: The port asked for.
        host: The address asked for.
    """

    def __init__(self, port: int, host: str) -> None:
        super().__init__(
            errno.EADDRINUSE, f"port {port} is already in use (another harpia or process?)"
        )
        self.port = port
        self.host = host

    def __str__(self) -> str:
        return str(self.strerror)


def unix_socket(path: str, *, backlog: int = 1024) -> socket.socket:
    """Bind and listen on the unix socket ``path``, replacing a stale socket file.

    Raises:
        OSError: ``path`` is in use by a live server, or exists and is not a socket.
    """
    _remove_stale(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(path)
        os.chmod(path, UNIX_SOCKET_MODE)
        sock.listen(backlog)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def _remove_stale(path: str) -> None:
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise OSError(errno.EEXIST, f"{path} exists and is not a socket")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except OSError:
        os.unlink(path)  # nobody listens: a leftover of a server that died
    else:
        raise OSError(errno.EADDRINUSE, f"a server is already listening on {path}")
    finally:
        probe.close()


def remove_unix_socket(path: str) -> None:
    """Delete the file of a unix listening socket we created (on shutdown)."""
    with contextlib.suppress(OSError):
        if stat.S_ISSOCK(os.stat(path).st_mode):
            os.unlink(path)


def bound_address(sock: socket.socket) -> tuple[str | None, int | None]:
    """``(host, port)`` a TCP socket is bound to; ``(None, None)`` for a unix socket."""
    if sock.family == socket.AF_UNIX:
        return None, None
    name = sock.getsockname()
    return str(name[0]), int(name[1])
