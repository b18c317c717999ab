"""The server's public surface and option checking."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

import harpia._server
from harpia import harpia as make_app
from harpia._server import ListenInfo, Server, serve

from .conftest import client, get


def test_all_matches_the_module() -> None:
    names = {name for name in dir(harpia._server) if not name.startswith("_")}
    assert set(harpia._server.__all__) == names
    for name in harpia._server.__all__:
        assert getattr(harpia._server, name).__doc__


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "needs a port"),
        ({"port": -1}, "port must be"),
        ({"port": 80, "driver": "fast"}, "driver must be"),
        ({"port": 80, "workers": 0}, "workers must be"),
        ({"port": 80, "header_timeout": 0}, "header_timeout must be positive"),
        ({"port": 80, "max_headers": 0}, "max_headers must be"),
        ({"port": 80, "tls": {"cert": "c.pem"}}, "tls needs"),
    ],
)
def test_invalid_options(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Server(make_app(), **options)


async def test_serve_refuses_workers() -> None:
    with pytest.raises(ValueError, match="listen"):
        await serve(make_app(), port=0, workers=2)


def test_unix_wins_over_port() -> None:
    server = Server(make_app(), port=8000, unix="/tmp/x.sock")
    assert server.config.info(None, None) == ListenInfo(
        None, None, "/tmp/x.sock", "http", "unix:/tmp/x.sock"
    )


async def test_app_serve_runs_until_cancelled() -> None:
    app = make_app()
    app.get("/", lambda req, res: res.text("up"))
    ports: list[int] = []
    ready = anyio.Event()

    def on_listen(info: ListenInfo) -> None:
        assert info.port is not None
        ports.append(info.port)
        ready.set()

    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(lambda: app.serve(port=0, hostname="127.0.0.1", on_listen=on_listen))
            await ready.wait()
            async with client(ports[0]) as c:
                await c.send(get("/"))
                assert (await c.response()).body == b"up"
            group.cancel_scope.cancel()
