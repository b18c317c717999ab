"""The dashboard in a real headless Chromium, over a real socket.

Chromium is driven with its own command-line modes (``--dump-dom``, ``--screenshot``), so
no Python browser driver is needed. ``scripts/ensure-chromium`` installs Debian's
``chromium`` when missing; under ``CI=true`` a missing browser fails the test, otherwise
it skips. ``HARPIA_UPDATE_SCREENSHOT=1`` copies the screenshot into the package docs.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from contextlib import asynccontextmanager
from html import unescape
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import pytest

from harpia import harpia
from harpia._server import Server
from harpia_store import MemoryStore
from harpia_telemetry import Telemetry
from tests.support.redis_server import in_ci

from .demo import seed

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

TOKEN = "browser-token"
DAY = "2024-03-14"
DOCS = Path(__file__).resolve().parents[2] / "packages/harpia-telemetry/docs/dashboard.png"
BROWSER_TIMEOUT = 60.0


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    message = "chromium is not installed: scripts/test installs it when run as root"
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


async def run_browser(binary: str, profile: Path, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        out, _ = await asyncio.wait_for(process.communicate(), BROWSER_TIMEOUT)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, f"chromium exited with {process.returncode}"
    return out.decode()


@asynccontextmanager
async def dashboard_server(telemetry: Telemetry) -> AsyncIterator[str]:
    app = harpia()
    app.use(telemetry.middleware())
    app.routes(telemetry.dashboard())
    server = Server(app, port=0, hostname="127.0.0.1")
    async with anyio.create_task_group() as group:
        with anyio.fail_after(10):
            await group.start(server.serve)
        try:
            yield f"http://127.0.0.1:{server.port}/_telemetry"
        finally:
            with anyio.fail_after(15):
                await server.shutdown()


async def status_of(url: str) -> int:
    host_port, path = url.removeprefix("http://").split("/", 1)
    host, port = host_port.split(":")
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), 10)
    writer.write(f"GET /{path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n".encode())
    status_line = await asyncio.wait_for(reader.readline(), 10)
    writer.close()
    return int(status_line.split()[1])


def tiles(dom: str) -> dict[str, str]:
    found = re.findall(r'<div class="tile[^"]*"><b>([^<]*)</b><span>([^<]*)</span>', dom)
    return {label: unescape(value) for value, label in found}


async def test_dashboard_in_headless_chromium(tmp_path: Path) -> None:
    binary = chromium()
    telemetry = Telemetry(MemoryStore(limit=50_000), access_token=TOKEN)
    tallies = await seed(telemetry, DAY)
    day = tallies[DAY]
    async with dashboard_server(telemetry) as base:
        page = f"{base}?date={DAY}&token={TOKEN}"
        dom = await run_browser(binary, tmp_path / "profile", "--dump-dom", page)
        assert tiles(dom) == {
            "requests": f"{day.requests:,}",
            "unique visitors": f"{len(day.ips):,}",
            "avg response time": tiles(dom)["avg response time"],
            "errors": f"{day.errors:,}",
        }
        avg = await telemetry.get_avg_response_time(date=DAY, token=TOKEN)
        assert tiles(dom)["avg response time"] == f"{avg:g} ms"
        assert "Payment gateway timeout" in dom
        assert "/docs/getting-started" in dom
        assert dom.count("<svg") == 5

        shot = tmp_path / "dashboard.png"
        await run_browser(
            binary, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,1400", page
        )
        image = shot.read_bytes()
        assert image.startswith(b"\x89PNG\r\n\x1a\n")
        assert len(image) > 20_000  # a rendered page, not a blank one
        if os.environ.get("HARPIA_UPDATE_SCREENSHOT") == "1":
            DOCS.parent.mkdir(exist_ok=True)
            shutil.copyfile(shot, DOCS)

        denied = await run_browser(binary, tmp_path / "profile", "--dump-dom", base)
        assert "401 Unauthorized" in denied
        assert tiles(denied) == {}
        assert await status_of(base) == 401
        assert await status_of(f"{base}?token=wrong") == 401
        assert await status_of(f"{base}?token={TOKEN}") == 200
