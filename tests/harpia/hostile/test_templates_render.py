"""D9: a hostile template rendered by ``res.render`` on a real server does not take it down.

The views are the issue's reproductions (a 1 MiB string written 1,000 times; a million
loop iterations each copying an 8 MiB string). With the default limits each render stops
with a ``TemplateLimitError`` (a 500) within the work budget, and a GET sent on another
connection right after it is answered in time, on both drivers.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import pytest

import harpia as hp
from harpia_templates import TemplateEngine
from tests.harpia.server.conftest import client, get, running
from tests.templates.test_limits import OUTPUT_BOMB, doubling

if TYPE_CHECKING:
    from pathlib import Path

    from harpia import Request, Response

CONCAT_BOMB = (
    doubling(19) + "@for a in items\n@for b in items\n@set t = s + 'x' @endset\n@endfor\n@endfor\n"
)
ANSWERED_WITHIN = 3.0  # seconds, for the concurrent GET (the render stops in well under 1 s)


@pytest.fixture(params=["asyncio", "anyio"])
def driver(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.mark.parametrize("view", ["output", "concat"])
async def test_hostile_render_does_not_block_other_requests(
    tmp_path: Path, driver: str, view: str
) -> None:
    (tmp_path / "output.html").write_text(OUTPUT_BOMB)
    (tmp_path / "concat.html").write_text(CONCAT_BOMB)
    app = hp.harpia()
    TemplateEngine(path={"views": tmp_path}, view_name=None).configure(app)

    @app.get("/hostile/:view")
    async def hostile(req: Request, res: Response) -> None:
        await res.render(req.params["view"], {"items": list(range(1000))})

    @app.get("/hello")
    async def hello(req: Request, res: Response) -> None:
        res.send("hello")

    async with running(app, driver) as server:
        port = server.port or 0
        async with client(port) as attacker, client(port) as visitor:
            start = time.perf_counter()
            await attacker.send(get(f"/hostile/{view}"))
            await asyncio.sleep(0.01)  # the hostile request is being handled
            sent = time.perf_counter()
            await visitor.send(get("/hello"))
            reply = await visitor.response()
            waited = time.perf_counter() - sent
            refused = await attacker.response()
            took = time.perf_counter() - start
    print(
        f"\n{driver} {view}: hostile render answered {refused.status} after {took:.2f} s; "
        f"concurrent GET answered after {waited:.2f} s"
    )
    assert (reply.status, reply.body) == (200, b"hello")
    assert waited < ANSWERED_WITHIN
    assert refused.status == 500
    assert took < ANSWERED_WITHIN
