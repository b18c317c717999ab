"""``OptionsWatcher``: a component's options, and events when the config file changes.

The loader owns the config file: it calls ``apply(root)`` with each newly parsed config (the
whole file as a dict), or ``apply(None)`` when the file was removed or failed to parse. The
watcher diffs this component's part against the last good one and emits ``change`` once per
changed leaf key path (added and removed keys too, with ``None`` for a removed value).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from ._emitter import Emitter

_MISSING: Any = object()


def key_path(key: str | Sequence[str]) -> list[str]:
    """``"a.b"`` or ``["a", "b"]`` -> ``["a", "b"]``.

    Raises:
        TypeError: not a string or a sequence of strings.
        ValueError: an empty key or key part.
    """
    if isinstance(key, str):
        parts = key.split(".")
    elif isinstance(key, Sequence) and all(isinstance(p, str) for p in key):
        parts = list(key)
    else:
        raise TypeError(f"an option key must be 'a.b' or ['a', 'b'], got {key!r}")
    if not parts or not all(parts):
        raise ValueError(f"an empty option key or key part in {key!r}")
    return parts


def diff(old: Any, new: Any, prefix: list[str]) -> list[tuple[list[str], Any]]:
    """The leaf key paths whose value differs between ``old`` and ``new``, with new values.

    Tables are compared key by key (a missing side counts as an empty table); anything
    else (lists included) is a leaf. A removed leaf's new value is ``None``.
    """
    old_table, new_table = isinstance(old, Mapping), isinstance(new, Mapping)
    if (
        (old_table or new_table)
        and (old_table or old is _MISSING)
        and (new_table or new is _MISSING)
    ):
        before = old if old_table else {}
        after = new if new_table else {}
        changes: list[tuple[list[str], Any]] = []
        for key in [*before, *(k for k in after if k not in before)]:
            changes.extend(
                diff(before.get(key, _MISSING), after.get(key, _MISSING), [*prefix, str(key)])
            )
        if not changes and (old is _MISSING) != (new is _MISSING):
            changes.append((prefix, None if new is _MISSING else new))  # an empty table
        return changes
    if old is _MISSING and new is _MISSING:
        return []
    if old is _MISSING or new is _MISSING or type(old) is not type(new) or old != new:
        return [(prefix, None if new is _MISSING else new)]  # a leaf (or table <-> leaf)
    return []


class OptionsWatcher(Emitter):
    """The options of one component (its table in the config file).

    Events: ``"change"`` (key path as a list, new value, the component's whole new config),
    ``"remove"`` (config gone or unparsable), ``"ready"`` (initial load, and again when the
    config is restored after a ``remove``), ``"close"``, ``"error"``.
    """

    def __init__(self, name: str, root: Mapping[str, Any] | None = None) -> None:
        """Args:
        name: the component's name: its options are ``root[name]``.
        root: the whole parsed config file (None when there is none).
        """
        super().__init__()
        self.name = name
        self._root: dict[str, Any] | None = copy.deepcopy(dict(root)) if root is not None else None
        self._last: Any = self._config(self._root)  # last good config, kept across a remove
        self._removed = self._last is _MISSING
        self._closed = False

    def __repr__(self) -> str:
        return f"OptionsWatcher({self.name!r})"

    def _config(self, root: Mapping[str, Any] | None) -> Any:
        if root is None:
            return _MISSING
        return root.get(self.name, _MISSING)

    def get(self, key: str | Sequence[str]) -> Any:
        """The option at ``key`` (``"a.b"`` or ``["a", "b"]``); None when absent."""
        value = self._config(self._root)
        for part in key_path(key):
            if not isinstance(value, Mapping) or part not in value:
                return None
            value = value[part]
        return value

    def get_all(self) -> Any:
        """This component's whole config (usually a dict); None when absent."""
        value = self._config(self._root)
        return None if value is _MISSING else value

    def get_root(self) -> dict[str, Any] | None:
        """The whole parsed config file; None when absent."""
        return self._root

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return self._closed

    def _is_closed(self) -> bool:  # a call: mypy would narrow an attribute across awaits
        return self._closed

    @property
    def removed(self) -> bool:
        """Whether the config is currently removed (``remove`` emitted, no ``ready`` since)."""
        return self._removed

    async def apply(self, root: Mapping[str, Any] | None) -> None:
        """Take a newly loaded config file (None: removed or unparsable).

        A root without this component's table counts as removed. After a ``remove``, a
        restored config is diffed against the last good one, then ``ready`` is emitted.
        """
        if self._closed:
            return
        new_root = copy.deepcopy(dict(root)) if root is not None else None
        config = self._config(new_root)
        if config is _MISSING:
            self._root = None
            if not self._removed:
                self._removed = True
                await self.emit("remove")
            return
        self._root = new_root
        changes = diff(self._last, config, [])
        self._last = config
        for key, value in changes:
            if self._is_closed():
                return
            await self.emit("change", key, value, config)
        if self._removed:
            self._removed = False
            await self.emit("ready")

    async def close(self) -> None:
        """Emit ``close``, remove all listeners; later ``apply()`` calls are ignored."""
        if self._closed:
            return
        self._closed = True
        await self.emit("close")
        self.remove_all_listeners()
