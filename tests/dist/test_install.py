"""Install test: what a user gets from the wheelhouse, in fresh venvs, with no index at all.

Each small distribution is installed alone (``pip install --no-index --find-links dist/
--find-links deps/ NAME``) and runs its README's quick start (the ``python standalone``
block, compared with the README's ``text output``); then ``harpia-framework`` is installed
the same way and its ``harpia`` command serves the showcase app, whose first page must
answer 200, and the example of the repository's README. The venvs are made without pip; the dev venv's pip installs into them
(``--python``), in isolated mode (no pip configuration, no index).
"""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.processes import stop, wait_for
from tests.support.readme import standalone, write_files
from tests.support.redis_server import free_port
from tests.support.wheel import run

if TYPE_CHECKING:
    from tests.dist.conftest import Wheelhouse

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
MODULES = {
    "harpia-framework": "harpia",
    "harpia-router": "harpia_router",
    "harpia-shield": "harpia_shield",
    "harpia-store": "harpia_store",
    "harpia-telemetry": "harpia_telemetry",
    "harpia-templates": "harpia_templates",
}
SMALL = {  # distribution: the Harpia modules it may bring (itself and its dependencies)
    "harpia-router": {"harpia_router"},
    "harpia-shield": {"harpia_shield"},
    "harpia-store": {"harpia_store"},
    "harpia-telemetry": {"harpia_telemetry", "harpia_store"},
    "harpia-templates": {"harpia_templates"},
}
INSTALL_TIMEOUT = 120.0


def fresh_venv(path: Path) -> Path:
    """A venv without pip at ``path``; its python."""
    run(sys.executable, "-m", "venv", "--without-pip", path)
    return path / "bin" / "python"


def install(wheelhouse: Wheelhouse, python: Path, *names: str) -> float:
    """``pip install`` ``names`` into ``python``'s venv from the wheelhouse only; seconds."""
    started = time.monotonic()
    run(sys.executable, "-m", "pip", "--isolated", "--python", python, "install", "--quiet",
        *wheelhouse.find_links(), *names, timeout=INSTALL_TIMEOUT)  # fmt: skip
    return time.monotonic() - started


def importable(python: Path) -> set[str]:
    """The Harpia modules ``python`` can import (each from its own venv, checked)."""
    probe = (
        "import importlib.util as u, sys\n"
        f"for name in {sorted(MODULES.values())!r}:\n"
        "    spec = u.find_spec(name)\n"
        "    if spec is not None:\n"
        "        assert spec.origin.startswith(sys.prefix), spec.origin\n"
        "        print(name)\n"
    )
    return set(run(python, "-I", "-c", probe).split())


def test_twine_passes_all_twelve_artefacts(wheelhouse: Wheelhouse) -> None:
    artefacts = sorted(p.name for p in wheelhouse.dist.iterdir())
    assert len(artefacts) == 12
    assert wheelhouse.twine_report.count("PASSED") == 12, wheelhouse.twine_report
    print(f"\nscripts/dist: {wheelhouse.build_seconds:.1f} s for {len(artefacts)} artefacts")
    print(f"pip download of the third-party wheels: {wheelhouse.download_seconds:.1f} s")


@pytest.mark.parametrize("name", sorted(MODULES))
def test_each_wheel_and_sdist_ships_the_licence_and_py_typed(
    wheelhouse: Wheelhouse, name: str
) -> None:
    licence = (ROOT / "LICENSE").read_bytes()
    stem = name.replace("-", "_")
    (wheel,) = wheelhouse.dist.glob(f"{stem}-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (found,) = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
        assert archive.read(found) == licence
        assert f"{MODULES[name]}/py.typed" in names
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        assert "\nLicense-Expression: MIT\n" in archive.read(metadata).decode()
    (sdist,) = wheelhouse.dist.glob(f"{stem}-*.tar.gz")
    unpacked = wheelhouse.dist.parent / "sdists"
    shutil.unpack_archive(sdist, unpacked)
    (top,) = unpacked.glob(f"{stem}-*/")
    assert (top / "LICENSE").read_bytes() == licence
    assert (top / "README.md").is_file()
    assert "\nLicense-Expression: MIT\n" in (top / "PKG-INFO").read_text("utf-8")
    shutil.rmtree(unpacked)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_a_small_distribution_alone_runs_its_readme_quick_start(
    wheelhouse: Wheelhouse, name: str, tmp_path: Path
) -> None:
    example = standalone(ROOT / "packages" / name / "README.md")
    assert example.output is not None, f"{name}: the quick start shows no output"
    python = fresh_venv(tmp_path / "venv")
    seconds = install(wheelhouse, python, name)
    assert importable(python) == SMALL[name]  # never the framework, nor another package

    project = tmp_path / "project"
    project.mkdir()
    write_files(project, example.files)
    (project / "quickstart.py").write_text(example.code, encoding="utf-8")
    printed = run(python, "-I", "quickstart.py", cwd=project)
    assert printed.rstrip("\n") == example.output.rstrip("\n")
    print(f"\n{name}: installed alone in {seconds:.1f} s; its README quick start runs")


def first_request(harpia: Path, project: Path, target: str, path: str) -> tuple[int, str]:
    """Serve ``target`` with ``harpia run`` from ``project``; status and body of GET ``path``."""
    port = free_port()
    server = subprocess.Popen(
        [harpia, "run", target, "--host", "127.0.0.1", "--port", str(port)],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin"},
    )
    try:
        wait_for(port, server, timeout=30)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            status, body = response.status, response.read().decode("utf-8")
        finally:
            connection.close()
    finally:
        stop(server)
    assert server.stderr is not None
    log = server.stderr.read().decode()
    server.stderr.close()
    assert status == 200, log
    return status, body


def test_the_framework_installs_and_serves_the_showcase(
    wheelhouse: Wheelhouse, tmp_path: Path
) -> None:
    python = fresh_venv(tmp_path / "venv")
    seconds = install(wheelhouse, python, "harpia-framework")
    assert importable(python) == set(MODULES.values())
    harpia = python.parent / "harpia"  # the console script of the wheel
    assert run(harpia, "--version").startswith("harpia-framework 0.")

    project = tmp_path / "project"
    project.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "uploads")
    shutil.copytree(ROOT / "examples" / "showcase", project / "showcase", ignore=ignore)
    _, page = first_request(harpia, project, "showcase.app:app", "/")
    assert "<h1>A shared bookshelf</h1>" in page  # templates, layout and components
    assert "Dom Casmurro" in page  # the startup hook seeded the store

    # The example of the repository's README (its front door), as app.py.
    (project / "app.py").write_text(standalone(ROOT / "README.md").code, encoding="utf-8")
    _, body = first_request(harpia, project, "app:app", "/hello/world")
    assert json.loads(body) == {"hello": "world"}

    # The [redis] extra brings redis-py, which RedisPubSub and RedisStore need.
    check = "import harpia; harpia.RedisPubSub(); harpia.RedisStore(); print('ok')"
    assert "ImportError" in subprocess.run(
        [python, "-I", "-c", check], capture_output=True, text=True, timeout=60, check=False
    ).stderr
    extra = install(wheelhouse, python, "harpia-framework[redis]")
    assert run(python, "-I", "-c", check).strip() == "ok"
    print(f"\nharpia-framework: installed in {seconds:.1f} s, [redis] in {extra:.1f} s")
