"""CookieSession: sessions without a store, the data signed into the cookie itself.

The cookie is ``<payload>.<signature>``: the payload is the JSON object
``{"v": data, "i": id, "e": expiry}`` in URL-safe base64 (no padding), the signature an
HMAC-SHA256 of the cookie name and the payload, in URL-safe base64. The key is derived
from a secret (``HMAC(secret, "harpia.cookie-session")``), so a secret shared with
other uses signs nothing they would accept. ``secrets=[new, old]``: the first signs,
every one verifies, so a secret can be rotated without logging everyone out (a cookie
signed with an old one is re-signed with the new one the next time it changes).

A cookie that is malformed, signed with an unknown secret, changed by the client or
expired (``e``, a signed unix time, when ``ttl`` is set) is no session: the request gets
a new, empty one. The client can read the data (it is signed, not encrypted): keep
secrets out of it. A signed cookie cannot be revoked before it expires: keep ``ttl``
short, or use a store-backed ``Session`` where logging out must end a session for good.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets as _random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from ._cookies import MAX_COOKIE_SIZE, secure_for
from ._json import json_bytes
from ._session import SessionData, _add_vary

if TYPE_CHECKING:
    from ._request import Request
    from ._response import Response

Middleware = Callable[["Request", "Response", Callable[[], Awaitable[None]]], Awaitable[None]]

MIN_SECRET_BYTES = 32
_CONTEXT = b"harpia.cookie-session"


class SessionTooLarge(ValueError):
    """The signed session cookie would be larger than browsers keep."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _keys(value: object) -> tuple[bytes, ...]:
    items: Sequence[object]
    if isinstance(value, str | bytes):
        items = [value]
    elif isinstance(value, Sequence):
        items = value
    else:
        raise TypeError(f"secrets must be a str, bytes or a list of them, got {value!r}")
    if not items:
        raise ValueError("secrets must hold at least one secret (the first signs)")
    keys: list[bytes] = []
    for position, secret in enumerate(items, 1):
        if not isinstance(secret, str | bytes):
            raise TypeError(f"secret #{position} must be str or bytes, got {type(secret).__name__}")
        raw = secret.encode() if isinstance(secret, str) else secret
        if len(raw) < MIN_SECRET_BYTES:
            raise ValueError(
                f"secret #{position} is {len(raw)} bytes: use at least {MIN_SECRET_BYTES} "
                f"random bytes (secrets.token_urlsafe(32))"
            )
        keys.append(hmac.new(raw, _CONTEXT, hashlib.sha256).digest())
    return tuple(keys)


class CookieSession:
    """Sessions kept in a signed cookie (no store), behind the same ``req.session``.

    Args:
        secrets: The signing secret, or a list ``[new, old, …]``: the first signs, all
            verify (key rotation). Each at least 32 bytes.
        cookie_name: The cookie carrying the session.
        ttl: Lifetime in seconds, signed into the cookie (``e``) and sent as its
            ``Max-Age``; a change keeps the remaining time unless ``rolling``. ``None``:
            no expiry and a browser-session cookie.
        rolling: Restart the lifetime on every request that uses the session.
        secure: ``Secure`` flag: ``None`` (automatic, on for HTTPS requests and
            ``__Secure-``/``__Host-`` names) or forced ``True``/``False``.
        same_site: ``SameSite`` of the cookie.
        max_size: Most bytes for the cookie's name and value; a session that would
            need more raises ``SessionTooLarge`` (a ``ValueError``) when saved, a 500.

    Raises:
        ValueError: no secret, a secret shorter than 32 bytes, ``ttl`` not positive, or
            ``max_size`` not from 64 to 4096.
        TypeError: a secret that is not str/bytes, ``secure`` not a bool or None.
    """

    def __init__(
        self,
        secrets: str | bytes | Sequence[str | bytes],
        cookie_name: str = "session",
        ttl: int | None = None,
        *,
        rolling: bool = False,
        secure: bool | None = None,
        same_site: Literal["Strict", "Lax", "None"] | None = "Lax",
        max_size: int = MAX_COOKIE_SIZE,
    ) -> None:
        self._keys = _keys(secrets)
        if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0):
            raise ValueError(f"ttl must be a positive int (seconds) or None, got {ttl!r}")
        if secure is not None and not isinstance(secure, bool):
            raise TypeError(f"secure must be a bool or None (automatic), got {secure!r}")
        if (
            isinstance(max_size, bool)
            or not isinstance(max_size, int)
            or not 64 <= max_size <= MAX_COOKIE_SIZE
        ):
            raise ValueError(
                f"max_size must be an int from 64 to {MAX_COOKIE_SIZE}, got {max_size!r}"
            )
        self.cookie_name = cookie_name
        self.ttl = ttl
        self.rolling = rolling
        self.secure = secure
        self.same_site = same_site
        self.max_size = max_size

    def __repr__(self) -> str:
        return f"CookieSession(cookie_name={self.cookie_name!r}, ttl={self.ttl!r})"

    # -- signing -----------------------------------------------------------------------

    def _signature(self, key: bytes, payload: str) -> str:
        message = f"{self.cookie_name}:{payload}".encode()
        return _b64(hmac.new(key, message, hashlib.sha256).digest())

    def encode(
        self,
        data: Mapping[str, Any],
        *,
        session_id: str | None = None,
        expires: float | None = None,
    ) -> str:
        """The signed cookie value holding ``data`` (signed with the first secret).

        Raises:
            TypeError: ``data`` is not JSON-serialisable.
        """
        body = {"v": dict(data), "i": session_id or _random.token_urlsafe(16), "e": expires}
        payload = _b64(json_bytes(body))
        return f"{payload}.{self._signature(self._keys[0], payload)}"

    def _decode(self, value: str | None) -> tuple[str, dict[str, Any], float | None] | None:
        if not value or len(value) > 2 * MAX_COOKIE_SIZE:
            return None
        payload, dot, signature = value.rpartition(".")
        if not dot:
            return None
        if not any(
            hmac.compare_digest(signature, self._signature(key, payload)) for key in self._keys
        ):
            return None
        try:
            body = json.loads(_unb64(payload))
        except (ValueError, binascii.Error, RecursionError):
            return None
        if not isinstance(body, dict) or not isinstance(body.get("v"), dict):
            return None
        session_id, expires = body.get("i"), body.get("e")
        if not isinstance(session_id, str):
            return None
        if expires is not None and (not isinstance(expires, int | float) or expires <= time.time()):
            return None
        return session_id, body["v"], expires

    def decode(self, value: str | None) -> dict[str, Any] | None:
        """The data of a signed cookie value; ``None`` when invalid, altered or expired."""
        entry = self._decode(value)
        return None if entry is None else entry[1]

    def from_request(self, req: Request) -> dict[str, Any] | None:
        """The data of ``req``'s session cookie, or ``None``."""
        return self.decode(req.cookies.get(self.cookie_name))

    # -- the cookie --------------------------------------------------------------------

    def _expires_at(self) -> float | None:
        return None if self.ttl is None else time.time() + self.ttl

    def _send(
        self, res: Response, data: Mapping[str, Any], session_id: str, expires: float | None
    ) -> None:
        value = self.encode(data, session_id=session_id, expires=expires)
        size = len(self.cookie_name) + len(value)
        if size > self.max_size:
            raise SessionTooLarge(
                f"the signed session cookie {self.cookie_name!r} would be {size} bytes, over "
                f"its {self.max_size}-byte limit (browsers drop larger cookies): keep less "
                f"in the session (ids rather than objects) or use Session(store)"
            )
        max_age = None if expires is None else max(1, round(expires - time.time()))
        res.cookies.set(
            self.cookie_name,
            value,
            path="/",
            max_age=max_age,
            http_only=True,
            secure=secure_for(res.request, self.cookie_name, self.secure),
            same_site=self.same_site,
        )

    def delete(self, res: Response) -> None:
        """Tell the browser to drop the session cookie."""
        res.cookies.delete(self.cookie_name)

    async def regenerate(self, req: Request, res: Response) -> str | None:
        """Give ``req``'s session a new id and a fresh lifetime (after login).

        The data is kept and re-signed. A signed cookie handed out before still verifies
        until it expires: this renews, it cannot revoke. Returns the new id, or ``None``
        when the request has no session.
        """
        state = req.session_state
        if state is None:
            entry = self._decode(req.cookies.get(self.cookie_name))
            if entry is None:
                return None
            session_id = _random.token_urlsafe(16)
            self._send(res, entry[1], session_id, self._expires_at())
            return session_id
        if not state.to_dict():
            state.regenerated = True
            return None
        state.id = _random.token_urlsafe(16)
        state.expires = self._expires_at()
        state.modified = True
        state.regenerated = True
        return state.id

    # -- the middleware ----------------------------------------------------------------

    def middleware(self, *, preload: bool = True) -> Middleware:
        """``req.session`` from the signed cookie (``app.use(session.middleware())``).

        The cookie is verified before the route (an HMAC, no I/O: ``preload`` is
        accepted for the ``Session`` API and changes nothing; ``await
        req.session.load()`` returns at once). The cookie is sent again only when the
        session changed, was regenerated or cleared (deleted), and on each use with
        ``rolling``; responses that read the session get ``Vary: Cookie``.

        Raises:
            TypeError: ``preload`` is not a bool.
        """
        if not isinstance(preload, bool):
            raise TypeError(f"preload must be a bool, got {preload!r}")

        async def cookie_session_middleware(
            req: Request, res: Response, next: Callable[[], Awaitable[None]]
        ) -> None:
            entry = self._decode(req.cookies.get(self.cookie_name))
            if entry is None:
                state = SessionData(None, {})
            else:
                state = SessionData(entry[0], entry[1])
                state.expires = entry[2]
            req.session_state = state
            await next()
            try:
                self._commit(res, state, had_cookie=entry is not None)
            except Exception as exc:  # too large, not JSON: a logged 500
                from ._chain import render_exception

                render_exception(req, res, exc)

        return cookie_session_middleware

    def _commit(self, res: Response, state: SessionData, *, had_cookie: bool) -> None:
        if state.accessed or state.regenerated:
            _add_vary(res, "Cookie")
        data = state._data
        if not state.modified and not (self.rolling and had_cookie and state.accessed):
            return
        if not data:
            if had_cookie:
                self.delete(res)
            state.id = None
            return
        if state.id is None or self.rolling:
            state.id = state.id or _random.token_urlsafe(16)
            state.expires = self._expires_at()
        self._send(res, data, state.id, state.expires)
