"""One instance of the load-balanced deployment (``examples/deploy/README.md``).

Several of these run behind HAProxy (``haproxy.cfg``) on one Redis Cluster: sessions,
telemetry and WebSocket pub/sub all live in Redis, so any instance can serve any request.

    REDIS_URL=redis+cluster://10.0.0.5:7000,10.0.0.6:7000 PORT=8001 python -m examples.deploy.app

Environment: ``REDIS_URL`` (any RedisStore URL: ``redis://``, ``redis+cluster://``,
``redis+sentinel://``), ``PORT``, ``HOST`` (default ``127.0.0.1``), ``INSTANCE`` (a name
sent back in ``X-Served-By``; default the port), ``PREFIX`` (key prefix, default
``app:``).
"""

from __future__ import annotations

import os
from typing import Any

from harpia import Harpia, RedisPubSub, Request, Response, Session, WebSocket, harpia
from harpia_store import RedisStore
from harpia_telemetry import Telemetry

STORE_TIMEOUT = 2.0
"""Seconds a Redis command may take before the request gets a 503 (sessions)."""


class Room:
    """WebSocket ``/room``: subscribed to ``room``; ``who`` answers the instance's name,
    any other message is published to the room (every instance's sockets but this one)."""

    def __init__(self, instance: str) -> None:
        self.instance = instance

    def open(self, ws: WebSocket) -> None:
        ws.subscribe("room")

    async def message(self, ws: WebSocket, message: str | bytes) -> None:
        if message == "who":
            await ws.send(self.instance)
        else:
            await ws.publish("room", message)


def make_app(redis_url: str, *, prefix: str = "app:", instance: str = "") -> Harpia:
    """The app: ``/login``, ``/me`` and ``/count`` use the session, ``/publish`` sends to
    every ``/room`` socket of every instance, telemetry counts every request."""

    def store(part: str) -> RedisStore:
        return RedisStore(
            redis_url,
            prefix=f"{prefix}{part}:",
            timeout=STORE_TIMEOUT,
            connect_timeout=STORE_TIMEOUT,
        )

    sessions = Session(store("sess"))
    telemetry = Telemetry(store("tel"), trust_proxy=True, ignore=["/health"])  # LB checks
    app = harpia()
    app.state["telemetry"] = telemetry

    async def served_by(req: Request, res: Response, next: Any) -> None:
        res.header("x-served-by", instance)
        await next()

    app.use(served_by)
    app.use(telemetry.middleware())
    app.use(sessions.middleware())
    app.pubsub(RedisPubSub(redis_url, prefix=f"{prefix}ws:"))
    app.ws("/room", Room(instance))

    @app.get("/health")
    def health(req: Request, res: Response) -> str:
        return "ok"

    def page(req: Request, res: Response) -> str:
        return f"{req.path} served by {instance}"

    for path in ("/", "/about", "/books/:id"):
        app.get(path, page)

    @app.post("/login")
    async def login(req: Request, res: Response) -> dict[str, Any]:
        data = await req.session.load()
        data["user"] = req.query.get("user") or "ann"
        await sessions.regenerate(req, res)
        return {"user": data["user"]}

    @app.get("/me")
    async def me(req: Request, res: Response) -> dict[str, Any]:
        return {"session": dict(await req.session.load())}

    @app.post("/count")
    async def count(req: Request, res: Response) -> dict[str, Any]:
        data = await req.session.load()
        data["n"] = data.get("n", 0) + 1
        return {"n": data["n"]}

    @app.post("/publish")
    async def publish(req: Request, res: Response) -> dict[str, int]:
        await app.publish("room", await req.text())
        return {"published": 1}

    return app


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "8001"))
    make_app(
        os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        prefix=os.environ.get("PREFIX", "app:"),
        instance=os.environ.get("INSTANCE", str(port)),
    ).listen(
        port=port,
        hostname=os.environ.get("HOST", "127.0.0.1"),
        on_listen=lambda info: print(info.port, flush=True),
    )
