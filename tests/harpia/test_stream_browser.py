"""Compression and server-sent events in headless Chromium (DevTools protocol).

The page of ``tests/harpia/stream_app.py`` fetches 20 KiB of JSON — sent gzip- or
brotli-compressed, as is the event stream — and opens an ``EventSource`` whose stream
ends after three events:
the browser reconnects on its own with ``Last-Event-ID: 3`` and gets events 4 to 6. In CI
a missing chromium is installed, never skipped (``chromium()``).
"""

from __future__ import annotations

import json

import pytest
import websockets

from harpia import Request
from tests.harpia.server.conftest import running
from tests.harpia.stream_app import make_app
from tests.support.browser import DevTools


@pytest.mark.parametrize("coding", ["gzip", "br"])
async def test_compressed_json_and_event_source_in_chromium(browser: str, coding: str) -> None:
    app = make_app()
    async with running(app, "asyncio") as server, websockets.connect(browser, max_size=None) as ws:
        base = f"http://127.0.0.1:{server.port}"
        tools = DevTools(ws)
        session = await tools.tab("about:blank")
        await tools.call("Network.enable", session)
        # over plain http Chromium offers gzip only; ask for the coding under test
        await tools.call(
            "Network.setExtraHTTPHeaders", session, headers={"Accept-Encoding": coding}
        )
        await tools.call("Page.navigate", session, url=f"{base}/page")
        await tools.wait_for(session, "window.results && window.results.json !== null")
        assert await tools.evaluate(session, "window.results.json") == 330
        await tools.wait_for(session, "window.results.events.length >= 6")
        events = await tools.evaluate(session, "JSON.stringify(window.results.events)")
        opened = await tools.evaluate(session, "window.results.opened")
        log = json.loads((await app.handle(Request("GET", "/log"))).body)
    got = json.loads(events)
    assert got[:6] == [[str(n), f"tick {n}"] for n in range(1, 7)]
    assert opened >= 2  # it reconnected after the first stream ended
    assert f"json accept-encoding: {coding}" in log
    assert f"events accept-encoding: {coding}" in log  # the event stream was compressed too
    assert "open 0-3" in log
    assert "open 3-3" in log  # the reconnection carried Last-Event-ID: 3
