"""The sans-IO WebSocket server connection: wsproto inside, whole messages out.

Theory of operation
-------------------
``WSConnection`` wraps one ``wsproto.Connection`` (server role) created *after* the HTTP
handshake: the HTTP layer (h11, in ``HTTPConnection``) answered ``101`` itself and hands
over the bytes it had already read past the request head. The request is never
re-serialised. It performs no I/O and knows no event loop::

    conn.receive_data(data)            # None when the peer closed the transport
    event = conn.next_event()          # WSMessage | WSClose | NeedData
    conn.data_to_send()                # pongs, close replies, … queued while parsing
    conn.send(message)                 # bytes of one data frame (str: text, bytes: binary)
    conn.ping(), conn.close(code, reason)

What it adds on top of wsproto:

- fragmented messages are reassembled; a message larger than ``max_payload_length`` (even
  while still arriving, so nobody can make us buffer without limit) closes with 1009;
- pings are answered; any received byte counts as activity (``received``), which the
  driver's idle/ping timer reads;
- protocol errors wsproto reports (1002, invalid UTF-8 → 1007) are answered with a close
  frame carrying that code, and the close handshake is completed with the peer's code
  echoed;
- ``WSClose`` is reported exactly once: when the peer closed (or answered our close), when
  a protocol error or a limit closed it, or when the transport was lost (1006). After it,
  the driver flushes ``data_to_send`` and closes the transport once ``finished``.

Outbound data frames of a connection without extensions are encoded here directly
(``encode_frame``): servers do not mask, so one frame's bytes can be shared by every
subscriber of a published message.
"""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wsproto import ConnectionType
from wsproto.connection import Connection, ConnectionState
from wsproto.events import (
    BytesMessage,
    CloseConnection,
    Message,
    Ping,
    TextMessage,
)

from ._events import NEED_DATA, NeedData

if TYPE_CHECKING:
    from collections.abc import Generator

    from wsproto.events import Event as WSProtoEvent
    from wsproto.extensions import Extension

MESSAGE_TOO_BIG = 1009
GOING_AWAY = 1001
INTERNAL_ERROR = 1011
ABNORMAL = 1006
POLICY_VIOLATION = 1008

_pack_short = struct.Struct("!BBH").pack
_pack_long = struct.Struct("!BBQ").pack


def encode_frame(message: str | bytes) -> bytes:
    """One unmasked, unfragmented, uncompressed data frame (a server's frame)."""
    if isinstance(message, str):
        payload = message.encode()
        first = 0x81
    else:
        payload = bytes(message)
        first = 0x82
    size = len(payload)
    if size < 126:
        return bytes((first, size)) + payload
    if size < 65536:
        return _pack_short(first, 126, size) + payload
    return _pack_long(first, 127, size) + payload


@dataclass(frozen=True, slots=True)
class WSMessage:
    """A complete message from the peer: ``str`` for text, ``bytes`` for binary."""

    data: str | bytes


@dataclass(frozen=True, slots=True)
class WSClose:
    """The WebSocket is closed (``code``, ``reason``): no message follows."""

    code: int
    reason: str


WSEvent = WSMessage | WSClose | NeedData


class WSConnection:
    """One server-side WebSocket connection, without I/O.

    Args:
        extensions: The extensions accepted during the handshake (permessage-deflate).
        trailing_data: Bytes read past the handshake request.
        max_payload_length: Largest message accepted (1009 beyond it).
        compress: Compress outgoing messages when an extension was negotiated.
    """

    __slots__ = (
        "_compress",
        "_events",
        "_local_close",
        "_out",
        "_parts",
        "_size",
        "_ws",
        "closed",
        "max_payload_length",
        "received",
    )

    def __init__(
        self,
        extensions: list[Extension] | None = None,
        trailing_data: bytes = b"",
        *,
        max_payload_length: int = 16 * 1024 * 1024,
        compress: bool = True,
    ) -> None:
        self._ws = Connection(ConnectionType.SERVER, extensions or None)
        self._compress = bool(extensions) and compress
        self.max_payload_length = max_payload_length
        self._events: Generator[WSProtoEvent, None, None] | None = None
        self._out: list[bytes] = []
        self._parts: list[str | bytes] = []
        self._size = 0
        self._local_close: WSClose | None = None
        self.closed = False
        self.received = 0
        if trailing_data:
            self.receive_data(trailing_data)

    def __repr__(self) -> str:
        return f"<WSConnection {self._ws.state.name} closed={self.closed}>"

    @property
    def finished(self) -> bool:
        """True when nothing more will be exchanged: the transport can be closed."""
        return self.closed

    @property
    def closing(self) -> bool:
        """True once we sent a close frame (waiting for the peer's)."""
        return self._local_close is not None

    # -- input ----------------------------------------------------------------------------

    def receive_data(self, data: bytes | None) -> None:
        """Feed bytes from the peer; ``None`` when the transport is gone."""
        if self.closed:
            return
        self.received += 1
        if data is None:
            self._ws.receive_data(None)
            self._events = None  # wsproto queued a 1006 close for a fresh events()
        else:
            self._ws.receive_data(data)

    def next_event(self) -> WSEvent:
        """The next complete message, the close, or ``NEED_DATA``."""
        if self.closed:
            return NEED_DATA
        events = self._events
        if events is None:
            events = self._events = self._ws.events()
        for event in events:
            kind = type(event)
            if kind is TextMessage or kind is BytesMessage:
                assert isinstance(event, Message)
                result = self._message(event)
                if result is not None:
                    return result
            elif kind is Ping:
                assert isinstance(event, Ping)
                if self._ws.state is ConnectionState.OPEN:
                    self._out.append(self._ws.send(event.response()))
            elif kind is CloseConnection:
                assert isinstance(event, CloseConnection)
                return self._peer_close(event)
            # Pong: activity only (counted in receive_data)
        self._events = None
        return NEED_DATA

    def _message(self, event: Message[Any]) -> WSEvent | None:
        data: str | bytes = event.data
        size = len(data) if type(data) is not str or data.isascii() else len(data.encode())
        if event.message_finished and not self._parts:
            if size > self.max_payload_length:
                return self._fail(MESSAGE_TOO_BIG, "message too big")
            if self._local_close is not None:
                return None  # we are closing: messages are dropped
            return WSMessage(data if isinstance(data, str) else bytes(data))
        self._size += size
        if self._size > self.max_payload_length:
            return self._fail(MESSAGE_TOO_BIG, "message too big")
        self._parts.append(data)
        if not event.message_finished:
            return None
        parts, self._parts, self._size = self._parts, [], 0
        if self._local_close is not None:
            return None
        if type(data) is str:
            return WSMessage("".join(parts))  # type: ignore[arg-type]
        return WSMessage(b"".join(parts))  # type: ignore[arg-type]

    def _peer_close(self, event: CloseConnection) -> WSClose:
        state = self._ws.state
        if state is ConnectionState.REMOTE_CLOSING:
            self._out.append(self._ws.send(event.response()))  # echo the peer's code
        elif state is ConnectionState.OPEN:
            # a protocol error found by wsproto (1002, 1007 …): tell the peer, then stop
            self._out.append(self._ws.send(CloseConnection(event.code, event.reason)))
        self.closed = True
        self._events = None
        local = self._local_close
        if local is not None and event.code != ABNORMAL:
            return local  # the peer answered our close: report our code
        return WSClose(int(event.code), event.reason or "")

    def _fail(self, code: int, reason: str) -> WSClose:
        """We end the connection at once (a limit): close frame, no waiting for the reply."""
        if self._ws.state is ConnectionState.OPEN:
            self._out.append(self._ws.send(CloseConnection(code, reason)))
        self.closed = True
        self._events = None
        self._parts = []
        return WSClose(code, reason)

    # -- output ---------------------------------------------------------------------------

    def data_to_send(self) -> bytes:
        """Bytes produced while parsing (pongs, close frames), to write now."""
        out = self._out
        if not out:
            return b""
        self._out = []
        return b"".join(out)

    @property
    def plain_frames(self) -> bool:
        """True when ``encode_frame`` bytes may be sent as they are (no compression)."""
        return not self._compress

    def send(self, message: str | bytes) -> bytes:
        """Bytes of one data message (``b""`` once closing)."""
        if self._local_close is not None or self.closed:
            return b""
        if not self._compress:
            return encode_frame(message)
        if isinstance(message, str):
            return self._ws.send(TextMessage(data=message))
        return self._ws.send(BytesMessage(data=bytes(message)))

    def ping(self, payload: bytes = b"") -> bytes:
        """Bytes of a ping frame (``b""`` unless open)."""
        if self._ws.state is not ConnectionState.OPEN:
            return b""
        return self._ws.send(Ping(payload=payload))

    def close(self, code: int = 1000, reason: str = "") -> bytes:
        """Start the close handshake: bytes of our close frame (``b""`` if already closing)."""
        if self._ws.state is not ConnectionState.OPEN or self._local_close is not None:
            return b""
        self._local_close = WSClose(code, reason)
        return self._ws.send(CloseConnection(code, reason))

    def abort(self, code: int = ABNORMAL, reason: str = "") -> WSClose:
        """Give up (close timeout, transport lost): the final ``WSClose``."""
        self.closed = True
        local = self._local_close
        if local is not None:
            return local
        return WSClose(code, reason)


INBOX_LIMIT = 64
"""Most parsed messages a connection holds for its handler before it stops reading."""


class Inbox:
    """Parsed messages waiting for the handler, bounded in count and in bytes.

    Parsing stops once it holds ``INBOX_LIMIT`` messages or more than ``max_bytes``
    (the payload limit), so it never holds more than twice the payload limit; the
    driver then stops reading (the peer's bytes stay in the kernel: TCP backpressure)
    until the handler has taken about half. Sizes are ``len`` of each message (characters
    for text). The final ``WSClose`` is put in without counting.
    """

    __slots__ = ("_items", "max_bytes", "size")

    def __init__(self, max_bytes: int) -> None:
        self._items: deque[WSMessage | WSClose] = deque()
        self.max_bytes = max_bytes
        self.size = 0

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    @property
    def full(self) -> bool:
        """True when no more messages may be parsed."""
        return len(self._items) >= INBOX_LIMIT or self.size > self.max_bytes

    @property
    def has_room(self) -> bool:
        """True when reading may resume (about half emptied)."""
        return len(self._items) <= INBOX_LIMIT // 2 and self.size <= self.max_bytes // 2

    def append(self, event: WSMessage | WSClose) -> None:
        """Add ``event`` (a message counts its size)."""
        self._items.append(event)
        if type(event) is WSMessage:
            self.size += len(event.data)

    def popleft(self) -> WSMessage | WSClose:
        """Take the oldest event."""
        event = self._items.popleft()
        if type(event) is WSMessage:
            self.size -= len(event.data)
        return event

    def fill(self, conn: WSConnection) -> WSClose | None:
        """Parse buffered bytes of ``conn`` into the inbox until it is full.

        Returns the ``WSClose`` event if the peer's close came (not put in the inbox),
        else ``None`` (no more complete message buffered, or the inbox is full).
        """
        while not self.full:
            event = conn.next_event()
            if type(event) is NeedData:
                return None
            if type(event) is WSClose:
                return event
            assert type(event) is WSMessage
            self.append(event)
        return None
