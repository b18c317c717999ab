"""The WebSocket test app as an ASGI app under uvicorn (both of its WebSocket stacks)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.support.processes import uvicorn as under_uvicorn

if TYPE_CHECKING:
    from collections.abc import Iterator

TIMEOUT = 5.0


@pytest.fixture(params=["wsproto", "websockets"])
def uvicorn(request: pytest.FixtureRequest) -> Iterator[int]:
    options = ("--ws", request.param, "--ws-max-size", "100000000")
    with under_uvicorn("tests.harpia.server.ws_app:app", *options) as port:
        yield port


async def test_echo_refusals_pubsub_and_close(uvicorn: int) -> None:
    base = f"ws://127.0.0.1:{uvicorn}"
    async with websockets.connect(base + "/echo/asgi") as ws:
        assert str(await asyncio.wait_for(ws.recv(), TIMEOUT)).startswith("hello asgi ")
        await ws.send("ping")
        assert await ws.recv() == "ping"
        await ws.send(b"\x00" * 70_000)
        assert await ws.recv() == b"\x00" * 70_000
    with pytest.raises(InvalidStatus) as refused:
        await websockets.connect(base + "/echo/a?deny=1")
    assert refused.value.response.status_code == 403
    with pytest.raises(InvalidStatus) as refused:
        await websockets.connect(base + "/private/echo/a")
    assert refused.value.response.status_code == 401
    async with websockets.connect(base + "/room") as a, websockets.connect(base + "/room") as b:
        await a.send("topics")
        assert await a.recv() == "True"
        await b.send("topics")
        assert await b.recv() == "True"
        await a.send("pub:over asgi")
        assert await asyncio.wait_for(b.recv(), TIMEOUT) == "over asgi"
        await b.send("close")
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(b.recv(), TIMEOUT)
        assert b.close_code == 4000


async def test_upgrade_request_in_an_http_scope_gets_426() -> None:
    from tests.harpia.server.ws_app import make_app

    headers = [
        (b"host", b"t"),
        (b"upgrade", b"websocket"),
        (b"connection", b"Upgrade"),
        (b"sec-websocket-version", b"13"),
        (b"sec-websocket-key", b"AAAAAAAAAAAAAAAAAAAAAA=="),
    ]
    scope = {"type": "http", "method": "GET", "path": "/echo/a", "headers": headers}
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    await make_app()(scope, receive, send)
    assert sent[0]["status"] == 426


async def test_a_websocket_scope_without_handshake_headers_is_accepted() -> None:
    """The ASGI server did the handshake: no Upgrade/Connection/Sec-WebSocket-* needed."""
    import anyio

    from tests.harpia.server.ws_app import make_app

    scope = {
        "type": "websocket",
        "path": "/echo/bare",
        "raw_path": b"/echo/bare",
        "headers": [(b"host", b"t")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
    }
    incoming: list[dict[str, object]] = [
        {"type": "websocket.connect"},
        {"type": "websocket.receive", "text": "ping"},
        {"type": "websocket.disconnect", "code": 1000},
    ]
    sent: list[dict[str, object]] = []
    echoed = anyio.Event()

    async def receive() -> dict[str, object]:
        if len(incoming) == 1:  # disconnect only once the echo arrived
            with anyio.fail_after(TIMEOUT):
                await echoed.wait()
        return incoming.pop(0)

    async def send(message: dict[str, object]) -> None:
        sent.append(message)
        if message.get("text") == "ping":
            echoed.set()

    with anyio.fail_after(TIMEOUT):
        await make_app()(scope, receive, send)
    assert sent[0]["type"] == "websocket.accept"
    assert str(sent[1]["text"]).startswith("hello bare ")
    assert sent[2] == {"type": "websocket.send", "text": "ping"}
    assert all(m["type"] != "websocket.close" for m in sent[:3])


async def test_the_origin_rule_still_applies_under_asgi() -> None:
    from tests.harpia.server.ws_app import make_app

    scope = {
        "type": "websocket",
        "path": "/echo/bare",
        "headers": [(b"host", b"t"), (b"origin", b"https://evil.example")],
    }
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "websocket.connect"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    await make_app()(scope, receive, send)
    assert sent == [{"type": "websocket.close", "code": 1008, "reason": ""}]
