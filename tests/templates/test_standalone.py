"""Standalone: the built wheel, alone in a fresh venv, runs the README's standalone example.

Nothing is fetched: the wheel is built with the dev venv's hatchling (``--no-index
--no-build-isolation``) and installed with ``--no-index --no-deps`` into a venv created
without pip, so its site-packages holds harpia-templates and nothing else.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.templates.readme import examples, write_files

PACKAGE = Path(__file__).resolve().parents[2] / "packages" / "harpia-templates"


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


def test_the_wheel_alone_runs_the_standalone_example(tmp_path: Path) -> None:
    (example,) = [example for example in examples() if "standalone" in example.tags]
    assert example.output is not None

    wheels = tmp_path / "wheels"
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
        "--no-index", "-w", wheels, PACKAGE)  # fmt: skip
    (wheel,) = wheels.glob("harpia_templates-*.whl")
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-index",
        "--no-deps", wheel)  # fmt: skip

    probe = (
        "import importlib.util as u, harpia_templates as t;"
        "print(t.__file__);"
        "print([n for n in ('harpia', 'harpia_store', 'harpia_router', 'jinja2', 'pip')"
        " if u.find_spec(n)])"
    )
    location, others = run(python, "-I", "-c", probe).splitlines()
    assert location.startswith(str(venv))
    assert others == "[]"

    project = tmp_path / "project"
    write_files(project, example.files)
    (project / "example.py").write_text(example.code, encoding="utf-8")
    printed = run(python, "-I", "example.py", cwd=project)
    assert printed.rstrip("\n") == example.output.rstrip("\n")
