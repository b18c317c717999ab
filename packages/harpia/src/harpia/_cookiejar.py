"""CookieJar: the test client's cookies, kept as the server sent them."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from email.utils import parsedate_to_datetime


class CookieJar(MutableMapping[str, str]):
    """The client's cookies: ``name -> value`` as the server sent it (still encoded).

    A mapping you may read and edit; cookies with an expiry vanish once it has passed.

    Args:
        clock: Returns the current time as a Unix timestamp (tests may pass a fake one).
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._values: dict[str, str] = {}
        self._expires: dict[str, float] = {}

    def _purge(self) -> None:
        if self._expires:
            now = self._clock()
            for name in [n for n, when in self._expires.items() if when <= now]:
                del self._values[name], self._expires[name]

    def __getitem__(self, name: str) -> str:
        self._purge()
        return self._values[name]

    def __setitem__(self, name: str, value: str) -> None:
        self._values[name] = value
        self._expires.pop(name, None)

    def __delitem__(self, name: str) -> None:
        del self._values[name]
        self._expires.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        self._purge()
        return iter(list(self._values))

    def __len__(self) -> int:
        self._purge()
        return len(self._values)

    def __repr__(self) -> str:
        self._purge()
        return f"CookieJar({self._values!r})"

    def store(self, header: str) -> tuple[str, str] | None:
        """Apply one ``Set-Cookie`` header value.

        Returns:
            The cookie's ``(name, raw value)``, or ``None`` for a header without a name.
        """
        first, *attributes = header.split(";")
        name, sep, value = first.partition("=")
        name = name.strip()
        if not sep or not name:
            return None
        value = value.strip()
        max_age: int | None = None
        expires: float | None = None
        for attribute in attributes:
            key, _, arg = attribute.partition("=")
            key = key.strip().lower()
            if key == "max-age":
                try:
                    max_age = int(arg.strip())
                except ValueError:
                    continue
            elif key == "expires":
                try:
                    expires = parsedate_to_datetime(arg.strip()).timestamp()
                except (TypeError, ValueError, IndexError, OverflowError):
                    continue
        if max_age is not None:  # Max-Age wins over Expires (RFC 6265 §5.3)
            expires = self._clock() + max_age if max_age > 0 else 0.0
        if expires is not None and expires <= self._clock():
            self._values.pop(name, None)
            self._expires.pop(name, None)
        else:
            self._values[name] = value
            if expires is None:
                self._expires.pop(name, None)
            else:
                self._expires[name] = expires
        return name, value

    def header(self, extra: Mapping[str, str] | None = None) -> str | None:
        """The ``Cookie`` header for a request (jar plus ``extra``), or ``None`` if empty."""
        self._purge()
        merged = {**self._values, **(extra or {})}
        if not merged:
            return None
        return "; ".join(f"{name}={value}" for name, value in merged.items())
