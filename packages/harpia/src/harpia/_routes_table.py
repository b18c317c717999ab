"""``harpia routes module:app``: the app's routes as a table (like ``flask routes``).

One row per route: method (``*`` for ``app.all``, ``WS`` for a WebSocket route), path
pattern, handler (``module.qualname``) and the middleware that runs before it — app-wide
and prefixed ``app.use`` middleware that applies to the path, then the route's own.
Routes of routers installed by ``swap_routes`` (config-file components) and static mounts
are listed too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._routing import Endpoint

if TYPE_CHECKING:
    from ._app import Harpia

HEADERS = ("METHOD", "PATH", "HANDLER", "MIDDLEWARE")


def callable_name(fn: Any) -> str:
    """``module.qualname`` of a handler or middleware (its repr's class otherwise)."""
    from ._websocket import WSRoute

    if isinstance(fn, WSRoute):  # named by its handlers' class (or its message handler)
        handlers = fn.handlers
        for part in (handlers.message, handlers.open, handlers.upgrade):
            if part is not None:
                owner = getattr(part, "__self__", None)
                return callable_name(type(owner) if owner is not None else part)
        return "WebSocket"
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    if name is None:
        name = type(fn).__qualname__
    module = getattr(fn, "__module__", None) or type(fn).__module__
    return f"{module}.{name}" if module and module != "builtins" else str(name)


def route_rows(app: Harpia) -> list[tuple[str, str, str, str]]:
    """``(method, path, handler, middleware)`` for every route of ``app``."""
    from ._websocket import WSRoute

    routers = [app.router, *app._swapped.values()]
    rows: list[tuple[str, str, str, str]] = []
    for router in routers:
        for route in router:
            for endpoint in route.handlers:
                if not isinstance(endpoint, Endpoint):
                    continue
                handler = endpoint.handler
                method = "WS" if isinstance(handler, WSRoute) else route.method
                chain = [
                    mw
                    for prefix, mw in app._middlewares
                    if prefix is None
                    or route.pattern == prefix
                    or route.pattern.startswith(prefix + "/")
                ]
                chain.extend(endpoint.middlewares)
                rows.append(
                    (
                        method,
                        route.pattern,
                        callable_name(handler),
                        ", ".join(callable_name(mw) for mw in chain) or "-",
                    )
                )
    static = app._static
    if static is not None:
        for mount in static.mounts:
            url_path = getattr(mount, "url_path", None)
            root = getattr(mount, "root", mount)
            if url_path is not None:
                rows.append(("GET", url_path.rstrip("/") + "/*", f"static files: {root}", "-"))
    return rows


def format_table(rows: list[tuple[str, str, str, str]]) -> str:
    """The rows under ``HEADERS``, in aligned columns."""
    if not rows:
        return "no routes"
    table = [HEADERS, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3]
        for row in table
    ]
    return "\n".join(line.rstrip() for line in lines)
