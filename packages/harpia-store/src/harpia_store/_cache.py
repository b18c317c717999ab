"""Cache: a prefixed view on a store, with single-flight get-or-compute."""

from __future__ import annotations

import asyncio
import inspect
from typing import TYPE_CHECKING, Any, TypeVar, overload

from ._adapt import adapt
from ._checks import check_key, check_str, check_ttl
from ._memory import MemoryStore

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from ._protocols import Store, StoreLike

R = TypeVar("R")


class Cache:
    """Cached values in a store, under a key prefix, with a default expiry.

    ``remember(key, factory)`` returns the cached value or computes it. Concurrent callers
    of the same missing key share one computation (single-flight): the factory runs once,
    every caller gets its result, and a cancelled caller does not cancel it for the
    others. A factory's exception reaches every waiting caller and nothing is stored.
    ``None`` is never cached (a store cannot tell it from a missing key).

    Single-flight covers the callers in this process; it needs an asyncio event loop.

    Args:
        store: Any ``Store`` (or a get/set object, through ``adapt``). Default:
            ``MemoryStore(5000)``.
        prefix: Put in front of every key.
        ttl: Default expiry in seconds for ``set`` and ``remember`` (``None``: never).

    Raises:
        TypeError: ``store`` is not a store, or ``prefix`` is not a ``str``.
        ValueError: ``ttl`` is not positive.
    """

    __slots__ = ("_inflight", "_prefix", "_store", "_ttl")

    def __init__(
        self, store: StoreLike | None = None, *, prefix: str = "cache:", ttl: float | None = None
    ) -> None:
        check_str(prefix, "prefix")
        self._store: Store[Any] = MemoryStore(5000) if store is None else adapt(store)
        self._prefix = prefix
        self._ttl = None if ttl is None else check_ttl(ttl)
        self._inflight: dict[str, asyncio.Task[Any]] = {}

    @property
    def store(self) -> Store[Any]:
        """The store the values live in."""
        return self._store

    @property
    def prefix(self) -> str:
        """The prefix put in front of every key."""
        return self._prefix

    async def get(self, key: str) -> Any:
        """Return the cached value of ``key``, or ``None``."""
        return await self._store.get(self._prefix + check_key(key))

    async def set(self, key: str, value: Any, *, ttl: float | None = None) -> None:
        """Cache ``value`` under ``key`` for ``ttl`` seconds (default: the cache's ttl)."""
        await self._store.set(
            self._prefix + check_key(key), value, ttl=self._ttl if ttl is None else ttl
        )

    async def delete(self, key: str) -> None:
        """Forget ``key``."""
        await self._store.delete(self._prefix + check_key(key))

    @overload
    async def remember(
        self, key: str, factory: Callable[[], Awaitable[R]], *, ttl: float | None = None
    ) -> R: ...

    @overload
    async def remember(
        self, key: str, factory: Callable[[], R], *, ttl: float | None = None
    ) -> R: ...

    async def remember(
        self, key: str, factory: Callable[[], Awaitable[R] | R], *, ttl: float | None = None
    ) -> R:
        """Return the cached value of ``key``, computing and caching it when missing.

        Args:
            key: The cache key.
            factory: Called with no arguments (sync or async) to compute the value.
            ttl: Expiry in seconds (default: the cache's ttl).

        Raises:
            TypeError: ``factory`` is not callable.
            Exception: Whatever ``factory`` or the store raised.
        """
        if not callable(factory):
            raise TypeError(f"factory must be callable, got {type(factory).__name__}")
        cached: R | None = await self.get(key)
        if cached is not None:
            return cached
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._compute(key, factory, ttl))
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        return await asyncio.shield(task)

    async def _compute(
        self, key: str, factory: Callable[[], Awaitable[R] | R], ttl: float | None
    ) -> R:
        result = factory()
        value: R = await result if inspect.isawaitable(result) else result
        if value is not None:
            await self.set(key, value, ttl=ttl)
        return value

    def _finished(self, key: str, task: asyncio.Task[Any]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
        if not task.cancelled():
            task.exception()  # mark as retrieved even if every caller went away
