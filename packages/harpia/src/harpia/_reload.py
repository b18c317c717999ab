"""``--reload``: run the server in a child process and restart it when a watched file changes.

Watched: files under the folder whose name (or path relative to it) matches an include
glob — ``*.py``, templates and static files (``*.html``, ``*.css``, ``*.js``) and the
config files by default, plus ``--reload-include`` — and no exclude glob (hidden folders,
caches, virtualenvs, plus ``--reload-exclude``). Polling modification times is enough for
development and needs no dependency; the child is restarted by SIGTERM, so the server
shuts down gracefully each time.

SIGINT and SIGTERM to this parent process stop the child (gracefully, killed after 10 s)
before the parent exits, so no orphan keeps the port; on Linux the child also gets SIGTERM
should the parent die without cleaning up (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from fnmatch import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from types import FrameType

logger = logging.getLogger("harpia.reload")

POLL_SECONDS = 0.5
STOP_TIMEOUT = 10.0

DEFAULT_INCLUDE = (
    "*.py",
    "*.html",
    "*.css",
    "*.js",
    "harpia.toml",
    "pyproject.toml",
    "config.yaml",
    "config.yml",
)
"""Globs of the files ``--reload`` watches (``--reload-include`` adds to them)."""

DEFAULT_EXCLUDE = (".*", "__pycache__", "node_modules", "venv", "site-packages", "*.py[cod]")
"""Globs of files and folders it never watches (``--reload-exclude`` adds to them)."""


def _matches(name: str, relative: str, globs: Iterable[str]) -> bool:
    return any(fnmatch(name, glob) or fnmatch(relative, glob) for glob in globs)


def snapshot(
    root: Path,
    include: Sequence[str] = DEFAULT_INCLUDE,
    exclude: Sequence[str] = DEFAULT_EXCLUDE,
) -> dict[str, float]:
    """Modification times of the watched files under ``root``.

    A file is watched when its name or its path relative to ``root`` (``/``-separated)
    matches a glob of ``include`` and none of ``exclude``; excluded folders (hidden ones,
    caches, virtualenvs) are pruned, not walked.
    """
    times: dict[str, float] = {}
    base = os.fspath(root)
    for folder, dirs, files in os.walk(base):
        relative_folder = os.path.relpath(folder, base).replace(os.sep, "/")
        prefix = "" if relative_folder == "." else relative_folder + "/"
        dirs[:] = [d for d in dirs if not _matches(d, prefix + d, exclude)]
        for name in files:
            relative = prefix + name
            if not _matches(name, relative, include) or _matches(name, relative, exclude):
                continue
            path = os.path.join(folder, name)
            try:
                times[path] = os.stat(path).st_mtime
            except OSError:
                continue
    return times


class _Stopped(Exception):
    """SIGTERM (or SIGHUP) reached the reload parent."""


def _on_signal(signum: int, frame: FrameType | None) -> None:
    raise _Stopped(signum)


def _die_with_parent() -> None:  # pragma: no cover - runs in the forked child
    """Linux: SIGTERM this child when the reload parent dies (even by SIGKILL)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def run_with_reloader(
    argv: list[str],
    root: Path | None = None,
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    roots: Sequence[Path] = (),
) -> int:
    """Run ``harpia <argv>`` in a child; restart it on changes; return its last exit code.

    Args:
        argv: The command line of the child (``run module:app --reload …``).
        root: The folder to watch (default: the current one).
        include: Globs watched on top of ``DEFAULT_INCLUDE``.
        exclude: Globs ignored on top of ``DEFAULT_EXCLUDE``.
        roots: More folders to watch (``--app-dir``).
    """
    folders = [root or Path.cwd(), *(r for r in roots if r != (root or Path.cwd()))]
    includes = (*DEFAULT_INCLUDE, *include)
    excludes = (*DEFAULT_EXCLUDE, *exclude)

    def look() -> dict[str, float]:
        seen: dict[str, float] = {}
        for folder in folders:
            seen.update(snapshot(folder, includes, excludes))
        return seen

    env = dict(os.environ, HARPIA_RELOADER_CHILD="1")
    command = [sys.executable, "-m", "harpia", *argv]
    preexec = _die_with_parent if sys.platform.startswith("linux") else None
    previous = {signal.SIGINT: signal.getsignal(signal.SIGINT)}
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", signal.SIGTERM)):
        previous[sig] = signal.signal(sig, _on_signal)
    seen = look()
    child = subprocess.Popen(command, env=env, preexec_fn=preexec)
    try:
        while True:
            time.sleep(POLL_SECONDS)
            now = look()
            if now != seen:
                changed = sorted(
                    path for path in now.keys() | seen.keys() if now.get(path) != seen.get(path)
                )
                seen = now
                shown = os.path.relpath(changed[0]) if changed else "?"
                more = f" (+{len(changed) - 1} more)" if len(changed) > 1 else ""
                logger.info("%s%s changed, restarting", shown, more)
                _stop(child)
                child = subprocess.Popen(command, env=env, preexec_fn=preexec)
    except (KeyboardInterrupt, _Stopped):
        pass
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):  # a second signal must not cut _stop
            signal.signal(sig, signal.SIG_IGN)
        try:
            _stop(child)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    return child.returncode if child.returncode and child.returncode > 0 else 0


def _stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
