"""The server of the I/O hostile-client tests, in its own process, and raw-socket helpers.

The server runs in a child process (``tests.support.processes.script_server``) so that
its RSS and open file descriptors (``/proc/PID``) measure it alone, and so that a test can
lower its ``RLIMIT_NOFILE`` or send it SIGTERM. Options go to ``app.listen`` as JSON;
``nofile``, ``log`` and ``static`` are for the script itself.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import textwrap
import time
from contextlib import asynccontextmanager, suppress
from typing import TYPE_CHECKING, Any

from tests.support.processes import START_TIMEOUT

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

TIMEOUT = 5.0
"""No single client step may take longer than this."""

REQUEST_BIG = b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n"
SLOW_BODY = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n"

SERVER = """
import json, logging, resource, sys
from harpia import harpia

options = json.loads(sys.argv[1])
nofile = options.pop("nofile", None)
log = options.pop("log", None)
folder = options.pop("static", None)
logging.basicConfig(
    filename=log, level=logging.INFO, format="%(levelname)s %(name)s %(message)s"
)
app = harpia()
BIG = b"x" * (1 << 20)
streams_closed = []

@app.get("/hello")
def hello(req, res):
    res.text("hello")

@app.get("/big")
def big(req, res):
    res.send(BIG)

@app.post("/echo")
async def echo(req, res):
    res.send(await req.body())

@app.get("/stream")
def stream(req, res):
    async def chunks():
        block = b"y" * (1 << 20)
        try:
            for _ in range(128):
                yield block
        finally:
            streams_closed.append(1)
    res.stream(chunks())

@app.get("/streams-closed")
def closed(req, res):
    res.text(str(len(streams_closed)))

if folder:
    app.static(folder)
if nofile:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, hard))
app.listen(
    port=0, hostname="127.0.0.1", on_listen=lambda info: print(info.port, flush=True), **options
)
"""


def options(driver: str, **extra: Any) -> str:
    """The script's argument: ``app.listen`` options (and ``nofile``/``log``/``static``)."""
    return json.dumps({"driver": driver, **extra})


@asynccontextmanager
async def server_process(
    script: str, *args: str
) -> AsyncIterator[tuple[asyncio.subprocess.Process, int]]:
    """Like ``script_server``, but yields the process (a test may stop it itself)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", textwrap.dedent(script), *args, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        port = int(await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT))
        yield process, port
    finally:
        if process.returncode is None:
            with suppress(ProcessLookupError):
                process.kill()
        await process.wait()


def fds(pid: int) -> list[str]:
    """What the open file descriptors of ``pid`` point at (``socket:[…]``, paths …)."""
    targets = []
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            targets.append(os.readlink(f"/proc/{pid}/fd/{name}"))
        except OSError:  # closed meanwhile
            continue
    return targets


def sockets(pid: int) -> int:
    """How many sockets ``pid`` holds open (listening socket and event-loop pipes included)."""
    return sum(target.startswith("socket:") for target in fds(pid))


async def wait_until(predicate: Any, within: float, step: float = 0.05) -> float:
    """Poll ``predicate()`` until true; the seconds it took (fails after ``within`` s)."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > within:
            raise AssertionError(f"not true within {within} s: {predicate}")
        await asyncio.sleep(step)
    return time.monotonic() - start


async def connect(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), TIMEOUT)


async def get(port: int, path: str = "/hello") -> tuple[int, bytes, float]:
    """One ``GET`` on a new connection (``Connection: close``): status, body, seconds."""
    start = time.monotonic()
    reader, writer = await connect(port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = await asyncio.wait_for(reader.read(), TIMEOUT)
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body, time.monotonic() - start


async def read_to_end(reader: asyncio.StreamReader, within: float) -> tuple[bytes, float]:
    """Everything until EOF (or a reset): the bytes and when the end came (monotonic)."""
    data = b""
    try:
        async with asyncio.timeout(within):
            while chunk := await reader.read(65536):
                data += chunk
    except ConnectionResetError:
        pass
    return data, time.monotonic()
