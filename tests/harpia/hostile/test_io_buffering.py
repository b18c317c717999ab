"""D1: pipelined requests whose responses are never read keep the server's memory bounded.

Three sockets each send ``GET /big`` (1 MiB responses) x 300 pipelined and never read:
27 KB sent for 900 MiB of responses. The server may only buffer what one response and
the read-ahead cost per connection (writes paused → reading paused, no request parsed
ahead of an unsent response); the rest waits in the kernel, where TCP backpressure holds
the client. The server runs in its own process: its peak RSS (``VmHWM``) is the measure.
"""

from __future__ import annotations

import asyncio
import sys

import pytest

from tests.support.processes import proc_field, script_server

from .io_support import REQUEST_BIG, SERVER, connect, get, options

LIMIT_KB = 16 * 1024  # allowed growth of the peak RSS ("a few MiB" measured)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


@pytest.mark.parametrize("driver", ["asyncio", "anyio"])
async def test_unread_pipelined_responses_stay_bounded(driver: str) -> None:
    async with asyncio.timeout(30), script_server(SERVER, options(driver)) as (pid, port):
        status, body, _ = await get(port, "/big")  # warm every path once
        assert (status, len(body)) == (200, 1 << 20)
        baseline = proc_field(pid, "status", "VmHWM")
        writers = []
        try:
            for _ in range(3):
                _, writer = await connect(port)
                writer.write(REQUEST_BIG * 300)
                writers.append(writer)
            for _ in range(12):  # 3 s: a server that buffers has buffered by then
                await asyncio.sleep(0.25)
                rss = proc_field(pid, "status", "VmRSS")
            status, _, elapsed = await get(port)  # still serving the others
            assert status == 200
            assert elapsed < 1.0
            growth = proc_field(pid, "status", "VmHWM") - baseline
            print(
                f"\nD1 {driver}: 3 x 300 pipelined GET /big never read: peak RSS "
                f"+{growth / 1024:.1f} MiB (now {rss / 1024:.1f} MiB), /hello in {elapsed:.3f} s"
            )
            assert growth < LIMIT_KB, f"peak RSS grew by {growth} kB"
        finally:
            for writer in writers:
                writer.transport.abort()
