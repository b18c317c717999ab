"""Store outages, logged once when they begin and once when they end — not per request.

While Redis is down every request that needs the session, CSRF or cache store fails the
same way (a 503 with ``Retry-After`` for sessions and CSRF; an uncached response for the
HTTP cache). ``store_failed`` logs the first failure of a store as an ERROR naming what
was affected and the error; later failures only count. The next operation on that store
that works (``store_ok``) logs one WARNING with how long it lasted and how many failures
were seen. Outages are tracked per store object, so a Redis shared by sessions and CSRF is
one outage. ``store_ok`` costs one dict truth test while nothing is down.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field

logger = logging.getLogger("harpia.store")

_KEY = re.compile(r"key (['\"]).*?\1")


@dataclass(slots=True)
class _Outage:
    what: str
    since: float = field(default_factory=time.monotonic)
    failures: int = 0


_down: dict[int, _Outage] = {}


def store_failed(store: object, what: str, exc: BaseException) -> None:
    """A store operation of ``what`` (``"session"``, ``"csrf"``, ``"http_cache"``) failed."""
    outage = _down.get(id(store))
    if outage is None:
        outage = _down[id(store)] = _Outage(what)
        logger.error(
            "%s store unavailable (%s: %s): %s until it is back (logged once per outage)",
            what,
            type(exc).__name__,
            _KEY.sub("key …", str(exc)),  # a session key is a credential: not in logs
            "responses are not cached" if what == "http_cache" else "answering 503",
        )
    outage.failures += 1


def store_ok(store: object) -> None:
    """A store operation worked: end the store's outage, if it had one."""
    if _down:
        outage = _down.pop(id(store), None)
        if outage is not None:
            logger.warning(
                "%s store is back after %.1f s (%d failed operations)",
                outage.what,
                time.monotonic() - outage.since,
                outage.failures,
            )


def down(store: object) -> bool:
    """True while ``store`` is in an outage (for tests and health checks)."""
    return id(store) in _down
