"""The templates built-in: folders -> the app's engine, options, recompiled on change."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import anyio
import pytest

import harpia
from harpia import ConfigError, TestClient
from tests.support.apps import app_dir, write

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ("app_dir",)

ROUTES = """
from harpia import Router

router = Router()

@router.get("/page/:view")
async def page(req, res):
    await res.render(req.params["view"], {"name": "Ada"})
"""

FILES = {
    "t/views/home.html": (
        '@layout("main", { title: "Home" })\n@block("body")\nHi {{ name }}\n@endblock\n'
    ),
    "t/views/shop/page.html": "shop page",
    "t/layouts/main.html": '<title>{{ title }}</title>@yield("body")@component("foot", {})',
    "t/components/foot.html": "<footer>foot</footer>",
    "pages.py": ROUTES,
}


def templates_app(root: Path, options: str, development: bool = False) -> harpia.Harpia:
    config = f"[templates]\n{options}\n[routes]\nmodules = ['pages']\n"
    write(root, {"harpia.toml": config, **FILES})
    return harpia.load(root, development=development)


async def test_views_layouts_components(app_dir: Path) -> None:
    options = (
        "views = 't/views'\nlayouts = 't/layouts'\ncomponents = 't/components'\nview_name = false\n"
    )
    async with TestClient(templates_app(app_dir, options)) as client:
        res = await client.get("/page/home").execute()
        assert res.status == 200, res.text()
        assert res.text() == "<title>Home</title>Hi Ada\n<footer>foot</footer>"


async def test_view_name_file_extension_strict(app_dir: Path) -> None:
    options = "views = 't/views'\nview_name = 'page'\n"
    async with TestClient(templates_app(app_dir, options)) as client:
        assert (await client.get("/page/shop").execute()).text() == "shop page"
    write(app_dir, {"t/views/plain.tpl": "{{ missing.name }}"})
    options = "views = 't/views'\nview_name = false\nfile_extension = '.tpl'\nstrict = true\n"
    async with TestClient(templates_app(app_dir, options)) as client:
        assert (await client.get("/page/plain").execute()).status == 500  # strict: missing name


async def test_use_modules(app_dir: Path) -> None:
    write(
        app_dir,
        {
            "harpia.toml": """
            [templates]
            views = "modules/**/pages"
            use_modules = true
            view_name = false

            [routes]
            modules = ["shop"]
            """,
            "modules/books/pages/home.html": "books home {{ n }}",
            "shop.py": """
            from harpia import Router

            router = Router()

            @router.get("/books")
            async def books(req, res):
                await res.module("books").render("home", {"n": 3})
            """,
        },
    )
    async with TestClient(harpia.load(app_dir)) as client:
        res = await client.get("/books").execute()
        assert (res.status, res.text()) == (200, "books home 3")


def test_folder_outside_the_app_is_refused(app_dir: Path) -> None:
    write(app_dir, {"harpia.toml": "[templates]\nviews = '../elsewhere'\n"})
    with pytest.raises(ConfigError, match=r"^harpia.toml: \[templates\] views: "):
        harpia.load(app_dir)


async def test_recompiled_on_change_in_development(app_dir: Path) -> None:
    options = (
        "views = 't/views'\nlayouts = 't/layouts'\ncomponents = 't/components'\nview_name = false\n"
    )
    app = templates_app(app_dir, options, development=True)
    async with TestClient(app) as client:
        assert "Hi Ada" in (await client.get("/page/home").execute()).text()
        (app_dir / "t/components/foot.html").write_text("<footer>new foot</footer>")
        write(app_dir, {"t/views/fresh.html": "fresh {{ name }}"})
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            home = (await client.get("/page/home").execute()).text()
            fresh = await client.get("/page/fresh").execute()
            if "new foot" in home and fresh.status == 200:
                break
            await anyio.sleep(0.05)
        assert "<footer>new foot</footer>" in home
        assert fresh.text() == "fresh Ada"
