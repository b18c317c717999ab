"""Argument checks shared by every store, so they all reject the same inputs the same way.

Values must be JSON data: ``None``, ``bool``, ``int``, ``float``, ``str``, and ``list`` /
``tuple`` / ``dict`` (with ``str`` keys) of those. A Redis store serialises them; the memory
store keeps them by reference but refuses anything Redis could not hold, so code that works
against one store works against the other.
"""

from __future__ import annotations

import math
from typing import Any, NoReturn

SCALARS: frozenset[type] = frozenset({str, int, float, bool, type(None)})


def bad_key(key: object) -> NoReturn:
    """Raise the ``TypeError`` for a key that is not a ``str``."""
    raise TypeError(f"store keys must be str, got {type(key).__name__}: {key!r}")


def check_key(key: object) -> str:
    """Return ``key`` if it is a ``str``; raise ``TypeError`` otherwise."""
    if type(key) is not str:
        bad_key(key)
    return key


def check_ttl(ttl: object, name: str = "ttl") -> float:
    """Validate a time-to-live in seconds and return it as a float.

    Raises:
        TypeError: ``ttl`` is not an int or float (``bool`` is refused).
        ValueError: ``ttl`` is not a finite number greater than zero.
    """
    if isinstance(ttl, bool) or not isinstance(ttl, int | float):
        raise TypeError(f"{name} must be a number of seconds, got {type(ttl).__name__}: {ttl!r}")
    if not math.isfinite(ttl) or ttl <= 0:
        raise ValueError(f"{name} must be a finite number of seconds > 0, got {ttl!r}")
    return float(ttl)


def check_str(value: object, name: str) -> str:
    """Return ``value`` if it is a ``str``; raise ``TypeError`` naming ``name`` otherwise."""
    if type(value) is not str:
        raise TypeError(f"{name} must be str, got {type(value).__name__}: {value!r}")
    return value


def check_int(value: object, name: str) -> int:
    """Return ``value`` if it is an ``int`` (not a ``bool``); raise ``TypeError`` otherwise."""
    if type(value) is not int:
        raise TypeError(f"{name} must be an int, got {type(value).__name__}: {value!r}")
    return value


def check_max_len(max_len: object) -> int | None:
    """Validate the optional bound of a list (``None`` or an int >= 1)."""
    if max_len is None:
        return None
    if check_int(max_len, "max_len") < 1:
        raise ValueError(f"max_len must be >= 1, got {max_len!r}")
    return max_len  # type: ignore[return-value]


def check_member(key: str, member: object) -> str:
    """Set members are strings; refuse anything else, naming the key."""
    if type(member) is not str:
        raise TypeError(
            f"set members must be str, got {type(member).__name__} for key {key!r}: {member!r}"
        )
    return member


MAX_DEPTH = 200


def check_json(key: str, value: object) -> None:
    """Raise ``TypeError`` naming ``key`` unless ``value`` is JSON data.

    Scalars pass at once; containers are walked without building anything, and only a
    failure pays for a message that points at the offending part. Nesting deeper than
    ``MAX_DEPTH`` (which includes a container holding itself) is refused.
    """
    if type(value) in SCALARS or _is_json(value, 0):
        return
    raise TypeError(
        f"value for key {key!r} is not JSON-serialisable: {_json_problem(value, 'value', 0)}"
    )


def _is_json(value: Any, depth: int) -> bool:
    if depth > MAX_DEPTH:
        return False
    kind = type(value)
    if kind is dict or (kind not in SCALARS and isinstance(value, dict)):
        for k, item in value.items():
            if type(k) is not str or (type(item) not in SCALARS and not _is_json(item, depth + 1)):
                return False
        return True
    if kind is list or kind is tuple or isinstance(value, list | tuple):
        for item in value:
            if type(item) not in SCALARS and not _is_json(item, depth + 1):
                return False
        return True
    return isinstance(value, str | int | float | None)  # scalars and their subclasses


def _json_problem(value: Any, where: str, depth: int) -> str:
    """Describe the first part of ``value`` that is not JSON (``value`` is known bad)."""
    if depth > MAX_DEPTH:
        return f"{where} is nested deeper than {MAX_DEPTH} levels (or contains itself)"
    if isinstance(value, dict):
        for k, item in value.items():
            if type(k) is not str:
                return f"{where} has a {type(k).__name__} key {k!r} (keys must be str)"
            if not _is_json(item, depth + 1):
                return _json_problem(item, f"{where}[{k!r}]", depth + 1)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            if not _is_json(item, depth + 1):
                return _json_problem(item, f"{where}[{index}]", depth + 1)
    return f"{where} is a {type(value).__name__}"
