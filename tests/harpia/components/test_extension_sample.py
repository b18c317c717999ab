"""Extensions: the sample package installed through the harpia.extensions entry point, local
extension modules, the Scope API they get, and live config changes in development."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import anyio

import harpia
from harpia import TestClient
from tests.support.apps import app_dir, write

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    import pytest

__all__ = ("app_dir",)

EVENTLOG = """
events = []

async def handle_component(scope):
    scope.app.state["scope"] = scope
    for name in ("change", "remove", "ready"):
        scope.options.on(name, lambda *args, name=name: events.append((name, list(args[:2]))))
    extra = scope.handle_entry({"files": "data/*.json", "url_path": "/data"})
    extra.on("all", lambda entry: events.append((entry.event_type, entry.url_path)))
"""


async def until(check: Callable[[], Any], limit: float = 5.0) -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy (bounded)."""
    deadline = time.monotonic() + limit
    while True:
        result = check()
        if hasattr(result, "__await__"):
            result = await result
        if result or time.monotonic() > deadline:
            return result
        await anyio.sleep(0.05)


async def sample(client: TestClient, name: str = "sample") -> dict[str, Any]:
    res = await client.get(f"/_sample/{name}").execute()
    assert res.status == 200, res.text()
    data: dict[str, Any] = res.json()
    return data


async def test_entry_point_extension_with_files(app_dir: Path) -> None:
    write(
        app_dir,
        {
            "harpia.toml": """
            [sample]
            greeting = "hi"
            files = "notes/*.txt"
            url_path = "./notes"

            [second]
            package = "harpia_ext_sample"
            """,
            "notes/a.txt": "alpha",
            "notes/b.md": "not matched",
        },
    )
    async with TestClient(harpia.load(app_dir)) as client:
        assert await sample(client) == {
            "component": "sample",
            "greeting": "hi",
            "notes": {"/sample/notes/a.txt": "alpha"},
            "development": False,
        }
        assert (await sample(client, "second"))["greeting"] == "hello"


async def test_entries_follow_files_in_development(app_dir: Path) -> None:
    write(app_dir, {"harpia.toml": "[sample]\nfiles = 'notes/**'\n", "notes/a.txt": "alpha"})
    async with TestClient(harpia.load(app_dir, development=True)) as client:
        assert (await sample(client))["development"] is True
        write(app_dir, {"notes/sub/b.txt": "beta", "notes/a.txt": "ALPHA"})

        async def both() -> bool:
            return bool(
                (await sample(client))["notes"] == {"/a.txt": "ALPHA", "/sub/b.txt": "beta"}
            )

        assert await until(both)
        (app_dir / "notes/a.txt").unlink()

        async def gone() -> bool:
            return bool((await sample(client))["notes"] == {"/sub/b.txt": "beta"})

        assert await until(gone)


async def test_development_follows_the_app_when_not_given(app_dir: Path) -> None:
    write(app_dir, {"harpia.toml": "[sample]\n"})
    app = harpia.load(app_dir)
    app.development = True  # what listen(development=True) / harpia run --dev do
    async with TestClient(app) as client:
        assert (await sample(client))["development"] is True


async def test_config_edits_reach_options_and_a_broken_edit_keeps_the_last_good(
    app_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(
        app_dir,
        {
            "harpia.toml": "[sample]\ngreeting = 'one'\n\n[eventlog]\nlevel = 1\n",
            "eventlog.py": EVENTLOG,
            "data/x.json": "{}",
        },
    )
    app = harpia.load(app_dir, development=True)
    import eventlog  # type: ignore[import-not-found]

    events: list[Any] = eventlog.events
    async with TestClient(app) as client:
        assert ("add", "/data/x.json") in events
        write(app_dir, {"harpia.toml": "[sample]\ngreeting = 'two'\n\n[eventlog]\nlevel = 2\n"})

        async def greeting_two() -> bool:
            return bool((await sample(client))["greeting"] == "two")

        assert await until(greeting_two)
        assert await until(lambda: ("change", [["level"], 2]) in events)
        with caplog.at_level(logging.ERROR, logger="harpia.components"):
            write(app_dir, {"harpia.toml": "[sample\ngreeting = 'three'\n"})
            assert await until(lambda: ("remove", []) in events)
        assert "harpia.toml: invalid TOML" in caplog.text
        assert "keeping the last good configuration running" in caplog.text
        assert (await sample(client))["greeting"] == "two"  # still serving
        write(app_dir, {"harpia.toml": "[sample]\ngreeting = 'four'\n\n[eventlog]\nlevel = 2\n"})
        assert await until(lambda: ("ready", []) in events)

        async def greeting_four() -> bool:
            return bool((await sample(client))["greeting"] == "four")

        assert await until(greeting_four)


async def test_unhandled_option_change_requests_a_restart(
    app_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(
        app_dir,
        {
            "harpia.toml": "[plain]\nsize = 1\n",
            "plain.py": "def handle_component(scope):\n    scope.app.state['scope'] = scope\n",
        },
    )
    app = harpia.load(app_dir, development=True)
    async with TestClient(app):
        scope = app.state["scope"]
        assert not scope.restart_requested
        with caplog.at_level(logging.WARNING):
            write(app_dir, {"harpia.toml": "[plain]\nsize = 2\n"})
            assert await until(lambda: scope.restart_requested)
        assert "restart" in caplog.text


async def test_scope_api(app_dir: Path) -> None:
    write(
        app_dir,
        {
            "harpia.toml": "[probe]\nfiles = 'web/*'\nurl_path = './files'\ncolour = 'red'\n",
            "probe.py": """
            seen = {}

            async def handle_component(scope):
                seen["name"] = scope.name
                seen["directory"] = str(scope.directory)
                seen["colour"] = scope.options.get("colour")
                seen["all"] = scope.options.get_all()
                seen["root"] = scope.options.get_root()
                default = scope.handle_entry()
                seen["same_default"] = scope.handle_entry() is default
                paths = seen["paths"] = []
                default.on("add", lambda entry: paths.append((entry.url_path, entry.contents)))
                scope.on("close", lambda: seen.setdefault("closed", True))
            """,
            "web/page.txt": "page",
        },
    )
    app = harpia.load(app_dir)
    import probe  # type: ignore[import-not-found]

    seen: dict[str, Any] = probe.seen
    async with TestClient(app):
        assert seen["name"] == "probe"
        assert seen["directory"] == str(app_dir)
        assert seen["colour"] == "red"
        assert seen["all"] == {"files": "web/*", "url_path": "./files", "colour": "red"}
        assert seen["root"] == {"probe": seen["all"]}
        assert seen["same_default"] is True
        assert seen["paths"] == [("/probe/files/page.txt", b"page")]
    assert seen["closed"] is True


async def test_adding_a_component_needs_a_restart(
    app_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(app_dir, {"harpia.toml": "[sample]\ngreeting = 'one'\n"})
    async with TestClient(harpia.load(app_dir, development=True)) as client:
        with caplog.at_level(logging.WARNING, logger="harpia.components"):
            write(app_dir, {"harpia.toml": "[sample]\ngreeting = 'two'\n\n[shield]\n"})

            async def greeting_two() -> bool:
                return bool((await sample(client))["greeting"] == "two")

            assert await until(greeting_two)  # the other changes are applied
        assert "components were added, removed or replaced: restart required" in caplog.text
        res = await client.get("/_sample/sample").execute()
        assert "x-frame-options" not in res.headers  # not activated without a restart


async def test_the_readme_extension_example(app_dir: Path) -> None:
    import re

    from tests.support.processes import ROOT

    readme = (ROOT / "packages/harpia/README.md").read_text(encoding="utf-8")
    found = re.search(r"```python\n# harpia_notes/__init__.py[^\n]*\n(.*?)```", readme, re.S)
    assert found is not None
    write(
        app_dir,
        {
            "harpia_notes.py": found.group(1),
            "harpia.toml": '[notes]\npackage = "harpia_notes"\nfiles = "notes/*.txt"\n'
            'url_path = "."\ntitle = "My notes"\n',
            "notes/a.txt": "alpha",
        },
    )
    async with TestClient(harpia.load(app_dir)) as client:
        res = await client.get("/_notes").execute()
        assert res.json() == {"title": "My notes", "notes": {"/notes/a.txt": "alpha"}}
