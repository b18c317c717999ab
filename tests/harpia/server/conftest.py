"""Real-socket helpers: a server per test (always stopped), raw clients, an h11 parser."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import anyio
import h11
import pytest

from harpia._server import Server
from tests.support.processes import uvicorn

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable
    from pathlib import Path

    from harpia import Harpia

TIMEOUT = 5.0
"""No single client step in these tests may take longer than this."""


@pytest.fixture(params=["asyncio", "anyio"])
def driver(request: pytest.FixtureRequest) -> str:
    """Each real-socket test runs on both drivers."""
    name: str = request.param
    return name


@asynccontextmanager
async def running(app: Harpia, driver: str, **options: Any) -> AsyncIterator[Server]:
    """Run ``app`` on 127.0.0.1 (a free port unless ``unix`` is given), stop it afterwards."""
    if "unix" not in options:
        options.setdefault("port", 0)
    options.setdefault("hostname", "127.0.0.1")
    server = Server(app, driver=cast("Any", driver), **options)
    async with anyio.create_task_group() as group:
        with anyio.fail_after(TIMEOUT):
            await group.start(server.serve)
        try:
            yield server
        finally:
            with anyio.fail_after(TIMEOUT + 2):
                await server.shutdown()


@asynccontextmanager
async def front_end(kind: str, make_app: Callable[[], Harpia], asgi: str) -> AsyncIterator[int]:
    """``make_app()`` on a native driver (``kind`` ``"asyncio"``/``"anyio"``), or for
    ``"uvicorn"`` the same app as ``asgi`` (``module:attribute``) under uvicorn in its own
    process; yields the port."""
    if kind == "uvicorn":
        with uvicorn(asgi, log_level="critical") as port:
            yield port
    else:
        async with running(make_app(), kind) as native:
            assert native.port is not None
            yield native.port


@dataclass
class Reply:
    """One parsed response."""

    status: int
    headers: dict[bytes, bytes]
    body: bytes


class Client:
    """A raw TCP client with an h11 parser for the responses."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.h11 = h11.Connection(h11.CLIENT)

    @classmethod
    async def connect(cls, port: int, **kwargs: Any) -> Client:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port, **kwargs), TIMEOUT
        )
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def read_some(self) -> bytes:
        return await asyncio.wait_for(self.reader.read(65536), TIMEOUT)

    async def read_all(self) -> bytes:
        """Everything until the server closes."""
        return await asyncio.wait_for(self.reader.read(), TIMEOUT)

    async def closed(self) -> bool:
        """True when the server has closed (EOF or reset) with nothing more sent."""
        try:
            return await asyncio.wait_for(self.reader.read(), TIMEOUT) == b""
        except ConnectionResetError:
            return True

    async def response(self, method: bytes = b"GET") -> Reply:
        """Parse the next response (for ``method``) from the stream."""
        if self.h11.our_state is h11.IDLE:
            # the parser needs to know a request was sent; send nothing on the wire
            self.h11.send(h11.Request(method=method, target="/", headers=[("host", "t")]))
            self.h11.send(h11.EndOfMessage())
        status, headers, body = 0, {}, b""
        for _ in range(10_000):
            event = self.h11.next_event()
            if event is h11.NEED_DATA:
                self.h11.receive_data(await self.read_some())
            elif isinstance(event, h11.Response):
                status, headers = event.status_code, dict(event.headers)
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                if self.h11.our_state is h11.DONE and self.h11.their_state is h11.DONE:
                    self.h11.start_next_cycle()
                return Reply(status, headers, body)
            elif isinstance(event, h11.InformationalResponse):
                continue
            else:
                raise AssertionError(f"unexpected {event!r}")
        raise AssertionError("response never ended")

    async def close(self) -> None:
        self.writer.close()
        with suppress(ConnectionError, TimeoutError):
            await asyncio.wait_for(self.writer.wait_closed(), TIMEOUT)


@asynccontextmanager
async def client(port: int, **kwargs: Any) -> AsyncIterator[Client]:
    """A ``Client`` connected to 127.0.0.1:``port``, closed afterwards."""
    c = await Client.connect(port, **kwargs)
    try:
        yield c
    finally:
        await c.close()


def get(path: str, *headers: str) -> bytes:
    """The bytes of a GET request."""
    lines = [f"GET {path} HTTP/1.1", "host: test", *headers, "", ""]
    return "\r\n".join(lines).encode()


@dataclass
class Certificate:
    """A self-signed certificate for 127.0.0.1."""

    cert: str
    key: str

    def client_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.cert)
        context.check_hostname = False
        return context


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """Made with the ``openssl`` command (no extra Python dependency)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    folder: Path = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    return Certificate(str(cert), str(key))
