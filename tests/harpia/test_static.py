"""``app.static``: mounts, types, validators, ranges, index files, dotfiles, containment.

In-process (``TestClient`` and ``app.handle``); ``server/test_web_live.py`` sends the
hostile paths over a real socket.
"""

from __future__ import annotations

import os
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

import anyio
import pytest

import harpia as hp
from harpia import Request, Response, TestClient
from tests.support.byteranges import parse_byteranges

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    Next = Callable[[], Awaitable[None]]

CONTENT = b"0123456789abcdefghij"
MTIME = 1_700_000_000


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """tmp/public (served) next to tmp/secret.txt (must never be served)."""
    public = tmp_path / "public"
    (public / "css").mkdir(parents=True)
    (public / "docs").mkdir()
    (public / "empty").mkdir()
    (public / ".well-known").mkdir()
    (public / "index.html").write_text("<h1>home</h1>")
    (public / "data.txt").write_bytes(CONTENT)
    (public / "css" / "site.css").write_text("body{}")
    (public / "docs" / "index.html").write_text("<h1>docs</h1>")
    (public / ".env").write_text("SECRET=1")
    (public / ".well-known" / "security.txt").write_text("contact")
    (public / "hello world.txt").write_text("spaced")
    (public / "café.txt").write_text("accent")
    (public / "%2e%2e").write_text("literal name")
    os.utime(public / "data.txt", (MTIME, MTIME))
    (tmp_path / "secret.txt").write_text("TOP SECRET")
    return public


def static_app(folder: Path, *args: Any, **kwargs: Any) -> hp.Harpia:
    app = hp.harpia()
    app.static(folder, *args, **kwargs)
    return app


async def get_raw(app: hp.Harpia, raw_path: str, method: str = "GET") -> Response:
    """Send ``raw_path`` exactly as given (no client-side encoding or normalising)."""
    return await app.handle(Request(method, raw_path, headers=[(b"host", b"t")]))


async def body_of(res: Response) -> bytes:
    if res.body_stream is None:
        return res.body
    return b"".join([chunk async for chunk in res.body_stream])


async def test_serves_files_with_type_and_validators(site: Path) -> None:
    client = TestClient(static_app(site))
    res = await client.get("/data.txt")
    assert (res.status, res.content) == (200, CONTENT)
    assert res.headers["content-type"] == "text/plain; charset=utf-8"
    assert res.headers["content-length"] == "20"
    assert res.headers["last-modified"] == formatdate(MTIME, usegmt=True)
    assert res.headers["etag"].startswith('"')
    assert res.headers["accept-ranges"] == "bytes"
    assert res.headers["cache-control"] == "public, max-age=0"
    css = await client.get("/css/site.css")
    assert (css.content, css.headers["content-type"]) == (b"body{}", "text/css; charset=utf-8")


async def test_max_age(site: Path) -> None:
    res = await TestClient(static_app(site, max_age=3600)).get("/data.txt")
    assert res.headers["cache-control"] == "public, max-age=3600"


async def test_encoded_names(site: Path) -> None:
    client = TestClient(static_app(site))
    assert (await client.get("/hello%20world.txt")).content == b"spaced"
    assert (await client.get("/caf%C3%A9.txt")).content == b"accent"
    literal = await client.get("/%252e%252e")  # double encoding decodes once: a plain name
    assert (literal.status, literal.content) == (200, b"literal name")


async def test_index_files(site: Path) -> None:
    client = TestClient(static_app(site))
    for path, body in [
        ("/", b"<h1>home</h1>"),
        ("/docs", b"<h1>docs</h1>"),
        ("/docs/", b"<h1>docs</h1>"),
    ]:
        res = await client.get(path)
        assert (res.status, res.content) == (200, body), path
        assert res.headers["content-type"] == "text/html; charset=utf-8"
    assert (await client.get("/empty/")).status == 404  # folder without an index
    assert (await client.get("/css")).status == 404


async def test_index_none_and_custom_index(site: Path) -> None:
    assert (await TestClient(static_app(site, index=None)).get("/docs/")).status == 404
    (site / "docs" / "start.htm").write_text("start")
    res = await TestClient(static_app(site, index="start.htm")).get("/docs")
    assert res.content == b"start"


async def test_trailing_slash_on_a_file_is_404(site: Path) -> None:
    assert (await TestClient(static_app(site)).get("/data.txt/")).status == 404


async def test_missing_file_is_the_apps_404(site: Path) -> None:
    app = static_app(site)
    res = await TestClient(app).get("/nope.txt")
    assert res.status == 404
    assert res.json() == {"error": "Not Found", "status": 404}
    app.set_not_found(lambda req, res: res.status(404).text("custom"))
    assert (await TestClient(app).get("/nope.txt")).text() == "custom"
    assert (await TestClient(app).get("/data.txt")).content == CONTENT


async def test_routes_win_over_files(site: Path) -> None:
    app = static_app(site)
    app.get("/data.txt", lambda req, res: res.text("route"))
    assert (await TestClient(app).get("/data.txt")).text() == "route"


async def test_only_get_and_head(site: Path) -> None:
    app = static_app(site)
    app.post("/upload", lambda req, res: "ok")
    client = TestClient(app)
    assert (await client.post("/data.txt")).status == 404
    assert (await client.delete("/data.txt")).status == 404
    head = await client.head("/data.txt")
    assert (head.status, head.content, head.headers["content-length"]) == (200, b"", "20")
    assert (await client.get("/upload")).status == 405  # a route's path with no file


async def test_several_mounts(site: Path, tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "app.js").write_text("js()")
    (assets / "data.txt").write_text("from assets")
    app = hp.harpia()
    app.static(site)
    app.static(assets, "/static/")
    app.static(assets, url_path="assets", max_age=60)
    client = TestClient(app)
    js = await client.get("/static/app.js")
    assert (js.content, js.headers["content-type"]) == (b"js()", "text/javascript; charset=utf-8")
    assert (await client.get("/assets/app.js")).headers["cache-control"] == "public, max-age=60"
    assert (await client.get("/static/data.txt")).content == b"from assets"
    assert (await client.get("/data.txt")).content == CONTENT
    assert (await client.get("/staticx/app.js")).status == 404  # a prefix is a whole segment
    (site / "static").mkdir()
    (site / "static" / "only-in-public.txt").write_text("fallthrough")
    res = await client.get("/static/only-in-public.txt")  # not in assets: the next mount
    assert res.content == b"fallthrough"


async def test_conditional_requests(site: Path) -> None:
    client = TestClient(static_app(site, max_age=5))
    etag = (await client.get("/data.txt")).headers["etag"]
    res = await client.get("/data.txt").set("If-None-Match", etag)
    assert (res.status, res.content) == (304, b"")
    assert res.headers["etag"] == etag
    assert res.headers["cache-control"] == "public, max-age=5"
    since = await client.get("/data.txt").set("If-Modified-Since", formatdate(MTIME, usegmt=True))
    assert since.status == 304
    head = await client.head("/data.txt").set("If-None-Match", etag)
    assert head.status == 304


async def test_ranges(site: Path) -> None:
    client = TestClient(static_app(site))
    one = await client.get("/data.txt").set("Range", "bytes=2-5")
    assert (one.status, one.content, one.headers["content-range"]) == (206, b"2345", "bytes 2-5/20")
    many = await client.get("/data.txt").set("Range", "bytes=0-0,-1")
    assert many.status == 206
    parts = parse_byteranges(many.headers["content-type"], many.content)
    assert [(p.content_range, p.data) for p in parts] == [
        ("bytes 0-0/20", b"0"),
        ("bytes 19-19/20", b"j"),
    ]
    bad = await client.get("/data.txt").set("Range", "bytes=50-")
    assert (bad.status, bad.headers["content-range"]) == (416, "bytes */20")


async def test_large_file_is_streamed(site: Path) -> None:
    big = os.urandom(600 * 1024)
    (site / "big.bin").write_bytes(big)
    res = await get_raw(static_app(site), "/big.bin")
    assert res.body_stream is not None
    assert await body_of(res) == big


async def test_dotfiles(site: Path) -> None:
    client = TestClient(static_app(site))
    for path in ("/.env", "/.well-known/security.txt", "/%2eenv", "/css/.hidden"):
        assert (await client.get(path)).status == 404, path
    (site / "innocent.txt").symlink_to(site / ".env")  # resolves to a dotfile
    assert (await client.get("/innocent.txt")).status == 404
    allowing = TestClient(static_app(site, dotfiles=True))
    assert (await allowing.get("/.env")).content == b"SECRET=1"
    assert (await allowing.get("/.well-known/security.txt")).content == b"contact"
    assert (await allowing.get("/innocent.txt")).content == b"SECRET=1"


async def test_symlinks(site: Path, tmp_path: Path) -> None:
    (site / "inside.txt").symlink_to(site / "data.txt")
    (site / "outside.txt").symlink_to(tmp_path / "secret.txt")
    (site / "up").symlink_to(tmp_path)
    (site / "abs").symlink_to("/etc")
    client = TestClient(static_app(site))
    assert (await client.get("/inside.txt")).content == CONTENT
    for path in ("/outside.txt", "/up/secret.txt", "/abs/passwd", "/up"):
        res = await client.get(path)
        assert res.status == 404, path
        assert b"SECRET" not in res.content


async def test_served_through_a_symlinked_root(site: Path, tmp_path: Path) -> None:
    link = tmp_path / "link-to-public"
    link.symlink_to(site)
    assert (await TestClient(static_app(link)).get("/data.txt")).content == CONTENT


HOSTILE = [
    "/../secret.txt",
    "/..%2fsecret.txt",
    "/%2e%2e/secret.txt",
    "/%2e%2e%2fsecret.txt",
    "/css/../../secret.txt",
    "/..\\secret.txt",
    "/%5c..%5csecret.txt",
    "/%00/../secret.txt",
    "/data.txt%00.png",
    "/%c0%ae%c0%ae/secret.txt",
    "/%2F..%2Fsecret.txt",
    "/%2fetc%2fpasswd",
    "//etc/passwd",
    "/./data.txt",
    "/%2e/data.txt",
    "relative/data.txt",
    "/" + "a" * 5000,  # a name too long for the file system
    "/" + "/".join(["x"] * 3000),  # a path too long
    "/\u2603.txt",  # not a latin-1 view of wire bytes
    "/caf\u00e9.txt",  # latin-1 "é" on the wire: not UTF-8
]


async def test_raw_utf8_bytes_in_the_path(site: Path) -> None:
    # an ASGI server may pass raw non-ASCII bytes; the path holds them as latin-1
    res = await get_raw(static_app(site), "/caf\u00c3\u00a9.txt")
    assert (res.status_code, await body_of(res)) == (200, b"accent")


@pytest.mark.parametrize("raw_path", HOSTILE)
async def test_hostile_paths_in_process(site: Path, raw_path: str) -> None:
    app = static_app(site)
    assert (await get_raw(app, "/data.txt")).status_code == 200  # the mount does serve
    res = await get_raw(app, raw_path)
    assert res.status_code == 404, raw_path
    assert b"SECRET" not in await body_of(res)


async def test_fifo_and_devices_are_404(site: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    os.mkfifo(site / "pipe")
    with anyio.fail_after(5):
        assert (await TestClient(static_app(site)).get("/pipe")).status == 404


async def test_middleware_and_cors_see_static_responses(site: Path) -> None:
    app = static_app(site)
    app.cors(origin="https://a.test")

    async def tag(req: Request, res: Response, next: Next) -> None:
        await next()
        res.header("X-Seen", str(res.status_code))

    app.use(tag)
    client = TestClient(app)
    res = await client.get("/data.txt").set("Origin", "https://a.test")
    assert res.headers["x-seen"] == "200"
    assert res.headers["access-control-allow-origin"] == "https://a.test"
    missing = await client.get("/nope").set("Origin", "https://a.test")
    assert (missing.status, missing.headers["x-seen"]) == (404, "404")
    assert missing.headers["access-control-allow-origin"] == "https://a.test"


@pytest.mark.parametrize(
    ("args", "kwargs", "culprit"),
    [
        (("missing-folder",), {}, "missing-folder"),
        (("FILE",), {}, "data.txt"),
        (("DIR", "/a/../b"), {}, "url_path"),
        (("DIR", "/a%2fb"), {}, "url_path"),
        (("DIR",), {"index": "a/b.html"}, "index"),
        (("DIR",), {"index": ".."}, "index"),
        (("DIR",), {"index": ""}, "index"),
        (("DIR",), {"max_age": -1}, "max_age"),
    ],
)
def test_bad_arguments_raise_value_error(
    site: Path, args: tuple[Any, ...], kwargs: dict[str, Any], culprit: str
) -> None:
    mapping = {"DIR": str(site), "FILE": str(site / "data.txt")}
    args = tuple(mapping.get(a, a) for a in args)
    with pytest.raises(ValueError, match=culprit):
        hp.harpia().static(*args, **kwargs)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((42,), {}), (("DIR", 5), {}), (("DIR",), {"max_age": "60"}), (("DIR",), {"max_age": 1.5})],
)
def test_bad_arguments_raise_type_error(
    site: Path, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    args = tuple(str(site) if a == "DIR" else a for a in args)
    with pytest.raises(TypeError):
        hp.harpia().static(*args, **kwargs)
