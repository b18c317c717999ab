"""Upload on a live server (both drivers): saving, 413/415/400, and a 1 GiB upload.

The 1 GiB tests run the server in its own process so that its peak RSS (``VmHWM``) and
the bytes it read from sockets (``rchar`` in ``/proc/PID/io``) measure the server alone.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import TYPE_CHECKING, Any

import pytest

import harpia as hp
from harpia import Request, Response, Upload
from tests.support.processes import proc_field, script_server

from .conftest import Client, client, running

if TYPE_CHECKING:
    from pathlib import Path

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x07" * 5000
BOUNDARY = b"harpiaboundary1234"


def part(name: str, data: bytes, filename: str | None = None, kind: str = "") -> bytes:
    head = b'--%s\r\nContent-Disposition: form-data; name="%s"' % (BOUNDARY, name.encode())
    if filename is not None:
        head += b'; filename="%s"\r\nContent-Type: %s' % (filename.encode(), kind.encode())
    return head + b"\r\n\r\n" + data + b"\r\n"


def request(path: str, body: bytes) -> bytes:
    return (
        b"POST %s HTTP/1.1\r\nhost: t\r\ncontent-type: multipart/form-data; boundary=%s\r\n"
        b"content-length: %d\r\n\r\n" % (path.encode(), BOUNDARY, len(body))
    ) + body


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def make_app(folder: Path) -> hp.Harpia:
    app = hp.harpia()
    upload = Upload(path=folder, options={"max_size": 100_000})
    images = Upload(path=folder, options={"allowed_extensions": [".jpg"]})

    async def show(req: Request, res: Response) -> dict[str, Any]:
        form = await req.form()
        file = req.file
        return {"form": dict(form), "file": file.filename if file else None}

    app.post("/up", upload.single, show)
    app.post("/img", images.single, show)
    return app


async def test_live_upload_saves_file_and_fields(tmp_path: Path, driver: str) -> None:
    app = make_app(tmp_path)
    body = part("user", b"ana") + part("file", JPEG, "me.jpg", "image/jpeg")
    body += b"--%s--\r\n" % BOUNDARY
    async with running(app, driver) as server, client(server.port or 0) as c:
        await c.send(request("/up", body))
        reply = await c.response(b"POST")
        assert reply.status == 200, reply.body
        assert reply.body == b'{"form":{"user":"ana"},"file":"me.jpg"}'
        assert (tmp_path / "me.jpg").read_bytes() == JPEG
        # keep-alive: the connection serves another upload
        await c.send(request("/img", body))
        reply = await c.response(b"POST")
        assert reply.body == b'{"form":{"user":"ana"},"file":"me-1.jpg"}'


async def test_live_refusals(tmp_path: Path, driver: str) -> None:
    app = make_app(tmp_path)
    big = part("file", b"x" * 1_000_000, "a.bin", "application/octet-stream")
    fake = part("file", b"MZ" + b"\0" * 100, "a.jpg", "image/jpeg") + b"--%s--\r\n" % BOUNDARY
    cases = [
        ("/up", big + b"--%s--\r\n" % BOUNDARY, 413),
        ("/img", fake, 415),
        ("/up", b"--%s\r\nnonsense\r\n\r\n" % BOUNDARY, 400),
    ]
    async with running(app, driver) as server:
        for path, body, status in cases:
            async with client(server.port or 0) as c:
                await c.send(request(path, body))
                reply = await c.response(b"POST")
                assert reply.status == status, reply.body
    assert names(tmp_path) == []


# -- 1 GiB: memory and early refusal ---------------------------------------------------

SIZE = 1 << 30
LIMIT_KB = 50 * 1024  # the allowed growth of the peak RSS
EARLY_LIMIT = 8 << 20  # bytes the server may read before refusing a 1 GiB upload (2 MB max)

SERVER = """
import sys
from harpia import harpia, Upload

app = harpia()
read = [0]  # request body bytes handed to the app (what the upload middleware consumed)

async def count(req, res, next):
    receive = req._receive

    async def counting():
        chunk = await receive()
        read[0] += len(chunk)
        return chunk

    req._receive = counting
    await next()

app.use(count)
app.get("/read", lambda req, res: {"read": read[0]})
big = Upload(path=sys.argv[1], options={"max_size": None})
small = Upload(path=sys.argv[1], options={"max_size": 2 * 1024 * 1024})

async def done(req, res):
    await req.form()
    return {"size": req.file.size if req.file else None}

app.post("/big", big.single, done, max_body_size=2 << 30)
app.post("/small", small.single, done, max_body_size=2 << 30)
app.listen(port=0, hostname="127.0.0.1", driver=sys.argv[2],
           on_listen=lambda info: print(info.port, flush=True))
"""


def big_request(path: str, marker: bytes) -> tuple[bytes, int]:
    """The head of a 1 GiB single-file upload; returns (head bytes, total body length)."""
    head = part("file", b"", "big.bin", "application/octet-stream")[:-2]  # data follows
    tail = b"\r\n--%s--\r\n" % BOUNDARY
    body_length = len(head) + SIZE + len(tail)
    start = (
        b"POST %s HTTP/1.1\r\nhost: t\r\ncontent-type: multipart/form-data; boundary=%s\r\n"
        b"content-length: %d\r\n\r\n" % (path.encode(), BOUNDARY, body_length)
    )
    return start + head, body_length


async def send_file_data(c: Client, marker: bytes, sent: list[int] | None = None) -> None:
    chunk = bytearray(1 << 20)
    for i in range(SIZE >> 20):
        chunk[:16] = marker if i % 256 == 0 else b"\0" * 16
        c.writer.write(bytes(chunk))
        await c.writer.drain()
        if sent is not None:
            sent[0] += len(chunk)
    c.writer.write(b"\r\n--%s--\r\n" % BOUNDARY)
    await c.writer.drain()


pytestmark_linux = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc/PID/status and /proc/PID/io"
)


@pytestmark_linux
@pytest.mark.slow
@pytest.mark.parametrize("driver", ["asyncio", "anyio"])
async def test_a_1gib_upload_keeps_server_memory_flat(tmp_path: Path, driver: str) -> None:
    async with asyncio.timeout(90), script_server(SERVER, str(tmp_path), driver) as (pid, port):
        c = await Client.connect(port)
        try:
            warm = part("file", b"warm", "w.txt", "text/plain") + b"--%s--\r\n" % BOUNDARY
            await c.send(request("/big", warm))
            assert (await c.response(b"POST")).status == 200
            baseline = proc_field(pid, "status", "VmHWM")
            marker = b"harpia-marker-01"
            head, _ = big_request("/big", marker)
            started = time.perf_counter()
            await c.send(head)
            await send_file_data(c, marker)
            reply = await asyncio.wait_for(c.response(b"POST"), 30)
            elapsed = time.perf_counter() - started
            assert (reply.status, reply.body) == (200, b'{"size":%d}' % SIZE)
            peak = proc_field(pid, "status", "VmHWM")
            growth = peak - baseline
            print(
                f"\n{driver}: 1 GiB upload in {elapsed:.1f} s, RSS baseline {baseline} kB,"
                f" peak {peak} kB, growth {growth} kB"
            )
            assert growth < LIMIT_KB, f"peak RSS grew by {growth} kB"
            saved = tmp_path / "big.bin"
            assert saved.stat().st_size == SIZE
            with saved.open("rb") as file:
                file.seek(256 << 20)
                assert file.read(16) == marker
        finally:
            await c.close()


@pytestmark_linux
@pytest.mark.slow
@pytest.mark.parametrize("driver", ["asyncio", "anyio"])
async def test_a_1gib_upload_over_max_size_is_refused_early(tmp_path: Path, driver: str) -> None:
    async with asyncio.timeout(60), script_server(SERVER, str(tmp_path), driver) as (_pid, port):
        c = await Client.connect(port)
        try:
            head, _ = big_request("/small", b"x" * 16)
            await c.send(head)
            sent = [0]
            sender = asyncio.ensure_future(send_file_data(c, b"x" * 16, sent))
            try:
                reply = await asyncio.wait_for(c.response(b"POST"), 20)
            finally:
                sender.cancel()
                await asyncio.gather(sender, return_exceptions=True)
            assert reply.status == 413, reply.body
            async with client(port) as other:
                await other.send(b"GET /read HTTP/1.1\r\nhost: t\r\n\r\n")
                read = int((await other.response()).body.split(b":")[1].rstrip(b"}"))
            print(
                f"\n{driver}: 413 after the app read {read / 2**20:.1f} MiB of a 1 GiB upload"
                f" (the client had sent {sent[0] / 2**20:.0f} MiB)"
            )
            assert 2 << 20 < read < EARLY_LIMIT
            assert names(tmp_path) == []
        finally:
            await c.close()
