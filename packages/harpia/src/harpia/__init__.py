"""Harpia for Python: an Express-style web framework with its own HTTP/1.1 server.

Every app is also an ASGI 3 application.
"""

from harpia_router import Match as Match
from harpia_shield import SecurityHeaders as SecurityHeaders
from harpia_store import Cache as Cache
from harpia_store import MemoryStore as MemoryStore
from harpia_store import RedisStore as RedisStore
from harpia_store import Store as Store
from harpia_telemetry import Telemetry as Telemetry
from harpia_templates import TemplateEngine as TemplateEngine

from ._app import Harpia as Harpia
from ._app import harpia as harpia
from ._compose import load as load
from ._compress import Compress as Compress
from ._cookie_session import CookieSession as CookieSession
from ._cookie_session import SessionTooLarge as SessionTooLarge
from ._cors import CorsOptions as CorsOptions
from ._csrf import CSRF as CSRF
from ._errors import ConfigError as ConfigError
from ._errors import HTTPError as HTTPError
from ._flash import Flash as Flash
from ._headers import Headers as Headers
from ._headers import MutableHeaders as MutableHeaders
from ._http_cache import HttpCache as HttpCache
from ._http_cache import http_cache as http_cache
from ._multidict import QueryParams as QueryParams
from ._pubsub import RedisPubSub as RedisPubSub
from ._request import Request as Request
from ._response import Response as Response
from ._routing import Router as Router
from ._server import ClientDisconnected as ClientDisconnected
from ._server import ListenInfo as ListenInfo
from ._server import ListenOptions as ListenOptions
from ._server import Server as Server
from ._session import Session as Session
from ._session import SessionData as SessionData
from ._sse import ServerSentEvent as ServerSentEvent
from ._testclient import TestClient as TestClient
from ._testclient import TestResponse as TestResponse
from ._testclient_ws import WSDisconnect as WSDisconnect
from ._testclient_ws import WSRejected as WSRejected
from ._types import Handler as Handler
from ._types import Middleware as Middleware
from ._types import Next as Next
from ._upload import Upload as Upload
from ._upload import UploadedFile as UploadedFile
from ._upload import UploadOptions as UploadOptions
from ._version import __version__ as __version__
from ._websocket import WebSocket as WebSocket

__all__ = (
    "CSRF",
    "Cache",
    "ClientDisconnected",
    "Compress",
    "ConfigError",
    "CookieSession",
    "CorsOptions",
    "Flash",
    "HTTPError",
    "Handler",
    "Harpia",
    "Headers",
    "HttpCache",
    "ListenInfo",
    "ListenOptions",
    "Match",
    "MemoryStore",
    "Middleware",
    "MutableHeaders",
    "Next",
    "QueryParams",
    "RedisPubSub",
    "RedisStore",
    "Request",
    "Response",
    "Router",
    "SecurityHeaders",
    "Server",
    "ServerSentEvent",
    "Session",
    "SessionData",
    "SessionTooLarge",
    "Store",
    "Telemetry",
    "TemplateEngine",
    "TestClient",
    "TestResponse",
    "Upload",
    "UploadOptions",
    "UploadedFile",
    "WSDisconnect",
    "WSRejected",
    "WebSocket",
    "__version__",
    "harpia",
    "http_cache",
    "load",
)
