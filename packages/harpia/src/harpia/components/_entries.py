"""``EntryHandler``: the files and folders a component's ``files`` option matches, as events.

``start()`` scans (``add_dir``/``add`` for every match, then ``ready``); when watching, a
background task turns file-system notifications into ``add``/``change``/``unlink``/
``add_dir``/``unlink_dir`` events (see ``_scan`` for how). Every event is also emitted as
``"all"``. Scans and the reading of file contents run in worker threads; one lock keeps the
initial scan, each batch of changes and ``update()`` in order.
"""

from __future__ import annotations

import asyncio
import os
from types import MappingProxyType
from typing import TYPE_CHECKING

import anyio
import anyio.to_thread

from ._emitter import Emitter, logger
from ._files import FilesOptions, parse_files, url_base
from ._scan import EntryEvent, reconcile, to_rel
from ._watch import Watcher, require_asyncio, require_watchfiles, watch_plan

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ._glob import Matcher

MAX_RETRY_SECONDS = 30.0


class EntryHandler(Emitter):
    """Events for the entries of one ``files`` option of a component.

    Events: ``"add"``, ``"change"``, ``"unlink"``, ``"add_dir"``, ``"unlink_dir"`` (each with
    an ``EntryEvent``, and each also emitted as ``"all"``), ``"ready"`` after the initial scan
    and after ``update()``, ``"close"``, ``"error"`` (with the exception).

    Attributes:
        name: the component's name (used by ``url_path`` ``"./x"`` and ``"."``).
        directory: the component's folder (a real path); patterns are relative to it.
        files: the validated ``files`` option.
        url_path: the ``url_path`` option as given.
        watching: whether ``start()`` keeps watching for changes (development).
    """

    def __init__(
        self,
        name: str,
        directory: str | os.PathLike[str],
        files: object,
        url_path: str | None = None,
        *,
        watch: bool = False,
    ) -> None:
        """Create a handler; nothing is read before ``start()``.

        Raises:
            TypeError, ValueError: an invalid ``files`` or ``url_path`` (naming the option).
        """
        super().__init__()
        self.name = name
        self.directory = os.path.realpath(os.fspath(directory))
        self.watching = watch
        self._configure(files, url_path)
        self._entries: dict[str, EntryEvent] = {}  # by path relative to directory
        self._by_path: dict[str, EntryEvent] = {}  # the same, by absolute path
        self._lock = anyio.Lock()
        self._lock_owner: int | None = None  # anyio task id
        self._watcher: Watcher | None = None
        self._task: asyncio.Task[None] | None = None
        self._started = False
        self._ready = False
        self._closed = False

    def __repr__(self) -> str:
        return f"EntryHandler({self.name!r}, {self.files.source!r}, url_path={self.url_path!r})"

    def _configure(self, files: object, url_path: str | None) -> None:
        parsed = parse_files(files, key=f"{self.name}.files")
        try:
            base = url_base(url_path, self.name)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{self.name}.{exc}") from None
        self.files: FilesOptions = parsed
        self.url_path = url_path
        self.url_base = base
        self._matcher: Matcher = parsed.matcher()

    @property
    def entries(self) -> Mapping[str, EntryEvent]:
        """The known files and folders by absolute path (their last ``add``/``change``)."""
        return MappingProxyType(self._by_path)

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return self._closed

    @property
    def ready(self) -> bool:
        """Whether the initial scan is done (and the handler not closed)."""
        return self._ready and not self._closed

    async def start(self) -> None:
        """Scan (``add_dir``/``add`` per match, then ``ready``), then watch when ``watching``.

        Raises:
            RuntimeError: the handler is closed, or watching needs ``watchfiles``.
            NotADirectoryError: the component folder does not exist.
        """
        if self._closed:
            raise RuntimeError(f"{self!r} is closed")
        if self._started:
            return
        if not await anyio.Path(self.directory).is_dir():
            raise NotADirectoryError(f"{self.name}: component folder {self.directory!r} not found")
        if self.watching:
            require_watchfiles()
            require_asyncio()
        self._started = True
        async with self._locked():
            try:
                if self.watching:
                    self._watcher = await self._open_watcher()
                await self._reconcile(None)
            except BaseException:
                self._started = False
                if self._watcher is not None:
                    await self._watcher.aclose()
                    self._watcher = None
                raise
            self._ready = True
            await self.emit("ready")
        if self.watching and not self._closed:
            self._task = asyncio.create_task(self._watch_loop(), name=f"harpia watch {self.name}")

    async def update(self, files: object, url_path: str | None = None) -> None:
        """Match ``files``/``url_path`` from now on, keeping the listeners.

        Emits ``unlink``/``unlink_dir`` for entries no longer matched (or whose URL changed),
        ``add_dir``/``add`` for new ones, then ``ready``.

        Raises:
            TypeError, ValueError: an invalid option (nothing changes then).
            RuntimeError: awaited from one of this handler's own listeners (which would
                deadlock: schedule it in a task instead), or the handler is closed.
        """
        if self._closed:
            raise RuntimeError(f"{self!r} is closed")
        if self._lock_owner == anyio.get_current_task().id:
            raise RuntimeError(
                "EntryHandler.update() cannot be awaited from its own listener; "
                "run it in a task instead"
            )
        async with self._locked():
            self._configure(files, url_path)
            if not self._started:
                return
            if self.watching and self._watcher is not None:
                previous, self._watcher = self._watcher, await self._open_watcher()
                previous.stop()
            await self._reconcile(None)
            await self.emit("ready")

    async def close(self) -> None:
        """Stop watching (the background task ends), emit ``close``, remove all listeners.

        Called again, it only waits for the watcher task to end (when it was called from a
        listener run by that task, the first call could not).
        """
        first = not self._closed
        self._closed = True
        if self._watcher is not None:
            self._watcher.stop()
        task = self._task  # only when watching, which runs on asyncio
        if task is not None and task is not asyncio.current_task():
            if self._lock_owner == anyio.get_current_task().id:
                task.cancel()  # it may wait for the lock we hold: never let it in
            await asyncio.wait([task])
        if self._watcher is not None and (task is None or task.done()):
            await self._watcher.aclose()  # else the task closes it, after this listener
        if first:
            await self.emit("close")
            self.remove_all_listeners()

    def _is_closed(self) -> bool:  # a call: mypy would narrow an attribute across awaits
        return self._closed

    def _locked(self) -> _Owned:
        return _Owned(self)

    async def _open_watcher(self) -> Watcher:
        paths, recursive = watch_plan(self.directory, self._matcher)
        watcher = Watcher(paths, recursive=recursive)
        await watcher.start()
        return watcher

    async def _reconcile(self, changed: set[str] | None) -> None:
        # the lock is held: nothing changes self._entries while the thread reads it
        events = await anyio.to_thread.run_sync(
            reconcile, self.directory, self._matcher, self.url_base, self._entries, changed
        )
        for event in events:
            if self._is_closed():
                return
            rel = to_rel(self.directory, event.absolute_path)
            assert rel is not None
            if event.event_type in ("unlink", "unlink_dir"):
                self._entries.pop(rel, None)
                self._by_path.pop(event.absolute_path, None)
            else:
                self._entries[rel] = event
                self._by_path[event.absolute_path] = event
            await self.emit(event.event_type, event)
            await self.emit("all", event)

    async def _watch_loop(self) -> None:
        delay = 0.5
        while not self._is_closed():
            watcher = self._watcher
            try:
                if watcher is None:  # stale or failed: watch again, then catch up
                    async with self._locked():
                        if self._is_closed():
                            break
                        self._watcher = watcher = await self._open_watcher()
                        await self._reconcile(None)
                async for paths in watcher.changes():
                    changed = {rel for p in paths if (rel := to_rel(self.directory, p))}
                    async with self._locked():
                        if self._is_closed():
                            break
                        if changed:
                            await self._reconcile(changed)
                    if watcher.stale():
                        watcher.stop()
                if self._watcher is watcher:  # else update() put a new one in place
                    self._watcher = None
                delay = 0.5
            except Exception as exc:  # the watcher must not die silently
                if self._watcher is watcher:
                    self._watcher = None
                if watcher is not None:
                    await watcher.aclose()
                if self.listener_count("error"):
                    await self.emit("error", exc)
                else:
                    logger.error("%r: file watching failed", self, exc_info=exc)
                await anyio.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_SECONDS)


class _Owned:
    """``async with handler._locked()``: the handler's lock, remembering which task holds it."""

    def __init__(self, handler: EntryHandler) -> None:
        self.handler = handler

    async def __aenter__(self) -> None:
        await self.handler._lock.acquire()
        self.handler._lock_owner = anyio.get_current_task().id

    async def __aexit__(self, *exc: object) -> None:
        self.handler._lock_owner = None
        self.handler._lock.release()
