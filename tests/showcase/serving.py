"""The showcase app served by ``harpia run`` in a child process, for the showcase tests."""

from __future__ import annotations

import struct
import sys
import zlib
from contextlib import contextmanager
from typing import TYPE_CHECKING

from tests.support.processes import serving
from tests.support.redis_server import free_port

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

TARGET = "examples.showcase.app:app"
TOKEN = "showcase-test-token"  # the telemetry dashboard's
ORIGIN = "http://front.example:5173"  # the one origin CORS allows on /api


@contextmanager
def showcase(
    tmp: Path, *, workers: int = 1, redis_url: str | None = None, uvicorn: bool = False
) -> Iterator[str]:
    """Serve the showcase (covers under ``tmp``); yields its base URL."""
    port = free_port()
    if uvicorn:
        command = [sys.executable, "-m", "uvicorn", TARGET, "--lifespan", "on",
                   "--log-level", "warning"]  # fmt: skip
    else:
        command = [sys.executable, "-m", "harpia", "run", TARGET, "--workers", str(workers)]
    env = {
        "SHOWCASE_UPLOADS": str(tmp / "covers"),
        "SHOWCASE_TOKEN": TOKEN,
        "SHOWCASE_API_ORIGIN": ORIGIN,
        "REDIS_URL": redis_url or "",  # empty: the in-process MemoryStore
    }
    with serving(
        [*command, "--host", "127.0.0.1", "--port", str(port)], port, env=env, stop_timeout=15
    ):
        yield f"http://127.0.0.1:{port}"


def png(width: int = 120, height: int = 180) -> bytes:
    """A real PNG: a teal-to-amber gradient with a light band, like a book cover."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        band = height * 0.35 < y < height * 0.5
        for x in range(width):
            t = (x + y) / (width + height)
            rgb = (240, 236, 220) if band else (int(15 + 200 * t), int(118 + 40 * t), 110)
            rows.extend(rgb)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows)))
        + chunk(b"IEND", b"")
    )
