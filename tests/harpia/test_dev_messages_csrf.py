"""CSRF says what went wrong: each 403 names its real cause; ``exempt=``; a
``req.csrf_token`` without the middleware raises with the fix."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio
import pytest

from harpia import CSRF, MemoryStore, Request, Response, Session, TestClient, harpia
from harpia._csrf import MISMATCH, NO_COOKIE, NO_TOKEN
from harpia._request import NO_CSRF
from tests.harpia.session_app import make_app

if TYPE_CHECKING:
    from harpia import Harpia


def test_the_messages_read_as_documented() -> None:
    assert NO_TOKEN == (
        "CSRF check failed: no CSRF token in the request "
        "(send it as the _csrf form field or the X-CSRF-Token header)"
    )
    assert NO_COOKIE == (
        "CSRF check failed: no session/CSRF cookie "
        "(the form was not rendered by this site, or cookies are blocked)"
    )
    assert MISMATCH == (
        "CSRF check failed: CSRF token does not match "
        "(it was issued to another session or visitor, or altered): reload the form"
    )
    assert NO_CSRF == (
        "req.csrf_token needs the CSRF middleware: add app.use(csrf.middleware()) "
        "(csrf = harpia.CSRF(store), after the session middleware)"
    )


async def test_a_json_post_without_token_is_told_the_token_is_missing() -> None:
    """The issue's case: a JSON API POST under a global CSRF middleware, no cookie at all."""
    client = TestClient(make_app(Session(MemoryStore()), CSRF(MemoryStore())))
    for request in (
        client.post("/transfer").json({"amount": 3}),
        client.post("/transfer"),
        client.post("/transfer").form_data({"amount": "3"}),
        client.post("/transfer").form_data({"_csrf": ""}),
        client.put("/transfer").set("X-CSRF-Token", ""),
    ):
        reply = await request
        assert (reply.status, reply.json()["error"]) == (403, NO_TOKEN)


async def test_a_token_without_any_cookie_names_the_cookie() -> None:
    client = TestClient(make_app(Session(MemoryStore()), CSRF(MemoryStore())))
    token = (await client.get("/form")).json()["token"]  # sets csrf_id in this client
    stranger = TestClient(client.app)  # no cookies: a form posted from elsewhere
    for request in (
        stranger.post("/transfer").form_data({"_csrf": token}),
        stranger.post("/transfer").set("X-CSRF-Token", token),
    ):
        reply = await request
        assert (reply.status, reply.json()["error"]) == (403, NO_COOKIE)


async def test_a_wrong_token_does_not_match_with_and_without_a_session() -> None:
    client = TestClient(make_app(Session(MemoryStore()), CSRF(MemoryStore())))
    anonymous = (await client.get("/form")).json()["token"]
    other = TestClient(client.app)
    await other.get("/form")  # its own csrf_id cookie
    reply = await other.post("/login").form_data({"_csrf": anonymous})
    assert (reply.status, reply.json()["error"]) == (403, MISMATCH)
    reply = await other.post("/login").form_data({"_csrf": "x" * 64})
    assert (reply.status, reply.json()["error"]) == (403, MISMATCH)
    await client.get("/count")  # a session now
    session_token = (await client.get("/form")).json()["token"]
    reply = await client.post("/transfer").set("X-CSRF-Token", anonymous)
    assert (reply.status, reply.json()["error"]) == (403, MISMATCH)
    reply = await client.post("/transfer").set("X-CSRF-Token", session_token)
    assert reply.json() == {"done": True}


async def test_a_session_whose_token_expired_is_told_so() -> None:
    client = TestClient(make_app(Session(MemoryStore()), CSRF(MemoryStore(), ttl=0.5)))
    await client.get("/count")
    token = (await client.get("/form")).json()["token"]
    await anyio.sleep(0.8)
    reply = await client.post("/transfer").set("X-CSRF-Token", token)
    assert (reply.status, reply.json()["error"]) == (
        403,
        "CSRF check failed: this session has no current CSRF token "
        "(it expired after 0.5 s or was never issued): reload the form",
    )


def exempt_app(exempt: Any) -> Harpia:
    app = harpia()
    app.use(Session(MemoryStore()).middleware())
    app.use(CSRF(MemoryStore()).middleware(exempt=exempt))

    async def ok(req: Request, res: Response) -> dict[str, Any]:
        return {"path": req.path, "method": req.method}

    for path in ("/api", "/api/books", "/apix", "/hook", "/hook/x", "/form"):
        app.post(path, ok)
        app.put(path, ok)
        app.delete(path, ok)
    app.get("/token", lambda req, res: {"token": req.csrf_token})
    return app


def bearer(req: Request) -> bool:
    return req.headers.get("authorization", "").startswith("Bearer ")


async def test_exempt_paths_prefixes_methods_and_predicates() -> None:
    client = TestClient(exempt_app(["/api/*", "/hook", "DELETE", bearer]))

    async def status(method: str, path: str, auth: str | None = None) -> int:
        request = getattr(client, method)(path)
        if auth is not None:
            request = request.set("Authorization", auth)
        reply = await request
        return int(reply.status)

    assert await status("post", "/api") == 200
    assert await status("post", "/api/books") == 200
    assert await status("put", "/api/books") == 200
    assert await status("post", "/apix") == 403  # a prefix is a whole segment
    assert await status("post", "/hook") == 200
    assert await status("post", "/hook/x") == 403  # exact path
    assert await status("delete", "/form") == 200  # method
    assert await status("post", "/form") == 403
    assert await status("post", "/form", "Bearer abc") == 200  # predicate
    assert await status("post", "/form", "Basic abc") == 403
    token = (await client.get("/token")).json()["token"]  # the token still works
    assert (await client.post("/form").set("X-CSRF-Token", token)).status == 200


async def test_exempt_takes_a_single_item_and_the_path_as_sent() -> None:
    client = TestClient(exempt_app("/api/*"))
    assert (await client.post("/api/books")).status == 200
    assert (await client.post("/%61pi/books")).status == 403  # not the sent path: checked
    client = TestClient(exempt_app(bearer))
    assert (await client.post("/form").set("Authorization", "Bearer t")).status == 200
    assert (await client.post("/form")).status == 403


@pytest.mark.parametrize(
    ("exempt", "error", "message"),
    [
        ("api", ValueError, "exempt 'api' is neither a path (/webhook, /api/*) nor a method (PUT)"),
        ("/api/*/x", ValueError, "exempt path '/api/*/x': only a trailing /* (a prefix)"),
        (["/a", 3], TypeError, "exempt items must be paths, methods or predicates"),
        (3, TypeError, "exempt must be a path, a method, a predicate (req) -> bool"),
    ],
)
def test_bad_exempt_names_the_culprit(exempt: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as caught:
        CSRF(MemoryStore()).middleware(exempt=exempt)
    assert str(caught.value).startswith(message)


async def test_csrf_token_without_the_middleware_raises_with_the_fix() -> None:
    app = harpia(development=True)
    app.use(Session(MemoryStore()).middleware())
    app.get("/form", lambda req, res: {"token": req.csrf_token})
    app.get("/plain", lambda req, res: "no token used")
    client = TestClient(app)
    reply = await client.get("/form")
    assert reply.status == 500
    assert NO_CSRF in reply.text()  # the development traceback names the fix
    assert (await client.get("/plain")).text() == "no token used"  # unaffected
    with pytest.raises(RuntimeError) as caught:
        _ = client.get("/form").build().csrf_token
    assert str(caught.value) == NO_CSRF
