"""``TestClient.ws``: the same WebSocket routes, in-process."""

from __future__ import annotations

import pytest

from harpia import TestClient, WSDisconnect, WSRejected
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
