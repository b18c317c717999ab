"""TestClient: drive an app in-process, through the same pipeline as the servers.

No socket and no thread: ``execute()`` builds a ``Request`` exactly as a front end does
(raw path, query string, lower-cased raw headers, a ``receive`` that hands out the body
in chunks, a client address) and awaits ``app.handle``. The response body is collected
in full, streamed or not.

Lifespan is never skipped (the usual trap with test clients): ``async with
TestClient(app)`` runs the startup hooks on enter and the shutdown hooks on exit, and a
client used without ``async with`` runs startup before its first request (``aclose()``
then runs shutdown).

The cookie jar is deliberately simple: one value per cookie *name*, whatever its
``Path`` or ``Domain``, and ``Secure`` is not enforced. It honours expiry (``Max-Age``,
then ``Expires``; ``Max-Age=0`` or a past date deletes). Values are kept exactly as the
server sent them and sent back unchanged; decoding is the server's business.
"""

from __future__ import annotations

import json as jsonlib
import mimetypes
import os
import re
import secrets
from collections.abc import (
    AsyncIterable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
)
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Self
from urllib.parse import quote, urlencode, urlsplit

from ._after import run_after
from ._cookiejar import CookieJar
from ._headers import Headers, RawHeaders
from ._request import Receive, Request

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from types import TracebackType

    from ._app import Harpia
    from ._response import Response
    from ._testclient_ws import WSTestSession

CHUNK_SIZE = 64 * 1024
"""Size of the body chunks ``receive`` hands to the app."""

QueryValue = str | int | float | bool
Body = bytes | Iterable[bytes] | AsyncIterable[bytes]
_BodyKind = Literal["json", "form", "raw"]

# RFC 3986 pchar plus "/": everything else in a path is percent-encoded.
_PATH_SAFE = "/!$&'()*+,;=:@-._~%"
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def encode_path(path: str) -> str:
    """Percent-encode a path for the wire, keeping ``%XX`` escapes already present.

    Spaces, non-ASCII characters and other bytes a path cannot carry are encoded (as
    UTF-8); a ``%`` that does not start an escape becomes ``%25``.
    """
    return quote(_LONE_PERCENT.sub("%25", path), safe=_PATH_SAFE)


def _query_pairs(
    first: str | Mapping[str, QueryValue | Iterable[QueryValue]],
    value: QueryValue | Iterable[QueryValue] | None,
) -> list[tuple[str, str]]:
    """``(name, value)`` or a mapping → pairs; list values give repeated names."""
    if isinstance(first, str):
        if value is None:
            raise TypeError(f"missing value for {first!r}")
        items: Iterable[tuple[str, Any]] = [(first, value)]
    else:
        if value is not None:
            raise TypeError("give either a mapping or a name and a value")
        items = first.items()
    pairs: list[tuple[str, str]] = []
    for name, val in items:
        if isinstance(val, str | int | float | bool):
            pairs.append((name, _scalar(val)))
        else:
            pairs.extend((name, _scalar(one)) for one in val)
    return pairs


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise TypeError(f"query and form values must be str, int, float or bool, not {value!r}")


def _header_bytes(text: str | bytes, what: str) -> bytes:
    raw = text if isinstance(text, bytes) else text.encode("latin-1", errors="strict")
    if b"\r" in raw or b"\n" in raw or b"\0" in raw:
        raise ValueError(f"header {what} must not contain CR, LF or NUL: {text!r}")
    return raw


class TestResponse:
    """What the app answered: ``status``, ``headers``, ``content`` and helpers.

    Attributes:
        status: The status code.
        headers: Case-insensitive multi-dict of the response headers (``getall`` for
            ``Set-Cookie``); ``Content-Length`` is there when the front ends send it.
        content: The whole body (a streamed body is collected).
        cookies: ``name -> raw value`` of every cookie this response set (deletions
            included, with their empty value).
        response: The framework's ``Response`` object, for white-box checks
            (``response.error`` holds the exception behind an error response).
    """

    __test__ = False  # not a pytest test class

    __slots__ = ("content", "cookies", "headers", "response", "status")

    def __init__(
        self,
        status: int,
        raw_headers: RawHeaders,
        content: bytes,
        *,
        response: Response | None = None,
    ) -> None:
        self.status = status
        self.headers = Headers(raw_headers)
        self.content = content
        self.response = response
        self.cookies: dict[str, str] = {}
        for header in self.headers.getall("set-cookie"):
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0].strip()

    def __repr__(self) -> str:
        kind = self.headers.get("content-type", "-")
        return f"<TestResponse {self.status} {kind} {len(self.content)} bytes>"

    @property
    def charset(self) -> str:
        """The charset declared by ``Content-Type`` (``utf-8`` when none is)."""
        for param in self.headers.get("content-type", "").split(";")[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                return value.strip().strip('"')
        return "utf-8"

    def text(self) -> str:
        """The body decoded with its declared charset (UTF-8 by default).

        Raises:
            UnicodeDecodeError: the body is not text in that charset.
        """
        return self.content.decode(self.charset)

    def json(self) -> Any:
        """The body parsed as JSON.

        Raises:
            ValueError: the body is not valid JSON.
        """
        return jsonlib.loads(self.content)


class RequestBuilder:
    """A request under construction; chain the setters, then ``await .execute()``.

    Awaiting the builder itself executes it: ``await client.get("/")``.
    """

    __slots__ = (
        "_body",
        "_client",
        "_content_type",
        "_cookies",
        "_files",
        "_form",
        "_headers",
        "_json",
        "_kind",
        "_method",
        "_path",
        "_query",
    )

    def __init__(self, client: TestClient, method: str, path: str) -> None:
        self._client = client
        self._method = method
        self._path = path
        self._query: list[tuple[str, str]] = []
        self._headers: dict[str, tuple[str, str | bytes]] = {}
        self._cookies: dict[str, str] = {}
        self._kind: _BodyKind | None = None
        self._json: Any = None
        self._form: list[tuple[str, str]] = []
        self._files: list[tuple[str, FileSpec]] = []
        self._body: Body = b""
        self._content_type: str | None = None

    def __repr__(self) -> str:
        return f"<RequestBuilder {self._method} {self._path}>"

    def _body_kind(self, kind: _BodyKind) -> None:
        if self._kind is not None and self._kind != kind:
            raise ValueError(f"this request already has a {self._kind} body; cannot add {kind}")
        self._kind = kind

    def query(
        self,
        name: str | Mapping[str, QueryValue | Iterable[QueryValue]],
        value: QueryValue | Iterable[QueryValue] | None = None,
    ) -> Self:
        """Add query parameters: ``query("q", "x")``, ``query({"q": "x", "tag": ["a", "b"]})``.

        They are appended to any query string already in the path.
        """
        self._query.extend(_query_pairs(name, value))
        return self

    def set(self, name: str | Mapping[str, str | bytes], value: str | bytes | None = None) -> Self:
        """Set request headers (replacing defaults): ``set("Accept", "text/html")`` or a dict.

        Raises:
            ValueError: a name or value holds CR, LF or NUL, or is not latin-1.
        """
        items = [(name, value)] if isinstance(name, str) else list(name.items())
        for key, val in items:
            if val is None:
                raise TypeError(f"missing value for header {key!r}")
            _header_bytes(key, "name")
            _header_bytes(val, "value")
            self._headers[key.lower()] = (key, val)
        return self

    def cookie(self, name: str, value: str) -> Self:
        """Send cookie ``name`` with this request only, its value verbatim (not encoded)."""
        self._cookies[name] = value
        return self

    def json(self, data: Any) -> Self:
        """Send ``data`` as a JSON body (``application/json``).

        Raises:
            ValueError: the request already has a form or raw body.
        """
        self._body_kind("json")
        self._json = data
        return self

    def form_data(self, data: Mapping[str, QueryValue | Iterable[QueryValue]]) -> Self:
        """Add form fields, sent ``application/x-www-form-urlencoded``.

        Raises:
            ValueError: the request already has a JSON or raw body.
        """
        self._body_kind("form")
        self._form.extend(_query_pairs(data, None))
        return self

    def file(self, name: str | Mapping[str, FileSpec], value: FileSpec | None = None) -> Self:
        """Attach files, sent as ``multipart/form-data`` with any ``form_data`` fields.

        ``file({"file": path})``, ``file("file", path)``. A value is a path, or
        ``(filename, data)`` / ``(filename, data, content_type)`` with ``data`` as
        ``bytes``. Files on disk are streamed, never read whole.

        Raises:
            FileNotFoundError: a path does not name a file.
            ValueError: the request already has a JSON or raw body.
        """
        if isinstance(name, str):
            if value is None:
                raise TypeError(f"missing file for field {name!r}")
            items: list[tuple[str, FileSpec]] = [(name, value)]
        else:
            items = list(name.items())
        self._body_kind("form")
        for field, spec in items:
            if not isinstance(spec, tuple) and not Path(spec).is_file():
                raise FileNotFoundError(f"no file at {os.fspath(spec)!r} (field {field!r})")
            self._files.append((field, spec))
        return self

    def files(self, data: Mapping[str, Iterable[FileSpec]]) -> Self:
        """Attach several files per field: ``files({"files": [p1, p2]})`` (see ``file``)."""
        for field, specs in data.items():
            for spec in specs:
                self.file(field, spec)
        return self

    def send(
        self, body: str | bytearray | memoryview | Body, content_type: str | None = None
    ) -> Self:
        """Send a raw body.

        Args:
            body: ``str`` (sent as UTF-8, ``text/plain`` unless ``content_type`` says
                otherwise), ``bytes``, or an iterable / async iterable of ``bytes`` chunks,
                sent without ``Content-Length`` (as a chunked upload would be).
            content_type: The ``Content-Type`` header, if any.

        Raises:
            ValueError: the request already has a JSON or form body.
        """
        self._body_kind("raw")
        if isinstance(body, bytearray | memoryview):
            body = bytes(body)
        elif isinstance(body, str):
            body = body.encode()
            content_type = content_type or "text/plain; charset=utf-8"
        self._body = body
        self._content_type = content_type
        return self

    def _target(self) -> tuple[str, str, str | None, str]:
        """``(raw_path, query_string, host or None, scheme)`` for the request line."""
        path = self._path
        host: str | None = None
        scheme = self._client.scheme
        if "://" in path.split("?", 1)[0]:
            parts = urlsplit(path)
            scheme, host = parts.scheme or scheme, parts.netloc or None
            path = parts.path + (f"?{parts.query}" if parts.query else "")
        path = path.split("#", 1)[0]
        raw_path, _, query = path.partition("?")
        raw_path = encode_path(raw_path or "/")
        if not raw_path.startswith("/"):
            raw_path = "/" + raw_path
        query = quote(query, safe="=&;+%/?:@!$'()*,-._~") if query else ""
        if self._query:
            extra = urlencode(self._query, quote_via=quote)
            query = f"{query}&{extra}" if query else extra
        return raw_path, query, host, scheme

    def _payload(self) -> tuple[Body, str | None]:
        if self._kind == "json":
            data = jsonlib.dumps(self._json, ensure_ascii=False, separators=(",", ":"))
            return data.encode(), "application/json"
        if self._kind == "form" and self._files:
            body = MultipartBody(self._form, self._files)
            return body, f"multipart/form-data; boundary={body.boundary}"
        if self._kind == "form":
            return urlencode(self._form).encode(), "application/x-www-form-urlencoded"
        return self._body, self._content_type

    def build(self) -> Request:
        """Build the ``Request`` the app will see (``execute()`` calls this)."""
        client = self._client
        raw_path, query, host, scheme = self._target()
        body, content_type = self._payload()
        headers: dict[str, tuple[str, str | bytes]] = {
            "host": ("host", host or client.host),
            "user-agent": ("user-agent", "harpia-testclient"),
        }
        if content_type is not None:
            headers["content-type"] = ("content-type", content_type)
        if isinstance(body, MultipartBody):
            headers["content-length"] = ("content-length", str(body.length))
        elif isinstance(body, bytes):
            if body or self._kind is not None:
                headers["content-length"] = ("content-length", str(len(body)))
        else:
            headers["transfer-encoding"] = ("transfer-encoding", "chunked")
        cookie = client.cookies.header(self._cookies)
        if cookie is not None:
            headers["cookie"] = ("cookie", cookie)
        headers.update(self._headers)
        raw: RawHeaders = [
            (_header_bytes(key, "name"), _header_bytes(value, "value"))
            for key, (_, value) in headers.items()
        ]
        return Request(
            self._method,
            raw_path,
            query,
            raw,
            _receiver(body),
            client=client.client,
            scheme=scheme,
            server=(client.host, 443 if scheme == "https" else 80),
            app=client.app,
        )

    async def execute(self) -> TestResponse:
        """Run the request through the app's full pipeline and return its response."""
        return await self._client.run(self.build())

    def __await__(self) -> Generator[Any, None, TestResponse]:
        return self.execute().__await__()


FileSpec = str | os.PathLike[str] | tuple[str, bytes] | tuple[str, bytes, str]
"""A file for ``.file()``: a path, or ``(filename, data[, content_type])``."""


class MultipartBody:
    """A ``multipart/form-data`` body, iterated in chunks (files streamed from disk)."""

    def __init__(self, fields: list[tuple[str, str]], files: list[tuple[str, FileSpec]]) -> None:
        self.boundary = f"harpia-{secrets.token_hex(12)}"
        self.segments: list[bytes | Path] = []
        for name, value in fields:
            self.segments.append(self._head(name, None, None) + value.encode() + b"\r\n")
        for name, spec in files:
            if isinstance(spec, tuple):
                filename, data = spec[0], spec[1]
                kind = spec[2] if len(spec) == 3 else None
                source: bytes | Path = data
            else:
                source = Path(spec)
                filename, kind = source.name, None
            kind = kind or mimetypes.guess_type(filename)[0] or "application/octet-stream"
            self.segments += [self._head(name, filename, kind), source, b"\r\n"]
        self.segments.append(f"--{self.boundary}--\r\n".encode())
        self.length = sum(
            len(seg) if isinstance(seg, bytes) else seg.stat().st_size for seg in self.segments
        )

    def _head(self, name: str, filename: str | None, kind: str | None) -> bytes:
        def quoted(text: str) -> str:
            return (
                text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "")
            )

        head = f'--{self.boundary}\r\nContent-Disposition: form-data; name="{quoted(name)}"'
        if filename is not None:
            head += f'; filename="{quoted(filename)}"\r\nContent-Type: {kind}'
        return (head + "\r\n\r\n").encode()

    def __iter__(self) -> Iterator[bytes]:
        for segment in self.segments:
            if isinstance(segment, bytes):
                yield segment
                continue
            with segment.open("rb") as file:
                while chunk := file.read(CHUNK_SIZE):
                    yield chunk


def _receiver(body: Body) -> Receive:
    """A ``receive`` coroutine function handing out ``body`` in chunks, then ``b""``."""
    if isinstance(body, bytes):
        chunks: Iterator[bytes] = iter(
            [body[i : i + CHUNK_SIZE] for i in range(0, len(body), CHUNK_SIZE)]
        )

        async def receive() -> bytes:
            return next(chunks, b"")

        return receive
    if isinstance(body, AsyncIterable):
        iterator: AsyncIterator[bytes] = aiter(body)

        async def receive_async() -> bytes:
            async for chunk in iterator:
                if chunk:
                    return bytes(chunk)
            return b""

        return receive_async
    sync = iter(body)

    async def receive_sync() -> bytes:
        for chunk in sync:
            if chunk:
                return bytes(chunk)
        return b""

    return receive_sync


class TestClient:
    """Call an app in-process, with a cookie jar; async throughout.

    ``client.get(path)`` (and ``post``, ``put``, ``patch``, ``delete``, ``options``,
    ``head``) returns a `RequestBuilder`; ``await`` it, or its ``.execute()``, to get a
    `TestResponse`. Every request goes through ``app.handle``, the pipeline the servers
    use: middleware, routing, error handling.

    Args:
        app: The application.
        base_url: Scheme and host for the requests (``Host`` header, ``req.url``).
        client: The peer address the app sees (``req.ip``).

    Use ``async with TestClient(app) as client`` to run the app's startup hooks on enter
    and its shutdown hooks on exit. Without it, startup runs before the first request
    and ``await client.aclose()`` runs shutdown.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        app: Harpia,
        *,
        base_url: str = "http://testserver",
        client: tuple[str, int] = ("127.0.0.1", 50000),
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url must be an http(s) URL with a host, got {base_url!r}")
        self.app = app
        self.scheme = parts.scheme
        self.host = parts.netloc
        self.client = client
        self.cookies = CookieJar()

    def __repr__(self) -> str:
        return f"<TestClient {self.scheme}://{self.host} {self.app!r}>"

    async def __aenter__(self) -> Self:
        await self.app.startup()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Run the app's shutdown hooks (if its startup ran)."""
        await self.app.shutdown()

    def request(self, method: str, path: str) -> RequestBuilder:
        """A request with any ``method`` to ``path`` (may hold a query string)."""
        return RequestBuilder(self, method.upper(), path)

    def get(self, path: str) -> RequestBuilder:
        """A GET request."""
        return self.request("GET", path)

    def post(self, path: str) -> RequestBuilder:
        """A POST request."""
        return self.request("POST", path)

    def put(self, path: str) -> RequestBuilder:
        """A PUT request."""
        return self.request("PUT", path)

    def patch(self, path: str) -> RequestBuilder:
        """A PATCH request."""
        return self.request("PATCH", path)

    def delete(self, path: str) -> RequestBuilder:
        """A DELETE request."""
        return self.request("DELETE", path)

    def options(self, path: str) -> RequestBuilder:
        """An OPTIONS request."""
        return self.request("OPTIONS", path)

    def head(self, path: str) -> RequestBuilder:
        """A HEAD request."""
        return self.request("HEAD", path)

    def ws(self, path: str, headers: Mapping[str, str] | None = None) -> WSTestSession:
        """A WebSocket session with the app: ``async with client.ws("/chat") as ws``.

        The handshake goes through the app's middlewares and the route's ``upgrade``;
        a refusal raises ``WSRejected`` (with the response) on enter.
        """
        from ._testclient_ws import WSTestSession

        builder = self.request("GET", path)
        if headers:
            builder.set(dict(headers))
        return WSTestSession(builder)

    async def run(self, request: Request) -> TestResponse:
        """Handle a built ``request``: startup if needed, the pipeline, the cookie jar.

        Raises:
            Exception: whatever a streamed response body raises while it is collected
                (a server would drop the connection half-way; a test should see why).
        """
        await self.app.startup()
        res = await self.app.handle(request)
        raw = res.raw_headers()
        if res.body_stream is not None:
            content = b"".join([chunk async for chunk in res.body_stream])
        else:
            content = res.body
        if res.after_calls:  # res.after(): run once the response is collected
            await run_after(self.app, res)
        for name, value in raw:
            if name.lower() == b"set-cookie":
                self.cookies.store(value.decode("latin-1"))
        return TestResponse(res.status_code, raw, content, response=res)
