"""Read the harpia-templates README's examples: template files, Python blocks, outputs.

Fenced blocks, by their info string:

- ```` ```html path/to/file.html ```` (any language, then a path): a file to write;
- ```` ```python ```` : code to run (``python standalone``: also run in a fresh venv with
  only the wheel; ``python jinja2``: needs Jinja2);
- ```` ```text output ```` : what the previous Python block prints, exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "packages" / "harpia-templates" / "README.md"
_FENCE = re.compile(r"^```(\w*)([^\n]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True, slots=True)
class Example:
    """One runnable block, the files written before it and the output expected from it."""

    code: str
    tags: tuple[str, ...]
    files: tuple[tuple[str, str], ...]  # every file block before this one, in order
    output: str | None
    line: int


def examples(readme: Path = README) -> list[Example]:
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


def write_files(root: Path, files: tuple[tuple[str, str], ...]) -> None:
    """Write the README's template files under ``root`` (later blocks win)."""
    for path, body in files:
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
