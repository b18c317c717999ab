"""The command line: loading apps, turning flags into server options, the reloader."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import pytest

from harpia import Harpia
from harpia._cli import load_app, parser, server_options
from harpia._reload import DEFAULT_EXCLUDE, DEFAULT_INCLUDE, snapshot

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


def test_reload_watches_templates_static_and_config_by_default(tmp_path: Path) -> None:
    for name in (
        "app.py",
        "views/home/page.html",
        "public/site.css",
        "public/app.js",
        "harpia.toml",
        "pyproject.toml",
        "config.yaml",
        "notes.md",
        "data.db",
        "__pycache__/app.cpython-311.pyc",
        "node_modules/x/index.js",
        ".git/HEAD",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    watched = {os.path.relpath(path, tmp_path) for path in snapshot(tmp_path)}
    assert watched == {
        "app.py", os.path.join("views", "home", "page.html"), os.path.join("public", "site.css"),
        os.path.join("public", "app.js"), "harpia.toml", "pyproject.toml", "config.yaml",
    }  # fmt: skip
    more = snapshot(tmp_path, (*DEFAULT_INCLUDE, "*.md"), (*DEFAULT_EXCLUDE, "public"))
    watched = {os.path.relpath(path, tmp_path) for path in more}
    assert "notes.md" in watched
    assert not any(path.startswith("public") for path in watched)
    by_path = snapshot(tmp_path, ("views/*/*.html",), DEFAULT_EXCLUDE)
    assert [os.path.relpath(path, tmp_path) for path in by_path] == [
        os.path.join("views", "home", "page.html")
    ]


def test_reload_flags_parse() -> None:
    args = parser().parse_args(
        ["run", "m:app", "--reload", "--reload-include", "*.md", "--reload-include", "*.txt",
         "--reload-exclude", "build", "--log-level", "DEBUG", "--app-dir", "src"]
    )  # fmt: skip
    assert args.reload_include == ["*.md", "*.txt"]
    assert args.reload_exclude == ["build"]
    assert args.log_level == "debug"
    assert args.app_dir == "src"


def test_routes_table_lists_websockets_middleware_and_static(tmp_path: Path) -> None:
    from harpia import Request, Response
    from harpia._routes_table import format_table, route_rows

    app = Harpia()

    async def audit(req: Request, res: Response, next: Any) -> None:
        await next()

    async def admin_only(req: Request, res: Response, next: Any) -> None:
        await next()

    async def dashboard(req: Request, res: Response) -> None:
        res.text("ok")

    class Chat:
        async def message(self, ws: Any, data: Any) -> None:
            pass

    app.use(audit)
    app.use("/admin", admin_only)
    app.get("/admin/dash", dashboard)
    app.all("/ping", dashboard)
    app.ws("/chat", Chat)
    app.static(str(tmp_path), "/assets")
    rows = route_rows(app)
    here = __name__
    assert (
        "GET", "/admin/dash", f"{here}.{dashboard.__qualname__}",
        f"{here}.{audit.__qualname__}, {here}.{admin_only.__qualname__}",
    ) in rows  # fmt: skip
    assert (
        "*",
        "/ping",
        f"{here}.{dashboard.__qualname__}",
        f"{here}.{audit.__qualname__}",
    ) in rows
    assert any(row[0] == "WS" and row[1] == "/chat" and row[2].endswith("Chat") for row in rows)
    assert ("GET", "/assets/*", f"static files: {tmp_path}", "-") in rows
    table = format_table(rows).splitlines()
    assert table[0].split() == ["METHOD", "PATH", "HANDLER", "MIDDLEWARE"]
    assert format_table([]) == "no routes"
