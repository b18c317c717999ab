"""The README's Testing section is what a new user copies: it must pass as written.

The ``python pytest`` block is written to a fresh folder beside a ``pyproject.toml``
holding only the configuration the README shows, and a real pytest runs it there.
"""

from __future__ import annotations

import re
import subprocess
import sys
from typing import TYPE_CHECKING

from tests.support.readme import PACKAGES, examples

if TYPE_CHECKING:
    from pathlib import Path

README = PACKAGES / "harpia" / "README.md"


def test_the_readme_testing_example_passes_under_pytest(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    config = re.search(r"```toml\n(\[tool\.pytest\.ini_options\]\n.*?)```", text, re.DOTALL)
    assert config is not None, "the Testing section shows the pytest configuration"
    assert 'asyncio_mode = "auto"' in config.group(1)
    (block,) = [example for example in examples(README) if "pytest" in example.tags]
    (tmp_path / "pyproject.toml").write_text(config.group(1), encoding="utf-8")
    (tmp_path / "test_books.py").write_text(block.code, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_books.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
