"""D3: an urlencoded flood to an unknown path is answered without reading or parsing it.

``POST /does-not-exist`` with 16.8 MB of ``a0=b&a1=b&…``: the 404 comes at once, a
concurrent ``GET /hello`` is answered within a second, and the server's peak RSS barely
moves. The server runs in its own process (``VmHWM`` measures it alone), on each driver.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time

import pytest

from tests.support.processes import proc_field, script_server

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc/PID/status"
)

SERVER = """
import sys
from harpia import harpia

app = harpia()

@app.get("/hello")
def hello(req, res):
    return "hello"

@app.post("/form")
async def form(req, res):
    return {"fields": len(await req.form())}

app.listen(port=0, hostname="127.0.0.1", driver=sys.argv[1],
           on_listen=lambda info: print(info.port, flush=True))
"""

BODY_SIZE = 16 * 1024 * 1024 - 1024  # 16.8 MB, just under the default body limit
LIMIT_KB = 20 * 1024  # allowed growth of the server's peak RSS (the old code: +474 MiB)
STEP = 10.0  # no single client step may take longer


def flood(size: int) -> bytes:
    """``a0=b&a1=b&…`` up to exactly ``size`` bytes."""
    parts: list[bytes] = []
    total = 0
    i = 0
    while total < size:
        part = b"a%d=b&" % i
        parts.append(part)
        total += len(part)
        i += 1
    return b"".join(parts)[:size]


async def get_hello(port: int) -> float:
    """Seconds to get ``GET /hello`` answered on a fresh connection."""
    start = time.monotonic()
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), STEP)
    try:
        writer.write(b"GET /hello HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), STEP)
    finally:
        writer.close()
    assert data.startswith(b"HTTP/1.1 200"), data[:100]
    assert data.endswith(b"hello")
    return time.monotonic() - start


@pytest.mark.parametrize("driver", ["asyncio", "anyio"])
async def test_a_form_flood_to_an_unknown_path_is_not_parsed(driver: str) -> None:
    body = flood(BODY_SIZE)
    async with asyncio.timeout(60), script_server(SERVER, driver) as (pid, port):
        await get_hello(port)  # warm every path
        baseline = proc_field(pid, "status", "VmHWM")
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        start = time.monotonic()
        head = (
            b"POST /does-not-exist HTTP/1.1\r\nhost: x\r\n"
            b"content-type: application/x-www-form-urlencoded\r\n"
            b"content-length: %d\r\n\r\n" % len(body)
        )

        async def send() -> None:
            with contextlib.suppress(ConnectionError):
                writer.write(head + body)
                await writer.drain()

        async def probe(done: asyncio.Event) -> float:
            """The slowest ``GET /hello`` while the flood is under way (and once after)."""
            worst = 0.0
            for _ in range(100):  # bounded: one probe every 0.1 s at most
                worst = max(worst, await get_hello(port))
                if done.is_set():
                    break
                await asyncio.sleep(0.1)
            return max(worst, await get_hello(port))

        answered_event = asyncio.Event()
        sender = asyncio.create_task(send())
        prober = asyncio.create_task(probe(answered_event))
        try:
            status_line = await asyncio.wait_for(reader.readline(), STEP)
            answered = time.monotonic() - start
            answered_event.set()
            await asyncio.wait_for(sender, STEP)  # all sent, or the server closed
            sent = time.monotonic() - start
            latency = await asyncio.wait_for(prober, STEP)
        finally:
            sender.cancel()
            prober.cancel()
            writer.close()
        peak = proc_field(pid, "status", "VmHWM")
        growth = peak - baseline
        print(
            f"\n{driver}: 404 after {answered:.3f} s, body sent/refused after {sent:.3f} s, "
            f"slowest concurrent GET {latency:.3f} s, peak RSS +{growth} kB"
        )
        assert status_line.startswith(b"HTTP/1.1 404"), status_line
        assert answered < 2.0
        assert latency < 1.0
        assert growth < LIMIT_KB, f"peak RSS grew by {growth} kB"
