"""Sending files: content type, validators, conditional GET and single byte ranges."""

from __future__ import annotations

import mimetypes
import os
import stat
from email.utils import formatdate, parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from ._errors import HTTPError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from ._response import Response

CHUNK = 256 * 1024
SMALL = 256 * 1024  # files up to this size are read in one go


def _open_and_stat(path: str) -> tuple[Any, os.stat_result]:
    handle = open(path, "rb")  # noqa: SIM115 - closed by the caller
    try:
        info = os.fstat(handle.fileno())
    except BaseException:
        handle.close()
        raise
    return handle, info


def etag_for(info: os.stat_result) -> str:
    """A strong validator from size and modification time (nanoseconds).

    Strong, so that ``If-Range`` can use it (RFC 9110 forbids weak tags there).
    """
    return f'"{info.st_size:x}-{info.st_mtime_ns:x}"'


def _etag_matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    weak = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == weak for tag in header.split(","))


def _not_modified_since(header: str, mtime: float) -> bool:
    try:
        since = parsedate_to_datetime(header).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return False
    return int(mtime) <= since


def parse_range(header: str, size: int) -> tuple[int, int] | bool | None:
    """Parse a single ``bytes=`` range against ``size``.

    Returns:
        ``(start, end)`` inclusive for a satisfiable single range; ``None`` when the header
        should be ignored (not bytes, several ranges, malformed); ``False`` when it is
        unsatisfiable (416).
    """
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash or not (first.isdigit() or last.isdigit()):
        return None
    if not first:  # suffix: the last N bytes
        count = int(last)
        if count == 0 or size == 0:
            return False
        return max(0, size - count), size - 1
    start = int(first)
    if last and not last.isdigit():
        return None
    end = int(last) if last else None
    if end is not None and start > end:
        return None
    if start >= size:  # "bytes=N-" with N >= size too
        return False
    return start, size - 1 if end is None else min(end, size - 1)


async def send_file(
    res: Response, path: str | os.PathLike[str], *, content_type: str | None
) -> None:
    """Fill ``res`` with the file at ``path`` (see ``Response.file``)."""
    name = os.fspath(path)
    if "\0" in name:
        raise HTTPError(404, "file not found")
    try:
        handle, info = await anyio.to_thread.run_sync(_open_and_stat, name)
    except OSError:
        raise HTTPError(404, "file not found") from None
    if not stat.S_ISREG(info.st_mode):
        handle.close()
        raise HTTPError(404, "file not found")
    try:
        await _fill(res, handle, info, name, content_type)
    except BaseException:
        handle.close()
        raise


async def _fill(
    res: Response, handle: Any, info: os.stat_result, name: str, content_type: str | None
) -> None:
    request = res.request
    headers = request.headers if request is not None else None
    etag = etag_for(info)
    res.headers.set("etag", etag)
    res.headers.set("last-modified", formatdate(info.st_mtime, usegmt=True))
    res.headers.set("accept-ranges", "bytes")
    if content_type is None:
        guessed, _ = mimetypes.guess_type(name)
        content_type = guessed or "application/octet-stream"
        if content_type.startswith("text/") or content_type in ("application/javascript",):
            content_type += "; charset=utf-8"
    res.headers.set("content-type", content_type)
    res.sent = True
    res.body = b""
    res.body_stream = None

    if headers is not None:
        none_match = headers.get("if-none-match")
        since = headers.get("if-modified-since")
        if (none_match is not None and _etag_matches(none_match, etag)) or (
            none_match is None and since is not None and _not_modified_since(since, info.st_mtime)
        ):
            handle.close()
            res.status(304)
            res.headers.remove("content-type")
            return

    size = info.st_size
    start, end = 0, size - 1
    partial = False
    range_header = headers.get("range") if headers is not None else None
    if range_header is not None and request is not None and request.method in ("GET", "HEAD"):
        if_range = headers.get("if-range") if headers is not None else None
        if (
            if_range is None
            or if_range.strip() == etag
            or _not_modified_since(if_range, info.st_mtime)
        ):
            wanted = parse_range(range_header, size)
            if wanted is False:
                handle.close()
                res.status(416)
                res.headers.set("content-range", f"bytes */{size}")
                res.headers.set("content-length", "0")
                return
            if wanted is not None and wanted is not True:
                start, end = wanted
                partial = True
    length = max(0, end - start + 1)
    if partial:
        res.status(206)
        res.headers.set("content-range", f"bytes {start}-{end}/{size}")
    res.headers.set("content-length", str(length))
    if request is not None and request.method == "HEAD":
        handle.close()
        return
    if length <= SMALL:
        try:
            res.body = await anyio.to_thread.run_sync(_read_at, handle, start, length)
        finally:
            handle.close()
        return
    res.body_stream = _chunks(handle, start, length)


def _read_at(handle: Any, start: int, length: int) -> bytes:
    handle.seek(start)
    data: bytes = handle.read(length)
    return data


async def _chunks(handle: Any, start: int, length: int) -> AsyncIterator[bytes]:
    try:
        await anyio.to_thread.run_sync(handle.seek, start)
        left = length
        while left > 0:
            chunk: bytes = await anyio.to_thread.run_sync(handle.read, min(CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
    finally:
        handle.close()
