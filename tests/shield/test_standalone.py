"""Standalone: the built wheel, alone in a fresh venv, works without any other package.

Nothing is fetched: the wheel is built with the dev venv's hatchling (``--no-index
--no-build-isolation``) and installed with ``--no-index --no-deps`` into a venv created
without pip, so its site-packages holds harpia-shield and nothing else.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "packages" / "harpia-shield"

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


def run(*command: str | Path, cwd: Path | None = None) -> str:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_wheel_alone_works(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
        "--no-index", "-w", wheels, PACKAGE)  # fmt: skip
    (wheel,) = wheels.glob("harpia_shield-*.whl")
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-index",
        "--no-deps", wheel)  # fmt: skip

    probe = (
        "import importlib.util as u, harpia_shield as s;"
        "print(s.__file__);"
        "print([n for n in ('harpia', 'harpia_store', 'harpia_router', 'harpia_templates',"
        " 'starlette', 'pip') if u.find_spec(n)])"
    )
    location, others = run(python, "-I", "-c", probe).splitlines()
    assert location.startswith(str(venv))
    assert others == "[]"
    (tmp_path / "example.py").write_text(SCRIPT, encoding="utf-8")
    assert run(python, "-I", "example.py", cwd=tmp_path).split() == ["SAMEORIGIN", "True", "True"]
