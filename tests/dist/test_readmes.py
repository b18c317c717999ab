"""Each package README is its long description: it must read right on a package index page.

There, nothing of the repository is around the text, so:

- every link and image points to an absolute ``https://`` URL (no ``../x/README.md``, no
  ``docs/x.png``, no ``#anchor``: index pages give headings no ids); links into the
  repository name a file or folder that exists;
- a file of the repository (``tests/…``, ``bench/…``, ``examples/…``, ``scripts/…``) is
  named as a link to it, unless the text says it is in the repository (below);
- a command that only works in a clone (``.venv/bin/…``, ``scripts/…``) is said to be
  one: it sits in a section whose heading ends with "(in the repository)", or its
  paragraph (for a code block: the paragraph before it) says "in the repository".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
READMES = sorted((ROOT / "packages").glob("*/README.md"))
REPOSITORY = "https://github.com/harpia-py/harpia"
IN_REPOSITORY = "in the repository"

_LINK = re.compile(r"!?\[(?:[^\]]|\][^(])*\]\(([^)\s]+)[^)]*\)")
_HTML_LINK = re.compile(r"""(?:href|src)\s*=\s*["']([^"']+)["']""")
_REPO_PATH = re.compile(r"(?<!\[)`((?:tests|bench|examples|scripts)/[^`\s]*)`")
_CLONE_COMMAND = re.compile(r"\.venv/bin/|(?<![\w/.-])scripts/\w")
_REPO_URL = re.compile(re.escape(REPOSITORY) + r"/(?:blob|tree)/main/([^)#?\s]*)")


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph or a fenced code block, with its section heading and first line."""

    text: str
    code: bool
    heading: str
    line: int


def blocks(text: str) -> list[Block]:
    """Split a README into paragraphs and fenced code blocks (headings are their own)."""
    found: list[Block] = []
    heading, current, start, fence = "", list[str](), 0, False

    def flush() -> None:
        if current:
            found.append(Block("\n".join(current), fence, heading, start))
            current.clear()

    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("```"):
            if fence:  # closing fence
                current.append(line)
                flush()
                fence = False
            else:
                flush()
                fence, start = True, number
                current.append(line)
            continue
        if fence:
            current.append(line)
        elif not line.strip():
            flush()
        elif line.startswith("#"):
            flush()
            heading = line
        else:
            if not current:
                start = number
            current.append(line)
    flush()
    return found


def said_to_be_in_the_repository(block: Block, previous: Block | None) -> bool:
    if block.heading.rstrip().endswith(f"({IN_REPOSITORY})"):
        return True
    said = block if not block.code else previous
    return said is not None and not said.code and IN_REPOSITORY in " ".join(said.text.split())


def readme_id(path: Path) -> str:
    return path.parent.name


@pytest.mark.parametrize("readme", READMES, ids=readme_id)
def test_links_and_images_are_absolute_and_repository_links_resolve(readme: Path) -> None:
    text = readme.read_text("utf-8")
    prose = "\n\n".join(block.text for block in blocks(text) if not block.code)
    targets = _LINK.findall(prose) + _HTML_LINK.findall(prose)
    relative = [target for target in targets if not target.startswith("https://")]
    assert relative == [], f"{readme_id(readme)}: links that break on an index page"
    missing = [
        match.group(1)
        for target in targets
        if (match := _REPO_URL.match(target)) and not (ROOT / match.group(1)).exists()
    ]
    assert missing == [], f"{readme_id(readme)}: links to files the repository lacks"


@pytest.mark.parametrize("readme", READMES, ids=readme_id)
def test_repository_files_are_links_and_clone_commands_say_so(readme: Path) -> None:
    found = blocks(readme.read_text("utf-8"))
    bare_paths, unsaid = [], []
    for index, block in enumerate(found):
        if said_to_be_in_the_repository(block, found[index - 1] if index else None):
            continue
        if not block.code:
            bare_paths += [(block.line, path) for path in _REPO_PATH.findall(block.text)]
        if _CLONE_COMMAND.search(block.text):
            unsaid.append(block.line)
    assert bare_paths == [], f"{readme_id(readme)}: link these to {REPOSITORY}/blob/main/…"
    assert unsaid == [], (
        f"{readme_id(readme)}: lines {unsaid} hold commands that need a clone; say "
        f'"{IN_REPOSITORY}" (in the heading, the paragraph or the one before the code)'
    )


def test_the_rules_catch_what_they_are_for() -> None:
    text = (
        "# x\n\nSee [y](../y/README.md) and ![d](docs/d.png) and [z](#z).\n\n"
        "Measured by `tests/x/test_y.py`.\n\n```\n.venv/bin/python bench/x.py\n```\n\n"
        f"## Benchmark ({IN_REPOSITORY})\n\n```\nscripts/test\n```\n"
    )
    found = blocks(text)
    assert _LINK.findall(found[0].text) == ["../y/README.md", "docs/d.png", "#z"]
    assert _REPO_PATH.findall(found[1].text) == ["tests/x/test_y.py"]
    assert not said_to_be_in_the_repository(found[2], found[1])
    assert said_to_be_in_the_repository(found[3], found[2])
