"""Upload through the TestClient: saving, checks (size, extension, type, signature), names."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

import harpia as hp
from harpia import Request, Response, TestClient, Upload, UploadOptions
from harpia._upload import sanitize_filename
from tests.support.asgi import Channel

if TYPE_CHECKING:
    from pathlib import Path

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
GIF = b"GIF89a" + b"\x00" * 50
PDF = b"%PDF-1.7\n" + b"x" * 50
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def describe(req: Request) -> dict[str, Any]:
    return {
        "name": req.file.filename if req.file else None,
        "size": req.file.size if req.file else None,
        "type": req.file.content_type if req.file else None,
        "files": [(f.field_name, f.filename, f.original_filename, f.size) for f in req.files],
    }


def make_app(folder: Path, *, multiple: bool = False, **kwargs: Any) -> hp.Harpia:
    app = hp.harpia()
    upload = Upload(path=folder, **kwargs)

    async def handler(req: Request, res: Response) -> dict[str, Any]:
        form = await req.form()
        return {**describe(req), "form": {key: form.getall(key) for key in form}}

    app.post("/up", upload.multiple if multiple else upload.single, handler, max_body_size=1 << 30)
    return app


async def test_single_file_is_saved_with_fields(tmp_path: Path) -> None:
    src = tmp_path / "photo.jpg"
    src.write_bytes(JPEG)
    folder = tmp_path / "uploads"
    app = make_app(folder)
    res = await TestClient(app).post("/up").file({"file": src}).form_data({"user": "ana"})
    assert res.status == 200, res.text()
    data = res.json()
    assert data["name"] == "photo.jpg"
    assert data["size"] == len(JPEG)
    assert data["type"] == "image/jpeg"
    assert data["form"] == {"user": ["ana"]}
    assert (folder / "photo.jpg").read_bytes() == JPEG


async def test_req_file_path_points_at_the_saved_file(tmp_path: Path) -> None:
    app = hp.harpia()
    upload = Upload(path=tmp_path)

    def handler(req: Request, res: Response) -> dict[str, Any]:
        assert req.file is not None
        return {"path": str(req.file.path), "data": req.file.path.read_bytes().decode()}

    app.post("/up", upload.single, handler)

    res = await TestClient(app).post("/up").file("file", ("notes.txt", b"hello\r\n--x\r\n"))
    assert res.json() == {"path": str(tmp_path / "notes.txt"), "data": "hello\r\n--x\r\n"}


async def test_multiple_files(tmp_path: Path) -> None:
    a, b = tmp_path / "a.png", tmp_path / "b.gif"
    a.write_bytes(PNG)
    b.write_bytes(GIF)
    app = make_app(tmp_path / "up", multiple=True, field_name="files")
    res = await TestClient(app).post("/up").files({"files": [a, b]}).form_data({"x": "1"})
    assert res.status == 200, res.text()
    assert res.json()["files"] == [
        ["files", "a.png", "a.png", len(PNG)],
        ["files", "b.gif", "b.gif", len(GIF)],
    ]
    assert sorted(p.name for p in (tmp_path / "up").iterdir()) == ["a.png", "b.gif"]


async def test_multiple_respects_max_files(tmp_path: Path) -> None:
    app = make_app(tmp_path / "up", multiple=True, options={"max_files": 1})
    res = await TestClient(app).post("/up").files({"file": [("a.txt", b"a"), ("b.txt", b"b")]})
    assert res.status == 400
    assert list((tmp_path / "up").iterdir()) == []


async def test_single_refuses_a_second_file_and_removes_the_first(tmp_path: Path) -> None:
    app = make_app(tmp_path / "up")
    res = await TestClient(app).post("/up").files({"file": [("a.txt", b"a"), ("b.txt", b"b")]})
    assert res.status == 400
    assert "only one file" in res.text()
    assert list((tmp_path / "up").iterdir()) == []


async def test_unexpected_file_field_is_400(tmp_path: Path) -> None:
    app = make_app(tmp_path / "up")
    res = await TestClient(app).post("/up").file("avatar", ("a.txt", b"a"))
    assert res.status == 400
    assert "avatar" in res.text()


async def test_no_file_gives_none(tmp_path: Path) -> None:
    app = make_app(tmp_path / "up")
    res = await TestClient(app).post("/up").form_data({"a": "1"})
    assert res.json()["name"] is None
    assert res.json()["form"] == {"a": ["1"]}
    empty = await TestClient(app).post("/up").file("file", ("", b"")).form_data({"a": "2"})
    assert empty.json()["name"] is None
    assert empty.json()["form"] == {"a": ["2"]}


async def test_max_size_413_and_partial_file_removed(tmp_path: Path) -> None:
    folder = tmp_path / "up"
    app = make_app(folder, options={"max_size": 1000})
    ok = await TestClient(app).post("/up").file("file", ("ok.bin", b"x" * 1000))
    assert ok.status == 200
    res = await TestClient(app).post("/up").file("file", ("big.bin", b"x" * 600_000))
    assert res.status == 413
    assert [p.name for p in folder.iterdir()] == ["ok.bin"]


async def test_max_size_default_is_5_mib(tmp_path: Path) -> None:
    app = make_app(tmp_path / "up")
    big = b"\0" * (5 * 1024 * 1024 + 1)
    assert (await TestClient(app).post("/up").file("file", ("a.bin", big))).status == 413
    exact = big[:-1]
    assert (await TestClient(app).post("/up").file("file", ("a.bin", exact))).status == 200


async def test_route_body_limit_still_applies(tmp_path: Path) -> None:
    app = hp.Harpia(max_request_body_size=1000)
    upload = Upload(path=tmp_path)
    app.post("/up", upload.single, lambda req, res: "ok")
    res = await TestClient(app).post("/up").file("file", ("a.bin", b"x" * 5000))
    assert res.status == 413
    assert names(tmp_path) == []


@pytest.mark.parametrize(
    ("options", "name", "data", "kind", "status"),
    [
        ({"allowed_extensions": [".jpg"]}, "a.jpg", JPEG, "image/jpeg", 200),
        ({"allowed_extensions": ["JPG"]}, "a.JPG", JPEG, "image/jpeg", 200),
        ({"allowed_extensions": [".jpg"]}, "a.png", PNG, "image/png", 415),
        ({"allowed_extensions": [".jpg"]}, "noext", JPEG, "image/jpeg", 415),
        ({"allowed_types": ["image/jpeg"]}, "a.jpg", JPEG, "image/jpeg", 200),
        ({"allowed_types": ["image/*"]}, "a.png", PNG, "image/png", 200),
        ({"allowed_types": ["image/jpeg"]}, "a.txt", b"hi", "text/plain", 415),
        ({}, "a.jpg", b"not a jpeg at all, really", "image/jpeg", 415),
        ({}, "a.jpg", PNG, "image/jpeg", 415),
        ({}, "a.bin", b"text", "image/png", 415),  # declared type checked too
        ({}, "a.png", PNG, "image/png", 200),
        ({}, "a.gif", GIF, "image/gif", 200),
        ({}, "a.gif", b"GIF00a" + b"\0" * 20, "image/gif", 415),
        ({}, "a.pdf", PDF, "application/pdf", 200),
        ({}, "a.pdf", b"<html>" + b"x" * 30, "application/pdf", 415),
        ({}, "a.webp", WEBP, "image/webp", 200),
        ({}, "a.webp", b"RIFF\0\0\0\0WAVEfmt " + b"\0" * 20, "image/webp", 415),
        ({}, "a.jpg", b"\xff\xd8", "image/jpeg", 415),  # too short to be a JPEG
        ({}, "a.txt", b"anything", "text/plain", 200),
        ({"check_signature": False}, "a.jpg", b"not a jpeg", "image/jpeg", 200),
    ],
)
async def test_type_checks(
    tmp_path: Path, options: UploadOptions, name: str, data: bytes, kind: str, status: int
) -> None:
    folder = tmp_path / "up"
    app = make_app(folder, options=options)
    res = await TestClient(app).post("/up").file("file", (name, data, kind))
    assert res.status == status, res.text()
    if status != 200:
        assert not folder.exists() or list(folder.iterdir()) == []


async def test_signature_checked_on_large_files_before_writing(tmp_path: Path) -> None:
    folder = tmp_path / "up"
    app = make_app(folder, options={"max_size": None})
    res = await TestClient(app).post("/up").file("file", ("a.jpg", b"\0" * 3_000_000))
    assert res.status == 415
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("/abs/path/x.txt", "x.txt"),
        ("a\0b.txt", "ab.txt"),
        ("..", ""),
        (".htaccess", "htaccess"),
        ("a..b.txt", "a.b.txt"),
        ("na me;rm -rf.txt", "na me_rm -rf.txt"),
        ("café.png", "café.png"),
        ("x" * 500 + ".jpg", "x" * 116 + ".jpg"),
        ("C:\\Users\\me\\doc.pdf", "doc.pdf"),
        ("a\r\nb.txt", "ab.txt"),
    ],
)
def test_sanitize_filename(given: str, expected: str) -> None:
    assert sanitize_filename(given) == expected


async def test_hostile_names_stay_in_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "up"
    app = make_app(folder, multiple=True)
    hostile = ["../../evil.txt", "..", "/etc/passwd", "\0", "a/../../b.txt"]
    res = await TestClient(app).post("/up").files({"file": [(n, b"x") for n in hostile]})
    assert res.status == 200, res.text()
    saved = sorted(p.name for p in folder.iterdir())
    assert saved == sorted(["evil.txt", "upload", "passwd", "upload-1", "b.txt"])
    assert names(tmp_path) == ["up"]


async def test_collisions_never_overwrite(tmp_path: Path) -> None:
    folder = tmp_path / "up"
    folder.mkdir()
    (folder / "a.txt").write_text("old")
    app = make_app(folder, multiple=True)
    res = await TestClient(app).post("/up").files({"file": [("a.txt", b"1"), ("a.txt", b"2")]})
    assert [f[1] for f in res.json()["files"]] == ["a-1.txt", "a-2.txt"]
    assert (folder / "a.txt").read_text() == "old"
    assert (folder / "a-1.txt").read_text() == "1"
    assert (folder / "a-2.txt").read_text() == "2"


async def test_prefix_and_file_name(tmp_path: Path) -> None:
    app = make_app(tmp_path, prefix="profile", file_name="1700000000")
    res = await TestClient(app).post("/up").file("file", ("me.png", PNG))
    assert res.json()["name"] == "profile-1700000000.png"
    app = make_app(tmp_path, file_name=lambda req, name: f"u-{req.query.get('id')}")
    res = await TestClient(app).post("/up?id=7").file("file", ("me.png", PNG))
    assert res.json()["name"] == "u-7.png"
    app = make_app(tmp_path, file_name="../x")
    res = await TestClient(app).post("/up").file("file", ("me.png", PNG))
    assert res.json()["name"] == "x.png"


def test_unknown_option_is_an_error() -> None:
    with pytest.raises(ValueError, match="max_sise"):
        Upload(options={"max_sise": 1})  # type: ignore[arg-type]


BND = "multipart/form-data; boundary=BND"
MALFORMED = [
    b"garbage without boundary",
    b'--BND\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue',  # no closing
    b"--BND\r\nContent-Disposition: form-data\r\n\r\nx\r\n--BND--\r\n",  # no name
    b"--BND\r\nContent-Type: text/plain\r\n\r\nx\r\n--BND--\r\n",  # no disposition
    b"--BND\r\nBad header line\r\n\r\nx\r\n--BND--\r\n",
    b"--BND\r\n" + b"X-A: b\r\n" * 100 + b"\r\nx\r\n--BND--\r\n",  # too many headers
    b"",
]


@pytest.mark.parametrize("body", MALFORMED)
async def test_malformed_multipart_is_400(tmp_path: Path, body: bytes) -> None:
    app = make_app(tmp_path / "up")
    res = await TestClient(app).post("/up").send(body, "multipart/form-data; boundary=BND")
    assert res.status == 400, res.text()


async def test_missing_boundary_is_400(tmp_path: Path) -> None:
    app = make_app(tmp_path / "up")
    res = await TestClient(app).post("/up").send(b"x", "multipart/form-data")
    assert res.status == 400


async def test_truncated_file_is_removed(tmp_path: Path) -> None:
    folder = tmp_path / "up"
    app = make_app(folder)
    body = b'--BND\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n'
    body += b"x" * 400_000
    res = await TestClient(app).post("/up").send(body, "multipart/form-data; boundary=BND")
    assert res.status == 400
    assert list(folder.iterdir()) == []


async def test_form_reads_multipart_fields_without_upload() -> None:
    app = hp.harpia()

    @app.post("/f")
    async def handler(req: Request, res: Response) -> dict[str, Any]:
        form = await req.form()
        return {key: form.getall(key) for key in form}

    res = await (
        TestClient(app)
        .post("/f")
        .form_data({"a": ["1", "2"], "b": "é"})
        .file("doc", ("x.txt", b"dropped"))
    )
    assert res.json() == {"a": ["1", "2"], "b": ["é"]}


async def test_method_override_not_triggered_by_multipart(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    res = await TestClient(app).post("/up").form_data({"_method": "PUT"}).file("file", ("a", b"x"))
    assert res.status == 200


async def test_non_multipart_request_passes_through(tmp_path: Path) -> None:
    app = make_app(tmp_path / "up")
    res = await TestClient(app).post("/up").form_data({"a": "1"})
    assert res.json()["files"] == []


async def test_testclient_file_errors(tmp_path: Path) -> None:
    client = TestClient(hp.harpia())
    with pytest.raises(FileNotFoundError):
        client.post("/").file({"file": tmp_path / "missing.txt"})
    with pytest.raises(ValueError, match="json"):
        client.post("/").json({}).file("file", ("a", b""))
    with pytest.raises(ValueError, match="form"):
        client.post("/").file("file", ("a", b"")).json({})


async def test_testclient_streams_files_with_content_length(tmp_path: Path) -> None:
    src = tmp_path / "big.bin"
    src.write_bytes(b"ab" * 300_000)
    app = hp.harpia()

    @app.post("/len")
    async def handler(req: Request, res: Response) -> dict[str, Any]:
        body = await req.body()
        return {"declared": int(req.headers["content-length"]), "got": len(body)}

    res = await TestClient(app).post("/len").file({"file": src})
    assert res.json()["declared"] == res.json()["got"] > 600_000


async def test_body_read_before_upload_is_a_clear_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = hp.harpia()
    upload = Upload(path=tmp_path)

    async def reads_form(req: Request, res: Response, next: Any) -> None:
        await req.form()
        await next()

    app.post("/up", reads_form, upload.single, lambda req, res: "ok")
    res = await TestClient(app).post("/up").file("file", ("a.txt", b"x"))
    assert res.status == 500
    assert "before the upload middleware" in caplog.text
    assert names(tmp_path) == []


async def test_epilogue_after_last_boundary_is_ignored(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    body = b'--BND\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--BND--\r\n'
    res = await TestClient(app).post("/up").send(body + b"epilogue" * 10_000, BND)
    assert res.status == 200, res.text()
    assert res.json()["form"] == {"a": ["1"]}


async def test_upload_through_asgi(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    body = (
        b'--BND\r\nContent-Disposition: form-data; name="user"\r\n\r\nana\r\n'
        b'--BND\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
        b"Content-Type: image/png\r\n\r\n" + PNG + b"\r\n--BND--\r\n"
    )
    inbox = [
        {"type": "http.request", "body": body[:50], "more_body": True},
        {"type": "http.request", "body": body[50:], "more_body": False},
    ]
    channel = Channel(inbox)
    receive, send, sent = channel.receive, channel.send, channel.sent

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/up",
        "raw_path": b"/up",
        "query_string": b"",
        "headers": [(b"content-type", BND.encode())],
    }
    await app(scope, receive, send)
    assert sent[0]["status"] == 200
    data = b"".join(m.get("body", b"") for m in sent[1:])
    assert b'"name":"a.png"' in data
    assert b'"form":{"user":["ana"]}' in data
    assert (tmp_path / "a.png").read_bytes() == PNG
