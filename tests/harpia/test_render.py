"""res.render / res.module(...).render with harpia-templates and with duck-typed engines."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pytest

import harpia as hp
import harpia_templates
from harpia import Request, Response, TestClient
from harpia_templates import TemplateEngine

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    Next = Callable[[], Awaitable[None]]


@pytest.fixture
def views(tmp_path: Path) -> Path:
    def write(path: str, text: str) -> None:
        file = tmp_path / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text)

    write(
        "pages/home/page.html",
        "@layout('main', { title })\n@block('body')<h1>{{ who }}</h1>@endblock",
    )
    write("layouts/main.html", "<title>{{ title }}</title>@yield('body')")
    write("pages/nonce/page.html", '<script nonce="{{ generateNonce() }}"></script>')
    write("pages/broken/page.html", "<ul>\n  <li>{{ items.first.name.upper() }}</li>\n</ul>")
    write("pages/fails/page.html", "<ul>\n  <li>{{ 1 / zero }}</li>\n</ul>")
    write("modules/books/pages/home/page.html", "books: {{ count }}")
    return tmp_path


def engine_for(views: Path, **options: Any) -> TemplateEngine:
    return TemplateEngine(path={"views": views / "pages", "layouts": views / "layouts"}, **options)


def test_harpia_exports_the_template_engine() -> None:
    assert hp.TemplateEngine is harpia_templates.TemplateEngine


async def test_render_sends_html(views: Path) -> None:
    app = hp.harpia()
    engine_for(views).configure(app)

    @app.get("/")
    async def home(req: Request, res: Response) -> None:
        result = await res.render("home", {"title": "Books", "who": "<Ana>"})
        assert result is res

    res = await TestClient(app).get("/")
    assert res.status == 200
    assert res.headers["content-type"] == "text/html; charset=utf-8"
    assert res.text() == "<title>Books</title><h1>&lt;Ana&gt;</h1>"


async def test_module_render(views: Path) -> None:
    app = hp.harpia()
    engine = TemplateEngine(path={"views": views / "modules" / "**" / "pages"}, use_modules=True)
    engine.configure(app)

    @app.get("/books")
    async def books(req: Request, res: Response) -> None:
        await res.module("books").render("home", {"count": 3})

    res = await TestClient(app).get("/books")
    assert (res.status, res.text()) == (200, "books: 3")


async def test_generate_nonce_returns_the_requests_nonce(views: Path) -> None:
    app = hp.harpia()
    engine_for(views).configure(app)
    counter = iter(range(100))

    async def shield(req: Request, res: Response, next: Next) -> None:
        req.nonce = f"nonce-{next_value(counter)}"
        await next()

    app.use(shield)
    app.get("/", lambda req, res: res.render("nonce"))
    client = TestClient(app)
    assert (await client.get("/")).text() == '<script nonce="nonce-0"></script>'
    assert (await client.get("/")).text() == '<script nonce="nonce-1"></script>'


def next_value(counter: Any) -> int:
    return int(next(counter))


async def test_without_a_request_nonce_the_engine_provider_is_used(views: Path) -> None:
    app = hp.harpia()
    engine_for(views, nonce_provider=lambda: "from-provider").configure(app)
    app.get("/", lambda req, res: res.render("nonce"))
    assert (await TestClient(app).get("/")).text() == '<script nonce="from-provider"></script>'


@pytest.mark.parametrize(
    ("view", "location", "message"),
    [
        ("broken", "pages/broken/page.html:2:32", "only plugins can be called"),
        ("fails", "pages/fails/page.html:2:12", "division by zero"),
        ("missing", "view &#x27;missing&#x27; not found", "does not exist"),
    ],
)
async def test_template_errors_are_500_with_the_location_in_development(
    views: Path, view: str, location: str, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.CRITICAL, logger="harpia")
    for development in (True, False):
        app = hp.Harpia(development=development)
        engine_for(views).configure(app)
        app.get("/", lambda req, res: res.render(view, {"zero": 0}))
        res = await TestClient(app).get("/").set("Accept", "text/html")
        assert res.status == 500
        body = res.text()
        if development:
            assert location.replace("&#x27;", "'") in body.replace("&#x27;", "'")
            assert message in body
        else:
            assert "pages/" not in body
            assert message not in body


async def test_any_object_with_render_is_an_engine() -> None:
    calls: list[tuple[str, dict[str, Any]]] = []

    class EjsLike:
        def configure(self, app: hp.Harpia) -> None:
            app.engine.set(self)

        async def render(self, view: str, data: dict[str, Any]) -> str:
            calls.append((view, data))
            return f"<p>{view}:{data.get('n')}</p>"

    app = hp.harpia()
    EjsLike().configure(app)

    async def nonce(req: Request, res: Response, next: Next) -> None:
        req.nonce = "n"  # an engine without a nonce parameter is called without it
        await next()

    app.use(nonce)
    app.get("/", lambda req, res: res.render("home", {"n": 1}))
    app.get("/empty", lambda req, res: res.render("empty"))
    client = TestClient(app)
    assert (await client.get("/")).text() == "<p>home:1</p>"
    assert (await client.get("/empty")).text() == "<p>empty:None</p>"
    assert calls == [("home", {"n": 1}), ("empty", {})]


async def test_sync_engine_with_nonce_keyword() -> None:
    class Sync:
        def render(self, view: str, data: dict[str, Any], **options: Any) -> str:
            return f"{view}/{options.get('nonce')}"

    app = hp.harpia()
    app.engine.set(Sync())
    assert app.engine.get() is not None

    async def nonce(req: Request, res: Response, next: Next) -> None:
        req.nonce = "abc"
        await next()

    app.use(nonce)
    app.get("/", lambda req, res: res.render("v"))
    assert (await TestClient(app).get("/")).text() == "v/abc"


@pytest.mark.parametrize(
    ("engine", "route", "message"),
    [
        (None, "plain", "no template engine: call engine.configure(app) first"),
        ("no-module", "module", "has no module(name)"),
        ("bytes", "plain", "the template engine returned bytes, not str"),
    ],
)
async def test_engine_misuse_is_a_500_that_says_why(
    engine: str | None, route: str, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.CRITICAL, logger="harpia")

    class NoModule:
        def render(self, view: str, data: Any) -> Any:
            return b"bytes" if engine == "bytes" else "x"

    app = hp.Harpia(development=True)
    if engine is not None:
        app.engine.set(NoModule())
    app.get("/plain", lambda req, res: res.render("v"))
    app.get("/module", lambda req, res: res.module("m").render("v"))
    res = await TestClient(app).get(f"/{route}")
    assert res.status == 500
    assert message in res.json()["detail"]


def test_engine_set_refuses_objects_without_render() -> None:
    with pytest.raises(TypeError, match="render\\(view, data\\)"):
        hp.harpia().engine.set(object())


async def test_render_outside_an_app_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="handled by an app"):
        await Response().render("home")
