"""Property: any cookie name and value round-trips through a real socket, on both drivers.

``res.cookies.set(name, value)`` percent-encodes both (as the original's
``encodeURIComponent``); the browser — here a raw client — sends the pair back, and
``req.cookies`` decodes both: whatever the string (``;``, ``,``, quotes, CR/LF, NUL,
``%``, non-ASCII), it reads back identical, and the response never holds a header that
was split in two.
"""

from __future__ import annotations

import json
import socket
import threading
from typing import TYPE_CHECKING, Any, cast

import anyio
import h11
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harpia import Request, Response, harpia
from harpia._server import Server

if TYPE_CHECKING:
    from collections.abc import Iterator

    from harpia import Harpia

TIMEOUT = 5.0
NASTY = ';,"\r\n\x00%= \t\\\x7f()é日本\U0001f600'


def make_app() -> Harpia:
    app = harpia()

    @app.post("/set")
    async def set_cookie(req: Request, res: Response) -> str:
        pair = await req.json()
        res.cookies.set(pair["name"], pair["value"])
        return "set"

    @app.get("/get")
    def get_cookies(req: Request, res: Response) -> dict[str, Any]:
        return {"all": req.cookies.get_all()}

    return app


class ThreadServer:
    """The app on a native server in a thread of its own (hypothesis tests are sync)."""

    def __init__(self, driver: str) -> None:
        self.driver = driver
        self.port = 0
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=anyio.run, args=(self._main,), daemon=True)

    async def _main(self) -> None:
        server = Server(make_app(), driver=cast("Any", self.driver), port=0, hostname="127.0.0.1")
        async with anyio.create_task_group() as group:
            self.port = await group.start(server.serve)
            self._ready.set()
            for _ in range(int(600 / 0.02)):  # at most 10 minutes
                if self._stop.is_set():
                    break
                await anyio.sleep(0.02)
            with anyio.fail_after(TIMEOUT):
                await server.shutdown()

    def __enter__(self) -> ThreadServer:
        self._thread.start()
        assert self._ready.wait(TIMEOUT), "the server did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(TIMEOUT + 2)


@pytest.fixture(scope="module", params=["asyncio", "anyio"])
def live(request: pytest.FixtureRequest) -> Iterator[ThreadServer]:
    with ThreadServer(request.param) as server:
        yield server


def exchange(port: int, data: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Send one request (``Connection: close``); parse the response with h11."""
    parser = h11.Connection(h11.CLIENT)
    parser.send(h11.Request(method="GET", target="/", headers=[("host", "t")]))
    parser.send(h11.EndOfMessage())
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(data)
        status, headers, body = 0, [], b""
        for _ in range(1000):
            event = parser.next_event()
            if event is h11.NEED_DATA:
                parser.receive_data(sock.recv(65536))
            elif isinstance(event, h11.Response):
                status, headers = event.status_code, list(event.headers)
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                return status, headers, body
        raise AssertionError("the response never ended")


# Any text: lone surrogates excluded — they have no UTF-8 form, so no HTTP message can
# carry them (res.cookies.set refuses one with a ValueError, as encodeURIComponent throws).
CHARACTERS = st.one_of(st.sampled_from(NASTY), st.characters(codec="utf-8"))
names = st.text(alphabet=CHARACTERS, min_size=1, max_size=16).filter(
    lambda name: "(" not in name and ")" not in name
)
values = st.text(alphabet=CHARACTERS, max_size=200)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=names, value=values)
def test_any_name_and_value_round_trip_and_never_split_a_header(
    live: ThreadServer, name: str, value: str
) -> None:
    body = json.dumps({"name": name, "value": value}).encode()
    head = (
        b"POST /set HTTP/1.1\r\nhost: t\r\nconnection: close\r\n"
        b"content-type: application/json\r\ncontent-length: %d\r\n\r\n" % len(body)
    )
    status, headers, _ = exchange(live.port, head + body)
    assert status == 200
    names_sent = sorted(header for header, _ in headers)
    assert names_sent == [b"connection", b"content-length", b"content-type", b"date", b"set-cookie"]
    (cookie,) = [v for header, v in headers if header == b"set-cookie"]
    assert cookie.isascii()
    assert all(32 < byte < 127 or byte == 32 for byte in cookie)  # printable, no CR/LF/NUL
    pair = cookie.split(b"; ")[0]
    assert cookie == pair + b"; Path=/"
    request = b"GET /get HTTP/1.1\r\nhost: t\r\nconnection: close\r\ncookie: " + pair + b"\r\n\r\n"
    status, _, answer = exchange(live.port, request)
    assert status == 200
    assert json.loads(answer) == {"all": {name: value}}
