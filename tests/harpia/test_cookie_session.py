"""CookieSession (signed cookies, no store) and flash messages on every session backend."""

from __future__ import annotations

import base64
import json
import logging
import time
from typing import TYPE_CHECKING, Any

import anyio
import pytest

from harpia import (
    CookieSession,
    Flash,
    Request,
    Response,
    Session,
    SessionTooLarge,
    TestClient,
    harpia,
)
from tests.support.stores import memory_or_redis

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from harpia import Harpia

NEW = "n" * 32 + "-new-secret"
OLD = "o" * 32 + "-old-secret"


def build(session: CookieSession | Session) -> Harpia:
    app = harpia()
    app.use(session.middleware())

    @app.post("/put")
    async def put(req: Request, res: Response) -> dict[str, Any]:
        req.session.update(await req.json())
        return req.session.to_dict()

    @app.get("/get")
    def get(req: Request, res: Response) -> dict[str, Any]:
        return {"data": dict(req.session), "id": req.session.id}

    @app.get("/nothing")
    def nothing(req: Request, res: Response) -> str:
        return "no session used"

    @app.post("/logout")
    def logout(req: Request, res: Response) -> None:
        req.session.clear()

    @app.post("/login")
    async def login(req: Request, res: Response) -> dict[str, Any]:
        new_id = await session.regenerate(req, res)
        req.session["user"] = "ann"
        return {"id": new_id}

    @app.post("/flash")
    async def add_flash(req: Request, res: Response) -> None:
        for item in await req.json():
            req.flash(item["message"], item.get("category", "info"))

    @app.get("/flashes")
    def read_flashes(req: Request, res: Response) -> list[Flash]:
        wanted = req.query.getall("category")
        return req.flashes(*wanted)

    return app


def payload_of(cookie: str) -> dict[str, Any]:
    body = cookie.rsplit(".", 1)[0]
    loaded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return loaded


async def test_data_round_trips_in_a_signed_cookie() -> None:
    client = TestClient(build(CookieSession(NEW)))
    first = await client.post("/put").json({"user": "ann", "cart": [1, 2]})
    header = first.headers["set-cookie"]
    assert header.startswith("session=")
    assert "; Path=/; HttpOnly; SameSite=Lax" in header
    assert "Max-Age" not in header  # ttl=None: a browser-session cookie
    assert first.headers["vary"] == "Cookie"
    cookie = client.cookies["session"]
    assert payload_of(cookie)["v"] == {"user": "ann", "cart": [1, 2]}
    again = await client.get("/get")
    assert again.json()["data"] == {"user": "ann", "cart": [1, 2]}
    assert again.json()["id"] == payload_of(cookie)["i"]
    assert "set-cookie" not in again.headers  # read, unchanged: nothing sent
    untouched = await client.get("/nothing")
    assert "set-cookie" not in untouched.headers
    assert "vary" not in untouched.headers


def escalate(cookie: str) -> str:
    """The same cookie with ``role`` changed to ``admin``, the signature kept."""
    body = payload_of(cookie)
    body["v"]["role"] = "admin"
    payload = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    return payload + "." + cookie.rsplit(".", 1)[1]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda c: escalate(c),
        lambda c: c[:-2] + ("AA" if not c.endswith("AA") else "BB"),
        lambda c: c.split(".")[0],
        lambda c: "garbage",
        lambda c: c + ".extra",
        lambda c: "." + c.split(".")[1],
    ],
)
async def test_a_tampered_cookie_is_a_new_empty_session(tamper: Any) -> None:
    client = TestClient(build(CookieSession(NEW)))
    await client.post("/put").json({"role": "user"})
    client.cookies["session"] = tamper(client.cookies["session"])
    assert (await client.get("/get")).json() == {"data": {}, "id": None}


async def test_a_forged_payload_signed_with_another_secret_is_refused() -> None:
    forged = CookieSession("x" * 40).encode({"role": "admin"})
    client = TestClient(build(CookieSession(NEW)))
    assert (await client.get("/get").cookie("session", forged)).json()["data"] == {}
    other_name = CookieSession(NEW, cookie_name="other").encode({"role": "admin"})
    assert (await client.get("/get").cookie("session", other_name)).json()["data"] == {}


async def test_a_rotated_secret_still_reads_and_the_next_change_signs_with_the_new() -> None:
    old_client = TestClient(build(CookieSession(OLD)))
    await old_client.post("/put").json({"user": "ann"})
    signed_old = old_client.cookies["session"]

    rotated = CookieSession([NEW, OLD])
    client = TestClient(build(rotated))
    client.cookies["session"] = signed_old
    assert (await client.get("/get")).json()["data"] == {"user": "ann"}
    await client.post("/put").json({"lang": "pt"})
    signed_new = client.cookies["session"]
    assert CookieSession(NEW).decode(signed_new) == {"user": "ann", "lang": "pt"}
    assert CookieSession(OLD).decode(signed_new) is None
    assert CookieSession(NEW).decode(signed_old) is None  # the old secret dropped: gone


async def test_an_oversized_session_is_a_500_naming_the_size(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = TestClient(build(CookieSession(NEW)))
    with caplog.at_level(logging.ERROR, logger="harpia"):
        res = await client.post("/put").json({"blob": "x" * 5000})
    assert res.status == 500
    assert "set-cookie" not in res.headers
    error = res.response.error if res.response is not None else None
    assert isinstance(error, SessionTooLarge)
    assert isinstance(error, ValueError)
    assert "would be 67" in str(error)
    assert "over its 4096-byte limit" in str(error)
    assert "SessionTooLarge" in caplog.text
    small = CookieSession(NEW, max_size=200)
    with pytest.raises(SessionTooLarge, match=r"'session' would be \d+ bytes, over its 200"):
        small._send(Response(), {"x": "y" * 200}, "id", None)


async def test_ttl_is_signed_into_the_cookie_and_enforced() -> None:
    session = CookieSession(NEW, ttl=60)
    client = TestClient(build(session))
    res = await client.post("/put").json({"user": "ann"})
    assert "Max-Age=60" in res.headers["set-cookie"]
    expires = payload_of(client.cookies["session"])["e"]
    assert time.time() + 55 < expires <= time.time() + 60
    expired = session.encode({"user": "ann"}, expires=time.time() - 1)
    assert session.decode(expired) is None
    assert (await client.get("/get").cookie("session", expired)).json()["data"] == {}
    # an update keeps the remaining time (the cookie says so) unless rolling
    await client.post("/put").json({"lang": "pt"})
    assert payload_of(client.cookies["session"])["e"] == expires


async def test_rolling_renews_the_cookie_on_each_use() -> None:
    session = CookieSession(NEW, ttl=60, rolling=True)
    client = TestClient(build(session))
    await client.post("/put").json({"user": "ann"})
    first = payload_of(client.cookies["session"])
    await anyio.sleep(0.01)
    again = await client.get("/get")
    assert "Max-Age=60" in again.headers["set-cookie"]
    second = payload_of(client.cookies["session"])
    assert second["e"] > first["e"]
    assert second["i"] == first["i"]


async def test_clear_deletes_the_cookie_and_regenerate_gives_a_new_id() -> None:
    client = TestClient(build(CookieSession(NEW)))
    await client.post("/put").json({"cart": [1]})
    old_id = (await client.get("/get")).json()["id"]
    login = await client.post("/login")
    new_id = login.json()["id"]
    assert new_id != old_id
    assert (await client.get("/get")).json() == {
        "data": {"cart": [1], "user": "ann"},
        "id": new_id,
    }
    out = await client.post("/logout")
    assert out.headers["set-cookie"].startswith("session=; Path=/; Max-Age=0")
    assert "session" not in client.cookies
    assert (await client.get("/get")).json() == {"data": {}, "id": None}


async def test_secure_follows_the_request_scheme() -> None:
    app = build(CookieSession(NEW))
    plain = await TestClient(app).post("/put").json({"a": 1})
    assert "Secure" not in plain.headers["set-cookie"]
    https = await TestClient(app, base_url="https://site.test").post("/put").json({"a": 1})
    assert "; Secure" in https.headers["set-cookie"]


@pytest.mark.parametrize(
    ("secrets", "error", "message"),
    [
        ("short", ValueError, "secret #1 is 5 bytes: use at least 32"),
        ([], ValueError, "at least one secret"),
        ([NEW, "tiny"], ValueError, "secret #2 is 4 bytes"),
        ([NEW, 42], TypeError, "secret #2 must be str or bytes"),
        (None, TypeError, "secrets must be a str, bytes or a list"),
    ],
)
def test_bad_secrets_are_refused(secrets: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        CookieSession(secrets)


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="ttl"):
        CookieSession(NEW, ttl=0)
    with pytest.raises(ValueError, match="max_size"):
        CookieSession(NEW, max_size=5000)
    with pytest.raises(TypeError, match="secure"):
        CookieSession(NEW, secure="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="preload"):
        CookieSession(NEW).middleware(preload=None)  # type: ignore[arg-type]


# -- flash messages, on every backend ----------------------------------------------------


@pytest.fixture(params=["cookie", "memory", pytest.param("redis", marks=pytest.mark.redis)])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[CookieSession | Session]:
    if request.param == "cookie":
        yield CookieSession(NEW)
        return
    async with memory_or_redis(request, "flash") as store:
        yield Session(store)


async def test_flashes_are_read_once(backend: CookieSession | Session) -> None:
    client = TestClient(build(backend))
    assert (await client.get("/flashes")).json() == []
    await client.post("/flash").json(
        [
            {"message": "Saved."},
            {"message": "Disk almost full", "category": "warning"},
            {"message": "Saved again."},
        ]
    )
    warnings = await client.get("/flashes?category=warning")
    assert warnings.json() == [["warning", "Disk almost full"]]
    rest = await client.get("/flashes")
    assert rest.json() == [["info", "Saved."], ["info", "Saved again."]]
    assert (await client.get("/flashes")).json() == []
    assert (await client.get("/get")).json()["data"] == {}  # nothing left in the session


async def test_flash_needs_a_session_and_strings() -> None:
    app = harpia()

    @app.get("/")
    def home(req: Request, res: Response) -> None:
        req.flash("hi")

    res = await TestClient(app).get("/")
    assert res.status == 500
    assert res.response is not None
    assert "session middleware" in str(res.response.error)
    app2 = build(CookieSession(NEW))
    bad = await TestClient(app2).post("/flash").json([{"message": 42}])
    assert bad.status == 500
    assert bad.response is not None
    assert isinstance(bad.response.error, TypeError)


def test_flash_is_a_pair() -> None:
    category, message = Flash("error", "Nope")
    assert (category, message) == ("error", "Nope")
    assert Flash("info", "x").message == "x"


async def test_csrf_binds_its_tokens_to_a_cookie_session_and_lazy_mode_loads_at_once() -> None:
    from harpia import CSRF, MemoryStore

    app = harpia()
    app.use(CookieSession(NEW).middleware(preload=False))  # nothing to read: no-op
    app.use(CSRF(MemoryStore()).middleware())

    @app.post("/login")
    async def login(req: Request, res: Response) -> None:
        await req.session.load()
        req.session["user"] = "ann"

    @app.get("/form")
    def form(req: Request, res: Response) -> dict[str, Any]:
        return {"token": req.csrf_token, "session": req.session.id}

    @app.post("/transfer")
    def transfer(req: Request, res: Response) -> str:
        return f"sent by {req.session['user']}"

    client = TestClient(app)
    anonymous = (await client.get("/form")).json()["token"]
    assert (await client.post("/login").set("X-CSRF-Token", anonymous)).status == 204
    page = (await client.get("/form")).json()
    assert page["session"] == payload_of(client.cookies["session"])["i"]
    ok = await client.post("/transfer").set("X-CSRF-Token", page["token"])
    assert ok.text() == "sent by ann"
    assert (await client.post("/transfer")).status == 403
