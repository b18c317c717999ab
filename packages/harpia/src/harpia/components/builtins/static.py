"""The ``static`` built-in: files matched by a glob, served under a URL path.

Options::

    [static]
    files = "web/**"            # glob(s) or {source, ignore, only}; relative to the app folder
    url_path = "/"              # "./x" -> /<component>/x, "." -> /<component>
    index = "index.html"        # what a folder answers with (false: nothing)
    max_age = 0                 # Cache-Control: public, max-age=<max_age>
    dotfiles = false            # serve names starting with "."
    memory_max_size = 262144    # files up to this size (bytes) are served from memory

Built on the same API as extensions: the component's default ``EntryHandler`` delivers
every matched file with its contents and URL path; small files are kept in memory and
answered without touching the disk, larger ones are kept by name and streamed from disk.
An add, change or unlink (in development) updates the table at once, so a saved file is
served on the next request. Like ``app.static``, routes win over files, and the answers
carry ``ETag``/``Last-Modified`` (304), byte ranges and ``Cache-Control``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from ..._files import open_regular, send_bytes, send_open_file
from .._errors import OptionError
from ._schema import boolean, check_options, files, integer, optional_string, url_path

if TYPE_CHECKING:
    from ..._response import Response
    from .. import EntryEvent, Scope

SCHEMA = {
    "files": files,
    "url_path": url_path,
    "index": optional_string,
    "max_age": integer(0),
    "dotfiles": boolean,
    "memory_max_size": integer(0),
}
DEFAULTS: dict[str, Any] = {
    "index": "index.html",
    "max_age": 0,
    "dotfiles": False,
    "memory_max_size": 256 * 1024,
}


def validate_options(options: dict[str, Any]) -> None:
    """Every key known and of the right type; ``files`` required."""
    values = check_options(options, SCHEMA, required=("files",))
    index = values.get("index")
    if index is not None and ("/" in index or index.startswith(".")):
        raise OptionError("index", f"expected a file name such as 'index.html', got {index!r}")


@dataclass(frozen=True, slots=True)
class StaticFile:
    """One served file: its contents (``None``: read from ``path`` on each request)."""

    path: str
    contents: bytes | None
    st_size: int
    st_mtime: float
    st_mtime_ns: int


class MemoryMount:
    """A static mount over the files an ``EntryHandler`` delivered, keyed by URL path.

    Its prefix is empty (it is tried after folder mounts, for every path) because the
    URL paths are complete already.
    """

    prefix: list[str] = []  # noqa: RUF012 - the Mount protocol's attribute, never mutated

    def __init__(self, options: dict[str, Any]) -> None:
        self.files: dict[str, StaticFile] = {}
        self.configure(options)

    def configure(self, options: dict[str, Any]) -> None:
        """Apply ``index``, ``max_age``, ``dotfiles`` and ``memory_max_size``."""
        values = {**DEFAULTS, **options}
        self.index: str | None = values["index"] or None
        self.cache_control = f"public, max-age={values['max_age']}"
        self.dotfiles: bool = values["dotfiles"]
        self.memory_max_size: int = values["memory_max_size"]

    def entry(self, entry: EntryEvent) -> None:
        """Follow one entry event (the handler's ``all`` listener)."""
        if entry.entry_type != "file":
            return
        key = "/" + entry.url_path.strip("/")
        if entry.event_type == "unlink":
            self.files.pop(key, None)
            return
        stats = entry.stats
        if stats is None:
            try:
                stats = os.stat(entry.absolute_path)
            except OSError:
                self.files.pop(key, None)
                return
        contents = entry.contents
        if contents is not None and len(contents) <= self.memory_max_size:
            size = len(contents)
        else:
            contents, size = None, stats.st_size
        self.files[key] = StaticFile(
            entry.absolute_path, contents, size, stats.st_mtime, stats.st_mtime_ns
        )

    def rest(self, segments: list[str]) -> list[str] | None:
        """Every path is a candidate, but for dotfiles (unless allowed)."""
        if not self.dotfiles and any(segment.startswith(".") for segment in segments):
            return None
        return segments

    async def send(self, res: Response, rest: list[str], trailing_slash: bool) -> bool:
        """Answer with the file at ``/rest`` (or the folder's index file)."""
        key = "/" + "/".join(rest)
        found = None if trailing_slash else self.files.get(key)
        if found is None and self.index is not None:
            found = self.files.get(key.rstrip("/") + "/" + self.index)
        if found is None:
            return False
        if found.contents is not None:
            await send_bytes(
                res, found.contents, found, found.path, cache_control=self.cache_control
            )
            return True
        opened = await anyio.to_thread.run_sync(open_regular, found.path)
        if opened is None:
            return False
        handle, info = opened
        await send_open_file(res, handle, info, found.path, cache_control=self.cache_control)
        return True


def handle_component(scope: Scope) -> None:
    """Serve the default handler's files; follow option changes."""
    options = scope.options.get_all() or {}
    mount = MemoryMount({k: v for k, v in options.items() if k in DEFAULTS})
    scope.app._static_files().add(mount)
    scope.handle_entry(mount.entry)

    def changed(key: list[str], value: Any, config: Any) -> None:
        # files/url_path: the scope updates the default handler (unlink + add events)
        current = scope.options.get_all() or {}
        mount.configure({k: v for k, v in current.items() if k in DEFAULTS})

    def closed() -> None:
        scope.app._static_files().remove(mount)

    scope.options.on("change", changed)
    scope.on("close", closed)
