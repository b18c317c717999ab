"""Cookies: Set-Cookie options, encoding round trips, deletion, invalid names, broken headers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import pytest

import harpia as hp
from harpia import Request, Response, TestClient


def set_cookie_app(**options: Any) -> hp.Harpia:
    app = hp.harpia()

    def handler(req: Request, res: Response) -> str:
        res.cookies.set("sid", "abc", **options)
        return "ok"

    app.get("/", handler)
    return app


@pytest.mark.parametrize(
    ("options", "header"),
    [
        ({}, "sid=abc; Path=/"),
        ({"path": None}, "sid=abc"),
        ({"path": "/admin"}, "sid=abc; Path=/admin"),
        ({"domain": "example.com"}, "sid=abc; Path=/; Domain=example.com"),
        ({"max_age": 3600}, "sid=abc; Path=/; Max-Age=3600"),
        (
            {"expires": datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)},
            "sid=abc; Path=/; Expires=Wed, 02 Jan 2030 03:04:05 GMT",
        ),
        (
            {"expires": datetime(2030, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2)))},
            "sid=abc; Path=/; Expires=Wed, 02 Jan 2030 03:04:05 GMT",
        ),
        ({"http_only": True}, "sid=abc; Path=/; HttpOnly"),
        ({"secure": True}, "sid=abc; Path=/; Secure"),
        ({"same_site": "Lax"}, "sid=abc; Path=/; SameSite=Lax"),
        ({"same_site": "Strict", "secure": True}, "sid=abc; Path=/; Secure; SameSite=Strict"),
        ({"same_site": "None"}, "sid=abc; Path=/; Secure; SameSite=None"),
        (
            {"http_only": True, "secure": True, "max_age": 60, "domain": "a.io"},
            "sid=abc; Path=/; Domain=a.io; Max-Age=60; HttpOnly; Secure",
        ),
    ],
)
async def test_set_cookie_options(options: dict[str, Any], header: str) -> None:
    res = await TestClient(set_cookie_app(**options)).get("/")
    assert res.headers.getall("set-cookie") == [header]


async def test_several_cookies_in_one_response() -> None:
    app = hp.harpia()

    def handler(req: Request, res: Response) -> str:
        res.cookies.set("a", "1")
        res.cookies.set("b", "2", http_only=True)
        res.cookies.set("a", "3")  # same name, path and domain: replaces
        res.cookies.set("a", "4", path="/other")
        return "ok"

    app.get("/", handler)
    res = await TestClient(app).get("/")
    assert res.headers.getall("set-cookie") == [
        "a=3; Path=/",
        "b=2; Path=/; HttpOnly",
        "a=4; Path=/other",
    ]


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        "",
        "with space",
        'quo"te',
        "comma,separated",
        "back\\slash",
        "pér cent%20",
        "日本語 ✓",
        "a=b=c",
        "+plus+",
        "100%",
    ],
)
async def test_values_round_trip_through_the_jar(value: str) -> None:
    app = hp.harpia()

    def set_it(req: Request, res: Response) -> str:
        res.cookies.set("v", value)
        return "set"

    app.get("/set", set_it)
    app.get("/get", lambda req, res: {"v": req.cookies.get("v"), "all": req.cookies.get_all()})
    client = TestClient(app)
    res = await client.get("/set")
    header = res.headers["set-cookie"]
    assert header.isascii()
    assert not any(ch in header.split(";")[0] for ch in ' ",\\')
    back = await client.get("/get")
    assert back.json() == {"v": value, "all": {"v": value}}


@pytest.mark.parametrize(
    "value",
    ["semi;colon", "line\r\nbreak", "sid\nSet-Cookie: x=1", "tab\there", "nul\x00", "\x7f"],
)
async def test_values_with_a_semicolon_or_control_characters_are_encoded(value: str) -> None:
    """As the original (encodeURIComponent): never refused, never a header split."""
    res = Response()
    res.cookies.set("v", value)
    (header,) = res.cookies.headers()
    assert header.isascii()
    assert header.isprintable()
    first = header.split("; ")[0]
    assert ";" not in first
    assert first == "v=" + quote(value, safe="-_.!~*'()")


@pytest.mark.parametrize(
    "name",
    ["with space", "semi;colon", "eq=ual", "naïve", "a,b", 'q"', "tab\t", "sid\r\nX-Evil: 1", "%"],
)
async def test_names_are_encoded_and_decoded(name: str) -> None:
    app = hp.harpia()

    def set_it(req: Request, res: Response) -> str:
        res.cookies.set(name, "v")
        return "set"

    app.get("/set", set_it)
    app.get("/get", lambda req, res: {"v": req.cookies.get(name), "all": req.cookies.get_all()})
    client = TestClient(app)
    header = (await client.get("/set")).headers["set-cookie"]
    assert header == f"{quote(name, safe='-_.!~*()' + chr(39))}=v; Path=/"
    assert (await client.get("/get")).json() == {"v": "v", "all": {name: "v"}}


@pytest.mark.parametrize("name", ["", "(x)", "a)"])
def test_invalid_names_raise(name: str) -> None:
    """Once encoded a name must still be a token: ``(`` and ``)`` stay as they are."""
    with pytest.raises(ValueError, match="invalid cookie name"):
        Response().cookies.set(name, "v")
    with pytest.raises(ValueError, match="invalid cookie name"):
        Response().cookies.delete(name)


def test_a_lone_surrogate_is_a_value_error_naming_the_cookie() -> None:
    with pytest.raises(ValueError, match="value of cookie 'v' holds a lone surrogate"):
        Response().cookies.set("v", "\ud800")
    with pytest.raises(TypeError, match="cookie name must be str"):
        Response().cookies.set(1, "v")  # type: ignore[arg-type]


@pytest.mark.parametrize("options", [{"max_age": "60"}, {"max_age": 1.5}, {"expires": 0}])
def test_badly_typed_options_raise(options: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        Response().cookies.set("ok", "v", **options)


async def test_invalid_cookie_in_a_handler_is_a_500_with_no_header() -> None:
    app = hp.harpia()

    def handler(req: Request, res: Response) -> None:
        res.cookies.set("(bad)", "v")

    app.get("/", handler)
    res = await TestClient(app).get("/")
    assert res.status == 500
    assert "set-cookie" not in res.headers


async def test_delete_expires_the_cookie() -> None:
    app = hp.harpia()

    def login(req: Request, res: Response) -> str:
        res.cookies.set("sid", "s1")
        res.cookies.set("theme", "dark")
        return "in"

    def logout(req: Request, res: Response) -> str:
        res.cookies.delete("sid")
        return "out"

    app.get("/login", login)
    app.get("/logout", logout)
    app.get("/who", lambda req, res: req.cookies.get_all())
    client = TestClient(app)
    await client.get("/login")
    assert (await client.get("/who")).json() == {"sid": "s1", "theme": "dark"}
    out = await client.get("/logout")
    header = out.headers["set-cookie"]
    assert header.startswith("sid=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT")
    assert (await client.get("/who")).json() == {"theme": "dark"}
    assert "sid" not in client.cookies


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("a=1; b=2", {"a": "1", "b": "2"}),
        ("a=1; broken; b=2", {"a": "1", "b": "2"}),
        ("=nameless; a=1", {"a": "1"}),
        ("bad name=1; a=1", {"a": "1"}),
        ("a=1;;; b=2;", {"a": "1", "b": "2"}),
        ('q="quoted"; a=%ZZ', {"q": "quoted", "a": "%ZZ"}),
        ("a=1; a=2", {"a": "1"}),
        ("x=caf%C3%A9; y=%FF", {"x": "café", "y": "\ufffd"}),
        ("caf%C3%A9=1; a%3Bb=%3B", {"café": "1", "a;b": ";"}),  # names decoded too
        ("", {}),
        (";;;", {}),
    ],
)
async def test_broken_cookie_headers_are_parsed_pair_by_pair(
    header: str, expected: dict[str, str]
) -> None:
    app = hp.harpia()
    app.get("/", lambda req, res: req.cookies.get_all())
    res = await TestClient(app).get("/").set("Cookie", header)
    assert res.status == 200
    assert res.json() == expected
