"""mypy --strict on snippets: documented handler forms pass, mistakes fail at the call.

``snippets/ok_*.py`` must type-check cleanly; in ``snippets/bad_*.py`` every line marked
``# E: <code>`` must get exactly that mypy error and no other line any. One mypy run
checks every snippet (the repository's mypy configuration excludes the folder).
"""

from __future__ import annotations

import re
from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parents[2]
SNIPPETS = Path(__file__).resolve().parent / "snippets"
_ERROR = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$")
_MARK = re.compile(r"#\s*E:\s*(?P<code>[a-z-]+)\s*$")


def _expected() -> set[tuple[str, int, str]]:
    marks: set[tuple[str, int, str]] = set()
    for path in sorted(SNIPPETS.glob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            mark = _MARK.search(line)
            if mark is not None:
                marks.add((path.name, number, mark.group("code")))
    return marks


def test_snippets_pass_and_fail_where_marked() -> None:
    files = sorted(str(path) for path in SNIPPETS.glob("*.py"))
    assert any("ok_" in name for name in files)
    assert any("bad_" in name for name in files)
    stdout, stderr, _ = api.run(
        ["--config-file", str(ROOT / "pyproject.toml"), "--no-error-summary", *files]
    )
    assert stderr == ""
    found: set[tuple[str, int, str]] = set()
    for line in stdout.splitlines():
        error = _ERROR.match(line)
        if error is not None:
            found.add(
                (Path(error.group("path")).name, int(error.group("line")), error.group("code"))
            )
    expected = _expected()
    assert expected, "no line is marked # E"
    assert not {entry for entry in found if entry[0].startswith("ok_")}, stdout
    assert found == expected, stdout
