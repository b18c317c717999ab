"""Live updates against a running development server (``harpia run --dev`` in a copy of
examples/site): static files, templates and routes modules added, changed and deleted
are served within 2 s, by the same process, while an open WebSocket keeps echoing; a
broken config edit keeps the last good configuration serving."""

from __future__ import annotations

import http.client
import shutil
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest
from websockets.sync.client import connect

from tests.support.processes import ROOT, stop, wait_for
from tests.support.redis_server import free_port

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from websockets.sync.client import ClientConnection

LIMIT = 2.0  # seconds an edit may take to show


def fetch(port: int, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def cache_control(port: int, path: str) -> str | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.getheader("cache-control")
    finally:
        connection.close()


def within(check: Callable[[], bool], what: str) -> float:
    """Poll ``check`` until true; fail unless that took at most LIMIT seconds."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > LIMIT:
            pytest.fail(f"{what}: not seen within {LIMIT} s")
        time.sleep(0.02)
    return time.monotonic() - start


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Path, int, subprocess.Popen[bytes]]]:
    folder = tmp_path / "site"
    shutil.copytree(ROOT / "examples/site", folder, ignore=shutil.ignore_patterns("__pycache__"))
    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "harpia", "run", "--dev", "--port", str(port)],
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(port, process)
        yield folder, port, process
    finally:
        stop(process)
        log.close()
        if sys.exc_info()[0] is not None:
            print((tmp_path / "server.log").read_text())


def echo(ws: ClientConnection, text: str) -> None:
    ws.send(text)
    assert ws.recv(timeout=5) == text


def test_live_updates(site: tuple[Path, int, subprocess.Popen[bytes]]) -> None:
    folder, port, process = site
    assert fetch(port, "/")[0] == 200
    timings: dict[str, float] = {}
    with connect(f"ws://127.0.0.1:{port}/echo", open_timeout=5) as ws:
        echo(ws, "before")

        # static files
        (folder / "web/new.txt").write_text("new file")
        timings["static add"] = within(lambda: fetch(port, "/new.txt") == (200, "new file"), "add")
        (folder / "web/new.txt").write_text("changed file")
        timings["static change"] = within(
            lambda: fetch(port, "/new.txt") == (200, "changed file"), "change"
        )
        (folder / "web/new.txt").unlink()
        timings["static unlink"] = within(lambda: fetch(port, "/new.txt")[0] == 404, "unlink")

        # a routes module: added, changed, deleted
        module = folder / "routes/extra.py"
        module.write_text(EXTRA.replace("VERSION", "one"))
        timings["routes add"] = within(lambda: fetch(port, "/version") == (200, "one"), "route add")
        module.write_text(EXTRA.replace("VERSION", "two"))
        timings["routes change"] = within(
            lambda: fetch(port, "/version") == (200, "two"), "route change"
        )
        status, pid = fetch(port, "/pid")
        assert (status, pid) == (200, str(process.pid))  # served by the process we started

        # templates: a new view, changed, deleted
        view = folder / "templates/views/extra.html"
        view.write_text("<p>extra {{ name }}</p>")
        timings["template add"] = within(
            lambda: fetch(port, "/view/extra") == (200, "<p>extra Ada</p>"), "template add"
        )
        view.write_text("<p>EXTRA {{ name }}</p>")
        timings["template change"] = within(
            lambda: fetch(port, "/view/extra") == (200, "<p>EXTRA Ada</p>"), "template change"
        )
        view.unlink()
        timings["template unlink"] = within(
            lambda: fetch(port, "/view/extra")[0] == 500, "template unlink"
        )
        hello = folder / "templates/views/hello.html"
        hello.write_text(hello.read_text().replace("Hello,", "Howdy,"))
        timings["layout view change"] = within(
            lambda: "Howdy, Ada!" in fetch(port, "/hello/Ada")[1], "hello change"
        )

        assert fetch(port, "/pid") == (200, str(process.pid))  # still the same process
        module.unlink()
        timings["routes unlink"] = within(lambda: fetch(port, "/version")[0] == 404, "unlink")

        # a broken config edit: logged, the last good configuration keeps serving
        config = folder / "harpia.toml"
        good = config.read_text()
        config.write_text(good.replace("[static]", "[static"))
        log = folder.parent / "server.log"
        within(lambda: "keeping the last good configuration" in log.read_text(), "logged")
        assert "harpia.toml: invalid TOML" in log.read_text()
        assert fetch(port, "/css/site.css")[0] == 200
        assert "Howdy, Ada!" in fetch(port, "/hello/Ada")[1]
        # a good edit again: applied live (the static max_age)
        assert cache_control(port, "/css/site.css") == "public, max-age=60"
        config.write_text(good.replace("max_age = 60", "max_age = 5"))
        timings["config change"] = within(
            lambda: cache_control(port, "/css/site.css") == "public, max-age=5", "config"
        )
        echo(ws, "after")  # the WebSocket opened before every edit still echoes

    assert process.poll() is None  # never restarted
    assert fetch(port, "/pid")[0] == 404
    print("live update timings (s):", {k: round(v, 3) for k, v in timings.items()})


EXTRA = """
import os

from harpia import Router

router = Router()


@router.get("/version")
def version(req, res):
    return "VERSION"


@router.get("/pid")
def pid(req, res):
    return str(os.getpid())


@router.get("/view/:name")
async def view(req, res):
    await res.render(req.params["name"], {"name": "Ada"})
"""
