"""harpia.Router: harpia_router's radix tree plus route middlewares, options and decorators.

Every route registers an ``Endpoint`` (its handler, its own middlewares and options) as
the single "handler" the standalone router stores; the app composes the call chain of
each endpoint once and reuses it for every request.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

import harpia_router

from ._checks import check_callable, check_path

if TYPE_CHECKING:
    from ._chain import Runner
    from ._types import Handler, Middleware

AnyHandler = Callable[..., Any]  # as stored: the types are checked when a route is added
H = TypeVar("H", bound="Handler")
W = TypeVar("W")
Owner = TypeVar("Owner", bound="RouteRegistry")


def is_async(fn: Any) -> bool:
    """True for an ``async def`` function, or an object whose ``__call__`` is one."""
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - the method itself, not callability
    )


class Endpoint:
    """One registered route: ``handler``, its ``middlewares``, ``max_body_size``, ``thread``."""

    __slots__ = ("handler", "max_body_size", "middlewares", "runner", "thread")

    def __init__(
        self,
        handler: AnyHandler,
        middlewares: tuple[AnyHandler, ...],
        max_body_size: int | None,
        thread: bool | None = None,
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
        if thread is not None and not isinstance(thread, bool):
            raise TypeError(f"thread must be a bool or None, got {thread!r}")
        self.handler = handler
        self.middlewares = middlewares
        self.max_body_size = max_body_size
        self.thread = thread  # None: the router's, then the app's choice
        self.runner: Runner | None = None  # composed by the app on first use

    def __call__(self, *args: Any) -> Any:  # the standalone router wants callables
        return self.handler(*args)

    def __repr__(self) -> str:
        return f"Endpoint({getattr(self.handler, '__qualname__', self.handler)!r})"


class _BoundVerb(Generic[Owner]):
    """``app.get`` & co. Typed so that ``mypy --strict`` checks handlers and middlewares:
    the last callable is a ``Handler`` ``(req, res)``, the ones before it ``Middleware``
    ``(req, res, next)`` (up to four typed one by one; beyond, each is either)."""

    __slots__ = ("_method", "_owner")

    def __init__(self, owner: Owner, method: str) -> None:
        self._owner = owner
        self._method = method

    @overload
    def __call__(
        self, path: str, /, *, max_body_size: int | None = None, thread: bool | None = None
    ) -> Callable[[H], H]: ...
    @overload
    def __call__(
        self,
        path: str,
        handler: H,
        /,
        *,
        max_body_size: int | None = None,
        thread: bool | None = None,
    ) -> H: ...
    @overload
    def __call__(
        self,
        path: str,
        m1: Middleware,
        handler: H,
        /,
        *,
        max_body_size: int | None = None,
        thread: bool | None = None,
    ) -> H: ...
    @overload
    def __call__(
        self,
        path: str,
        m1: Middleware,
        m2: Middleware,
        handler: H,
        /,
        *,
        max_body_size: int | None = None,
        thread: bool | None = None,
    ) -> H: ...
    @overload
    def __call__(
        self,
        path: str,
        m1: Middleware,
        m2: Middleware,
        m3: Middleware,
        handler: H,
        /,
        *,
        max_body_size: int | None = None,
        thread: bool | None = None,
    ) -> H: ...
    @overload
    def __call__(
        self,
        path: str,
        m1: Middleware,
        m2: Middleware,
        m3: Middleware,
        m4: Middleware,
        handler: H,
        /,
        *,
        max_body_size: int | None = None,
        thread: bool | None = None,
    ) -> H: ...
    @overload
    def __call__(
        self,
        path: str,
        m1: Middleware,
        m2: Middleware,
        m3: Middleware,
        m4: Middleware,
        m5: Middleware,
        /,
        *more: Middleware | Handler,
        max_body_size: int | None = None,
        thread: bool | None = None,
    ) -> Any: ...
    def __call__(
        self,
        path: str,
        /,
        *handlers: AnyHandler,
        max_body_size: int | None = None,
        thread: bool | None = None,
    ) -> Any:
        """Register a route (Express form) or return a decorator (no handlers given).

        ``app.get(path, mw1, mw2, handler)``: route middlewares run in order, then the
        handler. ``@app.get(path)`` registers the decorated function. ``max_body_size``
        overrides the app's request body limit for this route; ``thread=True`` runs a
        plain ``def`` handler in a worker thread (``False``: on the event loop, whatever
        the router or app says).

        Raises:
            ValueError: a ``{name}``/``<name>`` segment in ``path`` (write ``:name``).
            TypeError: a handler that cannot take ``(req, res)`` or a middleware that
                cannot take ``(req, res, next)``; ``thread=True`` for an async handler.
        """
        return self._owner.add(
            self._method, path, *handlers, max_body_size=max_body_size, thread=thread
        )


class _Verb:
    __slots__ = ("method",)

    def __init__(self, method: str) -> None:
        self.method = method

    def __get__(self, owner: Owner, kind: type | None = None) -> _BoundVerb[Owner]:
        return _BoundVerb(owner, self.method)


def _route_name(method: str, path: str) -> str:
    return f"route {'ALL' if method == '*' else method.upper()} {path!r}"


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

    _thread: bool | None = None  # a Router's default for its routes' ``thread``

    def add(
        self,
        method: str,
        path: str,
        /,
        *handlers: Middleware | Handler,
        max_body_size: int | None = None,
        thread: bool | None = None,
    ) -> Any:
        """Register ``handlers`` for ``method`` and ``path``, or return a decorator.

        The verbs (``get``, ``post``…) are typed more closely: there the last callable
        must be a ``Handler`` and the ones before it ``Middleware``.

        Raises:
            ValueError: a ``{name}``/``<name>`` segment in ``path`` (write ``:name``).
            TypeError: a handler or middleware whose signature does not fit, or
                ``thread=True`` for an async handler.
        """
        where = _route_name(method, path)
        check_path(path, where)
        if thread is not None and not isinstance(thread, bool):
            raise TypeError(f"{where}: thread must be a bool or None, got {thread!r}")
        if not handlers:

            def decorator(handler: W) -> W:
                self._register(
                    method, path, self._endpoint(where, handler, (), max_body_size, thread)
                )
                return handler

            return decorator
        *middlewares, handler = handlers
        endpoint = self._endpoint(where, handler, tuple(middlewares), max_body_size, thread)
        self._register(method, path, endpoint)
        return handler

    def _endpoint(
        self,
        where: str,
        handler: Any,
        middlewares: tuple[AnyHandler, ...],
        max_body_size: int | None,
        thread: bool | None,
    ) -> Endpoint:
        for middleware in middlewares:
            check_callable(middleware, 3, "middleware", where)
        check_callable(handler, 2, "handler", where)
        if thread and is_async(handler):
            raise TypeError(
                f"{where}: thread=True is for plain def handlers; {handler!r} is async "
                "and runs on the event loop (await anyio.to_thread.run_sync(fn) inside it "
                "for blocking work)"
            )
        return Endpoint(
            handler, middlewares, max_body_size, self._thread if thread is None else thread
        )

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

        where = f"WebSocket route {path!r}"
        check_path(path, where)
        if not args:

            def decorator(handlers: W) -> W:
                route = WSRoute(handlers, allowed_origins)
                self._register("GET", path, Endpoint(route, (), None, False))
                return handlers

            return decorator
        *middlewares, handlers = args
        for middleware in middlewares:
            check_callable(middleware, 3, "middleware", where)
        route = WSRoute(handlers, allowed_origins)
        self._register("GET", path, Endpoint(route, tuple(middlewares), None, False))
        return handlers

    def _register(self, method: str, path: str, endpoint: Endpoint) -> None:
        raise NotImplementedError


class Router(RouteRegistry):
    """A group of routes under a ``prefix``, mounted on an app with ``app.routes(router)``.

    Same API as ``harpia_router.Router`` (``get``/``post``/…/``all``, ``routes``, ``match``,
    ``allowed_methods``, iteration), plus route middlewares, the decorator form and
    ``max_body_size``.
    """

    __slots__ = ("_thread", "_tree", "version")

    def __init__(
        self,
        prefix: str | None = None,
        *,
        strict_slashes: bool = False,
        thread: bool | None = None,
    ) -> None:
        """
        Args:
            prefix: Mounted under this path (``Router("/api/books")``).
            strict_slashes: See harpia-router.
            thread: Default ``thread=`` of this router's routes: ``True`` runs their plain
                ``def`` handlers in worker threads (async ones stay on the event loop).

        Raises:
            ValueError: a ``{name}``/``<name>`` segment in ``prefix``.
        """
        if prefix is not None:
            check_path(prefix, f"Router prefix {prefix!r}")
        if thread is not None and not isinstance(thread, bool):
            raise TypeError(f"Router thread must be a bool or None, got {thread!r}")
        self._tree = harpia_router.Router(prefix, strict_slashes=strict_slashes)
        self._thread = thread
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
