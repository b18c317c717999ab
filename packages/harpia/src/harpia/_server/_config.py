"""Server options: validated once into a frozen ``Config``; ``ListenInfo`` for ``on_listen``."""

from __future__ import annotations

import os
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Driver = Literal["auto", "asyncio", "anyio"]
_DRIVERS = ("auto", "asyncio", "anyio")


@dataclass(frozen=True, slots=True)
class ListenInfo:
    """Where a server listens; passed to ``on_listen``.

    Attributes:
        host: The bound host (``None`` for a unix socket).
        port: The bound port: the real one when ``port=0`` was asked (``None`` for unix).
        unix: The unix socket path, if any.
        scheme: ``"http"`` or ``"https"``.
        url: ``http://host:port`` (``unix:/path`` for a unix socket).
    """

    host: str | None
    port: int | None
    unix: str | None
    scheme: str
    url: str


OnListen = Callable[[ListenInfo], Awaitable[None] | None]


@dataclass(frozen=True, slots=True)
class Config:
    """Validated server options (see ``harpia._server.serve`` for their meaning)."""

    port: int | None = None
    hostname: str = "0.0.0.0"
    unix: str | None = None
    tls: Mapping[str, str] | None = None
    reuse_port: bool = False
    workers: int = 1
    development: bool | None = None
    max_request_body_size: int | None = None
    header_timeout: float = 10
    keep_alive_timeout: float = 5
    max_header_size: int = 16384
    max_headers: int = 100
    shutdown_timeout: float = 30
    write_timeout: float = 30.0
    backlog: int = 1024
    on_listen: OnListen | None = None
    driver: Driver = "auto"
    ws: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.unix is None and self.port is None:
            raise ValueError("serve() needs a port (port=0 picks a free one) or a unix path")
        if self.unix is None:
            port = self.port
            if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
                raise ValueError(f"port must be an int from 0 to 65535, got {port!r}")
        if self.driver not in _DRIVERS:
            raise ValueError(f"driver must be one of {_DRIVERS}, got {self.driver!r}")
        if isinstance(self.workers, bool) or not isinstance(self.workers, int):
            raise ValueError(f"workers must be an int, got {self.workers!r}")
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers}")
        for name in ("header_timeout", "keep_alive_timeout", "shutdown_timeout", "write_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        for name in ("max_header_size", "max_headers", "backlog"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.ws is not None:
            from .._ws_options import WSOptions

            WSOptions.from_mapping(self.ws)  # raises ValueError on a bad option
        if self.tls is not None and not {"cert", "key"} <= set(self.tls):
            raise ValueError('tls needs {"cert": path, "key": path}')

    @property
    def scheme(self) -> str:
        """``"https"`` with TLS, else ``"http"``."""
        return "https" if self.tls is not None else "http"

    def ssl_context(self) -> ssl.SSLContext | None:
        """A server ``SSLContext`` from ``tls`` (``None`` without TLS).

        Raises:
            OSError: The certificate or key file cannot be read.
            ssl.SSLError: They are not a valid certificate/key pair.
        """
        if self.tls is None:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        password = self.tls.get("password")
        context.load_cert_chain(
            os.fspath(self.tls["cert"]), os.fspath(self.tls["key"]), password=password
        )
        context.set_alpn_protocols(["http/1.1"])
        return context

    def info(self, host: str | None, port: int | None) -> ListenInfo:
        """The ``ListenInfo`` for a socket bound to ``host``/``port`` (or ``unix``)."""
        if self.unix is not None:
            return ListenInfo(None, None, self.unix, self.scheme, f"unix:{self.unix}")
        shown = f"[{host}]" if host and ":" in host else host
        return ListenInfo(host, port, None, self.scheme, f"{self.scheme}://{shown}:{port}")
