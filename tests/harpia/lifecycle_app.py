"""An app with a lifespan, hooks and after-response tasks, served by uvicorn in the tests.

Every lifecycle step appends a line to the file named by ``HARPIA_EVENTS``, so a test can
read the order in which they happened once the server process is gone.
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio

from harpia import Harpia, Request, Response, harpia

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


def note(event: str) -> None:
    path = os.environ.get("HARPIA_EVENTS")
    if path:
        with open(path, "a", encoding="utf-8") as file:
            file.write(event + "\n")


@asynccontextmanager
async def lifespan(app: Harpia) -> AsyncIterator[dict[str, Any]]:
    note("lifespan enter")
    yield {"greeting": "hello from the lifespan"}
    note("lifespan exit")


async def slow_task(label: str) -> None:
    await anyio.sleep(0.5)
    note(f"after {label}")


def make_app() -> Harpia:
    app = harpia(lifespan=lifespan)
    app.on_startup(lambda: note("startup hook"))
    app.on_shutdown(lambda: note("shutdown hook"))

    @app.get("/state")
    def state(req: Request, res: Response) -> dict[str, Any]:
        return {"greeting": req.state.get("greeting")}

    @app.get("/later")
    def later(req: Request, res: Response) -> str:
        res.after(slow_task, req.query.get("label", "?"))
        note("handler")
        return "sent"

    return app


app = make_app()
