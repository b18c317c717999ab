"""CSRF: tokens bound to sessions, expiry, constant-time check, the middleware."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio
import pytest

from harpia import CSRF, MemoryStore, RedisStore, Session, TestClient
from harpia._csrf import NO_TOKEN
from harpia._session import new_id
from tests.harpia.session_app import make_app
from tests.support.stores import STORE_PARAMS, memory_or_redis

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from harpia_store import Store
    from tests.support.redis_server import RedisServer


@pytest.fixture(params=STORE_PARAMS)
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store[Any]]:
    async with memory_or_redis(request, "csrf", clear=False) as store:
        yield store


@pytest.fixture(params=[True, False], ids=["preload", "lazy"])
def preload(request: pytest.FixtureRequest) -> bool:
    """The session middleware's mode (a lazy session is loaded by the CSRF middleware)."""
    value: bool = request.param
    return value


async def test_generate_check_replace_delete(store: Store[Any]) -> None:
    csrf = CSRF(store)
    first = await csrf.generate("s1")
    assert len(first) >= 43
    assert await csrf.check("s1", first)
    second = await csrf.generate("s1")  # replaces the previous token
    assert second != first
    assert not await csrf.check("s1", first)
    assert await csrf.check("s1", second)
    assert not await csrf.check("s2", second)  # bound to its session
    assert not await csrf.check("s1", "")
    assert not await csrf.check("s1", second[:-1])
    await csrf.delete("s1")
    assert not await csrf.check("s1", second)


async def test_expired_token_fails(store: Store[Any]) -> None:
    csrf = CSRF(store, ttl=0.5)
    token = await csrf.generate("s1")
    assert await csrf.check("s1", token)
    await anyio.sleep(0.7)
    assert not await csrf.check("s1", token)


def test_bad_arguments() -> None:
    for ttl in (0, -1, True):
        with pytest.raises(ValueError, match="ttl"):
            CSRF(ttl=ttl)


async def test_check_uses_compare_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    import hmac

    calls: list[tuple[bytes, bytes]] = []

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return a == b

    monkeypatch.setattr(hmac, "compare_digest", spy)
    csrf = CSRF()
    token = await csrf.generate("s")
    assert await csrf.check("s", token)
    assert calls == [(token.encode(), token.encode())]


async def test_middleware(store: Store[Any], preload: bool) -> None:
    session = Session(store)
    csrf = CSRF(store)
    client = TestClient(make_app(session, csrf, preload=preload))
    refused = await client.post("/transfer")
    assert refused.status == 403
    assert refused.json()["error"] == NO_TOKEN
    await client.get("/count")  # starts a session (GET: no check)
    page = await client.get("/form")
    token = page.json()["token"]
    assert isinstance(token, str)
    assert "set-cookie" not in page.headers  # bound to the session, no extra cookie
    assert (await client.get("/form")).json()["token"] == token  # stable across requests
    missing = await client.post("/transfer")
    assert missing.status == 403
    assert missing.json()["error"].startswith("CSRF check failed: no CSRF token")
    wrong = await client.post("/transfer").set("X-CSRF-Token", "nope")
    assert wrong.status == 403
    assert "does not match" in wrong.json()["error"]
    assert (await client.post("/transfer").set("X-CSRF-Token", token)).json() == {"done": True}
    form = await client.post("/transfer").form_data({"_csrf": token, "amount": "3"})
    assert form.json() == {"done": True}
    for method in ("put", "patch", "delete"):
        assert (await getattr(client, method)("/transfer")).status == 403


async def test_visitor_without_session_gets_a_bound_token_only_when_read(
    store: Store[Any],
    preload: bool,
) -> None:
    session = Session(store)
    csrf = CSRF(store)
    client = TestClient(make_app(session, csrf, preload=preload))
    health = await client.get("/health")  # the token is not read: nothing made or stored
    assert "set-cookie" not in health.headers
    if isinstance(store, MemoryStore):
        assert await store.keys() == []
    page = await client.get("/form")  # a login form
    token = page.json()["token"]
    assert set(page.cookies) == {"csrf_id"}  # no session is created
    login = await client.post("/login").form_data({"_csrf": token, "user": "ann"})
    assert login.status == 200
    assert await session.get(login.cookies["session_id"]) == {"user": "ann"}
    other = TestClient(client.app)
    await other.get("/form")
    assert (await other.post("/login").form_data({"_csrf": token})).status == 403


async def test_other_sessions_token_is_refused(store: Store[Any], preload: bool) -> None:
    session = Session(store)
    csrf = CSRF(store)
    app = make_app(session, csrf, preload=preload)
    alice, mallory = TestClient(app), TestClient(app)
    await alice.get("/count")
    await mallory.get("/count")
    mallory_token = (await mallory.get("/form")).json()["token"]
    attack = await alice.post("/transfer").set("X-CSRF-Token", mallory_token)
    assert attack.status == 403


@pytest.mark.redis
async def test_dead_store_is_503_not_403(redis_factory: Callable[[], RedisServer]) -> None:
    redis = redis_factory()
    store = RedisStore(redis.url, prefix="csrf-outage:", connect_timeout=1, timeout=1)
    client = TestClient(make_app(Session(store), CSRF(store)))
    try:
        await client.get("/count")
        token = (await client.get("/form")).json()["token"]
        redis.stop()
        down = await client.post("/transfer").set("X-CSRF-Token", token)
        assert down.status == 503
        assert (await client.get("/form")).status == 503  # reads the token
        assert (await client.get("/health")).status == 200  # does not
    finally:
        await store.close()


def test_anonymous_tokens_are_signed_by_the_cookie_secret() -> None:
    """A visitor without a session: the token is an HMAC of its issue time keyed by the
    ``csrf_id`` secret, checked with nothing stored; another secret, a changed byte,
    junk or an expired token fail."""
    from harpia._csrf import anonymous_token, check_anonymous

    secret, other = new_id(), new_id()
    token = anonymous_token(secret)
    assert len(token) == 64
    assert anonymous_token(secret) != token  # a random nonce: a new token each time
    assert check_anonymous(secret, token, 300)
    assert not check_anonymous(other, token, 300)
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert not check_anonymous(secret, flipped, 300)
    for junk in ("", "x" * 64, "é" * 64, token[:-1], token + "A", "!" * 64):
        assert not check_anonymous(secret, junk, 300)


async def test_anonymous_token_expires_after_ttl() -> None:
    csrf = CSRF(ttl=1)
    client = TestClient(make_app(Session(MemoryStore()), csrf))
    token = (await client.get("/form")).json()["token"]
    await anyio.sleep(1.2)
    late = await client.post("/login").form_data({"_csrf": token})
    assert late.status == 403
    assert late.json()["error"] == (
        "CSRF check failed: CSRF token expired (valid 1 s): reload the form"
    )


async def test_default_stores_warn_once_when_the_app_starts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from harpia import _process_state

    _process_state._Run.warned.clear()
    with caplog.at_level("WARNING", logger="harpia"):
        apps = []
        for _ in range(3):
            apps.append(make_app(Session(), CSRF()))
            apps.append(make_app(Session(MemoryStore()), CSRF(MemoryStore())))  # chosen
        assert not caplog.records  # nothing logged by building an app
        for app in apps:
            await app.startup()
    messages = [r.getMessage() for r in caplog.records if r.name == "harpia"]
    assert len(messages) == 2, messages
    assert messages[0].startswith("Session() has no store")
    assert messages[1].startswith("CSRF() has no store")
    for message in messages:
        assert "at most 5,000 keys" in message
        assert "NOT shared between worker processes" in message
        assert "RedisStore(url)" in message
