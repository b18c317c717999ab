"""The showcase app passes one smoke test under the native server and under uvicorn."""

from __future__ import annotations

import http.client
import json
import sys
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest

from tests.support.processes import serving
from tests.support.redis_server import free_port

if TYPE_CHECKING:
    from collections.abc import Iterator

TARGET = "examples.showcase.app:app"
COMMANDS = {
    "native": [sys.executable, "-m", "harpia", "run", TARGET, "--host", "127.0.0.1"],
    "uvicorn": [sys.executable, "-m", "uvicorn", TARGET, "--host", "127.0.0.1",
                "--lifespan", "on", "--log-level", "warning"],
}  # fmt: skip


@pytest.fixture(params=sorted(COMMANDS))
def server(request: pytest.FixtureRequest) -> Iterator[int]:
    port = free_port()
    with serving([*COMMANDS[request.param], "--port", str(port)], port):
        yield port


def call(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def as_json(body: bytes) -> Any:
    return json.loads(body)


def test_showcase_smoke(server: int) -> None:
    status, headers, body = call(server, "GET", "/health")
    assert (status, as_json(body)) == (200, {"status": "ok"})
    assert headers["x-request-id"].startswith("req-")

    status, _, body = call(server, "GET", "/api/books")
    assert status == 200
    assert {b["author"] for b in as_json(body)} == {"Machado de Assis", "Guimarães Rosa"}

    new = json.dumps({"title": "Vidas Secas", "author": "Graciliano Ramos"}).encode()
    status, headers, body = call(
        server, "POST", "/api/books", new, {"content-type": "application/json"}
    )
    assert status == 201
    book = as_json(body)
    assert headers["location"] == f"/api/books/{book['id']}"
    status, _, body = call(server, "GET", f"/api/books/{book['id']}")
    assert (status, as_json(body)["title"]) == (200, "Vidas Secas")

    status, _, _ = call(server, "POST", "/api/books", b"title", {"content-type": "text/plain"})
    assert status == 415
    status, _, body = call(server, "GET", "/api/books/999")
    assert (status, as_json(body)["status"]) == (404, 404)

    form = urlencode({"_method": "DELETE"}).encode()
    status, headers, _ = call(
        server,
        "POST",
        f"/books/{book['id']}",
        form,
        {"content-type": "application/x-www-form-urlencoded", "accept": "text/html"},
    )
    assert (status, headers["location"]) == (303, "/")
    assert call(server, "GET", f"/api/books/{book['id']}")[0] == 404

    status, _, body = call(server, "GET", "/boom")
    assert (status, as_json(body)) == (500, {"error": "Internal Server Error", "status": 500})
    status, _, body = call(server, "GET", "/", headers={"accept": "text/html"})
    assert status == 200
    assert b"<h1>Books</h1>" in body
    status, headers, body = call(server, "HEAD", "/health")
    assert (status, body, headers["content-length"]) == (200, b"", "15")
    status, headers, _ = call(server, "PATCH", "/health")
    assert (status, headers["allow"]) == (405, "GET, HEAD")
