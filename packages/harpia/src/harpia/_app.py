"""The application: routes, middleware, lifecycle hooks and the one request pipeline.

``Harpia.handle(request) -> Response`` is the pipeline. The native server, the ASGI
adapter and the test client all call it, so they cannot disagree: method override,
routing, 404/405, automatic HEAD, body limits, middleware chains, return values and error
responses all happen here and nowhere else. ``handle`` never raises (but for
cancellation): every failure becomes a response.

Chains are composed once per endpoint (on its first request) and reused; a request pays
for a route lookup and the calls.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, overload

from ._after import AFTER_SHUTDOWN_TIMEOUT, AfterTasks
from ._chain import AnyHandler, Chain, handler_runner, render_exception
from ._checks import check_callable, check_path
from ._cors import CorsPolicy, CorsTable
from ._errors import HTTPError
from ._form_peek import OVERRIDE_PEEK, peek_urlencoded
from ._forms import DEFAULT_MAX_FORM_FIELDS, DEFAULT_MAX_FORM_SIZE, check_limit
from ._lifespan import Lifespans
from ._pubsub import Hub
from ._response import Response
from ._routing import Endpoint, Router, RouteRegistry, is_async
from ._static import StaticFiles, StaticMount
from ._ws_options import WSOptions

if TYPE_CHECKING:
    import os
    from typing import Unpack

    from harpia_router import Match
    from harpia_shield import SecurityHeaders, Shield

    from ._compress import Compress
    from ._cors import CorsOptions
    from ._lifespan import LifespanFactory
    from ._pubsub import PubSubBackend
    from ._request import Request
    from ._server._config import ListenOptions
    from ._shield import AppShield
    from ._types import Handler, Middleware

Hook = Callable[[], Awaitable[None] | None]

DEFAULT_MAX_BODY = 16 * 1024 * 1024
DEFAULT_SLOW_HANDLER_THRESHOLD = 0.1  # seconds a handler may hold the loop in development
_OVERRIDABLE = ("PUT", "PATCH", "DELETE")
_ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class Harpia(RouteRegistry):
    """An Express-style web application; also an ASGI 3 application.

    Args:
        development: Show tracebacks in 500 responses (never in production) and check
            every request: a chain that sends no response, a handler or middleware that
            holds the event loop over ``slow_handler_threshold`` are logged (warnings).
        trust_proxy: Take ``req.ip`` from ``X-Forwarded-For``.
        max_request_body_size: Default body limit in bytes (413 beyond it); a route can
            override it with ``max_body_size=``.
        method_override: Route a POST as the PUT, PATCH or DELETE named by its
            ``X-HTTP-Method-Override`` header or the ``_method`` field at the start of its
            urlencoded body — only when a route for that method exists at the path.
        max_form_fields: Most fields ``req.form()`` accepts (413 beyond); for multipart,
            the parts that are not files saved by ``Upload``.
        max_form_size: Most bytes ``req.form()`` reads for an urlencoded body, or for the
            plain fields of a multipart one together (413 beyond).
        slow_handler_threshold: In development, log a handler or middleware that holds
            the event loop longer than this many seconds at once (``None``: never).
        threads: Run every plain ``def`` handler in a worker thread
            (``anyio.to_thread.run_sync``); a route or router's ``thread=`` wins.
        lifespan: ``(app) -> async context manager`` entered at startup and exited at
            shutdown; the dict it yields starts every ``req.state`` (see ``lifespan()``).

    Raises:
        ValueError: a limit that is not a positive int, or a negative threshold.
        TypeError: ``lifespan`` is not callable.
    """

    def __init__(
        self,
        *,
        development: bool = False,
        trust_proxy: bool = False,
        max_request_body_size: int = DEFAULT_MAX_BODY,
        method_override: bool = True,
        max_form_fields: int = DEFAULT_MAX_FORM_FIELDS,
        max_form_size: int = DEFAULT_MAX_FORM_SIZE,
        slow_handler_threshold: float | None = DEFAULT_SLOW_HANDLER_THRESHOLD,
        threads: bool = False,
        lifespan: LifespanFactory | None = None,
    ) -> None:
        self._version = -1
        self._development = bool(development)
        self._threads = _check_bool("threads", threads)
        self.slow_handler_threshold = slow_handler_threshold
        self.trust_proxy = trust_proxy
        self.max_request_body_size = max_request_body_size
        self.method_override = bool(method_override)
        self.max_form_fields = check_limit("max_form_fields", max_form_fields)
        self.max_form_size = check_limit("max_form_size", max_form_size)
        self.logger = logging.getLogger("harpia")
        self.state: dict[str, Any] = {}
        from ._views import EngineSlot

        self.engine = EngineSlot()  # res.render's template engine: engine.configure(app)
        self._router = Router()
        self._swapped: dict[str, Router] = {}  # swap_routes(): routers replaced as a whole
        self._middlewares: list[tuple[str | None, AnyHandler]] = []
        self._chained: list[tuple[str | None, AnyHandler]] = []  # as run (development wraps)
        self._global: tuple[AnyHandler, ...] = ()
        self._has_prefixed = False
        self._not_found: AnyHandler | None = None
        self._not_found_methods: frozenset[str] | None = None
        self._startup: list[Hook] = []
        self._shutdown: list[Hook] = []
        self._started = False
        self._cors: CorsTable | None = None
        self._static: StaticFiles | None = None
        self._shield: AppShield | None = None
        self.hub = Hub()
        self.ws_options = WSOptions()
        self.after_tasks = AfterTasks()  # res.after(): counted, awaited before shutdown
        self._lifespans = Lifespans()
        if lifespan is not None:
            self._lifespans.add(lifespan)

    def __repr__(self) -> str:
        return f"<Harpia routes={len(self._router)} middlewares={len(self._middlewares)}>"

    @property
    def development(self) -> bool:
        """Development mode: tracebacks in 500s and the checks of ``harpia._dev``.

        Setting it (the server does for ``development=``/``--dev``) recomposes the chains
        on the next request, so production chains carry none of development's wrappers.
        """
        return self._development

    @development.setter
    def development(self, value: bool) -> None:
        self._development = bool(value)
        self._version = -1

    @property
    def threads(self) -> bool:
        """Whether plain ``def`` handlers run in worker threads by default."""
        return self._threads

    @threads.setter
    def threads(self, value: bool) -> None:
        self._threads = _check_bool("threads", value)
        self._version = -1

    @property
    def slow_handler_threshold(self) -> float | None:
        """Seconds a handler may hold the event loop before development mode logs it."""
        return self._slow_threshold

    @slow_handler_threshold.setter
    def slow_handler_threshold(self, value: float | None) -> None:
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0
        ):
            raise ValueError(
                f"slow_handler_threshold must be a number of seconds >= 0 or None, got {value!r}"
            )
        self._slow_threshold = None if value is None else float(value)

    # -- building the app ---------------------------------------------------------------

    def _register(self, method: str, path: str, endpoint: Endpoint) -> None:
        self._router._register(method, path, endpoint)

    @overload
    def use(self, prefix: str, /, *middlewares: Middleware) -> None: ...
    @overload
    def use(self, /, *middlewares: Middleware) -> None: ...
    def use(self, /, *args: str | AnyHandler) -> None:
        """Add middleware: ``use(mw, ...)`` for every request, ``use("/prefix", mw, ...)``
        for requests whose path is the prefix or below it. They run in the order added.

        Raises:
            TypeError: a middleware is not callable or cannot take ``(req, res, next)``,
                or no middleware is given.
            ValueError: a ``{name}``/``<name>`` segment in the prefix.
        """
        prefix: str | None = None
        middlewares = list(args)
        if middlewares and isinstance(middlewares[0], str):
            first = middlewares.pop(0)
            assert isinstance(first, str)
            check_path(first, f"app.use({first!r})")
            prefix = "/" + first.strip("/") if first.strip("/") else None
        if not middlewares:
            raise TypeError("use() needs at least one middleware")
        where = f"app.use({prefix!r})" if prefix else "app.use()"
        checked: list[AnyHandler] = []
        for mw in middlewares:
            check_callable(mw, 3, "middleware", where)
            checked.append(mw)  # type: ignore[arg-type]  # callable, not a str
        self._middlewares.extend((prefix, mw) for mw in checked)
        self._router.version += 1

    def routes(self, router: Router) -> None:
        """Mount a ``harpia.Router``."""
        self._router.routes(router)

    def swap_routes(self, name: str, router: Router | None) -> None:
        """Put ``router`` in the slot ``name``, replacing the router that was there.

        Unlike ``routes()``, which merges routes for good, a slot can be swapped or emptied
        (``None``) while the app runs: live components (the ``routes`` built-in) reload a
        module and swap its new router in. Routes added with ``routes()``/``get()``… win
        over slotted ones; slots are tried in the order they were first filled.

        Raises:
            TypeError: ``router`` is neither a ``harpia.Router`` nor None.
        """
        if router is None:
            self._swapped.pop(name, None)
        elif not isinstance(router, Router):
            raise TypeError(f"swap_routes() takes a harpia.Router or None, got {router!r}")
        else:
            self._swapped[name] = router

    def set_not_found(self, handler: Handler, methods: list[str] | None = None) -> None:
        """Answer unmatched requests with ``handler`` (for ``methods`` only, if given).

        Raises:
            TypeError: ``handler`` is not callable or cannot take ``(req, res)``.
        """
        check_callable(handler, 2, "not-found handler", "app.set_not_found()")
        self._not_found = handler
        self._not_found_methods = frozenset(m.upper() for m in methods) if methods else None
        self._router.version += 1

    def shield(
        self, options: Shield | SecurityHeaders | dict[str, Any] | None = None, /, **kwargs: Any
    ) -> Shield:
        """Send security headers on every response (harpia-shield); returns the ``Shield``.

        ``options`` is a ``SecurityHeaders``, a dict (snake_case or camelCase keys), a
        ``Shield``, or None with keyword options. With ``use_nonce`` every request gets a
        fresh nonce (``req.nonce``, ``generateNonce()`` in templates) placed in the CSP.
        Calling it again replaces the previous configuration.

        Raises:
            ValueError: an invalid option (the message names the field).
            TypeError: an unknown option.
        """
        from ._shield import make_shield

        self._shield = make_shield(options, **kwargs)
        return self._shield.shield

    def compress(self, **options: Any) -> Compress:
        """Compress responses (gzip; brotli and zstd when installed) for every request.

        The middleware goes in front of all others, whenever this is called, so that it
        sees each response last; options are ``Compress``'s (``minimum_size=500``,
        ``gzip_level=4``, ``brotli_quality=5``, ``zstd_level=3``, ``encodings``,
        ``compressible``). Calling it again replaces the previous one. Returns it.

        Raises:
            ValueError: an invalid option value (named in the message).
            TypeError: an unknown option or one of the wrong type.
        """
        from ._compress import Compress

        middleware = Compress(**options)
        kept = [item for item in self._middlewares if not isinstance(item[1], Compress)]
        self._middlewares[:] = [(None, middleware), *kept]
        self._router.version += 1
        return middleware

    def cors(
        self,
        options: CorsOptions | Mapping[str, Any] | None = None,
        path: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Answer CORS for every path (``path=None``) or for ``path`` and below.

        ``options`` (a ``CorsOptions`` dict, or keyword arguments) are described in the
        README; several path-scoped configurations may coexist (the longest matching path
        wins) and calling again for the same path replaces its configuration.

        Raises:
            ValueError: an unknown option or an invalid value.
            TypeError: an option of the wrong type.
        """
        policy = CorsPolicy({**(options or {}), **kwargs})
        if self._cors is None:
            self._cors = CorsTable()
        self._cors.add(policy, path)

    def static(
        self,
        directory: str | os.PathLike[str],
        url_path: str = "/",
        *,
        index: str | None = "index.html",
        max_age: int = 0,
        dotfiles: bool = False,
    ) -> None:
        """Serve the files of ``directory`` under ``url_path`` (GET and HEAD).

        Routes win over files; a missing file falls through to the next mount, then to the
        404. Files get a content type from their extension, ``ETag``/``Last-Modified``
        (304), byte ranges (206, 416) and ``Cache-Control: public, max-age=<max_age>``.
        A folder answers with its ``index`` file (``None``: 404). Nothing outside the
        folder is ever served, and names starting with ``.`` only with ``dotfiles=True``.

        Raises:
            ValueError: ``directory`` is not an existing folder, or an invalid argument.
            TypeError: an argument of the wrong type.
        """
        mount = StaticMount(directory, url_path, index=index, max_age=max_age, dotfiles=dotfiles)
        self._static_files().add(mount)

    def on_startup(self, fn: Hook) -> Hook:
        """Run ``fn`` (sync or async) before the first request; usable as a decorator."""
        self._startup.append(fn)
        return fn

    def on_shutdown(self, fn: Hook) -> Hook:
        """Run ``fn`` (sync or async) when the server stops; usable as a decorator."""
        self._shutdown.append(fn)
        return fn

    def lifespan(self, fn: LifespanFactory) -> LifespanFactory:
        """Add a lifespan: ``fn(app)`` returns an async context manager, entered at startup
        (before the ``on_startup`` hooks) and exited at shutdown (after the
        ``on_shutdown`` hooks); usable as a decorator (on an ``asynccontextmanager``).

        The dict it yields (or ``None``) is the lifespan state: every request starts with a
        shallow copy of it in ``req.state``. Several lifespans are entered in the order
        added, exited in reverse, their states merged.

        Raises:
            TypeError: ``fn`` is not callable.
        """
        self._lifespans.add(fn)
        return fn

    @property
    def lifespan_state(self) -> dict[str, Any]:
        """The state the lifespans yielded (empty until startup and after shutdown)."""
        return self._lifespans.state

    def pubsub(self, backend: PubSubBackend | None) -> None:
        """Carry WebSocket pub/sub through ``backend`` (``RedisPubSub(url)``; ``None``:
        in-process). The backend connects at startup and disconnects at shutdown."""
        self.hub.backend = backend

    async def publish(self, topic: str, message: str | bytes) -> int:
        """Publish ``message`` to every WebSocket subscribed to ``topic``.

        Returns:
            The number of local deliveries (0 with a backend: delivery is asynchronous).
        """
        return await self.hub.publish(topic, message)

    async def startup(self) -> None:
        """Enter the lifespans, then run the startup hooks, once (servers and the test
        client call this)."""
        if self._started:
            return
        await self._lifespans.enter(self)  # lifespans first: hooks may use their state
        try:
            for hook in self._startup:  # a failing hook propagates; the next call tries again
                result = hook()
                if inspect.isawaitable(result):
                    await result
            if self.hub.backend is not None:
                await self.hub.backend.start(self.hub)
        except BaseException:
            await self._lifespans.exit()
            raise
        from ._process_state import warn_process_local

        warn_process_local(self)  # state split between workers: one warning per component
        self._started = True

    async def shutdown(self) -> None:
        """If startup ran: wait for after-response tasks still running (at most
        ``AFTER_SHUTDOWN_TIMEOUT``), run the shutdown hooks (in reverse order), then exit
        the lifespans."""
        if not self._started:
            return
        self._started = False
        await self.after_tasks.join(AFTER_SHUTDOWN_TIMEOUT)
        try:
            if self.hub.backend is not None:
                await self.hub.backend.stop()
            for hook in reversed(self._shutdown):
                result = hook()
                if inspect.isawaitable(result):
                    await result
        finally:
            await self._lifespans.exit()  # last: hooks may still use its state

    @property
    def router(self) -> Router:
        """The app's root router (for listing routes)."""
        return self._router

    # -- the pipeline ---------------------------------------------------------------

    def _compose(self) -> None:
        """(Re)build what every request reuses, after routes or middleware changed.

        In development every middleware and handler is wrapped by ``harpia._dev``'s checks;
        in production the chains are the bare functions.
        """
        if self._development:
            from ._dev import DevMiddleware

            self._chained = [(prefix, DevMiddleware(self, mw)) for prefix, mw in self._middlewares]
        else:
            self._chained = list(self._middlewares)
        self._global = tuple(mw for prefix, mw in self._chained if prefix is None)
        self._has_prefixed = any(prefix is not None for prefix, _ in self._chained)
        for router in (self._router, *self._swapped.values()):
            for route in router:
                for endpoint in route.handlers:
                    if isinstance(endpoint, Endpoint):
                        endpoint.runner = None
        self._version = self._router.version

    def _middlewares_for(self, path: str) -> tuple[AnyHandler, ...]:
        return tuple(
            mw
            for prefix, mw in self._chained
            if prefix is None or path == prefix or path.startswith(prefix + "/")
        )

    async def handle(self, request: Request) -> Response:
        """Run ``request`` through the app and return the response (never raises)."""
        if self._version != self._router.version:
            self._compose()
        if request.app is None:
            request.app = self
            request.trust_proxy = self.trust_proxy
        if self._lifespans.state:  # a copy per request; keys already set win
            request.state = {**self._lifespans.state, **request.state}
        res = Response()
        res.request = request
        cors = self._cors.lookup(request.path) if self._cors is not None else None
        shield = self._shield
        if shield is not None:
            shield_headers = shield.start(request) if shield.use_nonce else shield.raw
        try:
            if cors is None or not cors.preflight(request, res):  # preflights skip routing
                middlewares = (
                    self._middlewares_for(request.path) if self._has_prefixed else self._global
                )
                method = request.method
                if method == "POST" and self.method_override:
                    method = await self._override(request)
                terminal = self._route(request, method)
                if middlewares:
                    await Chain(middlewares, terminal)(request, res)
                else:
                    await terminal(request, res)
        except Exception as exc:
            render_exception(request, res, exc)
        if not res.sent:
            if not res.status_set:
                res.status_code = 204
                if self._development:
                    from ._dev import warn_unanswered

                    warn_unanswered(request, res)
            res.sent = True
        if cors is not None:
            cors.apply(request, res)  # on error responses too
        if shield is not None:  # inline fast path: the handler set only names known clear
            for name, _ in res.headers._items:
                if name not in shield.clear:
                    shield.finish(res, shield_headers)
                    break
            else:
                res.raw_extra = shield_headers
        if request.method == "HEAD":
            _strip_body(res)
        return res

    def _route(
        self, request: Request, method: str
    ) -> Callable[[Request, Response], Awaitable[None]]:
        """Find the terminal runner for ``request`` routed as ``method`` (route, 405, 404)."""
        router = self._router
        match = router.match(method, request.raw_path)
        if match is None and method == "HEAD":
            match = router.match("GET", request.raw_path)
        if match is None and self._swapped:
            match = self._match_swapped(method, request.raw_path)
        if match is None:
            return self._unmatched(request, method)
        endpoint = match.handlers[0]
        assert isinstance(endpoint, Endpoint)
        request.params = match.params
        request.route = match.route
        limit = endpoint.max_body_size
        request.body_limit = self.max_request_body_size if limit is None else limit
        runner = endpoint.runner
        if runner is None:
            runner = endpoint.runner = self._endpoint_runner(endpoint)
        return runner

    def _endpoint_runner(
        self, endpoint: Endpoint
    ) -> Callable[[Request, Response], Awaitable[None]]:
        """Compose the chain of ``endpoint``: its middlewares, then its handler."""
        handler = endpoint.handler
        thread = self._threads if endpoint.thread is None else endpoint.thread
        run = handler_runner(handler, check_length=True, thread=thread and not is_async(handler))
        middlewares = endpoint.middlewares
        if self._development:
            from ._dev import DevMiddleware, dev_runner

            run = dev_runner(self, run, handler)
            middlewares = tuple(DevMiddleware(self, mw) for mw in middlewares)
        if middlewares:
            return Chain(middlewares, run)
        return run

    def _match_swapped(self, method: str, raw_path: str) -> Match | None:
        for router in tuple(self._swapped.values()):
            match = router.match(method, raw_path)
            if match is None and method == "HEAD":
                match = router.match("GET", raw_path)
            if match is not None:
                return match
        return None

    def _static_files(self) -> StaticFiles:
        """The app's static mounts (created on first use; components add their own)."""
        if self._static is None:
            self._static = StaticFiles()
        return self._static

    async def _override(self, request: Request) -> str:
        """The method a POST asks to be routed as (``X-HTTP-Method-Override``/``_method``).

        Only a method with a route at the request's path is taken, so that no body is
        read for any other request; ``_method`` is looked for in the body's first
        ``OVERRIDE_PEEK`` bytes only, and those bytes are pushed back for the route.
        """
        raw_path = request.raw_path
        header = request.headers.get("x-http-method-override")
        if header is not None:
            wanted = header.strip().upper()
            if wanted in _OVERRIDABLE and self._routable(wanted, raw_path):
                request.method = wanted
                return wanted
            return "POST"
        if request.content_type != "application/x-www-form-urlencoded":
            return "POST"
        candidates = [method for method in _OVERRIDABLE if self._routable(method, raw_path)]
        if not candidates:
            return "POST"
        request.body_limit = None  # the peek is bounded; the route's limit applies after
        value = await peek_urlencoded(request, "_method", OVERRIDE_PEEK)
        wanted = value.strip().upper() if value is not None else ""
        if wanted in candidates:
            request.method = wanted
            return wanted
        return "POST"

    def _routable(self, method: str, raw_path: str) -> bool:
        """True when a route (``all`` routes included) answers ``method`` at ``raw_path``."""
        if self._router.match(method, raw_path) is not None:
            return True
        return bool(self._swapped) and self._match_swapped(method, raw_path) is not None

    def _unmatched(
        self, request: Request, method: str
    ) -> Callable[[Request, Response], Awaitable[None]]:
        allowed = self._router.allowed_methods(request.raw_path)
        for router in tuple(self._swapped.values()):
            allowed |= router.allowed_methods(request.raw_path)
        handler = self._not_found
        if allowed:
            fallback = _method_not_allowed(allowed)
        elif handler is not None and (
            self._not_found_methods is None or method in self._not_found_methods
        ):
            fallback = handler_runner(handler)
            if self._development:
                from ._dev import dev_runner

                fallback = dev_runner(self, fallback, handler)
        else:
            fallback = _not_found
        if self._static is not None and method in ("GET", "HEAD"):
            return self._static.runner(fallback)  # files before the 405/404
        return fallback

    # -- servers ------------------------------------------------------------------------

    def listen(self, **options: Unpack[ListenOptions]) -> None:
        """Serve the app on the native HTTP/1.1 server, blocking (see ``harpia.serve``).

        Raises:
            TypeError: An unknown option, named with the valid ones and the closest one.
        """
        from ._server import listen

        listen(self, **options)

    async def serve(self, **options: Unpack[ListenOptions]) -> None:
        """Serve the app inside a running event loop (same options as ``listen``)."""
        from ._server import serve

        await serve(self, **options)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """The ASGI 3 entry point (``http`` and ``lifespan``)."""
        from ._asgi import asgi

        await asgi(self, scope, receive, send)


def harpia(
    *,
    development: bool = False,
    trust_proxy: bool = False,
    lifespan: LifespanFactory | None = None,
) -> Harpia:
    """Create an application (``harpia()`` is ``Harpia(development=False, trust_proxy=False)``)."""
    return Harpia(development=development, trust_proxy=trust_proxy, lifespan=lifespan)


def _check_bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {value!r}")
    return value


def _method_not_allowed(allowed: frozenset[str]) -> Callable[[Request, Response], Awaitable[None]]:
    methods = set(_ALL_METHODS) if "*" in allowed else set(allowed)
    if "GET" in methods:
        methods.add("HEAD")
    header = ", ".join(sorted(methods))

    async def run(request: Request, res: Response) -> None:
        raise HTTPError(405, headers={"Allow": header})

    return run


async def _not_found(request: Request, res: Response) -> None:
    raise HTTPError(404)


def _strip_body(res: Response) -> None:
    """HEAD: keep every header (Content-Length included) and send no body."""
    if res.body_stream is not None:
        res.body_stream = _nothing()  # the length stays unknown, as for the GET
        return
    if res.status_code not in (204, 304) and "content-length" not in res.headers:
        res.headers.set("content-length", str(len(res.body)))
    res.body = b""


async def _nothing() -> AsyncIterator[bytes]:
    empty: tuple[bytes, ...] = ()
    for chunk in empty:  # an async generator that yields nothing
        yield chunk
