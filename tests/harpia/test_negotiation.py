"""req.accepts / accepts_language / accepts_encoding, res.format, res.download, res.attachment."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote

import pytest

from harpia import Request, Response, TestClient, harpia
from harpia._download import content_disposition
from harpia._negotiation import best_encoding, best_language, best_type

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(
    ("accept", "offers", "best"),
    [
        (None, ("json", "html"), "json"),  # no header: the first offer
        ("text/html", ("json", "html"), "html"),
        ("application/json;q=0.5, text/html", ("json", "html"), "html"),
        ("text/*;q=0.8, application/json;q=0.5", ("json", "text/plain"), "text/plain"),
        ("*/*", ("image/png", "json"), "image/png"),
        ("text/*, text/html;q=0", ("text/html", "text/plain"), "text/plain"),  # exact wins
        ("text/*, text/html", ("text/plain", "text/html"), "text/html"),  # more specific
        ("image/png", ("json", "html"), None),
        ("", ("json",), None),
        ("application/json;q=2", ("json",), None),  # malformed q refuses
        ("application/JSON", ("application/json",), "application/json"),
        ("text/html;level=1;q=0.9, */*;q=0.1", ("json", "html"), "html"),
    ],
)
def test_best_type(accept: str | None, offers: tuple[str, ...], best: str | None) -> None:
    assert best_type(accept, offers) == best


def test_best_language_and_encoding() -> None:
    assert best_language("fr-CH, fr;q=0.9, en;q=0.8", ("en", "fr")) == "fr"
    assert best_language("en", ("pt-BR", "en-GB")) == "en-GB"  # en covers en-GB
    assert best_language("pt-BR", ("pt", "en")) == "pt"  # we have the wider tag
    assert best_language("de", ("en", "fr")) is None
    assert best_language("*", ("en", "fr")) == "en"
    assert best_language(None, ("pt",)) == "pt"
    assert best_encoding("gzip, br;q=0.9", ("br", "gzip")) == "gzip"
    assert best_encoding("br", ("gzip", "identity")) == "identity"
    assert best_encoding("br, identity;q=0", ("gzip", "identity")) is None
    assert best_encoding("*;q=0", ("gzip", "identity")) is None
    assert best_encoding("*;q=0, identity", ("gzip", "identity")) == "identity"


def test_bad_offers_raise() -> None:
    with pytest.raises(ValueError, match="nonsense"):
        best_type("*/*", ("nonsense",))
    with pytest.raises(TypeError):
        best_type("*/*", (3,))  # type: ignore[arg-type]


async def test_request_helpers_and_format_over_testclient() -> None:
    app = harpia()

    @app.get("/hello")
    async def hello(req: Request, res: Response) -> None:
        await res.format(
            {
                "text/html": lambda req, res: res.send("<p>hello</p>"),
                "json": lambda req, res: {"hello": req.accepts_language("en", "pt") or "?"},
            }
        )

    @app.get("/lenient")
    async def lenient(req: Request, res: Response) -> None:
        async def fallback(req: Request, res: Response) -> str:
            return "plain"

        await res.format({"application/xml": lambda req, res: "<x/>", "default": fallback})

    async with TestClient(app) as client:
        html = await client.get("/hello").set("Accept", "text/html,application/xhtml+xml")
        json_res = (
            await client.get("/hello")
            .set("Accept", "application/json")
            .set("Accept-Language", "pt-BR,pt;q=0.9")
        )
        refused = await client.get("/hello").set("Accept", "image/png")
        fallback = await client.get("/lenient").set("Accept", "text/csv")
        xml = await client.get("/lenient").set("Accept", "application/*")
    assert html.status == 200
    assert html.text() == "<p>hello</p>"
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert html.headers["vary"] == "Accept"
    assert json_res.json() == {"hello": "pt"}
    assert refused.status == 406
    assert refused.json()["detail"] == {"available": ["text/html", "application/json"]}
    assert fallback.status == 200
    assert fallback.text() == "plain"
    assert xml.headers["content-type"] == "application/xml"
    assert xml.text() == "<x/>"


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("report.pdf", 'attachment; filename="report.pdf"'),
        ("relatório 2026.pdf", 'attachment; filename="relato\u0301rio 2026.pdf"'),
        ('a"b.txt', "attachment; filename=\"a_b.txt\"; filename*=UTF-8''a%22b.txt"),
        ("dir\\c.txt", 'attachment; filename="c.txt"'),
        ("../../etc/passwd", 'attachment; filename="passwd"'),
        ("..\\win\\x.txt", 'attachment; filename="x.txt"'),
        ("bad\r\nSet-Cookie: x=1", 'attachment; filename="badSet-Cookie: x=1"'),
        ("日本.txt", "attachment; filename=\"__.txt\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt"),
        ("100%.txt", "attachment; filename=\"100_.txt\"; filename*=UTF-8''100%25.txt"),
        ("", "attachment"),
    ],
)
def test_content_disposition(name: str, header: str) -> None:
    value = content_disposition(name)
    if "relat" in name:  # accents become plain letters in the fallback, exact in filename*
        assert value.startswith('attachment; filename="relatorio 2026.pdf"; filename*=UTF-8')
        assert unquote(value.split("''", 1)[1]) == name
        return
    assert value == header
    assert "\r" not in value
    assert "\n" not in value
    assert value.isascii()


async def test_download_and_attachment(tmp_path: Path) -> None:
    data = bytes(range(256)) * 40
    path = tmp_path / "data.bin"
    path.write_bytes(data)
    (tmp_path / "notes.txt").write_text("notes")
    app = harpia()

    @app.get("/dl")
    async def dl(req: Request, res: Response) -> None:
        await res.download(path, req.query.get("name"))

    @app.get("/missing")
    async def missing(req: Request, res: Response) -> None:
        await res.download(tmp_path / "nope.bin")

    @app.get("/csv")
    def csv(req: Request, res: Response) -> None:
        res.attachment("ünïcode report.csv").send("a,b\n1,2\n")

    @app.get("/plain")
    def plain(req: Request, res: Response) -> None:
        res.attachment().send(b"x")

    async with TestClient(app) as client:
        whole = await client.get("/dl")
        named = await client.get("/dl").query({"name": "café.bin"})
        part = await client.get("/dl").set("Range", "bytes=10-19")
        cached = await client.get("/dl").set("If-None-Match", whole.headers["etag"])
        gone = await client.get("/missing")
        csv_res = await client.get("/csv")
        plain_res = await client.get("/plain")
    assert whole.status == 200
    assert whole.content == data
    assert whole.headers["content-disposition"] == 'attachment; filename="data.bin"'
    assert whole.headers["content-type"] == "application/octet-stream"
    assert named.headers["content-disposition"] == (
        "attachment; filename=\"cafe.bin\"; filename*=UTF-8''caf%C3%A9.bin"
    )
    assert part.status == 206
    assert part.content == data[10:20]
    assert part.headers["content-disposition"] == 'attachment; filename="data.bin"'
    assert cached.status == 304
    assert gone.status == 404
    assert csv_res.headers["content-type"] == "text/csv; charset=utf-8"
    assert csv_res.headers["content-disposition"].startswith(
        "attachment; filename=\"unicode report.csv\"; filename*=UTF-8''%C3%BCn%C3%AFcode"
    )
    assert plain_res.headers["content-disposition"] == "attachment"


async def test_bad_arguments() -> None:
    with pytest.raises(TypeError):
        content_disposition(3)  # type: ignore[arg-type]
    res = Response()
    res.request = Request("GET", "/")
    with pytest.raises(TypeError, match="non-empty dict"):
        await res.format({})
    with pytest.raises(TypeError, match="callable"):
        await res.format({"json": "nope"})  # type: ignore[dict-item]
