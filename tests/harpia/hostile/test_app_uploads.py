"""Item 11: uploads on the wire, on both drivers.

A file being received sits under a hidden partial name (``.photo.bin.partial-xxxx``) and
gets its final name only once complete; a client that leaves half-way leaves nothing
behind. A multipart preamble (text before the first boundary, RFC 2046) is accepted.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING

import pytest

from harpia import Harpia, Request, Response, Upload, harpia
from tests.harpia.server.conftest import client, running

if TYPE_CHECKING:
    from pathlib import Path

FILE = os.urandom(700_000)
HEAD = (
    b'--B\r\ncontent-disposition: form-data; name="file"; filename="photo.bin"\r\n'
    b"content-type: application/octet-stream\r\n\r\n"
)
TAIL = b"\r\n--B--\r\n"


def make_app(folder: Path) -> Harpia:
    app = harpia()
    upload = Upload(path=folder, options={"max_size": 2_000_000})

    def saved(req: Request, res: Response) -> dict[str, object]:
        assert req.file is not None
        return {"name": req.file.filename, "size": req.file.size}

    app.post("/upload", upload.single, saved)
    return app


def request_head(length: int) -> bytes:
    return (
        b"POST /upload HTTP/1.1\r\nhost: x\r\n"
        b"content-type: multipart/form-data; boundary=B\r\ncontent-length: %d\r\n\r\n" % length
    )


def names_in(folder: Path) -> list[str]:
    return sorted(os.listdir(folder)) if folder.exists() else []


def size_of(path: Path) -> int:
    return path.stat().st_size


async def listing(folder: Path, wanted: int) -> list[str]:
    """The folder's names once there are ``wanted`` of them (or after 5 s)."""
    names: list[str] = []
    for _ in range(100):  # bounded: 5 s
        names = names_in(folder)
        if len(names) == wanted:
            break
        await asyncio.sleep(0.05)
    return names


@pytest.mark.parametrize("driver", ["asyncio", "anyio"])
async def test_a_file_gets_its_name_only_when_complete(driver: str, tmp_path: Path) -> None:
    folder = tmp_path / "up"
    preamble = b"This is a preamble, to be ignored.\r\n"
    body = preamble + HEAD + FILE + TAIL
    async with running(make_app(folder), driver) as server:
        assert server.port is not None
        async with client(server.port) as c:
            await c.send(request_head(len(body)) + body[: len(preamble) + len(HEAD) + 400_000])
            names = await listing(folder, 1)
            assert len(names) == 1
            assert names[0].startswith(".photo.bin.partial-")
            assert size_of(folder / names[0]) > 0  # being written
            await c.send(body[len(preamble) + len(HEAD) + 400_000 :])
            reply = await c.response()
            assert reply.status == 200, reply.body
        assert sorted(os.listdir(folder)) == ["photo.bin"]
        assert (folder / "photo.bin").read_bytes() == FILE

        async with client(server.port) as c:  # the same name again: numbered, never replaced
            await c.send(request_head(len(body)) + body)
            assert (await c.response()).status == 200
        assert sorted(os.listdir(folder)) == ["photo-1.bin", "photo.bin"]


@pytest.mark.parametrize("driver", ["asyncio", "anyio"])
async def test_a_client_leaving_half_way_leaves_nothing(driver: str, tmp_path: Path) -> None:
    folder = tmp_path / "up"
    body = HEAD + FILE + TAIL
    async with running(make_app(folder), driver) as server:
        assert server.port is not None
        async with client(server.port) as c:
            await c.send(request_head(len(body)) + body[: len(HEAD) + 400_000])
            names = await listing(folder, 1)
            assert names[0].startswith(".photo.bin.partial-")
        assert await listing(folder, 0) == []  # the partial file is removed
