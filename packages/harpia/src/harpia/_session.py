"""Session: server-side sessions in any Store, addressed by an opaque cookie id.

The store holds ``{"data": {...}, "expires": <unix time or None>}`` under
``prefix + id``; the expiry is kept in the value too, so store expiry and cookie
``Max-Age`` agree even when a session is updated (an update keeps the remaining time
unless ``rolling``). Ids are 256 random bits from ``secrets``; a cookie that is not an id
of that shape, or names no live session, is treated as "no session" without a store read
in the first case. The middleware reads the store before the route (``preload``) or on
``await req.session.load()``. A store failure (``StoreError``: Redis down, timed out)
becomes a 503.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, Literal

import anyio

from harpia_store import MemoryStore, Store, StoreError

from ._cookies import secure_for
from ._errors import HTTPError
from ._outage import store_failed, store_ok
from ._process_state import ProcessLocal, mark, memory_store_limit

if TYPE_CHECKING:
    from ._request import Request
    from ._response import Response

logger = logging.getLogger("harpia")
Middleware = Callable[["Request", "Response", Callable[[], Awaitable[None]]], Awaitable[None]]

_ID = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
UNAVAILABLE = "session store unavailable, please retry shortly"
NOT_LOADED = (
    "req.session is not loaded yet: await req.session.load() first "
    "(session.middleware(preload=False) reads the store only on load())"
)


def per_process(
    store: Store[Any], component: str, holds: str, default: bool
) -> ProcessLocal | None:
    """What a middleware over ``store`` keeps in process memory (None: ``store`` is shared)."""
    limit = memory_store_limit(store)
    if limit is False:
        return None
    fix = f"{component[:-2]}(RedisStore(url))"
    return ProcessLocal(component, holds, fix, default, limit if isinstance(limit, int) else None)


def new_id() -> str:
    """A fresh session id: 256 random bits, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def unavailable(exc: StoreError) -> HTTPError:
    """The 503 a store failure becomes."""
    error = HTTPError(503, UNAVAILABLE, headers={"Retry-After": "5"})
    error.__cause__ = exc
    return error


class SessionData(MutableMapping[str, Any]):
    """``req.session``: the session's data as a dict-like mapping.

    Reading marks the response ``Vary: Cookie``; writing marks the session for saving;
    ``clear()`` (or removing every key) deletes the session at the end of the request.
    With ``session.middleware(preload=False)`` a request carrying a session cookie gets
    it unloaded: ``await req.session.load()`` reads the store, and using the mapping
    before that raises ``RuntimeError``.
    """

    __slots__ = (
        "_data",
        "_loading",
        "_source",
        "accessed",
        "error",
        "expires",
        "id",
        "modified",
        "regenerated",
    )

    def __init__(
        self, session_id: str | None, data: dict[str, Any], error: HTTPError | None = None
    ) -> None:
        self.id = session_id
        self._data = data
        self.accessed = False
        self.modified = False
        self.regenerated = False
        self.error = error  # the store failed: every use raises it (a 503)
        self.expires: float | None = None  # unix time the stored session expires
        self._source: tuple[Session, str] | None = None  # (session, cookie id) to load
        self._loading: anyio.Lock | None = None

    @classmethod
    def unloaded(cls, session: Session, session_id: str) -> SessionData:
        """A session named by a cookie, read from ``session``'s store on ``load()``."""
        state = cls(None, {})
        state._source = (session, session_id)
        return state

    @property
    def loaded(self) -> bool:
        """False until ``load()`` has read a session a cookie names (lazy middleware)."""
        return self._source is None

    async def load(self) -> SessionData:
        """Read the session from the store if not done yet; return this mapping.

        Idempotent: only the first call reads (concurrent calls wait for that read).

        Raises:
            HTTPError: 503 when the store fails.
        """
        if self._source is not None:
            if self._loading is None:
                self._loading = anyio.Lock()
            async with self._loading:
                source = self._source
                if source is not None:
                    session, session_id = source
                    try:
                        entry = await session._load(session_id)
                    except HTTPError as error:
                        self.error = error
                        entry = None
                    self._source = None
                    if entry is not None:
                        self.id, self._data, self.expires = session_id, entry[0], entry[1]
        if self.error is not None:
            raise self.error
        return self

    def _use(self, modify: bool = False) -> dict[str, Any]:
        if self.error is not None:
            raise self.error
        if self._source is not None:
            raise RuntimeError(NOT_LOADED)
        self.accessed = True
        if modify:
            self.modified = True
        return self._data

    def __getitem__(self, key: str) -> Any:
        return self._use()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._use(modify=True)[key] = value

    def __delitem__(self, key: str) -> None:
        del self._use(modify=True)[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._use())

    def __len__(self) -> int:
        return len(self._use())

    def __contains__(self, key: object) -> bool:
        return key in self._use()

    def clear(self) -> None:
        """Empty the session; the middleware then deletes it (store and cookie)."""
        self._use(modify=True).clear()

    def to_dict(self) -> dict[str, Any]:
        """A copy of the data (does not count as a read)."""
        if self.error is not None:
            raise self.error
        if self._source is not None:
            raise RuntimeError(NOT_LOADED)
        return dict(self._data)

    def __repr__(self) -> str:
        if self._source is not None:
            return "<SessionData not loaded>"
        return f"<SessionData id={'set' if self.id else None} keys={sorted(self._data)}>"


class Session:
    """Server-side sessions in ``store`` (a ``MemoryStore`` when omitted).

    Args:
        store: Any ``harpia_store.Store`` (``RedisStore`` to share sessions between
            processes).
        cookie_name: The cookie carrying the session id.
        ttl: Lifetime in seconds: the store entry expires and the cookie gets the same
            ``Max-Age``. ``None``: no store expiry and a browser-session cookie.
        rolling: Restart the lifetime (store and cookie) on every request that uses the
            session through the middleware.
        prefix: Put in front of ids to form store keys.
        secure: ``Secure`` flag of the cookie: ``None`` (the default) sets it when the
            request came over HTTPS (``X-Forwarded-Proto: https`` with ``trust_proxy``)
            or the name starts with ``__Secure-``/``__Host-``; ``True``/``False`` force it.
        same_site: Default ``SameSite`` of the cookie.

    Raises:
        ValueError: ``ttl`` is not positive.
        TypeError: ``secure`` is not a bool or None.
    """

    def __init__(
        self,
        store: Store[Any] | None = None,
        cookie_name: str = "session_id",
        ttl: int | None = None,
        *,
        rolling: bool = False,
        prefix: str = "session:",
        secure: bool | None = None,
        same_site: Literal["Strict", "Lax", "None"] | None = "Lax",
    ) -> None:
        if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0):
            raise ValueError(f"ttl must be a positive int (seconds) or None, got {ttl!r}")
        if secure is not None and not isinstance(secure, bool):
            raise TypeError(f"secure must be a bool or None (automatic), got {secure!r}")
        self.default_store = store is None
        self.store: Store[Any] = store if store is not None else MemoryStore()
        self.cookie_name = cookie_name
        self.ttl = ttl
        self.rolling = rolling
        self.prefix = prefix
        self.secure = secure
        self.same_site = same_site

    # -- the seed API -----------------------------------------------------------------

    async def create(self, data: Mapping[str, Any] | None = None) -> str:
        """Store a new session holding ``data``; return its id.

        Raises:
            HTTPError: 503 when the store fails.
        """
        session_id = new_id()
        await self._save(session_id, dict(data or {}), self._expires_at())
        return session_id

    def set_cookie(
        self,
        res: Response,
        session_id: str,
        *,
        http_only: bool = True,
        secure: bool | None = None,
        max_age: int | None = None,
        same_site: Literal["Strict", "Lax", "None"] | None = None,
        path: str = "/",
        domain: str | None = None,
    ) -> None:
        """Send the session cookie; ``max_age`` defaults to ``ttl``, ``secure`` to the
        session's (automatic: on when ``res``'s request came over HTTPS)."""
        res.cookies.set(
            self.cookie_name,
            session_id,
            path=path,
            domain=domain,
            max_age=self.ttl if max_age is None else max_age,
            http_only=http_only,
            secure=secure_for(
                res.request, self.cookie_name, self.secure if secure is None else secure
            ),
            same_site=self.same_site if same_site is None else same_site,
        )

    def id_from(self, req: Request) -> str | None:
        """The well-formed session id in ``req``'s cookie, or ``None`` (no store read)."""
        value = req.cookies.get(self.cookie_name)
        return value if value is not None and _ID.fullmatch(value) else None

    async def from_request(self, req: Request) -> dict[str, Any] | None:
        """The data of ``req``'s session, or ``None`` when it has none (or a stale id)."""
        session_id = self.id_from(req)
        return None if session_id is None else await self.get(session_id)

    async def get(self, session_id: str) -> dict[str, Any] | None:
        """The data of session ``session_id``, or ``None`` when unknown or expired."""
        entry = await self._load(session_id)
        return None if entry is None else entry[0]

    async def update(self, session_id: str, partial: Mapping[str, Any]) -> bool:
        """Merge ``partial`` into the session's data; ``False`` when the session is unknown."""
        entry = await self._load(session_id)
        if entry is None:
            return False
        data, expires = entry
        data.update(partial)
        await self._save(session_id, data, expires)
        return True

    async def delete(self, session_id: str | None, res: Response | None = None) -> None:
        """Remove the session from the store and, with ``res``, tell the browser to drop
        the cookie."""
        if session_id is not None:
            try:
                await self.store.delete(self.prefix + session_id)
            except StoreError as exc:
                store_failed(self.store, "session", exc)
                raise unavailable(exc) from exc
            store_ok(self.store)
        if res is not None:
            res.cookies.delete(self.cookie_name)

    async def regenerate(self, req: Request, res: Response) -> str | None:
        """Move ``req``'s session to a new id (after login: session-fixation defence).

        The data is kept, the old id is deleted and the new cookie is sent. Returns the
        new id, or ``None`` when the request has no session (and no middleware data).
        """
        state = req.session_state
        if state is not None:
            data = (await state.load()).to_dict()
            old = state.id
        else:
            old = self.id_from(req)
            loaded = None if old is None else await self.get(old)
            if loaded is None:
                return None
            data = loaded
        if not data and state is not None:
            state.regenerated = True  # saved with a new id if data arrives later
            await self.delete(old)
            state.id = None
            return None
        session_id = new_id()
        expires = self._expires_at()
        await self._save(session_id, data, expires)
        await self.delete(old)
        self.set_cookie(res, session_id)
        if state is not None:
            state.id = session_id
            state.expires = expires
            state.modified = False
            state.regenerated = True
        return session_id

    # -- the middleware ----------------------------------------------------------------

    def middleware(self, *, preload: bool = True) -> Middleware:
        """``req.session`` for the requests it sees (``app.use(session.middleware())``).

        With ``preload`` (the default) the store is read once, before the route, and only
        when the request carries a well-formed session cookie, so ``req.session`` works
        synchronously; when that read fails (store down) only routes that use
        ``req.session`` answer 503. With ``preload=False`` nothing is read until the
        route calls ``await req.session.load()``: a route that never loads the session
        costs no store access even with a cookie, and using a session that has a cookie
        before ``load()`` raises ``RuntimeError`` (without a cookie there is nothing to
        read: the empty mapping works at once). In both modes the session is saved only
        when changed, never while empty, and ``Set-Cookie`` is sent only when it is
        created, regenerated or deleted (and on each use with ``rolling``). Responses
        that read the session get ``Vary: Cookie``. A ``Session()`` without a store logs
        one warning per process when the app starts: its in-process ``MemoryStore`` is
        bounded and not shared between workers (with ``workers > 1``, a ``MemoryStore``
        chosen or not is reported as split between the workers).

        Raises:
            TypeError: ``preload`` is not a bool.
        """
        if not isinstance(preload, bool):
            raise TypeError(f"preload must be a bool, got {preload!r}")

        async def session_middleware(
            req: Request, res: Response, next: Callable[[], Awaitable[None]]
        ) -> None:
            session_id = self.id_from(req)
            if session_id is not None and not preload:
                state = SessionData.unloaded(self, session_id)
            else:
                try:
                    entry = None if session_id is None else await self._load(session_id)
                except HTTPError as error:  # the store is down: only routes using it fail
                    req.session_state = SessionData(None, {}, error)
                    await next()
                    return
                if entry is None:
                    state = SessionData(None, {})
                else:
                    state = SessionData(session_id, entry[0])
                    state.expires = entry[1]
            req.session_state = state
            await next()
            try:
                await self._commit(res, state)
            except HTTPError as error:
                from ._chain import render_error

                render_error(req, res, error)

        mark(
            session_middleware, per_process(self.store, "Session()", "sessions", self.default_store)
        )
        return session_middleware

    async def _commit(self, res: Response, state: SessionData) -> None:
        if state.accessed or state.regenerated:
            _add_vary(res, "Cookie")
        data = state._data
        if not state.modified and not (self.rolling and state.id and state.accessed):
            return
        if not data:
            if state.id is not None:
                await self.delete(state.id, res)
                state.id = None
            return
        if state.id is None:
            state.id = new_id()
            await self._save(state.id, data, self._expires_at())
            self.set_cookie(res, state.id)
        elif self.rolling:
            await self._save(state.id, data, self._expires_at())
            self.set_cookie(res, state.id)
        else:
            await self._save(state.id, data, state.expires)

    # -- store access ------------------------------------------------------------------

    def _expires_at(self) -> float | None:
        return None if self.ttl is None else time.time() + self.ttl

    async def _load(self, session_id: str) -> tuple[dict[str, Any], float | None] | None:
        if not isinstance(session_id, str) or not _ID.fullmatch(session_id):
            return None
        try:
            entry = await self.store.get(self.prefix + session_id)
        except StoreError as exc:
            store_failed(self.store, "session", exc)
            raise unavailable(exc) from exc
        store_ok(self.store)
        if not isinstance(entry, dict) or not isinstance(entry.get("data"), dict):
            return None
        expires = entry.get("expires")
        if isinstance(expires, int | float) and expires <= time.time():
            return None
        return entry["data"], expires if isinstance(expires, int | float) else None

    async def _save(self, session_id: str, data: dict[str, Any], expires: float | None) -> None:
        ttl = None if expires is None else expires - time.time()
        try:
            if ttl is not None and ttl <= 0:
                await self.store.delete(self.prefix + session_id)
                return
            await self.store.set(
                self.prefix + session_id, {"data": data, "expires": expires}, ttl=ttl
            )
        except StoreError as exc:
            store_failed(self.store, "session", exc)
            raise unavailable(exc) from exc
        store_ok(self.store)


def _add_vary(res: Response, name: str) -> None:
    current = res.headers.get("vary")
    if current is None:
        res.headers.set("vary", name)
    elif name.lower() not in {part.strip().lower() for part in current.split(",")}:
        res.headers.set("vary", f"{current}, {name}")
