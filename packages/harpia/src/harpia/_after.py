"""After-response tasks: ``res.after(fn, *args, **kwargs)`` runs once the response is sent.

The calls a response collected run one after the other, in the order added, once the
front end has handed its last byte over: on the native drivers in the background (the
connection goes on with its next request at once), under ASGI right after the final
``http.response.body`` send (inside the ASGI call, as Starlette's ``BackgroundTask``), in
the test client once the response is collected (awaited before the request returns). A
coroutine function is awaited in the event loop; a plain function runs in a worker thread
(it may block). A failure is logged on the ``harpia`` logger and the next call still runs.

Each app counts the tasks that run (``AfterTasks``); at most ``limit`` (1,000) responses'
tasks run in the background on the native server, beyond which a connection runs its
response's tasks itself before its next request. The native server waits for them
after its connections have drained and before the app's shutdown hooks (at most
``shutdown_timeout``), and ``app.shutdown()`` waits for any left (ASGI lifespan, test
client) at most ``AFTER_SHUTDOWN_TIMEOUT`` seconds.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from contextlib import asynccontextmanager
from functools import partial
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from anyio.abc import TaskGroup

    from ._app import Harpia
    from ._response import Response

logger = logging.getLogger("harpia")

AfterCall = tuple["Callable[..., Any]", tuple[Any, ...], dict[str, Any]]
AFTER_SHUTDOWN_TIMEOUT = 30.0
"""Most seconds ``app.shutdown()`` waits for after-response tasks still running."""
DEFAULT_MAX_BACKGROUND = 1000
"""Most responses whose tasks run in the background on the native server at once."""


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)


async def run_calls(calls: list[AfterCall]) -> None:
    """Run ``calls`` in order; log (never raise) what fails."""
    for fn, args, kwargs in calls:
        try:
            if inspect.iscoroutinefunction(fn):
                result = fn(*args, **kwargs)
            else:
                result = await anyio.to_thread.run_sync(partial(fn, *args, **kwargs))
            if inspect.isawaitable(result):
                await result
        except Exception:
            logger.exception("after-response task %s failed", _name(fn))


class AfterTasks:
    """The after-response tasks of one app: started, counted, awaited before shutdown."""

    __slots__ = ("_groups", "_idle", "_loose", "_running", "limit")

    def __init__(self) -> None:
        self.limit = DEFAULT_MAX_BACKGROUND  # beyond: the connection runs them itself
        self._groups: list[TaskGroup] = []  # the task groups of the servers running
        self._running = 0
        self._idle: anyio.Event | None = None
        self._loose: set[asyncio.Task[None]] = set()  # started with no server group

    @property
    def running(self) -> int:
        """How many responses' tasks are running now."""
        return self._running

    def start(self, calls: list[AfterCall]) -> None:
        """Run ``calls`` in the background (the native server, after the last byte)."""
        self._running += 1
        if self._groups:
            self._groups[-1].start_soon(self._counted, calls)
            return
        task = asyncio.get_running_loop().create_task(self._counted(calls))
        self._loose.add(task)
        task.add_done_callback(self._loose.discard)

    async def run(self, calls: list[AfterCall]) -> None:
        """Run ``calls`` now, counted (ASGI and the test client)."""
        self._running += 1
        await self._counted(calls)

    async def _counted(self, calls: list[AfterCall]) -> None:
        try:
            await run_calls(calls)
        finally:
            self._running -= 1
            if self._running == 0 and self._idle is not None:
                self._idle.set()

    async def join(self, limit: float) -> bool:
        """Wait until no task runs, at most ``limit`` seconds; False when some still do."""
        with anyio.move_on_after(limit):
            while self._running:
                self._idle = anyio.Event()
                await self._idle.wait()
        if self._running:
            logger.warning(
                "%d after-response task(s) still running after %.1f s", self._running, limit
            )
            return False
        return True

    @asynccontextmanager
    async def serving(self, limit: float) -> AsyncIterator[None]:
        """Give the tasks a task group while a server runs; on exit wait for them
        (``limit`` seconds at most, then cancel them)."""
        async with anyio.create_task_group() as group:
            self._groups.append(group)
            try:
                yield
                await self.join(limit)
            finally:
                self._groups.remove(group)
                group.cancel_scope.cancel()


async def sent(app: Harpia | None, res: Response) -> None:
    """The native server wrote ``res``'s last byte: start its after-response tasks.

    In the background while fewer than ``app.after_tasks.limit`` responses' tasks run;
    beyond, the connection runs them itself before its next request (backpressure: a
    flood of requests with slow tasks cannot pile up tasks without bound).
    """
    calls = res.after_calls
    if calls and app is not None and res.status_code != 101:  # not for a WebSocket
        res.after_calls = None
        tasks = app.after_tasks
        if tasks.running < tasks.limit:
            tasks.start(calls)
        else:
            await tasks.run(calls)


async def run_after(app: Harpia | None, res: Response) -> None:
    """Run ``res``'s after-response tasks now (ASGI, test client)."""
    calls = res.after_calls
    if calls and app is not None:
        res.after_calls = None
        await app.after_tasks.run(calls)
