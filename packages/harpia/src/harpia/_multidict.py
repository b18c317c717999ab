"""QueryParams: the multi-valued mapping behind ``req.query`` and ``req.form()``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import overload
from urllib.parse import parse_qsl


class QueryParams(Mapping[str, str]):
    """An immutable multi-dict: ``params["a"]`` / ``get`` give the first value, ``getall`` all.

    Parsing never raises: blank values are kept, undecodable bytes are replaced.
    """

    __slots__ = ("_items", "_map")

    def __init__(self, items: list[tuple[str, str]] | str = "") -> None:
        if isinstance(items, str):
            items = parse_qsl(items, keep_blank_values=True, errors="replace")
        self._items = items
        self._map: dict[str, list[str]] = {}
        for key, value in items:
            self._map.setdefault(key, []).append(value)

    def __getitem__(self, key: str) -> str:
        return self._map[key][0]

    @overload  # type: ignore[override]
    def get(self, key: str, /) -> str | None: ...
    @overload
    def get(self, key: str, /, default: str) -> str: ...
    def get(self, key: str, /, default: str | None = None) -> str | None:
        """Return the first value of ``key``, or ``default``."""
        values = self._map.get(key)
        return values[0] if values else default

    def getall(self, key: str) -> list[str]:
        """Return every value of ``key`` in order (empty list when absent)."""
        return list(self._map.get(key, ()))

    def multi_items(self) -> list[tuple[str, str]]:
        """Every ``(key, value)`` pair in order."""
        return list(self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(self._map)

    def __len__(self) -> int:
        return len(self._map)

    def __repr__(self) -> str:
        return f"QueryParams({self._items!r})"
