"""Per-process state: what a component keeps in this process's memory, and one warning
per component when that state would be split between worker processes.

A component says what it holds by carrying a ``harpia_process_local`` attribute (set on a
middleware closure with ``mark``, or a property/method of a middleware object, so a
package that does not import harpia can take part: a plain ``(component, holds, fix)``
tuple is enough). Nothing here runs per request: the app's middlewares, route
middlewares and WebSocket routes are walked when the app starts (``app.startup``) and,
with ``workers > 1``, in the supervisor before it forks (``run_workers``).

- One process: only state the user did not choose is reported (``Session()`` / ``CSRF()``
  without a store), as a note that it is bounded and lost on restart.
- ``workers > 1``: every component whose state lives in process memory is reported, once,
  as a multi-worker warning naming the fix: a ``MemoryStore`` (chosen or default) behind
  sessions, CSRF tokens, the HTTP cache or telemetry, and the in-process WebSocket
  pub/sub without a backend. Each message is logged once per process tree: the
  supervisor reports what it sees before forking (the forked workers inherit that it
  did), and only the first worker reports what components add at startup (config apps).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ._app import Harpia

logger = logging.getLogger("harpia")

ATTRIBUTE = "harpia_process_local"
REDIS_EXTRA = "pip install 'harpia-framework[redis]'"


class ProcessLocal(NamedTuple):
    """State a component keeps in this process's memory.

    Attributes:
        component: How the user wrote it: ``"Session()"``, ``"http_cache()"``.
        holds: What lives there: ``"sessions"``, ``"cached responses"``.
        fix: What shares it between processes: ``"Session(RedisStore(url))"``.
        default: The user did not choose it (no store given): noted with one process too.
        limit: The store's key limit, when it has one (shown in the note).
    """

    component: str
    holds: str
    fix: str
    default: bool = False
    limit: int | None = None


class _Run:
    """What this process knows about the run: worker count, and whether it reports."""

    workers = 1
    lead = True  # this process reports (the supervisor, then only the first worker)
    warned: set[str] = set()  # noqa: RUF012 - one set per process, inherited by forks


def mark(middleware: Any, state: ProcessLocal | None) -> None:
    """Say that ``middleware`` (a function) keeps ``state`` in process memory."""
    if state is not None:
        vars(middleware)[ATTRIBUTE] = state


def process_local_of(obj: Any) -> ProcessLocal | None:
    """What ``obj`` declares it keeps in process memory (None: nothing, or unknown)."""
    try:
        value = getattr(obj, ATTRIBUTE, None)
        if callable(value):
            value = value()
    except Exception:  # a broken declaration must never stop a start
        logger.debug("%r: reading %s failed", obj, ATTRIBUTE, exc_info=True)
        return None
    if isinstance(value, ProcessLocal):
        return value
    if (
        isinstance(value, tuple)
        and len(value) == 3
        and all(isinstance(part, str) for part in value)
    ):
        return ProcessLocal(*value)
    return None


def memory_store_limit(store: Any) -> int | bool | None:
    """``store``'s key limit when it is a ``MemoryStore`` (``None``: unbounded); ``False``
    when it is not one (its state is shared, or at least not ours to judge)."""
    from harpia_store import MemoryStore

    if not isinstance(store, MemoryStore):
        return False
    limit = getattr(store, "limit", None)
    return limit if isinstance(limit, int) else None


def _candidates(app: Harpia) -> Iterator[Any]:
    for _, middleware in app._middlewares:
        yield middleware
    routers = [app.router, *app._swapped.values()]
    for router in routers:
        for route in router:
            for endpoint in route.handlers:
                yield from getattr(endpoint, "middlewares", ())
                yield getattr(endpoint, "handler", None)


def collect(app: Harpia) -> list[ProcessLocal]:
    """Every component of ``app`` keeping state in process memory (one per component)."""
    found: dict[str, ProcessLocal] = {}
    has_websockets = False
    from ._websocket import WSRoute

    for candidate in _candidates(app):
        if isinstance(candidate, WSRoute):
            has_websockets = True
            continue
        state = process_local_of(candidate)
        if state is not None and state.component not in found:
            found[state.component] = state
    if has_websockets and app.hub.backend is None:
        hub = ProcessLocal(
            "WebSocket pub/sub (ws.subscribe, app.publish)",
            "topics and their subscribers",
            "app.pubsub(RedisPubSub(url))",
        )
        found[hub.component] = hub
    return list(found.values())


def warn_process_local(app: Harpia) -> None:
    """Log what ``app`` keeps per process, once per component (see the module notes)."""
    if not _Run.lead:
        return
    workers = _Run.workers
    for state in collect(app):
        if state.component in _Run.warned or not (workers > 1 or state.default):
            continue
        _Run.warned.add(state.component)
        if workers > 1:
            logger.warning(
                "%s keeps %s in each worker process's memory, and this server runs %d "
                "workers: each has its own copy, so a request served by another worker "
                "does not see them. Use %s (%s) or run one worker.",
                state.component,
                state.holds,
                workers,
                state.fix,
                REDIS_EXTRA,
            )
        else:
            logger.warning(
                "%s has no store: %s live in this process's memory (MemoryStore, at most "
                "%s keys, the least recently used evicted beyond that) and are lost on "
                "restart and NOT shared between worker processes (with --workers > 1 they "
                "work on one process only). Pass %s when running more than one process "
                "or many users (README: Session and CSRF).",
                state.component,
                state.holds,
                f"{state.limit:,}" if state.limit is not None else "?",
                state.fix,
            )


def start_workers(app: Harpia, workers: int) -> None:
    """In the supervisor, before forking ``workers`` workers: report what is known now."""
    _Run.workers = workers
    _Run.lead = True
    warn_process_local(app)


def forked_first_worker() -> None:
    """In the supervisor, after forking the first worker: later forks stay quiet (the
    first worker reports what the components add when it starts)."""
    _Run.lead = False
