"""``--reload``: run the server in a child process and restart it when a .py file changes.

Polling file modification times is enough for development and needs no dependency; the
child is restarted by SIGTERM, so the server shuts down gracefully each time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

POLL_SECONDS = 0.5


_SKIP = frozenset({"__pycache__", "node_modules", "venv", "site-packages"})


def snapshot(root: Path) -> dict[str, float]:
    """Modification times of every ``.py`` file under ``root``.

    Hidden folders (``.venv``, ``.git``) and caches are pruned, not walked.
    """
    times: dict[str, float] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in _SKIP]
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                try:
                    times[path] = os.stat(path).st_mtime
                except OSError:
                    continue
    return times


def run_with_reloader(argv: list[str], root: Path | None = None) -> int:
    """Run ``harpia <argv>`` in a child; restart it on changes; return its last exit code."""
    folder = root or Path.cwd()
    env = dict(os.environ, HARPIA_RELOADER_CHILD="1")
    command = [sys.executable, "-m", "harpia", *argv]
    seen = snapshot(folder)
    child = subprocess.Popen(command, env=env)
    try:
        while True:
            time.sleep(POLL_SECONDS)
            now = snapshot(folder)
            if now != seen:
                seen = now
                print("harpia: change detected, restarting", file=sys.stderr)
                _stop(child)
                child = subprocess.Popen(command, env=env)
            elif child.poll() is not None and child.returncode not in (0, None):
                # crashed (e.g. a syntax error): wait for the next change
                continue
    except KeyboardInterrupt:
        pass
    finally:
        _stop(child)
    return child.returncode or 0


def _stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
