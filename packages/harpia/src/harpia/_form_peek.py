"""Peek at one plain field near the start of a form body, leaving the body whole.

``peek_field``: the CSRF middleware finds ``_csrf`` in a multipart form: the body is
parsed (python-multipart, streaming) only until that part is complete, and only over its
first ``limit`` bytes. ``peek_urlencoded``: the app finds ``_method`` (method override)
in the first ``limit`` bytes of an urlencoded body, with no parse of the rest. Every byte
read is then pushed back with ``Request.unread``, so the route (``Upload``,
``await req.form()``) still sees the whole body.
"""

from __future__ import annotations

from contextlib import aclosing
from typing import TYPE_CHECKING
from urllib.parse import unquote_plus

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from ._errors import HTTPError
from ._multipart import Preamble, boundary_of

if TYPE_CHECKING:
    from ._request import Request


OVERRIDE_PEEK = 64 * 1024
"""Bytes of an urlencoded body searched for ``_method`` (method override)."""


class BeyondPeek(LookupError):
    """The field was not complete within the first ``limit`` bytes of the body."""


class _Finder:
    """Parser callbacks that keep the value of the first plain part named ``name``."""

    __slots__ = ("current", "done", "header_field", "header_value", "headers", "name", "value")

    def __init__(self, name: str) -> None:
        self.name = name.encode()
        self.headers: list[tuple[bytes, bytes]] = []
        self.header_field = bytearray()
        self.header_value = bytearray()
        self.current = False  # the part being parsed is the wanted field
        self.value = bytearray()
        self.done = False

    def begin(self) -> None:
        self.headers.clear()
        self.current = False

    def field(self, buf: bytes, start: int, end: int) -> None:
        self.header_field += buf[start:end]

    def header(self, buf: bytes, start: int, end: int) -> None:
        self.header_value += buf[start:end]

    def header_end(self) -> None:
        self.headers.append((bytes(self.header_field).lower(), bytes(self.header_value)))
        self.header_field.clear()
        self.header_value.clear()

    def headers_finished(self) -> None:
        for name, value in self.headers:
            if name == b"content-disposition":
                _, params = parse_options_header(value)
                self.current = params.get(b"name") == self.name and b"filename" not in params
                return

    def data(self, buf: bytes, start: int, end: int) -> None:
        if self.current:
            self.value += buf[start:end]

    def end(self) -> None:
        if self.current:
            self.done = True
            self.current = False


async def peek_field(req: Request, name: str, limit: int) -> str | None:
    """The value of plain field ``name`` if it is complete within the body's first
    ``limit`` bytes; ``None`` when the body ends without it. The body is left unread.

    Raises:
        BeyondPeek: the first ``limit`` bytes did not hold the whole field.
        HTTPError: 400 for a malformed multipart body (413 past ``req.body_limit``).
    """
    boundary = boundary_of(req)
    preamble = Preamble(boundary)
    finder = _Finder(name)
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": finder.begin,
            "on_header_field": finder.field,
            "on_header_value": finder.header,
            "on_header_end": finder.header_end,
            "on_headers_finished": finder.headers_finished,
            "on_part_data": finder.data,
            "on_part_end": finder.end,
        },
        max_header_count=16,
    )
    read: list[bytes] = []
    fed = 0
    try:
        async with aclosing(req.stream()) as chunks:
            async for chunk in chunks:
                read.append(chunk)
                piece = chunk[: limit - fed]
                fed += len(piece)
                try:
                    parser.write(preamble.feed(piece))
                except MultipartParseError as exc:
                    raise HTTPError(400, f"malformed multipart body: {exc}") from None
                if finder.done:
                    return finder.value.decode("utf-8", errors="replace")
                if fed >= limit:
                    raise BeyondPeek(f"{name!r} not within the first {limit} bytes of the body")
        return None
    finally:
        req.unread(b"".join(read))


async def peek_urlencoded(req: Request, name: str, limit: int) -> str | None:
    """The value of the first field ``name`` of an urlencoded body, if that field is
    complete within the body's first ``limit`` bytes; else ``None``. The body is left
    unread: at most one chunk beyond ``limit`` bytes is read (and pushed back).

    Raises:
        HTTPError: 413 past ``req.body_limit``.
    """
    read: list[bytes] = []
    size = 0
    complete = True  # the whole body is within what was read
    try:
        async with aclosing(req.stream()) as chunks:
            async for chunk in chunks:
                read.append(chunk)
                size += len(chunk)
                if size >= limit:
                    complete = False
                    break
        head = b"".join(read)[:limit]
        fields = head.split(b"&")
        if not complete:
            fields.pop()  # may be cut short
        for field in fields:
            key, _, value = field.partition(b"=")
            if unquote_plus(key.decode("utf-8", errors="replace")) == name:
                return unquote_plus(value.decode("utf-8", errors="replace"))
        return None
    finally:
        req.unread(b"".join(read))
