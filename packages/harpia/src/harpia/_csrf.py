"""CSRF: synchroniser tokens bound to a session (kept in any Store), and signed
double-submit tokens for visitors without a session (kept nowhere).

One token per session id, under ``prefix + session_id``: ``generate`` replaces it,
``check`` compares in constant time and fails for an expired token or another session's,
``delete`` drops it. A visitor without a session (a login form) gets a random secret in
an HttpOnly cookie and tokens that are an HMAC of their issue time keyed by that secret:
checking one needs the cookie, the token and the clock, no server-side state, so no
number of anonymous visitors can fill a store or evict anyone's token. The middleware
checks every method but GET, HEAD, OPTIONS and TRACE (compared exactly as sent: ``post``
is unsafe) and hands templates the token.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

from harpia_store import MemoryStore, Store, StoreError

from ._cookies import secure_for
from ._errors import HTTPError
from ._form_peek import BeyondPeek, peek_field
from ._outage import store_failed, store_ok
from ._process_state import mark
from ._session import new_id, per_process, unavailable

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from ._request import Request
    from ._response import Response
    from ._session import Middleware

    Exempt = str | Callable[[Request], bool]

SAFE = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})  # every other method is checked
FORM_FIELD = "_csrf"
HEADER = "x-csrf-token"
PEEK_LIMIT = 64 * 1024
_ANON = re.compile(r"[A-Za-z0-9_-]{43}")  # the anonymous visitor's secret (cookie)
_ANON_TAG = b"harpia-csrf-anonymous\x00"
_ANON_TOKEN = 64  # characters: base64url of issued ms (8 bytes) + nonce (8) + HMAC-SHA256 (32)
_METHOD = re.compile(r"[A-Z][A-Z-]*")  # an exempt method: "PUT", "PROPFIND"
_SKEW = 60  # seconds a token's issue time may lie ahead of this clock (several servers)

# the 403 messages: each names what is wrong and what to do
NO_TOKEN = (
    "CSRF check failed: no CSRF token in the request "
    "(send it as the _csrf form field or the X-CSRF-Token header)"
)
NO_COOKIE = (
    "CSRF check failed: no session/CSRF cookie "
    "(the form was not rendered by this site, or cookies are blocked)"
)
MISMATCH = (
    "CSRF check failed: CSRF token does not match "
    "(it was issued to another session or visitor, or altered): reload the form"
)
EXPIRED = "CSRF check failed: CSRF token expired (valid {ttl:g} s): reload the form"
NOT_ISSUED = (
    "CSRF check failed: this session has no current CSRF token "
    "(it expired after {ttl:g} s or was never issued): reload the form"
)


def _anonymous_mac(secret: str, head: bytes) -> bytes:
    return hmac.new(secret.encode(), _ANON_TAG + head, hashlib.sha256).digest()


def anonymous_token(secret: str) -> str:
    """A token for the visitor whose cookie holds ``secret``: a random nonce and the
    issue time, signed with HMAC-SHA256 keyed by ``secret`` (a new token each call)."""
    head = int(time.time() * 1000).to_bytes(8, "big") + secrets.token_bytes(8)
    return base64.urlsafe_b64encode(head + _anonymous_mac(secret, head)).decode()


def check_anonymous(secret: str, token: str, ttl: float) -> bool:
    """``True`` when ``token`` was made for ``secret`` less than ``ttl`` seconds ago."""
    return anonymous_failure(secret, token, ttl) is None


def anonymous_failure(secret: str, token: str, ttl: float) -> str | None:
    """Why ``token`` is not valid for ``secret`` (a 403 message), or None when it is."""
    if len(token) != _ANON_TOKEN:
        return MISMATCH
    try:
        raw = base64.b64decode(token, altchars=b"-_", validate=True)
    except (ValueError, binascii.Error):  # not base64url (or not ASCII)
        return MISMATCH
    if not hmac.compare_digest(raw[16:], _anonymous_mac(secret, raw[:16])):
        return MISMATCH
    issued, now = int.from_bytes(raw[:8], "big") / 1000, time.time()
    if not issued - _SKEW <= now < issued + ttl:
        return EXPIRED.format(ttl=ttl)
    return None


class CSRF:
    """CSRF tokens valid ``ttl`` seconds; those of sessions kept in ``store`` (a
    ``MemoryStore`` when omitted: pass the sessions' ``RedisStore`` with several
    processes), those of visitors without a session kept nowhere (a signed cookie).

    Raises:
        ValueError: ``ttl`` is not a positive number.
    """

    def __init__(
        self, store: Store[Any] | None = None, ttl: float = 300, *, prefix: str = "csrf:"
    ) -> None:
        if isinstance(ttl, bool) or not isinstance(ttl, int | float) or ttl <= 0:
            raise ValueError(f"ttl must be a positive number of seconds, got {ttl!r}")
        self.default_store = store is None
        self.store: Store[Any] = store if store is not None else MemoryStore()
        self.ttl = ttl
        self.prefix = prefix

    async def generate(self, session_id: str) -> str:
        """A new token for ``session_id`` (any previous one stops being valid).

        Raises:
            HTTPError: 503 when the store fails.
        """
        token = secrets.token_urlsafe(32)
        await self._put(session_id, token)
        return token

    async def check(self, session_id: str, token: str | None) -> bool:
        """``True`` when ``token`` is ``session_id``'s current, unexpired token."""
        if not isinstance(token, str) or not token:
            return False
        current = await self._current(session_id)
        if current is None:
            return False
        return hmac.compare_digest(current.encode(), token.encode())

    async def delete(self, session_id: str) -> None:
        """Drop ``session_id``'s token (e.g. at logout)."""
        try:
            await self.store.delete(self.prefix + _check_id(session_id))
        except StoreError as exc:
            store_failed(self.store, "csrf", exc)
            raise unavailable(exc) from exc

    async def token_for(self, session_id: str) -> str:
        """``session_id``'s current token, or a new one when it has none (or it expired)."""
        return await self._current(session_id) or await self.generate(session_id)

    async def _current(self, session_id: str) -> str | None:
        try:
            entry = await self.store.get(self.prefix + _check_id(session_id))
        except StoreError as exc:
            store_failed(self.store, "csrf", exc)
            raise unavailable(exc) from exc
        store_ok(self.store)
        if not isinstance(entry, dict):
            return None
        token, expires = entry.get("token"), entry.get("expires")
        if not isinstance(token, str) or not isinstance(expires, int | float):
            return None
        return token if expires > time.time() else None

    async def _put(self, session_id: str, token: str) -> None:
        entry = {"token": token, "expires": time.time() + self.ttl}
        try:
            await self.store.set(self.prefix + _check_id(session_id), entry, ttl=self.ttl)
        except StoreError as exc:
            store_failed(self.store, "csrf", exc)
            raise unavailable(exc) from exc

    def middleware(
        self,
        session_id: Callable[[Request], str | None] | None = None,
        *,
        cookie_name: str = "csrf_id",
        peek_limit: int = PEEK_LIMIT,
        secure: bool | None = None,
        same_site: Literal["Strict", "Lax", "None"] | None = "Lax",
        exempt: Exempt | Iterable[Exempt] | None = None,
    ) -> Middleware:
        """Check unsafe methods and give handlers and templates the token.

        Every method but GET, HEAD, OPTIONS and TRACE (compared exactly as sent, so
        ``post`` or ``PROPFIND`` is checked too) needs a valid token in the
        ``X-CSRF-Token`` header or the ``_csrf`` field of a urlencoded or multipart form,
        else 403. In a multipart form ``_csrf`` must lie within the body's first
        ``peek_limit`` bytes (put it before the file fields); the bytes read to find it
        are pushed back, so ``Upload`` and ``req.form()`` still see the whole body.
        ``req.csrf_token`` is the token to put in forms (also in
        ``req.state["csrf_token"]``), made on first read.

        A visitor with a session (from ``req.session``, so the session middleware runs
        first and a lazy session is loaded here, or ``session_id(req)``) has one token
        in the store, stable until it expires. A visitor without one (a login form) gets
        a random secret in the HttpOnly cookie ``cookie_name`` (set only when a token is
        made) and signed tokens that need no stored state. The cookie is ``Secure`` when
        the request came over HTTPS (``X-Forwarded-Proto`` with ``trust_proxy``) unless
        ``secure`` forces it on or off, and ``SameSite=same_site``.

        ``exempt`` lets requests through unchecked (they are treated as a safe method:
        ``req.csrf_token`` still works): a path (``"/webhook"``, exact) or path prefix
        (``"/api/*"``: ``/api`` and below, compared with the path as sent), a method
        (``"PUT"``), a predicate ``(req) -> bool`` (``True``: exempt; e.g. requests with
        an ``Authorization: Bearer`` header, which a browser never adds by itself), or a
        list of those.

        Raises:
            ValueError: ``peek_limit`` is not a positive int, or an ``exempt`` string is
                neither a path (``/...``) nor a method name.
            TypeError: ``secure`` is not a bool or None, or ``exempt`` holds something
                other than a str or a callable.
        """
        if isinstance(peek_limit, bool) or not isinstance(peek_limit, int) or peek_limit <= 0:
            raise ValueError(f"peek_limit must be a positive int (bytes), got {peek_limit!r}")
        if secure is not None and not isinstance(secure, bool):
            raise TypeError(f"secure must be a bool or None (automatic), got {secure!r}")
        find = session_id if session_id is not None else _session_id
        is_exempt = exemption(exempt)

        async def csrf_middleware(
            req: Request, res: Response, next: Callable[[], Awaitable[None]]
        ) -> None:
            failure: HTTPError | None = None
            unsafe = req.method not in SAFE and not (is_exempt is not None and is_exempt(req))
            state = req.session_state
            if find is _session_id and state is not None and not state.loaded:
                # a lazy session (preload=False): the token is bound to its id
                with contextlib.suppress(HTTPError):  # kept in state.error, raised below
                    await state.load()
            try:
                binding = find(req)
            except HTTPError as error:  # the session store is down
                if unsafe:
                    raise
                binding, failure = None, error
            secret: str | None = None
            if binding is None and failure is None:
                cookie = req.cookies.get(cookie_name)
                secret = cookie if cookie and _ANON.fullmatch(cookie) else None
            current = await self._verify(req, binding, secret, peek_limit) if unsafe else None
            if current is None and binding is not None:
                try:
                    current = await self._current(binding)
                except HTTPError as error:  # store down: only reading the token fails (503)
                    failure = error
            pending: dict[str, str] = {}
            if current is not None:
                req.state["csrf_token"] = current
            else:

                def make() -> str:
                    if failure is not None:
                        raise failure
                    if "token" not in pending:
                        if binding is not None:
                            pending["store"] = binding
                            pending["token"] = secrets.token_urlsafe(32)
                        else:
                            key = secret or new_id()
                            if secret is None:
                                pending["cookie"] = key
                            pending["token"] = anonymous_token(key)
                        req.state["csrf_token"] = pending["token"]
                    return pending["token"]

                req.state["csrf_make"] = make
            await next()
            if "store" in pending:
                try:
                    await self._put(pending["store"], pending["token"])
                except HTTPError as error:
                    from ._chain import render_error

                    render_error(req, res, error)
                    return
            if "cookie" in pending:
                res.cookies.set(
                    cookie_name,
                    pending["cookie"],
                    http_only=True,
                    secure=secure_for(req, cookie_name, secure),
                    same_site=same_site,
                )

        holds = "the CSRF tokens of visitors with a session"
        mark(csrf_middleware, per_process(self.store, "CSRF()", holds, self.default_store))
        return csrf_middleware

    async def _verify(
        self, req: Request, binding: str | None, secret: str | None, peek_limit: int
    ) -> str:
        """The request's token when valid for ``binding`` (a session id) or, without a
        session, for the anonymous ``secret``; else a 403 naming what is wrong."""
        token = req.headers.get(HEADER)
        if token is None:
            kind = req.content_type
            if kind == "application/x-www-form-urlencoded":
                token = (await req.form()).get(FORM_FIELD)
            elif kind == "multipart/form-data":
                try:
                    token = await peek_field(req, FORM_FIELD, peek_limit)
                except BeyondPeek:
                    raise HTTPError(
                        403,
                        f"CSRF token not found in the first {peek_limit} bytes of the "
                        "multipart form: put the _csrf field before the file fields, "
                        "or send the token in the X-CSRF-Token header",
                    ) from None
        if not token:
            raise HTTPError(403, NO_TOKEN)
        if binding is not None:
            current = await self._current(binding)
            if current is None:
                raise HTTPError(403, NOT_ISSUED.format(ttl=self.ttl))
            if not hmac.compare_digest(current.encode(), token.encode()):
                raise HTTPError(403, MISMATCH)
            return token
        if secret is None:
            raise HTTPError(403, NO_COOKIE)
        failure = anonymous_failure(secret, token, self.ttl)
        if failure is not None:
            raise HTTPError(403, failure)
        return token


def exemption(exempt: object) -> Callable[[Request], bool] | None:
    """``csrf.middleware(exempt=...)`` as one predicate (None: nothing is exempt).

    Raises:
        ValueError: a str that is neither a path (``/...``, ``/prefix/*``) nor a method.
        TypeError: an item that is neither a str nor a callable.
    """
    if exempt is None:
        return None
    items = [exempt] if isinstance(exempt, str) or callable(exempt) else exempt
    if not isinstance(items, Iterable):
        raise TypeError(
            "exempt must be a path, a method, a predicate (req) -> bool, or a list of "
            f"those, got {exempt!r}"
        )
    paths: set[str] = set()
    prefixes: list[str] = []
    methods: set[str] = set()
    predicates: list[Callable[[Request], bool]] = []
    for item in items:
        if isinstance(item, str):
            if item.startswith("/"):
                if item.endswith("/*"):
                    prefixes.append(item[:-2])
                elif "*" in item:
                    raise ValueError(
                        f"exempt path {item!r}: only a trailing /* (a prefix) is supported"
                    )
                else:
                    paths.add(item)
            elif _METHOD.fullmatch(item):
                methods.add(item)
            else:
                raise ValueError(
                    f"exempt {item!r} is neither a path (/webhook, /api/*) nor a method (PUT)"
                )
        elif callable(item):
            predicates.append(item)
        else:
            raise TypeError(
                f"exempt items must be paths, methods or predicates (req) -> bool, got {item!r}"
            )
    tuple_prefixes = tuple(prefixes)

    def is_exempt(req: Request) -> bool:
        if req.method in methods:
            return True
        path = req.raw_path
        if path in paths:
            return True
        for prefix in tuple_prefixes:
            if path == prefix or path.startswith(prefix + "/"):
                return True
        return any(predicate(req) for predicate in predicates)

    return is_exempt


def _session_id(req: Request) -> str | None:
    state = req.session_state
    if state is not None and state.error is not None:
        raise state.error  # the session store is down: 503, not "no session"
    return None if state is None else state.id


def _check_id(session_id: str) -> str:
    if not isinstance(session_id, str) or not session_id:
        raise ValueError(f"session_id must be a non-empty str, got {session_id!r}")
    return session_id
