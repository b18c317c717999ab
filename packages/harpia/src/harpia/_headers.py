"""Case-insensitive, multi-valued header collections.

Request headers keep the raw list the protocol layer produced (``bytes`` pairs, names
lower-cased) and decode lazily; response headers are kept as ``str`` pairs and encoded
once when the response is sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import overload

RawHeaders = list[tuple[bytes, bytes]]


class HeaderBlock:
    """Headers fixed before the response is built (the shield's), checked once.

    ``pairs`` serve the ASGI adapter and the test client; the native server sends
    ``wire``, the same lines serialised once (``name: value\r\n`` each), so a block shared
    by every response costs the server no per-header work at all.
    """

    __slots__ = ("_wire", "pairs")

    def __init__(self, pairs: RawHeaders) -> None:
        self.pairs = pairs
        self._wire: bytes | None = None

    @property
    def wire(self) -> bytes:
        """The lines as sent (computed on first use, then kept)."""
        wire = self._wire
        if wire is None:
            wire = self._wire = b"".join([b"%s: %s\r\n" % pair for pair in self.pairs])
        return wire

    def __bool__(self) -> bool:
        return bool(self.pairs)


class Headers(Mapping[str, str]):
    """Read-only request headers: ``headers["content-type"]``, ``get``, ``getall``.

    Names are case-insensitive. ``headers[name]`` and ``get`` return the first value;
    ``getall`` returns every value in order.
    """

    __slots__ = ("_index", "raw")

    def __init__(self, raw: RawHeaders) -> None:
        self.raw = raw
        self._index: dict[str, list[str]] | None = None

    def _built(self) -> dict[str, list[str]]:
        index = self._index
        if index is None:
            index = {}
            for name, value in self.raw:
                index.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1"))
            self._index = index
        return index

    def __getitem__(self, name: str) -> str:
        return self._built()[name.lower()][0]

    @overload  # type: ignore[override]
    def get(self, name: str, /) -> str | None: ...
    @overload
    def get(self, name: str, /, default: str) -> str: ...
    def get(self, name: str, /, default: str | None = None) -> str | None:
        """Return the first value of header ``name``, or ``default``."""
        values = self._built().get(name.lower())
        return values[0] if values else default

    def getall(self, name: str) -> list[str]:
        """Return every value of header ``name`` (empty list when absent)."""
        return list(self._built().get(name.lower(), ()))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._built()

    def __iter__(self) -> Iterator[str]:
        return iter(self._built())

    def __len__(self) -> int:
        return len(self._built())

    def __repr__(self) -> str:
        return f"Headers({[(k, v) for k, vs in self._built().items() for v in vs]!r})"


# What HTTP/1.1 (and h11, which would refuse anything else) allows on the wire: a name is
# a token; a value is latin-1 text without NUL, CR, LF, form feed or vertical tab, and
# without leading or trailing blanks. Checked here, when the app sets a header, so that a
# mistake raises at the line that made it and the server need not check every header of
# every response again.
_NAME = re.compile(r"[-!#$%&'*+.^_`|~0-9a-zA-Z]+")
_VALUE = re.compile(r"(?:[^\x00\t\n\x0b\x0c\r ]+(?:[ \t]+[^\x00\t\n\x0b\x0c\r ]+)*)?")


def _check(text: str, what: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"header {what} must be str, got {type(text).__name__}")
    if "\r" in text or "\n" in text or "\0" in text:
        raise ValueError(f"header {what} must not contain CR, LF or NUL: {text!r}")
    if what == "name":
        if _NAME.fullmatch(text) is None:
            raise ValueError(f"header name must be an HTTP token (no spaces, ':' …): {text!r}")
    elif _VALUE.fullmatch(text) is None or (not text.isascii() and not _latin1(text)):
        raise ValueError(
            "header value must be latin-1 text without form feed, vertical tab or "
            f"leading/trailing blanks: {text!r}"
        )
    return text


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


class MutableHeaders:
    """Response headers: ordered ``(name, value)`` pairs, case-insensitive look-ups.

    ``set`` replaces every value of a name, ``add`` appends another (``Set-Cookie``),
    ``remove`` drops them all. Names and values are validated (no CR/LF/NUL), so a
    broken header is never emitted.
    """

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: list[tuple[str, str]] = []

    def set(self, name: str, value: str) -> None:
        """Replace every value of ``name`` with ``value``."""
        self.put(_check(name, "name"), _check(value, "value"))

    def put(self, name: str, value: str) -> None:
        """``set`` for names and values already known to be valid (no checks)."""
        items = self._items
        if items:
            lower = name.lower()
            if any(key.lower() == lower for key, _ in items):
                self._items = items = [item for item in items if item[0].lower() != lower]
        items.append((name, value))

    def add(self, name: str, value: str) -> None:
        """Add another value of ``name``."""
        self._items.append((_check(name, "name"), _check(value, "value")))

    def setdefault(self, name: str, value: str) -> None:
        """Set ``name`` only when it has no value yet."""
        if self.get(name) is None:
            self.add(name, value)

    def get(self, name: str, default: str | None = None) -> str | None:
        """Return the first value of ``name``, or ``default``."""
        lower = name.lower()
        for key, value in self._items:
            if key.lower() == lower:
                return value
        return default

    def getall(self, name: str) -> list[str]:
        """Return every value of ``name``."""
        lower = name.lower()
        return [value for key, value in self._items if key.lower() == lower]

    def remove(self, name: str) -> None:
        """Drop every value of ``name``."""
        lower = name.lower()
        self._items = [item for item in self._items if item[0].lower() != lower]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def items(self) -> list[tuple[str, str]]:
        """The pairs, in order."""
        return list(self._items)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"MutableHeaders({self._items!r})"

    def encoded(self) -> RawHeaders:
        """The pairs as ``latin-1`` bytes, ready for the wire."""
        return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in self._items]
