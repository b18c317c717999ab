"""The shield, cors, session and telemetry built-ins: the options of their Python APIs."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest

import harpia
from harpia import TestClient
from tests.support.apps import app_dir, write
from tests.support.stores import REDIS_TOPOLOGIES, redis_url

if TYPE_CHECKING:
    from pathlib import Path


__all__ = ("app_dir",)

COUNTER = """
from harpia import Router

router = Router()

@router.get("/count")
def count(req, res):
    req.session["n"] = req.session.get("n", 0) + 1
    return {"n": req.session["n"]}

@router.get("/hello")
def hello(req, res):
    return "hello"
"""


def app_with(root: Path, config: str) -> harpia.Harpia:
    write(
        root, {"harpia.toml": config + "\n[routes]\nmodules = ['counter']\n", "counter.py": COUNTER}
    )
    return harpia.load(root)


async def test_shield(app_dir: Path) -> None:
    app = app_with(
        app_dir,
        "[shield]\nx_frame_options = { action = 'DENY' }\nstrict_transport_security = false\n",
    )
    async with TestClient(app) as client:
        res = await client.get("/hello").execute()
        assert res.headers["x-frame-options"] == "DENY"
        assert "strict-transport-security" not in res.headers
        assert res.headers["x-content-type-options"] == "nosniff"


async def test_cors_with_path(app_dir: Path) -> None:
    config = (
        "[cors]\norigin = ['https://a.example']\ncredentials = true\nmax_age = 600\n"
        "path = '/hello'\n"
    )
    async with TestClient(app_with(app_dir, config)) as client:
        res = await client.get("/hello").set("Origin", "https://a.example").execute()
        assert res.headers["access-control-allow-origin"] == "https://a.example"
        assert res.headers["access-control-allow-credentials"] == "true"
        other = await client.get("/hello").set("Origin", "https://b.example").execute()
        assert "access-control-allow-origin" not in other.headers
        outside = await client.get("/count").set("Origin", "https://a.example").execute()
        assert "access-control-allow-origin" not in outside.headers
        preflight = (
            await client.options("/hello")
            .set("Origin", "https://a.example")
            .set("Access-Control-Request-Method", "PUT")
            .execute()
        )
        assert (preflight.status, preflight.headers["access-control-max-age"]) == (204, "600")


async def count_twice(app: harpia.Harpia) -> list[Any]:
    async with TestClient(app) as client:
        first = await client.get("/count").execute()
        second = await client.get("/count").execute()
        return [first.json()["n"], second.json()["n"], first.headers.get("set-cookie", "")]


async def test_session_memory(app_dir: Path) -> None:
    config = "[session]\ncookie_name = 'sid'\nttl = 60\nsame_site = 'Strict'\nsecure = true\n"
    app = app_with(app_dir, config)
    first, second, cookie = await count_twice(app)
    assert (first, second) == (1, 2)
    assert cookie.startswith("sid=")
    assert "Max-Age=60" in cookie
    assert "SameSite=Strict" in cookie
    assert "Secure" in cookie
    assert isinstance(app.state["session"], harpia.Session)


@pytest.mark.redis
@pytest.mark.parametrize("kind", REDIS_TOPOLOGIES)
async def test_session_redis(app_dir: Path, request: pytest.FixtureRequest, kind: str) -> None:
    url = redis_url(request, kind)  # redis://, redis+cluster:// or redis+sentinel://
    prefix = f"s-{uuid.uuid4().hex}:"
    config = f"[session]\nstore = '{url}'\nprefix = '{prefix}'\nrolling = true\nttl = 30\n"
    app = app_with(app_dir, config)
    assert (await count_twice(app))[:2] == [1, 2]
    session = app.state["session"]
    assert isinstance(session.store, harpia.RedisStore)
    store = harpia.RedisStore(url)
    try:
        assert await store.keys(prefix)  # the session went to that Redis
    finally:
        await store.close()


async def test_telemetry_with_dashboard(app_dir: Path) -> None:
    config = (
        "[telemetry]\naccess_token = 'secret'\nignore = ['/count']\nmax_paths = 50\n"
        "dashboard = '/_stats'\ndashboard_days = 7\n"
    )
    app = app_with(app_dir, config)
    async with TestClient(app) as client:
        for _ in range(3):
            assert (await client.get("/hello").execute()).status == 200
        await client.get("/count").execute()
        telemetry = app.state["telemetry"]
        assert isinstance(telemetry, harpia.Telemetry)
        assert (await telemetry.summary(token="secret"))["total_requests"] == 3
        assert (await client.get("/_stats").execute()).status == 401
        board = await client.get("/_stats").set("Authorization", "Bearer secret").execute()
        assert board.status == 200
        assert "text/html" in board.headers["content-type"]


async def test_started_again_after_a_shutdown(app_dir: Path) -> None:
    app = app_with(app_dir, "[session]\n\n[telemetry]\n")
    assert (await count_twice(app))[:2] == [1, 2]
    assert len(app._middlewares) == 0  # the components' middleware left with them
    assert (await count_twice(app))[:2] == [1, 2]  # activated afresh, not twice
