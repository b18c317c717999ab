"""The chat example in a real browser: headless Chromium, driven over the DevTools protocol.

Two tabs open the chat page (served by harpia's own server); one sends a message, the
other must show it. The browser and the protocol client are in ``tests/support/browser``
(a missing ``chromium`` fails under CI and skips elsewhere).
"""

from __future__ import annotations

import websockets

from examples.chat.app import app
from tests.harpia.server.conftest import running
from tests.support.browser import DevTools


async def test_two_tabs_chat(browser: str) -> None:
    async with running(app, "asyncio") as server, websockets.connect(browser, max_size=None) as ws:
        page = f"http://127.0.0.1:{server.port}/"
        tools = DevTools(ws)
        ann = await tools.tab(page + "?name=ann")
        await tools.wait_for(ann, "document.body && document.body.dataset.ready")
        bob = await tools.tab(page + "?name=bob")  # ann is subscribed: she sees bob join
        await tools.wait_for(ann, "document.getElementById('log').innerText.includes('bob joined')")
        await tools.evaluate(
            ann,
            "document.getElementById('text').value = 'hello from ann';"
            "document.getElementById('form').requestSubmit(); true",
        )
        text = await tools.wait_for(
            bob,
            "[...document.querySelectorAll('#log p.message')]"
            ".map(p => p.textContent).find(t => t.includes('hello from ann'))",
        )
        assert text == "ann: hello from ann"
