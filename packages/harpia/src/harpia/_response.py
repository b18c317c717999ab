"""Response: what a handler builds; the front ends turn it into bytes.

A handler (or middleware) fills ``res`` — ``status``, headers, cookies and one body: bytes
(``send``/``json``/``html``/``text``), an async iterable (``stream``) or a file
(``await file(path)``). After the pipeline has run, a front end reads ``status_code``,
``raw_headers()`` and either ``body`` or ``body_stream``.
"""

from __future__ import annotations

import contextlib
import re
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import quote, urlsplit

from ._cookies import ResponseCookies
from ._headers import HeaderBlock, MutableHeaders, RawHeaders
from ._json import UnencodableError, json_bytes

if TYPE_CHECKING:
    import os
    from collections.abc import AsyncIterable, Callable, Coroutine, Mapping

    from ._after import AfterCall
    from ._dev import DevState
    from ._request import Request
    from ._views import ModuleRender

TEXT = "text/plain; charset=utf-8"
HTML = "text/html; charset=utf-8"
JSON = "application/json"
BINARY = "application/octet-stream"


# A URL as a Location header carries it (RFC 3986): unreserved and reserved characters and
# "%" escapes stay as they are; anything else — non-ASCII text, spaces, a "%" that starts
# no escape — is percent-encoded (UTF-8). Control characters are refused, never encoded.
_URL_UNSAFE = re.compile(r"[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]|%(?![0-9A-Fa-f]{2})")
_URL_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def encode_url(url: str) -> str:
    """``url`` fit for a ``Location`` header: a non-ASCII host in IDNA (punycode), other
    unsafe characters percent-encoded, existing ``%XX`` escapes and reserved characters
    kept (``/日本?q=a b`` → ``/%E6%97%A5%E6%9C%AC?q=a%20b``).

    Raises:
        TypeError: ``url`` is not a str.
        ValueError: ``url`` holds a control character (CR, LF, NUL …).
    """
    if not isinstance(url, str):
        raise TypeError(f"redirect URL must be str, got {type(url).__name__}")
    if _URL_CONTROL.search(url) is not None:
        raise ValueError(f"redirect URL must not contain control characters: {url!r}")
    if _URL_UNSAFE.search(url) is None:
        return url
    if not url.isascii():
        netloc = urlsplit(url).netloc
        if netloc and not netloc.isascii():
            userinfo, at, host = netloc.rpartition("@")
            host, colon, port = host.partition(":")
            with contextlib.suppress(UnicodeError):  # else percent-encoded below
                host = host.encode("idna").decode("ascii")
            url = url.replace(netloc, f"{userinfo}{at}{host}{colon}{port}", 1)
    return _URL_UNSAFE.sub(lambda m: quote(m.group(), safe=""), url)


class Response:
    """An HTTP response under construction.

    Args:
        content: Optional initial body (``str``, ``bytes``, or JSON data for dict/list).
        status: Status code.
        headers: Initial headers.
        content_type: ``Content-Type`` for ``content``.
    """

    __slots__ = (
        "_cookies",
        "_dev",  # development mode's notes (harpia._dev), set only there
        "_pending",  # the last res.render/res.file call, to name it if never awaited
        "_sent_by",
        "after_calls",
        "body",
        "body_stream",
        "error",
        "headers",
        "raw_extra",
        "request",
        "sent",
        "status_code",
        "status_set",
    )

    _dev: DevState  # set in development only (harpia._dev)
    _pending: str  # set by res.render/res.file, read in development only

    def __init__(
        self,
        content: str | bytes | dict[str, Any] | list[Any] | None = None,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        content_type: str | None = None,
    ) -> None:
        self.status_code = 200
        self.status_set = False
        self._sent_by: str | None = None  # the send helper that set the body, if any
        if status != 200:
            self.status(status)
        self.headers = MutableHeaders()
        self.body = b""
        self.body_stream: AsyncIterable[bytes] | None = None
        self.sent = False
        self.request: Request | None = None
        self.error: BaseException | None = None
        self._cookies: ResponseCookies | None = None
        self.raw_extra: HeaderBlock | None = None  # checked, sent after headers (Shield)
        self.after_calls: list[AfterCall] | None = None  # res.after(): run once sent
        if headers:
            for name, value in headers.items():
                self.headers.set(name, value)
        if content is not None:
            if isinstance(content, dict | list):
                self.json(content)
            else:
                self.send(content, content_type=content_type)

    def __repr__(self) -> str:
        return f"<Response {self.status_code}>"

    @property
    def cookies(self) -> ResponseCookies:
        """Cookies to send: ``res.cookies.set(name, value, ...)``, ``delete(name)``."""
        if self._cookies is None:
            self._cookies = ResponseCookies()
        return self._cookies

    # -- status and headers ------------------------------------------------------------

    def status(self, code: int) -> Self:
        """Set the status code; returns ``self`` for chaining (``res.status(201).json(...)``).

        Raises:
            ValueError: ``code`` is not an int from 100 to 599.
        """
        if isinstance(code, bool) or not isinstance(code, int) or not 100 <= code <= 599:
            raise ValueError(f"status must be an int from 100 to 599, got {code!r}")
        self.status_code = code
        self.status_set = True
        return self

    def header(self, name: str, value: str) -> Self:
        """Set header ``name`` (replacing earlier values); returns ``self``."""
        self.headers.set(name, value)
        return self

    def after(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Self:
        """Call ``fn(*args, **kwargs)`` once the response has been sent; returns ``self``.

        Calls run in the order added, one after the other: a coroutine function in the
        event loop, a plain function in a worker thread. A failure is logged (``harpia``
        logger), never sent. The native server waits for running calls before its
        shutdown hooks; under ASGI they run after the last body message, in the test
        client before the request returns.

        Raises:
            TypeError: ``fn`` is not callable.
        """
        if not callable(fn):
            raise TypeError(f"after() takes a callable, got {fn!r}")
        if self.after_calls is None:
            self.after_calls = []
        self.after_calls.append((fn, args, kwargs))
        return self

    # -- bodies ----------------------------------------------------------------------
    #
    # One response per request: a send helper refuses to replace a body another one set
    # (``RuntimeError``, as Express's "Cannot set headers after they are sent"); headers,
    # status and cookies may still change until the pipeline returns, since nothing is on
    # the wire before. Error responses made by harpia stay replaceable (``_sent_by`` None).

    def send(self, content: str | bytes, *, content_type: str | None = None) -> Self:
        """Send ``content``: ``str`` as HTML (unless a type is set), ``bytes`` as binary.

        Raises:
            RuntimeError: the response was already sent (by any ``res.*`` send helper).
        """
        if self._sent_by is not None:
            raise self.already_sent("res.send")
        if isinstance(content, str):
            self.body = content.encode()
            default = HTML
        elif isinstance(content, bytes | bytearray | memoryview):
            self.body = bytes(content)
            default = BINARY
        else:
            raise TypeError(f"send() takes str or bytes, got {type(content).__name__}")
        if content_type is not None:
            self.headers.set("content-type", content_type)
        elif "content-type" not in self.headers:
            self.headers.put("content-type", default)
        self.body_stream = None
        self.sent = True
        self._sent_by = "res.send"
        return self

    def text(self, content: str) -> Self:
        """Send plain text (``text/plain; charset=utf-8``)."""
        if self._sent_by is not None:
            raise self.already_sent("res.text")
        return self._send_bytes(content.encode(), TEXT, "res.text")

    def html(self, content: str) -> Self:
        """Send HTML (``text/html; charset=utf-8``)."""
        if self._sent_by is not None:
            raise self.already_sent("res.html")
        return self._send_bytes(content.encode(), HTML, "res.html")

    def json(self, data: Any) -> Self:
        """Send ``data`` as JSON (``application/json``).

        Besides JSON's own types, encodes datetime/date/time (ISO 8601), UUID, Decimal (as
        a string), Enum (its value), dataclasses and paths.

        Raises:
            TypeError: ``data`` holds a value of another type (the message names the type
                and the route).
            RuntimeError: the response was already sent.
        """
        if self._sent_by is not None:
            raise self.already_sent("res.json")
        try:
            body = json_bytes(data)
        except UnencodableError as exc:
            raise TypeError(f"{exc} (in res.json{self._where()})") from None
        return self._send_bytes(body, JSON, "res.json")

    def _send_bytes(self, body: bytes, content_type: str, sender: str) -> Self:
        self.headers.put("content-type", content_type)
        self.body = body
        self.body_stream = None
        self.sent = True
        self._sent_by = sender
        return self

    def redirect(self, url: str, status: int = 302) -> Self:
        """Redirect to ``url`` with a 3xx ``status`` (302 by default).

        ``url`` is percent-encoded where it must be (non-ASCII text, spaces; a non-ASCII
        host becomes IDNA); its ``%XX`` escapes and reserved characters are kept.

        Raises:
            ValueError: ``status`` is not a redirect code, or ``url`` holds a control
                character (CR, LF, NUL …).
            RuntimeError: the response was already sent.
        """
        if self._sent_by is not None:
            raise self.already_sent("res.redirect")
        if status not in (300, 301, 302, 303, 307, 308):
            raise ValueError(f"redirect status must be 300-303, 307 or 308, got {status!r}")
        location = encode_url(url)
        self.status(status)
        self.headers.set("location", location)
        self.body = b""
        self.body_stream = None
        self.sent = True
        self._sent_by = "res.redirect"
        return self

    def stream(self, chunks: AsyncIterable[bytes | str], *, content_type: str = BINARY) -> Self:
        """Send the chunks of an async iterable as they come (chunked encoding).

        Raises:
            RuntimeError: the response was already sent.
        """
        if self._sent_by is not None:
            raise self.already_sent("res.stream")
        if not hasattr(chunks, "__aiter__"):
            raise TypeError(f"stream() takes an async iterable, got {type(chunks).__name__}")
        self.headers.setdefault("content-type", content_type)
        self.body = b""
        self.body_stream = _as_bytes(chunks)
        self.sent = True
        self._sent_by = "res.stream"
        return self

    def file(
        self, path: str | Any, *, content_type: str | None = None
    ) -> Coroutine[Any, Any, Self]:
        """Send a file with its content type, ``ETag``, ``Last-Modified`` and ranges (await it).

        Answers conditional requests (``If-None-Match``, ``If-Modified-Since`` → 304) and
        byte ranges (206, ``multipart/byteranges`` for several, 416 when unsatisfiable;
        ``If-Range`` honoured) — the same code as static files.

        Raises:
            HTTPError: 404 when the file does not exist or is not a regular file.
            RuntimeError: the response was already sent.
        """
        self._pending = "res.file(...)"  # development: named if never awaited
        return self._file(path, content_type)

    async def _file(self, path: str | Any, content_type: str | None) -> Self:
        from ._files import send_file

        if self._sent_by is not None:
            raise self.already_sent("res.file")
        await send_file(self, path, content_type=content_type)
        self._sent_by = "res.file"
        return self

    async def download(
        self,
        path: str | os.PathLike[str],
        filename: str | None = None,
        *,
        content_type: str | None = None,
    ) -> Self:
        """Send the file at ``path`` as an attachment the browser saves as ``filename``
        (default: the file's own name) — ``res.file`` plus ``Content-Disposition``.

        Raises:
            HTTPError: 404 when the file does not exist or is not a regular file.
            RuntimeError: the response was already sent.
        """
        from ._download import download

        if self._sent_by is not None:
            raise self.already_sent("res.download")
        await download(self, path, filename, content_type)
        self._sent_by = "res.download"
        return self

    def attachment(self, filename: str | os.PathLike[str] | None = None) -> Self:
        """Mark the response as a download (``Content-Disposition: attachment``), named
        ``filename`` (its extension also sets ``Content-Type``); returns ``self``."""
        from ._download import set_attachment

        set_attachment(self, filename)
        return self

    async def format(self, handlers: Mapping[str, Callable[..., Any]]) -> Self:
        """Answer with the handler of the media type the request's ``Accept`` prefers:
        ``await res.format({"text/html": fn, "json": fn, "default": fn})``.

        Each handler is ``(req, res)``, sync or async, and may return a value as a route
        handler does. Sets ``Content-Type`` to the chosen type and ``Vary: Accept``.

        Raises:
            HTTPError: 406 when no type is acceptable and there is no ``"default"``.
        """
        from ._download import format_response

        await format_response(self, handlers)
        return self

    def sse(self, source: AsyncIterable[Any], *, ping: float | None = 15.0) -> Self:
        """Send server-sent events from an async iterable (``text/event-stream``).

        Items are ``ServerSentEvent``s, dicts of their fields (``data``, ``event``,
        ``id``, ``retry``, ``comment``) or data alone (a str as it is, other values as
        JSON). A ``: ping`` comment goes out after ``ping`` seconds without an event
        (``None``: never); the source is closed once the client goes away.

        Raises:
            TypeError: ``source`` is not an async iterable.
            ValueError: ``ping`` is not a positive number.
        """
        from ._sse import EventStream

        if self._sent_by is not None:
            raise self.already_sent("res.sse")
        if not hasattr(source, "__aiter__"):
            raise TypeError(f"sse() takes an async iterable, got {type(source).__name__}")
        if ping is not None and (isinstance(ping, bool) or not ping > 0):
            raise ValueError(f"sse() ping must be a positive number of seconds, got {ping!r}")
        self.headers.set("content-type", "text/event-stream; charset=utf-8")
        self.headers.set("cache-control", "no-cache")
        self.headers.set("x-accel-buffering", "no")
        self.headers.remove("content-length")
        self.body = b""
        self.body_stream = EventStream(source, ping)
        self.sent = True
        self._sent_by = "res.sse"
        return self

    def render(self, view: str, data: Mapping[str, Any] | None = None) -> Coroutine[Any, Any, Self]:
        """Render ``view`` with the app's template engine (``app.engine``) and send it as
        HTML (await it).

        Raises:
            RuntimeError: the app has no engine (``engine.configure(app)``), or the
                response was already sent.
        """
        self._pending = f"res.render({view!r})"  # development: named if never awaited
        return self._render(view, data)

    async def _render(self, view: str, data: Mapping[str, Any] | None) -> Self:
        from ._views import engine_of

        if self._sent_by is not None:
            raise self.already_sent("res.render")
        html = await engine_of(self).render(self, view, data)
        if self._sent_by is not None:
            raise self.already_sent("res.render")
        return self._send_bytes(html.encode(), HTML, "res.render")

    def module(self, name: str) -> ModuleRender:
        """The views of module ``name``: ``await res.module("books").render("home", data)``."""
        from ._views import ModuleRender

        return ModuleRender(self, name)

    # -- the one-response rule -------------------------------------------------------

    def already_sent(self, sender: str) -> RuntimeError:
        """The error for ``sender`` trying to send a response that is already sent."""
        return RuntimeError(
            f"response already sent by {self._sent_by}{self._where()}: {sender} cannot "
            "send another one. Send once per request (and either call res.* or return a "
            "value, not both)"
        )

    def _where(self) -> str:
        request = self.request
        if request is None:
            return ""
        return f" at route {request.method} {request.route or request.path}"

    # -- for front ends --------------------------------------------------------------

    def raw_headers(self, *, extra: bool = True) -> RawHeaders:
        """Every header as bytes: ``headers``, ``Content-Length``, ``raw_extra``, ``Set-Cookie``.

        ``extra=False`` leaves ``raw_extra`` out, for a front end that sends its ``wire``
        form itself (the native server).
        """
        raw = self.headers.encoded()
        if self.body_stream is None and self.status_code not in (204, 304):
            for name, _ in raw:
                if len(name) == 14 and name.lower() == b"content-length":
                    break
            else:
                raw.append((b"content-length", b"%d" % len(self.body)))
        if extra and self.raw_extra:
            raw.extend(self.raw_extra.pairs)
        if self._cookies:
            raw.extend(
                (b"set-cookie", value.encode("latin-1")) for value in self._cookies.headers()
            )
        return raw


async def _as_bytes(chunks: AsyncIterable[bytes | str]) -> AsyncIterable[bytes]:
    async for chunk in chunks:
        yield chunk.encode() if isinstance(chunk, str) else bytes(chunk)
