"""Read a package README's examples: files, Python blocks and their outputs.

Fenced blocks, by their info string:

- ```` ```html path/to/file.html ```` (any language, then a path): a file to write;
- ```` ```python ```` : code (``python standalone``: the quick start, a whole program that
  runs in a fresh venv holding only that distribution and its dependencies, see
  ``tests/dist/test_install.py``; ``python jinja2``: needs Jinja2);
- ```` ```text output ```` : what the previous Python block prints, exactly.

The harpia-templates README runs every Python block (``tests/templates/test_readme.py``);
every package README has exactly one ``standalone`` block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

PACKAGES = Path(__file__).resolve().parents[2] / "packages"
_FENCE = re.compile(r"^```(\w*)([^\n]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True, slots=True)
class Example:
    """One runnable block, the files written before it and the output expected from it."""

    code: str
    tags: tuple[str, ...]
    files: tuple[tuple[str, str], ...]  # every file block before this one, in order
    output: str | None
    line: int


def examples(readme: Path) -> list[Example]:
    """The README's Python blocks in order, each with its files and expected output."""
    text = readme.read_text(encoding="utf-8")
    files: list[tuple[str, str]] = []
    found: list[Example] = []
    for match in _FENCE.finditer(text):
        language, info, body = match.group(1), match.group(2).split(), match.group(3)
        line = text.count("\n", 0, match.start()) + 1
        if language == "python":
            found.append(Example(body, tuple(info), tuple(files), None, line))
        elif info == ["output"]:
            if not found or found[-1].output is not None:
                raise ValueError(f"README line {line}: an output block follows no Python block")
            last = found[-1]
            found[-1] = Example(last.code, last.tags, last.files, body, last.line)
        elif info and ("/" in info[0] or "." in info[0]):
            files.append((info[0], body))
    return found


def standalone(readme: Path) -> Example:
    """The README's one ``python standalone`` block (its quick start)."""
    found = [example for example in examples(readme) if "standalone" in example.tags]
    if len(found) != 1:
        raise ValueError(f"{readme}: {len(found)} 'python standalone' blocks, not one")
    return found[0]


def write_files(root: Path, files: tuple[tuple[str, str], ...]) -> None:
    """Write the README's template files under ``root`` (later blocks win)."""
    for path, body in files:
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
