"""Events of the sans-IO connection layer (``HTTPConnection.next_event`` returns them).

Each is a frozen, slotted dataclass. Those without fields are used as singletons
(``NEED_DATA``, ``BODY_END``, ``PAUSED``, ``CLOSE``, ``PEER_CLOSED``): drivers compare
with ``is`` or ``type(event) is ...`` on the hot path.
"""

from __future__ import annotations

from dataclasses import dataclass

RawHeaders = list[tuple[bytes, bytes]]


@dataclass(slots=True)  # not frozen: a frozen __init__ costs ~0.8 µs more, per request
class RequestHead:
    """A complete request head: the driver builds a ``Request`` and runs the app (read-only).

    Attributes:
        method: The method, as sent (``"GET"``).
        raw_path: The path as on the wire, still percent-encoded, without the query.
        query_string: The part of the target after ``?`` (``""`` if none).
        headers: Header pairs, names lower-cased.
        http_version: ``"1.1"`` or ``"1.0"``.
        has_body: False when the request carries no body at all (``receive`` can
            answer ``b""`` without touching the connection).
    """

    method: str
    raw_path: str
    query_string: str
    headers: RawHeaders
    http_version: str
    has_body: bool


@dataclass(frozen=True, slots=True)
class BodyChunk:
    """The next piece of the request body."""

    data: bytes


@dataclass(frozen=True, slots=True)
class BodyEnd:
    """The request body is complete."""


@dataclass(frozen=True, slots=True)
class BodyError:
    """The request body cannot be completed: malformed framing or the peer went away.

    Attributes:
        reason: What went wrong (for logs and the error raised into the app).
        disconnected: True when the peer closed the connection mid-body.
    """

    reason: str
    disconnected: bool


@dataclass(frozen=True, slots=True)
class NeedData:
    """Nothing more can be parsed: read from the peer and call ``receive_data``."""


@dataclass(frozen=True, slots=True)
class Paused:
    """A request is in progress and its body is complete: finish the response first."""


@dataclass(frozen=True, slots=True)
class Reject:
    """The peer sent something unacceptable: send ``data`` (a canned response), then close.

    Attributes:
        status: The status of the canned response (400, 408, 413, 431, 500, 501 …).
        reason: Why, for the debug log.
        data: The bytes to send before closing.
    """

    status: int
    reason: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Close:
    """The connection is finished on our side: close it (after flushing what was sent)."""


@dataclass(frozen=True, slots=True)
class PeerClosed:
    """The peer closed the connection cleanly between requests."""


Event = (
    RequestHead | BodyChunk | BodyEnd | BodyError | NeedData | Paused | Reject | Close | PeerClosed
)

NEED_DATA = NeedData()
BODY_END = BodyEnd()
PAUSED = Paused()
CLOSE = Close()
PEER_CLOSED = PeerClosed()
