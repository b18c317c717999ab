"""``mypy --strict`` on snippets: ``listen``/``serve``/``Server`` options are typed, so a
misspelt option or a wrong value type is a type error (not a run-time surprise)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

api = pytest.importorskip("mypy.api")

ROOT = Path(__file__).resolve().parents[2]

SNIPPET = """
from harpia import Harpia, ListenOptions, Server, harpia

app: Harpia = harpia()


def good() -> None:
    app.listen(port=3000, hostname="127.0.0.1", workers=2, access_log=True, driver="anyio")
    options: ListenOptions = {"port": 0, "shutdown_timeout": 5}
    app.listen(**options)
    Server(app, port=0, hostname="127.0.0.1")


async def good_serve() -> None:
    await app.serve(port=0, development=True)


def bad() -> None:
    app.listen(prot=3000)  # E: prot
    app.listen(port="3000")  # E: port type
    Server(app, driver="uvloop")  # E: driver value


async def bad_serve() -> None:
    await app.serve(hostnme="127.0.0.1")  # E: hostnme
"""


def test_mypy_rejects_misspelt_or_mistyped_listen_options(tmp_path: Path) -> None:
    snippet = tmp_path / "listen_snippet.py"
    source = textwrap.dedent(SNIPPET)
    snippet.write_text(source)
    stdout, stderr, status = api.run(
        ["--config-file", str(ROOT / "pyproject.toml"), "--no-error-summary", str(snippet)]
    )
    errors: dict[int, str] = {}
    for line in stdout.splitlines():
        found = re.match(r".*listen_snippet\.py:(\d+): error: (.*)", line)
        if found:
            errors[int(found[1])] = errors.get(int(found[1]), "") + found[2]
    expected = {
        number: line.split("# E: ")[1]
        for number, line in enumerate(source.splitlines(), start=1)
        if "# E: " in line
    }
    assert status == 1, stdout + stderr
    assert set(errors) == set(expected), stdout  # every bad line, and only those
    assert '"prot"' in errors[min(expected)]
    assert '"hostnme"' in errors[max(expected)]
