"""``harpia run`` without module:app composes the app from the current folder's config."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

from tests.support.apps import write
from tests.support.redis_server import free_port

if TYPE_CHECKING:
    from pathlib import Path


def run(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "harpia", "run", "--port", str(free_port()), *args]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=30)


def test_no_config_in_the_folder(tmp_path: Path) -> None:
    done = run(tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"harpia: no harpia.toml, [tool.harpia] in pyproject.toml or config.yaml in "
        f"{str(tmp_path.resolve())!r}"
    )


def test_invalid_config(tmp_path: Path) -> None:
    write(tmp_path, {"harpia.toml": "[static]\nfiles = 3\n"})
    done = run(tmp_path, "--dev")
    assert done.returncode == 1
    assert done.stderr.strip().endswith(
        "harpia: harpia.toml: [static] files: "
        "expected a glob string, a list of globs or a table, got 3"
    )


def test_extension_failing_at_startup_stops_the_server(tmp_path: Path) -> None:
    write(tmp_path, {"harpia.toml": "[sample]\nfail = true\n"})
    done = run(tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip().endswith(
        "harpia: harpia.toml: [sample] entry point 'sample' (harpia_ext_sample) failed to "
        "start: RuntimeError: the sample extension was told to fail"
    )
