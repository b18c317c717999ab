"""Headless Chromium for browser tests, driven over the DevTools protocol.

The browser is Debian's ``chromium`` (``scripts/ensure-chromium`` installs it); the
protocol is spoken with the ``websockets`` client (a dev requirement), so no Python
browser driver is needed. Under ``CI=true`` a missing browser fails the test; elsewhere
it skips. Every wait is bounded by ``TIMEOUT``.
"""

from __future__ import annotations

import asyncio
import base64
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

from tests.support.redis_server import in_ci

if TYPE_CHECKING:
    from collections.abc import Iterator

TIMEOUT = 15.0
FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-quic", "--no-first-run", "--hide-scrollbars", "--remote-debugging-port=0",
)  # fmt: skip


def chromium() -> str:
    """The chromium binary; a missing one fails under CI and skips elsewhere."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    message = "chromium is not installed: scripts/ensure-chromium installs it (as root)"
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@contextlib.contextmanager
def launched(*extra: str) -> Iterator[str]:
    """A headless Chromium with a throw-away profile; yields its DevTools WebSocket URL.

    The browser and its helper processes (one process group) are stopped afterwards.
    """
    binary = chromium()
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        process = subprocess.Popen(
            [binary, *FLAGS, *extra, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its helper processes go with it
        )
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
        for _ in range(10_000):  # events arrive in between: skipped
            reply = json.loads(await asyncio.wait_for(self.ws.recv(), TIMEOUT))
            if reply.get("id") == ident:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
        raise AssertionError(f"no reply to {method}")

    async def tab(self, url: str, width: int = 1200, height: int = 900) -> str:
        """Open ``url`` in a new tab of ``width`` x ``height``; returns its session id."""
        target = await self.call("Target.createTarget", url="about:blank")
        attached = await self.call(
            "Target.attachToTarget", targetId=target["targetId"], flatten=True
        )
        session: str = attached["sessionId"]
        await self.call(
            "Emulation.setDeviceMetricsOverride",
            session,
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        await self.navigate(session, url)
        return session

    async def evaluate(self, session: str, expression: str) -> Any:
        result = await self.call(
            "Runtime.evaluate", session, expression=expression, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    async def wait_for(self, session: str, expression: str) -> Any:
        """Poll ``expression`` until it is truthy (a page navigating in between is fine)."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            with contextlib.suppress(RuntimeError):  # the page is between two documents
                value = await self.evaluate(session, expression)
                if value:
                    return value
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out waiting for {expression}")

    async def navigate(self, session: str, url: str) -> None:
        await self.call("Page.navigate", session, url=url)

    async def set_files(self, session: str, selector: str, *paths: Path) -> None:
        """Choose ``paths`` in the file input matching ``selector``, as a person would."""
        found = await self.call(
            "Runtime.evaluate", session, expression=f"document.querySelector({selector!r})"
        )
        object_id = found.get("result", {}).get("objectId")
        assert object_id, f"no element matches {selector}"
        await self.call(
            "DOM.setFileInputFiles", session, files=[str(p) for p in paths], objectId=object_id
        )

    async def screenshot(self, session: str) -> bytes:
        """A PNG of the tab's viewport."""
        shot = await self.call("Page.captureScreenshot", session, format="png")
        return base64.b64decode(shot["data"])
