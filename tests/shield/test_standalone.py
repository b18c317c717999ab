"""Standalone: the built wheel, alone in a fresh venv, works without any other package.

Nothing is fetched (see ``tests.support.wheel``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.support.wheel import install_alone, run

if TYPE_CHECKING:
    from pathlib import Path

SCRIPT = """
import asyncio
from harpia_shield import SecurityHeaders, Shield, ShieldMiddleware

shield = Shield(SecurityHeaders(use_nonce=True))
print(dict(shield.headers("abc"))["X-Frame-Options"])
print("'nonce-abc'" in shield.csp_value("abc"))

async def app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": scope["state"]["nonce"].encode()})

async def main():
    sent = []
    async def send(message):
        sent.append(message)
    await ShieldMiddleware(app, shield=shield)({"type": "http"}, None, send)
    csp = dict(sent[0]["headers"])[b"content-security-policy"]
    print(b"'nonce-" + sent[1]["body"] + b"'" in csp)

asyncio.run(main())
"""


def test_the_wheel_alone_works(tmp_path: Path) -> None:
    python = install_alone("harpia-shield", "harpia_shield", tmp_path, "starlette")
    (tmp_path / "example.py").write_text(SCRIPT, encoding="utf-8")
    assert run(python, "-I", "example.py", cwd=tmp_path).split() == ["SAMEORIGIN", "True", "True"]
