"""Request: method, path, url, query, params, headers, ip, body readers, state, body limits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

import harpia as hp
from harpia import Request, Response, TestClient

Next = Callable[[], Awaitable[None]]


def echo_app() -> hp.Harpia:
    app = hp.harpia()

    @app.all("/*")
    def echo(req: Request, res: Response) -> dict[str, Any]:
        return {
            "method": req.method,
            "path": req.path,
            "raw_path": req.raw_path,
            "url": req.url,
            "query": {key: req.query.getall(key) for key in req.query},
        }

    return app


async def test_method_path_and_url() -> None:
    res = await TestClient(echo_app()).put("/a b/caf%C3%A9?x=1&y=two")
    assert res.json() == {
        "method": "PUT",
        "path": "/a b/café",
        "raw_path": "/a%20b/caf%C3%A9",
        "url": "http://testserver/a%20b/caf%C3%A9?x=1&y=two",
        "query": {"x": ["1"], "y": ["two"]},
    }


async def test_query_is_a_multi_dict() -> None:
    app = hp.harpia()

    @app.get("/q")
    def q(req: Request, res: Response) -> dict[str, Any]:
        return {
            "first": req.query.get("tag"),
            "all": req.query.getall("tag"),
            "missing": req.query.get("nope"),
            "missing_all": req.query.getall("nope"),
            "default": req.query.get("nope", "dflt"),
            "blank": req.query.get("blank"),
            "decoded": req.query["text"],
            "len": len(req.query),
        }

    res = await TestClient(app).get("/q?tag=a&blank=&text=caf%C3%A9+ok%26").query("tag", "b")
    assert res.json() == {
        "first": "a",
        "all": ["a", "b"],
        "missing": None,
        "missing_all": [],
        "default": "dflt",
        "blank": "",
        "decoded": "café ok&",
        "len": 3,
    }


async def test_params_are_decoded_and_encoded_slash_stays_inside() -> None:
    app = hp.harpia()
    app.get("/files/:name", lambda req, res: {"name": req.params["name"]})
    app.get("/users/:user/posts/:post", lambda req, res: dict(req.params))
    client = TestClient(app)
    assert (await client.get("/files/a%2Fb")).json() == {"name": "a/b"}
    assert (await client.get("/files/caf%C3%A9%20x")).json() == {"name": "café x"}
    assert (await client.get("/files/a/b")).status == 404
    assert (await client.get("/users/ann/posts/7")).json() == {"user": "ann", "post": "7"}


async def test_headers_are_case_insensitive() -> None:
    app = hp.harpia()

    @app.get("/h")
    def h(req: Request, res: Response) -> dict[str, Any]:
        return {
            "lower": req.headers.get("x-token"),
            "upper": req.headers["X-TOKEN"],
            "in": "X-Token" in req.headers,
            "host": req.headers.get("host"),
            "absent": req.headers.get("x-absent"),
        }

    res = await TestClient(app).get("/h").set("X-Token", "t1")
    assert res.json() == {
        "lower": "t1",
        "upper": "t1",
        "in": True,
        "host": "testserver",
        "absent": None,
    }


async def test_repeated_headers_through_the_pipeline() -> None:
    app = hp.harpia()
    app.get("/", lambda req, res: req.headers.getall("X-Multi"))
    request = Request(
        "GET", "/", "", [(b"x-multi", b"1"), (b"x-other", b"o"), (b"x-multi", b"2")], app=app
    )
    res = await app.handle(request)
    assert res.body == b'["1","2"]'


async def test_cookies_on_the_request() -> None:
    app = hp.harpia()

    @app.get("/c")
    def c(req: Request, res: Response) -> dict[str, Any]:
        return {
            "one": req.cookies.get("one"),
            "none": req.cookies.get("x"),
            **req.cookies.get_all(),
        }

    res = await TestClient(app).get("/c").cookie("one", "1").cookie("two", "caf%C3%A9")
    assert res.json() == {"one": "1", "none": None, "two": "café"}


async def test_ip_is_the_peer_unless_the_proxy_is_trusted() -> None:
    for trust, expected in ((False, "127.0.0.1"), (True, "203.0.113.9")):
        app = hp.Harpia(trust_proxy=trust)
        app.get("/ip", lambda req, res: {"ip": req.ip})
        client = TestClient(app)
        res = await client.get("/ip").set("X-Forwarded-For", "203.0.113.9, 10.0.0.1")
        assert res.json() == {"ip": expected}
        assert (await client.get("/ip")).json() == {"ip": "127.0.0.1"}


async def test_ip_from_the_client_address() -> None:
    app = hp.harpia()
    app.get("/ip", lambda req, res: {"ip": req.ip})
    res = await TestClient(app, client=("10.1.2.3", 1234)).get("/ip")
    assert res.json() == {"ip": "10.1.2.3"}


async def test_body_text_and_json() -> None:
    app = hp.harpia()

    @app.post("/raw")
    async def raw(req: Request, res: Response) -> None:
        body = await req.body()
        assert await req.body() is body  # cached
        res.send(body)

    @app.post("/text")
    async def text(req: Request, res: Response) -> str:
        return (await req.text()).upper()

    @app.post("/json")
    async def json(req: Request, res: Response) -> Any:
        return {"got": await req.json()}

    client = TestClient(app)
    assert (await client.post("/raw").send(b"\x00\xff")).content == b"\x00\xff"
    assert (await client.post("/text").send("héllo")).text() == "HÉLLO"
    latin = await client.post("/text").send("é".encode("latin-1"), "text/plain; charset=latin-1")
    assert latin.text() == "É"
    assert (await client.post("/json").json({"a": [1, None]})).json() == {"got": {"a": [1, None]}}


@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe"])
async def test_malformed_json_is_400(body: bytes) -> None:
    app = hp.harpia()

    @app.post("/json")
    async def handler(req: Request, res: Response) -> Any:
        return await req.json()

    res = await TestClient(app).post("/json").send(body, "application/json")
    assert res.status == 400
    assert res.json()["status"] == 400


async def test_undecodable_text_is_400() -> None:
    app = hp.harpia()

    @app.post("/t")
    async def handler(req: Request, res: Response) -> str:
        return await req.text()

    res = await TestClient(app).post("/t").send(b"\xff\xfe\xfa", "text/plain")
    assert res.status == 400


async def test_form() -> None:
    app = hp.harpia()

    @app.post("/form")
    async def handler(req: Request, res: Response) -> Any:
        form = await req.form()
        return {"name": form.get("name"), "tags": form.getall("tag")}

    client = TestClient(app)
    res = await client.post("/form").form_data({"name": "Ana Lú", "tag": ["a", "b&c"]})
    assert res.json() == {"name": "Ana Lú", "tags": ["a", "b&c"]}
    wrong = await client.post("/form").json({"name": "x"})
    assert wrong.status == 415


async def test_stream_yields_chunks_as_sent() -> None:
    app = hp.harpia()

    @app.post("/s")
    async def handler(req: Request, res: Response) -> Any:
        return [chunk.decode() async for chunk in req.stream()]

    async def chunks() -> AsyncIterator[bytes]:
        for part in (b"one", b"two", b"three"):
            yield part

    client = TestClient(app)
    assert (await client.post("/s").send(chunks())).json() == ["one", "two", "three"]
    assert (await client.post("/s").send([b"a", b"", b"b"])).json() == ["a", "b"]


async def test_stream_of_a_large_body_comes_in_several_chunks() -> None:
    app = hp.harpia()

    @app.post("/s")
    async def handler(req: Request, res: Response) -> Any:
        sizes = [len(chunk) async for chunk in req.stream()]
        return {"chunks": len(sizes), "total": sum(sizes)}

    res = await TestClient(app).post("/s").send(b"x" * 200_000)
    assert res.json()["total"] == 200_000
    assert res.json()["chunks"] > 1


async def test_stream_twice_is_an_error() -> None:
    app = hp.harpia()

    @app.post("/s")
    async def handler(req: Request, res: Response) -> Any:
        async for _ in req.stream():
            pass
        async for _ in req.stream():
            pass

    res = await TestClient(app).post("/s").send(b"abc")
    assert res.status == 500
    assert isinstance(res.response.error if res.response else None, RuntimeError)


async def test_state_is_per_request() -> None:
    app = hp.harpia()
    count: list[int] = []

    async def tag(req: Request, res: Response, next: Next) -> None:
        assert req.state == {}
        count.append(len(count))
        req.state["n"] = count[-1]
        await next()

    app.use(tag)
    app.get("/", lambda req, res: req.state)
    client = TestClient(app)
    assert (await client.get("/")).json() == {"n": 0}
    assert (await client.get("/")).json() == {"n": 1}


def limited_app(read: list[str]) -> hp.Harpia:
    app = hp.Harpia(max_request_body_size=10)

    async def reader(req: Request, res: Response) -> str:
        read.append(req.path)
        return f"{len(await req.body())}"

    app.post("/default", reader)
    app.post("/small", reader, max_body_size=3)
    app.post("/big", reader, max_body_size=100)
    return app


@pytest.mark.parametrize(
    ("path", "size", "status"),
    [
        ("/default", 10, 200),
        ("/default", 11, 413),
        ("/small", 3, 200),
        ("/small", 4, 413),
        ("/big", 100, 200),
        ("/big", 101, 413),
    ],
)
async def test_declared_length_over_the_limit_is_413_before_the_handler(
    path: str, size: int, status: int
) -> None:
    read: list[str] = []
    res = await TestClient(limited_app(read)).post(path).send(b"x" * size)
    assert res.status == status
    if status == 413:
        assert read == []  # refused before the handler ran
    else:
        assert res.text() == str(size)


async def test_chunked_body_over_the_limit_is_413_while_streaming() -> None:
    read: list[str] = []
    client = TestClient(limited_app(read))
    ok = await client.post("/default").send([b"12345", b"67890"])
    assert (ok.status, ok.text()) == (200, "10")
    res = await client.post("/default").send([b"12345", b"67890", b"!"])
    assert res.status == 413
    assert res.json()["status"] == 413


async def test_streaming_handler_sees_chunks_until_the_limit() -> None:
    app = hp.harpia()
    app.max_request_body_size = 8
    got: list[bytes] = []

    @app.post("/up")
    async def handler(req: Request, res: Response) -> None:
        async for chunk in req.stream():
            got.append(chunk)

    res = await TestClient(app).post("/up").send([b"1234", b"5678", b"9"])
    assert res.status == 413
    assert got == [b"1234", b"5678"]


async def test_invalid_content_length_is_400() -> None:
    app = hp.harpia()

    @app.post("/p")
    async def handler(req: Request, res: Response) -> str:
        return (await req.body()).decode()

    res = await TestClient(app).post("/p").send(b"abc").set("Content-Length", "x")
    assert res.status == 400


# -- unread: bytes pushed back in front of the body --------------------------------------


def chunked_receive(chunks: list[bytes]) -> Callable[[], Awaitable[bytes]]:
    pending = list(chunks)

    async def receive() -> bytes:
        return pending.pop(0) if pending else b""

    return receive


def consumed(req: Request) -> bool:
    return req.body_consumed  # a call: mypy does not narrow it between reads


async def test_unread_after_a_partial_read() -> None:
    req = Request("POST", "/", receive=chunked_receive([b"abc", b"def", b"ghi"]))
    req.body_limit = 9  # pushed-back bytes are not counted twice
    stream = req.stream()
    first = await anext(stream)
    await stream.aclose()
    req.unread(first[1:])
    assert not consumed(req)
    assert [chunk async for chunk in req.stream()] == [b"bc", b"def", b"ghi"]
    assert consumed(req)


async def test_unread_after_the_end_and_body_after_it() -> None:
    req = Request("POST", "/", receive=chunked_receive([b"abc", b"def"]))
    req.body_limit = 6
    seen = [chunk async for chunk in req.stream()]
    assert consumed(req)
    req.unread(b"".join(seen))
    assert not consumed(req)
    assert await req.body() == b"abcdef"
    req.unread(b"abc")  # cached: stream() yields the whole body anyway
    assert [chunk async for chunk in req.stream()] == [b"abcdef"]


async def test_unread_more_than_read_is_an_error() -> None:
    req = Request("POST", "/", receive=chunked_receive([b"abc"]))
    with pytest.raises(ValueError, match="only 0 were read"):
        req.unread(b"x")
    req.unread(b"")  # nothing to push back: fine
    assert await req.body() == b"abc"


async def test_unread_keeps_the_body_limit() -> None:
    req = Request("POST", "/", receive=chunked_receive([b"abc", b"def", b"g"]))
    req.body_limit = 6
    stream = req.stream()
    await anext(stream)
    await stream.aclose()
    req.unread(b"abc")
    with pytest.raises(hp.HTTPError) as caught:
        await req.body()
    assert caught.value.status == 413


def form_app(**options: Any) -> hp.Harpia:
    app = hp.Harpia(**options)

    @app.post("/form")
    async def read(req: Request, res: Response) -> Any:
        return {"fields": len((await req.form()).multi_items())}

    @app.post("/small")
    async def small(req: Request, res: Response) -> Any:
        return {"fields": len((await req.form(max_fields=3, max_size=20)).multi_items())}

    return app


URLENCODED = "application/x-www-form-urlencoded"


def fields(count: int) -> bytes:
    return b"&".join(b"f%d=v" % i for i in range(count))


async def test_urlencoded_forms_are_capped_by_field_count() -> None:
    client = TestClient(form_app(max_form_fields=10))
    ok = await client.post("/form").send(fields(10), URLENCODED)
    assert ok.json() == {"fields": 10}
    res = await client.post("/form").send(fields(11), URLENCODED)
    assert res.status == 413
    assert res.json()["error"] == "form has more than 10 fields (max_form_fields)"
    default = await TestClient(form_app()).post("/form").send(fields(1001), URLENCODED)
    assert default.status == 413  # 1000 by default


async def test_urlencoded_forms_are_capped_by_size_declared_or_streamed() -> None:
    client = TestClient(form_app(max_form_size=100))
    body = b"a=" + b"x" * 98
    assert (await client.post("/form").send(body, URLENCODED)).json() == {"fields": 1}
    res = await client.post("/form").send(body + b"x", URLENCODED)  # Content-Length: 101
    assert res.status == 413
    assert res.json()["error"] == "form larger than 100 bytes (max_form_size)"
    res = await client.post("/form").send([b"a=" + b"x" * 60, b"x" * 60], URLENCODED)  # chunked
    assert res.status == 413
    default = await TestClient(form_app()).post("/form").send(b"a=" + b"x" * 2**20, URLENCODED)
    assert default.status == 413  # 1 MiB by default


async def test_form_limits_per_call() -> None:
    client = TestClient(form_app())
    assert (await client.post("/small").send(b"a=1&b=2&c=3", URLENCODED)).status == 200
    assert (await client.post("/small").send(b"a=1&b=2&c=3&d=4", URLENCODED)).status == 413
    assert (await client.post("/small").send(b"a=" + b"x" * 19, URLENCODED)).status == 413


async def test_form_limit_arguments_are_checked() -> None:
    app = hp.harpia()

    @app.post("/f")
    async def read(req: Request, res: Response) -> Any:
        with pytest.raises(ValueError, match="max_fields must be a positive int"):
            await req.form(max_fields=0)
        with pytest.raises(ValueError, match="max_size must be a positive int"):
            await req.form(max_size=-1)
        return "ok"

    assert (await TestClient(app).post("/f").send(b"a=1", URLENCODED)).status == 200


def multipart(parts: list[tuple[str, bytes]], preamble: bytes = b"") -> bytes:
    body = preamble
    for name, value in parts:
        body += b'--B\r\ncontent-disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (
            name.encode(),
            value,
        )
    return body + b"--B--\r\n"


MULTIPART = "multipart/form-data; boundary=B"


async def test_multipart_forms_are_capped_by_part_count_and_field_bytes() -> None:
    client = TestClient(form_app(max_form_fields=5, max_form_size=100))
    five = multipart([(f"f{i}", b"v") for i in range(5)])
    assert (await client.post("/form").send(five, MULTIPART)).json() == {"fields": 5}
    six = multipart([(f"f{i}", b"v") for i in range(6)])
    res = await client.post("/form").send(six, MULTIPART)
    assert res.status == 413
    assert res.json()["error"] == "form has more than 5 fields (max_form_fields)"
    big = multipart([("a", b"x" * 60), ("b", b"y" * 60)])
    res = await client.post("/form").send(big, MULTIPART)
    assert (res.status, res.json()["error"]) == (413, "form larger than 100 bytes (max_form_size)")


async def test_a_multipart_preamble_is_ignored() -> None:
    client = TestClient(form_app())
    for preamble in (b"This is a preamble.\r\n", b"\r\n", b"--Bnot-the-boundary\r\nx\r\n" * 3):
        body = multipart([("a", b"1"), ("b", b"2")], preamble)
        res = await client.post("/form").send([body[:5], body[5:9], body[9:]], MULTIPART)
        assert res.json() == {"fields": 2}, preamble
    res = await client.post("/form").send(b"only a preamble, no boundary", MULTIPART)
    assert res.status == 400


@pytest.mark.parametrize(
    "preamble", [b"", b"\r\n", b"text\r\n", b"--Bx\r\n--B-\r\n", b"a\r\n--B", b"\r\n--B \r\n"]
)
def test_preamble_skipping_at_every_split(preamble: bytes) -> None:
    from harpia._multipart import Preamble

    rest = b'--B\r\ncontent-disposition: form-data; name="a"\r\n\r\n1\r\n--B--\r\n'
    if preamble.endswith(b"--B"):  # "--B" then CRLF: the delimiter starts in the preamble
        expected = b"--B" + rest[3:]
        body = preamble + rest[3:]
    elif preamble.endswith(b"--B \r\n"):
        expected, body = preamble[2:] + rest, preamble + rest
    else:
        expected, body = rest, preamble + rest
    for cut in range(len(body) + 1):
        for second in (cut, min(cut + 3, len(body))):
            skipper = Preamble(b"B")
            out = b"".join(skipper.feed(p) for p in (body[:cut], body[cut:second], body[second:]))
            assert out == expected, (cut, second)
