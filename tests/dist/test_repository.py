"""The repository stands on its own and tells users the real distribution names.

- No file refers to a file outside the repository (the old ``../shared/`` contract).
- No text tells users to ``pip install harpia``: on the public index that name belongs to an
  unrelated project; the framework is ``harpia-framework``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED = {"build", "dist", "site", "node_modules", "__pycache__"}  # generated folders
SUFFIXES = {".md", ".py", ".toml", ".txt", ".yml", ".yaml", ".cfg", ".html", ""}
OUTSIDE = re.compile(r"\.\./" + "shared|" + "SPEC" + r"\.md")
WRONG_NAME = re.compile(r"pip install\s+(?:-\S+\s+)*['\"]?" + "harpia" + r"(?![-\w])")


def texts() -> list[Path]:
    """The repository's text files (hidden and generated folders left out, .ci kept)."""
    found = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [
            name
            for name in subfolders
            if name not in SKIPPED and (not name.startswith(".") or name == ".ci")
        ]
        for name in files:
            path = Path(folder, name)
            if path.suffix in SUFFIXES and path.stat().st_size < 1_000_000:
                found.append(path)
    return found


def hits(pattern: re.Pattern[str]) -> list[str]:
    found = []
    for path in texts():
        text = path.read_text("utf-8", errors="replace")
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"{path.relative_to(ROOT)}:{line}: {match.group(0)}")
    return found


def test_the_scan_sees_the_repository() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in texts()}
    assert {"README.md", "scripts/setup", ".ci/run", "packages/harpia/README.md"} <= names
    assert not [name for name in names if name.startswith(".venv/")]


def test_nothing_refers_to_files_outside_the_repository() -> None:
    assert hits(OUTSIDE) == []


def test_nothing_tells_users_to_install_the_wrong_harpia() -> None:
    assert WRONG_NAME.search("pip install harpia")
    assert WRONG_NAME.search("pip install -U 'harpia[watch]'")
    assert not WRONG_NAME.search("pip install harpia-framework harpia-store")
    assert hits(WRONG_NAME) == []
