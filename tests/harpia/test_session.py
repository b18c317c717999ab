"""Session: the seed API, the middleware, ttl, regenerate — on MemoryStore and real Redis."""

from __future__ import annotations

import os
import signal
import time
from typing import TYPE_CHECKING, Any

import anyio
import pytest

from harpia import MemoryStore, RedisStore, Request, Response, Session, TestClient, harpia
from harpia._session import SessionData, new_id
from tests.harpia.session_app import make_app
from tests.support.stores import STORE_PARAMS, memory_or_redis

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from harpia_store import Store
    from tests.support.redis_server import RedisServer


@pytest.fixture(params=STORE_PARAMS)
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store[Any]]:
    async with memory_or_redis(request, "sess", clear=False) as store:
        yield store


@pytest.fixture(params=[True, False], ids=["preload", "lazy"])
def preload(request: pytest.FixtureRequest) -> bool:
    """The session middleware's mode: read before the route, or on ``await load()``."""
    value: bool = request.param
    return value


def request_with(cookie: str | None) -> Request:
    headers = [] if cookie is None else [(b"cookie", cookie.encode())]
    return Request("GET", "/", headers=headers)


# -- the seed API -----------------------------------------------------------------------


async def test_create_from_request_update_delete(store: Store[Any]) -> None:
    session = Session(store)
    sid = await session.create({"user": "ann", "cart": [1]})
    assert len(sid) == 43  # 256 bits, URL-safe base64
    assert await session.from_request(request_with(f"session_id={sid}")) == {
        "user": "ann",
        "cart": [1],
    }
    assert await session.update(sid, {"cart": [1, 2], "lang": "pt"}) is True
    assert await session.get(sid) == {"user": "ann", "cart": [1, 2], "lang": "pt"}
    res = Response()
    await session.delete(sid, res)
    assert await session.get(sid) is None
    assert res.cookies.headers()[0].startswith("session_id=;")
    assert "Max-Age=0" in res.cookies.headers()[0]


async def test_unknown_tampered_and_missing_ids_are_no_session(store: Store[Any]) -> None:
    session = Session(store)
    sid = await session.create({"a": 1})
    tampered = sid[:-1] + ("A" if sid[-1] != "A" else "B")
    for cookie in (None, "other=1", f"session_id={tampered}", "session_id=../../x", "session_id="):
        assert await session.from_request(request_with(cookie)) is None
    assert await session.update(tampered, {"a": 2}) is False
    assert await session.get(sid) == {"a": 1}


def test_ids_are_random_and_long() -> None:
    from harpia._session import new_id

    ids = {new_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) == 43 for i in ids)


async def test_set_cookie_and_custom_cookie_name(store: Store[Any]) -> None:
    session = Session(store, cookie_name="sid", ttl=3600)
    sid = await session.create({"x": 1})
    res = Response()
    session.set_cookie(res, sid, secure=True)
    header = res.cookies.headers()[0]
    assert header.startswith(f"sid={sid};")
    for part in ("Max-Age=3600", "HttpOnly", "Secure", "SameSite=Lax", "Path=/"):
        assert part in header
    assert await session.from_request(request_with(f"sid={sid}")) == {"x": 1}
    assert await session.from_request(request_with(f"session_id={sid}")) is None


async def test_set_cookie_secure_follows_the_request(store: Store[Any]) -> None:
    """``secure=None`` (the default): ``Secure`` only when ``res``'s request is HTTPS."""
    session = Session(store)
    for scheme, expected in (("https", True), ("http", False), (None, False)):
        res = Response()
        if scheme is not None:
            res.request = Request("GET", "/", scheme=scheme)
        session.set_cookie(res, new_id())
        assert ("; Secure" in res.cookies.headers()[0]) is expected, scheme
    res = Response()
    res.request = Request("GET", "/", scheme="https")
    session.set_cookie(res, new_id(), secure=False)
    assert "Secure" not in res.cookies.headers()[0]
    assert Session(store, secure=False).secure is False
    assert Session(store).secure is None


async def test_ttl_expires_in_the_store(store: Store[Any]) -> None:
    session = Session(store, ttl=1)
    sid = await session.create({"x": 1})
    assert await session.update(sid, {"y": 2})  # keeps the remaining time
    await anyio.sleep(1.2)
    assert await session.get(sid) is None


def test_bad_ttl() -> None:
    for ttl in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="ttl"):
            Session(ttl=ttl)  # type: ignore[arg-type]


async def test_regenerate_without_middleware(store: Store[Any]) -> None:
    session = Session(store, ttl=60)
    sid = await session.create({"user": "ann"})
    res = Response()
    new = await session.regenerate(request_with(f"session_id={sid}"), res)
    assert new is not None
    assert new != sid
    assert await session.get(sid) is None
    assert await session.get(new) == {"user": "ann"}
    assert res.cookies.headers()[0].startswith(f"session_id={new};")
    assert "Max-Age=60" in res.cookies.headers()[0]
    assert await session.regenerate(request_with(None), Response()) is None


# -- the middleware ---------------------------------------------------------------------


async def test_middleware_saves_only_when_changed_and_never_empty(
    store: Store[Any], preload: bool
) -> None:
    session = Session(store, ttl=120)
    client = TestClient(make_app(session, preload=preload))
    for path in ("/health", "/me"):  # bots and health checks create nothing
        res = await client.get(path)
        assert res.status == 200
        assert "set-cookie" not in res.headers
    assert (await client.get("/me")).json() == {"session": {}}
    first = await client.post("/count")
    assert first.json() == {"n": 1}
    sid = first.cookies["session_id"]
    assert "Max-Age=120" in first.headers["set-cookie"]
    assert first.headers["vary"] == "Cookie"
    second = await client.post("/count")
    assert second.json() == {"n": 2}
    assert "set-cookie" not in second.headers  # not created, regenerated or deleted
    me = await client.get("/me")
    assert me.json() == {"session": {"n": 2}}
    assert me.headers["vary"] == "Cookie"
    assert "set-cookie" not in me.headers
    assert "vary" not in (await client.get("/health")).headers  # did not read it
    assert await session.get(sid) == {"n": 2}


async def test_middleware_clear_deletes_store_and_cookie(store: Store[Any], preload: bool) -> None:
    session = Session(store)
    client = TestClient(make_app(session, preload=preload))
    sid = (await client.post("/count")).cookies["session_id"]
    out = await client.post("/logout")
    assert out.cookies["session_id"] == ""
    assert await session.get(sid) is None
    assert (await client.get("/me")).json() == {"session": {}}


async def test_middleware_regenerate_keeps_data_under_a_new_id(
    store: Store[Any], preload: bool
) -> None:
    session = Session(store)
    client = TestClient(make_app(session, preload=preload))
    old = (await client.post("/count")).cookies["session_id"]
    login = await client.post("/login").form_data({"user": "bob"})
    new = login.cookies["session_id"]
    assert new != old
    assert await session.get(old) is None
    assert await session.get(new) == {"n": 1, "user": "bob"}
    assert (await client.get("/me")).json() == {"session": {"n": 1, "user": "bob"}}


async def test_middleware_regenerate_on_a_new_session(store: Store[Any], preload: bool) -> None:
    session = Session(store)
    client = TestClient(make_app(session, preload=preload))
    login = await client.post("/login")
    assert len(login.headers.getall("set-cookie")) == 1
    assert await session.get(login.cookies["session_id"]) == {"user": "ann"}


async def test_stale_cookie_starts_a_fresh_session(store: Store[Any], preload: bool) -> None:
    session = Session(store)
    client = TestClient(make_app(session, preload=preload))
    stale = "A" * 43
    res = await client.get("/count").set("cookie", f"session_id={stale}")
    new = res.cookies["session_id"]
    assert new != stale
    assert await session.get(stale) is None
    assert await session.get(new) == {"n": 1}


async def test_rolling_restarts_the_lifetime(store: Store[Any], preload: bool) -> None:
    session = Session(store, ttl=2, rolling=True)
    client = TestClient(make_app(session, preload=preload))
    sid = (await client.post("/count")).cookies["session_id"]
    for _ in range(3):
        await anyio.sleep(0.8)
        me = await client.get("/me")
        assert me.json() == {"session": {"n": 1}}
        assert "Max-Age=2" in me.headers["set-cookie"]
    assert await session.get(sid) == {"n": 1}  # 2.4 s after creation, ttl 2 s


async def test_non_rolling_update_keeps_the_expiry(store: Store[Any], preload: bool) -> None:
    session = Session(store, ttl=1)
    client = TestClient(make_app(session, preload=preload))
    sid = (await client.post("/count")).cookies["session_id"]
    await anyio.sleep(0.6)
    assert (await client.post("/count")).json() == {"n": 2}
    await anyio.sleep(0.6)
    assert await session.get(sid) is None


async def test_req_session_without_middleware_is_a_clear_error() -> None:
    app = harpia()

    @app.get("/")
    def show(req: Request, res: Response) -> str:
        return str(dict(req.session))

    res = await TestClient(app).get("/")
    assert res.status == 500
    assert isinstance(res.response.error if res.response else None, RuntimeError)


def test_session_data_tracks_reads_and_writes() -> None:
    def flags(data: SessionData) -> tuple[bool, bool]:
        return data.accessed, data.modified

    data = SessionData(None, {})
    assert flags(data) == (False, False)
    assert data.get("x") is None
    assert flags(data) == (True, False)
    data["x"] = 1
    assert flags(data) == (True, True)
    assert data.to_dict() == {"x": 1}


# -- lazy loading: session.middleware(preload=False) ------------------------------------


class CountingStore:
    """A real store (MemoryStore or RedisStore) that records every operation made on it,
    optionally after a delay (so that concurrent loads overlap)."""

    def __init__(self, inner: Store[Any], delay: float = 0) -> None:
        self.inner = inner
        self.delay = delay
        self.calls: list[str] = []

    async def get(self, key: str) -> Any:
        self.calls.append("get")
        if self.delay:
            await anyio.sleep(self.delay)
        return await self.inner.get(key)

    async def set(self, key: str, value: Any, *, ttl: float | None = None) -> None:
        self.calls.append("set")
        await self.inner.set(key, value, ttl=ttl)

    async def delete(self, key: str) -> None:
        self.calls.append("delete")
        await self.inner.delete(key)


async def test_store_reads_per_mode(store: Store[Any], preload: bool) -> None:
    counting = CountingStore(store)
    session = Session(counting)
    client = TestClient(make_app(session, preload=preload))
    assert (await client.post("/count")).json() == {"n": 1}  # the jar now holds the cookie
    counting.calls.clear()
    health = await client.get("/health")  # does not touch req.session
    assert health.status == 200
    assert "vary" not in health.headers
    assert "set-cookie" not in health.headers
    assert counting.calls == (["get"] if preload else [])  # lazy: no store operation at all
    counting.calls.clear()
    assert (await client.get("/me")).json() == {"session": {"n": 1}}
    assert counting.calls == ["get"]  # one read, no write (unchanged)
    counting.calls.clear()
    assert (await client.post("/count")).json() == {"n": 2}
    assert counting.calls == ["get", "set"]
    counting.calls.clear()
    fresh = TestClient(client.app)  # no cookie: nothing to read in either mode
    assert (await fresh.get("/health")).status == 200
    assert (await fresh.get("/me")).json() == {"session": {}}
    assert counting.calls == []


async def test_lazy_use_before_load_is_a_clear_error(store: Store[Any]) -> None:
    session = Session(store)
    app = harpia()
    app.use(session.middleware(preload=False))

    @app.get("/sync")
    def read(req: Request, res: Response) -> dict[str, Any]:
        return {"n": req.session.get("n")}

    @app.post("/sync")
    def write(req: Request, res: Response) -> dict[str, Any]:
        req.session["n"] = 1
        return {}

    client = TestClient(app)
    first = await client.post("/sync")  # no cookie: the empty session needs no load()
    assert first.status == 200
    assert await session.get(first.cookies["session_id"]) == {"n": 1}
    res = await client.get("/sync")  # a cookie, not loaded
    assert res.status == 500
    error = res.response.error if res.response else None
    assert isinstance(error, RuntimeError)
    assert "await req.session.load() first" in str(error)


async def test_concurrent_loads_share_one_read(store: Store[Any]) -> None:
    counting = CountingStore(store, delay=0.05)
    session = Session(counting)
    sid = await session.create({"a": 1})
    counting.calls.clear()
    app = harpia()
    app.use(session.middleware(preload=False))

    @app.get("/")
    async def show(req: Request, res: Response) -> dict[str, Any]:
        loaded: list[SessionData] = []

        async def load() -> None:
            loaded.append(await req.session.load())

        async with anyio.create_task_group() as group:
            for _ in range(5):
                group.start_soon(load)
        again = await req.session.load()  # idempotent
        return {"same": [item is again for item in loaded], "data": dict(again)}

    res = await TestClient(app).get("/").cookie("session_id", sid)
    assert res.json() == {"same": [True] * 5, "data": {"a": 1}}
    assert res.headers["vary"] == "Cookie"
    assert counting.calls == ["get"]


async def test_lazy_regenerate_loads_by_itself(store: Store[Any]) -> None:
    session = Session(store, ttl=60)
    app = harpia()
    app.use(session.middleware(preload=False))

    @app.post("/rotate")
    async def rotate(req: Request, res: Response) -> dict[str, Any]:
        return {"id": await session.regenerate(req, res)}

    sid = await session.create({"user": "ann"})
    res = await TestClient(app).post("/rotate").cookie("session_id", sid)
    new = res.json()["id"]
    assert new not in (None, sid)
    assert res.cookies["session_id"] == new
    assert await session.get(sid) is None
    assert await session.get(new) == {"user": "ann"}


async def test_unloaded_session_data(store: Store[Any]) -> None:
    session = Session(store)
    sid = await session.create({"a": 1})
    unknown = "B" * 43
    state = SessionData.unloaded(session, unknown)
    assert not state.loaded
    assert repr(state) == "<SessionData not loaded>"
    for use in (len, SessionData.to_dict, SessionData.clear, lambda d: d["a"]):
        with pytest.raises(RuntimeError, match=r"await req\.session\.load\(\) first"):
            use(state)
    assert await state.load() is state
    assert (state.loaded, state.id, dict(state)) == (True, None, {})  # unknown: no session
    known = SessionData.unloaded(session, sid)
    assert dict(await known.load()) == {"a": 1}
    assert known.id == sid


def test_preload_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match="preload"):
        Session().middleware(preload="no")  # type: ignore[arg-type]


# -- Redis: shared between processes, outages --------------------------------------------


@pytest.mark.redis
async def test_dead_redis_answers_503_and_recovers(
    redis_factory: Callable[[], RedisServer], preload: bool
) -> None:
    redis = redis_factory()
    store = RedisStore(redis.url, prefix="outage:", connect_timeout=1, timeout=1)
    session = Session(store)
    client = TestClient(make_app(session, preload=preload))
    try:
        assert (await client.post("/count")).json() == {"n": 1}
        redis.stop()
        started = time.monotonic()
        down = await client.post("/count")
        assert time.monotonic() - started < 5
        assert down.status == 503
        assert down.json()["error"] == "session store unavailable, please retry shortly"
        assert down.headers["retry-after"] == "5"
        assert (await client.get("/health")).status == 200  # does not use the session
        fresh = TestClient(client.app)
        assert (await fresh.get("/health")).status == 200  # no cookie: no store access
        await anyio.to_thread.run_sync(redis.start)
        back = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            back = await client.post("/count")
            if back.status == 200:
                break
            await anyio.sleep(0.1)
        assert back is not None
        assert back.status == 200
        assert back.json() == {"n": 1}  # the restarted Redis is empty: a new session
    finally:
        await store.close()


@pytest.mark.redis
async def test_frozen_redis_is_a_503_bounded_by_the_command_timeout(
    redis_factory: Callable[[], RedisServer],
) -> None:
    redis = redis_factory()
    assert redis.process is not None
    pid = redis.process.pid
    store = RedisStore(redis.url, prefix="frozen:", connect_timeout=1, timeout=1)
    client = TestClient(make_app(Session(store)))
    try:
        assert (await client.post("/count")).json() == {"n": 1}
        os.kill(pid, signal.SIGSTOP)  # accepts nothing, answers nothing: a hung server
        try:
            started = time.monotonic()
            with anyio.fail_after(10):
                frozen = await client.get("/me")
            assert frozen.status == 503
            assert time.monotonic() - started < 4
        finally:
            os.kill(pid, signal.SIGCONT)
        back = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            back = await client.post("/count")
            if back.status == 200:
                break
            await anyio.sleep(0.1)
        assert back is not None
        assert back.json() == {"n": 2}  # same Redis, data kept
    finally:
        await store.close()


async def test_vary_is_added_to_an_existing_vary_and_custom_cookie_name() -> None:
    session = Session(cookie_name="sid")
    app = harpia()
    app.use(session.middleware())

    @app.get("/")
    def show(req: Request, res: Response) -> dict[str, Any]:
        res.header("Vary", "Origin")
        req.session["seen"] = True
        return {}

    client = TestClient(app)
    first = await client.get("/")
    assert first.headers["vary"] == "Origin, Cookie"
    sid = first.cookies["sid"]
    assert await session.get(sid) == {"seen": True}
    assert "set-cookie" not in (await client.get("/")).headers


async def test_writes_after_regenerate_keep_the_new_expiry() -> None:
    store = MemoryStore()
    session = Session(store, ttl=1)
    app = harpia()
    app.use(session.middleware())

    @app.post("/")
    async def login(req: Request, res: Response) -> dict[str, Any]:
        req.session["user"] = "ann"
        await session.regenerate(req, res)
        req.session["role"] = "admin"  # saved after the handler, with the new expiry
        return {}

    res = await TestClient(app).post("/")
    sid = res.cookies["session_id"]
    assert len(res.headers.getall("set-cookie")) == 1
    assert await session.get(sid) == {"user": "ann", "role": "admin"}
    await anyio.sleep(1.2)
    assert await session.get(sid) is None
