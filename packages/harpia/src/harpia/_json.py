"""JSON for responses: one prebuilt C encoder, and the types it encodes beyond JSON's own.

Plain data (dict, list, str, int, float, bool, None) never leaves the C encoder. Other
objects reach ``encode_default`` — only when one is met, so the fast path costs nothing
more — which turns them into JSON values:

| type | JSON |
|---|---|
| ``datetime``, ``date``, ``time`` | ISO 8601 string (``isoformat()``) |
| ``UUID`` | its canonical string |
| ``Decimal`` | a string (``str(d)``: exact, as Flask, Django REST framework and pydantic do) |
| ``Enum`` | its ``value`` (encoded in turn) |
| a dataclass instance | ``dataclasses.asdict`` |
| ``pathlib.PurePath`` | ``str(path)`` |
| ``set``, ``frozenset`` | not encoded (no order): ``TypeError`` like any other type |

Anything else raises ``UnencodableError`` (a ``TypeError``) naming the type;
``Response.json`` adds the route.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import uuid
from decimal import Decimal
from enum import Enum
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from pathlib import PurePath
from typing import Any


class UnencodableError(TypeError):
    """``res.json`` met a value of a type it does not encode."""


def encode_default(value: object) -> Any:
    """A JSON value for ``value`` (called by the encoder for types JSON lacks).

    Raises:
        UnencodableError: a type not in the table above.
    """
    if isinstance(value, datetime.date | datetime.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, PurePath):
        return str(value)
    kind = type(value)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    raise UnencodableError(
        f"Object of type {name} is not JSON serializable: res.json encodes dict, list, "
        "str, int, float, bool, None, datetime/date/time, UUID, Decimal, Enum, "
        "dataclasses and paths; convert it first (e.g. to a dict or str)"
    )


# One C encoder for every response, made once: json.dumps (and JSONEncoder.encode) build a
# new one per call, which costs more than encoding a small object (0.7 µs instead of 1.8
# for {"message": ...}). ASCII output (non-ASCII as \u escapes) measured ~40% faster than
# ensure_ascii=False. No circular-reference markers (a dict shared by every call would keep
# stale entries after a failed one): a cycle ends in RecursionError, a 500 all the same.
if c_make_encoder is not None:
    _encoder = c_make_encoder(
        None, encode_default, encode_basestring_ascii, None, ":", ",", False, False, True
    )

    def json_bytes(data: Any) -> bytes:
        """Serialise ``data`` as compact UTF-8 JSON."""
        return "".join(_encoder(data, 0)).encode()

else:  # pragma: no cover - an interpreter without the C accelerator
    _encode = json.JSONEncoder(
        separators=(",", ":"), check_circular=False, default=encode_default
    ).encode

    def json_bytes(data: Any) -> bytes:
        """Serialise ``data`` as compact UTF-8 JSON."""
        return _encode(data).encode()
