"""Response: status, headers, send/json/html/text, redirect and streaming bodies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

import harpia as hp
from harpia import Request, Response, TestClient

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


async def fetch(handler: Any, method: str = "get") -> Any:
    app = hp.harpia()
    getattr(app, method)("/", handler)
    return await getattr(TestClient(app), method)("/")


async def test_status_chains_into_json() -> None:
    res = await fetch(lambda req, res: res.status(201).json({"id": 1}))
    assert res.status == 201
    assert res.headers["content-type"] == "application/json"
    assert res.json() == {"id": 1}


async def test_json_is_compact_and_round_trips_non_ascii() -> None:
    res = await fetch(lambda req, res: res.json({"name": "Zoë", "n": [1, 2]}))
    assert res.content.startswith(b'{"name":"Zo')
    assert res.content.endswith(b'","n":[1,2]}')
    assert res.json() == {"name": "Zoë", "n": [1, 2]}
    assert res.headers["content-length"] == str(len(res.content))


def test_json_rejects_what_it_cannot_encode() -> None:
    with pytest.raises(TypeError, match="Object of type set is not JSON serializable"):
        Response().json({"tags": {"a"}})


async def test_json_failures_are_500s_and_the_encoder_recovers() -> None:
    cycle: list[Any] = []
    cycle.append(cycle)
    app = hp.harpia()
    app.get("/set", lambda req, res: res.json({"tags": {"a"}}))
    app.get("/cycle", lambda req, res: res.json(cycle))
    app.get("/ok", lambda req, res: res.json({"nested": [{"a": 1}, {"a": 1}]}))
    client = TestClient(app)
    assert (await client.get("/set")).status == 500
    assert (await client.get("/cycle")).status == 500
    # the encoder keeps no state from a failed call: shared sub-objects are not cycles
    res = await client.get("/ok")
    assert res.status == 200
    assert res.json() == {"nested": [{"a": 1}, {"a": 1}]}


async def test_header_and_headers() -> None:
    def handler(req: Request, res: Response) -> None:
        res.header("X-One", "1").header("x-one", "uno")
        res.headers.add("X-Many", "a")
        res.headers.add("X-Many", "b")
        res.text("ok")

    res = await fetch(handler)
    assert res.headers.getall("x-one") == ["uno"]
    assert res.headers.getall("x-many") == ["a", "b"]


@pytest.mark.parametrize("value", ["a\r\nInjected: 1", "a\nb", "a\0"])
def test_header_values_cannot_break_the_response(value: str) -> None:
    with pytest.raises(ValueError):
        Response().header("x-bad", value)
    with pytest.raises(ValueError):
        Response().header(value, "v")


@pytest.mark.parametrize("name", ["bad name", "a:b", "naïve", "", "tab\t"])
def test_header_names_must_be_tokens(name: str) -> None:
    with pytest.raises(ValueError, match="header name must be an HTTP token"):
        Response().header(name, "v")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (" leading", "must not start or end with a space or tab"),
        ("trailing ", "must not start or end with a space or tab"),
        ("form\x0cfeed", "must not contain control characters"),
        ("v\x0bt", "must not contain control characters"),
        ("日本", "must be latin-1 text"),
    ],
)
def test_header_values_must_be_valid_field_values(value: str, problem: str) -> None:
    with pytest.raises(ValueError, match=f"header 'x-bad': value {problem}"):
        Response().header("x-bad", value)


@pytest.mark.parametrize("char", [*(chr(c) for c in range(0x20) if c != 0x09), "\x7f"])
def test_every_control_character_is_refused_by_every_setter(char: str) -> None:
    value = f"a{char}b"
    for setter in (
        lambda: Response().header("X-Ctl", value),
        lambda: Response().headers.set("X-Ctl", value),
        lambda: Response().headers.add("X-Ctl", value),
        lambda: Response().headers.setdefault("X-Ctl", value),
        lambda: Response(headers={"X-Ctl": value}),
        lambda: Response().send("x", content_type=value),
    ):
        with pytest.raises(ValueError, match=r"header '(X-Ctl|content-type)': value must not"):
            setter()


@pytest.mark.parametrize("value", ["", "a b\tc", "café", "x=1; y=2", "obs-text \x80\xff"])
async def test_valid_header_values_reach_the_client(value: str) -> None:
    res = await fetch(lambda req, res: res.header("x-v", value).text("ok"))
    assert res.headers["x-v"] == value


def test_constructor_checks_the_status() -> None:
    with pytest.raises(ValueError, match="status must be an int"):
        Response(status=1000)
    assert Response(status=201).status_code == 201


@pytest.mark.parametrize("code", [99, 600, "200", True, 200.0])
def test_status_must_be_a_valid_code(code: Any) -> None:
    with pytest.raises(ValueError):
        Response().status(code)


@pytest.mark.parametrize(
    ("method", "content", "content_type"),
    [
        ("send", "<p>x</p>", "text/html; charset=utf-8"),
        ("send", b"\x01\x02", "application/octet-stream"),
        ("html", "<p>x</p>", "text/html; charset=utf-8"),
        ("text", "plain é", "text/plain; charset=utf-8"),
    ],
)
async def test_body_helpers(method: str, content: str | bytes, content_type: str) -> None:
    res = await fetch(lambda req, res: getattr(res, method)(content))
    assert res.status == 200
    assert res.headers["content-type"] == content_type
    expected = content.encode() if isinstance(content, str) else content
    assert res.content == expected
    assert res.headers["content-length"] == str(len(expected))


async def test_send_keeps_a_content_type_set_before() -> None:
    res = await fetch(lambda req, res: res.header("Content-Type", "text/csv").send("a,b"))
    assert res.headers.getall("content-type") == ["text/csv"]
    assert res.text() == "a,b"


def test_send_rejects_other_types() -> None:
    with pytest.raises(TypeError):
        Response().send(123)  # type: ignore[arg-type]


async def test_redirect_defaults_to_302() -> None:
    res = await fetch(lambda req, res: res.redirect("/login?next=%2F"))
    assert res.status == 302
    assert res.headers["location"] == "/login?next=%2F"
    assert res.content == b""


@pytest.mark.parametrize("status", [301, 303, 307, 308])
async def test_redirect_with_a_status(status: int) -> None:
    res = await fetch(lambda req, res: res.redirect("https://example.com/", status))
    assert (res.status, res.headers["location"]) == (status, "https://example.com/")


@pytest.mark.parametrize("status", [200, 304, 404, 399])
def test_redirect_rejects_non_redirect_status(status: int) -> None:
    with pytest.raises(ValueError):
        Response().redirect("/", status)


@pytest.mark.parametrize("url", ["/x\r\nSet-Cookie: evil=1", "/a\x00", "/a\x01b", "/a\x7f"])
def test_redirect_rejects_header_injection_and_control_characters(url: str) -> None:
    with pytest.raises(ValueError, match="redirect URL must not contain control characters"):
        Response().redirect(url)


@pytest.mark.parametrize(
    ("url", "location"),
    [
        ("/日本", "/%E6%97%A5%E6%9C%AC"),
        ("/a%2Fb?next=%2F&x=[1]#top", "/a%2Fb?next=%2F&x=[1]#top"),  # escapes, reserved kept
        ("/q?text=a b&p=100%", "/q?text=a%20b&p=100%25"),  # a stray % is escaped
        ("https://日本.example/パス", "https://xn--wgv71a.example/%E3%83%91%E3%82%B9"),
        ("/é?x=ü", "/%C3%A9?x=%C3%BC"),
    ],
)
async def test_redirect_percent_encodes_what_a_location_cannot_carry(
    url: str, location: str
) -> None:
    res = await fetch(lambda req, res: res.redirect(url))
    assert (res.status, res.headers["location"]) == (302, location)


async def test_stream_is_collected_by_the_client() -> None:
    async def numbers() -> AsyncIterator[bytes | str]:
        for n in range(5):
            yield f"{n};"
        yield b"end"

    res = await fetch(lambda req, res: res.stream(numbers(), content_type="text/plain"))
    assert res.status == 200
    assert res.content == b"0;1;2;3;4;end"
    assert res.headers["content-type"] == "text/plain"
    assert "content-length" not in res.headers


async def test_stream_with_status_and_headers() -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b"x" * 100_000
        yield b"y"

    def handler(req: Request, res: Response) -> None:
        res.status(207).header("x-stream", "1").stream(body())

    res = await fetch(handler)
    assert (res.status, res.headers["x-stream"], len(res.content)) == (207, "1", 100_001)
    assert res.headers["content-type"] == "application/octet-stream"


def test_stream_rejects_a_sync_iterable() -> None:
    with pytest.raises(TypeError):
        Response().stream([b"a"])  # type: ignore[arg-type]


async def test_response_constructor() -> None:
    assert Response({"a": 1}).body == b'{"a":1}'
    text = Response("hi", status=201, content_type="text/plain")
    assert (text.status_code, text.headers.get("content-type"), text.body) == (
        201,
        "text/plain",
        b"hi",
    )
    assert repr(text) == "<Response 201>"


async def test_a_second_body_is_an_error_not_a_silent_replacement() -> None:
    # It used to replace the first body; one response per request now (issue 18).
    def handler(req: Request, res: Response) -> None:
        res.json({"first": True})
        res.json({"second": True})

    res = await fetch(handler)
    assert res.status == 500
    assert isinstance(res.response.error, RuntimeError)
    assert "response already sent by res.json" in str(res.response.error)
