"""``await res.file(path)``: types, validators, conditional GET, ranges, missing files."""

from __future__ import annotations

import os
from email.utils import formatdate
from typing import TYPE_CHECKING

import anyio
import pytest

import harpia as hp
from harpia import Request, Response, TestClient
from harpia._files import MAX_RANGES, parse_ranges
from tests.support.byteranges import parse_byteranges

if TYPE_CHECKING:
    from pathlib import Path

CONTENT = b"0123456789abcdefghij"  # 20 bytes
MTIME = 1_700_000_000


def file_app(folder: Path, content_type: str | None = None) -> hp.Harpia:
    app = hp.harpia()

    async def send(req: Request, res: Response) -> None:
        await res.file(folder / req.params["name"], content_type=content_type)

    app.get("/f/:name", send)
    app.post("/f/:name", send)
    return app


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "data.txt"
    path.write_bytes(CONTENT)
    os.utime(path, (MTIME, MTIME))
    return tmp_path


@pytest.fixture
def client(folder: Path) -> TestClient:
    return TestClient(file_app(folder))


async def test_full_file_with_validators(client: TestClient) -> None:
    res = await client.get("/f/data.txt")
    assert res.status == 200
    assert res.content == CONTENT
    assert res.headers["content-type"] == "text/plain; charset=utf-8"
    assert res.headers["content-length"] == "20"
    assert res.headers["last-modified"] == formatdate(MTIME, usegmt=True)
    assert res.headers["accept-ranges"] == "bytes"
    assert res.headers["etag"].endswith('"')
    assert (await client.get("/f/data.txt")).headers["etag"] == res.headers["etag"]


async def test_etag_changes_with_the_file(folder: Path, client: TestClient) -> None:
    before = (await client.get("/f/data.txt")).headers["etag"]
    (folder / "data.txt").write_bytes(CONTENT + b"!")
    after = await client.get("/f/data.txt")
    assert after.headers["etag"] != before
    assert after.content == CONTENT + b"!"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("page.html", "text/html; charset=utf-8"),
        ("data.json", "application/json"),
        ("pic.png", "image/png"),
        ("blob.unknownext", "application/octet-stream"),
        ("app.js", "text/javascript; charset=utf-8"),
        ("mod.MJS", "text/javascript; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
        ("font.woff2", "font/woff2"),
        ("icon.svg", "image/svg+xml"),
        ("prog.wasm", "application/wasm"),
        ("archive.tar.gz", "application/gzip"),
        ("archive.tar.bz2", "application/x-bzip2"),
        ("noext", "application/octet-stream"),
    ],
)
async def test_content_type_from_the_name(folder: Path, name: str, expected: str) -> None:
    (folder / name).write_bytes(b"x")
    res = await TestClient(file_app(folder)).get(f"/f/{name}")
    assert res.headers["content-type"] == expected


async def test_explicit_content_type(folder: Path) -> None:
    res = await TestClient(file_app(folder, "text/x-custom")).get("/f/data.txt")
    assert res.headers["content-type"] == "text/x-custom"


async def test_if_none_match_gives_304(client: TestClient) -> None:
    etag = (await client.get("/f/data.txt")).headers["etag"]
    for header in (etag, f'"nope", {etag}', "*", etag.removeprefix("W/")):
        res = await client.get("/f/data.txt").set("If-None-Match", header)
        assert res.status == 304, header
        assert res.content == b""
        assert res.headers["etag"] == etag
        assert "content-length" not in res.headers
    miss = await client.get("/f/data.txt").set("If-None-Match", '"other"')
    assert (miss.status, miss.content) == (200, CONTENT)


async def test_if_modified_since(client: TestClient) -> None:
    same = await client.get("/f/data.txt").set("If-Modified-Since", formatdate(MTIME, usegmt=True))
    assert (same.status, same.content) == (304, b"")
    later = formatdate(MTIME + 3600, usegmt=True)
    assert (await client.get("/f/data.txt").set("If-Modified-Since", later)).status == 304
    earlier = formatdate(MTIME - 3600, usegmt=True)
    res = await client.get("/f/data.txt").set("If-Modified-Since", earlier)
    assert (res.status, res.content) == (200, CONTENT)
    garbage = await client.get("/f/data.txt").set("If-Modified-Since", "yesterday")
    assert garbage.status == 200


async def test_if_none_match_takes_precedence_over_if_modified_since(client: TestClient) -> None:
    res = await client.get("/f/data.txt").set(
        {"If-None-Match": '"other"', "If-Modified-Since": formatdate(MTIME, usegmt=True)}
    )
    assert res.status == 200


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-4", 0, 4),
        ("bytes=5-9", 5, 9),
        ("bytes=15-", 15, 19),
        ("bytes=-3", 17, 19),
        ("bytes=-100", 0, 19),
        ("bytes=18-1000", 18, 19),
    ],
)
async def test_single_range_is_206(client: TestClient, header: str, start: int, end: int) -> None:
    res = await client.get("/f/data.txt").set("Range", header)
    assert res.status == 206
    assert res.content == CONTENT[start : end + 1]
    assert res.headers["content-range"] == f"bytes {start}-{end}/20"
    assert res.headers["content-length"] == str(end - start + 1)


@pytest.mark.parametrize("header", ["bytes=20-", "bytes=100-200", "bytes=-0"])
async def test_unsatisfiable_range_is_416(client: TestClient, header: str) -> None:
    res = await client.get("/f/data.txt").set("Range", header)
    assert res.status == 416
    assert res.headers["content-range"] == "bytes */20"
    assert res.content == b""


@pytest.mark.parametrize(
    "header",
    [
        "items=0-4",
        "bytes=abc",
        "bytes=5-2",
        "bytes=",
        "bytes=1-x",
        "bytes=0-1,5-2",  # one invalid range spoils the header
        "bytes=0 - 4",
        "bytes=\u00b2-",  # a Unicode digit is not a digit here
        "bytes=-",
        "bytes 0-4",
        ",".join(["bytes=0-0"] + [f"{i}-{i}" for i in range(2, 80, 2)]),  # too many ranges
    ],
)
async def test_ignored_ranges_give_the_full_file(client: TestClient, header: str) -> None:
    res = await client.get("/f/data.txt").set("Range", header)
    assert (res.status, res.content) == (200, CONTENT)
    assert "content-range" not in res.headers


async def test_if_range(client: TestClient) -> None:
    full = await client.get("/f/data.txt")
    modified = full.headers["last-modified"]
    partial = await client.get("/f/data.txt").set({"Range": "bytes=0-1", "If-Range": modified})
    assert (partial.status, partial.content) == (206, b"01")
    stale = await client.get("/f/data.txt").set({"Range": "bytes=0-1", "If-Range": '"old-etag"'})
    assert (stale.status, stale.content) == (200, CONTENT)
    old_date = formatdate(MTIME - 60, usegmt=True)
    older = await client.get("/f/data.txt").set({"Range": "bytes=0-1", "If-Range": old_date})
    assert (older.status, older.content) == (200, CONTENT)
    # a date must match Last-Modified exactly (RFC 9110 13.1.5), a later one is not enough
    later = formatdate(MTIME + 60, usegmt=True)
    newer = await client.get("/f/data.txt").set({"Range": "bytes=0-1", "If-Range": later})
    assert (newer.status, newer.content) == (200, CONTENT)
    etag = full.headers["etag"]
    tagged = await client.get("/f/data.txt").set({"Range": "bytes=2-3", "If-Range": etag})
    assert (tagged.status, tagged.content) == (206, b"23")
    weak = await client.get("/f/data.txt").set({"Range": "bytes=2-3", "If-Range": "W/" + etag})
    assert (weak.status, weak.content) == (200, CONTENT)  # weak tags never match If-Range


async def test_range_ignored_for_other_methods(client: TestClient) -> None:
    res = await client.post("/f/data.txt").set("Range", "bytes=0-1")
    assert (res.status, res.content) == (200, CONTENT)


async def test_head_gives_headers_only(client: TestClient) -> None:
    res = await client.head("/f/data.txt")
    assert (res.status, res.content) == (200, b"")
    assert res.headers["content-length"] == "20"
    assert "etag" in res.headers
    ranged = await client.head("/f/data.txt").set("Range", "bytes=0-3")
    assert (ranged.status, ranged.headers["content-length"], ranged.content) == (206, "4", b"")


async def test_missing_file_and_directory_are_404(folder: Path, client: TestClient) -> None:
    (folder / "sub").mkdir()
    for name in ("nope.txt", "sub"):
        res = await client.get(f"/f/{name}")
        assert res.status == 404, name
        assert res.json() == {"error": "file not found", "status": 404}


async def test_nul_in_the_path_is_404(client: TestClient) -> None:
    assert (await client.get("/f/data.txt%00.png")).status == 404


async def test_large_file_is_streamed_intact(folder: Path) -> None:
    big = os.urandom(700 * 1024 + 13)
    (folder / "big.bin").write_bytes(big)
    client = TestClient(file_app(folder))
    res = await client.get("/f/big.bin")
    assert res.status == 200
    assert res.response is not None
    assert res.response.body_stream is not None  # not read into memory in one go
    assert res.headers["content-length"] == str(len(big))
    assert res.content == big
    ranged = await client.get("/f/big.bin").set("Range", "bytes=1000-400000")
    assert ranged.status == 206
    assert ranged.content == big[1000:400001]
    assert ranged.headers["content-length"] == str(400001 - 1000)


async def test_empty_file(folder: Path) -> None:
    (folder / "empty.txt").write_bytes(b"")
    client = TestClient(file_app(folder))
    res = await client.get("/f/empty.txt")
    assert (res.status, res.content, res.headers["content-length"]) == (200, b"", "0")
    assert (await client.get("/f/empty.txt").set("Range", "bytes=-5")).status == 416


@pytest.mark.parametrize(
    ("header", "parts"),
    [
        ("bytes=0-1,4-5", [(0, 1), (4, 5)]),
        ("bytes=10-12, 0-1", [(10, 12), (0, 1)]),  # the order asked for is kept
        ("bytes=0-1,-2", [(0, 1), (18, 19)]),
        ("bytes=0-0,5-5,19-", [(0, 0), (5, 5), (19, 19)]),
        ("bytes=0-1,,4-5,", [(0, 1), (4, 5)]),  # empty list elements are allowed
        ("bytes=0-1,50-60,4-5", [(0, 1), (4, 5)]),  # unsatisfiable ones are dropped
    ],
)
async def test_several_ranges_are_multipart(
    client: TestClient, header: str, parts: list[tuple[int, int]]
) -> None:
    res = await client.get("/f/data.txt").set("Range", header)
    assert res.status == 206
    assert "content-range" not in res.headers
    assert res.headers["content-length"] == str(len(res.content))
    got = parse_byteranges(res.headers["content-type"], res.content)
    assert [(p.content_type, p.content_range, p.data) for p in got] == [
        ("text/plain; charset=utf-8", f"bytes {a}-{b}/20", CONTENT[a : b + 1]) for a, b in parts
    ]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-4,2-8", "bytes 0-8/20"),  # overlapping
        ("bytes=5-9,0-4", "bytes 0-9/20"),  # adjacent
        ("bytes=0-5,0-5,0-5,0-5", "bytes 0-5/20"),  # the same range many times
        ("bytes=-5,10-", "bytes 10-19/20"),
    ],
)
async def test_overlapping_ranges_are_coalesced(
    client: TestClient, header: str, expected: str
) -> None:
    res = await client.get("/f/data.txt").set("Range", header)
    assert res.status == 206
    assert res.headers["content-range"] == expected
    first, last = (int(n) for n in expected.split(" ")[1].split("/")[0].split("-"))
    assert res.content == CONTENT[first : last + 1]


async def test_multipart_boundary_is_fresh_and_head_has_its_length(client: TestClient) -> None:
    one = await client.get("/f/data.txt").set("Range", "bytes=0-1,4-5")
    two = await client.get("/f/data.txt").set("Range", "bytes=0-1,4-5")
    assert one.headers["content-type"] != two.headers["content-type"]
    head = await client.head("/f/data.txt").set("Range", "bytes=0-1,4-5")
    assert (head.status, head.content) == (206, b"")
    assert head.headers["content-length"] == one.headers["content-length"]
    assert head.headers["content-type"].startswith("multipart/byteranges; boundary=")


async def test_multipart_of_a_large_file_is_streamed(folder: Path) -> None:
    big = os.urandom(900 * 1024)
    (folder / "big.bin").write_bytes(big)
    client = TestClient(file_app(folder))
    ranges = [(0, 99), (300_000, 700_000), (900 * 1024 - 10, 900 * 1024 - 1)]
    header = "bytes=" + ",".join(f"{a}-{b}" for a, b in ranges)
    res = await client.get("/f/big.bin").set("Range", header)
    assert res.status == 206
    assert res.response is not None
    assert res.response.body_stream is not None
    assert res.headers["content-length"] == str(len(res.content))
    parts = parse_byteranges(res.headers["content-type"], res.content)
    assert [p.data for p in parts] == [big[a : b + 1] for a, b in ranges]
    assert {p.content_type for p in parts} == {"application/octet-stream"}


def test_parse_ranges_limits() -> None:
    assert parse_ranges("bytes=" + "9" * 5000 + "-", 100) == []  # no 4,300-digit int()
    assert parse_ranges("bytes=0-" + "9" * 5000, 100) == [(0, 99)]
    assert parse_ranges("bytes=-" + "9" * 5000, 100) == [(0, 99)]
    assert parse_ranges("bytes=" + "0" * 40 + "7-8", 100) == [(7, 8)]
    ok = "bytes=" + ",".join(f"{i * 3}-{i * 3}" for i in range(MAX_RANGES))
    assert parse_ranges(ok, 1000) is not None
    assert parse_ranges(ok + ",999-999", 1000) is None
    assert parse_ranges("BYTES = 1-2", 10) == [(1, 2)]
    assert parse_ranges("bytes=0-0", 0) == []


async def test_conditionals_only_for_get_and_head(client: TestClient) -> None:
    etag = (await client.get("/f/data.txt")).headers["etag"]
    res = await client.post("/f/data.txt").set("If-None-Match", etag)
    assert (res.status, res.content) == (200, CONTENT)


async def test_status_set_before_file_is_kept(folder: Path) -> None:
    app = hp.harpia()

    async def handler(req: Request, res: Response) -> None:
        await res.status(203).file(folder / "data.txt")

    app.get("/", handler)
    res = await TestClient(app).get("/")
    assert (res.status, res.content) == (203, CONTENT)


async def test_fifo_is_not_served(folder: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    os.mkfifo(folder / "pipe")
    with anyio.fail_after(5):  # opening a FIFO for reading must not wait for a writer
        res = await TestClient(file_app(folder)).get("/f/pipe")
    assert res.status == 404
