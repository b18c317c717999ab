"""Timestamps for visits: ``YYYY-MM-DDTHH:MM:SS.mmmZ`` in UTC, made cheaply.

Formatting a ``datetime`` costs about a microsecond; this formats the date and time once
per second and only adds the milliseconds per call. The first ten characters are the day
a visit counts for.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime


class Clock:
    """``now()`` → the current UTC time as visit text."""

    __slots__ = ("_prefix", "_second")

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def now(self) -> str:
        current = time.time()
        second = int(current)
        if second != self._second:
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        return f"{self._prefix}.{int((current - second) * 1000):03d}Z"


def stamp(when: datetime) -> str:
    """An aware ``datetime`` as visit text."""
    return when.astimezone(UTC).isoformat(timespec="milliseconds")[:23] + "Z"
