"""``listen`` in a real process: signals, graceful exit, ``workers`` with ``reuse_port``."""

from __future__ import annotations

import asyncio
import signal
import sys
import textwrap
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import pytest

from .conftest import TIMEOUT, client, get

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

SCRIPT = """
import os, sys, time
from harpia import harpia

app = harpia()
app.get("/pid", lambda req, res: res.text(str(os.getpid())))

@app.get("/slow")
async def slow(req, res):
    import anyio
    await anyio.sleep(0.3)
    res.text("slow done")

app.on_shutdown(lambda: print("shutdown", os.getpid(), flush=True))
app.listen(port=0, hostname="127.0.0.1", on_listen=lambda info: print(info.port, flush=True),
           shutdown_timeout=5, {options})
print("stopped", flush=True)
"""

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and fork")


class Process:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def line(self) -> str:
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), TIMEOUT)
        return raw.decode().strip()

    async def rest(self) -> str:
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.read(), TIMEOUT * 2)
        return raw.decode()


@asynccontextmanager
async def start(options: str) -> AsyncIterator[tuple[Process, int]]:
    code = textwrap.dedent(SCRIPT).replace("{options}", options)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, stdout=asyncio.subprocess.PIPE
    )
    try:
        wrapped = Process(process)
        yield wrapped, int(await wrapped.line())
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def pid_of(port: int) -> str:
    async with client(port) as c:
        await c.send(get("/pid", "connection: close"))
        return (await c.response()).body.decode()


async def test_listen_stops_gracefully_on_sigterm() -> None:
    async with start("driver='auto'") as (process, port):
        async with client(port) as c:
            await c.send(get("/slow"))
            await asyncio.sleep(0.1)
            process.process.send_signal(signal.SIGTERM)
            reply = await c.response()
            assert (reply.status, reply.body) == (200, b"slow done")
        rest = await process.rest()
        assert "shutdown" in rest
        assert rest.rstrip().endswith("stopped")
        assert await asyncio.wait_for(process.process.wait(), TIMEOUT) == 0


async def test_two_workers_with_reuse_port_both_serve() -> None:
    async with start("workers=2, reuse_port=True") as (process, port):
        pids: set[str] = set()
        for _ in range(60):
            pids.add(await pid_of(port))
            if len(pids) == 2:
                break
        assert len(pids) == 2
        assert str(process.process.pid) not in pids  # the parent only supervises
        process.process.send_signal(signal.SIGINT)
        rest = await process.rest()
        assert rest.count("shutdown") == 2  # each worker ran its own shutdown hooks
        assert await asyncio.wait_for(process.process.wait(), TIMEOUT) == 0


async def test_two_workers_on_one_shared_socket() -> None:
    async with start("workers=2") as (process, port):
        assert (await pid_of(port)).isdigit()
        process.process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.process.wait(), TIMEOUT * 2) == 0
