"""Cookies, CORS and static files on a live server (127.0.0.1, both drivers).

Requests are written as raw bytes, so the paths reach the server exactly as sent: no
client library normalises ``..`` or re-encodes anything.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING

import pytest

from harpia import Request, Response, harpia
from tests.support.byteranges import parse_byteranges

from .conftest import TIMEOUT, client, get, running

if TYPE_CHECKING:
    from pathlib import Path

    from harpia import Harpia

SECRET = b"TOP SECRET - never served"
ORIGIN = "https://app.example"

HOSTILE = [
    # plain and percent-encoded dot segments
    "/../secret.txt",
    "/../../secret.txt",
    "/css/../../secret.txt",
    "/./../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/secret.txt",
    "/.%2e/secret.txt",
    "/%2e./secret.txt",
    "/css/%2e%2e/%2e%2e/secret.txt",
    # encoded slashes
    "/..%2fsecret.txt",
    "/..%2Fsecret.txt",
    "/%2e%2e%2fsecret.txt",
    "/css/..%2f..%2fsecret.txt",
    "/%2fetc%2fpasswd",
    "/%2Fetc/passwd",
    # double encodings
    "/%252e%252e/secret.txt",
    "/%252e%252e%252fsecret.txt",
    "/..%252fsecret.txt",
    "/%25%32%65%25%32%65/secret.txt",
    # backslashes, raw and encoded, mixed with slashes
    "/..\\secret.txt",
    "/\\..\\secret.txt",
    "/css/..\\..\\secret.txt",
    "/..%5csecret.txt",
    "/%5c..%5csecret.txt",
    "/..%5C..%5Csecret.txt",
    "/css/..%5c/..%2fsecret.txt",
    # overlong and otherwise invalid UTF-8 for "." and "/"
    "/%c0%ae%c0%ae/secret.txt",
    "/%c0%ae%c0%ae%c0%afsecret.txt",
    "/%e0%80%ae%e0%80%ae/secret.txt",
    "/%f0%80%80%ae%f0%80%80%ae/secret.txt",
    "/%c0%2e%c0%2e/secret.txt",
    "/..%c0%afsecret.txt",
    "/..%c1%9csecret.txt",
    # NUL bytes
    "/%00../secret.txt",
    "/..%00/secret.txt",
    "/data.txt%00",
    "/data.txt%00.html",
    # absolute paths and absolute-form targets
    "//etc/passwd",
    "///secret.txt",
    "http://test/../secret.txt",
    # symlinks out of the folder
    "/outside.txt",
    "/up/secret.txt",
    "/up/up/secret.txt",
    # look-alikes from other servers
    "/..;/secret.txt",
    "/%u002e%u002e/secret.txt",
    "/%ef%bc%8e%ef%bc%8e/secret.txt",
    # dotfiles
    "/.env",
    "/%2eenv",
]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    public = tmp_path / "public"
    (public / "css").mkdir(parents=True)
    (public / "index.html").write_text("<h1>home</h1>")
    (public / "data.txt").write_bytes(b"0123456789abcdefghij")
    (public / "css" / "site.css").write_text("body{}")
    (public / ".env").write_bytes(SECRET)
    (tmp_path / "secret.txt").write_bytes(SECRET)
    (public / "outside.txt").symlink_to(tmp_path / "secret.txt")
    (public / "up").symlink_to(tmp_path)
    return public


def make_app(site: Path) -> Harpia:
    app = harpia()
    app.static(site, max_age=60)
    app.cors(origin=ORIGIN, credentials=True, max_age=600, exposed_headers="X-Id")

    def boom(req: Request, res: Response) -> None:
        raise RuntimeError("handler failure")

    def login(req: Request, res: Response) -> None:
        res.cookies.set("sid", "a b,c", http_only=True)
        res.cookies.set("theme", "dark", same_site="None")
        res.text("in")

    app.get("/api/boom", boom)
    app.get("/api/login", login)
    app.get("/api/cookies", lambda req, res: req.cookies.get_all())

    @app.post("/api/small", max_body_size=10)
    async def small(req: Request, res: Response) -> None:
        res.text(str(len(await req.body())))

    return app


async def exchange(port: int, data: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Send ``data`` (one request asking to close), return status, header list, body."""
    async with client(port) as c:
        await c.send(data)
        raw = await c.read_all()
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ")[1])
    headers = [
        (name.strip().lower(), value.strip())
        for name, _, value in (line.partition(b":") for line in lines[1:])
    ]
    return status, headers, body


def request(method: str, target: str, *headers: str) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "host: test", "connection: close", *headers, "", ""]
    return "\r\n".join(lines).encode("latin-1")


async def test_hostile_paths_are_404_on_a_live_server(driver: str, site: Path) -> None:
    assert len(HOSTILE) >= 30
    async with running(make_app(site), driver) as server:
        port = server.port or 0
        status, _, body = await exchange(port, request("GET", "/data.txt"))
        assert (status, body) == (200, b"0123456789abcdefghij")  # the mount serves
        for target in HOSTILE:
            status, _, body = await exchange(port, request("GET", target))
            assert status == 404, target
            assert SECRET not in body, target
            head_status, _, _ = await exchange(port, request("HEAD", target))
            assert head_status == 404, target


async def test_static_file_features_on_a_live_server(driver: str, site: Path) -> None:
    async with running(make_app(site), driver) as server, client(server.port or 0) as c:
        await c.send(get("/css/site.css"))
        reply = await c.response()
        assert (reply.status, reply.body) == (200, b"body{}")
        assert reply.headers[b"content-type"] == b"text/css; charset=utf-8"
        assert reply.headers[b"cache-control"] == b"public, max-age=60"
        etag = reply.headers[b"etag"].decode()

        await c.send(get("/css/site.css", f"if-none-match: {etag}"))
        reply = await c.response()
        assert (reply.status, reply.body) == (304, b"")

        await c.send(get("/", "range: bytes=4-7"))
        reply = await c.response()
        assert (reply.status, reply.body) == (206, b"home")
        assert reply.headers[b"content-range"] == b"bytes 4-7/13"

        await c.send(get("/data.txt", "range: bytes=0-1,-2"))
        reply = await c.response()
        assert reply.status == 206
        parts = parse_byteranges(reply.headers[b"content-type"].decode(), reply.body)
        assert [p.data for p in parts] == [b"01", b"ij"]

        await c.send(get("/data.txt", "range: bytes=30-"))
        reply = await c.response()
        assert (reply.status, reply.headers[b"content-range"]) == (416, b"bytes */20")

        await c.send(b"HEAD /data.txt HTTP/1.1\r\nhost: t\r\n\r\n")
        reply = await c.response(b"HEAD")
        assert (reply.status, reply.body) == (200, b"")
        assert reply.headers[b"content-length"] == b"20"


async def test_cors_on_a_live_server(driver: str, site: Path) -> None:
    async with running(make_app(site), driver) as server:
        port = server.port or 0
        status, headers, body = await exchange(
            port,
            request(
                "OPTIONS",
                "/api/anything",
                f"origin: {ORIGIN}",
                "access-control-request-method: DELETE",
                "access-control-request-headers: x-token",
            ),
        )
        found = dict(headers)
        assert (status, body) == (204, b"")
        assert found[b"access-control-allow-origin"] == ORIGIN.encode()
        assert found[b"access-control-allow-credentials"] == b"true"
        assert found[b"access-control-allow-methods"] == b"GET,HEAD,PUT,PATCH,POST,DELETE"
        assert found[b"access-control-allow-headers"] == b"x-token"
        assert found[b"access-control-max-age"] == b"600"
        assert b"Origin" in found[b"vary"]

        cases = [
            (request("GET", "/data.txt", f"origin: {ORIGIN}"), 200),
            (request("GET", "/api/boom", f"origin: {ORIGIN}"), 500),
            (request("GET", "/missing", f"origin: {ORIGIN}"), 404),
            (request("POST", "/api/small", f"origin: {ORIGIN}", "content-length: 50000"), 413),
        ]
        for data, expected in cases:
            status, headers, _ = await exchange(port, data)
            found = dict(headers)
            assert status == expected
            assert found[b"access-control-allow-origin"] == ORIGIN.encode(), expected
            assert found[b"access-control-expose-headers"] == b"X-Id"
            assert found[b"vary"] == b"Origin"

        status, headers, body = await exchange(
            port, request("GET", "/data.txt", "origin: https://evil.example")
        )
        assert status == 200
        assert body == b"0123456789abcdefghij"  # served, but without CORS headers
        assert not [name for name, _ in headers if name.startswith(b"access-control-")]


async def test_cookies_on_a_live_server(driver: str, site: Path) -> None:
    async with running(make_app(site), driver) as server:
        port = server.port or 0
        _, headers, _ = await exchange(port, request("GET", "/api/login"))
        cookies = [value for name, value in headers if name == b"set-cookie"]
        assert cookies == [
            b"sid=a%20b%2Cc; Path=/; HttpOnly",
            b"theme=dark; Path=/; Secure; SameSite=None",
        ]
        status, _, body = await exchange(
            port,
            request(
                "GET",
                "/api/cookies",
                "cookie: sid=a%20b%2Cc; broken; =x; bad name=1",
                'cookie: theme="dark"; sid=ignored',
            ),
        )
        assert (status, body) == (200, b'{"sid":"a b,c","theme":"dark"}')


async def test_live_server_streams_a_large_static_file(driver: str, site: Path) -> None:
    big = os.urandom(3 * 1024 * 1024 + 7)
    (site / "big.bin").write_bytes(big)
    async with running(make_app(site), driver) as server, client(server.port or 0) as c:
        await c.send(get("/big.bin"))
        reply = await asyncio.wait_for(c.response(), TIMEOUT * 2)
        assert reply.status == 200
        assert reply.body == big
        await c.send(get("/big.bin", "range: bytes=1000000-2999999"))
        reply = await c.response()
        assert (reply.status, reply.body) == (206, big[1_000_000:3_000_000])
