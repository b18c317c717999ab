"""Cross-site WebSocket hijacking: the handshake's ``Origin`` is checked (403 when refused).

A page on another site can open a WebSocket to this one and the browser sends the
user's cookies with it; ``allowed_origins`` decides which pages may. The default,
``"same-origin"``, lets through the site's own pages and non-browser clients (no
``Origin``); ``"*"`` any page; a list exactly those origins. The check is in the route,
so every front end applies it: both native drivers, the test client and ASGI.
"""

from __future__ import annotations

from typing import Any

import pytest
import websockets
from websockets.exceptions import InvalidStatus

from harpia import Harpia, TestClient, WebSocket, WSRejected, harpia
from harpia._ws_options import WSOptions
from tests.harpia.server.conftest import running

from .rawws import abort, handshake

DRIVERS = ["asyncio", "anyio"]


class Echo:
    async def message(self, ws: WebSocket, message: str | bytes) -> None:
        await ws.send(message)


def make_app(**ws: Any) -> Harpia:
    app = harpia()
    if ws:
        app.ws_options = WSOptions.from_mapping(ws)
    app.ws("/echo", Echo)
    app.ws("/public", Echo, allowed_origins="*")
    app.ws("/partner", Echo, allowed_origins=["https://partner.example"])
    return app


async def status(port: int, path: str, origin: str | None) -> int:
    """The handshake's status with ``origin`` (``websockets`` client)."""
    kwargs: dict[str, Any] = {} if origin is None else {"origin": origin}
    try:
        async with websockets.connect(f"ws://127.0.0.1:{port}{path}", **kwargs) as ws:
            await ws.send("hi")
            assert await ws.recv() == "hi"
            return 101
    except InvalidStatus as refused:
        code: int = refused.response.status_code
        return code


@pytest.mark.parametrize("driver", DRIVERS)
async def test_origin_policy_on_the_native_server(driver: str) -> None:
    async with running(make_app(), driver) as server:
        port = server.port
        assert port is not None
        own = f"http://127.0.0.1:{port}"
        assert await status(port, "/echo", None) == 101  # not a browser
        assert await status(port, "/echo", own) == 101
        assert await status(port, "/echo", "http://evil.example") == 403
        assert await status(port, "/echo", f"http://127.0.0.1:{port + 1}") == 403  # other port
        assert await status(port, "/echo", f"https://127.0.0.1:{port}") == 101  # TLS proxy
        assert await status(port, "/echo", "null") == 403  # sandboxed frame, file://
        assert await status(port, "/public", "http://evil.example") == 101
        assert await status(port, "/partner", "https://partner.example") == 101
        assert await status(port, "/partner", "https://partner.example:443") == 101
        assert await status(port, "/partner", own) == 403  # a list is exactly that list
        assert await status(port, "/partner", "http://partner.example") == 403


@pytest.mark.parametrize("driver", DRIVERS)
async def test_same_origin_uses_the_absolute_form_authority(driver: str) -> None:
    async with running(make_app(), driver) as server:
        assert server.port is not None
        for origin, expected in (("http://a.example", b" 101 "), ("http://b.example", b" 403 ")):
            _, writer, head = await handshake(
                server.port, "http://a.example/echo", f"Origin: {origin}"
            )
            abort(writer)
            assert expected in head.split(b"\r\n")[0], (origin, head)


@pytest.mark.parametrize("driver", DRIVERS)
async def test_the_app_option_allows_any_origin(driver: str) -> None:
    async with running(make_app(), driver, ws={"allowed_origins": "*"}) as server:
        assert server.port is not None
        assert await status(server.port, "/echo", "http://evil.example") == 101


async def test_origin_policy_in_the_test_client() -> None:
    async with TestClient(make_app(), base_url="http://app.example") as client:
        async with client.ws("/echo", headers={"origin": "http://app.example"}) as ws:
            await ws.send("hi")
            assert await ws.receive() == "hi"
        with pytest.raises(WSRejected) as refused:
            async with client.ws("/echo", headers={"origin": "http://evil.example"}):
                pass
        assert refused.value.response.status == 403


async def test_origin_policy_under_asgi() -> None:
    async def handshake_status(origin: str, host: bytes = b"app.example") -> int:
        scope = {
            "type": "websocket",
            "path": "/echo",
            "raw_path": b"/echo",
            "query_string": b"",
            "headers": [
                (b"host", host),
                (b"origin", origin.encode()),
                (b"upgrade", b"websocket"),
                (b"connection", b"Upgrade"),
                (b"sec-websocket-version", b"13"),
                (b"sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ=="),
            ],
            "extensions": {"websocket.http.response": {}},
        }
        incoming: list[dict[str, Any]] = [
            {"type": "websocket.connect"},
            {"type": "websocket.disconnect", "code": 1000},
        ]
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return incoming.pop(0) if incoming else {"type": "websocket.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await make_app()(scope, receive, send)
        first = sent[0]
        if first["type"] == "websocket.accept":
            return 101
        assert first["type"] == "websocket.http.response.start"
        code: int = first["status"]
        return code

    assert await handshake_status("http://app.example") == 101
    assert await handshake_status("http://evil.example") == 403
    assert await handshake_status("http://app.example", b"a@b/c?d") == 400  # the Host rule


@pytest.mark.parametrize(
    "value",
    ["same-site", "https://a.example/path", ["a.example"], [1], "", None, 5, ["null"]],
)
def test_allowed_origins_is_validated(value: Any) -> None:
    with pytest.raises(ValueError, match="allowed_origins"):
        WSOptions.from_mapping({"allowed_origins": value})
    with pytest.raises(ValueError, match="allowed_origins"):
        harpia().ws("/x", Echo, allowed_origins=value if value is not None else 0)
