"""The app the hostile tests run under uvicorn (and in process on the native drivers).

``POST /echo`` reads the whole body and records what it saw; ``GET /events`` lists the
records, so a test can tell from outside whether a handler saw a truncated body.
"""

from __future__ import annotations

from typing import Any

from harpia import ClientDisconnected, Harpia, Request, Response, harpia


def make_app() -> Harpia:
    app = harpia()
    events: list[Any] = []

    @app.post("/echo")
    async def echo(req: Request, res: Response) -> dict[str, int]:
        try:
            body = await req.body()
        except ClientDisconnected:
            events.append("disconnected")
            raise
        events.append(len(body))
        return {"size": len(body)}

    @app.get("/events")
    def list_events(req: Request, res: Response) -> list[Any]:
        return events

    @app.get("/hello")
    def hello(req: Request, res: Response) -> str:
        return "hello"

    return app


app = make_app()
