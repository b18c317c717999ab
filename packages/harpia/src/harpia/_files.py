"""Sending files: content types, validators, conditional GET and byte ranges.

The one place where a file becomes a response; ``res.file(path)`` and static mounts
(``_static.py``) both end in ``send_open_file``.

- Validators: a strong ``ETag`` from size and modification time, ``Last-Modified``.
  ``If-None-Match`` (weak comparison) or, without it, ``If-Modified-Since`` answer a GET or
  HEAD with 304.
- Ranges (RFC 9110 §14): ``Range: bytes=...`` on a GET or HEAD, unless an ``If-Range``
  validator no longer matches. One satisfiable range → 206 with ``Content-Range``; several
  → 206 ``multipart/byteranges``; none satisfiable → 416 with ``Content-Range: bytes */size``;
  a malformed header, another unit or more than ``MAX_RANGES`` ranges → the whole file.
  Overlapping or adjacent ranges are coalesced (sorted), so a header cannot make the
  response much larger than the file.
- The body is a *plan*: literal byte strings (multipart part headers) and ``(offset,
  length)`` slices of the file. A small plan is read at once; a larger one is streamed in
  ``CHUNK``-sized reads in a worker thread, so memory stays flat whatever the file size.
"""

from __future__ import annotations

import mimetypes
import os
import re
import secrets
import stat
from email.utils import formatdate, parsedate_to_datetime
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Protocol

import anyio.to_thread

from ._errors import HTTPError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from ._headers import Headers
    from ._response import Response

CHUNK = 256 * 1024
SMALL = 256 * 1024  # bodies up to this size are read in one go
MAX_RANGES = 32  # more ranges than this in one header: the header is ignored
OCTET = "application/octet-stream"

# Web types that must not depend on the machine's mime.types (which varies, and maps
# .js to application/javascript or even text/x-js on some systems).
_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".csv": "text/csv",
    ".xml": "application/xml",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".wasm": "application/wasm",
    ".pdf": "application/pdf",
    ".zip": "application/zip",
    ".gz": "application/gzip",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
}
# mimetypes reports "x.tar.gz" as an application/x-tar with gzip *encoding*: sending that
# type would make clients unpack it; the file is a gzip archive.
_ENCODED = {"gzip": "application/gzip", "bzip2": "application/x-bzip2", "xz": "application/x-xz"}
_RANGE_SPEC = re.compile(r"([0-9]*)-([0-9]*)", re.ASCII)
_HUGE = 1 << 63  # stands for any position too long to be a real one


def content_type_for(name: str) -> str:
    """The ``Content-Type`` for a file name (``; charset=utf-8`` for text types)."""
    kind = _TYPES.get(os.path.splitext(name)[1].lower())
    if kind is None:
        guessed, encoding = mimetypes.guess_type(name, strict=False)
        kind = _ENCODED.get(encoding, OCTET) if encoding else guessed or OCTET
    if kind.startswith("text/"):
        kind += "; charset=utf-8"
    return kind


class FileInfo(Protocol):
    """What validators and ranges need of a file: ``os.stat_result`` or a ``MemoryFile``."""

    @property
    def st_size(self) -> int: ...
    @property
    def st_mtime(self) -> float: ...
    @property
    def st_mtime_ns(self) -> int: ...


def etag_for(info: FileInfo) -> str:
    """A strong validator from size and modification time (nanoseconds).

    Strong, so that ``If-Range`` can use it (RFC 9110 forbids weak tags there).
    """
    return f'"{info.st_size:x}-{info.st_mtime_ns:x}"'


def _etag_matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    weak = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == weak for tag in header.split(","))


def _timestamp(header: str) -> float | None:
    try:
        return parsedate_to_datetime(header).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _not_modified(headers: Headers, etag: str, mtime: float) -> bool:
    none_match = headers.get("if-none-match")
    if none_match is not None:
        return _etag_matches(none_match, etag)
    since = headers.get("if-modified-since")
    if since is None:
        return False
    when = _timestamp(since)
    return when is not None and int(mtime) <= when


def _if_range_holds(headers: Headers, etag: str, last_modified: str) -> bool:
    """``If-Range`` absent, or naming exactly the current strong ETag or Last-Modified."""
    if_range = headers.get("if-range")
    if if_range is None:
        return True
    if_range = if_range.strip()
    if if_range.startswith(('"', "W/")):
        return if_range == etag  # strong comparison: a weak tag never matches
    return if_range == last_modified


def _position(digits: str) -> int:
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) < 19 else _HUGE  # no int() of a 4,000-digit string


def parse_ranges(header: str, size: int) -> list[tuple[int, int]] | None:
    """Parse a ``Range`` header against a representation of ``size`` bytes.

    Returns:
        Inclusive ``(first, last)`` pairs of the satisfiable ranges — coalesced and sorted
        when some overlap or touch, in the order asked otherwise; ``[]`` when none is
        satisfiable (416); ``None`` when the header must be ignored (another unit, a
        malformed range, ``last < first``, more than ``MAX_RANGES`` ranges).
    """
    unit, sep, spec = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    elements = [element.strip() for element in spec.split(",")]
    elements = [element for element in elements if element]  # empty list elements are legal
    if not elements or len(elements) > MAX_RANGES:
        return None
    ranges: list[tuple[int, int]] = []
    for element in elements:
        match = _RANGE_SPEC.fullmatch(element)
        if match is None:
            return None
        first, last = match.groups()
        if not first:  # suffix range: the last N bytes
            if not last:
                return None
            count = _position(last)
            if count > 0 and size > 0:
                ranges.append((max(0, size - count), size - 1))
            continue
        start = _position(first)
        end = _position(last) if last else None
        if end is not None and end < start:
            return None
        if start < size:
            ranges.append((start, size - 1 if end is None else min(end, size - 1)))
    return _coalesce(ranges)


def _coalesce(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    ordered = sorted(ranges)
    if all(b[0] > a[1] + 1 for a, b in pairwise(ordered)):
        return ranges
    merged = [ordered[0]]
    for start, end in ordered[1:]:
        last_start, last_end = merged[-1]
        if start <= last_end + 1:
            merged[-1] = (last_start, max(last_end, end))
        else:
            merged.append((start, end))
    return merged


def open_regular(path: str) -> tuple[Any, os.stat_result] | None:
    """Open ``path`` for reading if it is a regular file (blocking: run it in a thread).

    Returns ``None`` for anything else: missing, a directory, a FIFO, no permission.
    ``O_NONBLOCK`` makes opening a FIFO return at once instead of waiting for a writer.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except (OSError, ValueError):
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            return None
        return open(fd, "rb"), info
    except BaseException:
        os.close(fd)
        raise


async def send_file(
    res: Response, path: str | os.PathLike[str], *, content_type: str | None
) -> None:
    """Fill ``res`` with the file at ``path`` (see ``Response.file``).

    Raises:
        HTTPError: 404 when ``path`` is not a readable regular file.
    """
    name = os.fspath(path)
    opened = None if "\0" in name else await anyio.to_thread.run_sync(open_regular, name)
    if opened is None:
        raise HTTPError(404, "file not found")
    handle, info = opened
    await send_open_file(res, handle, info, name, content_type=content_type)


async def send_open_file(
    res: Response,
    handle: Any,
    info: os.stat_result,
    name: str,
    *,
    content_type: str | None = None,
    cache_control: str | None = None,
) -> None:
    """Fill ``res`` from an open file; ``handle`` is closed once the body is sent.

    Args:
        res: The response (its ``request`` decides conditionals, ranges and HEAD).
        handle: A binary file object opened on the file ``info`` describes.
        info: The file's ``fstat``.
        name: The file name (for the content type).
        content_type: Overrides the type guessed from ``name``.
        cache_control: A ``Cache-Control`` value to send, 304s included.
    """
    try:
        plan = _answer(res, info, name, content_type, cache_control)
    except BaseException:
        handle.close()
        raise
    if not plan:
        handle.close()
        return
    total = _plan_length(plan)
    if total <= SMALL:
        try:
            res.body = await anyio.to_thread.run_sync(_read_plan, handle, plan)
        finally:
            handle.close()
    else:
        res.body_stream = _stream_plan(handle, plan)


Plan = list[bytes | tuple[int, int]]


async def send_bytes(
    res: Response,
    data: bytes,
    info: FileInfo,
    name: str,
    *,
    cache_control: str | None = None,
) -> None:
    """Fill ``res`` from file contents held in memory (``info.st_size == len(data)``), with
    the same validators, conditionals and ranges as ``send_open_file``."""
    plan = _answer(res, info, name, None, cache_control)
    view = memoryview(data)
    res.body = b"".join(
        item if isinstance(item, bytes) else view[item[0] : item[0] + item[1]] for item in plan
    )


def _answer(
    res: Response,
    info: FileInfo,
    name: str,
    content_type: str | None,
    cache_control: str | None,
) -> Plan:
    """Set the status and headers; return what the body is made of (``[]``: nothing)."""
    request = res.request
    method = request.method if request is not None else "GET"
    headers = request.headers if request is not None else None
    etag = etag_for(info)
    last_modified = formatdate(info.st_mtime, usegmt=True)
    kind = content_type or content_type_for(name)
    res.headers.set("etag", etag)
    res.headers.set("last-modified", last_modified)
    res.headers.set("accept-ranges", "bytes")
    if cache_control is not None:
        res.headers.set("cache-control", cache_control)
    res.headers.set("content-type", kind)
    res.headers.remove("content-range")
    res.sent = True
    res.body = b""
    res.body_stream = None
    conditional = headers is not None and method in ("GET", "HEAD")

    if conditional and headers is not None and _not_modified(headers, etag, info.st_mtime):
        res.status(304)
        res.headers.remove("content-type")
        return []

    size = info.st_size
    ranges: list[tuple[int, int]] | None = None
    range_header = headers.get("range") if conditional and headers is not None else None
    if (
        range_header is not None
        and headers is not None
        and _if_range_holds(headers, etag, last_modified)
    ):
        ranges = parse_ranges(range_header, size)
    if ranges == []:
        res.status(416)
        res.headers.set("content-range", f"bytes */{size}")
        res.headers.set("content-length", "0")
        return []

    if ranges is None:
        plan: Plan = [(0, size)] if size else []
    elif len(ranges) == 1:
        start, end = ranges[0]
        res.status(206)
        res.headers.set("content-range", f"bytes {start}-{end}/{size}")
        plan = [(start, end - start + 1)]
    else:
        res.status(206)
        boundary = secrets.token_hex(16)
        res.headers.set("content-type", f"multipart/byteranges; boundary={boundary}")
        plan = _multipart_plan(ranges, size, kind, boundary)
    res.headers.set("content-length", str(_plan_length(plan)))
    return [] if method == "HEAD" else plan


def _multipart_plan(ranges: list[tuple[int, int]], size: int, kind: str, boundary: str) -> Plan:
    plan: Plan = []
    for start, end in ranges:
        head = (
            f"--{boundary}\r\nContent-Type: {kind}\r\n"
            f"Content-Range: bytes {start}-{end}/{size}\r\n\r\n"
        )
        plan += [head.encode("latin-1"), (start, end - start + 1), b"\r\n"]
    plan.append(f"--{boundary}--\r\n".encode("latin-1"))
    return plan


def _plan_length(plan: Plan) -> int:
    return sum(len(item) if isinstance(item, bytes) else item[1] for item in plan)


def _read_at(handle: Any, offset: int, length: int) -> bytes:
    handle.seek(offset)
    data: bytes = handle.read(length)
    if len(data) != length:
        raise OSError(f"file shrank while being sent ({len(data)} of {length} bytes read)")
    return data


def _read_plan(handle: Any, plan: Plan) -> bytes:
    return b"".join(item if isinstance(item, bytes) else _read_at(handle, *item) for item in plan)


async def _stream_plan(handle: Any, plan: Plan) -> AsyncIterator[bytes]:
    try:
        for item in plan:
            if isinstance(item, bytes):
                yield item
                continue
            offset, left = item
            while left > 0:
                size = min(CHUNK, left)
                yield await anyio.to_thread.run_sync(_read_at, handle, offset, size)
                offset += size
                left -= size
    finally:
        handle.close()
