"""The server on real sockets, every test on both drivers (asyncio transports, anyio)."""

from __future__ import annotations

import asyncio
import os
import time
from typing import TYPE_CHECKING

import anyio
import anyio.lowlevel
import pytest

from harpia import Request, Response, harpia
from harpia._server import ClientDisconnected

from .conftest import TIMEOUT, Client, client, get, running

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from harpia import Harpia
    from harpia._server import ListenInfo

    from .conftest import Certificate


def make_app() -> Harpia:
    app = harpia()
    app.get("/hello", lambda req, res: res.text("hello"))
    app.get("/n/:n", lambda req, res: res.text(req.params["n"]))

    @app.post("/echo")
    async def echo(req: Request, res: Response) -> None:
        res.send(await req.body(), content_type="application/octet-stream")

    @app.post("/small", max_body_size=1000)
    async def small(req: Request, res: Response) -> None:
        res.text(str(len(await req.body())))

    @app.post("/ignore")
    def ignore(req: Request, res: Response) -> None:
        res.status(202).text("not reading it")

    @app.post("/stream-echo")
    async def stream_echo(req: Request, res: Response) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            async for chunk in req.stream():
                yield chunk.upper()

        res.stream(chunks())

    @app.get("/stream")
    async def stream(req: Request, res: Response) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            for i in range(5):
                yield b"part %d;" % i

        res.stream(chunks())

    @app.get("/forever")
    async def forever(req: Request, res: Response) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(100_000):
                yield b"x" * 65536
                await anyio.lowlevel.checkpoint()

        res.stream(chunks())

    @app.get("/slow")
    async def slow(req: Request, res: Response) -> None:
        await anyio.sleep(0.5)
        res.text("slow done")

    @app.get("/slower")
    async def slower(req: Request, res: Response) -> None:
        await anyio.sleep(3)
        res.text("too late")

    @app.get("/boom")
    def boom(req: Request, res: Response) -> None:
        raise RuntimeError("handler failure")

    app.get("/pid", lambda req, res: res.text(str(os.getpid())))
    return app


async def test_get_and_keep_alive(driver: str) -> None:
    async with running(make_app(), driver) as server, client(server.port or 0) as c:
        for _ in range(3):
            await c.send(get("/hello"))
            reply = await c.response()
            assert (reply.status, reply.body) == (200, b"hello")
            assert reply.headers[b"content-length"] == b"5"
            assert b"date" in reply.headers


async def test_on_listen_reports_the_real_port(driver: str) -> None:
    seen: list[ListenInfo] = []
    async with running(make_app(), driver, on_listen=seen.append) as server:
        assert server.port
        assert [info.port for info in seen] == [server.port]
        assert seen[0].url == f"http://127.0.0.1:{server.port}"


async def test_100_pipelined_requests_are_answered_in_order(driver: str) -> None:
    async with running(make_app(), driver) as server, client(server.port or 0) as c:
        await c.send(b"".join(get(f"/n/{i}") for i in range(100)))
        bodies = [(await c.response()).body for _ in range(100)]
        assert bodies == [str(i).encode() for i in range(100)]


async def test_body_over_the_route_limit_is_413_without_reading_it(driver: str) -> None:
    async with running(make_app(), driver) as server, client(server.port or 0) as c:
        started = time.monotonic()
        await c.send(b"POST /small HTTP/1.1\r\nhost: t\r\ncontent-length: 10000000\r\n\r\n")
        await c.send(b"x" * 2000)
        reply = await c.response(b"POST")
        assert reply.status == 413
        assert reply.headers[b"connection"] == b"close"
        assert await c.closed()
        assert time.monotonic() - started < 2


async def test_body_within_the_limit(driver: str) -> None:
    async with running(make_app(), driver) as server, client(server.port or 0) as c:
        await c.send(
            b"POST /small HTTP/1.1\r\nhost: t\r\ncontent-length: 1000\r\n\r\n" + b"x" * 1000
        )
        reply = await c.response(b"POST")
        assert (reply.status, reply.body) == (200, b"1000")


async def test_max_request_body_size_option(driver: str) -> None:
    app = make_app()
    async with running(app, driver, max_request_body_size=10) as server:
        assert app.max_request_body_size == 10
        async with client(server.port or 0) as c:
            await c.send(b"POST /echo HTTP/1.1\r\nhost: t\r\ncontent-length: 11\r\n\r\n01234567890")
            assert (await c.response(b"POST")).status == 413


async def test_unread_small_body_keeps_the_connection(driver: str) -> None:
    async with running(make_app(), driver) as server, client(server.port or 0) as c:
        await c.send(b"POST /ignore HTTP/1.1\r\nhost: t\r\ncontent-length: 5\r\n\r\nabcde")
        assert (await c.response(b"POST")).status == 202
        await c.send(get("/hello"))
        assert (await c.response()).body == b"hello"


async def test_malformed_request_line_is_400_and_others_are_served(driver: str) -> None:
    async with running(make_app(), driver) as server:
        port = server.port or 0
        async with client(port) as bad, client(port) as good:
            await bad.send(b"NOT A REQUEST LINE\r\n\r\n")
            await good.send(get("/hello"))
            data = await bad.read_all()
            assert data.startswith(b"HTTP/1.1 400 Bad Request\r\n")
            assert (await good.response()).body == b"hello"


async def test_header_timeout_drops_a_stalled_client_only(driver: str) -> None:
    async with running(make_app(), driver, header_timeout=0.5) as server:
        port = server.port or 0
        async with client(port) as slow, client(port) as good:
            started = time.monotonic()
            await slow.send(b"GET /hello HTTP/1.1\r\nhost: t\r\nx-half")
            await good.send(get("/hello"))
            assert (await good.response()).body == b"hello"
            assert time.monotonic() - started < 0.45
            data = await slow.read_all()
            assert data.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
            assert 0.45 < time.monotonic() - started < 3


async def test_idle_keep_alive_connection_is_closed(driver: str) -> None:
    app = make_app()
    async with (
        running(app, driver, keep_alive_timeout=0.3) as server,
        client(server.port or 0) as c,
    ):
        await c.send(get("/hello"))
        assert (await c.response()).status == 200
        idle_since = time.monotonic()
        assert await c.closed()
        assert 0.25 < time.monotonic() - idle_since < 2


async def test_chunked_request_and_streamed_response(driver: str) -> None:
    async with running(make_app(), driver) as server, client(server.port or 0) as c:
        await c.send(
            b"POST /stream-echo HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n"
        )
        reply = await c.response(b"POST")
        assert reply.headers[b"transfer-encoding"] == b"chunked"
        assert reply.body == b"HELLO WORLD"
        await c.send(get("/stream"))
        reply = await c.response()
        assert reply.body == b"part 0;part 1;part 2;part 3;part 4;"


async def test_expect_continue_when_the_body_is_read(driver: str) -> None:
    async with running(make_app(), driver) as server, client(server.port or 0) as c:
        await c.send(
            b"POST /echo HTTP/1.1\r\nhost: t\r\ncontent-length: 4\r\nexpect: 100-continue\r\n\r\n"
        )
        assert await c.reader.readuntil(b"\r\n\r\n") == b"HTTP/1.1 100 Continue\r\n\r\n"
        await c.send(b"data")
        reply = await c.response(b"POST")
        assert (reply.status, reply.body) == (200, b"data")
        await c.send(get("/hello"))
        assert (await c.response()).status == 200


async def test_expect_continue_when_the_body_is_not_read(driver: str) -> None:
    async with running(make_app(), driver) as server, client(server.port or 0) as c:
        await c.send(
            b"POST /ignore HTTP/1.1\r\nhost: t\r\ncontent-length: 4\r\nexpect: 100-continue\r\n\r\n"
        )
        data = await c.read_all()  # no 100: the final answer, then the server closes
        assert data.startswith(b"HTTP/1.1 202 Accepted\r\n")
        assert b"connection: close" in data.lower()


async def test_head_request(driver: str) -> None:
    async with running(make_app(), driver) as server, client(server.port or 0) as c:
        await c.send(b"HEAD /hello HTTP/1.1\r\nhost: t\r\n\r\n")
        reply = await c.response(b"HEAD")
        assert (reply.status, reply.body) == (200, b"")
        assert reply.headers[b"content-length"] == b"5"
        await c.send(get("/hello"))
        assert (await c.response()).body == b"hello"


async def test_too_many_headers_is_431(driver: str) -> None:
    async with running(make_app(), driver, max_headers=5) as server, client(server.port or 0) as c:
        await c.send(get("/hello", *(f"x-{i}: {i}" for i in range(10))))
        assert (await c.read_all()).startswith(b"HTTP/1.1 431 ")


async def test_headers_too_large_is_431(driver: str) -> None:
    app = make_app()
    async with running(app, driver, max_header_size=1024) as server, client(server.port or 0) as c:
        await c.send(get("/hello", "x-big: " + "a" * 2000))
        assert (await c.read_all()).startswith(b"HTTP/1.1 431 ")


async def test_app_errors_and_disconnects_do_not_stop_the_server(driver: str) -> None:
    async with running(make_app(), driver) as server:
        port = server.port or 0
        async with client(port) as c:
            await c.send(get("/boom"))
            assert (await c.response()).status == 500
        async with client(port) as c:
            await c.send(get("/forever"))
            await c.read_some()
            c.writer.transport.abort()  # gone mid-response
        await anyio.sleep(0.05)
        async with client(port) as c:
            await c.send(get("/hello"))
            assert (await c.response()).body == b"hello"


async def test_in_flight_request_completes_during_shutdown(driver: str) -> None:
    async with running(make_app(), driver, shutdown_timeout=5) as server:
        port = server.port or 0
        async with client(port) as idle, client(port) as busy:
            await idle.send(get("/hello"))
            await idle.response()
            await busy.send(get("/slow"))
            await anyio.sleep(0.1)
            server.stop()
            await anyio.sleep(0.05)
            with pytest.raises(OSError):
                await Client.connect(port)
            assert await idle.closed()  # an idle keep-alive connection goes at once
            reply = await busy.response()
            assert (reply.status, reply.body) == (200, b"slow done")
            assert reply.headers[b"connection"] == b"close"


async def test_shutdown_timeout_aborts_what_is_left(driver: str) -> None:
    app = make_app()
    async with running(app, driver, shutdown_timeout=0.1) as server, client(server.port or 0) as c:
        await c.send(get("/slower"))
        await anyio.sleep(0.05)
        started = time.monotonic()
        await server.shutdown()
        assert time.monotonic() - started < 1.5
        assert await c.closed()


async def test_tls_round_trip(driver: str, certificate: Certificate) -> None:
    tls = {"cert": certificate.cert, "key": certificate.key}
    async with running(make_app(), driver, tls=tls) as server:
        assert server.info is not None
        assert server.info.url.startswith("https://")
        context = certificate.client_context()
        async with client(server.port or 0, ssl=context) as c:
            for _ in range(2):
                await c.send(get("/hello"))
                assert (await c.response()).body == b"hello"


async def test_unix_socket_round_trip(driver: str, tmp_path: Path) -> None:
    path = str(tmp_path / "harpia.sock")
    async with running(make_app(), driver, unix=path) as server:
        assert server.port is None
        assert os.stat(path).st_mode & 0o777 == 0o666
        reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(path), TIMEOUT)
        c = Client(reader, writer)
        await c.send(get("/hello"))
        assert (await c.response()).body == b"hello"
        await c.close()
    assert not os.path.exists(path)  # noqa: ASYNC240


async def test_stale_unix_socket_is_replaced(driver: str, tmp_path: Path) -> None:
    import socket

    path = str(tmp_path / "stale.sock")
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(path)
    stale.close()  # the file stays, nobody listens
    async with running(make_app(), driver, unix=path):
        reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(path), TIMEOUT)
        c = Client(reader, writer)
        await c.send(get("/hello"))
        assert (await c.response()).status == 200
        await c.close()


async def test_startup_and_shutdown_hooks_run(driver: str) -> None:
    app = make_app()
    calls: list[str] = []
    app.on_startup(lambda: calls.append("startup"))
    app.on_shutdown(lambda: calls.append("shutdown"))
    async with running(app, driver, development=True):
        assert calls == ["startup"]
        assert app.development
    assert calls == ["startup", "shutdown"]


async def test_many_concurrent_connections_are_accepted(driver: str) -> None:
    async with running(make_app(), driver, backlog=512) as server:
        port = server.port or 0

        async def one(i: int) -> bytes:
            async with client(port) as c:
                await c.send(get(f"/n/{i}", "connection: close"))
                return (await c.response()).body

        with anyio.fail_after(TIMEOUT):
            bodies = await asyncio.gather(*(one(i) for i in range(150)))
        assert bodies == [str(i).encode() for i in range(150)]


async def test_http_10_request(driver: str) -> None:
    async with running(make_app(), driver) as server, client(server.port or 0) as c:
        await c.send(b"GET /stream HTTP/1.0\r\n\r\n")
        data = await c.read_all()  # close-delimited: no chunked framing for HTTP/1.0
        assert data.startswith(b"HTTP/1.1 200 OK\r\n")
        assert data.endswith(b"\r\n\r\npart 0;part 1;part 2;part 3;part 4;")


async def test_headers_checked_when_set_go_out_unchanged(driver: str) -> None:
    app = harpia()

    @app.get("/h")
    def headers(req: Request, res: Response) -> None:
        res.header("X-Latin", "café").header("X-Blanks", "a b\tc").header("X-Empty", "")
        res.text("ok")

    async with running(app, driver) as server, client(server.port or 0) as c:
        await c.send(get("/h"))
        reply = await c.response()
    assert reply.status == 200
    assert reply.headers[b"x-latin"] == "café".encode("latin-1")
    assert reply.headers[b"x-blanks"] == b"a b\tc"
    assert reply.headers[b"x-empty"] == b""


async def test_shield_headers_on_the_wire_once_each(driver: str) -> None:
    app = harpia()
    app.shield(use_nonce=True)
    app.get("/", lambda req, res: res.text(req.nonce or ""))
    app.get("/own", lambda req, res: res.header("X-Frame-Options", "DENY").text("own"))

    async with running(app, driver) as server:
        port = server.port or 0
        async with client(port) as c:
            await c.send(get("/") + get("/missing"))
            first, missing = [await c.response() for _ in range(2)]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /own HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
        raw = await asyncio.wait_for(reader.read(-1), TIMEOUT)
        writer.close()
    nonce = first.body.decode()
    assert nonce
    assert f"'nonce-{nonce}'".encode() in first.headers[b"content-security-policy"]
    assert first.headers[b"x-frame-options"] == b"SAMEORIGIN"
    assert missing.status == 404
    assert b"x-content-type-options" in missing.headers  # error responses get them too
    head = raw.split(b"\r\n\r\n", 1)[0].lower()
    assert head.count(b"\r\nx-frame-options:") == 1  # the handler's own value wins
    assert b"\r\nx-frame-options: deny" in head


async def test_context_variables_do_not_leak_between_requests(driver: str) -> None:
    import contextvars

    seen: contextvars.ContextVar[str] = contextvars.ContextVar("seen", default="")
    app = harpia()

    @app.get("/set")
    def set_it(req: Request, res: Response) -> None:
        res.text(seen.get())
        seen.set("leaked")

    @app.get("/set-after-wait")
    async def set_after_wait(req: Request, res: Response) -> None:
        await asyncio.sleep(0)  # runs on in the connection's host task (asyncio driver)
        res.text(seen.get())
        seen.set("leaked")

    async with running(app, driver) as server, client(server.port or 0) as c:
        for path in ("/set", "/set-after-wait", "/set", "/set-after-wait"):
            await c.send(get(path))
            assert (await c.response()).body == b""


async def test_handlers_run_in_a_task_where_timeouts_and_cancel_scopes_work(
    driver: str,
) -> None:
    app = harpia()

    @app.get("/asyncio-timeout")
    async def asyncio_timeout(req: Request, res: Response) -> None:
        task = asyncio.current_task()
        assert task is not None
        try:
            async with asyncio.timeout(0.05):
                await asyncio.sleep(TIMEOUT)
        except TimeoutError:
            res.text(f"timed out, cancelling={task.cancelling()}")

    @app.get("/anyio-scope")
    async def anyio_scope(req: Request, res: Response) -> None:
        with anyio.move_on_after(0.05) as scope:
            await anyio.sleep(TIMEOUT)
        res.text(f"cancelled={scope.cancelled_caught}")

    @app.get("/waits")
    async def waits(req: Request, res: Response) -> None:
        await anyio.sleep(0.01)
        res.text("still served")

    async with running(app, driver) as server, client(server.port or 0) as c:
        # pipelined: each request starts inside the previous one's task, and a timeout
        # that fired before leaves nothing behind for the next
        await c.send(
            get("/asyncio-timeout") + get("/anyio-scope") + get("/asyncio-timeout") + get("/waits")
        )
        bodies = [(await c.response()).body for _ in range(4)]
    assert bodies == [
        b"timed out, cancelling=0",
        b"cancelled=True",
        b"timed out, cancelling=0",
        b"still served",
    ]


async def test_client_gone_mid_body(driver: str) -> None:
    app = make_app()
    finished = anyio.Event()
    raised: list[BaseException] = []

    @app.post("/read")
    async def read(req: Request, res: Response) -> None:
        try:
            await req.body()
        except Exception as exc:
            raised.append(exc)
            raise
        finally:
            finished.set()

    async with running(app, driver) as server:
        port = server.port or 0
        async with client(port) as c:
            await c.send(b"POST /read HTTP/1.1\r\nhost: t\r\ncontent-length: 100\r\n\r\nabc")
            await anyio.sleep(0.05)
        with anyio.fail_after(TIMEOUT):
            await finished.wait()
        assert [type(exc) for exc in raised] == [ClientDisconnected]
        async with client(port) as c:
            await c.send(get("/hello"))
            assert (await c.response()).body == b"hello"
