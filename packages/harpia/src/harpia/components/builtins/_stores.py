"""The ``store`` option of built-ins: ``"memory"`` or a Redis URL (``redis://``,
``rediss://``, ``unix://``, ``redis+cluster://`` or ``redis+sentinel://``)."""

from __future__ import annotations

from typing import Any

from .._errors import OptionError

_REDIS_SCHEMES = (
    "redis://",
    "rediss://",
    "unix://",
    "redis+cluster://",
    "rediss+cluster://",
    "redis+sentinel://",
    "rediss+sentinel://",
)


def check_store(key: str, value: Any) -> str:
    """``"memory"`` or a Redis URL."""
    if not isinstance(value, str) or not (value == "memory" or value.startswith(_REDIS_SCHEMES)):
        raise OptionError(key, f'expected "memory" or a redis:// URL, got {value!r}')
    return value


def make_store(value: str | None, *, prefix: str | None = None, memory: Any = None) -> Any:
    """The store ``value`` names: ``memory`` (``memory`` if given, else a fresh
    ``MemoryStore``) or a ``RedisStore`` on the URL (``prefix`` for its keys)."""
    from harpia_store import MemoryStore, RedisStore

    if value is None or value == "memory":
        return memory if memory is not None else MemoryStore()
    return RedisStore(value) if prefix is None else RedisStore(value, prefix=prefix)


async def close_store(store: Any) -> None:
    """Close a Redis store's connections (memory stores have nothing to close)."""
    close = getattr(store, "close", None)
    if close is not None:
        await close()
