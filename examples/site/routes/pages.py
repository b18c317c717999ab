"""The site's routes: a templated page and a WebSocket echo (mounted by harpia.toml)."""

from __future__ import annotations

from harpia import Request, Response, Router, WebSocket

router = Router()


@router.get("/hello/:name")
async def hello(req: Request, res: Response) -> None:
    await res.render("hello", {"name": req.params["name"]})


@router.ws("/echo")
class Echo:
    async def message(self, ws: WebSocket, message: str | bytes) -> None:
        await ws.send(message)
