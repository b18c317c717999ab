"""A 1 GiB static file: the server's memory stays flat, ranges return exactly their bytes.

The server runs in its own process so that its peak RSS (``VmHWM`` in
``/proc/PID/status``) measures the server alone. The file is sparse (``truncate``) with a
few random markers written at known offsets, so exact bytes can be checked anywhere.
The download (a few seconds per driver on loopback) includes a pause with a stalled reader,
which is when a server without backpressure would buffer the file.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import TYPE_CHECKING

import pytest

from tests.support.byteranges import parse_byteranges
from tests.support.processes import proc_field, script_server

from .conftest import TIMEOUT, Client

if TYPE_CHECKING:
    from pathlib import Path

SIZE = 1 << 30
LIMIT_KB = 50 * 1024  # the allowed growth of the peak RSS
MARKERS = {0: os.urandom(16), 123_456_789: os.urandom(16), SIZE // 2: os.urandom(16)}
MARKERS[SIZE - 16] = os.urandom(16)

SERVER = """
import sys
from harpia import harpia

app = harpia()
app.static(sys.argv[1])
app.listen(port=0, hostname="127.0.0.1", driver=sys.argv[2],
           on_listen=lambda info: print(info.port, flush=True))
"""

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc/PID/status"
)


@pytest.fixture(scope="module")
def big_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder: Path = tmp_path_factory.mktemp("big")
    path = folder / "big.bin"
    with open(path, "wb") as file:
        file.truncate(SIZE)
        for offset, data in MARKERS.items():
            file.seek(offset)
            file.write(data)
    (folder / "small.txt").write_text("warm-up")
    return folder


def expected(first: int, last: int) -> bytes:
    """The file's bytes ``first..last`` (inclusive): zeros and markers."""
    data = bytearray(last - first + 1)
    for offset, marker in MARKERS.items():
        for i, byte in enumerate(marker):
            if first <= offset + i <= last:
                data[offset + i - first] = byte
    return bytes(data)


async def read_head(c: Client) -> tuple[int, dict[bytes, bytes], bytes]:
    """Read up to the end of the response head; returns status, headers, extra bytes."""
    buffer = b""
    for _ in range(100):
        if b"\r\n\r\n" in buffer:
            break
        buffer += await c.read_some()
    head, _, rest = buffer.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(b":") for line in lines[1:])
    }
    return int(lines[0].split(b" ")[1]), headers, rest


async def read_exactly(c: Client, count: int, first: bytes) -> bytes:
    data = first
    while len(data) < count:
        data += await asyncio.wait_for(c.reader.read(count - len(data)), TIMEOUT)
    return data


@pytest.mark.parametrize("driver", ["asyncio", "anyio"])
async def test_a_1gib_file_keeps_server_memory_flat(big_folder: Path, driver: str) -> None:
    async with asyncio.timeout(60), script_server(SERVER, str(big_folder), driver) as (pid, port):
        c = await Client.connect(port)
        try:
            await c.send(b"GET /small.txt HTTP/1.1\r\nhost: t\r\n\r\n")  # warm every path
            status, _, rest = await read_head(c)
            assert (status, await read_exactly(c, 7, rest)) == (200, b"warm-up")
            baseline = proc_field(pid, "status", "VmHWM")

            await c.send(b"GET /big.bin HTTP/1.1\r\nhost: t\r\n\r\n")
            status, headers, first = await read_head(c)
            assert (status, headers[b"content-length"]) == (200, str(SIZE).encode())
            await asyncio.sleep(0.5)  # a stalled reader: the server must wait, not buffer
            stalled = proc_field(pid, "status", "VmRSS")
            received = len(first)
            seen = dict.fromkeys(MARKERS, b"")
            chunk = first
            for _ in range(SIZE // 1024):  # bounded (reads are ~1 MiB; the timeout bounds time)
                start = received - len(chunk)
                for offset, marker in MARKERS.items():
                    lo, hi = max(offset, start), min(offset + len(marker), received)
                    if lo < hi:
                        seen[offset] += chunk[lo - start : hi - start]
                if received >= SIZE:
                    break
                chunk = await asyncio.wait_for(c.reader.read(1 << 20), TIMEOUT)
                assert chunk, f"connection closed after {received} bytes"
                received += len(chunk)
            assert received == SIZE
            assert seen == MARKERS
            peak = proc_field(pid, "status", "VmHWM")
            growth = peak - baseline
            print(f"\n{driver}: baseline {baseline} kB, stalled {stalled} kB, peak {peak} kB")
            assert growth < LIMIT_KB, f"peak RSS grew by {growth} kB"
            assert stalled - baseline < LIMIT_KB

            ranges = [(123_456_780, 123_456_810), (SIZE - 20, SIZE - 1), (0, 15)]
            for first_byte, last_byte in ranges:
                await c.send(
                    b"GET /big.bin HTTP/1.1\r\nhost: t\r\nrange: bytes=%d-%d\r\n\r\n"
                    % (first_byte, last_byte)
                )
                status, headers, rest = await read_head(c)
                assert status == 206
                length = last_byte - first_byte + 1
                assert headers[b"content-range"] == b"bytes %d-%d/%d" % (
                    first_byte,
                    last_byte,
                    SIZE,
                )
                assert await read_exactly(c, length, rest) == expected(first_byte, last_byte)

            spec = ",".join(f"{a}-{b}" for a, b in ranges)
            await c.send(
                f"GET /big.bin HTTP/1.1\r\nhost: t\r\nrange: bytes={spec}\r\n\r\n".encode()
            )
            status, headers, rest = await read_head(c)
            assert status == 206
            body = await read_exactly(c, int(headers[b"content-length"]), rest)
            parts = parse_byteranges(headers[b"content-type"].decode(), body)
            assert [p.data for p in parts] == [expected(a, b) for a, b in ranges]
            assert proc_field(pid, "status", "VmHWM") - baseline < LIMIT_KB
        finally:
            await c.close()
