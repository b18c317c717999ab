"""The Starlette contender of bench/ws (run by uvicorn ``--ws wsproto``)."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette  # type: ignore[import-not-found, unused-ignore]
from starlette.routing import WebSocketRoute  # type: ignore[import-not-found, unused-ignore]


async def echo(websocket: Any) -> None:
    await websocket.accept()
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("text") is not None:
                await websocket.send_text(message["text"])
            else:
                await websocket.send_bytes(message["bytes"])
    except Exception:
        return


app = Starlette(routes=[WebSocketRoute("/echo", echo)])
