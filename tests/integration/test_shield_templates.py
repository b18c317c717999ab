"""The request's nonce, in the header and in the rendered template: equal, once per request.

The template calls ``generateNonce()`` several times (in the view, its layout and a
component): every call of one render returns the same nonce, the one in the
Content-Security-Policy of that response; the next request gets another. Run through
``app.shield()`` + ``res.render`` and through ``ShieldMiddleware`` + a Starlette route that
renders with ``nonce=request.state.nonce``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from harpia import Request, Response, TestClient, harpia
from harpia_shield import ShieldMiddleware
from harpia_templates import TemplateEngine
from tests.integration.test_shield_frontends import Reply, call_asgi

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from starlette.requests import Request as StarletteRequest

LAYOUT = '<html><head><style nonce="{{ generateNonce() }}">p{}</style></head>@yield("body")</html>'
COMPONENT = '<script nonce="{{ generateNonce() }}">var c = 1;</script>'
VIEW = """@set nonce = generateNonce() @endset
@layout("base")
@block("body")<script nonce="{{ nonce }}">var a = 1;</script>
<script nonce="{{ generateNonce() }}">var b = 2;</script>@component("widget")@endblock
"""


@pytest.fixture
def engine(tmp_path: Path) -> TemplateEngine:
    for folder, name, text in (
        ("views", "page.html", VIEW),
        ("layouts", "base.html", LAYOUT),
        ("components", "widget.html", COMPONENT),
    ):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / name).write_text(text)
    return TemplateEngine(
        {
            "views": str(tmp_path / "views"),
            "layouts": str(tmp_path / "layouts"),
            "components": str(tmp_path / "components"),
        },
        view_name=None,
    )


def via_harpia(engine: TemplateEngine) -> Callable[[], Awaitable[Reply]]:
    app = harpia()
    app.shield(use_nonce=True)
    engine.configure(app)

    @app.get("/")
    async def page(req: Request, res: Response) -> None:
        await res.render("page")

    client = TestClient(app)

    async def get() -> Reply:
        res = await client.get("/").execute()
        return Reply(res.status, res.headers, res.text())

    return get


def via_starlette(engine: TemplateEngine) -> Callable[[], Awaitable[Reply]]:
    async def page(request: StarletteRequest) -> HTMLResponse:
        return HTMLResponse(engine.render("page", nonce=request.state.nonce))

    app = Starlette(routes=[Route("/", page)])
    app.add_middleware(ShieldMiddleware, use_nonce=True)

    async def get() -> Reply:
        return await call_asgi(app, "/")

    return get


@pytest.mark.parametrize("front", [via_harpia, via_starlette], ids=["harpia", "starlette"])
async def test_template_nonce_equals_the_header_nonce_once_per_request(
    engine: TemplateEngine, front: Callable[[TemplateEngine], Callable[[], Awaitable[Reply]]]
) -> None:
    get = front(engine)
    seen: list[str] = []
    for _ in range(3):
        reply = await get()
        assert reply.status == 200
        in_page = re.findall(r'nonce="([^"]*)"', reply.body)
        assert len(in_page) == 4  # layout style, two view scripts, component script
        assert len(set(in_page)) == 1  # generateNonce() called 3 times: one nonce
        nonce = in_page[0]
        assert len(nonce) == 24
        assert reply.csp_nonces() == [nonce, nonce]  # script-src and style-src
        seen.append(nonce)
    assert len(set(seen)) == 3  # a new one per request
