"""Scope: handle_entry call forms, start/ready, option changes (update or restart), close."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pytest

import harpia as hp
from harpia.components import EntryEvent, EntryHandler, Scope

from .recorder import Recorder, other_tasks

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "a.css").write_bytes(b"a")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "b.md").write_bytes(b"b")
    return tmp_path


def root(**options: Any) -> dict[str, Any]:
    return {"static": {"files": "web/**", "url_path": "/static", **options}, "other": {}}


def make_scope(site: Path, config: dict[str, Any] | None = None, dev: bool = False) -> Scope:
    return Scope("static", site, hp.harpia(), config or root(), development=dev)


def test_attributes(site: Path) -> None:
    app = hp.harpia()
    scope = Scope("static", site, app, root(), development=True)
    assert scope.name == "static"
    assert scope.directory == site.resolve()
    assert scope.app is app
    assert scope.development
    assert scope.options.get("url_path") == "/static"
    assert not scope.restart_requested


def test_handle_entry_without_arguments_is_the_default_handler(site: Path) -> None:
    scope = make_scope(site)
    default = scope.handle_entry()
    assert isinstance(default, EntryHandler)
    assert default.files.source == ("web/**",)
    assert default.url_base == "/static"
    assert scope.handle_entry() is default
    assert scope.entry_handlers == (default,)


def test_handle_entry_with_a_function_listens_to_all_on_the_default(site: Path) -> None:
    scope = make_scope(site)

    def on_entry(entry: EntryEvent) -> None:
        pass

    default = scope.handle_entry(on_entry)
    assert default is scope.handle_entry()
    assert default.listener_count("all") == 1


def test_handle_entry_with_files_is_a_new_handler(site: Path) -> None:
    scope = make_scope(site)
    docs = scope.handle_entry("docs/*.md")
    assert docs.files.source == ("docs/*.md",)
    assert docs.url_base == "/"
    listed = scope.handle_entry({"source": ["docs/*.md"], "only": "files"}, print)
    assert listed.files.only == "files"
    assert listed.listener_count("all") == 1
    with_url = scope.handle_entry({"files": "docs/**", "url_path": "./docs"}, print)
    assert with_url.url_base == "/static/docs"
    assert len({id(h) for h in scope.entry_handlers}) == 3
    assert scope.handle_entry() not in (docs, listed, with_url)


def test_handle_entry_errors_name_the_component_and_key(site: Path) -> None:
    scope = make_scope(site, {"static": {"url_path": "/s"}})
    with pytest.raises(ValueError, match=r"static: handle_entry\(\) without files needs"):
        scope.handle_entry()
    with pytest.raises(ValueError, match=r"static\.files: '\.\./x' is not a valid glob"):
        scope.handle_entry({"files": "../x"})
    with pytest.raises(ValueError, match=r"static: unknown key 'path'"):
        scope.handle_entry({"files": "x", "path": "/"})
    with pytest.raises(TypeError, match="static: the entry handler must be callable"):
        scope.handle_entry("docs/*", "not callable")  # type: ignore[call-overload]
    bad = make_scope(site, {"static": {"files": 5}})
    with pytest.raises(TypeError, match=r"static\.files must be a glob string"):
        bad.handle_entry()


async def test_start_scans_every_handler_then_emits_ready(site: Path) -> None:
    scope = make_scope(site)
    seen: list[str] = []
    scope.handle_entry(lambda entry: seen.append(entry.url_path))
    scope.handle_entry("docs/*.md", lambda entry: seen.append(entry.url_path))
    scope.options.on("ready", lambda: seen.append("options ready"))
    scope.on("ready", lambda: seen.append("scope ready"))
    await scope.start()
    assert seen == ["/static/a.css", "/b.md", "options ready", "scope ready"]
    await scope.close()


async def test_an_option_nobody_handles_requests_a_restart(
    site: Path, caplog: pytest.LogCaptureFixture
) -> None:
    scope = make_scope(site)
    await scope.start()
    with caplog.at_level(logging.WARNING, logger="harpia.components"):
        await scope.options.apply(root(max_age=60))
        await scope.options.apply(root(max_age=120))
    assert scope.restart_requested
    assert caplog.text.count("needs a restart") == 1
    await scope.close()


async def test_an_options_change_listener_means_no_restart(site: Path) -> None:
    scope = make_scope(site)
    changes: list[list[str]] = []
    scope.options.on("change", lambda key, value, config: changes.append(key))
    await scope.start()
    await scope.options.apply(root(max_age=60))
    assert changes == [["max_age"]]
    assert not scope.restart_requested
    await scope.close()


async def test_default_handler_listeners_mean_no_restart(site: Path) -> None:
    scope = make_scope(site)
    scope.handle_entry(print)
    await scope.start()
    await scope.options.apply(root(max_age=60))
    assert not scope.restart_requested
    await scope.close()


async def test_files_and_url_path_changes_update_the_default_handler(site: Path) -> None:
    scope = make_scope(site, dev=True)
    default = scope.handle_entry()
    recorder = Recorder(default)
    await scope.start()
    assert recorder.take() == [("add", "/static/a.css"), ("ready", "")]
    new = {"static": {"files": ["web/**", "docs/*.md"], "url_path": "/files"}}
    await scope.options.apply(new)  # two changed keys: one update
    assert recorder.take() == [
        ("unlink", "/static/a.css"),
        ("add", "/files/b.md"),  # in path order: docs/ before web/
        ("add", "/files/a.css"),
        ("ready", ""),
    ]
    assert not scope.restart_requested
    (site / "docs" / "c.md").write_bytes(b"c")  # the new pattern is watched
    assert await recorder.wait(1) == [("add", "/files/c.md")]
    await scope.close()


async def test_an_invalid_files_change_is_an_options_error(site: Path) -> None:
    scope = make_scope(site)
    default = scope.handle_entry(print)
    errors: list[Exception] = []
    scope.options.on("error", errors.append)
    await scope.start()
    await scope.options.apply(root(files="../x"))
    assert [type(e) for e in errors] == [ValueError]
    assert default.files.source == ("web/**",)
    await scope.close()


async def test_close_closes_handlers_and_options_and_leaves_no_task(site: Path) -> None:
    before = other_tasks()
    scope = make_scope(site, dev=True)
    default = scope.handle_entry(print)
    other = scope.handle_entry("docs/*.md", print)
    events: list[str] = []
    scope.on("close", lambda: events.append("scope"))
    scope.options.on("close", lambda: events.append("options"))
    default.on("close", lambda: events.append("default"))
    other.on("close", lambda: events.append("other"))
    await scope.start()
    assert other_tasks() != before
    await scope.close()
    assert events == ["default", "other", "options", "scope"]
    assert other_tasks() == before
    assert scope.listener_count() == 0
    assert default.closed
    with pytest.raises(RuntimeError, match="closed"):
        scope.handle_entry()
