"""A real browser obeys the nonce: headless Chromium against the native server on loopback.

The page is rendered by harpia-templates: a ``<script nonce="{{ generateNonce() }}">``
that writes into the DOM, and the ``q`` query parameter output with ``raw()`` (a
deliberate XSS hole): an injected ``<script>`` without the nonce, and one with a wrong
nonce. ``chromium --dump-dom`` prints the DOM after the
scripts ran, so the test reads back which of them executed. A control run without the
shield shows that the same page runs every script, i.e. the blocking comes from the CSP.

Chromium comes from Debian (``scripts/ensure-chromium``); missing, the test is skipped,
or fails under ``CI=true``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
from typing import TYPE_CHECKING
from urllib.parse import quote

import anyio
import pytest

from harpia import Request, Response, harpia
from harpia._server import Server
from harpia_templates import TemplateEngine
from tests.support.redis_server import in_ci

if TYPE_CHECKING:
    from pathlib import Path

    from harpia import Harpia

BROWSER_TIMEOUT = 60  # seconds for one chromium run (≈1 s when warm)

INJECTED = (
    '<script>document.getElementById("evil").textContent = "injected ran";</script>'
    '<script nonce="AAAAAAAAAAAAAAAAAAAAAAAA">'
    'document.getElementById("forged").textContent = "forged ran";</script>'
)


def chromium_binary() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path is not None:
            return path
    message = "chromium is not installed: scripts/test installs it when run as root"
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


PAGE = """<!doctype html><html><body>
<p id="ok">not run</p><p id="evil">not run</p><p id="forged">not run</p>
<script nonce="{{ generateNonce() }}">
document.getElementById("ok").textContent = "nonce ran";
</script>
{{ raw(q) }}
</body></html>
"""


def make_app(shielded: bool, views: Path) -> Harpia:
    app = harpia()
    views.mkdir()
    (views / "page.html").write_text(PAGE)
    engine = TemplateEngine({"views": str(views)}, view_name=None)
    if shielded:
        app.shield(use_nonce=True)
    else:  # the same template needs a nonce; any value, there is no policy to match
        engine.set_nonce_provider(lambda: "unused")
    engine.configure(app)

    @app.get("/page")
    async def page(req: Request, res: Response) -> None:
        await res.render("page", {"q": req.query.get("q") or ""})

    return app


async def dump_dom(binary: str, url: str, profile: Path) -> str:
    """The DOM of ``url`` after its scripts ran, as Chromium prints it."""
    command = [
        binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={profile}", "--dump-dom", url,
    ]  # fmt: skip
    process = await anyio.open_process(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: its helpers can be killed with it
    )
    try:
        with anyio.fail_after(BROWSER_TIMEOUT):
            assert process.stdout is not None
            output = b"".join([chunk async for chunk in process.stdout])
            await process.wait()
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # the group we started, nothing else
            with anyio.CancelScope(shield=True):
                await process.wait()
    return output.decode()


def text_of(dom: str, element: str) -> str:
    match = re.search(rf'<p id="{element}">([^<]*)</p>', dom)
    assert match is not None, dom
    return match.group(1)


@pytest.mark.parametrize("shielded", [True, False], ids=["shield", "no-shield"])
async def test_only_the_script_with_the_requests_nonce_runs(shielded: bool, tmp_path: Path) -> None:
    binary = chromium_binary()
    server = Server(make_app(shielded, tmp_path / "views"), port=0, hostname="127.0.0.1")
    async with anyio.create_task_group() as group:
        port = await group.start(server.serve)
        try:
            url = f"http://127.0.0.1:{port}/page?q={quote(INJECTED)}"
            dom = await dump_dom(binary, url, tmp_path / "profile")
        finally:
            await server.shutdown()
    assert text_of(dom, "ok") == "nonce ran"
    if shielded:
        assert text_of(dom, "evil") == "not run"
        assert text_of(dom, "forged") == "not run"
    else:
        assert text_of(dom, "evil") == "injected ran"
        assert text_of(dom, "forged") == "forged ran"
