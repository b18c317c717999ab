"""Standalone: the built wheel, alone in a fresh venv, runs the README's standalone example.

Nothing is fetched (see ``tests.support.wheel``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.support.wheel import install_alone, run
from tests.templates.readme import examples, write_files

if TYPE_CHECKING:
    from pathlib import Path


def test_the_wheel_alone_runs_the_standalone_example(tmp_path: Path) -> None:
    (example,) = [example for example in examples() if "standalone" in example.tags]
    assert example.output is not None
    python = install_alone("harpia-templates", "harpia_templates", tmp_path, "jinja2")

    project = tmp_path / "project"
    write_files(project, example.files)
    (project / "example.py").write_text(example.code, encoding="utf-8")
    printed = run(python, "-I", "example.py", cwd=project)
    assert printed.rstrip("\n") == example.output.rstrip("\n")
