"""Template rendering for responses: ``app.engine``, ``res.render``, ``res.module(...)``.

Duck-typed on purpose: any object with ``render(view, data)`` (sync, or async returning
the HTML) can be the app's engine — harpia-templates' ``TemplateEngine``, a Jinja2
adapter, an EJS-style object. ``engine.configure(app)`` calls ``app.engine.set(engine)``.

The per-request nonce. When the request has one (``req.nonce``, set by Shield) and the
engine's ``render`` takes a ``nonce`` keyword, it is passed on each call, so
``generateNonce()`` in a template returns that request's nonce — per render, never through
global state, so concurrent requests cannot see each other's.

Where renders run. A synchronous ``render`` runs on the event loop, so it holds other
requests for as long as it runs. harpia-templates bounds that by default: every render has
a work budget (``max_work``; about a second of CPU at worst, see its README) besides its
output and memory limits, and a hostile template is stopped with a ``TemplateLimitError``
(a 500). Renders are not handed to a worker thread: ``anyio.to_thread.run_sync`` costs
about 70 µs here while the reference page renders in about 350 µs, and a CPU-bound render
in a thread still holds the GIL most of the time. An engine that needs a thread can
return an awaitable from ``render`` (awaited here).
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine, Mapping

    from ._response import Response


def _takes_nonce(render: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(render).parameters.values()
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return False
    return any(
        parameter.kind is inspect.Parameter.VAR_KEYWORD
        or (parameter.name == "nonce" and parameter.kind is not inspect.Parameter.POSITIONAL_ONLY)
        for parameter in parameters
    )


class EngineSlot:
    """``app.engine``: the template engine that ``res.render`` uses."""

    __slots__ = ("_engine", "_nonce_cache")

    def __init__(self) -> None:
        self._engine: Any = None
        self._nonce_cache: dict[type, bool] = {}

    def __repr__(self) -> str:
        return f"<EngineSlot {self._engine!r}>"

    def set(self, engine: Any) -> None:
        """Use ``engine`` (any object with a callable ``render(view, data)``).

        Raises:
            TypeError: ``engine`` has no callable ``render``.
        """
        if not callable(getattr(engine, "render", None)):
            raise TypeError(f"a template engine needs a render(view, data) method, got {engine!r}")
        self._engine = engine
        self._nonce_cache.clear()

    def get(self) -> Any:
        """The engine, or None when none is set."""
        return self._engine

    async def render(
        self,
        res: Response,
        view: str,
        data: Mapping[str, Any] | None,
        module: str | None = None,
    ) -> str:
        """Render ``view`` (of ``module``) for the request ``res`` answers.

        Raises:
            RuntimeError: no engine is set.
            TypeError: the engine has no ``module()`` (when asked for one) or returned
                something other than a str.
        """
        engine = self._engine
        if engine is None:
            raise RuntimeError("no template engine: call engine.configure(app) first")
        renderer = engine
        if module is not None:
            factory = getattr(engine, "module", None)
            if not callable(factory):
                raise TypeError(f"the template engine {engine!r} has no module(name)")
            renderer = factory(module)
        request = res.request
        nonce = request.nonce if request is not None else None
        data = {} if data is None else data
        if nonce is not None and self._wants_nonce(renderer):
            result = renderer.render(view, data, nonce=nonce)
        else:
            result = renderer.render(view, data)
        if inspect.isawaitable(result):
            result = await result
        if not isinstance(result, str):
            raise TypeError(f"the template engine returned {type(result).__name__}, not str")
        return result

    def _wants_nonce(self, renderer: Any) -> bool:
        kind = type(renderer)
        wanted = self._nonce_cache.get(kind)
        if wanted is None:
            wanted = self._nonce_cache[kind] = _takes_nonce(renderer.render)
        return wanted


class ModuleRender:
    """``res.module(name)``: ``await res.module("books").render("home", data)``."""

    __slots__ = ("_name", "_res")

    def __init__(self, res: Response, name: str) -> None:
        self._res = res
        self._name = name

    def render(
        self, view: str, data: Mapping[str, Any] | None = None
    ) -> Coroutine[Any, Any, Response]:
        """Render ``view`` of this module and send it as HTML; returns the response (await
        it)."""
        self._res._pending = f"res.module({self._name!r}).render({view!r})"
        return self._render(view, data)

    async def _render(self, view: str, data: Mapping[str, Any] | None) -> Response:
        res = self._res
        if res._sent_by is not None:
            raise res.already_sent("res.module(...).render")
        html = await engine_of(res).render(res, view, data, self._name)
        if res._sent_by is not None:
            raise res.already_sent("res.module(...).render")
        return res._send_bytes(html.encode(), "text/html; charset=utf-8", "res.module(...).render")


def engine_of(res: Response) -> EngineSlot:
    """The ``app.engine`` of the app handling ``res``.

    Raises:
        RuntimeError: ``res`` does not belong to a request handled by an app.
    """
    request = res.request
    app = request.app if request is not None else None
    if app is None:
        raise RuntimeError("res.render() needs a response of a request handled by an app")
    slot: EngineSlot = app.engine
    return slot
