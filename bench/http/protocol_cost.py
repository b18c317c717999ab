"""Per-request cost of a server's protocol layer, without sockets: harpia against bare h11.

Each server's asyncio ``Protocol`` gets keep-alive GET requests through an in-memory
transport (``data_received`` in, ``write`` counted), so what is measured is the Python
work per request — h11, the driver and, for harpia, the whole app pipeline — and no
kernel time. Two modes:

- timing (default): µs per request, best of ``--repeat`` runs of ``-n`` requests;
- ``--callgrind``: instructions per request under ``valgrind --tool=callgrind``, from two
  runs (0 and ``-n`` requests, so start-up cancels out). Instruction counts do not move
  with the machine's load, which makes them the figure to compare changes with.

    .venv/bin/python bench/http/protocol_cost.py [-n 20000]
    .venv/bin/python bench/http/protocol_cost.py --callgrind [-n 1000]   # needs valgrind
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE / "peers")]

SERVERS = ("bare", "harpia")
ROUTES = ("plaintext", "json")


class MemoryTransport(asyncio.Transport):
    """Counts what is written; never pauses, never closes by itself."""

    def __init__(self) -> None:
        super().__init__()
        self.written = 0
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += len(data)

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 40000) if name in ("peername", "sockname") else default

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def can_write_eof(self) -> bool:
        return True

    def get_write_buffer_size(self) -> int:
        return 0  # everything written is gone at once


def factory(server: str) -> Any:
    """A callable returning a fresh protocol of ``server`` (inside the running loop)."""
    if server == "bare":  # the benchmark's own scripts, found through sys.path above
        return importlib.import_module("bare_asyncio_h11").H11Protocol
    harpia_app: Any = importlib.import_module("harpia_app")

    from harpia._server._asyncio_driver import AsyncioDriver
    from harpia._server._config import Config

    driver = AsyncioDriver(harpia_app.build_app(), Config(port=0, development=False), None)
    driver.loop = asyncio.get_running_loop()
    return driver._protocol


async def run(make: Any, route: str, requests: int) -> float:
    """Seconds per request for ``requests`` keep-alive requests on one connection."""
    data = f"GET /{route} HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n".encode()
    protocol = make()
    transport = MemoryTransport()
    protocol.connection_made(transport)
    start = time.perf_counter()
    for _ in range(requests):
        protocol.data_received(data)  # the benchmark's handlers never wait: done here
    elapsed = time.perf_counter() - start
    assert transport.written > 0 or not requests
    return elapsed / max(requests, 1)


async def timing(requests: int, repeat: int) -> None:
    for route in ROUTES:
        best = {}
        for server in SERVERS:
            make = factory(server)
            await run(make, route, 200)  # warm up
            best[server] = min([await run(make, route, requests) for _ in range(repeat)])
        print(
            f"/{route:<10} bare {best['bare'] * 1e6:6.1f} µs   harpia "
            f"{best['harpia'] * 1e6:6.1f} µs   ratio {best['bare'] / best['harpia']:.2f}"
        )


def instructions(server: str, route: str, requests: int) -> int:
    """Instructions of one run of this script under callgrind (``--one``)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable,
             __file__, "--one", server, route, str(requests)],
            check=True, capture_output=True, timeout=600,
        )  # fmt: skip
        match = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.MULTILINE)
        assert match is not None, "no total in callgrind's output"
        return int(match.group(1))


def callgrind(requests: int) -> None:
    for route in ROUTES:
        per = {}
        for server in SERVERS:
            total = instructions(server, route, requests) - instructions(server, route, 0)
            per[server] = total / requests
        bare, harpia = per["bare"] / 1e3, per["harpia"] / 1e3
        print(
            f"/{route:<10} bare {bare:6.0f}k Ir   harpia {harpia:6.0f}k Ir"
            f"   ratio {bare / harpia:.2f}"
        )


async def one(server: str, route: str, requests: int) -> None:
    make = factory(server)
    await run(make, route, 50)
    await run(make, route, requests)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=None, help="requests per run")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--callgrind", action="store_true")
    parser.add_argument("--one", nargs=3, metavar=("SERVER", "ROUTE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        server, route, count = args.one
        asyncio.run(one(server, route, int(count)))
    elif args.callgrind:
        callgrind(args.n or 1000)
    else:
        asyncio.run(timing(args.n or 20000, args.repeat))


if __name__ == "__main__":
    main()
