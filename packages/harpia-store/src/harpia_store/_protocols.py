"""The Store protocol and the optional capabilities a store may add.

Every store offers ``get`` / ``set`` / ``delete``. Features that must stay exact when many
requests (or many worker processes sharing one Redis) write at once — counters, per-key
lists and sets — need updates done *inside* the store, never as get → modify → set in the
caller, where two writers can overwrite each other. Those updates are small separate
protocols, so a feature asks for exactly what it needs::

    if isinstance(store, SupportsIncr):
        await store.incr("hits")

All protocols are ``runtime_checkable``. Every ``ttl`` is in seconds; on the collection and
counter operations it is applied when the key has no expiry yet (normally: when the
operation creates it), so a key written many times still expires a fixed time after its
first write — the behaviour counting windows and per-day data want.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar, runtime_checkable

T = TypeVar("T")


@runtime_checkable
class Store(Protocol[T]):
    """An async key-value store of JSON-compatible values."""

    async def get(self, key: str) -> T | None:
        """Return the value stored under ``key``, or ``None`` when missing or expired."""
        ...

    async def set(self, key: str, value: T, *, ttl: float | None = None) -> None:
        """Store ``value`` under ``key``, expiring after ``ttl`` seconds when given."""
        ...

    async def delete(self, key: str) -> None:
        """Remove ``key``; removing a missing key is not an error."""
        ...


class StoreLike(Protocol):
    """Anything ``adapt`` accepts: an object with ``get(key)`` and ``set(key, value)``.

    The methods may be sync or async; every ``Store`` is also ``StoreLike``.
    """

    def get(self, key: str, /) -> Any:
        """Return the value of ``key`` (or an awaitable of it)."""
        ...

    def set(self, key: str, value: Any, /) -> Any:
        """Store ``value`` under ``key`` (``None`` may mean delete)."""
        ...


@runtime_checkable
class SupportsIncr(Protocol):
    """Atomic integer counters."""

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        """Add ``amount`` to the integer under ``key`` (missing counts as 0); return the sum."""
        ...


@runtime_checkable
class SupportsCounters(Protocol):
    """A map of named integer counters under one key (e.g. hits per page for a day)."""

    async def incr_field(
        self, key: str, field: str, amount: int = 1, *, ttl: float | None = None
    ) -> int:
        """Add ``amount`` to counter ``field`` of ``key``; return its new value."""
        ...

    async def get_counters(self, key: str) -> dict[str, int]:
        """Return every counter of ``key`` (empty when missing)."""
        ...


@runtime_checkable
class SupportsLists(Protocol):
    """Append-only lists of JSON values, optionally capped to the newest entries."""

    async def append(
        self, key: str, value: Any, *, max_len: int | None = None, ttl: float | None = None
    ) -> int:
        """Append ``value``; keep only the newest ``max_len`` items; return the length."""
        ...

    async def get_list(self, key: str) -> list[Any]:
        """Return the items of ``key``, oldest first (empty when missing)."""
        ...

    async def list_length(self, key: str) -> int:
        """Return how many items ``key`` holds."""
        ...


@runtime_checkable
class SupportsSets(Protocol):
    """Sets of strings, for counting distinct things (unique visitors)."""

    async def add_member(self, key: str, member: str, *, ttl: float | None = None) -> bool:
        """Add ``member``; return ``True`` when it was not there before."""
        ...

    async def get_members(self, key: str) -> set[str]:
        """Return the members of ``key`` (empty when missing)."""
        ...

    async def count_members(self, key: str) -> int:
        """Return how many members ``key`` holds."""
        ...


@runtime_checkable
class SupportsExpire(Protocol):
    """Changing the expiry of an existing key."""

    async def expire(self, key: str, ttl: float) -> bool:
        """Make ``key`` expire in ``ttl`` seconds; ``False`` when the key does not exist."""
        ...


@runtime_checkable
class SupportsKeys(Protocol):
    """Listing and clearing the keys a store holds."""

    async def keys(self, prefix: str = "") -> list[str]:
        """Return the live keys starting with ``prefix``."""
        ...

    async def clear(self) -> None:
        """Remove every key this store holds (a Redis store: only under its prefix)."""
        ...
