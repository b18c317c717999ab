"""Cookies: parsing the request's ``Cookie`` header and serialising ``Set-Cookie``.

Values are percent-encoded when they hold anything outside RFC 6265's cookie-octets
(spaces, ``;``, ``,``, quotes, backslash, non-ASCII, control characters) and decoded on
read, so any string round-trips. Names must be RFC 7230 tokens.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Literal
from urllib.parse import quote, unquote

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# cookie-octet minus "%" (kept for our own encoding): %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
_SAFE = "!#$&'()*+-./:<=>?@[]^_`{|}~"
_ATTRIBUTE = re.compile(r"^[^\x00-\x1f\x7f;]*$")

SameSite = Literal["Strict", "Lax", "None"]


def parse_cookie_header(header: str) -> dict[str, str]:
    """Parse a ``Cookie`` header; broken pairs are skipped one by one, never an error."""
    cookies: dict[str, str] = {}
    for chunk in header.split(";"):
        name, sep, value = chunk.partition("=")
        name = name.strip()
        if not sep or not _TOKEN.match(name):
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        cookies.setdefault(name, unquote(value, errors="replace"))
    return cookies


def check_cookie_name(name: str) -> str:
    """Return ``name`` if it is a valid cookie name; raise ``ValueError`` otherwise."""
    if not isinstance(name, str) or not _TOKEN.match(name):
        raise ValueError(f"invalid cookie name {name!r}: must be an RFC 7230 token")
    return name


def _attribute(value: str, what: str) -> str:
    if not isinstance(value, str) or not _ATTRIBUTE.match(value):
        raise ValueError(f"invalid cookie {what} {value!r}: no ';' or control characters")
    return value


def serialise_cookie(
    name: str,
    value: str,
    *,
    path: str | None = "/",
    domain: str | None = None,
    max_age: int | None = None,
    expires: datetime | None = None,
    http_only: bool = False,
    secure: bool = False,
    same_site: SameSite | None = None,
) -> str:
    """Build a ``Set-Cookie`` header value.

    Raises:
        ValueError: an invalid name, attribute or ``same_site``.
        TypeError: ``value`` is not a ``str`` or ``max_age`` not an ``int``.
    """
    check_cookie_name(name)
    if not isinstance(value, str):
        raise TypeError(f"cookie value must be str, got {type(value).__name__}")
    parts = [f"{name}={quote(value, safe=_SAFE)}"]
    if path is not None:
        parts.append(f"Path={_attribute(path, 'path')}")
    if domain is not None:
        parts.append(f"Domain={_attribute(domain, 'domain')}")
    if max_age is not None:
        if isinstance(max_age, bool) or not isinstance(max_age, int):
            raise TypeError(f"cookie max_age must be an int of seconds, got {max_age!r}")
        parts.append(f"Max-Age={max_age}")
    if expires is not None:
        if not isinstance(expires, datetime):
            raise TypeError(f"cookie expires must be a datetime, got {expires!r}")
        when = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
        parts.append(f"Expires={format_datetime(when.astimezone(UTC), usegmt=True)}")
    if same_site is not None:
        if same_site not in ("Strict", "Lax", "None"):
            raise ValueError(f"cookie same_site must be 'Strict', 'Lax' or 'None': {same_site!r}")
        secure = secure or same_site == "None"  # browsers drop SameSite=None without Secure
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

    def __init__(self, header: str | None) -> None:
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
        max_age: int | None = None,
        expires: datetime | None = None,
        http_only: bool = False,
        secure: bool = False,
        same_site: SameSite | None = None,
    ) -> None:
        """Set cookie ``name``; setting it again (same path and domain) replaces it."""
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
        """Tell the browser to drop cookie ``name`` (empty value, expired)."""
        header = serialise_cookie(
            name, "", path=path, domain=domain, max_age=0, expires=datetime(1970, 1, 1, tzinfo=UTC)
        )
        self._headers[(name, path, domain)] = header

    def headers(self) -> list[str]:
        """The ``Set-Cookie`` header values, in the order the cookies were first set."""
        return list(self._headers.values())

    def __len__(self) -> int:
        return len(self._headers)
