"""Timestamps for visits: ``YYYY-MM-DDTHH:MM:SS.mmmZ`` in UTC, made cheaply.

Formatting a ``datetime`` costs about a microsecond; this formats the date and time once
per second, the milliseconds once per millisecond, and otherwise hands out the text it
already has. The first ten characters are the day a visit counts for.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime


class Clock:
    """``now()`` → the current UTC time as visit text."""

    __slots__ = ("_milli", "_prefix", "_second", "_text")

    def __init__(self) -> None:
        self._milli = -1
        self._second = -1
        self._prefix = ""
        self._text = ""

    def now(self) -> str:
        milli = int(time.time() * 1000)
        if milli == self._milli:
            return self._text
        second = milli // 1000
        if second != self._second:
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        self._milli = milli
        self._text = f"{self._prefix}.{milli % 1000:03d}Z"
        return self._text


def stamp(when: datetime) -> str:
    """An aware ``datetime`` as visit text."""
    return when.astimezone(UTC).isoformat(timespec="milliseconds")[:23] + "Z"
