"""CSRF: synchroniser tokens bound to a session, kept in any Store.

One token per session id, under ``prefix + session_id``: ``generate`` replaces it,
``check`` compares in constant time and fails for an expired token or another session's,
``delete`` drops it. The middleware checks unsafe methods and hands templates the token.
"""

from __future__ import annotations

import contextlib
import hmac
import re
import secrets
import time
from typing import TYPE_CHECKING, Any

from harpia_store import MemoryStore, Store, StoreError

from ._errors import HTTPError
from ._form_peek import BeyondPeek, peek_field
from ._session import new_id, unavailable

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from ._request import Request
    from ._response import Response
    from ._session import Middleware

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_FIELD = "_csrf"
HEADER = "x-csrf-token"
PEEK_LIMIT = 64 * 1024
_ANON = re.compile(r"[A-Za-z0-9_-]{43}")


class CSRF:
    """CSRF tokens in ``store`` (a ``MemoryStore`` when omitted), valid ``ttl`` seconds.

    Raises:
        ValueError: ``ttl`` is not a positive number.
    """

    def __init__(
        self, store: Store[Any] | None = None, ttl: float = 300, *, prefix: str = "csrf:"
    ) -> None:
        if isinstance(ttl, bool) or not isinstance(ttl, int | float) or ttl <= 0:
            raise ValueError(f"ttl must be a positive number of seconds, got {ttl!r}")
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
            raise unavailable(exc) from exc

    async def token_for(self, session_id: str) -> str:
        """``session_id``'s current token, or a new one when it has none (or it expired)."""
        return await self._current(session_id) or await self.generate(session_id)

    async def _current(self, session_id: str) -> str | None:
        try:
            entry = await self.store.get(self.prefix + _check_id(session_id))
        except StoreError as exc:
            raise unavailable(exc) from exc
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
            raise unavailable(exc) from exc

    def middleware(
        self,
        session_id: Callable[[Request], str | None] | None = None,
        *,
        cookie_name: str = "csrf_id",
        peek_limit: int = PEEK_LIMIT,
    ) -> Middleware:
        """Check unsafe methods and give handlers and templates the token.

        POST, PUT, PATCH and DELETE need the current token in the ``X-CSRF-Token``
        header or the ``_csrf`` field of a urlencoded or multipart form, else 403. In a
        multipart form ``_csrf`` must lie within the body's first ``peek_limit`` bytes
        (put it before the file fields); the bytes read to find it are pushed back, so
        ``Upload`` and ``req.form()`` still see the whole body. ``req.csrf_token``
        is the token to put in forms: the existing one (also in
        ``req.state["csrf_token"]``), or one made on first read and stored after the
        handler. Tokens are bound to the session id (from ``req.session``, so the
        session middleware runs first and a lazy session is loaded here, or
        ``session_id(req)``); a visitor without a
        session (a login form) is bound to a random id in cookie ``cookie_name``, set
        only when a token is made for it.

        Raises:
            ValueError: ``peek_limit`` is not a positive int.
        """
        if isinstance(peek_limit, bool) or not isinstance(peek_limit, int) or peek_limit <= 0:
            raise ValueError(f"peek_limit must be a positive int (bytes), got {peek_limit!r}")
        find = session_id if session_id is not None else _session_id

        async def csrf_middleware(
            req: Request, res: Response, next: Callable[[], Awaitable[None]]
        ) -> None:
            failure: HTTPError | None = None
            state = req.session_state
            if find is _session_id and state is not None and not state.loaded:
                # a lazy session (preload=False): the token is bound to its id
                with contextlib.suppress(HTTPError):  # kept in state.error, raised below
                    await state.load()
            try:
                binding = find(req)
            except HTTPError as error:  # the session store is down
                if req.method in UNSAFE:
                    raise
                binding, failure = None, error
            if binding is None and failure is None:
                anonymous = req.cookies.get(cookie_name)
                binding = anonymous if anonymous and _ANON.fullmatch(anonymous) else None
            verified = (
                await self._verify(req, binding, peek_limit) if req.method in UNSAFE else None
            )
            try:
                current = verified
                if current is None and binding is not None:
                    current = await self._current(binding)
            except HTTPError as error:  # store down: only reading the token fails (503)
                current, failure = None, error
            pending: dict[str, str] = {}
            if current is not None:
                req.state["csrf_token"] = current
            else:

                def make() -> str:
                    if failure is not None:
                        raise failure
                    if "token" not in pending:
                        pending["binding"] = binding or new_id()
                        pending["token"] = secrets.token_urlsafe(32)
                        req.state["csrf_token"] = pending["token"]
                    return pending["token"]

                req.state["csrf_make"] = make
            await next()
            if "token" in pending:
                try:
                    await self._put(pending["binding"], pending["token"])
                except HTTPError as error:
                    from ._chain import render_error

                    render_error(req, res, error)
                    return
                if binding is None:
                    res.cookies.set(
                        cookie_name, pending["binding"], http_only=True, same_site="Lax"
                    )

        return csrf_middleware

    async def _verify(self, req: Request, binding: str | None, peek_limit: int) -> str:
        """The request's token when it is ``binding``'s current one; else a 403."""
        if binding is None:
            raise HTTPError(403, "CSRF check failed: the request has no session")
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
        if token is None:
            raise HTTPError(403, "CSRF token missing: send it in the _csrf field or X-CSRF-Token")
        if not await self.check(binding, token):
            raise HTTPError(403, "CSRF token invalid or expired: reload the form")
        return token


def _session_id(req: Request) -> str | None:
    state = req.session_state
    if state is not None and state.error is not None:
        raise state.error  # the session store is down: 503, not "no session"
    return None if state is None else state.id


def _check_id(session_id: str) -> str:
    if not isinstance(session_id, str) or not session_id:
        raise ValueError(f"session_id must be a non-empty str, got {session_id!r}")
    return session_id
