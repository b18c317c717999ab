"""Static files: ``app.static(directory, url_path="/", ...)`` mounts.

Where mounts sit in the pipeline
--------------------------------
Routes come first: a GET or HEAD that no route matches tries the static mounts (the
longest ``url_path`` first, then in the order added) before the 405/404 answer, inside
the path's middleware chain, so middleware (CORS, security headers, telemetry) sees
static responses too. A file a mount does not have falls through to the next mount and
finally to the normal 404 (or the app's not-found handler).

Never outside the folder
------------------------
A path is turned into file-system names one segment at a time, never by decoding the
whole path first: the raw path is split on ``/``, each segment is percent-decoded *once*
and must be valid UTF-8 (overlong forms such as ``%c0%ae`` are invalid UTF-8). A segment
that decodes to ``.`` or ``..``, or that holds ``/``, ``\\``, NUL or another control
character is refused, so ``%2e%2e``, ``%2f``, ``%5c`` and ``%00`` cannot climb out; a
double encoding (``%252e``) decodes once to a literal ``%2e`` name. Empty segments are
dropped, so ``//etc/passwd`` is ``etc/passwd`` inside the folder. The joined name is then
resolved with ``realpath`` and must still lie inside the folder's own real path, which
rules out symlinks that point outside; the file is opened by that resolved name. Names
starting with ``.`` (in the request or after resolution) are refused unless
``dotfiles=True``. Every refusal is a plain 404, as for a missing file.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote_to_bytes

import anyio.to_thread

from ._files import open_regular, send_open_file

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from ._request import Request
    from ._response import Response

    Runner = Callable[[Request, Response], Awaitable[None]]

Opened = tuple[Any, os.stat_result, str]
"""An open file, its ``fstat`` and its resolved name."""


class Mount(Protocol):
    """What ``StaticFiles`` tries in turn: a folder (``StaticMount``) or, for components,
    files held in memory."""

    @property
    def prefix(self) -> list[str]:
        """The URL path segments the mount sits under."""
        ...

    def rest(self, segments: list[str]) -> list[str] | None:
        """The segments below ``prefix``, or ``None`` when the path is not for this mount."""
        ...

    async def send(self, res: Response, rest: list[str], trailing_slash: bool) -> bool:
        """Answer with the file ``rest`` names; ``False`` when the mount has none."""
        ...


_FORBIDDEN = frozenset("/\\" + "".join(map(chr, range(32))) + "\x7f")


def split_path(raw_path: str) -> tuple[list[str], bool] | None:
    """Decode a raw request path into safe segments.

    Returns:
        ``(segments, trailing_slash)``, or ``None`` when a segment is unsafe or not UTF-8
        (see the module notes).
    """
    if not raw_path.startswith("/"):
        return None
    segments: list[str] = []
    for raw in raw_path.split("/"):
        if not raw:
            continue
        try:  # the raw path holds the wire's bytes as latin-1; names are UTF-8
            segment = unquote_to_bytes(raw.encode("latin-1")).decode("utf-8")
        except UnicodeError:
            return None
        if segment in (".", "..") or not _FORBIDDEN.isdisjoint(segment):
            return None
        segments.append(segment)
    return segments, raw_path.endswith("/") and len(raw_path) > 1


class StaticMount:
    """One folder served under one URL prefix (see ``Harpia.static``).

    Raises:
        ValueError: ``directory`` is not an existing folder, or an argument is invalid.
        TypeError: an argument has the wrong type.
    """

    __slots__ = ("_inside", "cache_control", "dotfiles", "index", "prefix", "root", "url_path")

    def __init__(
        self,
        directory: str | os.PathLike[str],
        url_path: str = "/",
        *,
        index: str | None = "index.html",
        max_age: int = 0,
        dotfiles: bool = False,
    ) -> None:
        if not isinstance(directory, str | os.PathLike):
            raise TypeError(f"static directory must be a str or a path, got {directory!r}")
        root = os.path.realpath(directory)
        if not os.path.isdir(root):
            raise ValueError(
                f"static directory {os.fspath(directory)!r} is not an existing folder "
                f"(resolved to {root!r} from the current directory {os.getcwd()!r})"
            )
        if not isinstance(url_path, str):
            raise TypeError(f"static url_path must be a str, got {url_path!r}")
        split = split_path("/" + url_path.lstrip("/"))
        if split is None or "%" in url_path:
            raise ValueError(f"static url_path {url_path!r} must be a plain path like '/assets'")
        if index is not None and (
            not isinstance(index, str) or not index or split_path("/" + index) != ([index], False)
        ):
            raise ValueError(f"static index must be a file name such as 'index.html': {index!r}")
        if isinstance(max_age, bool) or not isinstance(max_age, int):
            raise TypeError(f"static max_age must be an int of seconds, got {max_age!r}")
        if max_age < 0:
            raise ValueError(f"static max_age must be >= 0, got {max_age!r}")
        self.root = root
        self._inside = root if root.endswith(os.sep) else root + os.sep
        self.prefix = split[0]
        self.url_path = "/" + "/".join(self.prefix)
        self.index = index
        self.dotfiles = bool(dotfiles)
        self.cache_control = f"public, max-age={max_age}"

    def __repr__(self) -> str:
        return f"<StaticMount {self.url_path!r} -> {self.root!r}>"

    def rest(self, segments: list[str]) -> list[str] | None:
        """The segments below this mount's prefix, or ``None`` if the path is not under it."""
        count = len(self.prefix)
        if segments[:count] != self.prefix:
            return None
        rest = segments[count:]
        if not self.dotfiles and any(segment.startswith(".") for segment in rest):
            return None
        return rest

    def _contained(self, real: str) -> bool:
        if real != self.root and not real.startswith(self._inside):
            return False
        if self.dotfiles or real == self.root:
            return True
        relative = real[len(self._inside) :]
        return not any(part.startswith(".") for part in relative.split(os.sep))

    def open(self, rest: list[str], trailing_slash: bool) -> Opened | None:
        """Open the file ``rest`` names (blocking: run it in a thread); ``None`` → 404."""
        try:
            return self._open(rest, trailing_slash)
        except (OSError, ValueError):  # a name too long, a loop of links …
            return None

    def _open(self, rest: list[str], trailing_slash: bool) -> Opened | None:
        real = os.path.realpath(os.path.join(self.root, *rest))
        if not self._contained(real):
            return None
        if os.path.isdir(real):
            if self.index is None:
                return None
            real = os.path.realpath(os.path.join(real, self.index))
            if not self._contained(real):
                return None
        elif trailing_slash:
            return None  # "/file.txt/" names a folder that is not there
        opened = open_regular(real)
        if opened is None:
            return None
        return opened[0], opened[1], real

    async def send(self, res: Response, rest: list[str], trailing_slash: bool) -> bool:
        """Fill ``res`` with the file ``rest`` names; ``False`` when there is none."""
        found = await anyio.to_thread.run_sync(self.open, rest, trailing_slash)
        if found is None:
            return False
        handle, info, name = found
        await send_open_file(res, handle, info, name, cache_control=self.cache_control)
        return True


class StaticFiles:
    """Every static mount of an app, tried most specific first."""

    __slots__ = ("_mounts",)

    def __init__(self) -> None:
        self._mounts: list[Mount] = []

    def add(self, mount: Mount) -> None:
        """Add a mount; longer URL prefixes are tried first (stable otherwise)."""
        self._mounts.append(mount)
        self._mounts.sort(key=lambda m: -len(m.prefix))

    def remove(self, mount: Mount) -> None:
        """Remove ``mount`` (no error when it is not there)."""
        if mount in self._mounts:
            self._mounts.remove(mount)

    @property
    def mounts(self) -> tuple[Mount, ...]:
        """The mounts, in the order they are tried."""
        return tuple(self._mounts)

    async def serve(self, request: Request, res: Response) -> bool:
        """Fill ``res`` with the file ``request`` asks for; ``False`` when no mount has it."""
        split = split_path(request.raw_path)
        if split is None:
            return False
        segments, trailing_slash = split
        for mount in tuple(self._mounts):
            rest = mount.rest(segments)
            if rest is not None and await mount.send(res, rest, trailing_slash):
                return True
        return False

    def runner(self, fallback: Runner) -> Runner:
        """A terminal runner: a static file, else ``fallback`` (405 or not found)."""

        async def run(request: Request, res: Response) -> None:
            if not await self.serve(request, res):
                await fallback(request, res)

        return run
