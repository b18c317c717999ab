"""Peek at one plain field near the start of a multipart/form-data body.

Used by the CSRF middleware to find ``_csrf`` in a multipart form: the body is parsed
(python-multipart, streaming) only until that part is complete, and only over its first
``limit`` bytes; every byte read is then pushed back with ``Request.unread``, so the
route (``Upload``, ``await req.form()``) still sees the whole body.
"""

from __future__ import annotations

from contextlib import aclosing
from typing import TYPE_CHECKING

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from ._errors import HTTPError

if TYPE_CHECKING:
    from ._request import Request


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
    _, params = parse_options_header(req.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if not boundary:
        raise HTTPError(400, "multipart body without a boundary")
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
                    parser.write(piece)
                except MultipartParseError as exc:
                    raise HTTPError(400, f"malformed multipart body: {exc}") from None
                if finder.done:
                    return finder.value.decode("utf-8", errors="replace")
                if fed >= limit:
                    raise BeyondPeek(f"{name!r} not within the first {limit} bytes of the body")
        return None
    finally:
        req.unread(b"".join(read))
