"""The write path: one request becomes a handful of atomic store operations.

See ``_layout`` for the keys and why the counts stay exact. This module also keeps the
small per-process memory that saves store round trips — which paths are already admitted
for the day, whether the day's visitor cap is reached — and the failure policy: a store
error is logged (once per back-off window, not once per request) and recording pauses for
``retry_after`` seconds, so a dead Redis costs each request nothing rather than a timeout.
"""

from __future__ import annotations

import logging
from time import monotonic
from typing import TYPE_CHECKING, Any

from ._layout import OTHER_PATH, Layout

if TYPE_CHECKING:
    from ._store import TelemetryStore

logger = logging.getLogger("harpia.telemetry")

SNAPSHOT_EVERY = 10.0
"""Seconds between reloads of a full day's admitted paths (only when an unknown path comes)."""
KEEP_DAYS = 3
"""Days of per-process caches kept (today, yesterday for late requests, one spare)."""


class _DayCache:
    """What this process knows about one day (an optimisation only), and its key names."""

    __slots__ = (
        "day_key",
        "errors_prefix",
        "hits_prefix",
        "page_errors_key",
        "page_rt_key",
        "pages_key",
        "paths",
        "paths_full",
        "paths_key",
        "snapshot_at",
        "sources_key",
        "visitors_full",
        "visits_prefix",
    )

    def __init__(self, layout: Layout, day: str) -> None:
        self.day_key = layout.day(day)
        self.pages_key = layout.pages(day)
        self.page_rt_key = layout.page_rt(day)
        self.page_errors_key = layout.page_errors(day)
        self.paths_key = layout.paths(day)
        self.sources_key = layout.sources(day)
        self.hits_prefix = layout.kind_prefix("hits", day)
        self.visits_prefix = layout.kind_prefix("visits", day)
        self.errors_prefix = layout.kind_prefix("errors", day)
        self.paths: set[str] = set()
        self.paths_full = False
        self.snapshot_at = -SNAPSHOT_EVERY
        self.visitors_full = False


class Recorder:
    """Writes visits into ``store`` under ``layout``.

    Args:
        store: A store with counters, lists, sets and keys (checked by ``Telemetry``).
        layout: Key names.
        max_visitors_keys: IPs tracked per day.
        max_paths: Distinct paths counted per day (further ones count as ``(other)``).
        max_visits_per_ip: Visits (and errored visits) kept per IP per day.
        ttl: Seconds every key lives after its creation, or ``None``.
        retry_after: Seconds recording pauses after a store failure.
    """

    def __init__(
        self,
        store: TelemetryStore,
        layout: Layout,
        *,
        max_visitors_keys: int,
        max_paths: int,
        max_visits_per_ip: int,
        ttl: float | None,
        retry_after: float,
    ) -> None:
        self._store = store
        self._layout = layout
        self._max_visitors = max_visitors_keys
        self._max_paths = max_paths
        self._max_visits = max_visits_per_ip
        self._ttl = ttl
        self._retry_after = retry_after
        self._days: dict[str, _DayCache] = {}
        self._paused_until = 0.0
        self.dropped = 0
        """Records skipped or cut short because the store failed."""

    def forget(self, day: str | None = None) -> None:
        """Drop the per-process knowledge of ``day`` (or of every day) after an erasure."""
        if day is None:
            self._days.clear()
        else:
            self._days.pop(day, None)

    async def record(
        self,
        day: str,
        ip: str,
        path: str,
        response_us: int,
        visit: dict[str, Any],
        source_label: str | None,
    ) -> bool:
        """Write one visit; ``True`` when it was fully written, ``False`` on a store failure.

        Never raises for a store failure: the error is logged (rate-limited) and recording
        pauses for ``retry_after`` seconds.
        """
        if self._paused_until and monotonic() < self._paused_until:
            self.dropped += 1
            return False
        store, ttl = self._store, self._ttl
        try:
            cache = self._days.get(day) or self._new_day(day)
            error = "error" in visit
            page = path if path in cache.paths else await self._admit_path(cache, path)
            await store.incr_field(cache.pages_key, page, ttl=ttl)
            await store.incr_field(cache.page_rt_key, page, response_us, ttl=ttl)
            if error:
                await store.incr_field(cache.page_errors_key, page, ttl=ttl)
            if source_label is not None:
                await store.incr_field(cache.sources_key, source_label, ttl=ttl)
            hits_key = cache.hits_prefix + ip
            # The one request that makes the counter 1 decides whether the IP gets a slot.
            if await store.incr(hits_key, ttl=ttl) != 1 or await self._admit_visitor(
                cache, ip, hits_key
            ):
                bound = self._max_visits
                await store.append(cache.visits_prefix + ip, visit, max_len=bound, ttl=ttl)
                if error:
                    await store.append(cache.errors_prefix + ip, visit, max_len=bound, ttl=ttl)
            else:
                await store.incr_field(cache.day_key, "untracked", ttl=ttl)
        except Exception as exc:  # a broken store must never break the request
            self._failed(exc)
            return False
        return True

    def _new_day(self, day: str) -> _DayCache:
        if len(self._days) >= KEEP_DAYS:
            del self._days[min(self._days)]
        cache = self._days[day] = _DayCache(self._layout, day)
        return cache

    async def _admit_visitor(self, cache: _DayCache, ip: str, hits_key: str) -> bool:
        """Give a slot to the IP whose first request of ``day`` this is, if one is left."""
        store, ttl = self._store, self._ttl
        if not cache.visitors_full:
            slot = await store.incr_field(cache.day_key, "visitors", ttl=ttl)
            if slot <= self._max_visitors:
                cache.visitors_full = slot == self._max_visitors
                return True
            cache.visitors_full = True
            await store.incr_field(cache.day_key, "visitors", -1, ttl=ttl)
        await store.delete(hits_key)
        await store.delete(cache.visits_prefix + ip)  # a racing request may have made it
        return False

    async def _admit_path(self, cache: _DayCache, path: str) -> str:
        """``path`` when it can be counted on its own for the day, else ``(other)``."""
        store, key = self._store, cache.paths_key
        if not cache.paths_full:
            if await store.count_members(key) < self._max_paths:
                await store.add_member(key, path, ttl=self._ttl)
                cache.paths.add(path)
                return path
            cache.paths_full = True
        now = monotonic()
        if now - cache.snapshot_at >= SNAPSHOT_EVERY:
            cache.paths = await store.get_members(key)
            cache.snapshot_at = now
        return path if path in cache.paths else OTHER_PATH

    def _failed(self, exc: Exception) -> None:
        dropped = self.dropped
        self.dropped += 1
        self._paused_until = monotonic() + self._retry_after
        logger.error(
            "telemetry: recording failed, pausing for %ss (%d records dropped before): %s: %s",
            self._retry_after,
            dropped,
            type(exc).__name__,
            exc,
        )
