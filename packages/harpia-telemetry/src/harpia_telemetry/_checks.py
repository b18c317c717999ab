"""Argument checks: every public entry point rejects bad input the same way.

Wrong types raise ``TypeError`` and wrong values ``ValueError``, each naming the argument.
The normalising checks also bound what a request can make us store: paths, IP texts,
error messages and UTM values are cut to fixed lengths, so a hostile client cannot grow
the store with one huge header.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

MAX_PATH = 1024
"""Longer paths are recorded cut to this many characters."""
MAX_MESSAGE = 500
"""Longer error messages are recorded cut to this many characters."""
MAX_SOURCE_VALUE = 100
"""Longer UTM values are recorded cut to this many characters."""
MAX_IP_TEXT = 64
UNKNOWN_IP = "unknown"

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TOKEN_TEXT = re.compile(r"[A-Za-z0-9._\-\[\]%]+")


def today() -> str:
    """The current UTC day as ``YYYY-MM-DD``."""
    return datetime.now(UTC).date().isoformat()


def check_date(value: object, name: str = "date") -> str:
    """Return the UTC day ``value`` names (``None``: today) as ``YYYY-MM-DD``.

    A ``datetime.date`` is accepted too. Raises ``TypeError``/``ValueError`` naming ``name``.
    """
    if value is None:
        return today()
    if isinstance(value, datetime):
        return (
            value.astimezone(UTC).date().isoformat() if value.tzinfo else value.date().isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a 'YYYY-MM-DD' string, got {type(value).__name__}")
    if not _DATE.fullmatch(value):
        raise ValueError(f"{name} must be a 'YYYY-MM-DD' string, got {value!r}")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} is not a real day: {value!r}") from None
    return value


def check_int(value: object, name: str, *, minimum: int) -> int:
    """Return ``value`` if it is an ``int`` (not ``bool``) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}: {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return value


def check_number(value: object, name: str) -> float:
    """Return ``value`` as a float if it is a finite number >= 0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}: {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def check_str(value: object, name: str) -> str:
    """Return ``value`` if it is a ``str``."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be str, got {type(value).__name__}: {value!r}")
    return value


def normalize_ip(value: object, name: str = "ip") -> str:
    """Return the canonical text of an IP address (``::1``, ``203.0.113.7``).

    Text that is not an address (``"unknown"``, a socket path) is kept when it is a short
    run of safe characters, so a front end that cannot tell the peer still records.

    Raises:
        TypeError: ``value`` is not a ``str``.
        ValueError: ``value`` is empty, too long or holds unsafe characters.
    """
    text = check_str(value, name).strip()
    try:
        return ipaddress.ip_address(text).compressed
    except ValueError:
        pass
    if len(text) > MAX_IP_TEXT or not _TOKEN_TEXT.fullmatch(text):
        raise ValueError(f"{name} must be an IP address or a short token, got {value!r}")
    return text


def parse_ip(value: str) -> str | None:
    """The canonical form of ``value`` when it is an IP address (port and brackets allowed)."""
    text = value.strip()
    if text.startswith("["):  # "[::1]:8080"
        text = text[1 : text.find("]")] if "]" in text else text
    elif text.count(":") == 1:  # "203.0.113.7:8080"
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text).compressed
    except ValueError:
        return None


def check_path(value: object, name: str = "path") -> str:
    """Return a request path (must start with ``/``), cut to ``MAX_PATH`` characters."""
    text = check_str(value, name)
    if not text.startswith("/"):
        raise ValueError(f"{name} must start with '/', got {value!r}")
    return text[:MAX_PATH]


def check_status(value: object) -> int:
    """Return an HTTP status code (100 to 599)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"status must be an int, got {type(value).__name__}: {value!r}")
    if not 100 <= value <= 599:
        raise ValueError(f"status must be from 100 to 599, got {value!r}")
    return value


def check_error(value: object) -> dict[str, Any] | None:
    """Return ``{"code": int, "message": str}`` (message cut), or ``None``."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TypeError(f"error must be None or a mapping with code and message, got {value!r}")
    code = value.get("code")
    message = value.get("message", "")
    if isinstance(code, bool) or not isinstance(code, int):
        raise TypeError(f"error['code'] must be an int, got {code!r}")
    if not isinstance(message, str):
        raise TypeError(f"error['message'] must be str, got {type(message).__name__}")
    return {"code": code, "message": message[:MAX_MESSAGE]}


def check_source(value: object) -> dict[str, Any] | None:
    """Return ``{"utm": {name: value}}`` with the ``str`` values kept (cut), or ``None``.

    ``None`` values are dropped; a source with no value left is ``None``.
    """
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TypeError(f"source must be None or a mapping like {{'utm': {{...}}}}, got {value!r}")
    utm = value.get("utm")
    if utm is None:
        return None
    if not isinstance(utm, Mapping):
        raise TypeError(f"source['utm'] must be a mapping, got {type(utm).__name__}")
    kept: dict[str, str] = {}
    for key, item in utm.items():
        if not isinstance(key, str):
            raise TypeError(f"source['utm'] keys must be str, got {key!r}")
        if item is None:
            continue
        if not isinstance(item, str):
            raise TypeError(f"source['utm'][{key!r}] must be str or None, got {item!r}")
        if item:
            kept[key[:MAX_SOURCE_VALUE]] = item[:MAX_SOURCE_VALUE]
    return {"utm": kept} if kept else None


def check_timestamp(value: object) -> datetime:
    """Return an aware ``datetime`` in UTC (``None``: now)."""
    if value is None:
        return datetime.now(UTC)
    if not isinstance(value, datetime):
        raise TypeError(f"timestamp must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp must be timezone-aware (e.g. datetime.now(UTC))")
    return value.astimezone(UTC)


def check_names(value: object, name: str) -> tuple[str, ...]:
    """Return an iterable of ``str`` (not a single ``str``) as a tuple."""
    if value is None:
        return ()
    if isinstance(value, str | bytes) or not hasattr(value, "__iter__"):
        raise TypeError(f"{name} must be a list of str, got {type(value).__name__}: {value!r}")
    items = tuple(value)
    for item in items:
        check_str(item, f"{name} item")
    return items
