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


# What HTTP/1.1 allows on the wire (RFC 9110 §5.5): a name is a token; a value is latin-1
# text (visible characters and obs-text) with single spaces or tabs between them, no
# control character at all — \x00-\x08, \x0a-\x1f and \x7f — and no leading or trailing
# blank. Stricter than h11, which lets \x01-\x08, \x0e-\x1f and \x7f through. Checked
# here, when the app sets a header, so that a mistake raises at the line that made it and
# the server need not check every header of every response again.
TOKEN = re.compile(r"[-!#$%&'*+.^_`|~0-9a-zA-Z]+")  # RFC 9110 token (use fullmatch)
_NAME = TOKEN
_VALUE = re.compile(r"(?:[^\x00-\x20\x7f]+(?:[ \t]+[^\x00-\x20\x7f]+)*)?")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _check_name(name: str) -> str:
    if not isinstance(name, str):
        raise TypeError(f"header name must be str, got {type(name).__name__}")
    if _NAME.fullmatch(name) is None:
        if "\r" in name or "\n" in name or "\0" in name:
            raise ValueError(f"header name must not contain CR, LF or NUL: {name!r}")
        raise ValueError(f"header name must be an HTTP token (no spaces, ':' …): {name!r}")
    return name


def _check_value(name: str, value: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"header {name!r}: value must be str, got {type(value).__name__}")
    if _VALUE.fullmatch(value) is None:
        control = _CONTROL.search(value)
        if control is not None:
            raise ValueError(
                f"header {name!r}: value must not contain control characters "
                f"(CR, LF, NUL, {control.group()!r} …): {value!r}"
            )
        raise ValueError(
            f"header {name!r}: value must not start or end with a space or tab: {value!r}"
        )
    if not value.isascii() and not _latin1(value):
        raise ValueError(
            f"header {name!r}: value must be latin-1 text (percent-encode a URL): {value!r}"
        )
    return value


def _check(name: str, value: str) -> tuple[str, str]:
    return _check_name(name), _check_value(name, value)


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


class MutableHeaders:
    """Response headers: ordered ``(name, value)`` pairs, case-insensitive look-ups.

    ``set`` replaces every value of a name, ``add`` appends another (``Set-Cookie``),
    ``remove`` drops them all. Names and values are validated (a token; no control
    characters), so a broken header is never emitted: ValueError naming the header.
    """

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: list[tuple[str, str]] = []

    def set(self, name: str, value: str) -> None:
        """Replace every value of ``name`` with ``value``."""
        self.put(*_check(name, value))

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
        self._items.append(_check(name, value))

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
