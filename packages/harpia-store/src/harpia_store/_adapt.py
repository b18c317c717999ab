"""adapt(): turn any object with get/set (sync or async) into a Store."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from ._checks import check_key, check_ttl

if TYPE_CHECKING:
    from ._protocols import Store, StoreLike


def adapt(obj: StoreLike) -> Store[Any]:
    """Wrap an object with ``get`` and ``set`` methods into a ``Store``.

    The methods may be sync or async. ``delete`` is used when present; otherwise deleting
    calls ``set(key, None)``, and likewise ``set(key, None)`` on the adapter deletes — the
    convention of storage objects that treat an empty value as removal. ``ttl`` is passed to
    the object's ``set`` when it accepts a ``ttl`` keyword. Values are handed over as they
    are (the object decides what it can hold).

    An object that already is an async ``Store`` (``get``, ``set`` and ``delete`` all
    coroutine functions) is returned unchanged.

    Raises:
        TypeError: ``obj`` lacks a callable ``get`` or ``set``.
    """
    missing = [name for name in ("get", "set") if not callable(getattr(obj, name, None))]
    if missing:
        raise TypeError(
            f"adapt() needs an object with get() and set(); "
            f"{type(obj).__name__} has no {' or '.join(name + '()' for name in missing)}"
        )
    if all(inspect.iscoroutinefunction(getattr(obj, name, None)) for name in _STORE_METHODS):
        return obj  # type: ignore[return-value]
    return _Adapter(obj)


_STORE_METHODS = ("get", "set", "delete")


async def _resolve(result: Any) -> Any:
    return await result if inspect.isawaitable(result) else result


def _takes_ttl(method: Any) -> bool:
    try:
        parameters = inspect.signature(method).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature
        return False
    return any(p.name == "ttl" or p.kind is p.VAR_KEYWORD for p in parameters)


class _Adapter:
    """A Store in front of a foreign get/set object."""

    __slots__ = ("_delete", "_get", "_set", "_takes_ttl", "wrapped")

    def __init__(self, obj: object) -> None:
        self.wrapped = obj
        self._get = getattr(obj, "get")  # noqa: B009 - checked callable above
        self._set = getattr(obj, "set")  # noqa: B009
        delete = getattr(obj, "delete", None)
        self._delete = delete if callable(delete) else None
        self._takes_ttl = _takes_ttl(self._set)

    def __repr__(self) -> str:
        return f"adapt({self.wrapped!r})"

    async def get(self, key: str) -> Any:
        return await _resolve(self._get(check_key(key)))

    async def set(self, key: str, value: Any, *, ttl: float | None = None) -> None:
        check_key(key)
        if value is None:
            await self.delete(key)
        elif ttl is None:
            await _resolve(self._set(key, value))
        elif self._takes_ttl:
            await _resolve(self._set(key, value, ttl=check_ttl(ttl)))
        else:
            raise TypeError(
                f"{type(self.wrapped).__name__}.set() takes no ttl keyword, "
                f"so key {key!r} cannot be stored with ttl={ttl!r}"
            )

    async def delete(self, key: str) -> None:
        check_key(key)
        if self._delete is not None:
            await _resolve(self._delete(key))
        else:
            await _resolve(self._set(key, None))
