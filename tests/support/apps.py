"""App folders for the component tests: files written into a temporary folder, and
``sys.path``/``sys.modules`` restored afterwards (``harpia.load`` puts the folder on
``sys.path`` and the ``routes`` built-in registers modules)."""

from __future__ import annotations

import sys
import textwrap
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``files`` (relative path -> text, dedented, or bytes) under ``root``."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture
def app_dir(tmp_path: Path) -> Iterator[Path]:
    """An empty app folder; imports made while loading it are forgotten afterwards."""
    path = list(sys.path)
    root = tmp_path / "app"
    root.mkdir()
    yield root
    sys.path[:] = path
    inside = str(tmp_path)
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(inside):
            del sys.modules[name]
