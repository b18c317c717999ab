"""The harpia-templates README, read with ``tests.support.readme``."""

from __future__ import annotations

from tests.support import readme
from tests.support.readme import PACKAGES, Example, write_files

README = PACKAGES / "harpia-templates" / "README.md"

__all__ = ("README", "Example", "examples", "write_files")


def examples() -> list[Example]:
    """The harpia-templates README's Python blocks in order."""
    return readme.examples(README)
