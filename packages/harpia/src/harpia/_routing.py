"""harpia.Router: harpia_router's radix tree plus route middlewares, options and decorators.

Every route registers an ``Endpoint`` (its handler, its own middlewares and options) as
the single "handler" the standalone router stores; the app composes the call chain of
each endpoint once and reuses it for every request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

import harpia_router

if TYPE_CHECKING:
    from ._chain import Runner

Handler = Callable[..., Any]
H = TypeVar("H", bound=Handler)
Owner = TypeVar("Owner", bound="RouteRegistry")


class Endpoint:
    """One registered route: ``handler``, its ``middlewares`` and ``max_body_size``."""

    __slots__ = ("handler", "max_body_size", "middlewares", "runner")

    def __init__(
        self, handler: Handler, middlewares: tuple[Handler, ...], max_body_size: int | None
    ) -> None:
        for fn in (*middlewares, handler):
            if not callable(fn):
                raise TypeError(f"route handlers and middlewares must be callable, got {fn!r}")
        if max_body_size is not None and (
            isinstance(max_body_size, bool)
            or not isinstance(max_body_size, int)
            or max_body_size < 0
        ):
            raise ValueError(f"max_body_size must be an int >= 0 or None, got {max_body_size!r}")
        self.handler = handler
        self.middlewares = middlewares
        self.max_body_size = max_body_size
        self.runner: Runner | None = None  # composed by the app on first use

    def __call__(self, *args: Any) -> Any:  # the standalone router wants callables
        return self.handler(*args)

    def __repr__(self) -> str:
        return f"Endpoint({getattr(self.handler, '__qualname__', self.handler)!r})"


class _BoundVerb(Generic[Owner]):
    __slots__ = ("_method", "_owner")

    def __init__(self, owner: Owner, method: str) -> None:
        self._owner = owner
        self._method = method

    @overload
    def __call__(self, path: str, /, *, max_body_size: int | None = None) -> Callable[[H], H]: ...
    @overload
    def __call__(
        self, path: str, handler: H, /, *handlers: Handler, max_body_size: int | None = None
    ) -> H: ...
    def __call__(self, path: str, /, *handlers: Handler, max_body_size: int | None = None) -> Any:
        """Register a route (Express form) or return a decorator (no handlers given).

        ``app.get(path, mw1, mw2, handler)``: route middlewares run in order, then the
        handler. ``@app.get(path)`` registers the decorated function. ``max_body_size``
        overrides the app's request body limit for this route.
        """
        return self._owner.add(self._method, path, *handlers, max_body_size=max_body_size)


class _Verb:
    __slots__ = ("method",)

    def __init__(self, method: str) -> None:
        self.method = method

    def __get__(self, owner: Owner, kind: type | None = None) -> _BoundVerb[Owner]:
        return _BoundVerb(owner, self.method)


class RouteRegistry:
    """The verb methods shared by ``Router`` and the app; subclasses implement ``_register``."""

    get = _Verb("GET")
    post = _Verb("POST")
    put = _Verb("PUT")
    patch = _Verb("PATCH")
    delete = _Verb("DELETE")
    options = _Verb("OPTIONS")
    head = _Verb("HEAD")
    all = _Verb("*")

    def add(
        self, method: str, path: str, /, *handlers: Handler, max_body_size: int | None = None
    ) -> Any:
        """Register ``handlers`` for ``method`` and ``path``, or return a decorator."""
        if not handlers:

            def decorator(handler: H) -> H:
                self._register(method, path, Endpoint(handler, (), max_body_size))
                return handler

            return decorator
        *middlewares, handler = handlers
        self._register(method, path, Endpoint(handler, tuple(middlewares), max_body_size))
        return handler

    def ws(self, path: str, /, *args: Any, allowed_origins: Any = None) -> Any:
        """Register a WebSocket route, or return a decorator (no handlers given).

        ``ws(path, handlers)``: ``handlers`` is an object, a class (instantiated once) or
        a mapping with any of ``upgrade``, ``open``, ``message``, ``close``, ``drain``,
        ``error``. ``ws(path, mw1, mw2, handlers)``: route middlewares run for the
        handshake request first. ``@app.ws(path)`` on a class registers it.
        ``allowed_origins`` (``"same-origin"``, ``"*"`` or a list of origins) overrides
        the app's ``ws`` option for this route.
        """
        from ._websocket import WSRoute

        if not args:

            def decorator(handlers: H) -> H:
                route = WSRoute(handlers, allowed_origins)
                self._register("GET", path, Endpoint(route, (), None))
                return handlers

            return decorator
        *middlewares, handlers = args
        route = WSRoute(handlers, allowed_origins)
        self._register("GET", path, Endpoint(route, tuple(middlewares), None))
        return handlers

    def _register(self, method: str, path: str, endpoint: Endpoint) -> None:
        raise NotImplementedError


class Router(RouteRegistry):
    """A group of routes under a ``prefix``, mounted on an app with ``app.routes(router)``.

    Same API as ``harpia_router.Router`` (``get``/``post``/…/``all``, ``routes``, ``match``,
    ``allowed_methods``, iteration), plus route middlewares, the decorator form and
    ``max_body_size``.
    """

    __slots__ = ("_tree", "version")

    def __init__(self, prefix: str | None = None, *, strict_slashes: bool = False) -> None:
        self._tree = harpia_router.Router(prefix, strict_slashes=strict_slashes)
        self.version = 0

    @property
    def prefix(self) -> str:
        """The normalised prefix."""
        return self._tree.prefix

    def _register(self, method: str, path: str, endpoint: Endpoint) -> None:
        self._tree.add(method, path, endpoint)
        self.version += 1

    def routes(self, other: Router) -> None:
        """Mount ``other``'s routes under this router's prefix.

        Raises:
            TypeError: ``other`` is not a ``harpia.Router``.
            ValueError: a route conflicts with one already here (nothing is added).
        """
        if not isinstance(other, Router):
            raise TypeError(f"routes() takes a harpia.Router, got {type(other).__name__}")
        self._tree.routes(other._tree)
        self.version += 1

    def match(self, method: str, path: str) -> harpia_router.Match | None:
        """Find the route for ``method`` and raw ``path`` (see ``harpia_router``)."""
        return self._tree.match(method, path)

    def allowed_methods(self, path: str) -> frozenset[str]:
        """The methods registered for ``path`` (``"*"`` for ``all`` routes)."""
        return self._tree.allowed_methods(path)

    def __iter__(self) -> Iterator[harpia_router.Route]:
        return iter(self._tree)

    def __len__(self) -> int:
        return len(self._tree)

    def __repr__(self) -> str:
        return f"harpia.Router(prefix={self.prefix!r}, routes={len(self)})"
