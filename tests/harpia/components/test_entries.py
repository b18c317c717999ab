"""EntryHandler on real folders: initial scan, live watching with watchfiles, update, close."""

from __future__ import annotations

import os
import shutil
import sys
import time
from typing import TYPE_CHECKING

import anyio
import pytest

from harpia.components import EntryHandler
from harpia.components._watch import Watcher

from .recorder import Recorder, other_tasks

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    (root / "web" / "css").mkdir(parents=True)
    (root / "web" / "css" / "a.css").write_bytes(b"a {}")
    (root / "web" / "index.html").write_bytes(b"<h1>hi</h1>")
    (root / "web" / ".hidden").write_bytes(b"secret")
    (root / ".venv" / "lib").mkdir(parents=True)
    (root / "notes.txt").write_bytes(b"notes")
    return root


async def test_initial_scan_events_urls_contents_and_ready(site: Path) -> None:
    handler = EntryHandler("static", site, "web/**", "/static")
    recorder = Recorder(handler)
    await handler.start()
    assert recorder.take() == [
        ("add_dir", "/static/css"),
        ("add", "/static/css/a.css"),
        ("add", "/static/index.html"),
        ("ready", ""),
    ]
    css = recorder.entries[1]
    assert css.event_type == "add"
    assert css.entry_type == "file"
    assert css.absolute_path == str((site / "web/css/a.css").resolve())
    assert css.contents == b"a {}"
    assert css.stats is not None
    assert css.stats.st_size == 4
    folder = recorder.entries[0]
    assert (folder.entry_type, folder.contents) == ("directory", None)
    assert set(handler.entries) == {e.absolute_path for e in recorder.entries}
    assert handler.name == "static"
    assert handler.directory == str(await anyio.Path(site).resolve())
    await handler.close()


@pytest.mark.parametrize(
    ("url_path", "css_url"),
    [(None, "/css/a.css"), ("static/", "/static/css/a.css"), ("./s", "/static/s/css/a.css")],
)
async def test_url_is_base_plus_path_below_the_static_prefix(
    site: Path, url_path: str | None, css_url: str
) -> None:
    handler = EntryHandler("static", site, "web/**/*.css", url_path)
    await handler.start()
    assert [e.url_path for e in handler.entries.values()] == [css_url]
    await handler.close()


async def test_ignore_only_and_several_patterns(site: Path) -> None:
    files = {"source": ["web/**", "*.txt"], "ignore": "web/css", "only": "files"}
    handler = EntryHandler("static", site, files)
    recorder = Recorder(handler)
    await handler.start()
    assert recorder.take() == [("add", "/notes.txt"), ("add", "/index.html"), ("ready", "")]
    await handler.close()


async def test_a_literal_file_pattern(site: Path) -> None:
    handler = EntryHandler("static", site, "web/index.html", ".")
    await handler.start()
    assert [e.url_path for e in handler.entries.values()] == ["/static/index.html"]
    await handler.close()


def test_invalid_options_fail_at_construction(site: Path) -> None:
    with pytest.raises(ValueError, match=r"static.files: '\.\./x' .*'\.\.'"):
        EntryHandler("static", site, "../x")
    with pytest.raises(ValueError, match=r"static.url_path '\.\.': '\.\.' is not allowed"):
        EntryHandler("static", site, "web/**", "..")


async def test_a_missing_component_folder(tmp_path: Path) -> None:
    handler = EntryHandler("static", tmp_path / "nowhere", "web/**")
    with pytest.raises(NotADirectoryError, match="static: component folder"):
        await handler.start()


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
async def test_symlinks_leaving_the_folder_are_refused(
    site: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"secret")
    (site / "web" / "out").symlink_to(outside)
    (site / "web" / "secret.txt").symlink_to(outside / "secret.txt")
    (site / "web" / "inside.html").symlink_to(site / "web" / "index.html")
    (site / "web" / "css" / "loop").symlink_to(site / "web")  # a loop: not descended
    (site / "web" / "alias").symlink_to(site / "web" / "css")  # inside: followed
    handler = EntryHandler("static", site, "web/**/*.*")
    await handler.start()
    urls = sorted(e.url_path for e in handler.entries.values())
    assert urls == ["/alias/a.css", "/css/a.css", "/index.html", "/inside.html"]
    assert "leads outside the component folder" in caplog.text
    await handler.close()


async def test_production_scans_once_and_does_not_watch(site: Path) -> None:
    before = other_tasks()
    handler = EntryHandler("static", site, "web/**")
    recorder = Recorder(handler)
    await handler.start()
    assert other_tasks() == before
    recorder.take()
    (site / "web" / "new.html").write_bytes(b"new")
    assert await recorder.settle(0.3) == []
    await handler.close()
    assert recorder.take() == [("close", "")]


def test_watching_without_watchfiles_names_the_extra(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "watchfiles", None)
    handler = EntryHandler("static", site, "web/**", watch=True)
    with pytest.raises(RuntimeError, match=r'pip install "harpia-framework\[watch\]"'):
        anyio.run(handler.start)


@pytest.fixture
async def watched(site: Path) -> object:
    before = other_tasks()
    handler = EntryHandler("static", site, "web/**", "/static", watch=True)
    recorder = Recorder(handler)
    await handler.start()
    assert recorder.take()[-1] == ("ready", "")
    yield handler, recorder
    await handler.close()
    assert other_tasks() == before, "close() left a task behind"


Watched = tuple[EntryHandler, Recorder]


async def test_add_change_unlink_of_a_file(site: Path, watched: Watched) -> None:
    handler, recorder = watched
    started = time.monotonic()
    (site / "web" / "new.html").write_bytes(b"one")
    assert await recorder.wait(1) == [("add", "/static/new.html")]
    assert time.monotonic() - started < 1.0, "a change must reach listeners within 1 s"
    assert recorder.entries[-1].contents == b"one"

    (site / "web" / "new.html").write_bytes(b"two!")
    assert await recorder.wait(1) == [("change", "/static/new.html")]
    assert recorder.entries[-1].contents == b"two!"
    entry = handler.entries[str((site / "web" / "new.html").resolve())]
    assert entry.contents == b"two!"

    (site / "web" / "new.html").unlink()
    assert await recorder.wait(1) == [("unlink", "/static/new.html")]
    gone = recorder.entries[-1]
    assert (gone.contents, gone.stats) == (None, None)
    assert str((site / "web" / "new.html").resolve()) not in handler.entries
    assert await recorder.settle() == []


async def test_a_new_folder_with_files_then_deleted(site: Path, watched: Watched) -> None:
    _, recorder = watched
    (site / "web" / "img" / "icons").mkdir(parents=True)
    (site / "web" / "img" / "a.png").write_bytes(b"png")
    (site / "web" / "img" / "icons" / "b.svg").write_bytes(b"svg")
    assert await recorder.wait(4) == [
        ("add_dir", "/static/img"),
        ("add", "/static/img/a.png"),
        ("add_dir", "/static/img/icons"),
        ("add", "/static/img/icons/b.svg"),
    ]
    assert await recorder.settle() == []

    shutil.rmtree(site / "web" / "img")
    assert await recorder.wait(4) == [
        ("unlink", "/static/img/icons/b.svg"),
        ("unlink", "/static/img/a.png"),
        ("unlink_dir", "/static/img/icons"),
        ("unlink_dir", "/static/img"),
    ]
    assert await recorder.settle() == []


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
async def test_a_new_folder_holding_a_link_loop(site: Path, watched: Watched) -> None:
    _, recorder = watched
    (site / "web" / "new").mkdir()
    (site / "web" / "new" / "up").symlink_to(site / "web")
    (site / "web" / "new" / "x.txt").write_bytes(b"x")
    assert await recorder.wait(3) == [
        ("add_dir", "/static/new"),
        ("add_dir", "/static/new/up"),  # matched, but not walked: it leads back up
        ("add", "/static/new/x.txt"),
    ]
    assert await recorder.settle() == []


async def test_touching_a_folder_changes_nothing(site: Path, watched: Watched) -> None:
    _, recorder = watched
    os.utime(site / "web" / "css", (1_700_000_000, 1_700_000_000))
    (site / "web" / "css").chmod(0o700)
    assert await recorder.settle(0.3) == []  # not even for what the folder holds
    (site / "web" / "css" / "a.css").chmod(0o600)
    assert await recorder.settle(0.3) == []  # same contents, same mtime
    (site / "web" / "css" / "a.css").write_bytes(b"b {}")
    assert await recorder.wait(1) == [("change", "/static/css/a.css")]


async def test_an_atomic_save_is_one_change(site: Path, watched: Watched) -> None:
    _, recorder = watched
    target = site / "web" / "index.html"
    temporary = site / "web" / "index.html.tmp-1234"  # matched by web/**, but short-lived
    temporary.write_bytes(b"<h1>saved</h1>")
    os.replace(temporary, target)
    assert await recorder.wait(1) == [("change", "/static/index.html")]
    assert recorder.entries[-1].contents == b"<h1>saved</h1>"
    assert await recorder.settle() == []


async def test_renaming_a_file_and_ignored_files(site: Path, watched: Watched) -> None:
    _, recorder = watched
    os.rename(site / "web" / "index.html", site / "web" / "home.html")
    (site / "web" / ".editor-backup").write_bytes(b"x")  # dot names do not match
    (site / "notes.txt").write_bytes(b"outside the pattern")
    assert await recorder.wait(2) == [
        ("unlink", "/static/index.html"),
        ("add", "/static/home.html"),
    ]
    assert await recorder.settle() == []


async def test_the_watched_folder_deleted_and_created_again(site: Path, watched: Watched) -> None:
    _, recorder = watched
    shutil.rmtree(site / "web")
    assert await recorder.wait(3) == [
        ("unlink", "/static/css/a.css"),
        ("unlink_dir", "/static/css"),
        ("unlink", "/static/index.html"),
    ]
    (site / "web").mkdir()
    await anyio.sleep(0.2)  # the watch moves to the parent folder
    (site / "web" / "back.html").write_bytes(b"back")
    assert await recorder.wait(1) == [("add", "/static/back.html")]


async def test_a_watch_that_cannot_be_set_up_again_is_retried(
    site: Path, watched: Watched, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler, recorder = watched
    errors: list[Exception] = []
    failed = anyio.Event()
    handler.on("error", errors.append)
    handler.on("error", lambda exc: failed.set())
    real_start = Watcher.start
    failures = [OSError("inotify watch limit reached")]

    async def start_failing_once(self: Watcher) -> None:
        if failures:
            raise failures.pop()
        await real_start(self)

    monkeypatch.setattr(Watcher, "start", start_failing_once)
    shutil.rmtree(site / "web")  # the watch is lost: a new one is needed, and fails once
    assert len(await recorder.wait(3)) == 3
    with anyio.fail_after(5):
        await failed.wait()
    assert [str(e) for e in errors] == ["inotify watch limit reached"]
    (site / "web").mkdir()
    (site / "web" / "again.html").write_bytes(b"again")  # seen by the retried watch
    assert await recorder.wait(1) == [("add", "/static/again.html")]


async def test_a_failing_listener_does_not_stop_the_watcher(site: Path, watched: Watched) -> None:
    handler, recorder = watched
    errors: list[Exception] = []

    def broken(entry: object) -> None:
        raise RuntimeError("listener bug")

    handler.on("add", broken)
    handler.on("error", errors.append)
    (site / "web" / "one.html").write_bytes(b"1")
    assert await recorder.wait(1) == [("add", "/static/one.html")]
    handler.off("add", broken)
    (site / "web" / "two.html").write_bytes(b"2")
    assert await recorder.wait(1) == [("add", "/static/two.html")]
    assert [str(e) for e in errors] == ["listener bug"]


async def test_update_rescans_keeps_listeners_and_watches_the_new_files(
    site: Path, watched: Watched
) -> None:
    handler, recorder = watched
    (site / "docs").mkdir()
    (site / "docs" / "a.md").write_bytes(b"# a")
    await recorder.settle(0.1)  # not matched (yet)
    await handler.update(["web/**/*.css", "docs/*.md"], "/files")
    assert recorder.take() == [
        ("unlink", "/static/css/a.css"),
        ("unlink_dir", "/static/css"),
        ("unlink", "/static/index.html"),
        ("add", "/files/a.md"),
        ("add", "/files/css/a.css"),
        ("ready", ""),
    ]
    (site / "docs" / "b.md").write_bytes(b"# b")
    (site / "web" / "skip.html").write_bytes(b"not matched any more")
    assert await recorder.wait(1) == [("add", "/files/b.md")]
    assert await recorder.settle() == []


async def test_update_with_invalid_options_changes_nothing(site: Path, watched: Watched) -> None:
    handler, recorder = watched
    with pytest.raises(ValueError, match=r"static\.files"):
        await handler.update("../**")
    assert handler.files.source == ("web/**",)
    (site / "web" / "x.html").write_bytes(b"x")
    assert await recorder.wait(1) == [("add", "/static/x.html")]


async def test_close_stops_events_and_leaves_no_task(site: Path) -> None:
    before = other_tasks()
    handler = EntryHandler("static", site, "web/**", watch=True)
    recorder = Recorder(handler)
    await handler.start()
    assert any(t.get_name() == "harpia watch static" for t in other_tasks() - before)
    started = time.monotonic()
    await handler.close()
    assert time.monotonic() - started < 1.0
    assert other_tasks() == before
    assert recorder.take()[-1] == ("close", "")
    assert handler.listener_count() == 0
    (site / "web" / "late.html").write_bytes(b"late")
    assert await recorder.settle() == []
    with pytest.raises(RuntimeError, match="closed"):
        await handler.start()


async def test_close_from_a_listener(site: Path, watched: Watched) -> None:
    handler, _ = watched
    closed = anyio.Event()

    async def close_on_add(entry: object) -> None:
        await handler.close()
        closed.set()

    handler.on("add", close_on_add)
    (site / "web" / "bye.html").write_bytes(b"bye")
    with anyio.fail_after(5):
        await closed.wait()
    assert handler.closed
    await handler.close()  # waits for the watcher task, which the first call could not


async def test_close_from_a_ready_listener_during_start(site: Path) -> None:
    before = other_tasks()
    handler = EntryHandler("static", site, "web/**", watch=True)

    async def close_when_ready() -> None:
        await handler.close()

    handler.on("ready", close_when_ready)
    await handler.start()
    assert handler.closed
    assert other_tasks() == before


async def test_start_fails_cleanly_when_the_watch_cannot_be_set_up(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def failing_start(self: Watcher) -> None:
        raise OSError("no more watches")

    monkeypatch.setattr(Watcher, "start", failing_start)
    handler = EntryHandler("static", site, "web/**", watch=True)
    with pytest.raises(OSError, match="no more watches"):
        await handler.start()
    assert [handler.ready, handler.listener_count()] == [False, 0]
    monkeypatch.undo()
    await handler.start()  # may be tried again
    assert handler.ready
    await handler.close()


async def test_update_from_a_listener_is_refused(site: Path, watched: Watched) -> None:
    handler, recorder = watched
    errors: list[Exception] = []
    handler.on("error", errors.append)

    async def update_on_add(entry: object) -> None:
        await handler.update("web/*.html")

    handler.on("add", update_on_add)
    (site / "web" / "x.html").write_bytes(b"x")
    await recorder.wait(1)
    assert [type(e) for e in errors] == [RuntimeError]
    assert "own listener" in str(errors[0])
