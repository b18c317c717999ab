"""MemoryStore: a dict in process memory with a size limit and per-key expiry."""

from __future__ import annotations

from collections import OrderedDict, deque
from time import monotonic
from typing import TYPE_CHECKING, Any, TypeVar

from ._checks import (
    SCALARS,
    bad_key,
    check_int,
    check_json,
    check_key,
    check_max_len,
    check_member,
    check_str,
    check_ttl,
)

if TYPE_CHECKING:
    import builtins

C = TypeVar("C", "_List", "_Set", "_Counters")


# Collections live in the same dict as plain values (one key space, as in Redis), wrapped
# in these private types so that reading a key with the wrong operation is detected.
class _List(deque[Any]):
    __slots__ = ()
    kind = "list"


class _Set(set[str]):
    __slots__ = ()
    kind = "set"


class _Counters(dict[str, int]):
    __slots__ = ()
    kind = "counters"


_COLLECTIONS: frozenset[type] = frozenset({_List, _Set, _Counters})
_Entry = tuple[Any, float | None]  # (value, monotonic deadline or None)


class MemoryStore:
    """A store in process memory: fast, bounded, and lost when the process ends.

    When ``limit`` keys are held, writing a new key first evicts the least recently used
    one: every read or write of a key (``get``, ``set``, ``incr``, reading or changing a
    list, set or counters, ``expire``) makes it the most recently used, in O(1). A flood
    of new keys therefore evicts idle keys first, never one in active use before
    ``limit`` new keys arrive after its last use. Expired keys are never returned and are
    dropped when next touched. Values are kept by reference, not copied: do not mutate
    a value after storing it or after reading it back.

    Implements ``Store`` and every optional capability (``SupportsIncr``,
    ``SupportsCounters``, ``SupportsLists``, ``SupportsSets``, ``SupportsExpire``,
    ``SupportsKeys``). Each operation runs without awaiting, so it is atomic within the
    process; use ``RedisStore`` to share data between processes.

    Args:
        limit: The most keys held at once (>= 1).

    Raises:
        TypeError: ``limit`` is not an int.
        ValueError: ``limit`` is < 1.
    """

    __slots__ = ("_data", "_limit")

    def __init__(self, limit: int = 5000) -> None:
        if check_int(limit, "MemoryStore limit") < 1:
            raise ValueError(f"MemoryStore limit must be >= 1, got {limit}")
        self._limit = limit
        self._data: OrderedDict[str, _Entry] = OrderedDict()

    @property
    def limit(self) -> int:
        """The most keys held at once."""
        return self._limit

    def __len__(self) -> int:
        """Number of keys held, expired ones not yet dropped included."""
        return len(self._data)

    def __repr__(self) -> str:
        return f"MemoryStore(limit={self._limit}, keys={len(self._data)})"

    # -- Store -------------------------------------------------------------------------

    async def get(self, key: str) -> Any:
        """Return the value under ``key``, or ``None`` when missing or expired.

        Raises:
            TypeError: ``key`` is not a ``str``, or holds a list, set or counters.
        """
        entry = self._data.get(key)
        if entry is None:
            if type(key) is not str:
                bad_key(key)
            return None
        value, deadline = entry
        if deadline is not None and deadline <= monotonic():
            del self._data[key]
            return None
        if type(value) in _COLLECTIONS:
            raise TypeError(f"key {key!r} holds {value.kind}, not a value: use its own reader")
        self._data.move_to_end(key)
        return value

    async def set(self, key: str, value: Any, *, ttl: float | None = None) -> None:
        """Store ``value`` under ``key`` (replacing whatever it held).

        Raises:
            TypeError: ``key`` is not a ``str`` or ``value`` is not JSON data (nothing is
                written).
            ValueError: ``ttl`` is not a positive number of seconds.
        """
        if type(key) is not str:
            bad_key(key)
        if type(value) not in SCALARS:
            check_json(key, value)
        deadline = None if ttl is None else monotonic() + check_ttl(ttl)
        data = self._data
        if key in data:
            data.move_to_end(key)
        elif len(data) >= self._limit:
            data.popitem(last=False)
        data[key] = (value, deadline)

    async def delete(self, key: str) -> None:
        """Remove ``key`` (a missing key is fine)."""
        if self._data.pop(key, None) is None and type(key) is not str:
            bad_key(key)

    # -- SupportsIncr --------------------------------------------------------------------

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        """Add ``amount`` to the integer under ``key`` and return the result.

        Raises:
            TypeError: ``key`` holds something other than an int.
        """
        check_int(amount, "amount")
        entry = self._live(key, ttl)
        if entry is None:
            self._insert(key, amount, ttl)
            return amount
        current, deadline = entry
        if type(current) is not int:
            raise TypeError(f"key {key!r} does not hold an integer, cannot incr it")
        value: int = current + amount
        self._data[key] = (value, self._keep_or_start(deadline, ttl))
        return value

    # -- SupportsCounters ----------------------------------------------------------------

    async def incr_field(
        self, key: str, field: str, amount: int = 1, *, ttl: float | None = None
    ) -> int:
        """Add ``amount`` to counter ``field`` of ``key`` and return its new value."""
        check_int(amount, "amount")
        check_str(field, "counter field")
        counters = self._collection(key, _Counters, ttl, create=True)
        value = counters.get(field, 0) + amount
        counters[field] = value
        return value

    async def get_counters(self, key: str) -> dict[str, int]:
        """Return a copy of every counter under ``key``."""
        return dict(self._collection(key, _Counters, None, create=False))

    # -- SupportsLists -------------------------------------------------------------------

    async def append(
        self, key: str, value: Any, *, max_len: int | None = None, ttl: float | None = None
    ) -> int:
        """Append ``value`` to the list under ``key``; keep the newest ``max_len`` items."""
        check_key(key)
        check_json(key, value)
        bound = check_max_len(max_len)
        items = self._collection(key, _List, ttl, create=True)
        items.append(value)
        if bound is not None:
            while len(items) > bound:
                items.popleft()
        return len(items)

    async def get_list(self, key: str) -> list[Any]:
        """Return the items under ``key``, oldest first."""
        return list(self._collection(key, _List, None, create=False))

    async def list_length(self, key: str) -> int:
        """Return how many items the list under ``key`` holds."""
        return len(self._collection(key, _List, None, create=False))

    # -- SupportsSets --------------------------------------------------------------------

    async def add_member(self, key: str, member: str, *, ttl: float | None = None) -> bool:
        """Add ``member`` to the set under ``key``; ``True`` when it is new."""
        check_member(key, member)
        members = self._collection(key, _Set, ttl, create=True)
        if member in members:
            return False
        members.add(member)
        return True

    async def get_members(self, key: str) -> builtins.set[str]:
        """Return a copy of the set under ``key``."""
        return set(self._collection(key, _Set, None, create=False))

    async def count_members(self, key: str) -> int:
        """Return the size of the set under ``key``."""
        return len(self._collection(key, _Set, None, create=False))

    # -- SupportsExpire / SupportsKeys ---------------------------------------------------

    async def expire(self, key: str, ttl: float) -> bool:
        """Make ``key`` expire ``ttl`` seconds from now; ``False`` if it does not exist."""
        seconds = check_ttl(ttl)
        entry = self._live(key, None)
        if entry is None:
            return False
        self._data[key] = (entry[0], monotonic() + seconds)
        return True

    async def keys(self, prefix: str = "") -> list[str]:
        """Return the live keys that start with ``prefix``, least recently used first.

        Listing keys does not count as using them.
        """
        check_str(prefix, "prefix")
        now = monotonic()
        return [
            key
            for key, (_, deadline) in self._data.items()
            if key.startswith(prefix) and (deadline is None or deadline > now)
        ]

    async def clear(self) -> None:
        """Remove every key."""
        self._data.clear()

    # -- internals -----------------------------------------------------------------------

    def _live(self, key: str, ttl: float | None) -> _Entry | None:
        """The unexpired entry of ``key`` (dropping an expired one), now the most recently
        used; validates arguments."""
        check_key(key)
        if ttl is not None:
            check_ttl(ttl)
        entry = self._data.get(key)
        if entry is None:
            return None
        if entry[1] is not None and entry[1] <= monotonic():
            del self._data[key]
            return None
        self._data.move_to_end(key)
        return entry

    def _insert(self, key: str, value: Any, ttl: float | None) -> None:
        data = self._data
        if key in data:
            data.move_to_end(key)
        elif len(data) >= self._limit:
            data.popitem(last=False)
        data[key] = (value, None if ttl is None else monotonic() + ttl)

    @staticmethod
    def _keep_or_start(deadline: float | None, ttl: float | None) -> float | None:
        # A ttl on a counter or collection starts the clock only when none is running.
        if deadline is None and ttl is not None:
            return monotonic() + ttl
        return deadline

    def _collection(self, key: str, kind: type[C], ttl: float | None, *, create: bool) -> C:
        entry = self._live(key, ttl)
        if entry is None:
            fresh = kind()
            if create:
                self._insert(key, fresh, ttl)
            return fresh
        value, deadline = entry
        if type(value) is not kind:
            held = getattr(value, "kind", "a plain value")
            raise TypeError(f"key {key!r} holds {held}, not {kind.kind}")
        if ttl is not None and deadline is None:
            self._data[key] = (value, monotonic() + ttl)
        return value
