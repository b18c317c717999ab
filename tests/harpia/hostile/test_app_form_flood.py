"""D3: form floods are refused before they cost CPU or memory.

``POST /does-not-exist`` with 16.8 MB of ``a0=b&a1=b&…``: the 404 comes at once, without
reading the body; the same flood to a route that reads the form, to a route with a PUT
for method override, chunked or as 200,000 tiny multipart fields: a 413 from
``max_form_size`` / ``max_form_fields``. Each time a concurrent ``GET /hello`` is answered
within a second and the server's peak RSS barely moves. The server runs in its own process
(``VmHWM`` measures it alone), on each driver.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time

import pytest

from tests.support.processes import proc_field, script_server

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc/PID/status"
)

SERVER = """
import sys, tempfile
from harpia import Upload, harpia

app = harpia()

@app.get("/hello")
def hello(req, res):
    return "hello"

@app.post("/form")
async def form(req, res):
    return {"fields": len(await req.form())}

@app.put("/form")
async def put_form(req, res):
    return {"fields": len(await req.form())}

upload = Upload(path=tempfile.mkdtemp())
app.post("/upload", upload.single, lambda req, res: {"file": str(req.file)})

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


def multipart_flood(count: int) -> bytes:
    part = b'--B\r\ncontent-disposition: form-data; name="a%d"\r\n\r\nb\r\n'
    return b"".join(part % i for i in range(count)) + b"--B--\r\n"


URLENCODED = b"application/x-www-form-urlencoded"
CASES = {
    # name: (path, content type, chunked, expected status)
    "unknown-path": (b"/does-not-exist", URLENCODED, False, 404),
    "form-route": (b"/form", URLENCODED, False, 413),
    "form-route-chunked": (b"/form", URLENCODED, True, 413),
    "override-to-put": (b"/form", URLENCODED, False, 413),  # _method=PUT first, then the flood
    "multipart-200k-fields": (b"/form", b"multipart/form-data; boundary=B", False, 413),
    "upload-200k-fields": (b"/upload", b"multipart/form-data; boundary=B", False, 413),
}


def request_bytes(case: str) -> bytes:
    path, kind, chunked, _ = CASES[case]
    body = multipart_flood(200_000) if kind.startswith(b"multipart") else flood(BODY_SIZE)
    if case == "override-to-put":
        body = b"_method=PUT&" + body[12:]
    head = b"POST %s HTTP/1.1\r\nhost: x\r\ncontent-type: %s\r\n" % (path, kind)
    if not chunked:
        return head + b"content-length: %d\r\n\r\n" % len(body) + body
    step = 256 * 1024
    chunks = [body[i : i + step] for i in range(0, len(body), step)]
    framed = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks)
    return head + b"transfer-encoding: chunked\r\n\r\n" + framed + b"0\r\n\r\n"


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("driver", ["asyncio", "anyio"])
async def test_a_form_flood_is_refused_cheaply(driver: str, case: str) -> None:
    data = request_bytes(case)
    async with asyncio.timeout(60), script_server(SERVER, driver) as (pid, port):
        await get_hello(port)  # warm every path
        baseline = proc_field(pid, "status", "VmHWM")
        cpu = proc_cpu(pid)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        start = time.monotonic()

        async def send() -> None:
            with contextlib.suppress(ConnectionError):
                writer.write(data)
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
            latency = await asyncio.wait_for(prober, STEP)
        finally:
            sender.cancel()
            prober.cancel()
            writer.close()
        used = proc_cpu(pid) - cpu
        growth = proc_field(pid, "status", "VmHWM") - baseline
        print(
            f"\n{driver} {case}: {status_line[9:12].decode()} after {answered:.3f} s, "
            f"server CPU {used:.2f} s, slowest concurrent GET {latency:.3f} s, "
            f"peak RSS +{growth} kB"
        )
        assert status_line.startswith(b"HTTP/1.1 %d" % CASES[case][3]), status_line
        assert answered < 2.0
        assert latency < 1.0
        assert growth < LIMIT_KB, f"peak RSS grew by {growth} kB"


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (``/proc/PID/stat``)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
