"""Fixtures for harpia-templates: a folder of templates, and a time limit on every test."""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING, Any

import pytest

from harpia_templates import TemplateEngine

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

TEST_TIME_LIMIT = 20.0


@pytest.fixture(autouse=True)
def _time_limit() -> Iterator[None]:
    """No template test may hang: each one fails after TEST_TIME_LIMIT seconds."""

    def expired(signum: int, frame: Any) -> None:
        raise TimeoutError(f"test ran longer than {TEST_TIME_LIMIT} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, TEST_TIME_LIMIT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Site:
    """A temporary project: write templates with ``site.write(path, text)``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, path: str, text: str) -> Path:
        file = self.root / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")
        return file

    def engine(self, **options: Any) -> TemplateEngine:
        paths = options.pop(
            "path",
            {
                "views": self.root / "views",
                "layouts": self.root / "layouts",
                "components": self.root / "components",
            },
        )
        return TemplateEngine(path=paths, **options)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Site:
    """A project folder (also the working directory) with views/, layouts/, components/."""
    monkeypatch.chdir(tmp_path)
    return Site(tmp_path)


@pytest.fixture
def render() -> Callable[..., str]:
    """``render(source, data=None, **options)``: render a template string."""
    engines: dict[tuple[tuple[str, Any], ...], TemplateEngine] = {}

    def run(source: str, data: dict[str, Any] | None = None, **options: Any) -> str:
        key = tuple(sorted(options.items()))
        engine = engines.get(key)
        if engine is None:
            engine = engines[key] = TemplateEngine(**options)
        return engine.render_string(source, data)

    return run
