"""Record an EntryHandler's events and wait for them, always bounded in time."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import anyio

if TYPE_CHECKING:
    from collections.abc import Callable

    from harpia.components import EntryEvent, EntryHandler

TIMEOUT = 5.0
EVENTS = ("add", "change", "unlink", "add_dir", "unlink_dir", "ready", "close")


class Recorder:
    """``(event, url_path)`` pairs of one handler, in order (``""`` for ready/close)."""

    def __init__(self, handler: EntryHandler, events: tuple[str, ...] = EVENTS) -> None:
        self.events: list[tuple[str, str]] = []
        self.entries: list[EntryEvent] = []
        self.all: list[tuple[str, str]] = []
        self._arrived = anyio.Event()
        for name in events:
            handler.on(name, self._recorder(name))
        handler.on("all", lambda e: self.all.append((e.event_type, e.url_path)))

    def _recorder(self, name: str) -> Callable[..., None]:
        def record(entry: EntryEvent | None = None) -> None:
            self.events.append((name, entry.url_path if entry is not None else ""))
            if entry is not None:
                self.entries.append(entry)
            self._arrived.set()

        return record

    async def wait(self, count: int, limit: float = TIMEOUT) -> list[tuple[str, str]]:
        """Wait until ``count`` events were recorded since the last ``take``; take them."""
        with anyio.fail_after(limit):
            while len(self.events) < count:
                self._arrived = anyio.Event()
                await self._arrived.wait()
        return self.take()

    async def settle(self, seconds: float = 0.25) -> list[tuple[str, str]]:
        """Whatever arrives within ``seconds`` (to check that nothing more does)."""
        await anyio.sleep(seconds)
        return self.take()

    def take(self) -> list[tuple[str, str]]:
        """The events so far (checking that ``"all"`` saw each entry event too)."""
        events, self.events = self.events, []
        mirrored, self.all = self.all, []
        assert mirrored == [e for e in events if e[0] not in ("ready", "close")]
        return events


def other_tasks() -> set[asyncio.Task[object]]:
    current = asyncio.current_task()
    return {t for t in asyncio.all_tasks() if t is not current and not t.done()}
