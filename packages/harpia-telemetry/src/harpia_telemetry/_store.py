"""What telemetry needs from a store, and the default one."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from harpia_store import (
    MemoryStore,
    Store,
    SupportsCounters,
    SupportsIncr,
    SupportsKeys,
    SupportsLists,
    SupportsSets,
)

logger = logging.getLogger("harpia.telemetry")

REQUIRED: tuple[tuple[str, type], ...] = (
    ("Store (get/set/delete)", Store),
    ("SupportsIncr", SupportsIncr),
    ("SupportsCounters", SupportsCounters),
    ("SupportsLists", SupportsLists),
    ("SupportsSets", SupportsSets),
    ("SupportsKeys", SupportsKeys),
)

KEYS_PER_DAY_FIXED = 8
KEYS_PER_VISITOR = 3
DEFAULT_MEMORY_DAYS = 3


class TelemetryStore(
    Store[Any], SupportsIncr, SupportsCounters, SupportsLists, SupportsSets, SupportsKeys, Protocol
):
    """A store with every capability telemetry writes with (``MemoryStore``, ``RedisStore``)."""


def check_store(store: object) -> TelemetryStore:
    """Return ``store`` if it has every capability telemetry needs.

    Raises:
        TypeError: naming the missing capabilities.
    """
    missing = [name for name, protocol in REQUIRED if not isinstance(store, protocol)]
    if missing:
        raise TypeError(
            f"Telemetry needs a store with atomic counters, lists, sets and key listing "
            f"(MemoryStore or RedisStore); {type(store).__name__} lacks {', '.join(missing)}"
        )
    return store  # type: ignore[return-value]


def keys_per_day(max_visitors_keys: int) -> int:
    """The most keys one day of telemetry can hold."""
    return KEYS_PER_DAY_FIXED + KEYS_PER_VISITOR * max_visitors_keys


def check_memory_limit(store: object, max_visitors_keys: int) -> None:
    """Warn when a ``MemoryStore`` is too small for one full day of telemetry.

    Such a store evicts its least recently used keys — visitor keys and, on a busy day, the
    day's own counters among them — once the day has enough visitors, and the counts
    silently shrink.
    """
    needed = keys_per_day(max_visitors_keys)
    if isinstance(store, MemoryStore) and store.limit < needed:
        logger.warning(
            "telemetry: MemoryStore(limit=%d) can hold less than one day of telemetry "
            "(up to %d keys with max_visitors_keys=%d); its least recently used keys will be "
            "evicted when the day is busy. Use MemoryStore(limit=%d) or more, or leave store=None.",
            store.limit,
            needed,
            max_visitors_keys,
            needed * DEFAULT_MEMORY_DAYS,
        )


def default_store(max_visitors_keys: int, retention_days: int | None) -> MemoryStore:
    """A ``MemoryStore`` sized for ``retention_days`` (default 3) full days of telemetry.

    When full, the store evicts its least recently used keys first: those of the oldest
    day, which nothing touches any more.
    """
    days = retention_days or DEFAULT_MEMORY_DAYS
    return MemoryStore(limit=keys_per_day(max_visitors_keys) * days)
