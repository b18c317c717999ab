"""Cookies, CORS and static files through the ASGI adapter (the same pipeline)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harpia import Request, Response, harpia

if TYPE_CHECKING:
    from pathlib import Path


async def call(
    app: Any, method: str, raw_path: bytes, headers: list[tuple[bytes, bytes]]
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": "/ignored",  # raw_path wins: the adapter must not normalise the path
        "raw_path": raw_path,
        "query_string": b"",
        "headers": headers,
    }
    await app(scope, receive, send)
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], list(start["headers"]), body


async def test_cors_static_and_cookies_over_asgi(tmp_path: Path) -> None:
    public = tmp_path / "public"
    public.mkdir()
    (public / "a.txt").write_text("0123456789")
    (tmp_path / "secret.txt").write_text("SECRET")
    app = harpia()
    app.static(public)
    app.cors(origin="https://a.test")

    def login(req: Request, res: Response) -> None:
        res.cookies.set("a", "1")
        res.cookies.set("b", "x y")
        res.text(req.cookies.get("c") or "")

    app.get("/login", login)
    origin = (b"origin", b"https://a.test")

    status, headers, body = await call(
        app, "OPTIONS", b"/a.txt", [origin, (b"access-control-request-method", b"GET")]
    )
    assert (status, body) == (204, b"")
    assert (b"access-control-allow-origin", b"https://a.test") in headers

    status, headers, body = await call(app, "GET", b"/a.txt", [origin, (b"range", b"bytes=2-4")])
    assert (status, body) == (206, b"234")
    assert (b"access-control-allow-origin", b"https://a.test") in headers
    assert (b"vary", b"Origin") in headers

    status, _, body = await call(app, "GET", b"/%2e%2e/secret.txt", [origin])
    assert status == 404
    assert b"SECRET" not in body

    status, headers, body = await call(app, "GET", b"/login", [(b"cookie", b"c=hi%21; bad")])
    assert (status, body) == (200, b"hi!")
    cookies = [value for name, value in headers if name == b"set-cookie"]
    assert cookies == [b"a=1; Path=/", b"b=x%20y; Path=/"]
