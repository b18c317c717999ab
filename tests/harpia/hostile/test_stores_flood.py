"""D8: the default stores cannot be flooded by anonymous visitors, and a login flood
evicts idle sessions first (least recently used), never one in use.

Reproductions of issue 16: 5,000 anonymous ``GET /form`` used to evict a victim's CSRF
token (every anonymous token was a store key), and 5,001 logins evicted the victim's
session (the store evicted the oldest key, however recently it was used).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest

from harpia import CSRF, MemoryStore, Session, TestClient
from tests.harpia.session_app import make_app
from tests.support.stores import STORE_PARAMS, memory_or_redis

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from harpia import Harpia
    from harpia_store import Store


@pytest.fixture(params=STORE_PARAMS)
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store[Any]]:
    async with memory_or_redis(request, "flood") as store:
        yield store


async def keys(store: Store[Any]) -> list[str]:
    listed: list[str] = await store.keys()  # type: ignore[attr-defined]
    return listed


async def login(app: Harpia, user: str, *, csrf: bool = True) -> TestClient:
    """A new visitor (own cookie jar) logged in as ``user`` (through the login form and
    its anonymous token when the app has CSRF)."""
    client = TestClient(app)
    form = {"user": user}
    if csrf:
        form["_csrf"] = (await client.get("/form")).json()["token"]
    answer = await client.post("/login").form_data(form)
    assert answer.status == 200, answer.text
    return client


async def test_anonymous_flood_stores_nothing_and_keeps_the_victims_token(
    store: Store[Any],
) -> None:
    """5,001 anonymous visitors each get a login form token: the store stays empty and
    the victim's token (given before the flood) still logs in afterwards."""
    app = make_app(Session(store), CSRF(store))
    victim = TestClient(app)
    victim_token = (await victim.get("/form")).json()["token"]
    start = time.perf_counter()
    for _ in range(5_001):
        page = await TestClient(app).get("/form")
        assert page.status == 200
        assert "csrf_id" in page.cookies
    elapsed = time.perf_counter() - start
    print(f"\n5,001 anonymous GET /form: {elapsed:.2f} s, store keys after: {await keys(store)}")
    assert await keys(store) == []  # no server-side state for anonymous visitors
    answer = await victim.post("/login").form_data({"_csrf": victim_token, "user": "vic"})
    assert answer.status == 200
    assert (await victim.get("/me")).json() == {"session": {"user": "vic"}}


async def test_default_csrf_store_holds_nothing_for_anonymous_visitors() -> None:
    csrf = CSRF()  # the default in-memory store
    app = make_app(Session(MemoryStore()), csrf)
    for _ in range(200):
        await TestClient(app).get("/form")
    assert isinstance(csrf.store, MemoryStore)
    assert len(csrf.store) == 0


async def test_sessions_are_stored_only_once_they_hold_data(store: Store[Any]) -> None:
    """Anonymous reads of the session, forms and junk cookies create no session key."""
    app = make_app(Session(store), CSRF(store))
    for n in range(300):
        client = TestClient(app)
        client.cookies["session_id"] = "x" * 43 if n % 2 else "not-an-id"
        assert (await client.get("/me")).json() == {"session": {}}
        await client.get("/form")
    assert await keys(store) == []


async def test_login_flood_evicts_idle_sessions_not_a_used_one() -> None:
    """LRU at a small size (300): 3,000 logins, ten times the limit. The victim, who
    makes a request every 100 logins, stays logged in; a session idle since before the
    flood is evicted; the store never holds more than its limit."""
    store = MemoryStore(limit=300)
    app = make_app(Session(store))
    idle = await login(app, "idle", csrf=False)
    victim = await login(app, "victim", csrf=False)
    for n in range(3_000):
        await login(app, f"attacker{n}", csrf=False)
        if n % 100 == 0:
            assert (await victim.get("/me")).json() == {"session": {"user": "victim"}}
        assert len(store) <= 300
    assert (await victim.get("/me")).json() == {"session": {"user": "victim"}}
    assert (await idle.get("/me")).json() == {"session": {}}


async def test_default_store_survives_the_issue_flood() -> None:
    """The defaults, as in the issue: ``Session()`` and ``CSRF()`` (MemoryStore(5000)
    each). The victim logs in first (the oldest key, which "evict the oldest" dropped
    at the 5,000th login), uses the site at login 2,500, and after 5,001 attacker logins
    (each through the login form with its anonymous token) is still logged in and its
    form token still works; a session idle for the whole flood is evicted."""
    session, csrf = Session(), CSRF()
    app = make_app(session, csrf)
    victim = await login(app, "victim")
    idle = await login(app, "idle")
    token = (await victim.get("/form")).json()["token"]
    start = time.perf_counter()
    for n in range(5_001):
        attacker = TestClient(app)
        form_token = (await attacker.get("/form")).json()["token"]
        answer = await attacker.post("/login").form_data({"_csrf": form_token, "user": "m"})
        assert answer.status == 200
        if n == 2_500:
            assert (await victim.get("/me")).json() == {"session": {"user": "victim"}}
            assert (await victim.get("/form")).json()["token"] == token
    elapsed = time.perf_counter() - start
    assert isinstance(session.store, MemoryStore)
    assert isinstance(csrf.store, MemoryStore)
    print(
        f"\n5,001 logins through the form (10,002 requests) in process: {elapsed:.1f} s, "
        f"{5_001 / elapsed:,.0f} logins/s; session store {len(session.store)} keys "
        f"(limit 5,000), CSRF store {len(csrf.store)} keys"
    )
    assert (await victim.get("/me")).json() == {"session": {"user": "victim"}}
    transfer = await victim.post("/transfer").set("X-CSRF-Token", token)
    assert transfer.json() == {"done": True}
    assert (await idle.get("/me")).json() == {"session": {}}
    assert len(csrf.store) == 1  # the victim's token only
