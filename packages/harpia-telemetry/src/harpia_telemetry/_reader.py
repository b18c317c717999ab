"""The read path: results in the README's shapes, assembled from the layout's keys.

Aggregates (requests, page views, times, errors, sources) come from a few counter maps
and cost one store call each. Per-visitor results (visitors, slow requests, errors, the
visitors of a page) list the day's visitor keys and read their lists, many at a time.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ._layout import PER_VISITOR

if TYPE_CHECKING:
    from collections.abc import Awaitable, Iterable

    from ._layout import Layout
    from ._store import TelemetryStore

CONCURRENT_READS = 32


async def gather_bounded(calls: Iterable[Awaitable[Any]]) -> list[Any]:
    """Await ``calls`` at most ``CONCURRENT_READS`` at a time, results in order."""
    pending = list(calls)
    results: list[Any] = []
    for start in range(0, len(pending), CONCURRENT_READS):
        results.extend(await asyncio.gather(*pending[start : start + CONCURRENT_READS]))
    return results


def average_ms(total_us: int, count: int) -> float:
    """Average in milliseconds, 2 decimals (0.0 for no requests)."""
    return round(total_us / count / 1000, 2) if count else 0.0


def full_visit(stored: dict[str, Any]) -> dict[str, Any]:
    """A visit as the API returns it, from its stored form (which leaves out ``None``s).

    Always a new dict, so callers cannot change what a ``MemoryStore`` holds.
    """
    return {
        "path": stored["path"],
        "method": stored["method"],
        "status": stored["status"],
        "timestamp": stored["timestamp"],
        "response_time": stored["response_time"],
        "error": stored.get("error"),
        "source": stored.get("source"),
    }


def sort_views(views: dict[str, int]) -> list[dict[str, Any]]:
    """``[{"path", "views"}]``, most viewed first, then by path."""
    ordered = sorted(views.items(), key=lambda item: (-item[1], item[0]))
    return [{"path": path, "views": count} for path, count in ordered]


class Reader:
    """Reads what ``Recorder`` wrote."""

    def __init__(self, store: TelemetryStore, layout: Layout) -> None:
        self._store = store
        self._layout = layout

    # -- days and aggregates ---------------------------------------------------------

    async def days(self) -> list[str]:
        """Every day with data, oldest first (every request adds to its day's page views)."""
        start = self._layout.kind_prefix("pages")
        return sorted(key[len(start) :] for key in set(await self._store.keys(start)))

    async def day_counters(self, day: str) -> dict[str, int]:
        """``requests``, ``rt_us``, ``errors``, ``visitors``, ``untracked`` (missing: 0).

        The first three are sums over the day's page counters (see ``_layout``).
        """
        store, layout = self._store, self._layout
        views, times, errors, counters = await asyncio.gather(
            store.get_counters(layout.pages(day)),
            store.get_counters(layout.page_rt(day)),
            store.get_counters(layout.page_errors(day)),
            store.get_counters(layout.day(day)),
        )
        return {
            "requests": sum(views.values()),
            "rt_us": sum(times.values()),
            "errors": sum(errors.values()),
            "visitors": max(0, counters.get("visitors", 0)),
            "untracked": counters.get("untracked", 0),
        }

    async def overview(self, within: set[str] | None = None) -> list[dict[str, Any]]:
        """Per day (only those ``within``, when given): date, requests, visitors, average
        time and errors, oldest first."""
        days = [day for day in await self.days() if within is None or day in within]
        all_counters = await gather_bounded(self.day_counters(day) for day in days)
        return [
            {
                "date": day,
                "total_requests": counters["requests"],
                "unique_visitors": counters["visitors"],
                "avg_response_time": average_ms(counters["rt_us"], counters["requests"]),
                "total_errors": counters["errors"],
                "untracked_requests": counters["untracked"],
            }
            for day, counters in zip(days, all_counters, strict=True)
        ]

    async def page_views(self, day: str) -> dict[str, int]:
        return await self._store.get_counters(self._layout.pages(day))

    async def page(self, day: str, path: str) -> dict[str, Any]:
        store, layout = self._store, self._layout
        views, times, errors = await asyncio.gather(
            store.get_counters(layout.pages(day)),
            store.get_counters(layout.page_rt(day)),
            store.get_counters(layout.page_errors(day)),
        )
        count = views.get(path, 0)
        visitors = sorted(
            ip
            for ip, visits in (await self.visit_lists(day)).items()
            if any(visit.get("path") == path for visit in visits)
        )
        return {
            "path": path,
            "views": count,
            "visitors": visitors,
            "avg_response_time": average_ms(times.get(path, 0), count),
            "error_count": errors.get(path, 0),
        }

    async def sources(self, day: str, source: str | None) -> dict[str, int]:
        counters = await self._store.get_counters(self._layout.sources(day))
        if source is not None:
            counters = {
                label: count
                for label, count in counters.items()
                if label.split("/", 1)[0] == source
            }
        return dict(sorted(counters.items(), key=lambda item: (-item[1], item[0])))

    # -- per visitor -----------------------------------------------------------------

    async def visitor_ips(self, kind: str, day: str) -> list[str]:
        """The IPs with a ``kind`` key (``hits``/``visits``/``errors``) on ``day``."""
        start = self._layout.kind_prefix(kind, day)
        return sorted({key[len(start) :] for key in await self._store.keys(start)})

    async def visit_lists(self, day: str) -> dict[str, list[Any]]:
        ips = await self.visitor_ips("visits", day)
        lists = await gather_bounded(
            self._store.get_list(self._layout.visits(day, ip)) for ip in ips
        )
        return dict(zip(ips, lists, strict=True))

    async def visitor(self, day: str, ip: str) -> dict[str, Any]:
        store, layout = self._store, self._layout
        hits, visits = await asyncio.gather(
            store.get(layout.hits(day, ip)), store.get_list(layout.visits(day, ip))
        )
        return {
            "total_requests": hits if isinstance(hits, int) else 0,
            "visits": [full_visit(visit) for visit in visits],
        }

    async def visitors(self, day: str) -> dict[str, dict[str, Any]]:
        ips = await self.visitor_ips("hits", day)
        records = await gather_bounded(self.visitor(day, ip) for ip in ips)
        return dict(zip(ips, records, strict=True))

    async def slow(self, day: str, threshold: float) -> list[dict[str, Any]]:
        found = [
            {
                "ip": ip,
                "path": visit["path"],
                "timestamp": visit["timestamp"],
                "response_time": visit["response_time"],
            }
            for ip, visits in (await self.visit_lists(day)).items()
            for visit in visits
            if visit["response_time"] > threshold
        ]
        found.sort(key=lambda entry: (-entry["response_time"], entry["timestamp"]))
        return found

    async def errors(self, day: str) -> list[dict[str, Any]]:
        ips = await self.visitor_ips("errors", day)
        lists = await gather_bounded(
            self._store.get_list(self._layout.errors(day, ip)) for ip in ips
        )
        found = [
            {
                "ip": ip,
                "path": visit["path"],
                "timestamp": visit["timestamp"],
                "response_time": visit["response_time"],
                "error": visit.get("error"),
            }
            for ip, visits in zip(ips, lists, strict=True)
            for visit in visits
        ]
        found.sort(key=lambda entry: entry["timestamp"], reverse=True)
        return found

    # -- erasure ---------------------------------------------------------------------

    async def erase_day(self, day: str) -> None:
        """Delete every key of ``day``."""
        store, layout = self._store, self._layout
        names = layout.per_day(day)
        for kind in PER_VISITOR:
            names.extend(set(await store.keys(layout.kind_prefix(kind, day))))
        await gather_bounded(store.delete(name) for name in names)

    async def erase_ip(self, ip: str, day: str | None) -> list[str]:
        """Delete every key of ``ip`` (on ``day`` only, when given); return the days touched.

        Each day where the IP held a visitor slot gets the slot back.
        """
        store, layout = self._store, self._layout
        doomed: list[str] = []
        touched: set[str] = set()
        slot_days: set[str] = set()
        for kind in PER_VISITOR:
            for key in set(await store.keys(layout.kind_prefix(kind, day))):
                parts = layout.split_visitor_key(kind, key)
                if parts is None or parts[1] != ip:
                    continue
                doomed.append(key)
                touched.add(parts[0])
                if kind == "hits":
                    slot_days.add(parts[0])
        await gather_bounded(store.delete(name) for name in doomed)
        for slot_day in slot_days:
            await store.incr_field(layout.day(slot_day), "visitors", -1)
        return sorted(touched)

    async def erase_all(self) -> None:
        """Delete every key under the telemetry prefix."""
        names = set(await self._store.keys(self._layout.prefix))
        await gather_bounded(self._store.delete(name) for name in names)
