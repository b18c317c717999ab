"""Upload: multipart/form-data streamed straight to disk, checked while it arrives.

``Upload(...).single`` and ``.multiple`` are route middlewares. The body is fed chunk by
chunk to python-multipart's ``MultipartParser``; file bytes go to their final file in
the upload folder as they arrive (the writes run in a worker thread, never on the event
loop), so memory stays flat whatever the size. Checks happen as early as possible:
extension and declared type when a part's headers are complete, the file signature
(magic bytes) once its first bytes are in, ``max_size`` on every chunk. A failed upload
answers 400 (malformed multipart), 413 (too large, or more parts than the app's
``max_form_fields``) or 415 (refused type) and removes every file it wrote. Other form
fields land in ``await req.form()``.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict

import anyio.to_thread
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from ._errors import HTTPError
from ._forms import form_limits, too_large, too_many_fields
from ._multidict import QueryParams
from ._multipart import Preamble, boundary_of
from ._upload_files import cleanup, open_partial, publish, write_all

if TYPE_CHECKING:
    from ._request import Request
    from ._response import Response

_FLUSH = 256 * 1024  # bytes buffered per file before a write in the worker thread
_HEAD = 16  # bytes needed to check a file signature
MAX_NAME = 120  # characters kept of a sanitised file name (extension included)
_UNSAFE = re.compile(r"[^\w.\- ]+")

_SIGNATURES: dict[str, tuple[tuple[int, bytes], ...]] = {
    "jpeg": ((0, b"\xff\xd8\xff"),),
    "png": ((0, b"\x89PNG\r\n\x1a\n"),),
    "gif": ((0, b"GIF87a"), (0, b"GIF89a")),
    "pdf": ((0, b"%PDF-"),),
    "webp": ((0, b"RIFF"), (8, b"WEBP")),  # both must match (see _matches)
    "bmp": ((0, b"BM"),),
    "zip": ((0, b"PK\x03\x04"), (0, b"PK\x05\x06")),
}
_BY_EXTENSION = {
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".jpe": "jpeg",
    ".png": "png",
    ".gif": "gif",
    ".pdf": "pdf",
    ".webp": "webp",
    ".bmp": "bmp",
    ".zip": "zip",
}
_BY_TYPE = {
    "image/jpeg": "jpeg",
    "image/pjpeg": "jpeg",
    "image/png": "png",
    "image/gif": "gif",
    "application/pdf": "pdf",
    "image/webp": "webp",
    "image/bmp": "bmp",
    "application/zip": "zip",
}


def _matches(kind: str, head: bytes) -> bool:
    """True when ``head`` starts like a file of ``kind``."""
    rules = _SIGNATURES[kind]
    if kind == "webp":
        return all(head[at : at + len(sig)] == sig for at, sig in rules)
    return any(head[at : at + len(sig)] == sig for at, sig in rules)


class UploadOptions(TypedDict, total=False):
    """Checks applied to every uploaded file (the defaults are in ``Upload``)."""

    allowed_extensions: list[str]
    """``[".jpg", ".png"]``; empty allows any (case-insensitive, the dot optional)."""
    allowed_types: list[str]
    """Declared content types, ``["image/jpeg", "image/*"]``; empty allows any."""
    max_size: int | None
    """Bytes per file (413 beyond, checked while streaming); ``None`` for no limit."""
    max_files: int
    """Files accepted by ``multiple`` (400 beyond)."""
    max_field_size: int
    """Bytes per plain form field (413 beyond)."""
    check_signature: bool
    """Check magic bytes of known types (jpeg, png, gif, pdf, webp, bmp, zip)."""


DEFAULT_OPTIONS: UploadOptions = {
    "allowed_extensions": [],
    "allowed_types": [],
    "max_size": 5 * 1024 * 1024,
    "max_files": 20,
    "max_field_size": 1024 * 1024,
    "check_signature": True,
}


@dataclass(slots=True)
class UploadedFile:
    """One file saved by ``Upload``: ``req.file`` / the items of ``req.files``."""

    field_name: str
    filename: str
    """The name it was saved under (sanitised, unique in the folder)."""
    original_filename: str
    """The name the client sent (untrusted; for display only)."""
    path: Path
    size: int
    content_type: str


def sanitize_filename(name: str, limit: int = MAX_NAME) -> str:
    """A safe file name from a client-supplied one.

    Keeps only the last path component (``/`` and ``\\`` both separate), drops control
    characters and NUL, replaces anything but letters, digits, ``.``, ``-``, ``_`` and
    spaces by ``_``, never starts with a dot and never contains ``..``; at most ``limit``
    characters, the extension kept. Returns ``""`` when nothing usable is left.
    """
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE.sub("_", name)
    while ".." in name:
        name = name.replace("..", ".")
    name = name.strip(" .")
    stem, ext = os.path.splitext(name)
    if len(ext) > 16:
        stem, ext = name, ""
    stem = stem[: max(limit - len(ext), 1)].rstrip(" .")
    return f"{stem}{ext}" if stem else ""


def _normalise_extension(ext: str) -> str:
    ext = ext.strip().lower()
    return ext if ext.startswith(".") else f".{ext}"


FileName = str | Callable[["Request", str], str] | None


class Upload:
    """Save the files of a multipart/form-data request into a folder.

    Args:
        field_name: The form field carrying the file(s).
        prefix: Prepended to every saved name as ``"{prefix}-{name}"``.
        file_name: The saved name's stem instead of the client's file name: a string or
            a function ``(req, original_name) -> str``; the extension is kept.
        path: The folder (created when needed).
        options: ``UploadOptions``; missing keys take their defaults
            (``max_size`` 5 MiB, any extension and type, signatures checked).

    The route's body limit (``max_body_size``, else the app's ``max_request_body_size``)
    still applies to the whole request; raise it on routes that take large files.
    """

    def __init__(
        self,
        field_name: str = "file",
        prefix: str | None = None,
        file_name: FileName = None,
        path: str | os.PathLike[str] = "uploads",
        options: UploadOptions | None = None,
    ) -> None:
        merged: dict[str, Any] = {**DEFAULT_OPTIONS, **(options or {})}
        unknown = set(merged) - set(DEFAULT_OPTIONS)
        if unknown:
            raise ValueError(f"unknown upload options: {sorted(unknown)}")
        self.field_name = field_name
        self.prefix = sanitize_filename(prefix) if prefix else None
        self.file_name = file_name
        self.path = Path(path)
        self.allowed_extensions = frozenset(
            _normalise_extension(ext) for ext in merged["allowed_extensions"]
        )
        self.allowed_types = frozenset(t.strip().lower() for t in merged["allowed_types"])
        self.max_size: int | None = merged["max_size"]
        self.max_files: int = merged["max_files"]
        self.max_field_size: int = merged["max_field_size"]
        self.check_signature: bool = merged["check_signature"]

    def __repr__(self) -> str:
        return f"<Upload {self.field_name!r} -> {str(self.path)!r}>"

    async def single(
        self, req: Request, res: Response, next: Callable[[], Awaitable[None]]
    ) -> None:
        """Middleware: at most one file in ``field_name``, as ``req.file`` (or ``None``)."""
        files = await self._receive(req, "single")
        req.file = files[0] if files else None
        req.files = files
        await next()

    async def multiple(
        self, req: Request, res: Response, next: Callable[[], Awaitable[None]]
    ) -> None:
        """Middleware: any number (up to ``max_files``) of files, as ``req.files``."""
        files = await self._receive(req, "multiple")
        req.files = files
        req.file = files[0] if files else None
        await next()

    async def _receive(
        self, req: Request, mode: Literal["single", "multiple"]
    ) -> list[UploadedFile]:
        if req.content_type != "multipart/form-data":
            return []
        if req.body_consumed:
            raise RuntimeError(
                "the multipart body was already read (by req.form(), body() or stream()) "
                "before the upload middleware; put Upload.single/multiple before anything "
                "that reads the body (a CSRF check can read the X-CSRF-Token header instead)"
            )
        reader = _Reader(req, self, mode, *form_limits(req, None, None))
        try:
            fields = await reader.run()
        except BaseException:
            await reader.discard()
            raise
        req.set_form(QueryParams(fields))
        return reader.files

    # -- checks and names ---------------------------------------------------------------

    def check_part(self, original: str, content_type: str) -> str:
        """The sanitised client name; 415 when its extension or type is not allowed."""
        clean = sanitize_filename(original)
        ext = os.path.splitext(clean)[1].lower()
        if self.allowed_extensions and ext not in self.allowed_extensions:
            allowed = ", ".join(sorted(self.allowed_extensions))
            raise HTTPError(415, f"file extension {ext or '(none)'!r} not allowed ({allowed})")
        if self.allowed_types and not self._type_allowed(content_type):
            allowed = ", ".join(sorted(self.allowed_types))
            raise HTTPError(415, f"file type {content_type!r} not allowed ({allowed})")
        return clean

    def _type_allowed(self, content_type: str) -> bool:
        if content_type in self.allowed_types:
            return True
        major = content_type.split("/", 1)[0]
        return f"{major}/*" in self.allowed_types

    def expected_kinds(self, clean_name: str, content_type: str) -> set[str]:
        """The signatures the file's first bytes must match (by extension and type)."""
        if not self.check_signature:
            return set()
        kinds = set()
        kind = _BY_EXTENSION.get(os.path.splitext(clean_name)[1].lower())
        if kind:
            kinds.add(kind)
        kind = _BY_TYPE.get(content_type)
        if kind:
            kinds.add(kind)
        return kinds

    def target_name(self, req: Request, clean_name: str) -> str:
        """The name to save under (before collision handling)."""
        stem, ext = os.path.splitext(clean_name)
        if self.file_name is not None:
            chosen = self.file_name if isinstance(self.file_name, str) else None
            if chosen is None:
                assert callable(self.file_name)
                chosen = self.file_name(req, clean_name)
            stem = sanitize_filename(chosen) or "upload"
        stem = stem or "upload"
        if self.prefix:
            stem = f"{self.prefix}-{stem}"
        return sanitize_filename(f"{stem}{ext}") or "upload"


class _Part:
    """The part being parsed: a plain field or a file."""

    __slots__ = (
        "buffer",
        "content_type",
        "fd",
        "field",
        "head_checked",
        "kinds",
        "name",
        "original",
        "path",
        "size",
        "skip",
        "value",
    )

    def __init__(self) -> None:
        self.field = ""
        self.original: str | None = None
        self.content_type = "application/octet-stream"
        self.fd: int | None = None
        self.path: Path | None = None  # the partial file while it is written
        self.name = ""  # the name it gets once complete
        self.size = 0
        self.buffer = bytearray()
        self.value = bytearray()
        self.kinds: set[str] = set()
        self.head_checked = False
        self.skip = False


class _Reader:
    """Drives the parser over the request stream and acts on its events."""

    def __init__(
        self, req: Request, upload: Upload | None, mode: str, max_fields: int, max_size: int
    ) -> None:
        self.req = req
        self.upload = upload
        self.mode = mode
        self.files: list[UploadedFile] = []
        self.fields: list[tuple[str, str]] = []
        self.events: list[tuple[str, Any]] = []
        self.headers: list[tuple[bytes, bytes]] = []
        self.header_field = bytearray()
        self.header_value = bytearray()
        self.part: _Part | None = None
        self.ended = False
        self.open: list[tuple[int | None, Path]] = []  # files written so far (to remove)
        self.max_field_size = upload.max_field_size if upload else DEFAULT_OPTIONS["max_field_size"]
        self.max_fields = max_fields  # parts that are not saved files
        self.max_size = max_size  # bytes of plain fields together
        self.field_count = 0
        self.field_bytes = 0

    async def run(self) -> list[tuple[str, str]]:
        boundary = boundary_of(self.req)
        preamble = Preamble(boundary)
        events = self.events

        def on(name: str) -> Callable[..., None]:
            def mark(*args: Any) -> None:
                events.append((name, None))

            return mark

        def data(name: str) -> Callable[[bytes, int, int], None]:
            def keep(buf: bytes, start: int, end: int) -> None:
                events.append((name, buf[start:end]))

            return keep

        parser = MultipartParser(
            boundary,
            {
                "on_part_begin": on("begin"),
                "on_part_data": data("data"),
                "on_part_end": on("end"),
                "on_header_field": data("hfield"),
                "on_header_value": data("hvalue"),
                "on_header_end": on("hend"),
                "on_headers_finished": on("headers"),
                "on_end": on("finish"),
            },
            max_header_count=16,
        )
        async for chunk in self.req.stream():
            if self.ended:
                continue  # an epilogue after the last boundary: read (keep-alive) and ignored
            try:
                parser.write(preamble.feed(chunk))
            except MultipartParseError as exc:
                raise HTTPError(400, f"malformed multipart body: {exc}") from None
            await self._process()
        if not self.ended:
            raise HTTPError(400, "malformed multipart body: it ends before its last boundary")
        return self.fields

    async def _process(self) -> None:
        events = self.events[:]
        self.events.clear()
        for kind, payload in events:
            if kind == "data":
                await self._data(payload)
            elif kind == "hfield":
                self.header_field += payload
            elif kind == "hvalue":
                self.header_value += payload
            elif kind == "hend":
                self.headers.append((bytes(self.header_field).lower(), bytes(self.header_value)))
                self.header_field.clear()
                self.header_value.clear()
            elif kind == "begin":
                self.part = _Part()
                self.headers = []
            elif kind == "headers":
                await self._headers()
            elif kind == "end":
                await self._end()
            elif kind == "finish":
                self.ended = True
        await self._flush_if_needed()

    async def _headers(self) -> None:
        part = self.part
        assert part is not None
        disposition = b""
        for name, value in self.headers:
            if name == b"content-disposition":
                disposition = value
            elif name == b"content-type":
                part.content_type = value.decode("latin-1").split(";", 1)[0].strip().lower()
        kind, params = parse_options_header(disposition)
        if kind != b"form-data" or b"name" not in params:
            raise HTTPError(400, "malformed multipart body: a part lacks a form-data name")
        part.field = params[b"name"].decode("utf-8", errors="replace")
        if b"filename" in params:
            part.original = params[b"filename"].decode("utf-8", errors="replace")
        upload = self.upload
        if upload is None or not part.original:
            self.field_count += 1
            if self.field_count > self.max_fields:
                raise too_many_fields(self.max_fields)
            if part.original is not None:
                part.skip = True  # req.form() without Upload, or an empty file input
            return
        if part.field != upload.field_name:
            raise HTTPError(400, f"unexpected file field {part.field!r}")
        if self.mode == "single" and self.files:
            raise HTTPError(400, f"only one file expected in {part.field!r}")
        if len(self.files) >= upload.max_files:
            raise HTTPError(400, f"too many files (at most {upload.max_files})")
        clean = upload.check_part(part.original, part.content_type)
        part.kinds = upload.expected_kinds(clean, part.content_type)
        part.name = upload.target_name(self.req, clean)
        path, fd = await anyio.to_thread.run_sync(open_partial, upload.path, part.name)
        part.path, part.fd = path, fd
        self.open.append((fd, path))

    async def _data(self, payload: bytes) -> None:
        part = self.part
        if part is None or part.skip:
            return
        if part.original is None:
            part.value += payload
            if len(part.value) > self.max_field_size:
                raise HTTPError(
                    413, f"form field {part.field!r} larger than {self.max_field_size} bytes"
                )
            self.field_bytes += len(payload)
            if self.field_bytes > self.max_size:
                raise too_large(self.max_size)
            return
        upload = self.upload
        assert upload is not None
        part.size += len(payload)
        if upload.max_size is not None and part.size > upload.max_size:
            raise HTTPError(413, f"file larger than {upload.max_size} bytes")
        part.buffer += payload
        if not part.head_checked and len(part.buffer) >= _HEAD:
            self._check_head(part)

    def _check_head(self, part: _Part) -> None:
        part.head_checked = True
        head = bytes(part.buffer[:_HEAD])
        for kind in part.kinds:
            if not _matches(kind, head):
                raise HTTPError(415, f"file content is not {kind.upper()} (signature mismatch)")

    async def _flush_if_needed(self) -> None:
        part = self.part
        if part is not None and part.head_checked and len(part.buffer) >= _FLUSH:
            await self._flush(part)

    async def _flush(self, part: _Part) -> None:
        if part.buffer and part.fd is not None:
            data, part.buffer = part.buffer, bytearray()
            await anyio.to_thread.run_sync(write_all, part.fd, data)

    async def _end(self) -> None:
        part = self.part
        self.part = None
        if part is None or part.skip:
            return
        if part.original is None:
            self.fields.append((part.field, part.value.decode("utf-8", errors="replace")))
            return
        if not part.head_checked:
            self._check_head(part)
        await self._flush(part)
        fd, path = part.fd, part.path
        assert fd is not None
        assert path is not None
        part.fd = None
        at = self.open.index((fd, path))
        await anyio.to_thread.run_sync(os.close, fd)
        self.open[at] = (None, path)
        path = await anyio.to_thread.run_sync(publish, path, part.name)
        self.open[at] = (None, path)  # complete, but removed if a later part fails
        self.files.append(
            UploadedFile(
                field_name=part.field,
                filename=path.name,
                original_filename=part.original,
                path=path,
                size=part.size,
                content_type=part.content_type,
            )
        )

    async def discard(self) -> None:
        """Close and remove every file this request wrote (after a failure)."""
        entries, self.open = self.open, []
        if entries:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(cleanup, entries)


async def read_form(req: Request, max_fields: int, max_size: int) -> list[tuple[str, str]]:
    """The plain fields of a multipart body; file contents are read and dropped.

    Raises:
        HTTPError: 400 for a malformed body; 413 beyond ``max_fields`` parts or
            ``max_size`` bytes of plain fields.
    """
    return await _Reader(req, None, "form", max_fields, max_size).run()
