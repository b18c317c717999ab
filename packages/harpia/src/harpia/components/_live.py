"""Development: the config file is watched, and a saved edit reaches the running components.

``watchfiles.awatch`` runs on the app folder (not recursively: the config file sits at its
top) in a background task, filtered to the config file, so editors that save by writing a
temporary file and renaming it are seen too. Each batch of changes (debounced by
watchfiles) calls ``Composer.reload()``. ``stop()`` cancels the task and waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from ._watch import require_asyncio, require_watchfiles

if TYPE_CHECKING:
    from .._compose import Composer

logger = logging.getLogger("harpia.components")


class ConfigWatcher:
    """Watches one app's config file and reloads the app's components on each change."""

    def __init__(self, composer: Composer) -> None:
        self.composer = composer
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    async def start(self) -> None:
        """Start watching in a background task.

        Raises:
            RuntimeError: ``watchfiles`` is missing (naming
                ``pip install "harpia-framework[watch]"``), or the loop is not asyncio.
        """
        require_watchfiles()
        require_asyncio()
        self._task = asyncio.create_task(self._run(), name="harpia config watcher")
        await asyncio.sleep(0)  # let awatch set itself up before the first edit can land

    async def _run(self) -> None:
        import watchfiles

        target = self.composer.config.path
        folder = str(target.parent)

        def is_config(change: watchfiles.Change, path: str) -> bool:
            return Path(path) == target

        async for _changes in watchfiles.awatch(
            folder,
            watch_filter=is_config,
            recursive=False,
            stop_event=self._stop,
            debounce=200,
            step=25,
        ):
            try:
                await self.composer.reload()
            except Exception:  # never let a bad edit kill the watcher
                logger.exception("applying %s failed", target.name)

    async def stop(self) -> None:
        """Stop watching and wait for the task to end."""
        self._stop.set()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
