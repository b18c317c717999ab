"""An app for the compression and server-sent-event tests: run in process on both native
drivers, under uvicorn (``tests.harpia.stream_app:app``) and in headless Chromium.

- ``GET /json``: 20 KiB of JSON; ``/small``: 40 bytes; ``/png``: bytes as ``image/png``;
  ``/chunks?n=&pause=``: a text stream of ``n`` chunks, ``pause`` seconds apart;
  ``/gated``: one chunk, then a second once the test sets the last of ``GATES``.
- ``GET /events?count=&ping=``: server-sent events ``count`` of them (0: forever, one per
  ``every`` second), ids counting on from ``Last-Event-ID``; ``/log`` lists what the
  sources did (``open <id>``, ``closed <id>``), so a test sees from outside that a source
  was closed when its client left.
- ``GET /page``: an HTML page whose script fetches ``/json`` and opens an ``EventSource``.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from harpia import Harpia, Request, Response, ServerSentEvent, harpia

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

PAYLOAD = {"items": [{"id": i, "name": f"item {i}", "tags": ["a", "b", "c"]} for i in range(330)]}

BODY_BYTES = json.dumps(PAYLOAD, separators=(",", ":")).encode()
GATES: list[asyncio.Event] = []  # /gated streams wait on these (in-process tests only)

PAGE = """<!doctype html>
<meta charset="utf-8"><title>stream test</title>
<body>
<script>
window.results = {json: null, events: [], opened: 0};
fetch("/json").then(r => r.json()).then(d => { window.results.json = d.items.length; },
                                        e => { window.results.json = String(e); });
const source = new EventSource("/events?count=3&every=0.05");
source.onopen = () => { window.results.opened += 1; };
source.addEventListener("tick", e => { window.results.events.push([e.lastEventId, e.data]); });
</script>
"""


def make_app(*, compress: bool = True) -> Harpia:
    app = harpia()
    if compress:
        app.compress()
    log: list[str] = []

    @app.get("/json")
    def json_payload(req: Request, res: Response) -> dict[str, Any]:
        log.append(f"json accept-encoding: {req.headers.get('accept-encoding')}")
        return PAYLOAD

    @app.get("/small")
    def small(req: Request, res: Response) -> None:
        res.text("short enough not to be worth compressing")

    @app.get("/png")
    def png(req: Request, res: Response) -> None:
        res.send(b"\x89PNG" + b"\x00" * 4000, content_type="image/png")

    @app.get("/chunks")
    def chunks(req: Request, res: Response) -> None:
        count = int(req.query.get("n") or 3)
        pause = float(req.query.get("pause") or 0)

        async def produce() -> AsyncIterator[str]:
            for i in range(count):
                if i and pause:
                    await asyncio.sleep(pause)
                yield f"chunk {i} " + "x" * 100 + "\n"

        res.stream(produce(), content_type="text/plain; charset=utf-8")

    @app.get("/gated")
    def gated(req: Request, res: Response) -> None:
        gate = asyncio.Event()
        GATES.append(gate)

        async def produce() -> AsyncIterator[str]:
            yield "first " + "y" * 200 + "\n"
            await asyncio.wait_for(gate.wait(), 10)  # the test opens it once it saw "first"
            yield "second\n"

        res.stream(produce(), content_type="text/plain; charset=utf-8")

    @app.get("/events")
    def events(req: Request, res: Response) -> None:
        count = int(req.query.get("count") or 0)
        every = float(req.query.get("every") or 0.05)
        ping = float(req.query.get("ping") or 15)
        start = int(req.last_event_id or 0)
        name = f"{start}-{count}"
        log.append(f"events accept-encoding: {req.headers.get('accept-encoding')}")

        async def source() -> AsyncIterator[ServerSentEvent]:
            log.append(f"open {name}")
            try:
                n = start
                while count == 0 or n < start + count:
                    n += 1
                    yield ServerSentEvent(data=f"tick {n}", event="tick", id=str(n), retry=200)
                    await asyncio.sleep(every)
            finally:
                log.append(f"closed {name}")

        res.sse(source(), ping=ping)

    @app.get("/log")
    def show_log(req: Request, res: Response) -> list[str]:
        return log

    @app.get("/page")
    def page(req: Request, res: Response) -> None:
        res.html(PAGE)

    return app


app = make_app()
