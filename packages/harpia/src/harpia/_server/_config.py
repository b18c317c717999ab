"""Server options: validated once into a frozen ``Config``; ``ListenInfo`` for ``on_listen``.

``ListenOptions`` types the keyword options of ``listen``/``serve``/``Server`` (so mypy
rejects a misspelt option); ``Config.from_options`` rejects one at run time with the valid
names and a "did you mean …?".
"""

from __future__ import annotations

import difflib
import os
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal, TypedDict

Driver = Literal["auto", "asyncio", "anyio"]
_DRIVERS = ("auto", "asyncio", "anyio")
_TIMEOUTS = (
    "header_timeout",
    "keep_alive_timeout",
    "body_timeout",
    "write_timeout",
    "shutdown_timeout",
)


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


class ListenOptions(TypedDict, total=False):
    """The keyword options of ``app.listen``, ``app.serve`` and ``Server`` (all optional).

    See ``harpia._server.serve`` for their meaning and defaults.
    """

    port: int | None
    hostname: str
    unix: str | None
    tls: Mapping[str, str] | None
    reuse_port: bool
    workers: int
    development: bool | None
    max_request_body_size: int | None
    header_timeout: float
    keep_alive_timeout: float
    body_timeout: float
    write_timeout: float
    max_header_size: int
    max_headers: int
    shutdown_timeout: float
    backlog: int
    on_listen: OnListen | None
    driver: Driver
    ws: Mapping[str, Any] | None
    access_log: bool | None


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
    body_timeout: float = 30
    write_timeout: float = 30
    max_header_size: int = 16384
    max_headers: int = 100
    shutdown_timeout: float = 30
    backlog: int = 1024
    on_listen: OnListen | None = None
    driver: Driver = "auto"
    ws: Mapping[str, Any] | None = None
    access_log: bool | None = None

    @classmethod
    def from_options(cls, options: Mapping[str, Any], caller: str = "listen()") -> Config:
        """``Config(**options)``, with a clear ``TypeError`` for an unknown option.

        Raises:
            TypeError: an option that does not exist (named, with the valid ones and the
                closest match), or a value of the wrong type.
            ValueError: an invalid value.
        """
        unknown = [name for name in options if name not in OPTION_NAMES]
        if unknown:
            raise TypeError(unknown_option(caller, unknown[0]))
        return cls(**options)

    @property
    def logs_access(self) -> bool:
        """Whether requests are logged (``access_log``; ``None``: in development only)."""
        if self.access_log is None:
            return bool(self.development)
        return self.access_log

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
        for name in _TIMEOUTS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"{name} must be a number of seconds, got {value!r}")
            if not value > 0:  # NaN too
                raise ValueError(f"{name} must be positive, got {value!r}")
        for name in ("max_header_size", "max_headers", "backlog"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.ws is not None:
            from .._ws_options import WSOptions

            WSOptions.from_mapping(self.ws)  # raises ValueError on a bad option
        if self.access_log is not None and not isinstance(self.access_log, bool):
            raise TypeError(f"access_log must be a bool or None, got {self.access_log!r}")
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


OPTION_NAMES: tuple[str, ...] = tuple(sorted(field.name for field in fields(Config)))
"""Every option ``listen``/``serve``/``Server`` accept (``Config``'s fields)."""


def unknown_option(caller: str, name: str, valid: tuple[str, ...] = OPTION_NAMES) -> str:
    """The message for an unknown option ``name``: the valid ones and the closest match."""
    close = difflib.get_close_matches(name, valid, n=1)
    hint = f" — did you mean {close[0]!r}?" if close else ""
    return f"{caller} got an unknown option {name!r}{hint} (valid options: {', '.join(valid)})"
