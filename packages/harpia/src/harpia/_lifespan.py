"""Lifespan context managers: ``harpia(lifespan=fn)`` and ``app.lifespan(fn)``.

``fn(app)`` returns an async context manager (``@contextlib.asynccontextmanager``; an
async generator function or a plain context manager works too). It is entered when the
app starts — before the ``on_startup`` hooks — and exited when it stops — after the
``on_shutdown`` hooks — so hooks can use what it set up. Several lifespans are entered
in the order added and exited in reverse. What one yields (a dict, or ``None``) is merged
into the lifespan state, and every request starts with a shallow copy of that state in
``req.state`` (Starlette's choice): a handler reads ``req.state["db"]`` and may add keys of
its own without them leaking into other requests.

Enter and exit run in the task that starts and stops the app (the server's, the ASGI
``lifespan`` scope's, ``async with TestClient(app)``), so task groups and cancel scopes
opened in a lifespan work.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from ._app import Harpia

LifespanFactory: TypeAlias = Callable[
    ["Harpia"],
    AbstractAsyncContextManager[Mapping[str, Any] | None] | AsyncIterator[Mapping[str, Any] | None],
]
"""``(app) -> async context manager`` yielding a dict of state or ``None`` (or a bare async
generator function, made a context manager)."""


def _name(fn: object) -> str:
    return str(getattr(fn, "__qualname__", None) or repr(fn))


def check_lifespan(fn: Any) -> Any:
    """Return ``fn`` if it can be a lifespan; raise ``TypeError`` otherwise."""
    if not callable(fn):
        raise TypeError(f"lifespan must be a callable (app) -> async context manager, got {fn!r}")
    return fn


class Lifespans:
    """The lifespans of one app, their open contexts and the state they yielded."""

    __slots__ = ("_factories", "_stack", "state")

    def __init__(self) -> None:
        self._factories: list[Any] = []
        self._stack: AsyncExitStack | None = None
        self.state: dict[str, Any] = {}

    def add(self, fn: Any) -> None:
        """Add a lifespan (entered after those added before).

        Raises:
            TypeError: ``fn`` is not callable.
        """
        self._factories.append(check_lifespan(fn))

    def __bool__(self) -> bool:
        return bool(self._factories)

    async def enter(self, app: Harpia) -> None:
        """Enter every lifespan in order and collect their state; on a failure, exit
        those already entered (in reverse) and raise.

        Raises:
            TypeError: a lifespan returned no context manager, or yielded something
                other than a mapping or ``None``.
        """
        stack = AsyncExitStack()
        state: dict[str, Any] = {}
        try:
            for fn in self._factories:
                value = await _enter(stack, fn, app)
                if value is None:
                    continue
                if not isinstance(value, Mapping):
                    raise TypeError(
                        f"lifespan {_name(fn)} yielded {type(value).__name__}: yield a dict "
                        f"of state (it reaches handlers as req.state) or None"
                    )
                state.update(value)
        except BaseException:
            await stack.aclose()
            raise
        self._stack = stack
        self.state = state

    async def exit(self) -> None:
        """Exit the entered lifespans, the last entered first; forget their state."""
        stack, self._stack = self._stack, None
        self.state = {}
        if stack is not None:
            await stack.aclose()


async def _enter(stack: AsyncExitStack, fn: Any, app: Harpia) -> Any:
    if inspect.isasyncgenfunction(fn):  # a bare async generator: make it a context manager
        manager: Any = contextlib.asynccontextmanager(fn)(app)
    else:
        manager = fn(app)
    if hasattr(manager, "__aenter__") and hasattr(manager, "__aexit__"):
        return await stack.enter_async_context(manager)
    if hasattr(manager, "__enter__") and hasattr(manager, "__exit__"):
        return stack.enter_context(manager)
    raise TypeError(
        f"lifespan {_name(fn)} returned {type(manager).__name__}, not a context manager: "
        f"decorate it with @contextlib.asynccontextmanager"
    )
