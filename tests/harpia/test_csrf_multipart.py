"""CSRF on multipart forms: ``_csrf`` found by a bounded peek, the body left whole.

Through the TestClient and the ASGI adapter (the live server is in
``server/test_csrf_multipart_live.py``).
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

import pytest

from harpia import CSRF, TestClient
from tests.harpia.csrf_upload_app import (
    ADVICE,
    CONTENT_TYPE,
    DATA,
    DATA_SHA,
    make_app,
    multipart,
    part,
    start,
)
from tests.support.asgi import Channel

if TYPE_CHECKING:
    from pathlib import Path

    from harpia import Harpia


async def test_token_first_then_a_file_is_accepted_and_saved_exactly(tmp_path: Path) -> None:
    client = TestClient(make_app(tmp_path))
    _, token = await start(client)
    body = multipart(part("_csrf", token), part("note", "hi"), part("file", DATA, "data.bin"))
    res = await client.post("/up").send(body, CONTENT_TYPE)
    assert res.status == 200, res.text()
    assert res.json() == {
        "form": {"_csrf": [token], "note": ["hi"]},
        "sha256": DATA_SHA,
        "size": len(DATA),
    }


async def test_missing_or_wrong_token_is_403(tmp_path: Path) -> None:
    client = TestClient(make_app(tmp_path / "up"))
    await start(client)
    missing = await client.post("/up").send(multipart(part("file", b"x", "a.bin")), CONTENT_TYPE)
    assert missing.status == 403
    assert missing.json()["error"].startswith("CSRF check failed: no CSRF token")
    body = multipart(part("_csrf", "forged"), part("file", DATA, "a.bin"))
    wrong = await client.post("/up").send(body, CONTENT_TYPE)
    assert wrong.status == 403
    assert "does not match" in wrong.json()["error"]
    assert not (tmp_path / "up").exists()  # nothing saved


async def test_token_after_a_big_file_is_403_with_advice(tmp_path: Path) -> None:
    client = TestClient(make_app(tmp_path / "up"))
    _, token = await start(client)
    body = multipart(part("file", DATA, "data.bin"), part("_csrf", token))
    late = await client.post("/up").send(body, CONTENT_TYPE)
    assert late.status == 403
    assert late.json()["error"] == (
        "CSRF token not found in the first 65536 bytes of the multipart form: " + ADVICE + " header"
    )
    assert not (tmp_path / "up").exists()
    header = await client.post("/up").send(body, CONTENT_TYPE).set("X-CSRF-Token", token)
    assert header.status == 200
    assert header.json()["sha256"] == DATA_SHA


async def test_body_smaller_than_the_bound(tmp_path: Path) -> None:
    client = TestClient(make_app(tmp_path))
    _, token = await start(client)
    small = b"\x00\x01" * 1000
    body = multipart(part("file", small, "s.bin"), part("_csrf", token))  # after a small file
    res = await client.post("/up").send(body, CONTENT_TYPE)
    assert res.status == 200, res.text()
    assert res.json()["sha256"] == hashlib.sha256(small).hexdigest()
    fields = await client.post("/fields").send(multipart(part("_csrf", token), part("a", "1")))
    assert fields.status == 403  # no content type: not a form, the token is not looked for
    fields = await client.post("/fields").send(
        multipart(part("a", "1"), part("_csrf", token)), CONTENT_TYPE
    )
    assert fields.json() == {"a": ["1"], "_csrf": [token]}  # req.form() sees the whole body


async def test_chunked_body_in_small_pieces(tmp_path: Path) -> None:
    client = TestClient(make_app(tmp_path))
    _, token = await start(client)
    body = multipart(
        part("intro", "z" * 5000), part("_csrf", token), part("file", DATA, "data.bin")
    )
    pieces = [body[i : i + 999] for i in range(0, len(body), 999)]  # token cut mid-chunk
    res = await client.post("/up").send(pieces, CONTENT_TYPE)  # no Content-Length
    assert res.status == 200, res.text()
    assert res.json()["sha256"] == DATA_SHA
    assert res.json()["form"]["intro"] == ["z" * 5000]


async def test_peek_limit_is_configurable(tmp_path: Path) -> None:
    client = TestClient(make_app(tmp_path, peek_limit=1024))
    _, token = await start(client)
    late = multipart(part("intro", "z" * 2000), part("_csrf", token))
    res = await client.post("/fields").send(late, CONTENT_TYPE)
    assert res.status == 403
    assert "first 1024 bytes" in res.json()["error"]
    early = multipart(part("_csrf", token), part("intro", "z" * 2000))
    assert (await client.post("/fields").send(early, CONTENT_TYPE)).status == 200
    for bad in (0, -1, True, "64k"):
        with pytest.raises(ValueError, match="peek_limit"):
            CSRF().middleware(peek_limit=bad)  # type: ignore[arg-type]


async def test_malformed_multipart_is_400(tmp_path: Path) -> None:
    client = TestClient(make_app(tmp_path))
    await start(client)
    bad = await client.post("/up").send(b"--csrfboundary5678\r\nnonsense\r\n\r\n", CONTENT_TYPE)
    assert bad.status == 400
    no_boundary = await client.post("/up").send(b"x", "multipart/form-data")
    assert no_boundary.status == 400


# -- ASGI ----------------------------------------------------------------------------------


async def asgi_post(app: Harpia, path: str, body: bytes, cookie: str) -> tuple[int, Any]:
    """POST ``body`` through the ASGI adapter in 16 KiB messages: (status, JSON reply)."""
    step = 16 * 1024
    inbox = [
        {"type": "http.request", "body": body[i : i + step], "more_body": i + step < len(body)}
        for i in range(0, len(body), step)
    ]
    channel = Channel(inbox, after={"type": "http.disconnect"})
    receive, send, sent = channel.receive, channel.send, channel.sent

    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [
            (b"content-type", CONTENT_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"cookie", f"session_id={cookie}".encode()),
        ],
    }
    await app(scope, receive, send)
    reply = b"".join(message.get("body", b"") for message in sent[1:])
    return sent[0]["status"], json.loads(reply)


async def test_through_asgi(tmp_path: Path) -> None:
    app = make_app(tmp_path / "up")
    cookie, token = await start(TestClient(app))
    late = multipart(part("file", DATA, "late.bin"), part("_csrf", token))
    status, reply = await asgi_post(app, "/up", late, cookie)
    assert status == 403
    assert ADVICE in reply["error"]
    status, reply = await asgi_post(app, "/up", multipart(part("file", b"x", "a.bin")), cookie)
    assert (status, reply["error"][:32]) == (403, "CSRF check failed: no CSRF token")
    assert not (tmp_path / "up").exists()
    body = multipart(part("_csrf", token), part("file", DATA, "data.bin"))
    status, reply = await asgi_post(app, "/up", body, cookie)
    assert status == 200, reply
    assert reply["sha256"] == DATA_SHA
    assert reply["form"] == {"_csrf": [token]}
