"""Harpia's native HTTP/1.1 server.

A sans-IO connection layer (``HTTPConnection``, on h11) moved by one of two thin drivers:
asyncio transports (fast, the default on asyncio) or anyio streams (any anyio backend).
``listen`` blocks (and can fork workers); ``serve`` runs inside an event loop; ``Server``
gives control over stopping (tests, embedding).
"""

from ._common import ClientDisconnected as ClientDisconnected
from ._config import ListenInfo as ListenInfo
from ._config import ListenOptions as ListenOptions
from ._connection import HTTPConnection as HTTPConnection
from ._server import Server as Server
from ._server import listen as listen
from ._server import serve as serve

__all__ = (
    "ClientDisconnected",
    "HTTPConnection",
    "ListenInfo",
    "ListenOptions",
    "Server",
    "listen",
    "serve",
)
