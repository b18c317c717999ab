"""The chat example in a real browser: headless Chromium, driven over the DevTools protocol.

Two tabs open the chat page (served by harpia's own server); one sends a message, the
other must show it. The browser is Debian's ``chromium``; the DevTools protocol is spoken
with the ``websockets`` client (a dev requirement), so nothing else is needed. When
``chromium`` is missing it is installed (``apt-get install chromium``) if we are root or
in CI; otherwise the test is skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import websockets

from examples.chat.app import app
from tests.harpia.server.conftest import running
from tests.support.redis_server import in_ci

if TYPE_CHECKING:
    from collections.abc import Iterator

TIMEOUT = 15.0


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.geteuid() != 0 and not in_ci():
        pytest.skip("chromium is not installed (apt-get install chromium, as root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=False, env=env, timeout=600)
    subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], check=True, env=env, timeout=900)
    found = shutil.which("chromium")
    assert found, "apt-get install chromium did not provide a chromium command"
    return found


class DevTools:
    """A minimal DevTools-protocol client over one browser WebSocket (flat sessions)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.ids = itertools.count(1)

    async def call(self, method: str, session: str | None = None, **params: Any) -> Any:
        ident = next(self.ids)
        message: dict[str, Any] = {"id": ident, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        await self.ws.send(json.dumps(message))
        for _ in range(10_000):
            reply = json.loads(await asyncio.wait_for(self.ws.recv(), TIMEOUT))
            if reply.get("id") == ident:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
        raise AssertionError(f"no reply to {method}")

    async def tab(self, url: str) -> str:
        target = await self.call("Target.createTarget", url=url)
        attached = await self.call(
            "Target.attachToTarget", targetId=target["targetId"], flatten=True
        )
        session: str = attached["sessionId"]
        return session

    async def evaluate(self, session: str, expression: str) -> Any:
        result = await self.call(
            "Runtime.evaluate", session, expression=expression, returnByValue=True
        )
        return result.get("result", {}).get("value")

    async def wait_for(self, session: str, expression: str) -> Any:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            value = await self.evaluate(session, expression)
            if value:
                return value
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out waiting for {expression}")


def devtools_url(profile: Path, process: subprocess.Popen[bytes]) -> str:
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited with {process.returncode}")
        if marker.exists():
            lines = marker.read_text().split()
            if len(lines) >= 2:
                return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        time.sleep(0.05)
    raise RuntimeError("chromium did not open its DevTools port")


@pytest.fixture
def browser() -> Iterator[str]:
    """A headless Chromium; yields the URL of its DevTools WebSocket."""
    binary = chromium()
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        process = subprocess.Popen(
            [
                binary, "--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--remote-debugging-port=0",
                f"--user-data-dir={profile}", "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its helper processes go with it
        )  # fmt: skip
        try:
            yield devtools_url(Path(profile), process)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


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
