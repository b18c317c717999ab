"""The app of the framing tests (also served by uvicorn as ``...framing_app:app``)."""

from __future__ import annotations

from harpia import Harpia, Request, Response, harpia

served: list[str] = []


def make_app() -> Harpia:
    app = harpia()

    async def anything(req: Request, res: Response) -> None:
        served.append(f"{req.method} {req.raw_path}?{req.query_string}")
        body = await req.body()
        res.json({"url": req.url, "host": req.headers.get("host"), "body": len(body)})

    for path in ("/any", "/rawpath", "/url"):
        app.get(path, anything)
        app.post(path, anything)
    return app


app = make_app()
