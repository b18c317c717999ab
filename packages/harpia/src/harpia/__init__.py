"""Harpia for Python: an Express-style web framework with its own HTTP/1.1 server.

Every app is also an ASGI 3 application.
"""

from harpia_router import Match as Match
from harpia_store import Cache as Cache
from harpia_store import MemoryStore as MemoryStore
from harpia_store import RedisStore as RedisStore
from harpia_store import Store as Store
from harpia_telemetry import Telemetry as Telemetry

from ._app import Harpia as Harpia
from ._app import harpia as harpia
from ._errors import HTTPError as HTTPError
from ._headers import Headers as Headers
from ._headers import MutableHeaders as MutableHeaders
from ._multidict import QueryParams as QueryParams
from ._request import Request as Request
from ._response import Response as Response
from ._routing import Router as Router
from ._testclient import TestClient as TestClient
from ._testclient import TestResponse as TestResponse
from ._version import __version__ as __version__

__all__ = (
    "Cache",
    "HTTPError",
    "Harpia",
    "Headers",
    "Match",
    "MemoryStore",
    "MutableHeaders",
    "QueryParams",
    "RedisStore",
    "Request",
    "Response",
    "Router",
    "Store",
    "Telemetry",
    "TestClient",
    "TestResponse",
    "__version__",
    "harpia",
)
