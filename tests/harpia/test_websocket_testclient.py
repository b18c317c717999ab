"""``TestClient.ws``: the same WebSocket routes, in-process."""

from __future__ import annotations

from typing import Any

import pytest

from harpia import Request, Router, TestClient, WebSocket, WSDisconnect, WSRejected, harpia
from harpia._server._config import Config
from harpia._ws_options import WSOptions
from tests.harpia.server.ws_app import Echo, make_app


async def test_echo_and_close_handler() -> None:
    Echo.closed.clear()
    async with TestClient(make_app()) as client, client.ws("/echo/kitchen") as ws:
        assert str(await ws.receive()).startswith("hello kitchen ")
        await ws.send("hi")
        assert await ws.receive() == "hi"
        await ws.send(b"\x01\x02")
        assert await ws.receive() == b"\x01\x02"
    assert Echo.closed == [(1000, "")]


async def test_refused_handshakes() -> None:
    async with TestClient(make_app()) as client:
        with pytest.raises(WSRejected) as refused:
            async with client.ws("/private/echo/a"):
                pass
        assert refused.value.response.status == 401
        async with client.ws("/private/echo/a", headers={"authorization": "yes"}) as ws:
            assert str(await ws.receive()).startswith("hello a")
        with pytest.raises(WSRejected) as refused:
            async with client.ws("/echo/a?deny=1"):
                pass
        assert refused.value.response.status == 403
        assert (await client.get("/echo/a").execute()).status == 426


async def test_pubsub_between_sessions_and_from_http() -> None:
    async with (
        TestClient(make_app()) as client,
        client.ws("/room") as a,
        client.ws("/room") as b,
    ):
        await a.send("topics")
        assert await a.receive() == "True"
        await b.send("topics")
        assert await b.receive() == "True"
        await a.send("pub:from a")
        assert await b.receive() == "from a"
        response = await client.post("/publish").send(b"from http").execute()
        assert response.json() == {"sent": 2}
        assert await a.receive() == "from http"
        assert await b.receive() == "from http"


async def test_app_closes_with_its_code() -> None:
    async with TestClient(make_app()) as client, client.ws("/room") as ws:
        await ws.send("close")
        with pytest.raises(WSDisconnect) as closed:
            await ws.receive()
        assert closed.value.code == 4000
        assert closed.value.reason == "bye"


async def test_router_decorator_sync_handlers_and_unsubscribe() -> None:
    app = harpia()
    router = Router("/api")
    seen: list[Any] = []

    @router.ws("/sync/:id")
    class Sync:
        def upgrade(self, req: Request) -> dict[str, str]:
            return {"id": req.params["id"]}

        def open(self, ws: WebSocket) -> None:
            ws.subscribe("t")
            seen.append(ws.is_subscribed("t"))
            ws.unsubscribe("t")
            seen.append(ws.is_subscribed("t"))

        def message(self, ws: WebSocket, message: str | bytes) -> None:
            raise RuntimeError("boom")

        def error(self, ws: WebSocket, error: Exception) -> None:
            seen.append(str(error))

        def close(self, ws: WebSocket, code: int, reason: str) -> None:
            seen.append((ws.data["id"], code))

    app.routes(router)
    async with TestClient(app) as client, client.ws("/api/sync/7") as ws:
        await ws.send("x")
        with pytest.raises(WSDisconnect) as closed:
            await ws.receive()
        assert closed.value.code == 1011
    assert seen == [True, False, "boom", ("7", 1011)]
    assert app.hub.topics == {}


def test_ws_options_are_validated() -> None:
    options = WSOptions.from_mapping(
        {"idle_timeout": 5, "per_message_deflate": {"compress": True}, "publish_to_self": True}
    )
    assert (options.compress, options.decompress, options.deflate) == (True, False, True)
    assert options.tick == 2.5
    assert WSOptions.from_mapping({"per_message_deflate": True}).decompress
    for bad in (
        {"max_payload_length": 0},
        {"idle_timeout": -1},
        {"send_pings": "yes"},
        {"per_message_deflate": {"zip": True}},
        {"maxPayloadLength": 10},
    ):
        with pytest.raises(ValueError, match="ws option"):
            WSOptions.from_mapping(bad)
    with pytest.raises(ValueError, match="ws option"):
        Config(port=0, ws={"backpressure_limit": -5})
