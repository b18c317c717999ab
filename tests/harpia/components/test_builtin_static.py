"""The static built-in: files by glob, served from memory or disk, every option."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import harpia
from harpia import TestClient
from tests.support.apps import app_dir, write

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ("app_dir",)

SITE: dict[str, str | bytes] = {
    "web/index.html": "<h1>home</h1>",
    "web/css/site.css": "body{}",
    "web/docs/index.html": "docs home",
    "web/.secret": "hidden",
    "web/big.bin": bytes(range(256)) * 64,  # 16 KiB
    "other/readme.txt": "not matched",
}


def site(root: Path, options: str) -> harpia.Harpia:
    write(root, {"harpia.toml": "[static]\n" + options, **SITE})
    return harpia.load(root)


async def test_files_under_the_root_url(app_dir: Path) -> None:
    app = site(app_dir, "files = ['web/**', 'web/.secret']\n")
    async with TestClient(app) as client:
        res = await client.get("/index.html").execute()
        assert (res.status, res.text()) == (200, "<h1>home</h1>")
        assert res.headers["content-type"] == "text/html; charset=utf-8"
        assert res.headers["cache-control"] == "public, max-age=0"
        css = await client.get("/css/site.css").execute()
        assert (css.status, css.headers["content-type"]) == (200, "text/css; charset=utf-8")
        assert (await client.get("/").execute()).text() == "<h1>home</h1>"  # index
        assert (await client.get("/docs/").execute()).text() == "docs home"
        assert (await client.get("/docs").execute()).text() == "docs home"
        assert (await client.get("/.secret").execute()).status == 404  # matched, dotfiles off
        assert (await client.get("/readme.txt").execute()).status == 404  # not matched
        assert (await client.get("/other/readme.txt").execute()).status == 404
        assert (await client.post("/index.html").execute()).status == 404  # GET/HEAD only


async def test_validators_ranges_and_head_from_memory(app_dir: Path) -> None:
    app = site(app_dir, "files = 'web/**'\n")
    async with TestClient(app) as client:
        first = await client.get("/big.bin").execute()
        assert first.content == bytes(range(256)) * 64
        etag = first.headers["etag"]
        assert first.headers["last-modified"]
        again = await client.get("/big.bin").set("If-None-Match", etag).execute()
        assert (again.status, again.content) == (304, b"")
        part = await client.get("/big.bin").set("Range", "bytes=10-19").execute()
        assert (part.status, part.content) == (206, bytes(range(10, 20)))
        assert part.headers["content-range"] == "bytes 10-19/16384"
        head = await client.head("/big.bin").execute()
        assert (head.status, head.content, head.headers["content-length"]) == (200, b"", "16384")


async def test_memory_and_disk(app_dir: Path) -> None:
    """Up to memory_max_size a file is answered from memory (what was read at startup),
    above it from disk (what is there now): without watching, an edit shows the difference."""
    app = site(app_dir, "files = 'web/**'\nmemory_max_size = 100\n")
    async with TestClient(app) as client:
        (app_dir / "web/index.html").write_text("<h1>edited</h1>")
        (app_dir / "web/big.bin").write_bytes(b"edited on disk")
        assert (await client.get("/index.html").execute()).text() == "<h1>home</h1>"
        assert (await client.get("/big.bin").execute()).content == b"edited on disk"
        os.remove(app_dir / "web/big.bin")
        assert (await client.get("/big.bin").execute()).status == 404


async def test_url_path_index_max_age_dotfiles(app_dir: Path) -> None:
    options = (  # wildcards skip dotfiles: the glob names it
        "files = ['web/**', 'web/.secret']\nurl_path = '/assets/'\nindex = false\n"
        "max_age = 60\ndotfiles = true\n"
    )
    app = site(app_dir, options)
    async with TestClient(app) as client:
        res = await client.get("/assets/css/site.css").execute()
        assert (res.status, res.headers["cache-control"]) == (200, "public, max-age=60")
        assert (await client.get("/css/site.css").execute()).status == 404
        assert (await client.get("/assets/").execute()).status == 404  # index = false
        assert (await client.get("/assets/.secret").execute()).text() == "hidden"


async def test_url_path_relative_to_the_component(app_dir: Path) -> None:
    write(
        app_dir,
        {
            "harpia.toml": """
            [static]
            files = 'web/css/*'
            url_path = './styles'

            [pages]
            package = 'harpia.components.builtins.static'
            files = 'web/docs/*'
            url_path = '.'
            """,
            **SITE,
        },
    )
    async with TestClient(harpia.load(app_dir)) as client:
        assert (await client.get("/static/styles/site.css").execute()).status == 200
        assert (await client.get("/pages/index.html").execute()).text() == "docs home"
        assert (await client.get("/pages/").execute()).text() == "docs home"


async def test_files_table_with_ignore_and_several_globs(app_dir: Path) -> None:
    options = "files = { source = ['web/**'], ignore = ['web/css/**'] }\n"
    async with TestClient(site(app_dir, options)) as client:
        assert (await client.get("/index.html").execute()).status == 200
        assert (await client.get("/css/site.css").execute()).status == 404
    write(app_dir, {"harpia.toml": "[static]\nfiles = ['web/css/*', 'web/docs/*']\n"})
    async with TestClient(harpia.load(app_dir)) as client:
        assert (await client.get("/site.css").execute()).status == 200
        assert (await client.get("/index.html").execute()).text() == "docs home"


async def test_routes_win_over_files(app_dir: Path) -> None:
    app = site(app_dir, "files = 'web/**'\n")
    app.get("/index.html", lambda req, res: "a route")
    async with TestClient(app) as client:
        assert (await client.get("/index.html").execute()).text() == "a route"


async def test_closed_with_the_app(app_dir: Path) -> None:
    app = site(app_dir, "files = 'web/**'\n")
    async with TestClient(app) as client:
        assert (await client.get("/index.html").execute()).status == 200
    assert app._static is not None
    assert not app._static.mounts
