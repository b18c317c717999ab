"""The showcase app over real sockets, under the native server and under uvicorn: every
piece it shows answers as its README says (the browser flow is in tests/showcase)."""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest
import websockets
from websockets.typing import Origin

from tests.showcase.serving import ORIGIN, TOKEN, png, showcase

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

TIMEOUT = 10.0


class Client:
    """One visitor: HTTP/1.1 requests with a cookie jar, redirects not followed."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.port = int(base.rsplit(":", 1)[1])
        self.cookies: dict[str, str] = {}

    def call(
        self, method: str, path: str, body: bytes | None = None, **headers: str
    ) -> tuple[int, dict[str, str], bytes]:
        sent = {k.replace("_", "-"): v for k, v in headers.items()}
        if self.cookies:
            sent["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            for line in response.headers.get_all("set-cookie") or []:
                name, _, rest = line.partition("=")
                value = rest.split(";", 1)[0]
                if "max-age=0" in line.lower():
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
            got = {k.lower(): v for k, v in response.getheaders()}
            return response.status, got, response.read()
        finally:
            connection.close()

    def page(self, path: str) -> str:
        status, _, body = self.call("GET", path, accept="text/html")
        assert status == 200, (path, status, body[:300])
        return body.decode()

    def form(self, path: str, fields: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        body = urlencode(fields).encode()
        kind = "application/x-www-form-urlencoded"
        return self.call("POST", path, body, content_type=kind, accept="text/html")

    def upload(
        self, fields: dict[str, str], name: str, data: bytes, kind: str
    ) -> tuple[int, dict[str, str], bytes]:
        """POST /books as the page's form does: _csrf first, then the fields, the cover."""
        boundary = secrets.token_hex(8)
        parts = [
            f'--{boundary}\r\ncontent-disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        ]
        parts.append(
            f'--{boundary}\r\ncontent-disposition: form-data; name="cover"; '
            f'filename="{name}"\r\ncontent-type: {kind}\r\n\r\n'.encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        kind = f"multipart/form-data; boundary={boundary}"
        return self.call("POST", "/books", b"".join(parts), content_type=kind, accept="text/html")


def csrf_of(page: str) -> str:
    found = re.search(r'name="_csrf" value="([^"]+)"', page)
    assert found, "the page has no form with a _csrf field"
    return found.group(1)


def flash_of(page: str) -> str:
    found = re.search(r'id="flash">([^<]*)<', page)
    return found.group(1) if found else ""


def as_json(body: bytes) -> Any:
    return json.loads(body)


@pytest.fixture(params=["native", "uvicorn"])
def base(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with showcase(tmp_path, uvicorn=request.param == "uvicorn") as url:
        yield url


def test_the_showcase_over_http(base: str, tmp_path: Path) -> None:
    web = Client(base)
    status, _, body = web.call("GET", "/health")
    assert (status, as_json(body)) == (200, {"status": "ok"})

    # The page: templates (layout + components), seeded books, shield with the nonce that
    # the one inline script carries.
    status, headers, body = web.call("GET", "/", accept="text/html")
    page = body.decode()
    assert status == 200
    assert "<h1>A shared bookshelf</h1>" in page
    assert {"Dom Casmurro", "Grande Sertão: Veredas"} <= set(re.findall(r'"title">([^<]+)', page))
    (nonce,) = re.findall(r'<script nonce="([^"]+)">', page)
    assert f"'nonce-{nonce}'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "SAMEORIGIN"
    assert "x-powered-by" not in headers
    assert page.count("<script") == 1

    # Static files: caching headers, then a 304.
    status, headers, _ = web.call("GET", "/static/css/site.css")
    assert (status, headers["cache-control"]) == (200, "public, max-age=3600")
    status, _, body = web.call("GET", "/static/css/site.css", if_none_match=headers["etag"])
    assert (status, body) == (304, b"")

    # The API: cached list, 200 then 304 with the ETag; CORS for the one origin only.
    status, headers, body = web.call("GET", "/api/books", origin=ORIGIN)
    assert status == 200
    assert len(as_json(body)) == 3
    assert headers["access-control-allow-origin"] == ORIGIN
    assert headers["access-control-allow-credentials"] == "true"
    etag = headers["etag"]
    status, _, body = web.call("GET", "/api/books", if_none_match=etag)
    assert (status, body) == (304, b"")
    _, headers, _ = web.call("GET", "/api/books", origin="https://evil.example")
    assert "access-control-allow-origin" not in headers
    status, headers, _ = web.call(
        "OPTIONS",
        "/api/books",
        origin=ORIGIN,
        access_control_request_method="POST",
        access_control_request_headers="content-type,x-csrf-token",
    )
    assert status == 204
    assert "x-csrf-token" in headers["access-control-allow-headers"].lower()

    # Writes need a CSRF token, then a signed-in user.
    book = json.dumps({"title": "Vidas Secas", "author": "Graciliano Ramos"}).encode()
    status, _, body = web.call("POST", "/api/books", book, content_type="application/json")
    assert (status, as_json(body)["status"]) == (403, 403)
    token = as_json(web.call("GET", "/api/me")[2])["csrf_token"]
    status, _, _ = web.call(
        "POST", "/api/books", book, content_type="application/json", x_csrf_token=token
    )
    assert status == 401

    # Sign in through the form: the session cookie, a flash message.
    status, headers, _ = web.form("/signin", {"_csrf": csrf_of(web.page("/signin")), "name": "ana"})
    assert (status, headers["location"]) == (303, "/")
    assert "session_id" in web.cookies
    page = web.page("/")
    assert flash_of(page) == "Welcome, ana!"
    assert "Signed in as <b>ana</b>" in page
    assert flash_of(web.page("/")) == ""  # shown once

    # The API with the session's token: created, the cached list is fresh again.
    me = as_json(web.call("GET", "/api/me")[2])
    assert me["user"] == "ana"
    status, headers, body = web.call(
        "POST", "/api/books", book, content_type="application/json", x_csrf_token=me["csrf_token"]
    )
    assert status == 201
    created = as_json(body)
    assert headers["location"] == f"/api/books/{created['id']}"
    status, headers, body = web.call("GET", "/api/books", if_none_match=etag)
    assert (status, len(as_json(body))) == (200, 4)
    assert headers["etag"] != etag

    # Covers: type, signature and size checked; each refusal is a flash message.
    form = {"_csrf": csrf_of(web.page("/")), "title": "Angústia", "author": "Graciliano Ramos"}
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    refusals = [
        ("a.svg", svg, "image/svg+xml", "not allowed"),
        ("a.png", b"GIF89a" + bytes(64), "image/png", "not PNG"),
        ("big.png", png() + bytes(2 * 1024 * 1024), "image/png", "larger than"),
    ]
    for name, data, kind, message in refusals:
        status, headers, _ = web.upload(form, name, data, kind)
        assert (status, headers["location"]) == (303, "/"), name
        assert message in flash_of(web.page("/")), name
    status, _, _ = web.upload({**form, "title": " "}, "cover.png", png(), "image/png")
    assert (status, flash_of(web.page("/"))) == (303, "a book needs a title")
    assert not list((tmp_path / "covers").iterdir())  # nothing left behind

    status, _, _ = web.upload(form, "cover.png", png(), "image/png")
    assert status == 303
    page = web.page("/")
    assert flash_of(page) == "Added “Angústia”."
    (cover,) = re.findall(r'src="(/covers/[0-9a-f]{16}\.png)"', page)
    status, headers, body = web.call("GET", cover)
    assert (status, headers["content-type"], body) == (200, "image/png", png())
    assert headers["cache-control"] == "public, max-age=31536000"

    # Delete through the form (method override); without the token it is refused.
    (book_id,) = re.findall(r'id="book-(\d+)">\s*<img class="cover" src="' + cover, page)
    status, _, _ = web.form(f"/books/{book_id}", {"_method": "DELETE"})
    assert status == 403
    status, _, _ = web.form(f"/books/{book_id}", {"_method": "DELETE", "_csrf": form["_csrf"]})
    assert status == 303
    assert flash_of(web.page("/")) == "Deleted “Angústia”."
    assert web.call("GET", cover)[0] == 404
    assert web.call("GET", f"/api/books/{book_id}")[0] == 404

    # Sign out: the session is replaced, the user is gone.
    old = web.cookies["session_id"]
    status, _, _ = web.form("/signout", {"_csrf": form["_csrf"]})
    assert status == 303
    assert web.cookies["session_id"] != old
    page = web.page("/")
    assert flash_of(page) == "Goodbye, ana."
    assert 'href="/signin"' in page

    # The dashboard needs the token, and shows the requests made.
    assert web.call("GET", "/_telemetry")[0] == 401
    status, _, body = web.call("GET", f"/_telemetry?token={TOKEN}")
    assert status == 200
    assert b"/api/books" in body
    assert b"/signin" in body


async def test_the_live_feed_over_a_websocket(base: str) -> None:
    web = Client(base)
    web.form("/signin", {"_csrf": csrf_of(web.page("/signin")), "name": "bo"})
    token = as_json(web.call("GET", "/api/me")[2])["csrf_token"]
    url = base.replace("http://", "ws://") + "/live"
    origin = Origin(base)  # as the page's browser sends it: same origin
    async with websockets.connect(url, origin=origin, open_timeout=TIMEOUT) as ws:
        hello = json.loads(await asyncio.wait_for(ws.recv(decode=True), TIMEOUT))
        assert hello["type"] == "hello"
        assert isinstance(hello["worker"], int)
        book = json.dumps({"title": "Sagarana"}).encode()
        status, _, body = web.call(
            "POST", "/api/books", book, content_type="application/json", x_csrf_token=token
        )
        assert status == 201
        event = json.loads(await asyncio.wait_for(ws.recv(decode=True), TIMEOUT))
        assert event == {"type": "added", "book": as_json(body)}
        assert event["book"]["author"] == "unknown"
