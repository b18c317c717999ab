"""The command line: loading apps, turning flags into server options, the reloader."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

from harpia import Harpia
from harpia._cli import load_app, parser, server_options
from harpia._reload import snapshot

if TYPE_CHECKING:
    from pathlib import Path


def test_load_app_finds_module_attribute() -> None:
    app = load_app("examples.showcase.app:app")
    assert isinstance(app, Harpia)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("examples.showcase.app", "expected module:app"),
        ("no_such_module_here:app", "cannot import 'no_such_module_here'"),
        ("examples.showcase.app:nothing", "has no attribute 'nothing'"),
        ("examples.showcase.app:store", "is a MemoryStore, not a Harpia app"),
    ],
)
def test_load_app_errors_are_clear(target: str, message: str) -> None:
    with pytest.raises(SystemExit, match=message):
        load_app(target)


def test_flags_become_listen_options() -> None:
    args = parser().parse_args(
        ["run", "m:app", "--host", "0.0.0.0", "--port", "8080", "--workers", "2",
         "--tls-cert", "c.pem", "--tls-key", "k.pem", "--reload"]
    )  # fmt: skip
    assert server_options(args) == {
        "hostname": "0.0.0.0",
        "port": 8080,
        "workers": 2,
        "reuse_port": True,
        "tls": {"cert": "c.pem", "key": "k.pem"},
        "development": True,
        "access_log": True,
    }
    quiet = parser().parse_args(["run", "m:app", "--no-access-log"])
    assert server_options(quiet)["access_log"] is False
    unix = parser().parse_args(["run", "m:app", "--unix", "/tmp/h.sock"])
    assert server_options(unix)["unix"] == "/tmp/h.sock"
    with pytest.raises(SystemExit, match="go together"):
        server_options(parser().parse_args(["run", "m:app", "--tls-cert", "c.pem"]))


def test_python_dash_m_harpia_shows_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "harpia", "run", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert "module:app" in result.stdout
    assert "--reload" in result.stdout


def test_version_names_the_distribution() -> None:
    from importlib.metadata import version

    result = subprocess.run(
        [sys.executable, "-m", "harpia", "--version"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert result.stdout.startswith(f"harpia-framework {version('harpia-framework')} (Python 3.")


def test_reloader_snapshot_sees_changes_and_skips_hidden_folders(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("x = 1\n")
    hidden = tmp_path / ".venv" / "lib"
    hidden.mkdir(parents=True)
    (hidden / "big.py").write_text("")
    before = snapshot(tmp_path)
    assert list(before) == [os.path.join(tmp_path, "app.py")]
    time.sleep(0.01)
    (tmp_path / "app.py").write_text("x = 2\n")
    os.utime(tmp_path / "app.py", (time.time() + 5, time.time() + 5))
    assert snapshot(tmp_path) != before
