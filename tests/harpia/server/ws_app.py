"""The WebSocket test app, shared by the live-server, uvicorn and worker tests."""

from __future__ import annotations

import os
import sys
from typing import Any, ClassVar

from harpia import Harpia, HTTPError, RedisPubSub, Request, Response, WebSocket, harpia


class Echo:
    """Echoes every message; says hello with the room and the upgrade data on open."""

    closed: ClassVar[list[tuple[int, str]]] = []

    async def upgrade(self, req: Request) -> dict[str, Any]:
        if req.query.get("deny") == "1":
            raise HTTPError(403, "denied")
        return {"room": req.params["room"], "pid": os.getpid()}

    async def open(self, ws: WebSocket) -> None:
        await ws.send(f"hello {ws.data['room']} {ws.data['pid']}")

    async def message(self, ws: WebSocket, message: str | bytes) -> None:
        await ws.send(message)

    def close(self, ws: WebSocket, code: int, reason: str) -> None:
        Echo.closed.append((code, reason))


class Room:
    """Subscribes to a topic; ``pub:<text>`` publishes, ``close`` closes with 4000."""

    def open(self, ws: WebSocket) -> None:
        ws.subscribe("room")

    async def message(self, ws: WebSocket, message: str | bytes) -> None:
        if message == "close":
            await ws.close(4000, "bye")
        elif isinstance(message, str) and message.startswith("pub:"):
            await ws.publish("room", message[4:])
        elif message == "pid":
            await ws.send(str(os.getpid()))
        elif message == "topics":
            await ws.send(str(ws.is_subscribed("room")))


class Flood:
    """``flood``: sends 40 messages of 256 KiB; ``drain`` reports once the buffer drained."""

    async def message(self, ws: WebSocket, message: str | bytes) -> None:
        if message == "flood":
            for _ in range(40):
                if not await ws.send(b"z" * 256 * 1024):
                    return
            await ws.send("flooded")

    async def drain(self, ws: WebSocket) -> None:
        ws.data["drained"] = ws.data.get("drained", 0) + 1


def make_app(redis_url: str | None = None) -> Harpia:
    app = harpia()

    async def guard(req: Request, res: Response, next: Any) -> None:
        if req.path.startswith("/private") and req.headers.get("authorization") != "yes":
            raise HTTPError(401, "who are you")
        await next()

    app.use(guard)
    app.ws("/echo/:room", Echo)
    app.ws("/private/echo/:room", Echo())
    app.ws("/room", Room)
    app.ws("/flood", Flood)

    @app.post("/publish")
    async def publish(req: Request, res: Response) -> dict[str, int]:
        sent = await req.app.publish("room", await req.text()) if req.app else 0
        return {"sent": sent}

    if redis_url:
        app.pubsub(RedisPubSub(redis_url, prefix=f"test:{os.getpid()}:"))
    return app


app = make_app()

if __name__ == "__main__":  # python -m tests.harpia.server.ws_app PORT REDIS_URL WORKERS
    port, url, workers = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    make_app(url).listen(port=port, hostname="127.0.0.1", workers=workers, reuse_port=True)
