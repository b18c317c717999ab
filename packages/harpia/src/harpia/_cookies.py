"""Cookies: parsing the request's ``Cookie`` header and serialising ``Set-Cookie``.

As the original (``encodeURIComponent``), every cookie name and value is percent-encoded
(UTF-8) on the way out — anything but ``A-Z a-z 0-9 - _ . ! ~ * ' ( )`` — and both are
decoded on read, so any string round-trips: ``;``, ``,``, quotes, ``%``, non-ASCII, and
CR, LF or NUL, which become ``%0D``/``%0A``/``%00`` and can never split a header or
smuggle a second cookie. A value is never refused for its characters; an encoded name
must still be an RFC 7230 token (so ``(`` and ``)``, which encodeURIComponent keeps, and
the empty name are refused). Attribute values are checked (``Path`` starts with ``/`` and
is printable ASCII without ``;``, ``Domain`` is a host name), the ``__Secure-`` and
``__Host-`` name prefixes get the attributes browsers require of them, and a cookie
longer than browsers keep (4096 bytes for encoded name and value) is refused: every
mistake is a ``ValueError`` naming the cookie, never a broken header. Incoming headers
are parsed pair by pair: a broken pair is skipped, the others kept.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote, unquote

from ._headers import TOKEN

if TYPE_CHECKING:
    from ._request import Request

# What encodeURIComponent leaves as it is (with the ASCII letters and digits); all of it
# is a cookie-octet, so an encoded value needs no quotes.
_SAFE = "-_.!~*'()"
_PLAIN_NAME = re.compile(r"[A-Za-z0-9\-_.!~*']+")  # a token encodeURIComponent leaves as is
_PATH = re.compile(r"/[\x20-\x3a\x3c-\x7e]*")  # printable ASCII but ";"
_DOMAIN = re.compile(r"\.?[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?")  # a host name or an IP
MAX_COOKIE_SIZE = 4096  # name + value, the size browsers are required to keep

SameSite = Literal["Strict", "Lax", "None"]


def parse_cookie_header(header: str) -> dict[str, str]:
    """Parse a ``Cookie`` header; broken pairs are skipped one by one, never an error."""
    cookies: dict[str, str] = {}
    for chunk in header.split(";"):
        name, sep, value = chunk.partition("=")
        name = name.strip()
        if not sep or not TOKEN.fullmatch(name):
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        if "%" in name:
            name = unquote(name, errors="replace")
        cookies.setdefault(name, unquote(value, errors="replace") if "%" in value else value)
    return cookies


def encode_component(text: str, what: str) -> str:
    """``text`` percent-encoded as ``encodeURIComponent`` does (UTF-8).

    Raises:
        ValueError: ``text`` holds a lone surrogate (no UTF-8 form; ``what`` names it).
    """
    try:
        return quote(text, safe=_SAFE)
    except UnicodeEncodeError:
        raise ValueError(f"{what} holds a lone surrogate, which has no UTF-8 form") from None


def check_cookie_name(name: str) -> str:
    """Return ``name`` as sent: percent-encoded, then checked to be an RFC 7230 token.

    Raises:
        ValueError: ``name`` is empty or still not a token once encoded (``(``, ``)``).
        TypeError: ``name`` is not a ``str``.
    """
    if not isinstance(name, str):
        raise TypeError(f"cookie name must be str, got {type(name).__name__}")
    if _PLAIN_NAME.fullmatch(name):
        return name  # nothing to encode (the common case)
    encoded = encode_component(name, f"cookie name {name!r}")
    if not TOKEN.fullmatch(encoded):
        raise ValueError(
            f"invalid cookie name {name!r}: once percent-encoded it must be a non-empty "
            f"RFC 7230 token (no '(' or ')')"
        )
    return encoded


def _check_path(name: str, path: str) -> str:
    if not isinstance(path, str) or not _PATH.fullmatch(path):
        raise ValueError(
            f"invalid path {path!r} for cookie {name!r}: it must start with '/' and hold "
            f"printable ASCII only, no ';'"
        )
    return path


def _check_domain(name: str, domain: str) -> str:
    if not isinstance(domain, str) or len(domain) > 253 or not _DOMAIN.fullmatch(domain):
        raise ValueError(f"invalid domain {domain!r} for cookie {name!r}: not a host name")
    return domain


def _check_prefix(name: str, path: str | None, domain: str | None, secure: bool) -> None:
    lower = name.lower()
    if lower.startswith(("__secure-", "__host-")) and not secure:
        raise ValueError(f"cookie {name!r}: a __Secure-/__Host- name needs secure=True")
    if lower.startswith("__host-") and (path != "/" or domain is not None):
        raise ValueError(f"cookie {name!r}: a __Host- name needs path='/' and no domain")


def _seconds(name: str, max_age: int | timedelta) -> int:
    if isinstance(max_age, timedelta):
        return max(0, int(max_age.total_seconds()))
    if isinstance(max_age, bool) or not isinstance(max_age, int):
        raise TypeError(
            f"max_age of cookie {name!r} must be an int of seconds or a timedelta, got {max_age!r}"
        )
    return max(0, max_age)  # Max-Age <= 0 means "expire now"; the grammar has no minus


def serialise_cookie(
    name: str,
    value: str,
    *,
    path: str | None = "/",
    domain: str | None = None,
    max_age: int | timedelta | None = None,
    expires: datetime | None = None,
    http_only: bool = False,
    secure: bool = False,
    same_site: SameSite | None = None,
) -> str:
    """Build a ``Set-Cookie`` header value.

    Name and value are percent-encoded (``encodeURIComponent``); no character of a value
    is refused.

    Raises:
        ValueError: an invalid name, an invalid attribute or ``same_site``, a prefix rule
            broken, a cookie over ``MAX_COOKIE_SIZE`` bytes once encoded, or a lone
            surrogate (which has no UTF-8 form).
        TypeError: a name or value that is not a ``str``, ``max_age`` not an
            ``int``/``timedelta``, ``expires`` not a ``datetime``.
    """
    wire_name = check_cookie_name(name)
    if not isinstance(value, str):
        raise TypeError(f"value of cookie {name!r} must be str, got {type(value).__name__}")
    encoded = encode_component(value, f"value of cookie {name!r}")
    size = len(wire_name) + len(encoded)
    if size > MAX_COOKIE_SIZE:
        raise ValueError(
            f"cookie {name!r} is {size} bytes once encoded; browsers drop cookies over "
            f"{MAX_COOKIE_SIZE}"
        )
    parts = [f"{wire_name}={encoded}"]
    if path is not None:
        parts.append(f"Path={_check_path(name, path)}")
    if domain is not None:
        parts.append(f"Domain={_check_domain(name, domain)}")
    if max_age is not None:
        parts.append(f"Max-Age={_seconds(name, max_age)}")
    if expires is not None:
        if not isinstance(expires, datetime):
            raise TypeError(f"expires of cookie {name!r} must be a datetime, got {expires!r}")
        when = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
        parts.append(f"Expires={format_datetime(when.astimezone(UTC), usegmt=True)}")
    if same_site is not None:
        if same_site not in ("Strict", "Lax", "None"):
            raise ValueError(
                f"same_site of cookie {name!r} must be 'Strict', 'Lax' or 'None': {same_site!r}"
            )
        secure = secure or same_site == "None"  # browsers drop SameSite=None without Secure
    _check_prefix(name, path, domain, secure)
    if http_only:
        parts.append("HttpOnly")
    if secure:
        parts.append("Secure")
    if same_site is not None:
        parts.append(f"SameSite={same_site}")
    return "; ".join(parts)


class RequestCookies:
    """The cookies a request carries: ``get(name)`` and ``get_all()``."""

    __slots__ = ("_cookies",)

    def __init__(self, header: str | list[str] | None) -> None:
        if isinstance(header, list):  # several Cookie fields: one list, in order
            header = "; ".join(header)
        self._cookies = parse_cookie_header(header) if header else {}

    def get(self, name: str, default: str | None = None) -> str | None:
        """Return the decoded value of cookie ``name``, or ``default``."""
        return self._cookies.get(name, default)

    def get_all(self) -> dict[str, str]:
        """Return every cookie as a new dict."""
        return dict(self._cookies)

    def __contains__(self, name: object) -> bool:
        return name in self._cookies

    def __repr__(self) -> str:
        return f"RequestCookies({sorted(self._cookies)!r})"


class ResponseCookies:
    """Cookies to set or delete with the response (one ``Set-Cookie`` header each)."""

    __slots__ = ("_headers",)

    def __init__(self) -> None:
        self._headers: dict[tuple[str, str | None, str | None], str] = {}

    def set(
        self,
        name: str,
        value: str,
        *,
        path: str | None = "/",
        domain: str | None = None,
        max_age: int | timedelta | None = None,
        expires: datetime | None = None,
        http_only: bool = False,
        secure: bool = False,
        same_site: SameSite | None = None,
    ) -> None:
        """Set cookie ``name``; setting it again (same path and domain) replaces it.

        Args:
            name: A non-empty string without ``(`` or ``)``; percent-encoded on the wire
                and decoded by ``req.cookies``.
            value: Any string (percent-encoded on the wire, decoded by ``req.cookies``).
            path: ``Path`` (``None``: no attribute, the browser's default).
            domain: ``Domain`` (``None``: this host only).
            max_age: Lifetime in seconds (or a ``timedelta``); ``0`` expires it now.
            expires: Expiry date (a naive datetime is taken as UTC).
            http_only: Hide the cookie from JavaScript.
            secure: Send it over HTTPS only.
            same_site: ``"Strict"``, ``"Lax"`` or ``"None"`` (which forces ``secure``).

        Raises:
            ValueError: an invalid name or option (see ``serialise_cookie``).
            TypeError: an option of the wrong type.
        """
        header = serialise_cookie(
            name,
            value,
            path=path,
            domain=domain,
            max_age=max_age,
            expires=expires,
            http_only=http_only,
            secure=secure,
            same_site=same_site,
        )
        self._headers[(name, path, domain)] = header

    def delete(self, name: str, *, path: str | None = "/", domain: str | None = None) -> None:
        """Tell the browser to drop cookie ``name`` (empty value, expired).

        ``path`` and ``domain`` must be those the cookie was set with.
        """
        prefixed = isinstance(name, str) and name.lower().startswith(("__secure-", "__host-"))
        header = serialise_cookie(
            name,
            "",
            path=path,
            domain=domain,
            max_age=0,
            expires=datetime(1970, 1, 1, tzinfo=UTC),
            secure=prefixed,  # browsers ignore a prefixed Set-Cookie without Secure
        )
        self._headers[(name, path, domain)] = header

    def headers(self) -> list[str]:
        """The ``Set-Cookie`` header values, in the order the cookies were first set."""
        return list(self._headers.values())

    def __len__(self) -> int:
        return len(self._headers)


def request_is_https(req: Request) -> bool:
    """Whether the browser reached us over HTTPS: ``X-Forwarded-Proto`` (its first entry)
    when the app has ``trust_proxy`` and the header is present, else the connection's
    own scheme (``https``/``wss`` on a TLS listener or an ASGI ``scope["scheme"]``)."""
    if req.trust_proxy:
        forwarded = req.headers.get("x-forwarded-proto")
        if forwarded:
            return forwarded.split(",", 1)[0].strip().lower() == "https"
    return req.scheme in ("https", "wss")


def secure_for(req: Request | None, name: str, secure: bool | None) -> bool:
    """The ``Secure`` flag of cookie ``name``: ``secure`` when given (``True``/``False``
    forces it), else on for a ``__Secure-``/``__Host-`` name or an HTTPS request."""
    if secure is not None:
        return secure
    if name.lower().startswith(("__secure-", "__host-")):
        return True
    return req is not None and request_is_https(req)
