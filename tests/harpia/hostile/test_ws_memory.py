"""D7 and D11: a WebSocket peer that sends and never reads cannot pin server memory.

The server runs in its own process (``tests.support.processes.script_server``) so its
resident size (``VmRSS``/``VmHWM`` in ``/proc/PID/status``) measures it alone. The client
sends until the server stops reading (its writes no longer drain): what the server holds
then is its per-connection bound — the byte-bounded inbox (twice ``max_payload_length``),
one message being reassembled, and at most ``backpressure_limit`` of unsent replies.
Before the fix, D7 (66 x 16 MiB echoed, never read) held +1,088 MiB and D11 (400k pings)
+59 MiB.
"""

from __future__ import annotations

import asyncio
import json
import sys

import pytest

from tests.support.processes import proc_field, script_server

from .rawws import abort, frame, handshake, send_until_stalled

SERVER = """
import json, sys
from harpia import harpia

app = harpia()

class Echo:
    async def message(self, ws, message):
        await ws.send(message)

app.ws("/echo", Echo)
app.get("/", lambda req, res: res.send("ok"))
app.listen(port=0, hostname="127.0.0.1", driver=sys.argv[1], ws=json.loads(sys.argv[2]),
           on_listen=lambda info: print(info.port, flush=True))
"""

DRIVERS = ["asyncio", "anyio"]
MIB = 1024 * 1024

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc/PID/status"
)


async def grown_kb(pid: int, port: int, payload: bytes, most: int) -> tuple[int, int, int]:
    """Send ``payload`` frames until stalled; returns (baseline kB, growth kB, frames sent)."""
    reader, writer, head = await handshake(port, "/echo")
    assert head.startswith(b"HTTP/1.1 101 "), head
    # warm every path once (a small echo, read back), then measure from there
    writer.write(frame(0x2, b"warm"))
    await asyncio.wait_for(reader.readexactly(6), 5)
    await asyncio.sleep(0.2)
    baseline = proc_field(pid, "status", "VmRSS")
    try:
        sent = await send_until_stalled(writer, payload, most=most)
        await asyncio.sleep(1.0)  # let the server take in whatever it will
        held = proc_field(pid, "status", "VmRSS")
        # the connection is still open, the server is only refusing to read more
        assert writer.transport.get_write_buffer_size() > 0 or sent == most
    finally:
        abort(writer)
    return baseline, held - baseline, sent


@pytest.mark.parametrize("driver", DRIVERS)
async def test_d7_large_messages_never_read_are_bounded_with_the_defaults(driver: str) -> None:
    """66 messages of (just under) the default 1 MiB payload limit, echoed, never read."""
    payload = frame(0x2, b"x" * (MIB - 64))
    async with asyncio.timeout(30), script_server(SERVER, driver, "{}") as (pid, port):
        baseline, growth, sent = await grown_kb(pid, port, payload, most=66)
        print(f"\nD7 {driver} defaults: {sent} x 1 MiB sent, RSS {baseline} kB +{growth} kB")
        # inbox 2 MiB + 1 MiB reassembling + 16 MiB backpressure_limit + copies in flight
        assert growth < 40 * 1024
        assert sent < 66  # the server stopped reading: the client's writes stalled


@pytest.mark.parametrize("driver", DRIVERS)
async def test_d7_bound_is_proportional_to_the_limits(driver: str) -> None:
    options = json.dumps({"max_payload_length": 256 * 1024, "backpressure_limit": 256 * 1024})
    payload = frame(0x2, b"y" * (256 * 1024 - 64))
    async with asyncio.timeout(30), script_server(SERVER, driver, options) as (pid, port):
        _, growth, sent = await grown_kb(pid, port, payload, most=400)
        print(f"\nD7 {driver} 256 KiB limits: {sent} x 256 KiB sent, RSS +{growth} kB")
        assert growth < 8 * 1024
        assert sent < 400


@pytest.mark.parametrize("driver", DRIVERS)
async def test_d11_pings_never_read_are_bounded(driver: str) -> None:
    """400k pings with 125-byte payloads (pongs as big), never reading a pong."""
    batch = frame(0x9, b"p" * 125) * 2000  # 262 kB per write
    async with asyncio.timeout(30), script_server(SERVER, driver, "{}") as (pid, port):
        baseline, growth, sent = await grown_kb(pid, port, batch, most=200)
        print(f"\nD11 {driver}: {sent * 2000} pings sent, RSS {baseline} kB +{growth} kB")
        # at most backpressure_limit (16 MiB) of unsent pongs, plus one read's worth
        assert growth < 32 * 1024
        assert sent < 200
