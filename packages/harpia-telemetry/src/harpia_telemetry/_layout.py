"""Where telemetry lives in the store, and why it is exact.

Theory of operation
-------------------
Every write is one atomic store operation — a counter increment, a list append or a set
insert — never a read followed by a write. Two requests (or two worker processes sharing
one Redis) recording at the same instant therefore cannot overwrite each other: the store
adds both. Reading assembles the results from these pieces.

Each request costs as few operations as possible (on Redis every one is a round trip and,
above all, the Python client's CPU): a tracked visit without error or source is four —
its page's view and time counters, the visitor's request counter and visit list. Day
totals are not counted separately: each request adds to exactly one page counter (its
path, or ``(other)``), so the day's requests, time and errors are the sums of the page
counters.

Keys, all under the telemetry prefix (``telemetry:`` by default), for one UTC day ``D``:

===========================  ===========  ==================================================
key                          kind         holds
===========================  ===========  ==================================================
``day:D``                    counters     ``visitors`` (IPs admitted under the cap),
                                          ``untracked`` (requests of visitors past it)
``pages:D``                  counters     views per path (their sum: the day's requests)
``page_rt:D``                counters     response time per path, summed in µs
``page_errors:D``            counters     errors per path
``paths:D``                  set          the paths admitted under ``max_paths``
``sources:D``                counters     visits per ``source/medium``
``hits:D:IP``                integer      requests of this visitor (exact)
``visits:D:IP``              list         this visitor's newest visits (``max_visits_per_ip``)
``errors:D:IP``              list         this visitor's newest errored visits (same bound)
===========================  ===========  ==================================================

A visit is stored as ``{"path", "method", "status", "timestamp", "response_time"}`` plus
``"error"`` and ``"source"`` only when it has them; readers rebuild the full shape.

Why per-visitor keys rather than one hash per day keyed by IP: erasure. ``delete(ip=)``
must remove every trace of an address, and a store can delete a key but has no atomic
"remove one field". With one key per visitor, erasure is a plain delete, and the day's
aggregates (requests, page views, times) — which hold no address — stay correct.

The visitor cap: the first request of an IP on a day is the one whose ``incr(hits:D:IP)``
returns 1 — exactly one request sees that, whatever the concurrency. It then takes a slot
with ``incr_field(day:D, "visitors")``; a result above ``max_visitors_keys`` gives the slot
back (``-1``) and deletes the hits key, so the visitor is counted in the day's totals (and
``untracked``) but nothing is kept under its address. ``visitors`` is therefore exactly the
number of IPs tracked that day, and erasing one gives its slot back.

Expiry: with ``retention_days``, every key gets that many days of ttl when it is created
(the store starts the clock on first write and never pushes it back).
"""

from __future__ import annotations

from dataclasses import dataclass

OTHER_PATH = "(other)"
"""Page views of paths beyond ``max_paths`` for the day are counted under this name."""

PER_DAY = ("day", "pages", "page_rt", "page_errors", "paths", "sources")
PER_VISITOR = ("hits", "visits", "errors")


@dataclass(frozen=True, slots=True)
class Layout:
    """Key names under ``prefix``."""

    prefix: str

    def day(self, day: str) -> str:
        return f"{self.prefix}day:{day}"

    def pages(self, day: str) -> str:
        return f"{self.prefix}pages:{day}"

    def page_rt(self, day: str) -> str:
        return f"{self.prefix}page_rt:{day}"

    def page_errors(self, day: str) -> str:
        return f"{self.prefix}page_errors:{day}"

    def paths(self, day: str) -> str:
        return f"{self.prefix}paths:{day}"

    def sources(self, day: str) -> str:
        return f"{self.prefix}sources:{day}"

    def hits(self, day: str, ip: str) -> str:
        return f"{self.prefix}hits:{day}:{ip}"

    def visits(self, day: str, ip: str) -> str:
        return f"{self.prefix}visits:{day}:{ip}"

    def errors(self, day: str, ip: str) -> str:
        return f"{self.prefix}errors:{day}:{ip}"

    def per_day(self, day: str) -> list[str]:
        """The keys of one day that hold no address."""
        return [f"{self.prefix}{kind}:{day}" for kind in PER_DAY]

    def kind_prefix(self, kind: str, day: str | None = None) -> str:
        """``prefix + kind + ":"`` (+ ``day:`` when given), for listing keys."""
        return f"{self.prefix}{kind}:" + (f"{day}:" if day is not None else "")

    def split_visitor_key(self, kind: str, key: str) -> tuple[str, str] | None:
        """``(day, ip)`` of a ``hits``/``visits``/``errors`` key, or ``None``."""
        start = self.kind_prefix(kind)
        if not key.startswith(start):
            return None
        day, sep, ip = key[len(start) :].partition(":")
        return (day, ip) if sep and ip else None
