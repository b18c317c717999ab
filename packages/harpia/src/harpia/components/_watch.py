"""File watching with ``watchfiles.awatch``: which folders to watch, and one watch over them.

Only the folders the patterns can match in are watched (``web`` for ``web/**``), not the
whole component folder, which often holds ``.venv`` or ``node_modules``. A missing folder is
watched through its nearest existing parent. When a watched folder disappears or is replaced
the watch is stale and the entry handler opens a new one (then rescans, so nothing is lost).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import TYPE_CHECKING

import anyio

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator

    from watchfiles import Change

    from ._glob import Matcher

# watchfiles yields once no new change came for STEP_MS, or after DEBOUNCE_MS of steady
# changes: an editor's save (temp file + rename) settles into one batch well within 1 s.
STEP_MS = 50
DEBOUNCE_MS = 400

INSTALL_HINT = 'file watching needs the watchfiles package: pip install "harpia-framework[watch]"'


def require_watchfiles() -> None:
    """Raise a clear error when ``watchfiles`` is not installed.

    Raises:
        RuntimeError: naming ``pip install "harpia-framework[watch]"``.
    """
    try:
        import watchfiles  # noqa: F401
    except ImportError:
        raise RuntimeError(INSTALL_HINT) from None


def require_asyncio() -> None:
    """Raise a clear error when not running on asyncio (the watcher task is an asyncio task).

    Raises:
        RuntimeError: on another event loop (trio).
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError("file watching needs the asyncio backend of anyio") from None


def watch_plan(root: str, matcher: Matcher) -> tuple[tuple[str, ...], bool]:
    """The folders to watch for ``matcher`` below ``root``, and whether recursively."""
    folders: dict[str, int | None] = {}  # folder -> levels below it that can match
    for pattern in matcher.sources:
        parts = list(pattern.prefix)
        while parts and not os.path.isdir(os.path.join(root, *parts)):
            parts.pop()
        depth = pattern.depth
        levels = None if depth is None else depth + len(pattern.prefix) - len(parts)
        folder = os.path.join(root, *parts) if parts else root
        if folder in folders:
            previous = folders[folder]
            levels = None if previous is None or levels is None else max(previous, levels)
        folders[folder] = levels
    recursive = any(levels is None or levels > 1 for levels in folders.values())
    chosen = sorted(folders)
    if recursive:  # a folder inside another one is already watched
        chosen = [f for f in chosen if not any(f.startswith(o + os.sep) for o in chosen)]
    return tuple(chosen), recursive


def _identity(path: str) -> tuple[int, int] | None:
    try:
        stats = os.stat(path)
    except OSError:
        return None
    return (stats.st_dev, stats.st_ino)


class Watcher:
    """One ``watchfiles.awatch`` over fixed folders, yielding sets of changed paths."""

    def __init__(self, paths: tuple[str, ...], *, recursive: bool) -> None:
        self.paths = paths
        self.recursive = recursive
        self._stop = anyio.Event()
        self._identities = {path: _identity(path) for path in paths}
        self._changes: AsyncGenerator[set[tuple[Change, str]], None] | None = None
        self._first: asyncio.Future[set[tuple[Change, str]]] | None = None
        self._closed = False

    async def start(self) -> None:
        """Start watching; when this returns the operating system watch is in place."""
        from watchfiles import awatch

        self._changes = awatch(
            *self.paths,
            watch_filter=None,
            debounce=DEBOUNCE_MS,
            step=STEP_MS,
            stop_event=self._stop,
            recursive=self.recursive,
        )
        # awatch builds its OS watch synchronously, then waits in a worker thread: running
        # its first step as a task and yielding once means the watch exists when we resume.
        self._first = asyncio.ensure_future(anext(self._changes))
        await asyncio.sleep(0)
        if self._first.done() and self._first.exception() is not None:
            await self.aclose()
            raise self._first.exception()  # type: ignore[misc]

    def stop(self) -> None:
        """Make ``changes()`` end soon (within ``STEP_MS``)."""
        self._stop.set()

    def stale(self) -> bool:
        """A watched folder was deleted or replaced (its watch is lost)."""
        return any(_identity(path) != identity for path, identity in self._identities.items())

    async def changes(self) -> AsyncIterator[set[str]]:
        """The changed paths, one set per settled batch, until ``stop()``."""
        if self._changes is None or self._first is None:
            raise RuntimeError("Watcher.start() was not awaited")
        changes = self._changes
        try:
            batch = await self._first
            while True:
                yield {path for _change, path in batch}
                batch = await anext(changes)
        except StopAsyncIteration:
            return
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Stop and release the watch (idempotent)."""
        self.stop()
        if self._closed:
            return
        self._closed = True
        if self._first is not None:
            await asyncio.wait([self._first])  # ends within STEP_MS once stopped
            if not self._first.cancelled():
                self._first.exception()  # retrieved: no "never retrieved" warning
        if self._changes is not None:
            with contextlib.suppress(RuntimeError):
                await self._changes.aclose()
