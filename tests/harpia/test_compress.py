"""Response compression through the TestClient and the ASGI adapter (the same pipeline)."""

from __future__ import annotations

import gzip
import json
import zlib
from typing import TYPE_CHECKING, Any

import brotli
import pytest
import zstandard

from harpia import Compress, Request, Response, TestClient, harpia
from harpia._compress import compressible

from .stream_app import PAYLOAD, make_app

if TYPE_CHECKING:
    from pathlib import Path

BODY = json.dumps(PAYLOAD, separators=(",", ":")).encode()


def decode(coding: str, data: bytes) -> bytes:
    if coding == "gzip":
        return gzip.decompress(data)
    if coding == "br":
        out: bytes = brotli.decompress(data)
        return out
    if coding == "zstd":
        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    raise AssertionError(coding)


@pytest.mark.parametrize(
    ("accept", "coding"),
    [
        ("gzip", "gzip"),
        ("br", "br"),
        ("zstd", "zstd"),
        ("gzip, deflate, br, zstd", "br"),  # equal q: the server's order (br, zstd, gzip)
        ("gzip;q=1, br;q=0.5", "gzip"),
        ("br;q=0, *", "zstd"),  # * covers what is not named; br refused
        ("*;q=0.1, gzip;q=0.9", "gzip"),
        ("x-gzip", "gzip"),
        ("GZIP", "gzip"),
        ("deflate", None),
        ("", None),
        ("gzip;q=0", None),
        ("gzip;q=abc", None),  # a malformed q refuses rather than prefers
        (None, None),  # no header: identity
    ],
)
async def test_accept_encoding_negotiation(accept: str | None, coding: str | None) -> None:
    async with TestClient(make_app()) as client:
        request = client.get("/json")
        if accept is not None:
            request = request.set("Accept-Encoding", accept)
        res = await request
    assert res.status == 200
    assert res.headers.get("vary") == "Accept-Encoding"  # on the identity answer too
    assert res.headers.get("content-encoding") == coding
    assert int(res.headers["content-length"]) == len(res.content)
    body = decode(coding, res.content) if coding else res.content
    assert body == BODY
    if coding:
        assert len(res.content) < len(BODY) / 4


async def test_small_bodies_and_incompressible_types_are_left_alone() -> None:
    async with TestClient(make_app()) as client:
        small = await client.get("/small").set("Accept-Encoding", "gzip")
        png = await client.get("/png").set("Accept-Encoding", "gzip, br")
        # identity refused: even a small body is compressed rather than sent as refused
        forced = await client.get("/small").set("Accept-Encoding", "gzip, identity;q=0")
    assert "content-encoding" not in small.headers
    assert small.headers["vary"] == "Accept-Encoding"  # a larger one would be compressed
    assert small.text() == "short enough not to be worth compressing"
    assert "content-encoding" not in png.headers
    assert "vary" not in png.headers
    assert png.content.startswith(b"\x89PNG")
    assert len(png.content) == 4004
    assert forced.headers["content-encoding"] == "gzip"
    assert gzip.decompress(forced.content) == b"short enough not to be worth compressing"


async def test_no_double_compression_no_transform_and_errors() -> None:
    app = harpia()
    app.compress(minimum_size=10)
    already = gzip.compress(b"a" * 5000)

    @app.get("/pre")
    def pre(req: Request, res: Response) -> None:
        res.header("Content-Encoding", "gzip").send(already, content_type="text/plain")

    @app.get("/keep")
    def keep(req: Request, res: Response) -> None:
        res.header("Cache-Control", "no-transform").text("b" * 5000)

    @app.get("/boom")
    def boom(req: Request, res: Response) -> None:
        raise ValueError("boom")

    @app.get("/empty")
    def empty(req: Request, res: Response) -> None:
        res.status(204)

    async with TestClient(app) as client:
        pre_res = await client.get("/pre").set("Accept-Encoding", "br")
        keep_res = await client.get("/keep").set("Accept-Encoding", "gzip")
        boom_res = await client.get("/boom").set("Accept-Encoding", "gzip")
        empty_res = await client.get("/empty").set("Accept-Encoding", "gzip")
        missing = await client.get("/nowhere").set("Accept-Encoding", "gzip")
    assert pre_res.headers["content-encoding"] == "gzip"
    assert pre_res.content == already
    assert "content-encoding" not in keep_res.headers
    assert keep_res.text() == "b" * 5000
    # error responses are compressed like others (their JSON is short but over 10 bytes)
    assert boom_res.status == 500
    assert boom_res.headers["content-encoding"] == "gzip"
    assert json.loads(gzip.decompress(boom_res.content))["status"] == 500
    assert empty_res.status == 204
    assert "content-encoding" not in empty_res.headers
    assert missing.status == 404
    assert json.loads(gzip.decompress(missing.content))["status"] == 404


async def test_files_etag_weak_ranges_untouched_and_conditional(tmp_path: Path) -> None:
    (tmp_path / "data.json").write_bytes(BODY)
    app = harpia()
    app.compress()
    app.static(tmp_path)
    async with TestClient(app) as client:
        whole = await client.get("/data.json").set("Accept-Encoding", "gzip")
        plain = await client.get("/data.json")
        part = (
            await client.get("/data.json").set("Accept-Encoding", "gzip").set("Range", "bytes=0-9")
        )
        again = (
            await client.get("/data.json")
            .set("Accept-Encoding", "gzip")
            .set("If-None-Match", whole.headers["etag"])
        )
        head = await client.head("/data.json").set("Accept-Encoding", "gzip")
    assert whole.headers["content-encoding"] == "gzip"
    assert gzip.decompress(whole.content) == BODY
    assert whole.headers["etag"] == "W/" + plain.headers["etag"]  # weak: other bytes
    assert plain.headers["etag"].startswith('"')
    assert plain.headers["accept-ranges"] == "bytes"
    assert "accept-ranges" not in whole.headers
    assert int(whole.headers["content-length"]) == len(whole.content)
    assert part.status == 206
    assert part.content == BODY[:10]
    assert "content-encoding" not in part.headers
    assert again.status == 304
    assert again.content == b""
    assert head.status == 200
    assert head.content == b""
    assert head.headers["content-encoding"] == "gzip"
    assert "content-length" not in head.headers  # unknown without compressing the file
    assert head.headers["etag"] == whole.headers["etag"]


async def test_a_stream_is_compressed_chunk_by_chunk() -> None:
    app = make_app()

    async with TestClient(app) as client:
        res = await client.get("/chunks?n=50").set("Accept-Encoding", "gzip")
    assert res.headers["content-encoding"] == "gzip"
    assert "content-length" not in res.headers
    text = gzip.decompress(res.content).decode()
    assert text == "".join(f"chunk {i} " + "x" * 100 + "\n" for i in range(50))


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
async def test_each_streamed_chunk_decodes_on_its_own(coding: str) -> None:
    """Flushed per chunk: a client can decode chunk n before chunk n+1 exists."""
    app = make_app()
    request = Request("GET", "/chunks", "n=3", [(b"accept-encoding", coding.encode())])
    res = await app.handle(request)
    assert res.body_stream is not None
    if coding == "gzip":
        decoder: Any = zlib.decompressobj(31)
        feed = decoder.decompress
    elif coding == "br":
        decoder = brotli.Decompressor()
        feed = decoder.process
    else:
        decoder = zstandard.ZstdDecompressor().decompressobj()
        feed = decoder.decompress
    seen = []
    async for chunk in res.body_stream:
        seen.append(feed(chunk))
    assert [part.decode() for part in seen[:3]] == [
        f"chunk {i} " + "x" * 100 + "\n" for i in range(3)
    ]


async def test_compress_is_outermost_and_replaced() -> None:
    app = harpia()
    order: list[str] = []

    async def tag(req: Request, res: Response, next: Any) -> None:
        await next()
        order.append(res.headers.get("content-encoding") or "identity")

    app.use(tag)
    first = app.compress()
    second = app.compress(encodings=["gzip"])  # replaces the first
    app.get("/", lambda req, res: res.text("z" * 1000))
    async with TestClient(app) as client:
        res = await client.get("/").set("Accept-Encoding", "br, gzip")
    assert first is not second
    assert second.encodings == ("gzip",)
    assert order == ["identity"]  # the app's middleware saw the uncompressed response
    assert res.headers["content-encoding"] == "gzip"


async def test_per_path_middleware_and_custom_predicate() -> None:
    app = harpia()
    app.use("/api", Compress(compressible=lambda kind: kind == "application/x-custom"))

    def custom(req: Request, res: Response) -> None:
        res.send(b"c" * 2000, content_type="application/x-custom")

    app.get("/api/x", custom)
    app.get("/other", custom)
    async with TestClient(app) as client:
        inside = await client.get("/api/x").set("Accept-Encoding", "gzip, br")
        outside = await client.get("/other").set("Accept-Encoding", "gzip")
    assert inside.headers["content-encoding"] == "br"
    assert brotli.decompress(inside.content) == b"c" * 2000
    assert "content-encoding" not in outside.headers


def test_bad_options_raise_naming_them() -> None:
    with pytest.raises(ValueError, match="gzip_level"):
        Compress(gzip_level=10)
    with pytest.raises(ValueError, match="brotli_quality"):
        Compress(brotli_quality=-1)
    with pytest.raises(TypeError, match="minimum_size"):
        Compress(minimum_size="1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="deflate"):
        Compress(encodings=["deflate"])
    with pytest.raises(TypeError, match="encodings"):
        Compress(encodings="gzip")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        harpia().compress(level=3)


def test_compressible_types() -> None:
    good = ["text/html; charset=utf-8", "application/json", "application/ld+json"]
    good += ["image/svg+xml", "application/javascript", "text/event-stream"]
    for kind in good:
        assert compressible(kind), kind
    bad: list[str | None] = ["image/png", "image/jpeg", "video/mp4", "audio/mpeg", None, ""]
    bad += ["application/zip", "application/gzip", "font/woff2", "application/octet-stream"]
    for other in bad:
        assert not compressible(other), other


async def test_asgi_adapter_compresses_too() -> None:
    app = make_app()
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "method": "GET", "path": "/json", "raw_path": b"/json",
        "query_string": b"", "headers": [(b"host", b"t"), (b"accept-encoding", b"br")],
    }  # fmt: skip
    await app(scope, receive, send)
    headers = dict(sent[0]["headers"])
    assert headers[b"content-encoding"] == b"br"
    assert headers[b"vary"] == b"Accept-Encoding"
    body = b"".join(m.get("body", b"") for m in sent[1:])
    assert int(headers[b"content-length"]) == len(body)
    assert brotli.decompress(body) == BODY
