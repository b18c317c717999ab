"""The README's examples run, in order, and print exactly what the README shows."""

from __future__ import annotations

import contextlib
import importlib.util
import io
from typing import TYPE_CHECKING, Any

from tests.templates.readme import README, examples, write_files

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def test_the_readme_examples_run_and_print_what_it_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "readme"}
    ran = 0
    for example in examples():
        if "jinja2" in example.tags and importlib.util.find_spec("jinja2") is None:
            continue  # the Jinja2 adapter needs Jinja2, installed only for the benchmark
        write_files(tmp_path, example.files)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(example.code, f"{README}:{example.line}", "exec"), namespace)
        if example.output is not None:  # print() adds a line break after a page's own
            shown = printed.getvalue().rstrip("\n")
            assert shown == example.output.rstrip("\n"), f"README line {example.line}"
        ran += 1
    assert ran >= 10


def test_the_readme_has_the_examples_the_issue_asks_for() -> None:
    text = README.read_text(encoding="utf-8")
    for heading in ["Layouts", "Plugins", "Unescaped content", "Nonce value", "Module structure"]:
        assert f"\n## {heading}\n" in text
    found = examples()
    assert all(example.output is not None for example in found)
    assert sum("standalone" in example.tags for example in found) == 1
    assert "BENCHMARK_TABLE" not in text
