"""A month of plausible, deterministic traffic, for the browser test and the screenshot.

``seed`` records it and returns, per day, the counts it generated — tallied here, not
read back through the package — so a test can look for them on the page.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harpia_telemetry import Telemetry

PAGES = [
    ("/", 30),
    ("/pricing", 14),
    ("/docs/getting-started", 12),
    ("/blog/harpia-1-0", 9),
    ("/api/books", 9),
    ("/checkout", 6),
    ("/about", 5),
    ("/login", 5),
]
SOURCES: list[tuple[dict[str, Any] | None, int]] = [
    (None, 55),
    ({"utm": {"source": "google", "medium": "organic"}}, 18),
    ({"utm": {"source": "google", "medium": "cpc"}}, 10),
    ({"utm": {"source": "newsletter", "medium": "email"}}, 9),
    ({"utm": {"source": "mastodon", "medium": "social"}}, 8),
]


@dataclass
class DayTally:
    """What ``seed`` recorded for one day."""

    requests: int = 0
    errors: int = 0
    ips: set[str] = field(default_factory=set)


async def seed(telemetry: Telemetry, last_day: str, days: int = 30) -> dict[str, DayTally]:
    """Record ``days`` days of traffic ending on ``last_day``; return the tallies."""
    rng = random.Random(20240314)
    tallies: dict[str, DayTally] = {}
    end = date.fromisoformat(last_day)
    pool = [f"198.51.100.{n}" for n in range(1, 120)] + [f"2001:db8::{n:x}" for n in range(1, 40)]
    for back in range(days - 1, -1, -1):
        day = end - timedelta(days=back)
        tally = tallies.setdefault(day.isoformat(), DayTally())
        count = 50 + 4 * (days - back) + rng.randrange(40)
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        for _ in range(count):
            ip = rng.choice(pool[: 30 + 4 * (days - back)])
            path = rng.choices([p for p, _ in PAGES], [w for _, w in PAGES])[0]
            source = rng.choices([s for s, _ in SOURCES], [w for _, w in SOURCES])[0]
            ms = round(rng.lognormvariate(3.4, 0.7), 2)
            status, error = 200, None
            if path == "/checkout" and rng.random() < 0.25:
                status, ms = 500, ms + 900
                error = {"code": 500, "message": "Payment gateway timeout"}
            elif path == "/api/books" and rng.random() < 0.08:
                status, error = 503, {"code": 503, "message": "database pool exhausted"}
            elif path == "/login" and rng.random() < 0.3:
                status = 401
            when = start + timedelta(seconds=rng.randrange(86400))
            await telemetry.record(
                ip=ip, path=path, status=status, response_time_ms=ms, error=error,
                source=source, timestamp=when,
            )  # fmt: skip
            tally.requests += 1
            tally.errors += error is not None
            tally.ips.add(ip)
    return tallies
