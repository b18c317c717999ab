"""The types of handlers and middlewares, as registration methods take them.

``Handler`` is ``(req, res)``, ``Middleware`` is ``(req, res, next)``; either may be a plain
``def`` or an ``async def`` and may return what a handler returns: ``None`` (it used
``res``), a ``dict``/``list`` (JSON), ``str`` (HTML), ``bytes``, a ``Response``, or a Flask
style tuple ``(body, status)``, ``(body, headers)``, ``(body, status, headers)``. With these
in every registration signature, ``mypy --strict`` rejects ``def wrong(req: int) -> int``
at the ``app.get(...)`` call instead of a 500 per request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from ._chain import Next
from ._response import Response

if TYPE_CHECKING:
    from ._request import Request

Body: TypeAlias = dict[str, Any] | list[Any] | str | bytes | Response
"""What a returned value (or the first item of a returned tuple) may be."""

HeadersArg: TypeAlias = Mapping[str, str] | Iterable[tuple[str, str]]
"""The headers of a returned tuple: a mapping or ``(name, value)`` pairs."""

Result: TypeAlias = (
    Body | tuple[Body, int] | tuple[Body, HeadersArg] | tuple[Body, int, HeadersArg] | None
)
"""What a handler (or a middleware) may return."""


class Handler(Protocol):
    """A route handler: ``(req, res)``, sync or async (any parameter names)."""

    def __call__(self, req: Request, res: Response, /) -> Result | Awaitable[Result]: ...


class Middleware(Protocol):
    """A middleware: ``(req, res, next)``, sync or async; ``await next()`` runs the rest."""

    def __call__(
        self, req: Request, res: Response, next: Next, /
    ) -> Result | Awaitable[Result]: ...


__all__ = ("Body", "Handler", "HeadersArg", "Middleware", "Next", "Result")
