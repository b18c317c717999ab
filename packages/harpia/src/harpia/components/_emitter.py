"""A small async event emitter: the base of ``Scope``, ``EntryHandler`` and ``OptionsWatcher``.

Listeners may be plain functions or coroutine functions; ``emit`` calls them in the order
they were added and awaits what they return. A listener that raises never stops the emitter
(nor the file watcher behind it): the exception is emitted as ``"error"``, or logged to the
``harpia.components`` logger when nobody listens to ``"error"``.
"""

from __future__ import annotations

import inspect
import logging
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING:
    from collections.abc import Callable

logger = logging.getLogger("harpia.components")

F = TypeVar("F", bound="Callable[..., Any]")


class Emitter:
    """Named events with ordered sync or async listeners."""

    def __init__(self) -> None:
        self._listeners: dict[str, list[Callable[..., Any]]] = {}

    @overload
    def on(self, event: str) -> Callable[[F], F]: ...
    @overload
    def on(self, event: str, listener: F) -> F: ...
    def on(self, event: str, listener: F | None = None) -> F | Callable[[F], F]:
        """Add ``listener`` for ``event``; without a listener, return a decorator.

        Args:
            event: the event name (``"add"``, ``"change"``, ``"ready"``...).
            listener: a function or coroutine function called with the event's arguments.

        Returns:
            The listener itself (so ``@emitter.on("ready")`` keeps the function usable).

        Raises:
            TypeError: ``event`` is not a string or ``listener`` is not callable.
        """
        if not isinstance(event, str) or not event:
            raise TypeError(f"event must be a non-empty string, got {event!r}")
        if listener is None:

            def decorator(fn: F) -> F:
                return self.on(event, fn)

            return decorator
        if not callable(listener):
            raise TypeError(f"listener for {event!r} must be callable, got {listener!r}")
        self._listeners.setdefault(event, []).append(listener)
        return listener

    def once(self, event: str, listener: F) -> F:
        """Add ``listener`` for the next ``event`` only; ``off(event, listener)`` still works.

        Returns:
            The listener itself.
        """
        if not callable(listener):
            raise TypeError(f"listener for {event!r} must be callable, got {listener!r}")

        async def wrapper(*args: Any) -> None:
            self.off(event, wrapper)
            result = listener(*args)
            if inspect.isawaitable(result):
                await result

        wrapper.__wrapped__ = listener  # type: ignore[attr-defined]
        self.on(event, wrapper)
        return listener

    def off(self, event: str, listener: Callable[..., Any]) -> None:
        """Remove ``listener`` (added by ``on`` or ``once``) from ``event``, if it is there."""
        listeners = self._listeners.get(event)
        if not listeners:
            return
        for index, candidate in enumerate(listeners):
            if candidate is listener or getattr(candidate, "__wrapped__", None) is listener:
                del listeners[index]
                break
        if not listeners:
            del self._listeners[event]

    def remove_all_listeners(self, event: str | None = None) -> None:
        """Remove every listener of ``event``, or of every event when ``event`` is None."""
        if event is None:
            self._listeners.clear()
        else:
            self._listeners.pop(event, None)

    def listener_count(self, event: str | None = None) -> int:
        """How many listeners ``event`` has (all events together when ``event`` is None)."""
        if event is None:
            return sum(len(listeners) for listeners in self._listeners.values())
        return len(self._listeners.get(event, ()))

    async def emit(self, event: str, *args: Any) -> None:
        """Call the listeners of ``event`` with ``args``, in order, awaiting coroutines.

        An exception raised by a listener is emitted as ``"error"`` (with the exception as
        argument) and the remaining listeners still run; with no ``"error"`` listener, or
        when an ``"error"`` listener itself raises, it is logged instead.
        """
        for listener in list(self._listeners.get(event, ())):
            try:
                result = listener(*args)
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:
                await self._report(event, exc)

    async def _report(self, event: str, exc: Exception) -> None:
        if event != "error" and self._listeners.get("error"):
            await self.emit("error", exc)
        else:
            logger.error("%r: a %r listener failed", self, event, exc_info=exc)
