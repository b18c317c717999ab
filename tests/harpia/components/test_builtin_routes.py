"""The routes built-in: modules exporting routers, url_path, live swap; app.swap_routes."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import anyio
import pytest

import harpia
from harpia import ConfigError, Router, TestClient
from tests.support.apps import app_dir, write

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ("app_dir",)


def module(body: str) -> str:
    return "from harpia import Router\n\n" + body


BOOKS = module('router = Router("/books")\nrouter.get("/", lambda req, res: ["dune"])\n')
TWO = module(
    'a = Router()\na.get("/a", lambda req, res: "a")\n'
    'b = Router()\nb.get("/b", lambda req, res: "b")\n'
)


async def get(client: TestClient, path: str) -> tuple[int, str]:
    res = await client.get(path).execute()
    return res.status, res.text()


async def test_files_and_url_path(app_dir: Path) -> None:
    write(
        app_dir,
        {
            "harpia.toml": "[routes]\nfiles = 'api/*.py'\nurl_path = '/api'\n",
            "api/books.py": BOOKS,
            "api/two.py": TWO,
        },
    )
    async with TestClient(harpia.load(app_dir)) as client:
        assert await get(client, "/api/books") == (200, '["dune"]')
        assert await get(client, "/api/a") == (200, "a")  # every module-level Router
        assert await get(client, "/api/b") == (200, "b")
        assert (await get(client, "/books"))[0] == 404
        assert (await client.post("/api/a").execute()).status == 405


async def test_modules_and_relative_url_path(app_dir: Path) -> None:
    write(
        app_dir,
        {
            "harpia.toml": "[routes]\nmodules = ['shop.views']\nurl_path = '.'\n",
            "shop/__init__.py": "",
            "shop/views.py": BOOKS,
        },
    )
    async with TestClient(harpia.load(app_dir)) as client:
        assert await get(client, "/routes/books") == (200, '["dune"]')


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("x = 1\n", "module api.none defines no harpia.Router (export one as router)"),
        ("router = 42\n", "api.none.router must be a harpia.Router, got int"),
        ("raise KeyError('bad')\n", "KeyError: 'bad'"),
        ("def broken(:\n", "SyntaxError"),
    ],
)
async def test_a_bad_module_aborts_startup(app_dir: Path, source: str, problem: str) -> None:
    write(app_dir, {"harpia.toml": "[routes]\nfiles = 'api/*.py'\n", "api/none.py": source})
    app = harpia.load(app_dir)
    with pytest.raises(ConfigError) as caught:
        await app.startup()
    assert str(caught.value).startswith("harpia.toml: [routes] built-in failed to start: ")
    assert problem in str(caught.value)


async def test_conflicting_routes_abort_startup(app_dir: Path) -> None:
    write(
        app_dir,
        {"harpia.toml": "[routes]\nfiles = 'api/*.py'\n", "api/one.py": BOOKS, "api/two.py": BOOKS},
    )
    with pytest.raises(ConfigError, match=r"\[routes\] built-in failed to start: .*books"):
        await harpia.load(app_dir).startup()


async def test_code_routes_win_and_missing_module(app_dir: Path) -> None:
    write(app_dir, {"harpia.toml": "[routes]\nmodules = ['gone']\n"})
    with pytest.raises(ConfigError, match=r"\[routes\] built-in failed to start: ModuleNotFound"):
        await harpia.load(app_dir).startup()


async def test_live_add_change_delete(app_dir: Path) -> None:
    write(app_dir, {"harpia.toml": "[routes]\nfiles = 'api/*.py'\n", "api/books.py": BOOKS})
    async with TestClient(harpia.load(app_dir, development=True)) as client:
        assert await get(client, "/books") == (200, '["dune"]')
        write(app_dir, {"api/books.py": BOOKS.replace('"dune"', '"emma"')})
        write(app_dir, {"api/two.py": TWO})
        expected = {"/books": (200, '["emma"]'), "/a": (200, "a")}
        assert await poll(client, expected)
        (app_dir / "api/two.py").unlink()
        write(app_dir, {"api/books.py": "def broken(:\n"})  # a syntax error keeps the old routes
        assert await poll(client, {"/a": (404, '{"error":"Not Found"}')}, statuses_only=True)
        assert await get(client, "/books") == (200, '["emma"]')


async def test_live_conflict_keeps_the_previous_routes(
    app_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(app_dir, {"harpia.toml": "[routes]\nfiles = 'api/*.py'\n", "api/books.py": BOOKS})
    async with TestClient(harpia.load(app_dir, development=True)) as client:
        with caplog.at_level(logging.ERROR, logger="harpia.components"):
            extra = BOOKS.replace('"dune"', '"copy"') + 'router.get("/new", lambda r, s: "n")\n'
            write(app_dir, {"api/copy.py": extra})  # GET /books again: a conflict
            assert await poll_log(caplog, "api/copy.py: ValueError")
        assert await get(client, "/books") == (200, '["dune"]')
        assert (await get(client, "/books/new"))[0] == 404  # nothing of copy.py was mounted
        write(
            app_dir,
            {
                "api/copy.py": module(
                    'router = Router("/other")\nrouter.get("/", lambda r, s: "o")\n'
                )
            },
        )
        assert await poll(client, {"/other": (200, "o"), "/books": (200, '["dune"]')})


async def poll_log(caplog: pytest.LogCaptureFixture, text: str) -> bool:
    deadline = time.monotonic() + 5
    while True:
        if text in caplog.text:
            return True
        if time.monotonic() > deadline:
            return False
        await anyio.sleep(0.05)


async def poll(
    client: TestClient, expected: dict[str, tuple[int, str]], *, statuses_only: bool = False
) -> bool:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        seen = {path: await get(client, path) for path in expected}
        if statuses_only:
            if all(seen[p][0] == want[0] for p, want in expected.items()):
                return True
        elif seen == expected:
            return True
        await anyio.sleep(0.05)
    return False


async def test_swap_routes() -> None:
    app = harpia.harpia()
    app.get("/fixed", lambda req, res: "code")
    first = Router()
    first.get("/x", lambda req, res: "first")
    first.get("/fixed", lambda req, res: "slot")
    async with TestClient(app) as client:
        app.swap_routes("slot", first)
        assert await get(client, "/x") == (200, "first")
        assert await get(client, "/fixed") == (200, "code")  # code routes win
        assert (await client.head("/x").execute()).status == 200
        second = Router()
        second.post("/x", lambda req, res: "second")
        app.swap_routes("slot", second)
        assert (await client.get("/x").execute()).status == 405
        assert (await client.post("/x").execute()).text() == "second"
        app.swap_routes("slot", None)
        assert (await client.post("/x").execute()).status == 404
    with pytest.raises(TypeError, match=r"swap_routes\(\) takes a harpia\.Router or None"):
        app.swap_routes("slot", "router")  # type: ignore[arg-type]
