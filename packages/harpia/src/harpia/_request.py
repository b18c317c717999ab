"""Request: a lazy, cached view of one HTTP request, shared by every front end.

The native server, the ASGI adapter and the test client all build a ``Request`` from
the same pieces — method, raw path, query string, raw headers, client address and a
``receive`` coroutine that yields body chunks (``b""`` at the end) — and hand it to
``Harpia.handle``. Headers, query, cookies and the body are parsed on first use only.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from ._cookies import RequestCookies
from ._errors import HTTPError
from ._forms import form_limits, read_urlencoded
from ._headers import Headers, RawHeaders
from ._multidict import QueryParams

if TYPE_CHECKING:
    from ._app import Harpia
    from ._flash import Flash
    from ._session import SessionData
    from ._upload import UploadedFile

NO_CSRF = (
    "req.csrf_token needs the CSRF middleware: add app.use(csrf.middleware()) "
    "(csrf = harpia.CSRF(store), after the session middleware)"
)

Receive = Callable[[], Awaitable[bytes]]
"""Returns the next chunk of the request body; ``b""`` once the body is complete."""


async def no_body() -> bytes:
    """A ``receive`` for requests without a body."""
    return b""


class _Unread:
    """A ``receive`` yielding pushed-back bytes first, then the original's chunks.

    Made only by ``Request.unread``, so requests that never push back pay nothing.
    """

    __slots__ = ("data", "ended", "source")

    def __init__(self, data: bytes, source: Receive, ended: bool) -> None:
        self.data = data
        self.source = source
        self.ended = ended  # the source already returned b"": do not call it again

    async def __call__(self) -> bytes:
        data = self.data
        if data:
            self.data = b""
            return data
        return b"" if self.ended else await self.source()


class Request:
    """One HTTP request.

    Args:
        method: The method as sent (``"GET"``).
        raw_path: The path as on the wire, still percent-encoded (``/books/a%2Fb``).
        query_string: The part after ``?``, without it.
        headers: Raw header pairs, names lower-cased.
        receive: Coroutine function returning body chunks, ``b""`` at the end.
        client: The peer's ``(host, port)``, when known.
        scheme: ``"http"`` or ``"https"``.
        server: The local ``(host, port)``, when known.
        http_version: ``"1.1"``, ``"1.0"`` …
        app: The application handling the request.
    """

    __slots__ = (
        "_body",
        "_cookies",
        "_form",
        "_headers",
        "_query",
        "_receive",
        "_received",
        "app",
        "body_limit",
        "client",
        "file",
        "files",
        "http_version",
        "method",
        "nonce",
        "params",
        "query_string",
        "raw_headers",
        "raw_path",
        "route",
        "scheme",
        "server",
        "session_state",
        "state",
        "trust_proxy",
    )

    def __init__(
        self,
        method: str,
        raw_path: str,
        query_string: str = "",
        headers: RawHeaders | None = None,
        receive: Receive = no_body,
        *,
        client: tuple[str, int] | None = None,
        scheme: str = "http",
        server: tuple[str, int] | None = None,
        http_version: str = "1.1",
        app: Harpia | None = None,
    ) -> None:
        self.method = method
        self.raw_path = raw_path
        self.query_string = query_string
        self.raw_headers: RawHeaders = headers if headers is not None else []
        self._receive = receive
        self.client = client
        self.scheme = scheme
        self.server = server
        self.http_version = http_version
        self.app = app
        self.trust_proxy = app.trust_proxy if app is not None else False
        self.params: dict[str, str] = {}
        self.state: dict[str, Any] = {}
        self.session_state: SessionData | None = None  # set by Session.middleware()
        self.route: str | None = None
        self.nonce: str | None = None
        self.body_limit: int | None = None
        self.file: UploadedFile | None = None
        self.files: list[UploadedFile] = []
        self._headers: Headers | None = None
        self._query: QueryParams | None = None
        self._cookies: RequestCookies | None = None
        self._body: bytes | None = None
        self._form: QueryParams | None = None
        self._received = 0

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.raw_path}>"

    # -- lazily parsed views ------------------------------------------------------------

    @property
    def headers(self) -> Headers:
        """Case-insensitive multi-dict of the request headers."""
        if self._headers is None:
            self._headers = Headers(self.raw_headers)
        return self._headers

    @property
    def session(self) -> SessionData:
        """The session's data, a mutable mapping (needs ``app.use(session.middleware())``).

        Raises:
            RuntimeError: no session middleware ran for this request.
        """
        if self.session_state is None:
            raise RuntimeError("req.session needs the session middleware: app.use(s.middleware())")
        return self.session_state

    def flash(self, message: str, category: str = "info") -> None:
        """Keep ``message`` in the session until a later ``flashes()`` reads it (once).

        Raises:
            TypeError: ``message`` or ``category`` is not a str.
            RuntimeError: no session middleware ran for this request.
        """
        from ._flash import flash

        flash(self, message, category)

    def flashes(self, *categories: str) -> list[Flash]:
        """Return and remove the flash messages waiting in the session (those of
        ``categories`` only, when given), as ``Flash(category, message)`` pairs.

        Raises:
            RuntimeError: no session middleware ran for this request.
        """
        from ._flash import flashes

        return flashes(self, *categories)

    @property
    def csrf_token(self) -> str:
        """The CSRF token to put in this request's forms (needs ``CSRF.middleware()``).

        Reading it may make a token, which the middleware stores after the handler.

        Raises:
            RuntimeError: no CSRF middleware ran for this request (a form would carry an
                empty token and every submission would fail).
        """
        token = self.state.get("csrf_token")
        if token is None:
            make = self.state.get("csrf_make")
            if not callable(make):
                raise RuntimeError(NO_CSRF)
            token = make()
        if not isinstance(token, str):
            raise RuntimeError(NO_CSRF)
        return token

    @property
    def path(self) -> str:
        """The decoded path (``/books/a/b`` for ``/books/a%2Fb``)."""
        return unquote(self.raw_path) if "%" in self.raw_path else self.raw_path

    @property
    def query(self) -> QueryParams:
        """The query string as a multi-dict (``get``, ``getall``)."""
        if self._query is None:
            self._query = QueryParams(self.query_string)
        return self._query

    @property
    def cookies(self) -> RequestCookies:
        """The request's cookies (``get(name)``, ``get_all()``)."""
        if self._cookies is None:
            self._cookies = RequestCookies(self.headers.getall("cookie"))
        return self._cookies

    @property
    def url(self) -> str:
        """The full URL: scheme, host, raw path and query.

        The host is the ``Host`` header's, which the server has checked (400 when
        malformed) and, for an absolute-form target (``GET http://a.example/x``), set to
        the target's authority (RFC 9112 §3.2.2); without one (HTTP/1.0) the server's
        address.
        """
        host = self.headers.get("host")
        if not host and self.server is not None:
            host = f"{self.server[0]}:{self.server[1]}"
        query = f"?{self.query_string}" if self.query_string else ""
        return f"{self.scheme}://{host or 'localhost'}{self.raw_path}{query}"

    @property
    def ip(self) -> str | None:
        """The client's address; the first ``X-Forwarded-For`` entry with ``trust_proxy``."""
        if self.trust_proxy:
            forwarded = self.headers.get("x-forwarded-for")
            if forwarded:
                first = forwarded.split(",")[0].strip()
                if first:
                    return first
        return self.client[0] if self.client else None

    @property
    def content_type(self) -> str:
        """The media type of the body, lower-cased, without parameters (``""`` if none)."""
        value = self.headers.get("content-type", "")
        return value.split(";", 1)[0].strip().lower()

    # -- negotiation (``_negotiation.py``) ---------------------------------------------

    def accepts(self, *types: str) -> str | None:
        """The offered media type the ``Accept`` header prefers (as given), or ``None``.

        Types are ``"text/html"`` or short names (``"html"``, ``"json"``); q-values and
        wildcards count; without an ``Accept`` header the first type wins.
        """
        from ._negotiation import best_type

        return best_type(self.headers.get("accept"), types)

    def accepts_language(self, *languages: str) -> str | None:
        """The offered language tag ``Accept-Language`` prefers (``en`` matches ``en-GB``)."""
        from ._negotiation import best_language

        return best_language(self.headers.get("accept-language"), languages)

    def accepts_encoding(self, *encodings: str) -> str | None:
        """The offered content coding ``Accept-Encoding`` prefers (``identity`` unless
        refused with ``identity;q=0``), or ``None``."""
        from ._negotiation import best_encoding

        return best_encoding(self.headers.get("accept-encoding"), encodings)

    @property
    def last_event_id(self) -> str | None:
        """The ``Last-Event-ID`` header: the id of the last server-sent event a
        reconnecting ``EventSource`` received (``None`` if absent)."""
        return self.headers.get("last-event-id")

    # -- body ---------------------------------------------------------------------------

    def content_length(self) -> int | None:
        """The declared ``Content-Length``, or ``None`` (chunked or absent).

        Raises:
            HTTPError: 400 when the header is not a number.
        """
        raw: bytes | None = None
        for name, value in self.raw_headers:  # no need to build the whole header index
            if name == b"content-length":
                raw = value
                break
        if raw is None:
            return None
        if not raw.strip().isdigit():
            raise HTTPError(400, "invalid Content-Length")
        return int(raw)

    def check_declared_length(self) -> None:
        """Answer 413 before reading when the declared length exceeds ``body_limit``."""
        limit = self.body_limit
        if limit is not None and self._receive is not no_body:
            length = self.content_length()
            if length is not None and length > limit:
                raise HTTPError(413, f"request body larger than {limit} bytes")

    async def stream(self) -> AsyncGenerator[bytes, None]:
        """Yield the body in chunks as they arrive (once; ``body()`` caches instead).

        Raises:
            HTTPError: 413 as soon as more than ``body_limit`` bytes arrive.
            RuntimeError: the body was already consumed by ``stream()``.
        """
        if self._body is not None:
            if self._body:
                yield self._body
            return
        if self._received < 0:
            raise RuntimeError("the request body was already read with stream()")
        self.check_declared_length()
        limit = self.body_limit
        while True:
            chunk = await self._receive()
            if not chunk:
                break
            self._received += len(chunk)
            if limit is not None and self._received > limit:
                raise HTTPError(413, f"request body larger than {limit} bytes")
            yield chunk
        self._received = ~self._received  # negative: read to the end (the count kept)

    def unread(self, data: bytes) -> None:
        """Push ``data``, the last bytes read with ``stream()``, back in front of the body.

        The next ``stream()`` (or ``body()``, ``form()``, an ``Upload``) yields them first,
        then the rest of the body as it arrives: a middleware can peek at the start of a
        body (CSRF on multipart forms) and leave it whole for the route. The bytes count
        again towards ``body_limit`` when read again.

        Once the body is cached by ``body()``, ``stream()`` yields all of it again and
        this does nothing.

        Raises:
            ValueError: more bytes than were read so far.
        """
        if self._body is not None:
            return
        if not data:
            if self._received == ~0:  # an empty body read to its end: readable again
                self._received = 0
                self._receive = _Unread(b"", self._receive, True)
            return
        received = self._received
        ended = received < 0
        if ended:
            received = ~received
        if len(data) > received:
            raise ValueError(f"cannot unread {len(data)} bytes: only {received} were read")
        self._received = received - len(data)
        self._receive = _Unread(bytes(data), self._receive, ended)

    async def body(self) -> bytes:
        """The whole body (read once, then cached)."""
        if self._body is None:
            chunks = [chunk async for chunk in self.stream()]
            self._body = b"".join(chunks)
        return self._body

    async def text(self) -> str:
        """The body decoded with its declared charset (UTF-8 by default).

        Raises:
            HTTPError: 400 when the body cannot be decoded.
        """
        charset = "utf-8"
        for param in self.headers.get("content-type", "").split(";")[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                charset = value.strip().strip('"')
        try:
            return (await self.body()).decode(charset)
        except (LookupError, UnicodeDecodeError):
            raise HTTPError(400, f"request body is not valid {charset} text") from None

    async def json(self) -> Any:
        """The body parsed as JSON (whatever its declared type, as long as it parses).

        Raises:
            HTTPError: 400 when the body is not valid JSON; the message says why:
                ``expected application/json, got <type>`` when another content type was
                declared, ``empty body`` when there is none, else the parser's error.
        """
        raw = await self.body()
        try:
            return json.loads(raw)
        except ValueError as exc:
            kind = self.content_type
            if kind and kind != "application/json" and not kind.endswith("+json"):
                raise HTTPError(
                    400, f"expected application/json, got {kind}: the body is not JSON"
                ) from None
            if not raw.strip():
                raise HTTPError(400, "malformed JSON body: empty body") from None
            raise HTTPError(400, f"malformed JSON body: {exc}") from None

    async def form(
        self, *, max_fields: int | None = None, max_size: int | None = None
    ) -> QueryParams:
        """The fields of an urlencoded or ``multipart/form-data`` body as a multi-dict.

        For multipart bodies read without ``Upload`` the files are read and dropped;
        behind ``Upload.single``/``multiple`` the files are in ``req.file``/``req.files``.

        Args:
            max_fields: Most fields (multipart: parts that are not saved files); the
                app's ``max_form_fields`` (1000) by default.
            max_size: Most bytes of an urlencoded body, or of a multipart body's plain
                fields together; the app's ``max_form_size`` (1 MiB) by default.

        Raises:
            HTTPError: 415 for other content types; 400 for a malformed multipart body;
                413 beyond either limit (checked while reading, before parsing).
            ValueError: a limit that is not a positive int.
        """
        if self._form is None:
            fields, size = form_limits(self, max_fields, max_size)
            kind = self.content_type
            if kind == "multipart/form-data":
                from ._upload import read_form

                self._form = QueryParams(await read_form(self, fields, size))
                return self._form
            if kind not in ("application/x-www-form-urlencoded", ""):
                raise HTTPError(415, f"cannot read a form from {kind!r} content")
            self._form = QueryParams(await read_urlencoded(self, fields, size))
        return self._form

    def set_form(self, form: QueryParams) -> None:
        """Set what ``form()`` returns (the upload middleware's plain fields)."""
        self._form = form

    @property
    def body_consumed(self) -> bool:
        """True once the body has been read to its end (front ends use it for keep-alive)."""
        return self._body is not None or self._received < 0
