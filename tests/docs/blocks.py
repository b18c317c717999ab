"""Read the documentation's fenced code blocks, with their titles and test directives.

The convention (also described on the site's "Contributing to the docs" page):

- A block with ``title="path"`` in its info string (```` ```python title="app.py" ````) is a
  file of the example: it is written to that path, in the page's own folder, before the
  blocks after it run.
- Every ``python`` block runs, in page order, in one namespace per page (a page builds
  its example up the way a reader follows it), with the page's folder as the working
  directory. Top-level ``await`` is allowed, as in ``python -m asyncio``.
- An HTML comment right before a block changes that: ``<!-- test: skip REASON -->`` does
  not run it (only where running is impossible), ``<!-- test: pytest -->`` runs the
  block, a test file, with pytest in a subprocess, in the page's folder.
- ``bash`` blocks are not run; their ``pip install`` lines must name real distributions.
- ``toml`` and ``yaml`` blocks must parse; ``html``, ``text`` and ``nginx`` blocks are
  files (with a title) or shown output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>```+)(?P<lang>[\w+-]*)[ \t]*(?P<info>.*)$")
_TITLE = re.compile(r'title="([^"]+)"')
_DIRECTIVE = re.compile(r"^\s*<!--\s*test:\s*(?P<what>\S+)\s*(?P<reason>.*?)\s*-->\s*$")


@dataclass(frozen=True, slots=True)
class Block:
    """One fenced code block of a page."""

    page: str  # relative to docs/
    line: int  # 1-based line of the opening fence
    language: str
    title: str | None
    directive: str | None  # "skip" or "pytest"
    reason: str
    code: str

    @property
    def where(self) -> str:
        return f"docs/{self.page}:{self.line}"


def pages() -> list[Path]:
    """Every Markdown page of the site."""
    return sorted(DOCS.rglob("*.md"))


def blocks(page: Path) -> list[Block]:
    """The page's fenced blocks in order (indented blocks, in lists or admonitions, too)."""
    lines = page.read_text(encoding="utf-8").splitlines()
    name = page.relative_to(DOCS).as_posix()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        body: list[str] = []
        j = i + 1
        while j < len(lines) and lines[j].strip() != fence:
            line = lines[j]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            j += 1
        if j == len(lines):
            raise ValueError(f"docs/{name}:{i + 1}: code block never closed")
        directive, reason = _directive(lines, i)
        title = _TITLE.search(opening["info"])
        found.append(
            Block(
                page=name,
                line=i + 1,
                language=opening["lang"],
                title=title.group(1) if title else None,
                directive=directive,
                reason=reason,
                code="\n".join(body) + "\n",
            )
        )
        i = j + 1
    return found


def _directive(lines: list[str], fence: int) -> tuple[str | None, str]:
    """The ``<!-- test: ... -->`` comment on the last non-blank line before a fence."""
    k = fence - 1
    while k >= 0 and not lines[k].strip():
        k -= 1
    if k < 0:
        return None, ""
    match = _DIRECTIVE.match(lines[k])
    if match is None:
        return None, ""
    what = match["what"]
    if what not in ("skip", "pytest"):
        raise ValueError(f"line {k + 1}: unknown test directive {what!r} (skip, pytest)")
    return what, match["reason"]
