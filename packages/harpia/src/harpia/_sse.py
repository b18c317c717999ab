"""Server-Sent Events: ``res.sse(source)`` frames events from an async iterator.

Framing (the HTML standard's ``text/event-stream``): an event is ``event:``, ``id:``,
``retry:`` and one ``data:`` line per line of its data, ended by a blank line. Data is
split on every line break (``\\r\\n``, ``\\r``, ``\\n``), so a payload can never end an
event early or inject a field; an ``event`` or ``id`` holding a line break or NUL, or a
negative ``retry``, raises ``ValueError`` (the stream ends there).

While the source has nothing to say, a comment line (``: ping``) is sent every ``ping``
seconds: proxies keep the connection open, and a client that went away is noticed at the
next write. The source is closed (``aclose()``) when the stream ends for any reason —
exhausted, the client gone, the server shutting down — so its ``finally`` blocks run.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from ._json import json_bytes

_LINES = re.compile(r"\r\n|\r|\n")
_FIELD_UNSAFE = re.compile(r"[\r\n\x00]")
PING = b": ping\n\n"
_END = object()


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One event. ``data`` that is not a str (or bytes) is sent as JSON.

    Attributes:
        data: The payload (multi-line text is split into ``data:`` lines).
        event: The event type (``addEventListener(type, ...)``); ``message`` if None.
        id: The event id; the browser sends the last one back as ``Last-Event-ID`` when
            it reconnects (``req.last_event_id``).
        retry: The reconnection delay the browser should use, in milliseconds.
        comment: A comment line (ignored by browsers; sent before the fields).
    """

    data: Any = None
    event: str | None = None
    id: str | None = None
    retry: int | None = None
    comment: str | None = None

    def encode(self) -> bytes:
        """The event as ``text/event-stream`` bytes, blank line included.

        Raises:
            ValueError: ``event`` or ``id`` holds CR, LF or NUL; ``retry`` is negative.
            TypeError: a field of the wrong type.
        """
        lines: list[str] = []
        if self.comment is not None:
            lines += [f": {line}" for line in _LINES.split(_text(self.comment, "comment"))]
        if self.event is not None:
            lines.append(f"event: {_field(self.event, 'event')}")
        if self.id is not None:
            lines.append(f"id: {_field(self.id, 'id')}")
        if self.retry is not None:
            retry = self.retry
            if isinstance(retry, bool) or not isinstance(retry, int) or retry < 0:
                raise ValueError(f"SSE retry must be an int of milliseconds >= 0, got {retry!r}")
            lines.append(f"retry: {retry}")
        if self.data is not None:
            data = self.data
            if isinstance(data, bytes | bytearray | memoryview):
                text = bytes(data).decode()
            elif isinstance(data, str):
                text = data
            else:
                text = json_bytes(data).decode()
            lines += [f"data: {line}" for line in _LINES.split(text)]
        if not lines:
            return b""
        return ("\n".join(lines) + "\n\n").encode()


def _text(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"SSE {name} must be a str, got {type(value).__name__}")
    return value


def _field(value: object, name: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and name == "id":
        value = str(value)
    text = _text(value, name)
    if _FIELD_UNSAFE.search(text):
        raise ValueError(f"SSE {name} must not contain CR, LF or NUL: {text!r}")
    return text


_KEYS = frozenset({"data", "event", "id", "retry", "comment"})


def encode_event(item: object) -> bytes:
    """An item of an SSE source as bytes: a ``ServerSentEvent``, a mapping with its
    fields, or anything else as the data of an unnamed event (a str as it is).

    Raises:
        ValueError: an invalid field, or a mapping key that is not a field.
    """
    if isinstance(item, ServerSentEvent):
        return item.encode()
    if isinstance(item, Mapping):
        unknown = set(item) - _KEYS
        if unknown:
            raise ValueError(
                f"unknown SSE field(s) {sorted(map(str, unknown))}: use {sorted(_KEYS)}"
            )
        return ServerSentEvent(**item).encode()
    return ServerSentEvent(data=item).encode()


class EventStream:
    """The body of an SSE response: the source's events framed, with keep-alive pings.

    An async iterator of bytes with ``aclose()``, which every front end calls when the
    response ends (the client gone included); it closes the source.
    """

    __slots__ = ("_closed", "_done", "_pending", "_ping", "_source")

    def __init__(self, source: AsyncIterable[Any], ping: float | None) -> None:
        self._source = source
        self._ping = ping
        self._pending: asyncio.Task[Any] | None = None
        self._done = False
        self._closed = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        if self._done:
            raise StopAsyncIteration
        item = await self._next()
        if item is _END:
            self._done = True
            raise StopAsyncIteration
        if item is None:  # the ping interval passed without an event
            return PING
        try:
            return encode_event(item)
        except BaseException:
            self._done = True
            raise

    async def _next(self) -> Any:
        """The source's next item, ``_END``, or ``None`` after ``ping`` seconds of quiet.

        The pending read survives a ping (a task, not a cancelled wait), so a source that
        is an async generator is never interrupted between two of its events.
        """
        iterator = self._iterator()
        if self._ping is None or not _on_asyncio():
            return await _advance(iterator)
        pending = self._pending
        if pending is None:
            pending = self._pending = asyncio.ensure_future(_advance(iterator))
        done, _ = await asyncio.wait({pending}, timeout=self._ping)
        if not done:
            return None
        self._pending = None
        return pending.result()

    def _iterator(self) -> AsyncIterator[Any]:
        source = self._source
        if not isinstance(source, AsyncIterator):
            source = self._source = source.__aiter__()
        return source

    async def aclose(self) -> None:
        """Stop: cancel a pending read and close the source (once)."""
        self._done = True
        pending, self._pending = self._pending, None
        if pending is not None and not pending.done():
            pending.cancel()
            await asyncio.wait({pending})
        if pending is not None and not pending.cancelled():
            pending.exception()  # retrieved: no "never retrieved" warning
        if self._closed:
            return
        self._closed = True
        close = getattr(self._source, "aclose", None)
        if close is not None:
            await close()


async def _advance(iterator: AsyncIterator[Any]) -> Any:
    try:
        return await iterator.__anext__()
    except StopAsyncIteration:
        return _END


def _on_asyncio() -> bool:
    """True under asyncio (pings need its tasks); under trio events pass without pings."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
