"""Return values (Flask tuples), JSON beyond JSON's types, req.json() messages (issue 18)."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import uuid
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

import harpia as hp
from harpia import Request, Response, TestClient, TestResponse


def error_of(res: TestResponse) -> BaseException | None:
    assert res.response is not None
    return res.response.error


async def fetch(handler: Any, path: str = "/") -> TestResponse:
    app = hp.harpia()
    app.get(path, handler)
    return await TestClient(app).get(path)


# -- tuples, as in Flask ----------------------------------------------------------------


async def test_body_and_status() -> None:
    res = await fetch(lambda req, res: ({"created": True}, 201))
    assert (res.status, res.json()) == (201, {"created": True})
    assert res.headers["content-type"] == "application/json"


async def test_body_status_and_headers() -> None:
    res = await fetch(
        lambda req, res: ("<p>moved</p>", 202, {"X-Id": "7", "Cache-Control": "no-store"})
    )
    assert (res.status, res.text()) == (202, "<p>moved</p>")
    assert (res.headers["x-id"], res.headers["cache-control"]) == ("7", "no-store")


async def test_body_and_headers_as_pairs_keep_repeats() -> None:
    res = await fetch(lambda req, res: (b"\x00", [("Link", "<a>"), ("Link", "<b>"), ("X-A", "1")]))
    assert (res.status, res.content) == (200, b"\x00")
    assert res.headers.getall("link") == ["<a>", "<b>"]
    assert res.headers["x-a"] == "1"


async def test_a_response_in_a_tuple_takes_the_tuple_status() -> None:
    res = await fetch(lambda req, res: (Response("made", status=200), 201, {"X-A": "1"}))
    assert (res.status, res.text(), res.headers["x-a"]) == (201, "made", "1")


async def test_tuple_headers_replace_what_the_handler_set() -> None:
    def handler(req: Request, res: Response) -> tuple[str, dict[str, str]]:
        res.header("x-a", "old")
        return "x", {"X-A": "new"}

    res = await fetch(handler)
    assert res.headers.getall("x-a") == ["new"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (("a", 201, {}, "extra"), "got 4 items at route GET /"),
        ((("a", 1), 201), "cannot be a tuple"),
        (("a", 99), "status must be an int from 100 to 599"),
        (("a", 200, 5), "the headers of a returned tuple must be a mapping or (name, value)"),
        ((1, 201), "not int at route GET /"),
    ],
)
async def test_bad_tuples_are_500s_naming_the_mistake(value: Any, message: str) -> None:
    res = await fetch(lambda req, res: value)
    assert res.status == 500
    assert message in str(error_of(res))


async def test_an_invalid_return_value_names_the_forms_and_the_route() -> None:
    res = await fetch(lambda req, res: 42, "/answer")
    assert res.status == 500
    message = str(error_of(res))
    assert "a handler may return None, dict, list, str, bytes, a Response or a tuple" in message
    assert "not int at route GET /answer" in message
    assert "res.status(code)" in message


# -- JSON -------------------------------------------------------------------------------


class Color(enum.Enum):
    RED = "red"
    BLUE = 2


@dataclasses.dataclass
class Book:
    title: str
    published: datetime.date
    tags: list[str]


async def test_res_json_encodes_common_python_types() -> None:
    when = datetime.datetime(2024, 5, 17, 8, 30, 5, 123000, tzinfo=datetime.UTC)
    payload = {
        "datetime": when,
        "naive": datetime.datetime(2024, 1, 2, 3, 4, 5),
        "date": datetime.date(2024, 5, 17),
        "time": datetime.time(8, 30),
        "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "decimal": Decimal("19.90"),
        "enum": Color.RED,
        "enum_int": Color.BLUE,
        "book": Book("Dune", datetime.date(1965, 8, 1), ["sf"]),
        "path": Path("static") / "a.css",
        "posix": PurePosixPath("/srv/x"),
        "nested": [{"at": datetime.date(2000, 1, 1)}],
    }
    res = await fetch(lambda req, res: payload)
    assert res.status == 200
    assert res.json() == {
        "datetime": "2024-05-17T08:30:05.123000+00:00",
        "naive": "2024-01-02T03:04:05",
        "date": "2024-05-17",
        "time": "08:30:00",
        "uuid": "12345678-1234-5678-1234-567812345678",
        "decimal": "19.90",  # a string: exact (as Flask, DRF and pydantic encode it)
        "enum": "red",
        "enum_int": 2,
        "book": {"title": "Dune", "published": "1965-08-01", "tags": ["sf"]},
        "path": str(Path("static") / "a.css"),
        "posix": "/srv/x",
        "nested": [{"at": "2000-01-01"}],
    }


async def test_plain_json_is_unchanged() -> None:
    data = {"s": "é\u2028", "i": 1, "f": 1.5, "b": True, "n": None, "l": [1, "2"], "t": (1, 2)}
    assert (
        Response(data).body
        == b'{"s":"\\u00e9\\u2028","i":1,"f":1.5,"b":true,"n":null,"l":[1,"2"],"t":[1,2]}'
    )


class Opaque:
    pass


@pytest.mark.parametrize(
    ("value", "name"),
    [({"x": Opaque()}, "tests.harpia.test_dev_results.Opaque"), ([{1, 2}], "set"), (b"x", None)],
)
async def test_an_unknown_type_names_the_type_and_the_route(value: Any, name: str | None) -> None:
    app = hp.harpia()

    @app.get("/items/:id")
    def show(req: Request, res: Response) -> None:
        res.json(value)

    res = await TestClient(app).get("/items/1")
    assert res.status == 500
    error = error_of(res)
    assert isinstance(error, TypeError)
    message = str(error)
    if name is not None:
        assert f"Object of type {name} is not JSON serializable" in message
    assert "at route GET /items/:id" in message
    assert "convert it first" in message


def test_unknown_types_outside_a_request_still_raise_type_error() -> None:
    with pytest.raises(TypeError, match=r"Object of type \S*Opaque is not JSON serializable"):
        Response().json(Opaque())


# -- req.json() -------------------------------------------------------------------------


async def post_json_route(content_type: str | None, body: bytes) -> TestResponse:
    app = hp.harpia()

    @app.post("/")
    async def read(req: Request, res: Response) -> Any:
        return {"got": await req.json()}

    builder = TestClient(app).post("/")
    if content_type is None:
        return await builder.send(body)
    return await builder.send(body, content_type)


async def test_req_json_on_a_form_says_the_content_type() -> None:
    res = await post_json_route("application/x-www-form-urlencoded", b"a=1&b=2")
    assert res.status == 400
    assert res.json()["error"] == (
        "expected application/json, got application/x-www-form-urlencoded: the body is not JSON"
    )


async def test_req_json_on_an_empty_body_says_so() -> None:
    for content_type in ("application/json", None):
        res = await post_json_route(content_type, b"")
        assert res.status == 400
        assert res.json()["error"] == "malformed JSON body: empty body"


async def test_req_json_malformed_still_names_the_parser_error() -> None:
    res = await post_json_route("application/json", b"{oops")
    assert res.status == 400
    assert res.json()["error"].startswith("malformed JSON body: Expecting property name")


async def test_req_json_accepts_valid_json_whatever_the_declared_type() -> None:
    """Lenient like Starlette: a JSON body sent as text/plain (fetch's default) parses."""
    for content_type in ("text/plain;charset=UTF-8", "application/vnd.api+json", None):
        res = await post_json_route(content_type, b'{"a": 1}')
        assert (res.status, res.json()) == (200, {"got": {"a": 1}})
