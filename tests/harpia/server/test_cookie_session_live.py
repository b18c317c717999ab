"""Signed-cookie sessions and flash messages through real sockets (both drivers) and ASGI."""

from __future__ import annotations

from typing import Any

from harpia import CookieSession
from tests.harpia.test_cookie_session import NEW, build

from .conftest import client, running


def request(method: str, path: str, cookie: str | None = None, body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "host: test"]
    if cookie:
        lines.append(f"cookie: {cookie}")
    if body:
        lines += ["content-type: application/json", f"content-length: {len(body)}"]
    return ("\r\n".join([*lines, "", ""])).encode() + body


def cookie_of(headers: dict[bytes, bytes], current: str | None) -> str | None:
    header = headers.get(b"set-cookie")
    if header is None:
        return current
    pair = header.decode().split(";")[0]
    return None if pair == "session=" else pair


async def test_flash_and_session_over_a_real_socket(driver: str) -> None:
    app = build(CookieSession(NEW))
    async with running(app, driver) as server:
        assert server.port is not None
        async with client(server.port) as c:
            body = b'[{"message": "Saved."}, {"message": "Careful", "category": "warning"}]'
            await c.send(request("POST", "/flash", body=body))
            reply = await c.response(b"POST")
            assert reply.status == 204
            cookie = cookie_of(reply.headers, None)
            assert cookie is not None
            assert cookie.startswith("session=")
            await c.send(request("GET", "/flashes", cookie))
            reply = await c.response()
            assert reply.body == b'[["info","Saved."],["warning","Careful"]]'
            cookie = cookie_of(reply.headers, cookie)
            assert cookie is None  # read once: the session is empty, its cookie deleted
            await c.send(request("GET", "/flashes", cookie))
            assert (await c.response()).body == b"[]"


async def test_flash_and_session_over_asgi() -> None:
    app = build(CookieSession(NEW))

    async def call(method: str, path: str, cookie: str | None, body: bytes) -> dict[str, Any]:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        headers = [(b"host", b"t"), (b"content-type", b"application/json")]
        if cookie:
            headers.append((b"cookie", cookie.encode()))
        scope = {"type": "http", "method": method, "path": path, "headers": headers}
        await app(scope, receive, send)
        return {
            "headers": dict(sent[0]["headers"]),
            "body": b"".join(m.get("body", b"") for m in sent[1:]),
        }

    first = await call("POST", "/put", None, b'{"user": "ann"}')
    cookie = cookie_of(first["headers"], None)
    assert cookie is not None
    second = await call("GET", "/get", cookie, b"")
    assert second["body"].startswith(b'{"data":{"user":"ann"},"id":"')
