"""WebSocket routes on the native server (both drivers), with the ``websockets`` client."""

from __future__ import annotations

import asyncio
import base64
import os
import struct
from typing import TYPE_CHECKING, Any

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from harpia import harpia
from tests.harpia.server.conftest import TIMEOUT, client, running
from tests.harpia.server.ws_app import Echo, make_app

if TYPE_CHECKING:
    from tests.harpia.server.conftest import Certificate


def url(port: int | None, path: str) -> str:
    return f"ws://127.0.0.1:{port}{path}"


async def closed_code(ws: Any) -> int | None:
    """Read until the server closes; the close code it sent."""
    for _ in range(100):
        try:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
        except ConnectionClosed:
            return ws.close_code  # type: ignore[no-any-return]
    raise AssertionError("the server never closed")


async def test_echo_text_binary_params_and_close(driver: str) -> None:
    Echo.closed.clear()
    async with running(make_app(), driver) as server:
        async with websockets.connect(url(server.port, "/echo/lobby")) as ws:
            assert str(await ws.recv()).startswith("hello lobby ")
            await ws.send("héllo")
            assert await ws.recv() == "héllo"
            await ws.send(b"\x00\xff" * 10)
            assert await ws.recv() == b"\x00\xff" * 10
            big = os.urandom(300_000)
            await ws.send(big)
            assert await ws.recv() == big
        for _ in range(100):
            if Echo.closed:
                break
            await asyncio.sleep(0.01)
        assert Echo.closed == [(1000, "")]


async def test_fragmented_message_is_reassembled(driver: str) -> None:
    async with (
        running(make_app(), driver) as server,
        websockets.connect(url(server.port, "/echo/a")) as ws,
    ):
        await ws.recv()
        parts = ["abc" * 1000, "é" * 2000, "end"]
        await ws.send(iter(parts))
        assert await ws.recv() == "".join(parts)


async def test_message_over_max_payload_length_closes_1009(driver: str) -> None:
    app = make_app()
    async with (
        running(app, driver, ws={"max_payload_length": 1000}) as server,
        websockets.connect(url(server.port, "/echo/a")) as ws,
    ):
        await ws.recv()
        await ws.send("x" * 1000)
        assert await ws.recv() == "x" * 1000
        await ws.send(iter(["y" * 600, "y" * 600]))  # too big only once reassembled
        assert await closed_code(ws) == 1009


async def test_idle_connection_is_closed(driver: str) -> None:
    options = {"idle_timeout": 0.3, "send_pings": False}
    async with (
        running(make_app(), driver, ws=options) as server,
        websockets.connect(url(server.port, "/echo/a"), ping_interval=None) as ws,
    ):
        await ws.recv()
        started = asyncio.get_running_loop().time()
        assert await closed_code(ws) == 1001
        assert asyncio.get_running_loop().time() - started < 2


async def test_pings_keep_an_answering_peer_and_close_a_silent_one(driver: str) -> None:
    options = {"idle_timeout": 0.3, "send_pings": True}
    async with running(make_app(), driver, ws=options) as server:
        async with websockets.connect(url(server.port, "/echo/a"), ping_interval=None) as ws:
            await ws.recv()
            await asyncio.sleep(0.8)  # the client library answers the server's pings
            await ws.send("still here")
            assert await ws.recv() == "still here"
        async with client(server.port or 0) as raw:  # answers nothing: pinged, then closed
            await raw.send(handshake("/echo/a"))
            received = b""
            for _ in range(50):
                received += await raw.read_some()
                if b"\x88" in received.split(b"\r\n\r\n", 1)[-1]:
                    break
            frames = received.split(b"\r\n\r\n", 1)[1]
            assert b"\x89\x00" in frames  # a ping
            assert b"\x88" in frames  # then a close


@pytest.mark.parametrize(
    ("compress", "decompress"), [(True, True), (False, True), (True, False), (False, False)]
)
async def test_per_message_deflate(driver: str, compress: bool, decompress: bool) -> None:
    options = {"per_message_deflate": {"compress": compress, "decompress": decompress}}
    async with (
        running(make_app(), driver, ws=options) as server,
        websockets.connect(url(server.port, "/echo/a")) as ws,
    ):
        await ws.recv()
        extensions = [ext.name for ext in ws.protocol.extensions]
        assert extensions == (["permessage-deflate"] if compress or decompress else [])
        text = "compress me " * 5000
        await ws.send(text)
        assert await ws.recv() == text


async def test_handshake_refused_by_middleware_upgrade_or_plain_get(driver: str) -> None:
    async with running(make_app(), driver) as server:
        with pytest.raises(InvalidStatus) as refused:
            await websockets.connect(url(server.port, "/private/echo/a"))
        assert refused.value.response.status_code == 401
        headers = {"Authorization": "yes"}
        async with websockets.connect(
            url(server.port, "/private/echo/a"), additional_headers=headers
        ) as ws:
            assert str(await ws.recv()).startswith("hello a")
        with pytest.raises(InvalidStatus) as refused:
            await websockets.connect(url(server.port, "/echo/a?deny=1"))
        assert refused.value.response.status_code == 403
        async with client(server.port or 0) as raw:
            await raw.send(b"GET /echo/a HTTP/1.1\r\nhost: t\r\n\r\n")
            reply = await raw.response()
            assert reply.status == 426
            assert reply.headers[b"upgrade"] == b"websocket"


def handshake(path: str) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET {path} HTTP/1.1\r\nhost: t\r\nupgrade: websocket\r\nconnection: Upgrade\r\n"
        f"sec-websocket-version: 13\r\nsec-websocket-key: {key}\r\n\r\n"
    ).encode()


def masked(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    mask = b"\x01\x02\x03\x04"
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes(((0x80 if fin else 0) | opcode, 0x80 | len(payload))) + mask + body


async def close_frame_after(port: int | None, data: bytes) -> int:
    """Send a handshake, the first message exchange, then ``data``: the close code back."""
    assert port is not None
    async with client(port) as raw:
        await raw.send(handshake("/echo/a") + data)
        received = b""
        for _ in range(50):
            chunk = await raw.read_some()
            if not chunk:
                break
            received += chunk
        frames = received.split(b"\r\n\r\n", 1)[1]
        at = frames.index(b"\x88")
        return int(struct.unpack("!H", frames[at + 2 : at + 4])[0])


async def test_bad_input_gets_the_right_close_code(driver: str) -> None:
    async with running(make_app(), driver) as server:
        assert await close_frame_after(server.port, masked(0x1, b"\xff\xfe")) == 1007
        unmasked = b"\x81\x02hi"
        assert await close_frame_after(server.port, unmasked) == 1002
        assert await close_frame_after(server.port, masked(0x8, struct.pack("!H", 4001))) == 4001


async def test_pubsub_fan_out_and_publish_to_self(driver: str) -> None:
    for to_self in (False, True):
        app = make_app()
        async with (
            running(app, driver, ws={"publish_to_self": to_self}) as server,
            websockets.connect(url(server.port, "/room")) as a,
            websockets.connect(url(server.port, "/room")) as b,
        ):
            await a.send("topics")
            assert await a.recv() == "True"
            await b.send("topics")
            assert await b.recv() == "True"
            await a.send("pub:hi")
            assert await asyncio.wait_for(b.recv(), TIMEOUT) == "hi"
            await a.send("topics")
            assert await a.recv() == ("hi" if to_self else "True")


async def test_thousand_subscribers_receive_a_broadcast() -> None:
    app = make_app()
    async with running(app, "asyncio") as server:
        clients = await asyncio.gather(
            *[websockets.connect(url(server.port, "/room"), compression=None) for _ in range(1000)]
        )
        try:
            for _ in range(100):
                if app.hub.subscribers("room") == 1000:
                    break
                await asyncio.sleep(0.05)
            assert await app.publish("room", "to all") == 1000
            got = await asyncio.gather(*[asyncio.wait_for(c.recv(), TIMEOUT) for c in clients])
            assert got == ["to all"] * 1000
        finally:
            await asyncio.gather(*[c.close() for c in clients])


async def test_server_shutdown_closes_websockets_with_1001(driver: str) -> None:
    app = harpia()
    app.ws("/w", {"message": lambda ws, msg: None})
    async with running(app, driver) as server:
        ws = await websockets.connect(url(server.port, "/w"))
        await server.shutdown()
        assert await closed_code(ws) == 1001


@pytest.mark.parametrize("close_on_limit", [False, True])
async def test_outbound_backpressure(driver: str, close_on_limit: bool) -> None:
    options = {"backpressure_limit": 512 * 1024, "close_on_backpressure_limit": close_on_limit}
    async with (
        running(make_app(), driver, ws=options) as server,
        websockets.connect(url(server.port, "/flood"), max_size=None, max_queue=1) as ws,
    ):
        await ws.send("flood")
        await asyncio.sleep(0.3)  # not reading: the server's send buffer fills up
        received = 0
        try:
            for _ in range(100):
                message = await asyncio.wait_for(ws.recv(), TIMEOUT)
                if message == "flooded":
                    break
                received += 1
        except ConnectionClosed:
            pass
        if close_on_limit:
            assert ws.close_code == 1008
            assert received < 40
        else:
            assert received == 40  # it waited instead of dropping


async def test_inbound_backpressure_stops_reading(driver: str) -> None:
    release = asyncio.Event()
    count = 0

    async def message(ws: Any, msg: str | bytes) -> None:
        nonlocal count
        await release.wait()
        count += 1

    app = harpia()
    app.ws("/slow", {"message": message})
    frame = bytes((0x82, 0xFF)) + struct.pack("!Q", 65536) + b"\x00\x00\x00\x00" + bytes(65536)
    async with running(app, driver) as server, client(server.port or 0) as raw:
        await raw.send(handshake("/slow"))
        assert (await raw.read_some()).startswith(b"HTTP/1.1 101")
        sent = stalled = written = 0
        while sent < 48 * 1024 * 1024 and stalled < 10:
            raw.writer.write(frame)
            written += 1
            try:
                await asyncio.wait_for(raw.writer.drain(), 0.1)
                sent += len(frame)
                stalled = 0
            except TimeoutError:
                stalled += 1
        assert stalled >= 10, "the server kept reading from a handler that does not keep up"
        assert sent < 40 * 1024 * 1024
        release.set()
        for _ in range(500):
            if count == written:
                break
            await asyncio.sleep(0.02)
        assert count == written  # nothing lost: everything sent is handled in the end


async def test_a_slow_subscriber_does_not_stall_a_broadcast() -> None:
    app = make_app()
    async with (
        running(app, "asyncio", ws={"backpressure_limit": 512 * 1024}) as server,
        client(server.port or 0) as slow,  # subscribes, then never reads
    ):
        await slow.send(handshake("/room"))
        fast = [
            await websockets.connect(url(server.port, "/room"), max_size=None) for _ in range(5)
        ]
        try:
            for _ in range(100):
                if app.hub.subscribers("room") == 6:
                    break
                await asyncio.sleep(0.02)
            assert app.hub.subscribers("room") == 6
            payload, count = b"p" * 64 * 1024, 200

            async def consume(ws: Any) -> list[Any]:
                return [await asyncio.wait_for(ws.recv(), TIMEOUT) for _ in range(count)]

            readers = [asyncio.create_task(consume(ws)) for ws in fast]
            delivered = []
            for _ in range(count):
                delivered.append(await app.publish("room", payload))
                await asyncio.sleep(0.002)
            assert await asyncio.gather(*readers) == [[payload] * count] * 5
            assert delivered[0] == 6
            assert delivered[-1] == 5  # the slow one is past its limit: dropped for it
        finally:
            await asyncio.gather(*[ws.close() for ws in fast])


async def test_no_task_left_behind_after_any_close(driver: str) -> None:
    app = make_app()
    async with running(app, driver, ws={"max_payload_length": 100}) as server:
        await asyncio.sleep(0.05)
        baseline = len(asyncio.all_tasks())
        async with websockets.connect(url(server.port, "/echo/a")) as ws:  # normal close
            await ws.recv()
        async with websockets.connect(url(server.port, "/room")) as ws:  # the app closes
            await ws.send("close")
            assert await closed_code(ws) == 4000
        async with websockets.connect(url(server.port, "/echo/a")) as ws:  # a limit
            await ws.recv()
            await ws.send("x" * 200)
            assert await closed_code(ws) == 1009
        assert await close_frame_after(server.port, b"\x81\x02hi") == 1002
        async with client(server.port or 0) as raw:  # the peer just vanishes
            await raw.send(handshake("/room"))
            await raw.read_some()
        for _ in range(200):
            if len(asyncio.all_tasks()) <= baseline and not app.hub.topics:
                break
            await asyncio.sleep(0.02)
        assert len(asyncio.all_tasks()) <= baseline
        assert app.hub.topics == {}


async def test_wss_over_tls(driver: str, certificate: Certificate) -> None:
    tls = {"cert": certificate.cert, "key": certificate.key}
    async with (
        running(make_app(), driver, tls=tls) as server,
        websockets.connect(
            f"wss://127.0.0.1:{server.port}/echo/tls", ssl=certificate.client_context()
        ) as ws,
    ):
        assert str(await ws.recv()).startswith("hello tls ")
        await ws.send("secret")
        assert await ws.recv() == "secret"


async def test_malformed_handshakes_get_4xx(driver: str) -> None:
    base = "GET /echo/a HTTP/1.1\r\nhost: t\r\nupgrade: websocket\r\nconnection: Upgrade\r\n"
    cases = {
        "sec-websocket-version: 13\r\nsec-websocket-key: short\r\n": 400,
        "sec-websocket-version: 13\r\n": 400,
        "sec-websocket-version: 8\r\nsec-websocket-key: AAAAAAAAAAAAAAAAAAAAAA==\r\n": 426,
    }
    async with running(make_app(), driver) as server:
        for extra, status in cases.items():
            async with client(server.port or 0) as raw:
                await raw.send((base + extra + "\r\n").encode())
                assert (await raw.response()).status == status
        async with client(server.port or 0) as raw:  # no "Connection: Upgrade"
            await raw.send(
                b"GET /echo/a HTTP/1.1\r\nhost: t\r\nupgrade: websocket\r\n"
                b"sec-websocket-version: 13\r\nsec-websocket-key: AAAAAAAAAAAAAAAAAAAAAA==\r\n\r\n"
            )
            assert (await raw.response()).status == 400
