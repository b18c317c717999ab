"""The dashboard as a ``harpia.Router`` (harpia is imported only when this is used)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._client import client_ip

if TYPE_CHECKING:
    import harpia

    from ._dashboard import Dashboard


def dashboard_router(board: Dashboard) -> harpia.Router:
    """Routes ``GET board.path`` and ``GET board.path/api/:chart`` (HEAD follows GET).

    Raises:
        ImportError: harpia is not installed.
    """
    try:
        from harpia import Router
    except ImportError as exc:  # pragma: no cover - harpia is installed in development
        raise ImportError(
            "telemetry.dashboard() builds a harpia.Router and needs harpia; with another "
            "framework use telemetry.asgi(app, dashboard='/_telemetry')"
        ) from exc

    trust_proxy = board.telemetry.trust_proxy

    async def serve(req: harpia.Request, res: harpia.Response) -> None:
        client = req.client
        caller = client_ip(client[0] if client else None, req.headers.get, trust_proxy=trust_proxy)
        reply = await board.respond(
            req.path, req.query.get, req.headers.get("authorization"), caller, req.method
        )
        res.status(reply.status)
        for name, value in reply.headers:
            res.header(name, value)
        res.send(reply.body)

    router = Router(board.path)
    router.get("/", serve)
    router.get("/api/:chart", serve)
    return router
