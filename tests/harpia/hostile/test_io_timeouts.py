"""D2: a client that stops sending a body, or stops reading a response, is closed.

``body_timeout``: seconds without a byte while the app waits for the request body; the
client gets a 408 (nothing was answered yet) and the connection is closed.
``write_timeout``: seconds without progress while a response waits to be written; the
connection is aborted and its socket and file descriptors released. A graceful shutdown
does not wait for either. Servers run in their own process (``/proc/PID/fd`` is counted).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from typing import TYPE_CHECKING

import pytest

from harpia._server import HTTPConnection
from harpia._server._config import Config
from tests.support.processes import script_server

from .io_support import (
    SERVER,
    SLOW_BODY,
    connect,
    fds,
    get,
    options,
    read_to_end,
    server_process,
    sockets,
    wait_until,
)

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

drivers = pytest.mark.parametrize("driver", ["asyncio", "anyio"])


def test_expire_while_reading_a_body_answers_408_once() -> None:
    conn = HTTPConnection()
    conn.receive_data(SLOW_BODY)
    assert type(conn.next_event()).__name__ == "RequestHead"
    data = conn.expire()
    assert data.startswith(b"HTTP/1.1 408 ")
    assert conn.respond(200, [(b"content-length", b"2")], b"ok") == b""  # too late: nothing


def test_expire_after_the_response_started_sends_nothing() -> None:
    conn = HTTPConnection()
    conn.receive_data(SLOW_BODY)
    conn.next_event()
    assert conn.start_response(200, [])
    assert conn.expire() == b""


@drivers
async def test_300_slow_bodies_get_408_and_are_closed(driver: str) -> None:
    count, timeout = 300, 1.5
    async with (
        asyncio.timeout(25),
        script_server(SERVER, options(driver, body_timeout=timeout)) as (pid, port),
    ):
        baseline = sockets(pid)
        clients = [await connect(port) for _ in range(count)]
        try:
            started = time.monotonic()
            for _, writer in clients:
                writer.write(SLOW_BODY + b"abc")  # 3 of the 10 bytes, then nothing
            status, _, elapsed = await get(port)  # the others are still served at once
            assert status == 200
            opened = sockets(pid) - baseline
            ends = await asyncio.gather(*(read_to_end(r, timeout + 8) for r, _ in clients))
            statuses = {data[:12] for data, _ in ends}
            assert statuses == {b"HTTP/1.1 408"}, statuses
            closed = [end - started for _, end in ends]
            print(
                f"\nD2 {driver}: {count} slow bodies (body_timeout={timeout}): open at once "
                f"{opened}, /hello in {elapsed:.3f} s, 408 + close after "
                f"{min(closed):.2f}-{max(closed):.2f} s"
            )
            assert elapsed < 1.0
            assert timeout * 0.9 < min(closed)
            assert max(closed) < timeout + 5
        finally:
            for _, writer in clients:
                writer.close()
        released = await wait_until(lambda: sockets(pid) <= baseline, 5)
        print(f"D2 {driver}: server sockets back to {baseline} {released:.2f} s after")


@pytest.fixture(scope="module")
def ten_mib(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder: Path = tmp_path_factory.mktemp("files")
    (folder / "ten.bin").write_bytes(os.urandom(10 << 20))
    return folder


@drivers
@pytest.mark.parametrize("path", ["/ten.bin", "/stream"])
async def test_a_stalled_reader_is_closed_by_write_timeout(
    driver: str, path: str, ten_mib: Path
) -> None:
    timeout = 1.5
    settings = options(driver, write_timeout=timeout, static=str(ten_mib))
    async with asyncio.timeout(25), script_server(SERVER, settings) as (pid, port):
        baseline = sockets(pid)
        reader, writer = await connect(port)
        try:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            await wait_until(lambda: sockets(pid) > baseline, 5)
            started = time.monotonic()
            held = 0  # the most descriptors of the file seen open at once

            def released() -> bool:
                nonlocal held
                files = sum(target.endswith("ten.bin") for target in fds(pid))
                held = max(held, files)
                return sockets(pid) <= baseline and not files

            closed = await wait_until(released, timeout + 8)
            data, _ = await read_to_end(reader, 5)  # what the kernel had taken, then the end
            print(
                f"\nD2 {driver} {path}: stalled reader (write_timeout={timeout}) closed after "
                f"{closed:.2f} s, {len(data) / (1 << 20):.1f} MiB had been sent, "
                f"file descriptors held meanwhile {held}"
            )
            assert timeout * 0.9 < time.monotonic() - started
            assert closed < timeout + 5
            full = 10 << 20 if path == "/ten.bin" else 128 << 20
            assert len(data) < full  # cut, not completed
            if path == "/stream":
                assert (await get(port, "/streams-closed"))[1] == b"1"  # the generator closed
        finally:
            writer.close()


@drivers
@pytest.mark.parametrize("client", ["slow body", "stalled reader"])
async def test_shutdown_does_not_wait_for_a_stuck_client(driver: str, client: str) -> None:
    async with asyncio.timeout(25), server_process(SERVER, options(driver)) as (process, port):
        pid = process.pid
        baseline = sockets(pid)
        _, writer = await connect(port)  # default timeouts: 30 s body, write and shutdown
        try:
            if client == "slow body":
                writer.write(SLOW_BODY + b"abc")
            else:
                writer.write(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
            await wait_until(lambda: sockets(pid) > baseline, 5)
            await asyncio.sleep(0.5)
            started = time.monotonic()
            process.terminate()  # SIGTERM: graceful shutdown
            code = await asyncio.wait_for(process.wait(), 12)
            took = time.monotonic() - started
            print(f"\nD2 {driver}: shutdown with a {client} took {took:.2f} s (was 30 s)")
            assert code == 0
            assert took < 5
        finally:
            writer.close()


@pytest.mark.parametrize(
    ("option", "value", "error"),
    [
        ("body_timeout", 0, ValueError),
        ("write_timeout", -1, ValueError),
        ("write_timeout", float("nan"), ValueError),
        ("body_timeout", "30", TypeError),
    ],
)
def test_timeouts_are_validated(option: str, value: object, error: type[Exception]) -> None:
    with pytest.raises(error, match=option):
        Config(port=0, **{option: value})  # type: ignore[arg-type]


def test_timeouts_default_to_30_seconds() -> None:
    config = Config(port=0)
    assert (config.body_timeout, config.write_timeout) == (30, 30)


@drivers
async def test_a_slow_body_that_keeps_coming_is_not_cut(driver: str) -> None:
    timeout = 1.5
    async with (
        asyncio.timeout(20),
        script_server(SERVER, options(driver, body_timeout=timeout)) as (_, port),
    ):
        reader, writer = await connect(port)
        try:
            writer.write(SLOW_BODY)
            started = time.monotonic()
            for byte in b"0123456789":  # one byte every 0.4 s: 4 s in all, > body_timeout
                await asyncio.sleep(0.4)
                writer.write(bytes([byte]))
            data = await asyncio.wait_for(reader.readuntil(b"0123456789"), 5)
            took = time.monotonic() - started
            assert data.startswith(b"HTTP/1.1 200 ")
            assert took > 2 * timeout
        finally:
            writer.close()


@drivers
async def test_a_slow_reader_that_keeps_reading_is_not_cut(driver: str, ten_mib: Path) -> None:
    timeout = 1.5
    settings = options(driver, write_timeout=timeout, static=str(ten_mib))
    async with asyncio.timeout(25), script_server(SERVER, settings) as (_, port):
        reader, writer = await connect(port)
        try:
            writer.write(b"GET /ten.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            started = time.monotonic()
            received = 0
            for _ in range(200):  # ~2 MiB/s: 5 s for the file, > 3 x write_timeout
                await asyncio.sleep(0.05)
                chunk = await asyncio.wait_for(reader.read(100 * 1024), 5)
                if not chunk:
                    break
                received += len(chunk)
            else:
                received += len(await asyncio.wait_for(reader.read(), 5))
            took = time.monotonic() - started
            print(f"\n{driver}: a slow reader got {received} bytes in {took:.1f} s")
            assert received > 10 << 20  # the head and the whole file
            assert took > 2 * timeout
        finally:
            writer.close()
