"""Development mode's checks on the request chain (``Harpia(development=True)``, ``--dev``).

In development the app composes its chains from these wrappers instead of the bare
middlewares and runners; in production the chains are exactly what they would be without
this module (no timing call, no wrapper), so production pays nothing.

- **Blocking.** Each middleware and handler is timed per *hold* of the event loop: the
  coroutine is stepped by hand and every step (the code that runs between two awaits) is
  measured, less the time spent in the middlewares/handlers nested in it (each measures
  its own). A hold over ``app.slow_handler_threshold`` is logged with the route and the
  duration. Time awaited (I/O, ``await asyncio.sleep``, a worker thread) is not a hold.
- **No response.** When a chain ends without a response, the note left here says why:
  a middleware that neither called ``next()`` nor responded, a handler that returned
  without responding, or a ``res.render``/``res.file`` coroutine that was never awaited.
"""

from __future__ import annotations

import inspect
import logging
from time import perf_counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Awaitable, Generator

    from ._app import Harpia
    from ._chain import AnyHandler, Next, Runner
    from ._request import Request
    from ._response import Response

logger = logging.getLogger("harpia")

_BLOCKING_FIX = (
    "blocking work in a handler stalls every other request: use async I/O, "
    "`await anyio.to_thread.run_sync(fn)`, or run a def handler in a worker thread with "
    "thread=True (route), Router(prefix, thread=True) or Harpia(threads=True)"
)


class DevState:
    """What development mode keeps per request (on ``res._dev``)."""

    __slots__ = ("nested", "note")

    def __init__(self) -> None:
        self.nested = 0.0  # seconds measured by the components run so far
        self.note: str | None = None  # why no response was sent, when known


def state_of(res: Response) -> DevState:
    state: DevState | None = getattr(res, "_dev", None)
    if state is None:
        state = res._dev = DevState()
    return state


def name_of(fn: Any) -> str:
    """A readable name for a handler or middleware (``module.qualname``)."""
    name = getattr(fn, "__qualname__", None) or getattr(type(fn), "__qualname__", None)
    if name is None:
        return repr(fn)
    module = getattr(fn, "__module__", None)
    return f"{module}.{name}" if module and module != "__main__" else str(name)


def route_of(req: Request) -> str:
    return f"{req.method} {req.route or req.path}"


class _Timer:
    """Accounts one component's holds of the event loop and logs the slow ones."""

    __slots__ = ("app", "label")

    def __init__(self, app: Harpia, label: str) -> None:
        self.app = app
        self.label = label

    def account(self, req: Request, state: DevState, started: float, nested: float) -> None:
        elapsed = perf_counter() - started
        own = elapsed - (state.nested - nested)
        state.nested = nested + elapsed
        threshold = self.app.slow_handler_threshold
        if threshold is not None and own > threshold:
            logger.warning(
                "%s held the event loop for %.0f ms in %s (threshold %.0f ms): %s",
                self.label,
                own * 1000,
                route_of(req),
                threshold * 1000,
                _BLOCKING_FIX,
            )

    def step(self, req: Request, state: DevState, awaitable: Awaitable[Any]) -> Stepped:
        return Stepped(self, req, state, awaitable)


class Stepped:
    """Await ``awaitable`` step by step, timing each step (each hold of the loop)."""

    __slots__ = ("_awaitable", "_req", "_state", "_timer")

    def __init__(
        self, timer: _Timer, req: Request, state: DevState, awaitable: Awaitable[Any]
    ) -> None:
        self._timer = timer
        self._req = req
        self._state = state
        self._awaitable = awaitable

    def __await__(self) -> Generator[Any, Any, Any]:
        inner = self._awaitable.__await__()
        if not hasattr(inner, "send"):  # pragma: no cover - an iterator-only awaitable
            return (yield from inner)
        timer, req, state = self._timer, self._req, self._state
        value: Any = None
        error: BaseException | None = None
        while True:
            nested = state.nested
            started = perf_counter()
            try:
                yielded = inner.send(value) if error is None else inner.throw(error)
            except StopIteration as stop:
                timer.account(req, state, started, nested)
                return stop.value
            except BaseException:
                timer.account(req, state, started, nested)
                raise
            timer.account(req, state, started, nested)
            value, error = None, None
            try:
                value = yield yielded
            except GeneratorExit:
                inner.close()
                raise
            except BaseException as exc:  # cancellation and the like go to the inner one
                error = exc


class DevMiddleware:
    """A middleware, timed, noting when it neither called ``next()`` nor responded."""

    __slots__ = ("_middleware", "_name", "_timer")

    def __init__(self, app: Harpia, middleware: AnyHandler) -> None:
        self._middleware = middleware
        self._name = name_of(middleware)
        self._timer = _Timer(app, f"middleware {self._name}")

    async def __call__(self, req: Request, res: Response, nxt: Next) -> Any:
        state = state_of(res)
        nested = state.nested
        started = perf_counter()
        result = self._middleware(req, res, nxt)
        self._timer.account(req, state, started, nested)
        if inspect.isawaitable(result):
            result = await self._timer.step(req, state, result)
        if not nxt._called and not res.sent and not res.status_set and state.note is None:
            state.note = (
                f"the middleware {self._name} neither called next() nor sent a response "
                "(call `await next()` to go on, or respond with res.*)"
            )
        return result


def dev_runner(app: Harpia, runner: Runner, handler: AnyHandler) -> Runner:
    """The terminal ``runner`` of ``handler``, timed, noting a handler that sent nothing."""
    name = name_of(handler)
    timer = _Timer(app, f"handler {name}")

    async def run(req: Request, res: Response) -> None:
        state = state_of(res)
        await timer.step(req, state, runner(req, res))
        if not res.sent and not res.status_set and state.note is None:
            state.note = (
                f"the handler {name} returned without sending a response (respond with "
                "res.json/res.send/res.html/…, return a value, or set res.status(204) when "
                "an empty answer is meant; if it calls async functions, check each is "
                "awaited)"
            )

    return run


def warn_unanswered(req: Request, res: Response) -> None:
    """Log why the chain of ``req`` ended without a response (it is answered 204)."""
    pending: str | None = getattr(res, "_pending", None)
    state: DevState | None = getattr(res, "_dev", None)
    if pending is not None:
        cause = (
            f"{pending} was called without `await`, so it never ran: "
            f"write `await {pending}` (or return it)"
        )
    elif state is not None and state.note is not None:
        cause = state.note
    else:
        cause = "nothing sent a response"
    logger.warning("%s: no response was sent, answered 204 No Content: %s", route_of(req), cause)
