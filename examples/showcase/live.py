"""The live feed: every open page keeps a WebSocket to ``/live``, subscribed to the
``books`` topic; ``shelf.changed`` publishes each added or removed book there.

With ``REDIS_URL`` the messages go through Redis, so a page connected to one worker
hears about a book added through another.
"""

from __future__ import annotations

import json
import os

from harpia import Router, WebSocket

from .shelf import FEED

router = Router()


@router.ws("/live")
class Live:
    async def open(self, ws: WebSocket) -> None:
        ws.subscribe(FEED)
        # Which worker holds this connection: the page shows it (try --workers 2).
        await ws.send(json.dumps({"type": "hello", "worker": os.getpid()}))
