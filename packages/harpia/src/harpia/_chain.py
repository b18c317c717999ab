"""Running middleware chains and handlers; turning errors into responses.

Middlewares are ``(req, res, next)``, handlers ``(req, res)``, each sync or async. ``next``
is an awaitable object rather than a coroutine, so a plain ``def`` middleware can call
``next()`` without awaiting it: the chain goes on when the middleware returns. Every call
of ``next()`` is an error boundary: whatever goes wrong further down becomes an error
response there, so the middlewares above it always see a finished response (and can add
headers to a 404 or a 500); the exception itself is in ``res.error``.
"""

from __future__ import annotations

import inspect
import logging
import traceback
from collections.abc import Awaitable, Callable, Generator, Mapping
from html import escape
from typing import TYPE_CHECKING, Any

from ._errors import HTTPError
from ._headers import MutableHeaders
from ._response import Response

if TYPE_CHECKING:
    from ._request import Request

Runner = Callable[["Request", Response], Awaitable[None]]
AnyHandler = Callable[..., Any]  # a handler or middleware as stored (checked when added)

logger = logging.getLogger("harpia")


def apply_result(res: Response, result: Any) -> None:
    """Turn a handler's return value into the response (``None``: the handler used ``res``).

    Raises:
        RuntimeError: a value returned after a ``res.*`` helper had sent the response.
        TypeError: a value of a type a handler may not return.
    """
    if result is None or result is res:
        return
    if res._sent_by is not None:
        raise RuntimeError(
            f"response already sent by {res._sent_by}{res._where()}, and then the handler "
            f"returned a {type(result).__name__}: either send with res.* or return a value, "
            "not both"
        )
    if isinstance(result, dict | list):
        res.json(result)
    elif isinstance(result, str | bytes):
        res.send(result)
    elif isinstance(result, Response):
        _copy_response(res, result)
    elif isinstance(result, tuple):
        _apply_tuple(res, result)
    else:
        raise TypeError(
            f"a handler may return None, dict, list, str, bytes, a Response or a tuple "
            f"(body, status), (body, headers), (body, status, headers), not "
            f"{type(result).__name__}{res._where()}; for a status without a body use "
            "res.status(code) and return None"
        )


def _copy_response(res: Response, result: Response) -> None:
    res.status_code = result.status_code
    res.status_set = True
    for name in {name.lower() for name, _ in result.headers}:
        res.headers.remove(name)
    for name, value in result.headers:  # add, not set: repeated headers are kept
        res.headers.add(name, value)
    res.body = result.body
    res.body_stream = result.body_stream
    res.sent = result.sent
    if result.sent:
        res._sent_by = "a returned Response"
    if result._cookies:
        for header in result._cookies.headers():
            res.headers.add("set-cookie", header)
    if result.after_calls:  # a returned Response(...).after(fn) keeps its calls
        res.after_calls = [*(res.after_calls or ()), *result.after_calls]


def _apply_tuple(res: Response, result: tuple[Any, ...]) -> None:
    """Flask's forms: ``(body, status)``, ``(body, headers)``, ``(body, status, headers)``."""
    status: Any = None
    headers: Any = None
    if len(result) == 2:
        body, second = result
        if isinstance(second, int) and not isinstance(second, bool):
            status = second
        else:
            headers = second
    elif len(result) == 3:
        body, status, headers = result
    else:
        raise TypeError(
            f"a returned tuple is (body, status), (body, headers) or (body, status, headers), "
            f"got {len(result)} items{res._where()}"
        )
    if isinstance(body, tuple):
        raise TypeError(f"the body of a returned tuple cannot be a tuple{res._where()}")
    apply_result(res, body)
    if status is not None:
        res.status(status)
    if headers is not None:
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        seen: set[str] = set()
        try:
            for name, value in pairs:
                if name.lower() in seen:
                    res.headers.add(name, value)
                else:
                    res.headers.set(name, value)
                    seen.add(name.lower())
        except (TypeError, ValueError, AttributeError) as exc:
            raise TypeError(
                f"the headers of a returned tuple must be a mapping or (name, value) pairs "
                f"of str{res._where()}: {exc}"
            ) from exc


def handler_runner(
    handler: AnyHandler, *, check_length: bool = False, thread: bool = False
) -> Runner:
    """Wrap a ``(req, res)`` handler: await it if needed, apply its return value.

    ``check_length``: first refuse a declared ``Content-Length`` over the route's limit
    (413), for route endpoints; done here rather than in one more wrapper, since every
    request goes through this. ``thread``: call a plain ``def`` handler in a worker
    thread (``anyio.to_thread.run_sync``) instead of on the event loop.
    """
    if inspect.iscoroutinefunction(handler):

        async def run_async(req: Request, res: Response) -> None:
            if check_length:
                req.check_declared_length()
            apply_result(res, await handler(req, res))

        return run_async

    if thread:
        from anyio import to_thread

        async def run_thread(req: Request, res: Response) -> None:
            if check_length:
                req.check_declared_length()
            result = await to_thread.run_sync(handler, req, res)
            if result is not None:
                if inspect.isawaitable(result):
                    result = await result
                apply_result(res, result)

        return run_thread

    async def run_sync(req: Request, res: Response) -> None:
        if check_length:
            req.check_declared_length()
        result = handler(req, res)
        if result is not None:
            if inspect.isawaitable(result):
                result = await result
            apply_result(res, result)

    return run_sync


class Next:
    """The ``next`` given to a middleware: call it, and await the call to run the rest.

    ``await next()`` runs the middlewares after this one and the handler, and returns
    once the response is made (errors included). In a plain ``def`` middleware,
    ``next()`` without ``await`` runs the rest when the middleware returns. Annotate a
    middleware's third parameter with it: ``async def mw(req: Request, res: Response,
    next: Next) -> None``.
    """

    __slots__ = ("_called", "_chain", "_done", "_index", "_req", "_res")

    def __init__(self, chain: Chain, index: int, req: Request, res: Response) -> None:
        self._chain = chain
        self._index = index
        self._req = req
        self._res = res
        self._called = False
        self._done = False

    def __call__(self) -> Next:
        self._called = True
        return self

    def __await__(self) -> Generator[Any, None, None]:
        return self.run().__await__()

    async def run(self) -> None:
        """Run the rest of the chain once, turning its failures into a response."""
        if self._done:
            return
        self._done = True
        try:
            await self._chain.call(self._index, self._req, self._res)
        except Exception as exc:  # the boundary: the caller sees a finished response
            render_exception(self._req, self._res, exc)


class Chain:
    """Middlewares followed by a terminal runner, composed once and reused."""

    __slots__ = ("_middlewares", "_terminal")

    def __init__(self, middlewares: tuple[AnyHandler, ...], terminal: Runner) -> None:
        self._middlewares = middlewares
        self._terminal = terminal

    async def __call__(self, req: Request, res: Response) -> None:
        if not self._middlewares:
            await self._terminal(req, res)
        else:
            await self.call(0, req, res)

    async def call(self, index: int, req: Request, res: Response) -> None:
        if index == len(self._middlewares):
            await self._terminal(req, res)
            return
        nxt = Next(self, index + 1, req, res)
        result = self._middlewares[index](req, res, nxt)
        if inspect.isawaitable(result):
            result = await result
        if nxt._called and not nxt._done:  # sync middleware, or an async one that forgot await
            await nxt.run()
        apply_result(res, result)


def prefers_html(req: Request) -> bool:
    accept = req.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept


def render_error(req: Request, res: Response, error: HTTPError) -> None:
    """Make ``res`` the response for ``error`` (JSON, or HTML when the client prefers it).

    An error whose ``headers`` cannot be sent (a control character, a non-token name…)
    becomes a logged 500 instead.
    """
    headers = MutableHeaders()
    try:
        for name, value in error.headers.items():
            headers.set(name, value)
    except (TypeError, ValueError) as exc:
        logger.error(
            "%r raised in %s %s has a header that cannot be sent (%s): answered 500",
            error,
            req.method,
            req.raw_path,
            exc,
        )
        render_error(req, res, HTTPError(500, "Internal Server Error"))
        res.error = error
        return
    res.status(error.status)
    for name, value in headers:
        res.headers.put(name, value)
    res.headers.remove("content-length")
    res.error = error
    res._sent_by = None  # an error response replaces whatever was sent
    if prefers_html(req):
        title = escape(f"{error.status} {error.message}")
        extra = f"<pre>{escape(error.detail)}</pre>" if isinstance(error.detail, str) else ""
        res.html(f"<!doctype html><title>{title}</title><h1>{title}</h1>{extra}")
    else:
        body: dict[str, Any] = {"error": error.message, "status": error.status}
        if error.detail is not None:
            body["detail"] = error.detail
        res.json(body)
    res._sent_by = None  # and may itself be replaced (a custom error page after next())


def render_exception(req: Request, res: Response, exc: Exception) -> None:
    """Make ``res`` the response for any exception: its status, or a logged 500.

    Never raises: should the error response itself fail (an ``HTTPError`` altered into
    nonsense), a plain logged 500 is made instead.
    """
    try:
        _render_exception(req, res, exc)
    except Exception:
        logger.exception("could not answer the error of %s %s", req.method, req.raw_path)
        res.headers = MutableHeaders()
        res.status_code, res.status_set = 500, True
        res._sent_by = None
        res.json({"error": "Internal Server Error", "status": 500})
        res._sent_by = None
        res.error = exc


def _render_exception(req: Request, res: Response, exc: Exception) -> None:
    if isinstance(exc, HTTPError):
        render_error(req, res, exc)
        return
    logger.exception("unhandled error in %s %s", req.method, req.raw_path)
    development = req.app is not None and req.app.development
    detail = "".join(traceback.format_exception(exc)) if development else None
    render_error(req, res, HTTPError(500, "Internal Server Error", detail=detail))
    res.error = exc
