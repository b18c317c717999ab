"""Route patterns: prefixes, joining, parsing, validation and the canonical path spelling.

A pattern is a ``/``-separated list of segments: static text, ``:name`` (one non-empty
segment) or a final ``*`` / ``*name`` (the rest of the path, possibly empty). Static text is
stored in a canonical percent-encoded spelling so that it can be compared with raw request
paths: RFC 3986 unreserved characters appear as themselves, every other escape uses
upper-case hex, and characters that a client must encode (space, non-ASCII, a stray ``%``
...) are encoded as UTF-8. `canonical` is idempotent and never changes what
``urllib.parse.unquote`` makes of a string, so parameter values are unaffected by it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from ._route import ANY_METHOD

STATIC: Final = 0
PARAM: Final = 1
WILDCARD: Final = 2

Segment = tuple[int, str]
"""``(kind, text)``: canonical text for STATIC, the parameter name for PARAM/WILDCARD."""

# RFC 9110 token: what a method name may be made of.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# An escape to normalise, or one character a canonical path may not hold as it is. The
# characters left alone are RFC 3986 pchars (unreserved, sub-delims, ":", "@") and "/".
_ESCAPE_OR_UNSAFE = re.compile(r"%[0-9A-Fa-f]{2}|[^A-Za-z0-9\-._~!$&'()*+,;=:@/]")
# What `canonical` would change: a "%" not followed by two upper-case hex digits, an escape
# of an unreserved character, or an unsafe character. Raw request paths with escapes are
# usually canonical already; this check spares them the substitution.
_NOT_CANONICAL = re.compile(
    r"%(?![0-9A-F]{2})|%(?:2[DE]|3[0-9]|4[1-9A-F]|5[0-9AF]|6[1-9A-F]|7[0-9AE])"
    r"|[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]"
)


def _canonical_piece(found: re.Match[str]) -> str:
    text = found.group()
    if len(text) == 3:  # a valid escape ("%" alone and other characters are one long)
        char = chr(int(text[1:], 16))
        return char if char in _UNRESERVED else text.upper()
    # "surrogatepass": a lone surrogate must not make matching raise.
    return "".join([f"%{byte:02X}" for byte in text.encode("utf-8", "surrogatepass")])


def canonical(path: str) -> str:
    """Return the canonical percent-encoded spelling of a path or segment.

    Args:
        path: A path or one segment, raw (percent-encoded) or not.

    Returns:
        The same path with escapes normalised and unsafe characters encoded; ``"/"`` and
        ``"%2F"`` stay distinct.
    """
    if _NOT_CANONICAL.search(path) is None:
        return path
    return _ESCAPE_OR_UNSAFE.sub(_canonical_piece, path)


def check_method(method: str) -> str:
    """Validate a method name given at registration and return it upper-cased.

    Raises:
        ValueError: If the method is empty or not an HTTP token.
    """
    if not isinstance(method, str) or not _TOKEN.fullmatch(method):
        raise ValueError(f"invalid HTTP method {method!r}: expected a token such as 'GET'")
    return method.upper()


def method_label(method: str) -> str:
    """Spell a stored method for error messages (``ALL`` for the any-method sentinel)."""
    return "ALL" if method == ANY_METHOD else method


def normalise_prefix(prefix: str | None) -> str:
    """Return a router prefix as ``"/books"`` (no trailing slash), or ``""`` for none.

    ``"books"``, ``"/books"`` and ``"books/"`` all give ``"/books"``.
    """
    if prefix is None:
        return ""
    if not isinstance(prefix, str):
        raise TypeError(f"router prefix must be a str or None, not {type(prefix).__name__}")
    prefix = prefix.rstrip("/")
    if prefix and not prefix.startswith("/"):
        prefix = "/" + prefix
    return prefix


def join(prefix: str, path: str) -> str:
    """Join a normalised prefix and a route path into a full pattern.

    An empty path is the prefix itself (or ``/``); a path without a leading slash gets one.
    """
    if not isinstance(path, str):
        raise TypeError(f"route path must be a str, not {type(path).__name__}")
    if not path:
        return prefix or "/"
    if not path.startswith("/"):
        path = "/" + path
    return prefix + path


@dataclass(frozen=True, slots=True)
class Pattern:
    """A parsed, validated pattern.

    Attributes:
        text: The normalised pattern as written; it is the route's name in a `Match`.
        segments: One entry per segment.
        static_key: The canonical path when every segment is static, else None.
    """

    text: str
    segments: tuple[Segment, ...]
    static_key: str | None


def parse(text: str, strict_slashes: bool) -> Pattern:
    """Parse and validate a full pattern (see `join`).

    Args:
        text: The full pattern, starting with ``/``.
        strict_slashes: When false, one trailing slash is dropped (``/a/`` is ``/a``).

    Raises:
        ValueError: For ``//``, an empty or invalid parameter name, a name used twice, or
            a wildcard that is not the last segment. The message quotes the pattern.
    """
    if "//" in text:
        raise ValueError(f"empty segment ('//') in route pattern {text!r}")
    if not strict_slashes and len(text) > 1 and text.endswith("/"):
        text = text[:-1]
    parts = text[1:].split("/")
    last = len(parts) - 1
    segments: list[Segment] = []
    names: list[str] = []
    for index, part in enumerate(parts):
        if part.startswith((":", "*")):
            wildcard = part[0] == "*"
            if wildcard and index != last:
                raise ValueError(
                    f"wildcard {part!r} must be the last segment of route pattern {text!r}"
                )
            name = part[1:]
            if wildcard and not name:
                name = "*"
            elif not name:
                raise ValueError(f"empty parameter name (':') in route pattern {text!r}")
            elif not _NAME.fullmatch(name):
                raise ValueError(
                    f"invalid parameter name {name!r} in route pattern {text!r}: use letters,"
                    " digits and underscores, not starting with a digit"
                )
            if name in names:
                raise ValueError(f"parameter name {name!r} used twice in route pattern {text!r}")
            names.append(name)
            segments.append((WILDCARD if wildcard else PARAM, name))
        else:
            segments.append((STATIC, canonical(part)))
    static_key = None if names else "/" + "/".join([segment for _, segment in segments])
    return Pattern(text, tuple(segments), static_key)
